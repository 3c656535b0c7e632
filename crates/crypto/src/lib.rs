//! Cryptography for credvault.
//!
//! This crate owns every cryptographic primitive the service uses:
//! envelope encryption of stored secrets ([`Envelope`], [`Sealed`]), the
//! keyring of key-encryption keys and its seam for an external KMS
//! ([`Keyring`], [`KekProvider`], [`MasterKey`]), API/refresh token
//! generation and hashing ([`generate_token`], [`hash_token`]), and password
//! hashing with Argon2id ([`hash_password`], [`verify_password`]).
//!
//! It must never log, format or `Debug`-print plaintext or key material (every
//! secret-holding type redacts itself), and it must never panic: every
//! failure is reported as a [`CryptoError`] or [`KeyError`].
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod aead;
mod envelope;
mod error;
mod keys;
mod password;
mod secret;
mod signing;
mod token;
mod webhook;

#[cfg(test)]
mod test_util;

pub use envelope::{Envelope, Sealed};
pub use error::{CryptoError, KeyError};
pub use keys::{
    Kek, KekProvider, Keyring, MasterKey, TokenConfig, TokenError, TokenKek, TokenSetting,
};
pub use password::{dummy_verify, hash_password, verify_password};
pub use secret::SecretBytes;
pub use signing::{verify_ed25519, Signer};
pub use token::{constant_time_eq, generate_token, hash_token, hmac_sha256, random_bytes, sha256};
pub use webhook::{generate_webhook_secret, webhook_signature, WEBHOOK_SECRET_PREFIX};
