//! The key-encryption keys: `CREDVAULT_KEK_PROVIDER` says which one wraps new data keys, the
//! local master key (`local`, the default) or an AES-256 key in a PKCS#11 token (`pkcs11`).
//! Every key that is configured unwraps what it wrapped before, so a keyring can hold both while
//! `credvault keys rotate` moves data keys from one to the other, in either direction.

use std::path::PathBuf;

use credvault_crypto::{Kek, Keyring, MasterKey, TokenConfig, TokenKek, TokenSetting};
use secrecy::SecretString;

use super::{bad, secret_value, ConfigError, KeyFlags};

/// Where the PKCS#11 token and its key are. Needed with `CREDVAULT_KEK_PROVIDER=pkcs11`; with
/// `local`, giving them adds the token's key for unwrapping only (to move data keys back).
#[derive(clap::Args, Clone, Default)]
pub struct Pkcs11Flags {
    /// The PKCS#11 module (shared library), e.g. /usr/lib/softhsm/libsofthsm2.so
    #[arg(long, env = "CREDVAULT_PKCS11_MODULE")]
    pub pkcs11_module: Option<PathBuf>,
    /// The label of the token that holds the key
    #[arg(long, env = "CREDVAULT_PKCS11_TOKEN_LABEL")]
    pub pkcs11_token_label: Option<String>,
    /// The token's user PIN (prefer the _FILE variant)
    #[arg(long, env = "CREDVAULT_PKCS11_PIN", hide_env_values = true)]
    pub pkcs11_pin: Option<String>,
    /// File holding the token's user PIN
    #[arg(long, env = "CREDVAULT_PKCS11_PIN_FILE")]
    pub pkcs11_pin_file: Option<PathBuf>,
    /// The label of the AES-256 key in the token (`credvault keys init-pkcs11` creates it)
    #[arg(long, env = "CREDVAULT_PKCS11_KEY_LABEL")]
    pub pkcs11_key_label: Option<String>,
}

impl std::fmt::Debug for Pkcs11Flags {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pkcs11Flags")
            .field("pkcs11_module", &self.pkcs11_module)
            .field("pkcs11_token_label", &self.pkcs11_token_label)
            .field(
                "pkcs11_pin",
                &self.pkcs11_pin.as_ref().map(|_| "[REDACTED]"),
            )
            .field("pkcs11_pin_file", &self.pkcs11_pin_file)
            .field("pkcs11_key_label", &self.pkcs11_key_label)
            .finish()
    }
}

/// The variable a token failure is about.
fn token_var(setting: TokenSetting) -> &'static str {
    match setting {
        TokenSetting::Module => "CREDVAULT_PKCS11_MODULE",
        TokenSetting::TokenLabel => "CREDVAULT_PKCS11_TOKEN_LABEL",
        TokenSetting::Pin => "CREDVAULT_PKCS11_PIN",
        TokenSetting::KeyLabel => "CREDVAULT_PKCS11_KEY_LABEL",
    }
}

/// PKCS#11 sessions: one per HTTP worker (each may unwrap a data key at any moment) and a few
/// for background jobs and key rotation.
fn pool_size() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()) + 4
}

impl Pkcs11Flags {
    fn any(&self) -> bool {
        self.pkcs11_module.is_some()
            || self.pkcs11_token_label.is_some()
            || self.pkcs11_pin.is_some()
            || self.pkcs11_pin_file.is_some()
            || self.pkcs11_key_label.is_some()
    }

    /// The token settings, each required.
    pub fn config(&self) -> Result<TokenConfig, ConfigError> {
        fn need<T: Clone>(v: &Option<T>, var: &'static str, what: &str) -> Result<T, ConfigError> {
            v.clone().ok_or_else(|| bad(var, format!("not set: give {what} (CREDVAULT_KEK_PROVIDER=pkcs11 and `keys init-pkcs11` need it)")))
        }
        let module = need(
            &self.pkcs11_module,
            "CREDVAULT_PKCS11_MODULE",
            "the path of the PKCS#11 library, e.g. /usr/lib/softhsm/libsofthsm2.so",
        )?;
        let token_label = need(
            &self.pkcs11_token_label,
            "CREDVAULT_PKCS11_TOKEN_LABEL",
            "the label of the token",
        )?;
        let pin = secret_value(&self.pkcs11_pin, &self.pkcs11_pin_file, "CREDVAULT_PKCS11_PIN", "CREDVAULT_PKCS11_PIN_FILE")?
            .ok_or_else(|| bad("CREDVAULT_PKCS11_PIN", "not set: give the token's user PIN, or a file holding it in CREDVAULT_PKCS11_PIN_FILE"))?;
        let key_label = need(
            &self.pkcs11_key_label,
            "CREDVAULT_PKCS11_KEY_LABEL",
            "the label of the AES-256 key in the token",
        )?;
        for (var, v) in [
            ("CREDVAULT_PKCS11_TOKEN_LABEL", &token_label),
            ("CREDVAULT_PKCS11_KEY_LABEL", &key_label),
        ] {
            if v.trim().is_empty() || v.contains(':') {
                return Err(bad(var, "must be a non-empty label without ':'"));
            }
        }
        Ok(TokenConfig {
            module,
            token_label,
            pin: SecretString::from(pin.to_string()),
            key_label,
            sessions: pool_size(),
        })
    }

    /// Logs in to the token and finds its key; a failure names the variable at fault.
    pub fn open(&self) -> Result<TokenKek, ConfigError> {
        TokenKek::open(self.config()?).map_err(|e| bad(token_var(e.setting), e.message))
    }

    /// Creates the key in the token unless it exists (`keys init-pkcs11`); true when created.
    pub fn create(&self) -> Result<(TokenKek, bool), ConfigError> {
        TokenKek::create(self.config()?).map_err(|e| bad(token_var(e.setting), e.message))
    }
}

impl KeyFlags {
    /// The local keys: the master key (required with the local provider) and the retired ones.
    fn local_keys(
        &self,
        required: bool,
    ) -> Result<(Option<MasterKey>, Vec<MasterKey>), ConfigError> {
        let active = match secret_value(&self.master_key, &self.master_key_file, "CREDVAULT_MASTER_KEY", "CREDVAULT_MASTER_KEY_FILE")? {
            Some(raw) => Some(MasterKey::from_base64(&raw).map_err(|e| bad("CREDVAULT_MASTER_KEY", e.to_string()))?),
            None if required => return Err(bad("CREDVAULT_MASTER_KEY", "not set: give base64 of 32 random bytes (e.g. `openssl rand -base64 32`) or a file in CREDVAULT_MASTER_KEY_FILE")),
            None => None,
        };
        let retired_raw = secret_value(
            &self.retired_keys,
            &self.retired_keys_file,
            "CREDVAULT_RETIRED_KEYS",
            "CREDVAULT_RETIRED_KEYS_FILE",
        )?;
        let mut retired = Vec::new();
        if let Some(raw) = retired_raw {
            for (i, part) in raw
                .split([',', '\n'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .enumerate()
            {
                let key = MasterKey::from_base64(part)
                    .map_err(|e| bad("CREDVAULT_RETIRED_KEYS", format!("key #{}: {e}", i + 1)))?;
                retired.push(key);
            }
        }
        Ok((active, retired))
    }

    /// The keyring: the provider's key wraps; every other key given unwraps.
    pub fn keys(&self) -> Result<Keyring, ConfigError> {
        match self.kek_provider.as_deref().map(str::trim) {
            None | Some("" | "local") => {
                let (active, retired) = self.local_keys(true)?;
                let active = active.ok_or_else(|| bad("CREDVAULT_MASTER_KEY", "not set"))?;
                let mut others: Vec<Kek> = retired.into_iter().map(Kek::Local).collect();
                if self.pkcs11.any() {
                    others.push(Kek::Token(std::sync::Arc::new(self.pkcs11.open()?)));
                }
                Ok(Keyring::from_keks(Kek::Local(active), others))
            }
            Some("pkcs11") => {
                let token = self.pkcs11.open()?;
                let (active, retired) = self.local_keys(false)?;
                let others = active.into_iter().chain(retired).map(Kek::Local).collect();
                Ok(Keyring::from_keks(
                    Kek::Token(std::sync::Arc::new(token)),
                    others,
                ))
            }
            Some(other) => Err(bad(
                "CREDVAULT_KEK_PROVIDER",
                format!("must be local or pkcs11, not {other:?}"),
            )),
        }
    }
}
