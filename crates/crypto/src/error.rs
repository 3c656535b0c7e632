//! Error types. No variant ever carries key material, plaintext or the raw
//! input that was rejected.

/// Errors from cryptographic operations.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// The value was wrapped under a key-encryption key this keyring does not hold.
    #[error(
        "unknown key-encryption key {0}: add the key that wrapped it to CREDVAULT_RETIRED_KEYS (a master key) or configure CREDVAULT_PKCS11_* (a key in a token)"
    )]
    UnknownKek(String),
    /// Authentication failed while decrypting.
    #[error(
        "decryption failed: the data or its associated data was altered, or the wrong key was used"
    )]
    Decrypt,
    /// A sealed value has the wrong shape (e.g. a field of the wrong length).
    #[error("malformed sealed value: {0}")]
    Malformed(&'static str),
    /// The operating system's random number generator failed.
    #[error("the system random number generator failed")]
    Rng,
    /// The PKCS#11 token holding a key-encryption key failed (not a wrong key: that is
    /// [`CryptoError::Decrypt`]). Carries the PKCS#11 error, never data.
    #[error("the PKCS#11 token failed: {0}")]
    Token(String),
    /// Argon2 rejected its parameters or input.
    #[error("password hashing failed")]
    PasswordHash,
}

/// Errors from parsing a [`MasterKey`](crate::MasterKey). Messages describe the
/// problem without ever echoing the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The input was empty (or only whitespace).
    #[error("master key is empty: it must be 32 random bytes encoded as base64")]
    Empty,
    /// The input was not valid base64 in either the standard or URL-safe alphabet.
    #[error("master key must be base64 (standard or URL-safe alphabet)")]
    NotBase64,
    /// The input decoded to the wrong number of bytes.
    #[error("master key must decode to 32 bytes, got {0}")]
    WrongLength(usize),
}
