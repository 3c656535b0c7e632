//! Envelope encryption: each value gets its own random data-encryption key
//! (DEK), which is wrapped under a key-encryption key (KEK) from a
//! [`KekProvider`].

use std::fmt;

use zeroize::{Zeroize, Zeroizing};

use crate::aead::{self, KEY_LEN, NONCE_LEN, TAG_LEN};
use crate::keys::{KekProvider, Keyring};
use crate::token::fill_random;
use crate::{CryptoError, SecretBytes};

/// An encrypted value and everything needed to decrypt it except the KEK
/// itself and the caller's associated data. Store all four fields.
///
/// `Debug` shows the KEK id and field lengths only.
#[derive(Clone, PartialEq, Eq)]
pub struct Sealed {
    /// Id of the KEK that wrapped `wrapped_dek`.
    pub kek_id: String,
    /// The DEK wrapped by the provider (60 bytes for [`Keyring`]).
    pub wrapped_dek: Vec<u8>,
    /// 12-byte AES-GCM nonce used with the DEK.
    pub nonce: Vec<u8>,
    /// AES-256-GCM ciphertext of the plaintext, including the 16-byte tag.
    pub ciphertext: Vec<u8>,
}

impl fmt::Debug for Sealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sealed")
            .field("kek_id", &self.kek_id)
            .field("wrapped_dek_len", &self.wrapped_dek.len())
            .field("nonce_len", &self.nonce.len())
            .field("ciphertext_len", &self.ciphertext.len())
            .finish()
    }
}

impl Sealed {
    fn check_shape(&self) -> Result<(), CryptoError> {
        if self.kek_id.is_empty() {
            return Err(CryptoError::Malformed("key-encryption key id is empty"));
        }
        if self.nonce.len() != NONCE_LEN {
            return Err(CryptoError::Malformed("nonce must be 12 bytes"));
        }
        if self.ciphertext.len() < TAG_LEN {
            return Err(CryptoError::Malformed(
                "ciphertext is shorter than the authentication tag",
            ));
        }
        Ok(())
    }
}

/// Envelope encryption over a [`KekProvider`] (by default the local
/// [`Keyring`]).
///
/// [`Envelope::seal`] draws a fresh 256-bit DEK and 96-bit nonce for every
/// call, encrypts with AES-256-GCM under the caller's associated data, wraps
/// the DEK under the provider's active KEK and zeroizes it. Bind each value to
/// its context through `aad` (e.g. the owning record's id) so ciphertexts
/// cannot be swapped between records.
#[derive(Debug)]
pub struct Envelope<P: KekProvider = Keyring> {
    provider: P,
}

impl<P: KekProvider> Envelope<P> {
    /// Envelope encryption using `provider` for KEKs.
    pub fn new(provider: P) -> Self {
        Self { provider }
    }

    /// The KEK provider.
    pub fn provider(&self) -> &P {
        &self.provider
    }

    /// Encrypts `plaintext`, authenticating `aad` (which is not stored: pass
    /// the same bytes to [`Envelope::open`]).
    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Result<Sealed, CryptoError> {
        let mut dek = Zeroizing::new([0u8; KEY_LEN]);
        fill_random(&mut dek[..])?;
        let mut nonce = [0u8; NONCE_LEN];
        fill_random(&mut nonce)?;
        let (kek_id, wrapped_dek) = self.provider.wrap(&dek)?;

        // Capacity for the tag up front: no reallocation leaves plaintext behind.
        let mut ciphertext = Vec::with_capacity(plaintext.len() + TAG_LEN);
        ciphertext.extend_from_slice(plaintext);
        if let Err(e) = aead::seal_in_place(&dek, &nonce, aad, &mut ciphertext) {
            ciphertext.zeroize();
            return Err(e);
        }
        Ok(Sealed {
            kek_id,
            wrapped_dek,
            nonce: nonce.to_vec(),
            ciphertext,
        })
    }

    /// Decrypts a value sealed with the same `aad`. Fails with
    /// [`CryptoError::UnknownKek`] if the provider lacks the wrapping KEK,
    /// [`CryptoError::Decrypt`] if anything was altered, and
    /// [`CryptoError::Malformed`] if a field has the wrong length.
    pub fn open(&self, sealed: &Sealed, aad: &[u8]) -> Result<SecretBytes, CryptoError> {
        sealed.check_shape()?;
        let dek = self.provider.unwrap(&sealed.kek_id, &sealed.wrapped_dek)?;
        let mut buf = Zeroizing::new(sealed.ciphertext.clone());
        let len = aead::open_in_place(&dek, &sealed.nonce, aad, &mut buf)?.len();
        buf.truncate(len);
        Ok(SecretBytes::from_zeroizing(buf))
    }

    /// Re-wraps the value's DEK under the active KEK (key rotation), leaving
    /// nonce and ciphertext untouched. A value already under the active KEK
    /// is returned as a clone.
    pub fn rewrap(&self, sealed: &Sealed) -> Result<Sealed, CryptoError> {
        sealed.check_shape()?;
        if sealed.kek_id == self.provider.active_kek_id() {
            return Ok(sealed.clone());
        }
        let dek = self.provider.unwrap(&sealed.kek_id, &sealed.wrapped_dek)?;
        let (kek_id, wrapped_dek) = self.provider.wrap(&dek)?;
        Ok(Sealed {
            kek_id,
            wrapped_dek,
            nonce: sealed.nonce.clone(),
            ciphertext: sealed.ciphertext.clone(),
        })
    }

    /// Re-wraps one wrapped DEK under the active KEK without needing its ciphertext: what key
    /// rotation does over stored rows. Returns the new `(kek_id, wrapped_dek)`.
    pub fn rewrap_key(
        &self,
        kek_id: &str,
        wrapped_dek: &[u8],
    ) -> Result<(String, Vec<u8>), CryptoError> {
        if kek_id == self.provider.active_kek_id() {
            return Ok((kek_id.to_string(), wrapped_dek.to_vec()));
        }
        let dek = self.provider.unwrap(kek_id, wrapped_dek)?;
        self.provider.wrap(&dek)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests;
