//! Master keys (key-encryption keys), the keyring, and the [`KekProvider`]
//! seam through which an external KMS can later replace it.

use std::fmt;
use std::sync::Arc;

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use ring::hmac;
use secrecy::SecretString;
use zeroize::Zeroizing;

use crate::aead::{self, KEY_LEN, NONCE_LEN, TAG_LEN};
use crate::token::fill_random;
use crate::{CryptoError, KeyError};

/// Length of a wrapped data key: nonce || encrypted DEK || tag.
pub(crate) const WRAPPED_DEK_LEN: usize = NONCE_LEN + KEY_LEN + TAG_LEN;

/// Domain-separation prefix of the AAD used when wrapping a DEK.
const DEK_AAD_PREFIX: &[u8] = b"credvault dek v1|";
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

    fn aead_key(&self) -> &[u8; KEY_LEN] {
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

/// Local keyring: one active master key that wraps new data keys, plus
/// retired keys that can still unwrap old ones (until they are rewrapped).
///
/// Wrapped DEK format: 12-byte random nonce || AES-256-GCM(kek, dek,
/// aad = `"credvault dek v1|" + kek_id`) — 32 bytes of ciphertext plus a
/// 16-byte tag, 60 bytes in all. `Debug` shows only key ids.
pub struct Keyring {
    active: MasterKey,
    retired: Vec<MasterKey>,
}

impl Keyring {
    /// A keyring that wraps under `active` and can also unwrap under each of
    /// `retired`. Retired keys equal to the active key, or repeated, are dropped.
    pub fn new(active: MasterKey, retired: Vec<MasterKey>) -> Self {
        let mut kept: Vec<MasterKey> = Vec::with_capacity(retired.len());
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

    /// The active master key (e.g. to [`MasterKey::derive`] subkeys from it).
    pub fn active(&self) -> &MasterKey {
        &self.active
    }

    /// A 32-byte subkey for `label` from the key `kek_id` of this keyring, active or retired
    /// ([`MasterKey::derive`]); None when the keyring lacks it. The audit chain's keys come from
    /// here, so a provider whose keys never leave it only has to answer this.
    pub fn derive_from(&self, kek_id: &str, label: &str) -> Option<Zeroizing<[u8; 32]>> {
        self.find(kek_id).map(|k| k.derive(label))
    }

    fn find(&self, kek_id: &str) -> Option<&MasterKey> {
        std::iter::once(&self.active)
            .chain(self.retired.iter())
            .find(|k| k.id() == kek_id)
    }
}

fn dek_aad(kek_id: &str) -> Vec<u8> {
    [DEK_AAD_PREFIX, kek_id.as_bytes()].concat()
}

impl KekProvider for Keyring {
    fn active_kek_id(&self) -> &str {
        self.active.id()
    }

    fn kek_ids(&self) -> Vec<String> {
        std::iter::once(&self.active)
            .chain(self.retired.iter())
            .map(|k| k.id().to_owned())
            .collect()
    }

    fn wrap(&self, dek: &[u8; 32]) -> Result<(String, Vec<u8>), CryptoError> {
        let kek = &self.active;
        let mut nonce = [0u8; NONCE_LEN];
        fill_random(&mut nonce)?;
        // nonce || dek, encrypted in place; zeroized if anything fails.
        let mut out = Zeroizing::new(Vec::with_capacity(WRAPPED_DEK_LEN));
        out.extend_from_slice(&nonce);
        out.extend_from_slice(dek);
        let tag = aead::seal_in_place_detached(
            kek.aead_key(),
            &nonce,
            &dek_aad(kek.id()),
            &mut out[NONCE_LEN..],
        )?;
        out.extend_from_slice(&tag);
        Ok((kek.id().to_owned(), std::mem::take(&mut *out)))
    }

    fn unwrap(&self, kek_id: &str, wrapped: &[u8]) -> Result<Zeroizing<[u8; 32]>, CryptoError> {
        if wrapped.len() != WRAPPED_DEK_LEN {
            return Err(CryptoError::Malformed("wrapped data key must be 60 bytes"));
        }
        let kek = self
            .find(kek_id)
            .ok_or_else(|| CryptoError::UnknownKek(kek_id.to_owned()))?;
        let (nonce, sealed) = wrapped.split_at(NONCE_LEN);
        let mut buf = Zeroizing::new(sealed.to_vec());
        let plain = aead::open_in_place(kek.aead_key(), nonce, &dek_aad(kek.id()), &mut buf)?;
        if plain.len() != KEY_LEN {
            return Err(CryptoError::Malformed("wrapped data key must be 60 bytes"));
        }
        let mut dek = Zeroizing::new([0u8; KEY_LEN]);
        dek.copy_from_slice(plain);
        Ok(dek)
    }
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let retired: Vec<&str> = self.retired.iter().map(MasterKey::id).collect();
        f.debug_struct("Keyring")
            .field("active", &self.active.id())
            .field("retired", &retired)
            .finish()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests;
