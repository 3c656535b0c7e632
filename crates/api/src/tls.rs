//! HTTPS: the certificate and key from `CREDVAULT_TLS_CERT`/`CREDVAULT_TLS_KEY`, checked at
//! start-up, served through a resolver whose certificate a SIGHUP swaps without a restart.
//!
//! Nothing here may put key material in an error or a log line: errors about the key file name
//! the file and what is wrong with it, never what it holds.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::ServerConfig;

use crate::config_error::ConfigError;

const CERT_VAR: &str = "CREDVAULT_TLS_CERT";
const KEY_VAR: &str = "CREDVAULT_TLS_KEY";

/// The served certificate and the files it comes from.
pub struct CertStore {
    cert_path: PathBuf,
    key_path: PathBuf,
    current: RwLock<Arc<CertifiedKey>>,
    /// Reloads tried since start-up, that worked and that did not (shown in `/metrics`).
    pub reloaded: AtomicU64,
    pub reload_failed: AtomicU64,
}

impl std::fmt::Debug for CertStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertStore")
            .field("cert_path", &self.cert_path)
            .field("key_path", &self.key_path)
            .finish_non_exhaustive()
    }
}

/// rustls' ring provider with its defaults: TLS 1.3 and 1.2, ECDHE key exchange and AEAD cipher
/// suites only.
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

impl CertStore {
    /// Reads and checks both files; the error names the variable and what to do.
    pub fn load(cert_path: PathBuf, key_path: PathBuf) -> Result<CertStore, ConfigError> {
        let key = certified_key(&cert_path, &key_path)?;
        Ok(CertStore {
            cert_path,
            key_path,
            current: RwLock::new(Arc::new(key)),
            reloaded: AtomicU64::new(0),
            reload_failed: AtomicU64::new(0),
        })
    }

    /// Reads the files again; on any problem the current certificate stays in service.
    pub fn reload(&self) -> Result<(), ConfigError> {
        let key = certified_key(&self.cert_path, &self.key_path).inspect_err(|_| {
            self.reload_failed.fetch_add(1, Ordering::Relaxed);
        })?;
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(key);
        self.reloaded.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    fn current(&self) -> Arc<CertifiedKey> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The server configuration: TLS 1.2 and 1.3, no client certificates, this store's
    /// certificate on every handshake.
    pub fn server_config(self: &Arc<Self>) -> Result<ServerConfig, rustls::Error> {
        Ok(ServerConfig::builder_with_provider(provider())
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
            .with_no_client_auth()
            .with_cert_resolver(self.clone()))
    }
}

impl ResolvesServerCert for CertStore {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current())
    }
}

fn bad(var: &'static str, message: String) -> ConfigError {
    ConfigError { var, message }
}

fn certified_key(cert_path: &Path, key_path: &Path) -> Result<CertifiedKey, ConfigError> {
    let shown = cert_path.display();
    let chain = CertificateDer::pem_file_iter(cert_path)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| match e {
            rustls::pki_types::pem::Error::Io(e) => {
                bad(CERT_VAR, format!("cannot read {shown}: {e}"))
            }
            _ => bad(CERT_VAR, format!("{shown} is not a PEM certificate chain")),
        })?;
    if chain.is_empty() {
        return Err(bad(
            CERT_VAR,
            format!("{shown} holds no PEM certificate (-----BEGIN CERTIFICATE-----)"),
        ));
    }
    check_key_permissions(key_path)?;
    let shown_key = key_path.display();
    // Whatever the parser says about a key file may quote it: say only what kind of problem.
    let key = PrivateKeyDer::from_pem_file(key_path).map_err(|e| match e {
        rustls::pki_types::pem::Error::Io(e) => {
            bad(KEY_VAR, format!("cannot read {shown_key}: {}", e.kind()))
        }
        _ => bad(
            KEY_VAR,
            format!("{shown_key} is not a PEM private key (PKCS#8, PKCS#1 or SEC1)"),
        ),
    })?;
    CertifiedKey::from_der(chain, key, &provider()).map_err(|e| match e {
        rustls::Error::InconsistentKeys(_) => bad(
            KEY_VAR,
            format!("{shown_key} is not the key of the certificate in {shown}"),
        ),
        _ => bad(
            KEY_VAR,
            format!(
                "{shown_key} holds a key rustls cannot use (RSA, ECDSA P-256/P-384 or Ed25519)"
            ),
        ),
    })
}

/// A private key readable by anyone but its owner is refused, as ssh does.
#[cfg(unix)]
fn check_key_permissions(key_path: &Path) -> Result<(), ConfigError> {
    use std::os::unix::fs::PermissionsExt;
    let shown = key_path.display();
    let meta = std::fs::metadata(key_path)
        .map_err(|e| bad(KEY_VAR, format!("cannot read {shown}: {e}")))?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(bad(
            KEY_VAR,
            format!(
                "{shown} is readable by group or others (mode {mode:o}); run `chmod 600 {shown}`"
            ),
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_key_permissions(_key_path: &Path) -> Result<(), ConfigError> {
    Ok(())
}
