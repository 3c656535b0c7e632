//! `BENCH_ONLY=hsm`: resolve with the key-encryption key in a PKCS#11 token (SoftHSM2), where
//! every resolve has the token unwrap its data key, beside the local master key, in alternating
//! turns of the same run (the resolve section's rig and load; see `create_load` for why turns).

use std::time::Instant;

use super::{
    bench_rounds, compare, find_wrk, median, skipped, target, CpuPerRequest, Rig, CONCURRENCY,
    RESOLVE_CREDENTIALS, TURN_SECS, WARM_UP_SECS,
};

/// Runs `credvault <args>` with `env`; fails with its stderr.
fn credvault(bin: &str, args: &[&str], env: &[(&str, &str)]) -> anyhow::Result<String> {
    let out = std::process::Command::new(bin)
        .args(args)
        .envs(env.iter().copied())
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "credvault {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8_lossy(&out.stderr).into_owned())
}

pub async fn resolve_with_token(base: &str) -> anyhow::Result<()> {
    let Ok(bin) = std::env::var("CREDVAULT_BIN") else {
        skipped("hsm", "CREDVAULT_BIN not set; run through `make bench`");
        return Ok(());
    };
    if credvault_tests::softhsm::module().is_none() {
        skipped(
            "hsm",
            "SoftHSM2 is not installed (apt-get install softhsm2)",
        );
        return Ok(());
    }
    let hsm = credvault_tests::softhsm::SoftHsm::new()?;
    let module = hsm.module.clone();
    let token_env = hsm.env(&[
        ("CREDVAULT_KEK_PROVIDER", "pkcs11"),
        (
            "CREDVAULT_JWT_SECRET",
            "a-jwt-secret-for-the-hsm-bench-0123456789",
        ),
    ]);
    credvault(&bin, &["keys", "init-pkcs11"], &token_env)?;

    let rounds = bench_rounds(6);
    let port = 16000 + (std::process::id() % 500) as u16 * 2;
    let local = Rig::start(base, &bin, "credvault_bench_hsm_local", port).await?;
    let (token, key) = Rig::start_env(
        base,
        &bin,
        "credvault_bench_hsm_token",
        port + 1,
        &token_env,
    )
    .await?;
    // The rig seals its credentials with a master key: `keys rotate` moves them into the token
    // (one local unwrap and one token wrap each, one at a time).
    let mut rotate_env = token_env.to_vec();
    rotate_env.extend([
        ("DATABASE_URL", token.url.as_str()),
        ("CREDVAULT_MASTER_KEY", key.as_str()),
    ]);
    let t = Instant::now();
    credvault(&bin, &["keys", "rotate"], &rotate_env)?;
    let rotate_secs = t.elapsed().as_secs_f64();
    let in_token: i64 = token
        .client
        .query_one(
            "SELECT count(*) FROM credential_versions WHERE kek_id LIKE 'pkcs11:%' AND wrapped_dek IS NOT NULL",
            &[],
        )
        .await?
        .get(0);
    println!("== hsm: resolve with the key in SoftHSM2 ({module}) against the local master key: {RESOLVE_CREDENTIALS} credentials, {CONCURRENCY} concurrent clients, {rounds} rounds of a {TURN_SECS} s turn each");
    println!(
        "keys rotate into the token: {in_token} data keys in {rotate_secs:.1} s = {:.0}/s ({:.0} µs each: a token wrap, a local unwrap and the row's share of its batch)",
        in_token as f64 / rotate_secs,
        rotate_secs * 1e6 / in_token.max(1) as f64
    );
    target(
        &format!("every data key of the token rig is wrapped by the token ({in_token} of {RESOLVE_CREDENTIALS})"),
        in_token as usize == RESOLVE_CREDENTIALS,
    );

    let wrk = find_wrk();
    let rigs = [("local", &local), ("pkcs11", &token)];
    for (_, rig) in &rigs {
        drop(rig.resolves(wrk.as_deref(), WARM_UP_SECS, true).await?);
    }
    let (mut rates, mut cpus) = ([Vec::new(), Vec::new()], [Vec::new(), Vec::new()]);
    let mut failures = 0;
    for round in 1..=rounds {
        for (i, (name, rig)) in rigs.iter().enumerate() {
            let before = rig.ticks().await;
            let load = rig.resolves(wrk.as_deref(), TURN_SECS, false).await?;
            let cpu = CpuPerRequest::between(&before, &rig.ticks().await, load.ok);
            let rate = load.ok as f64 / TURN_SECS as f64;
            println!(
                "round {round}, {name}: resolve {rate:.0}/s, p50 {:.2} ms, p99 {:.2} ms, {} failed, CPU per resolve: {cpu}",
                load.p50(),
                load.p99(),
                load.failures
            );
            failures += load.failures;
            rates[i].push(rate);
            cpus[i].push(cpu.server_us.unwrap_or(f64::NAN));
        }
    }
    let ratio = compare(
        "resolve/s, pkcs11 (current) against local (baseline)",
        "/s",
        &rates[1],
        &rates[0],
        "",
    );
    compare(
        "server CPU per resolve, pkcs11 against local",
        " µs",
        &cpus[1],
        &cpus[0],
        "",
    );
    println!(
        "hsm (median rounds): local {:.0}/s, pkcs11 {:.0}/s: the token's unwrap costs the server {:.0} µs of CPU per resolve; pkcs11/local = {ratio:.2}",
        median(&rates[0]),
        median(&rates[1]),
        median(&cpus[1]) - median(&cpus[0])
    );
    target(
        &format!("no resolve failed in either rig ({failures} did)"),
        failures == 0,
    );
    local.close().await?;
    token.close().await?;
    Ok(())
}
