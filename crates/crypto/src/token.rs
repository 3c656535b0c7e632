//! Random bytes, bearer tokens (API tokens `cvt_…`, refresh tokens) and
//! constant-time comparison.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ring::rand::{SecureRandom, SystemRandom};
use secrecy::SecretString;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::CryptoError;

/// Number of random bytes in a generated token (256 bits).
const TOKEN_BYTES: usize = 32;

/// Fills `buf` from the operating system's CSPRNG.
pub(crate) fn fill_random(buf: &mut [u8]) -> Result<(), CryptoError> {
    SystemRandom::new().fill(buf).map_err(|_| CryptoError::Rng)
}

/// `N` bytes from the operating system's CSPRNG (ring's `SystemRandom`).
pub fn random_bytes<const N: usize>() -> Result<[u8; N], CryptoError> {
    let mut out = [0u8; N];
    fill_random(&mut out)?;
    Ok(out)
}

/// A new bearer token: `prefix` followed by 32 random bytes encoded as
/// unpadded base64url (43 characters), e.g. `cvt_…` for API tokens.
///
/// Store only [`hash_token`] of the result; show the token to its owner once.
pub fn generate_token(prefix: &str) -> Result<SecretString, CryptoError> {
    let mut bytes = Zeroizing::new([0u8; TOKEN_BYTES]);
    fill_random(&mut bytes[..])?;
    // Exact capacity, so neither the encoding nor the conversion to
    // `Box<str>` reallocates and leaves a copy behind.
    let mut token = String::with_capacity(prefix.len() + 43);
    token.push_str(prefix);
    URL_SAFE_NO_PAD.encode_string(&bytes[..], &mut token);
    Ok(SecretString::from(token))
}

/// SHA-256 of a token, for storage and lookup. Tokens carry 256 bits of
/// entropy, so a fast unsalted hash is appropriate (unlike passwords).
pub fn hash_token(token: &str) -> [u8; 32] {
    let digest = ring::digest::digest(&ring::digest::SHA256, token.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

/// Compares two byte strings in time independent of their contents (the
/// lengths are not secret). Returns `false` when the lengths differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// SHA-256 of arbitrary bytes (the audit chain's hash).
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let d = ring::digest::digest(&ring::digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::test_util::hex;
    use secrecy::ExposeSecret;

    #[test]
    fn hash_token_is_sha256_of_abc() {
        let expected = hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(hash_token("abc").to_vec(), expected);
    }

    #[test]
    fn hash_token_of_empty_string_is_sha256_of_empty() {
        let expected = hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_eq!(hash_token("").to_vec(), expected);
    }

    #[test]
    fn constant_time_eq_matches_equality() {
        assert!(constant_time_eq(b"", b""));
        assert!(constant_time_eq(b"same bytes", b"same bytes"));
        assert!(!constant_time_eq(b"same bytes", b"same bytez"));
        assert!(!constant_time_eq(b"short", b"shorter"));
        assert!(!constant_time_eq(b"x", b""));
    }

    #[test]
    fn generate_token_has_prefix_and_43_base64url_chars() {
        let token = generate_token("cvt_").unwrap();
        let token = token.expose_secret();
        let body = token.strip_prefix("cvt_").expect("prefix");
        assert_eq!(body.len(), 43);
        assert!(body
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert_eq!(URL_SAFE_NO_PAD.decode(body).unwrap().len(), 32);
    }

    #[test]
    fn generate_token_twice_differs() {
        let a = generate_token("cvr_").unwrap();
        let b = generate_token("cvr_").unwrap();
        assert_ne!(a.expose_secret(), b.expose_secret());
    }

    #[test]
    fn random_bytes_are_not_constant() {
        let a: [u8; 32] = random_bytes().unwrap();
        let b: [u8; 32] = random_bytes().unwrap();
        assert_ne!(a, b);
        assert_eq!(random_bytes::<0>().unwrap(), []);
    }
}

/// HMAC-SHA-256 of `msg` under `key` (derives values, such as a PKCE verifier from its state,
/// that only this deployment can compute).
pub fn hmac_sha256(key: &[u8], msg: &[u8]) -> Zeroizing<[u8; 32]> {
    let tag = ring::hmac::sign(&ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key), msg);
    let mut out = Zeroizing::new([0u8; 32]);
    out.copy_from_slice(tag.as_ref());
    out
}

#[cfg(test)]
mod hmac_tests {
    use super::hmac_sha256;

    /// RFC 4231 test case 2.
    #[test]
    fn rfc4231_case_2() {
        let out = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        let hex: String = out.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
