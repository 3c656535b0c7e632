//! Ed25519 signatures (ring) from a 32-byte seed, e.g. a key derived from the master key.

use ring::signature::{Ed25519KeyPair, KeyPair};

use crate::error::CryptoError;

/// A signing key; `Debug` shows only the public key.
pub struct Signer {
    pair: Ed25519KeyPair,
}

impl Signer {
    /// The key whose private part is `seed` (RFC 8032).
    pub fn from_seed(seed: &[u8; 32]) -> Result<Signer, CryptoError> {
        let pair = Ed25519KeyPair::from_seed_unchecked(seed)
            .map_err(|_| CryptoError::Malformed("an Ed25519 seed must be 32 bytes"))?;
        Ok(Signer { pair })
    }

    /// The 32-byte public key.
    pub fn public_key(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        out.copy_from_slice(self.pair.public_key().as_ref());
        out
    }

    /// The 64-byte signature of `msg`.
    pub fn sign(&self, msg: &[u8]) -> Vec<u8> {
        self.pair.sign(msg).as_ref().to_vec()
    }
}

/// Whether `signature` is `public_key`'s Ed25519 signature of `msg`.
pub fn verify_ed25519(public_key: &[u8], msg: &[u8], signature: &[u8]) -> bool {
    ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, public_key)
        .verify(msg, signature)
        .is_ok()
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("public_key", &self.public_key())
            .finish()
    }
}
