//! The keyring: the key-encryption key that wraps new data keys, and the others kept to unwrap
//! what they wrapped before. Each is a local master key or a key in a PKCS#11 token.

use std::fmt;
use std::sync::Arc;

use zeroize::Zeroizing;

use super::pkcs11::TokenKek;
use super::{dek_aad, KekProvider, MasterKey, WRAPPED_DEK_LEN};
use crate::aead::{self, KEY_LEN, NONCE_LEN};
use crate::token::fill_random;
use crate::CryptoError;

/// One key-encryption key of a [`Keyring`].
pub enum Kek {
    /// A master key held in this process (`CREDVAULT_MASTER_KEY`).
    Local(MasterKey),
    /// An AES-256 key that never leaves a PKCS#11 token; the token wraps and unwraps.
    Token(Arc<TokenKek>),
}

impl Kek {
    /// The id stored beside every data key this key wraps.
    pub fn id(&self) -> &str {
        match self {
            Kek::Local(k) => k.id(),
            Kek::Token(t) => t.id(),
        }
    }

    /// Which provider holds the key: `local` or `pkcs11`.
    pub fn provider(&self) -> &'static str {
        match self {
            Kek::Local(_) => "local",
            Kek::Token(_) => "pkcs11",
        }
    }

    /// The master key, when this is a local one.
    pub fn master_key(&self) -> Option<&MasterKey> {
        match self {
            Kek::Local(k) => Some(k),
            Kek::Token(_) => None,
        }
    }

    fn wrap(&self, dek: &[u8; KEY_LEN]) -> Result<Vec<u8>, CryptoError> {
        let aad = dek_aad(self.id());
        match self {
            Kek::Local(kek) => {
                let mut nonce = [0u8; NONCE_LEN];
                fill_random(&mut nonce)?;
                // nonce || dek, encrypted in place; zeroized if anything fails.
                let mut out = Zeroizing::new(Vec::with_capacity(WRAPPED_DEK_LEN));
                out.extend_from_slice(&nonce);
                out.extend_from_slice(dek);
                let tag = aead::seal_in_place_detached(
                    kek.aead_key(),
                    &nonce,
                    &aad,
                    &mut out[NONCE_LEN..],
                )?;
                out.extend_from_slice(&tag);
                Ok(std::mem::take(&mut *out))
            }
            Kek::Token(t) => t.wrap(dek, &aad),
        }
    }

    fn unwrap(&self, wrapped: &[u8]) -> Result<Zeroizing<[u8; KEY_LEN]>, CryptoError> {
        if wrapped.len() != WRAPPED_DEK_LEN {
            return Err(CryptoError::Malformed("wrapped data key must be 60 bytes"));
        }
        let aad = dek_aad(self.id());
        match self {
            Kek::Local(kek) => {
                let (nonce, sealed) = wrapped.split_at(NONCE_LEN);
                let mut buf = Zeroizing::new(sealed.to_vec());
                let plain = aead::open_in_place(kek.aead_key(), nonce, &aad, &mut buf)?;
                if plain.len() != KEY_LEN {
                    return Err(CryptoError::Malformed("wrapped data key must be 60 bytes"));
                }
                let mut dek = Zeroizing::new([0u8; KEY_LEN]);
                dek.copy_from_slice(plain);
                Ok(dek)
            }
            Kek::Token(t) => t.unwrap(wrapped, &aad),
        }
    }
}

/// The keyring: one active key-encryption key that wraps new data keys, plus retired keys that
/// can still unwrap old ones (until they are rewrapped). Any of them may be local or in a token.
///
/// Wrapped DEK format, for either provider: 12-byte random nonce || AES-256-GCM(kek, dek,
/// aad = `"credvault dek v1|" + kek_id`) — 32 bytes of ciphertext plus a 16-byte tag, 60
/// bytes in all. `Debug` shows only key ids.
pub struct Keyring {
    active: Kek,
    retired: Vec<Kek>,
}

impl Keyring {
    /// A local keyring that wraps under `active` and can also unwrap under each of `retired`.
    /// Retired keys equal to the active key, or repeated, are dropped.
    pub fn new(active: MasterKey, retired: Vec<MasterKey>) -> Self {
        Self::from_keks(
            Kek::Local(active),
            retired.into_iter().map(Kek::Local).collect(),
        )
    }

    /// A keyring of any keys: `active` wraps, every key unwraps what it wrapped. Retired keys
    /// with the active key's id, or repeated, are dropped.
    pub fn from_keks(active: Kek, retired: Vec<Kek>) -> Self {
        let mut kept: Vec<Kek> = Vec::with_capacity(retired.len());
        for key in retired {
            if key.id() != active.id() && kept.iter().all(|k| k.id() != key.id()) {
                kept.push(key);
            }
        }
        Self {
            active,
            retired: kept,
        }
    }

    /// The active key-encryption key.
    pub fn active(&self) -> &Kek {
        &self.active
    }

    /// Every key: active first, then retired.
    pub fn keks(&self) -> impl Iterator<Item = &Kek> {
        std::iter::once(&self.active).chain(self.retired.iter())
    }

    fn find(&self, kek_id: &str) -> Option<&Kek> {
        self.keks().find(|k| k.id() == kek_id)
    }

    /// A 32-byte subkey for `label` from the key `kek_id` of this keyring, active or retired;
    /// None when the keyring lacks it (or its token cannot be reached). The audit chain's and
    /// checkpoints' keys come from here: a local key derives by HKDF, a token's key derives in
    /// the token (see [`TokenKek::derive`]), so neither is ever in the database.
    pub fn derive_from(&self, kek_id: &str, label: &str) -> Option<Zeroizing<[u8; 32]>> {
        match self.find(kek_id)? {
            Kek::Local(k) => Some(k.derive(label)),
            Kek::Token(t) => t.derive(label).ok(),
        }
    }
}

impl KekProvider for Keyring {
    fn active_kek_id(&self) -> &str {
        self.active.id()
    }

    fn kek_ids(&self) -> Vec<String> {
        self.keks().map(|k| k.id().to_owned()).collect()
    }

    fn wrap(&self, dek: &[u8; 32]) -> Result<(String, Vec<u8>), CryptoError> {
        Ok((self.active.id().to_owned(), self.active.wrap(dek)?))
    }

    fn unwrap(&self, kek_id: &str, wrapped: &[u8]) -> Result<Zeroizing<[u8; 32]>, CryptoError> {
        if wrapped.len() != WRAPPED_DEK_LEN {
            return Err(CryptoError::Malformed("wrapped data key must be 60 bytes"));
        }
        self.find(kek_id)
            .ok_or_else(|| CryptoError::UnknownKek(kek_id.to_owned()))?
            .unwrap(wrapped)
    }
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let retired: Vec<&str> = self.retired.iter().map(Kek::id).collect();
        f.debug_struct("Keyring")
            .field("active", &self.active.id())
            .field("retired", &retired)
            .finish()
    }
}
