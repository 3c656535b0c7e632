//! Master keys (key-encryption keys), the keyring, and the [`KekProvider`]
//! seam: a keyring holds local master keys and keys in a PKCS#11 token alike.

use std::fmt;
use std::sync::Arc;

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use ring::hmac;
use secrecy::SecretString;
use zeroize::Zeroizing;

use crate::aead::{KEY_LEN, NONCE_LEN, TAG_LEN};
use crate::token::fill_random;
use crate::{CryptoError, KeyError};

/// Length of a wrapped data key: nonce || encrypted DEK || tag.
pub(crate) const WRAPPED_DEK_LEN: usize = NONCE_LEN + KEY_LEN + TAG_LEN;

/// Domain-separation prefix of the AAD used when wrapping a DEK.
const DEK_AAD_PREFIX: &[u8] = b"credvault dek v1|";
/// The associated data of a wrapped DEK: binds it to the id of the KEK that wrapped it, so a
/// wrapped key relabelled with another KEK's id does not open. The same for every provider.
pub(crate) fn dek_aad(kek_id: &str) -> Vec<u8> {
    [DEK_AAD_PREFIX, kek_id.as_bytes()].concat()
}

/// HMAC message whose output identifies a key.
const KEK_ID_MESSAGE: &[u8] = b"credvault kek id v1";

const LENIENT_PADDING: GeneralPurposeConfig =
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
const STANDARD_LENIENT: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT_PADDING);
const URL_SAFE_LENIENT: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT_PADDING);

/// A 256-bit master key, used as a key-encryption key (KEK) to wrap the
/// per-value data keys of [`Envelope`](crate::Envelope) and as the root for
/// derived subkeys. Zeroized on drop; `Debug` shows only its id.
pub struct MasterKey {
    key: Zeroizing<[u8; KEY_LEN]>,
    id: String,
}

impl MasterKey {
    fn from_key(key: Zeroizing<[u8; KEY_LEN]>) -> Self {
        let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &key[..]), KEK_ID_MESSAGE);
        let mut id = String::with_capacity(4 + 16);
        id.push_str("kek_");
        for byte in &tag.as_ref()[..8] {
            id.push(char::from(HEX[usize::from(byte >> 4)]));
            id.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
        Self { key, id }
    }

    #[cfg(test)]
    pub(crate) fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        Self::from_key(Zeroizing::new(bytes))
    }

    /// Parses a key from base64 (standard or URL-safe alphabet, padding
    /// optional, surrounding whitespace ignored). It must decode to exactly
    /// 32 bytes. Errors never contain the input.
    pub fn from_base64(s: &str) -> Result<MasterKey, KeyError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(KeyError::Empty);
        }
        let decoded = Zeroizing::new(
            STANDARD_LENIENT
                .decode(s)
                .or_else(|_| URL_SAFE_LENIENT.decode(s))
                .map_err(|_| KeyError::NotBase64)?,
        );
        if decoded.len() != KEY_LEN {
            return Err(KeyError::WrongLength(decoded.len()));
        }
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        key.copy_from_slice(&decoded);
        Ok(Self::from_key(key))
    }

    /// A new random key from the operating system's CSPRNG.
    pub fn generate() -> Result<MasterKey, CryptoError> {
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        fill_random(&mut key[..])?;
        Ok(Self::from_key(key))
    }

    /// The key as standard padded base64 (the format [`MasterKey::from_base64`]
    /// reads), for printing once when an operator generates a key.
    pub fn to_base64(&self) -> SecretString {
        // 32 bytes encode to exactly 44 characters: no reallocation.
        let mut out = String::with_capacity(44);
        STANDARD.encode_string(&self.key[..], &mut out);
        SecretString::from(out)
    }

    /// Stable, non-secret identifier of this key: `"kek_"` followed by the
    /// first 8 bytes (16 lowercase hex characters) of
    /// HMAC-SHA256(key, "credvault kek id v1"). Stored next to every wrapped
    /// data key so the right KEK can be found after rotation.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// A 32-byte subkey for `label` (e.g. a JWT signing secret):
    /// HKDF-SHA256 (RFC 5869) with no salt, the master key as input keying
    /// material, `label` as info and an output length of 32 bytes. Distinct
    /// labels give independent keys.
    pub fn derive(&self, label: &str) -> Zeroizing<[u8; 32]> {
        hkdf_sha256_32(&[], &self.key[..], label.as_bytes())
    }

    pub(crate) fn aead_key(&self) -> &[u8; KEY_LEN] {
        &self.key
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MasterKey")
            .field("id", &self.id)
            .field("key", &format_args!("[REDACTED]"))
            .finish()
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// HKDF-SHA256 with a 32-byte output (one expand block):
/// PRK = HMAC(salt, ikm); OKM = HMAC(PRK, info || 0x01).
/// Written over HMAC so it is infallible (ring's `hkdf` API returns `Result`).
fn hkdf_sha256_32(salt: &[u8], ikm: &[u8], info: &[u8]) -> Zeroizing<[u8; 32]> {
    let prk = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, salt), ikm);
    let mut ctx = hmac::Context::with_key(&hmac::Key::new(hmac::HMAC_SHA256, prk.as_ref()));
    ctx.update(info);
    ctx.update(&[1u8]);
    let okm = ctx.sign();
    let mut out = Zeroizing::new([0u8; 32]);
    out.copy_from_slice(okm.as_ref());
    out
}

/// Source of key-encryption keys for [`Envelope`](crate::Envelope).
///
/// This is the seam for an external KMS later: callers only use this trait
/// through `Envelope`. [`Keyring`] is the local implementation.
pub trait KekProvider: Send + Sync {
    /// Id of the KEK that [`KekProvider::wrap`] uses.
    fn active_kek_id(&self) -> &str;
    /// Ids of every KEK this provider can unwrap with: active first, then retired.
    fn kek_ids(&self) -> Vec<String>;
    /// Wraps a data key under the active KEK, returning `(kek_id, wrapped)`.
    fn wrap(&self, dek: &[u8; 32]) -> Result<(String, Vec<u8>), CryptoError>;
    /// Unwraps a data key previously wrapped under `kek_id`.
    fn unwrap(&self, kek_id: &str, wrapped: &[u8]) -> Result<Zeroizing<[u8; 32]>, CryptoError>;
}

impl<P: KekProvider + ?Sized> KekProvider for Arc<P> {
    fn active_kek_id(&self) -> &str {
        (**self).active_kek_id()
    }
    fn kek_ids(&self) -> Vec<String> {
        (**self).kek_ids()
    }
    fn wrap(&self, dek: &[u8; 32]) -> Result<(String, Vec<u8>), CryptoError> {
        (**self).wrap(dek)
    }
    fn unwrap(&self, kek_id: &str, wrapped: &[u8]) -> Result<Zeroizing<[u8; 32]>, CryptoError> {
        (**self).unwrap(kek_id, wrapped)
    }
}

impl<P: KekProvider + ?Sized> KekProvider for Box<P> {
    fn active_kek_id(&self) -> &str {
        (**self).active_kek_id()
    }
    fn kek_ids(&self) -> Vec<String> {
        (**self).kek_ids()
    }
    fn wrap(&self, dek: &[u8; 32]) -> Result<(String, Vec<u8>), CryptoError> {
        (**self).wrap(dek)
    }
    fn unwrap(&self, kek_id: &str, wrapped: &[u8]) -> Result<Zeroizing<[u8; 32]>, CryptoError> {
        (**self).unwrap(kek_id, wrapped)
    }
}

mod keyring;
mod pkcs11;

pub use keyring::{Kek, Keyring};
pub use pkcs11::{TokenConfig, TokenError, TokenKek, TokenSetting};

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests;
