//! Password hashing with Argon2id.
//!
//! Parameters are the OWASP Password Storage Cheat Sheet minimum for
//! Argon2id: m = 19456 KiB (19 MiB) of memory, t = 2 iterations, p = 1 lane,
//! version 0x13, a 16-byte random salt and a 32-byte output, stored as a PHC
//! string (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`). This costs tens
//! of milliseconds per hash on a server core, which keeps login latency low
//! while making offline guessing expensive. Verification reads the
//! parameters from the stored PHC string, so they can be raised later without
//! invalidating existing hashes.

use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::{ExposeSecret, SecretString};

use crate::token::random_bytes;
use crate::CryptoError;

/// Memory cost in KiB (OWASP minimum for Argon2id).
const M_COST_KIB: u32 = 19_456;
/// Number of passes.
const T_COST: u32 = 2;
/// Degree of parallelism.
const P_COST: u32 = 1;
/// Salt length in bytes.
const SALT_LEN: usize = 16;

fn hasher() -> Result<Argon2<'static>, CryptoError> {
    let params =
        Params::new(M_COST_KIB, T_COST, P_COST, None).map_err(|_| CryptoError::PasswordHash)?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes a password with Argon2id (m = 19456 KiB, t = 2, p = 1: the OWASP
/// minimum, see the module docs) and a fresh random salt, returning a PHC
/// string such as `$argon2id$v=19$m=19456,t=2,p=1$…`.
pub fn hash_password(password: &SecretString) -> Result<String, CryptoError> {
    let salt_bytes: [u8; SALT_LEN] = random_bytes()?;
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|_| CryptoError::PasswordHash)?;
    let hash = hasher()?
        .hash_password(password.expose_secret().as_bytes(), &salt)
        .map_err(|_| CryptoError::PasswordHash)?;
    Ok(hash.to_string())
}

/// Checks a password against a PHC string from [`hash_password`]. Returns
/// `false` on mismatch and on a malformed or non-Argon2id hash. The hash
/// comparison is constant-time.
pub fn verify_password(password: &SecretString, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    if parsed.algorithm != argon2::ARGON2ID_IDENT {
        return false;
    }
    Argon2::default()
        .verify_password(password.expose_secret().as_bytes(), &parsed)
        .is_ok()
}

/// Runs one verification against a fixed dummy hash, so a login for an
/// unknown account takes about as long as one for a known account with a
/// wrong password. The dummy hash is computed once, lazily.
pub fn dummy_verify(password: &SecretString) {
    match dummy_hash() {
        Some(phc) => {
            std::hint::black_box(verify_password(password, phc));
        }
        // Hashing failed once (RNG failure): spend comparable time anyway.
        None => {
            let _ = std::hint::black_box(hash_password(password));
        }
    }
}

fn dummy_hash() -> Option<&'static str> {
    static DUMMY_HASH: OnceLock<Option<String>> = OnceLock::new();
    DUMMY_HASH
        .get_or_init(|| {
            hash_password(&SecretString::from("credvault dummy password for timing")).ok()
        })
        .as_deref()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn pw(s: &str) -> SecretString {
        SecretString::from(s)
    }

    /// One hash shared by the tests below: Argon2 at OWASP cost is slow in
    /// unoptimised test builds.
    fn shared_hash() -> &'static str {
        static HASH: OnceLock<String> = OnceLock::new();
        HASH.get_or_init(|| hash_password(&pw("correct horse battery staple")).unwrap())
    }

    #[test]
    fn hash_then_verify_round_trips() {
        assert!(verify_password(
            &pw("correct horse battery staple"),
            shared_hash()
        ));
    }

    #[test]
    fn verify_with_wrong_password_is_false() {
        assert!(!verify_password(
            &pw("correct horse battery stapler"),
            shared_hash()
        ));
        assert!(!verify_password(&pw(""), shared_hash()));
    }

    #[test]
    fn phc_string_uses_argon2id_owasp_parameters() {
        let phc = shared_hash();
        assert!(
            phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "unexpected PHC string {phc}"
        );
        assert!(!phc.contains("correct horse"));
    }

    #[test]
    fn same_password_hashes_differ_by_salt() {
        let phc = hash_password(&pw("correct horse battery staple")).unwrap();
        assert_ne!(phc, shared_hash());
        assert!(verify_password(&pw("correct horse battery staple"), &phc));
    }

    #[test]
    fn verify_with_malformed_or_foreign_hash_is_false() {
        let password = pw("correct horse battery staple");
        for phc in [
            "",
            "not a hash",
            "$argon2id$v=19$m=19456,t=2,p=1$",
            "$2b$12$C6UzMDM.H6dfI/f/IKcEeO5Q5S6D2b3bq5J5mrzfjQTe5sQJ8m9a2",
            // The valid hash re-labelled as argon2i.
            &shared_hash().replacen("argon2id", "argon2i", 1),
        ] {
            assert!(!verify_password(&password, phc), "accepted {phc:?}");
        }
    }

    /// The dummy verification exists to cost what a real one costs: its hash must be a real
    /// Argon2id hash with the parameters real hashes get (not something cheaper), and a call must
    /// take about as long as a wrong password against a real account's hash.
    #[test]
    fn dummy_verify_costs_what_a_real_verification_costs() {
        let phc = dummy_hash().expect("the dummy hash is computed");
        assert!(
            phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "the dummy hash has the parameters of real hashes: {phc}"
        );
        assert!(
            verify_password(&pw("credvault dummy password for timing"), phc),
            "the dummy hash is a verifiable Argon2id hash"
        );
        // Timing: interleaved runs (so a busy machine slows both alike), medians within a
        // factor of 4. A shortcut that skipped Argon2 would be hundreds of times faster.
        let (mut dummy, mut real) = (Vec::new(), Vec::new());
        for _ in 0..7 {
            let t = std::time::Instant::now();
            dummy_verify(&pw("wrong password"));
            dummy.push(t.elapsed());
            let t = std::time::Instant::now();
            verify_password(&pw("wrong password"), shared_hash());
            real.push(t.elapsed());
        }
        dummy.sort();
        real.sort();
        let (dummy, real) = (dummy[3], real[3]);
        assert!(
            dummy * 4 > real && real * 4 > dummy,
            "dummy {dummy:?} vs real {real:?}"
        );
    }
}
