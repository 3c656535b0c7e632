//! A key-encryption key in a PKCS#11 token (a hardware security module, or SoftHSM2): an
//! AES-256 key generated inside the token, sensitive and not extractable, that wraps and unwraps
//! data keys with CKM_AES_GCM (C_Encrypt / C_Decrypt over the 32 DEK bytes, a fresh random IV
//! each time, the same associated data as a local wrap). The key never leaves the token.
//!
//! Sessions come from a pool: a PKCS#11 session serves one operation at a time, and the resolve
//! path unwraps a data key per request on every worker thread at once. The pool opens sessions
//! as they are needed, up to its size, and keeps them; a caller finding every one busy waits.

use std::fmt;
use std::path::PathBuf;
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as P11Error, RvError};
use cryptoki::mechanism::aead::GcmParams;
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::Session;
use cryptoki::slot::Slot;
use secrecy::SecretString;
use zeroize::Zeroizing;

use crate::aead::{KEY_LEN, NONCE_LEN, TAG_LEN};
use crate::token::fill_random;
use crate::CryptoError;

/// How long an operation waits for a free session before it fails.
const SESSION_WAIT: Duration = Duration::from_secs(10);

/// Where the key is and how to reach it.
pub struct TokenConfig {
    /// The PKCS#11 module (shared library), e.g. `/usr/lib/softhsm/libsofthsm2.so`.
    pub module: PathBuf,
    /// The label of the token (C_GetTokenInfo), surrounding spaces ignored.
    pub token_label: String,
    /// The user PIN.
    pub pin: SecretString,
    /// The label (CKA_LABEL) of the AES-256 key.
    pub key_label: String,
    /// Most sessions open at once: as many as operations that may run at the same time.
    pub sessions: usize,
}

/// Which setting a [`TokenError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSetting {
    /// The module path.
    Module,
    /// The token label.
    TokenLabel,
    /// The PIN.
    Pin,
    /// The key label.
    KeyLabel,
}

/// Why the token key cannot be used, naming the setting at fault. Never carries the PIN.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct TokenError {
    /// The setting at fault.
    pub setting: TokenSetting,
    /// One line for the operator.
    pub message: String,
}

fn fail(setting: TokenSetting, message: impl Into<String>) -> TokenError {
    TokenError {
        setting,
        message: message.into(),
    }
}

/// The PKCS#11 return value's name (e.g. `PinIncorrect`), short enough for one line.
fn rv(e: &P11Error) -> String {
    match e {
        P11Error::Pkcs11(rv, function) => format!("{function}: {rv:?}"),
        other => other.to_string(),
    }
}

/// An AES-256 key in a PKCS#11 token and a pool of logged-in sessions to use it. `Debug` shows
/// its id only.
pub struct TokenKek {
    id: String,
    ctx: Pkcs11,
    slot: Slot,
    key: ObjectHandle,
    pin: SecretString,
    /// Kept open, never used: while an application has a session, the token keeps it logged in
    /// and its object handles valid (SoftHSM2 drops both when the last session closes).
    _anchor: Mutex<Session>,
    pool: Mutex<Pool>,
    freed: Condvar,
    size: usize,
}

impl TokenKek {
    /// Loads the module, finds the token, logs in and finds the key (which must be an AES-256
    /// key that is not extractable), then wraps and unwraps a random key once to prove it works.
    pub fn open(config: TokenConfig) -> Result<TokenKek, TokenError> {
        let (ctx, slot, session) = Self::log_in(&config, false)?;
        let key = find_key(&session, &config)?
            .ok_or_else(|| fail(TokenSetting::KeyLabel, format!(
                "no AES key labelled {:?} in token {:?}: create it with `credvault keys init-pkcs11`",
                config.key_label, config.token_label
            )))?;
        let kek = Self::from_parts(ctx, slot, key, session, config);
        kek.self_test()?;
        Ok(kek)
    }

    /// Generates the key inside the token (CKA_SENSITIVE, not CKA_EXTRACTABLE, a token object)
    /// unless one with its label exists, then opens it as [`TokenKek::open`] does. Returns the
    /// key and whether it was created now.
    pub fn create(config: TokenConfig) -> Result<(TokenKek, bool), TokenError> {
        let (ctx, slot, session) = Self::log_in(&config, true)?;
        let (key, created) = match find_key(&session, &config)? {
            Some(key) => (key, false),
            None => {
                let template = [
                    Attribute::Class(ObjectClass::SECRET_KEY),
                    Attribute::KeyType(KeyType::AES),
                    Attribute::ValueLen(32.into()),
                    Attribute::Token(true),
                    Attribute::Private(true),
                    Attribute::Sensitive(true),
                    Attribute::Extractable(false),
                    Attribute::Encrypt(true),
                    Attribute::Decrypt(true),
                    Attribute::Wrap(false),
                    Attribute::Unwrap(false),
                    Attribute::Label(config.key_label.as_bytes().to_vec()),
                ];
                let key = session
                    .generate_key(&Mechanism::AesKeyGen, &template)
                    .map_err(|e| {
                        fail(
                            TokenSetting::KeyLabel,
                            format!("the token cannot generate an AES-256 key: {}", rv(&e)),
                        )
                    })?;
                (key, true)
            }
        };
        let kek = Self::from_parts(ctx, slot, key, session, config);
        kek.self_test()?;
        Ok((kek, created))
    }

    fn from_parts(
        ctx: Pkcs11,
        slot: Slot,
        key: ObjectHandle,
        session: Session,
        config: TokenConfig,
    ) -> TokenKek {
        TokenKek {
            id: format!("pkcs11:{}:{}", config.token_label, config.key_label),
            ctx,
            slot,
            key,
            pin: config.pin,
            _anchor: Mutex::new(session),
            pool: Mutex::new(Pool {
                idle: Vec::new(),
                open: 0,
            }),
            freed: Condvar::new(),
            size: config.sessions.max(1),
        }
    }

    fn log_in(config: &TokenConfig, rw: bool) -> Result<(Pkcs11, Slot, Session), TokenError> {
        let module = config.module.display();
        let ctx = Pkcs11::new(&config.module).map_err(|e| {
            fail(
                TokenSetting::Module,
                format!("cannot load the PKCS#11 module {module}: {e}"),
            )
        })?;
        match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
            Ok(()) | Err(P11Error::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
            Err(e) => {
                return Err(fail(
                    TokenSetting::Module,
                    format!(
                        "the PKCS#11 module {module} failed to initialize: {}",
                        rv(&e)
                    ),
                ))
            }
        }
        let slots = ctx.get_slots_with_initialized_token().map_err(|e| {
            fail(
                TokenSetting::Module,
                format!("the PKCS#11 module {module} lists no slots: {}", rv(&e)),
            )
        })?;
        let mut labels = Vec::new();
        let mut found = None;
        for slot in slots {
            if let Ok(info) = ctx.get_token_info(slot) {
                let label = info.label().trim().to_string();
                if label == config.token_label.trim() && found.is_none() {
                    found = Some(slot);
                }
                labels.push(label);
            }
        }
        let slot = found.ok_or_else(|| {
            fail(
                TokenSetting::TokenLabel,
                format!(
                    "no initialized token labelled {:?} in {module} (tokens there: {labels:?})",
                    config.token_label
                ),
            )
        })?;
        let session = open_session(&ctx, slot, &config.pin, rw).map_err(|e| match e {
            P11Error::Pkcs11(
                RvError::PinIncorrect | RvError::PinInvalid | RvError::PinLenRange,
                _,
            ) => fail(TokenSetting::Pin, "the token refused the PIN"),
            P11Error::Pkcs11(RvError::PinLocked, _) => fail(
                TokenSetting::Pin,
                "the token's user PIN is locked (too many wrong PINs)",
            ),
            e => fail(
                TokenSetting::TokenLabel,
                format!(
                    "cannot log in to token {:?}: {}",
                    config.token_label,
                    rv(&e)
                ),
            ),
        })?;
        Ok((ctx, slot, session))
    }

    fn self_test(&self) -> Result<(), TokenError> {
        let mut probe = Zeroizing::new([0u8; KEY_LEN]);
        let aad = b"credvault pkcs11 self-test";
        let check = fill_random(&mut probe[..])
            .and_then(|()| self.wrap(&probe, aad))
            .and_then(|wrapped| self.unwrap(&wrapped, aad));
        match check {
            Ok(back) if *back == *probe => Ok(()),
            Ok(_) => Err(fail(
                TokenSetting::KeyLabel,
                "the key does not give back what it wrapped",
            )),
            Err(e) => Err(fail(
                TokenSetting::KeyLabel,
                format!("the key cannot wrap data keys with AES-GCM: {e}"),
            )),
        }
    }

    /// `pkcs11:<token label>:<key label>`: the id stored beside each data key it wraps.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Wraps a data key: IV (12 random bytes) || AES-256-GCM ciphertext || 16-byte tag, by the
    /// token.
    pub(crate) fn wrap(&self, dek: &[u8; KEY_LEN], aad: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut iv = [0u8; NONCE_LEN];
        fill_random(&mut iv)?;
        let mut param_iv = iv;
        let sealed = self.with_session(|s| {
            let params = GcmParams::new(&mut param_iv, aad, (TAG_LEN as u64 * 8).into())?;
            s.encrypt(&Mechanism::AesGcm(params), self.key, dek)
        })?;
        if sealed.len() != KEY_LEN + TAG_LEN {
            return Err(CryptoError::Token(format!(
                "AES-GCM gave {} bytes for a 32-byte key",
                sealed.len()
            )));
        }
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&iv);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// A 32-byte subkey for `label`, computed by the token and the same every time: AES-256-GCM
    /// of 32 zero bytes under the token's key with an IV taken from SHA-256 of the label (one IV
    /// per label, and a label always encrypts the same bytes, so no IV is reused with other
    /// data; a random wrap IV meeting one of them is a 2^-96 chance), then HKDF-SHA256 of what
    /// the token gave with the label as info. Only the subkey leaves the token, never its key.
    pub(crate) fn derive(&self, label: &str) -> Result<Zeroizing<[u8; KEY_LEN]>, CryptoError> {
        let digest = crate::sha256(format!("credvault token derive iv v1|{label}").as_bytes());
        let mut iv = [0u8; NONCE_LEN];
        iv.copy_from_slice(&digest[..NONCE_LEN]);
        let aad = format!("credvault token derive v1|{label}");
        let stream = Zeroizing::new(self.with_session(|s| {
            let params = GcmParams::new(&mut iv, aad.as_bytes(), (TAG_LEN as u64 * 8).into())?;
            s.encrypt(&Mechanism::AesGcm(params), self.key, &[0u8; KEY_LEN])
        })?);
        Ok(super::hkdf_sha256_32(&[], &stream, label.as_bytes()))
    }

    /// Unwraps what [`TokenKek::wrap`] gave, by the token. A wrong key, IV, tag or AAD is
    /// [`CryptoError::Decrypt`].
    pub(crate) fn unwrap(
        &self,
        wrapped: &[u8],
        aad: &[u8],
    ) -> Result<Zeroizing<[u8; KEY_LEN]>, CryptoError> {
        let (iv, sealed) = wrapped.split_at(NONCE_LEN.min(wrapped.len()));
        let mut param_iv = [0u8; NONCE_LEN];
        if iv.len() != NONCE_LEN {
            return Err(CryptoError::Malformed("wrapped data key must be 60 bytes"));
        }
        param_iv.copy_from_slice(iv);
        let plain = Zeroizing::new(self.with_session(|s| {
            let params = GcmParams::new(&mut param_iv, aad, (TAG_LEN as u64 * 8).into())?;
            s.decrypt(&Mechanism::AesGcm(params), self.key, sealed)
        })?);
        if plain.len() != KEY_LEN {
            return Err(CryptoError::Malformed("wrapped data key must be 60 bytes"));
        }
        let mut dek = Zeroizing::new([0u8; KEY_LEN]);
        dek.copy_from_slice(&plain);
        Ok(dek)
    }
}

impl fmt::Debug for TokenKek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenKek")
            .field("id", &self.id)
            .field("sessions", &self.size)
            .finish()
    }
}

mod find;
mod pool;

use find::find_key;
use pool::{open_session, Pool};

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests;
