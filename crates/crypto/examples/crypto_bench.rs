//! Release-mode micro-benchmark for credvault-crypto:
//! `cargo run --release --example crypto_bench -p credvault-crypto`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use credvault_crypto::{hash_password, Envelope, Keyring, MasterKey};
use secrecy::SecretString;

const SECRET_LEN: usize = 1024;
const WINDOW: Duration = Duration::from_secs(1);

/// Runs `op` repeatedly for about `WINDOW`; returns (iterations, elapsed).
fn run<E>(mut op: impl FnMut() -> Result<(), E>) -> Result<(u64, Duration), E> {
    // Warm up.
    for _ in 0..16 {
        op()?;
    }
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < WINDOW {
        for _ in 0..64 {
            op()?;
        }
        n += 64;
    }
    Ok((n, start.elapsed()))
}

/// Prints one line; `bytes_per_op` adds a throughput figure for data ops.
fn report(name: &str, (n, elapsed): (u64, Duration), bytes_per_op: Option<usize>) {
    let per_sec = n as f64 / elapsed.as_secs_f64();
    let throughput = bytes_per_op
        .map(|b| format!("  ({:.1} MiB/s)", per_sec * b as f64 / (1024.0 * 1024.0)))
        .unwrap_or_default();
    println!(
        "{name:<24} {per_sec:>12.0} ops/s  {:>8.2} us/op{throughput}",
        1e6 / per_sec
    );
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!(
        "credvault-crypto bench ({} build): AES-256-GCM envelope, 1 KiB secrets, ~{}s per line",
        if cfg!(debug_assertions) {
            "DEBUG - use --release"
        } else {
            "release"
        },
        WINDOW.as_secs()
    );

    let old = MasterKey::generate()?;
    let old_b64 = old.to_base64();
    let env = Envelope::new(Keyring::new(old, vec![]));
    let plaintext = vec![0x5au8; SECRET_LEN];
    let aad = b"credential:bench";

    report(
        "seal 1 KiB",
        run(|| {
            env.seal(black_box(&plaintext), aad).map(|s| {
                black_box(s);
            })
        })?,
        Some(SECRET_LEN),
    );

    let sealed = env.seal(&plaintext, aad)?;
    report(
        "open 1 KiB",
        run(|| {
            env.open(black_box(&sealed), aad).map(|p| {
                black_box(p);
            })
        })?,
        Some(SECRET_LEN),
    );

    // Rotation: active = new key, retired = old key; rewrap moves the DEK.
    let retired = {
        use secrecy::ExposeSecret;
        MasterKey::from_base64(old_b64.expose_secret())?
    };
    let rotated = Envelope::new(Keyring::new(MasterKey::generate()?, vec![retired]));
    report(
        "rewrap (old -> new KEK)",
        run(|| {
            rotated.rewrap(black_box(&sealed)).map(|s| {
                black_box(s);
            })
        })?,
        None,
    );

    let password = SecretString::from("correct horse battery staple");
    hash_password(&password)?; // warm up
    let rounds = 10u32;
    let start = Instant::now();
    for _ in 0..rounds {
        black_box(hash_password(&password)?);
    }
    let per_hash = start.elapsed() / rounds;
    println!(
        "{:<24} {:>12.1} ms/hash (argon2id m=19456 KiB, t=2, p=1; {rounds} hashes)",
        "argon2 hash_password",
        per_hash.as_secs_f64() * 1e3
    );
    Ok(())
}
