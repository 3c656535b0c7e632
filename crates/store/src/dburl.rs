//! `DATABASE_URL` with libpq's TLS parameters and their libpq meaning, so the URL a managed
//! PostgreSQL documents works as it is: `sslmode` (`disable`, `prefer` (the default), `require`,
//! `verify-ca`, `verify-full`), `sslrootcert` (a PEM file, or `system` for the platform's
//! roots), `sslcert` and `sslkey` (a client certificate). tokio-postgres knows only the first
//! three modes and none of the files, so they are taken out of the URL here and become a rustls
//! configuration that every connection uses: the pool's, the resolve writer's and the cache
//! listener's.
//!
//! As in libpq, `prefer` and `require` encrypt without checking who answers, unless a root
//! certificate is given (then they check the chain, as `verify-ca` does); `verify-ca` checks the
//! chain, `verify-full` the chain and the host name.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use rustls::client::danger::ServerCertVerifier;
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ClientConfig, RootCertStore};
use tokio_postgres::config::SslMode as PgSslMode;
pub use tokio_postgres_rustls::MakeRustlsConnect;

mod verify;

use verify::{ChainOnly, Unchecked};

use crate::StoreError;

/// libpq's `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl FromStr for SslMode {
    type Err = StoreError;

    fn from_str(s: &str) -> Result<Self, StoreError> {
        Ok(match s {
            "disable" => SslMode::Disable,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            other => {
                return Err(StoreError::BadUrl(format!(
                    "sslmode={other} is not one of disable, prefer, require, verify-ca, verify-full"
                )))
            }
        })
    }
}

/// Where connections go and how they are encrypted.
#[derive(Clone)]
pub struct Database {
    pub config: tokio_postgres::Config,
    pub mode: SslMode,
    pub tls: MakeRustlsConnect,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The config holds the password: only what is safe to print.
        f.debug_struct("Database")
            .field("hosts", &self.config.get_hosts())
            .field("dbname", &self.config.get_dbname())
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

/// The TLS parameters taken out of a URL.
#[derive(Debug, Default, PartialEq, Eq)]
struct TlsParams {
    sslmode: Option<String>,
    sslrootcert: Option<String>,
    sslcert: Option<String>,
    sslkey: Option<String>,
}

impl TlsParams {
    /// Takes `key`'s value when it is one of ours; says whether it was.
    fn take(&mut self, key: &str, value: String) -> bool {
        let slot = match key {
            "sslmode" => &mut self.sslmode,
            "sslrootcert" => &mut self.sslrootcert,
            "sslcert" => &mut self.sslcert,
            "sslkey" => &mut self.sslkey,
            _ => return false,
        };
        *slot = Some(value);
        true
    }
}

/// Splits the TLS parameters out of a URL (`postgres://…?…`) or a key=value string, leaving the
/// rest for tokio-postgres as it was written.
fn split(url: &str) -> (String, TlsParams) {
    let mut params = TlsParams::default();
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let Some((base, query)) = url.split_once('?') else {
            return (url.to_owned(), params);
        };
        let kept: Vec<&str> = query
            .split('&')
            .filter(|pair| {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                !params.take(k, percent_decode(v))
            })
            .collect();
        let rest = if kept.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        return (rest, params);
    }
    let kept: Vec<String> = key_values(url)
        .into_iter()
        .filter(|(k, v)| !params.take(k, unquote(v)))
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    (kept.join(" "), params)
}

/// `key=value` pairs of a libpq key/value string, values as written (quotes kept).
fn key_values(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let key: String =
            std::iter::from_fn(|| chars.next_if(|c| *c != '=' && !c.is_whitespace())).collect();
        if key.is_empty() {
            return out;
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.next_if_eq(&'=').is_none() {
            out.push((key, String::new()));
            continue;
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'\'').is_some() {
            value.push('\'');
            while let Some(c) = chars.next() {
                value.push(c);
                match c {
                    '\\' => value.extend(chars.next()),
                    '\'' => break,
                    _ => {}
                }
            }
        } else {
            value.extend(std::iter::from_fn(|| chars.next_if(|c| !c.is_whitespace())));
        }
        out.push((key, value));
    }
}

fn unquote(v: &str) -> String {
    match v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) {
        Some(inner) => inner.replace("\\'", "'").replace("\\\\", "\\"),
        None => v.to_owned(),
    }
}

fn percent_decode(v: &str) -> String {
    let bytes = v.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Reads `DATABASE_URL` (its TLS parameters with libpq's meaning) into a connection
/// configuration and the rustls setup every connection uses. Files named in it are read now, so a
/// missing or broken one stops start-up with its name.
pub fn database(url: &str) -> Result<Database, StoreError> {
    let (rest, params) = split(url);
    let mut config =
        tokio_postgres::Config::from_str(&rest).map_err(|e| StoreError::BadUrl(e.to_string()))?;
    let mode = match &params.sslmode {
        Some(m) => m.parse()?,
        None => SslMode::Prefer,
    };
    config.ssl_mode(match mode {
        SslMode::Disable => PgSslMode::Disable,
        SslMode::Prefer => PgSslMode::Prefer,
        SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => PgSslMode::Require,
    });
    let tls = MakeRustlsConnect::new(client_config(mode, &params)?);
    Ok(Database { config, mode, tls })
}

fn tls_error(what: String) -> StoreError {
    StoreError::BadUrl(what)
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The root certificates: the file named, the platform's (`system`), or libpq's default file
/// (`~/.postgresql/root.crt`) when a verifying mode names none.
fn roots(mode: SslMode, rootcert: Option<&str>) -> Result<Option<RootCertStore>, StoreError> {
    let path = match rootcert {
        Some("system") => {
            let found = rustls_native_certs::load_native_certs();
            let mut store = RootCertStore::empty();
            let (added, _) = store.add_parsable_certificates(found.certs);
            if added == 0 {
                return Err(tls_error(
                    "sslrootcert=system: the platform has no root certificates to trust".into(),
                ));
            }
            return Ok(Some(store));
        }
        Some(p) => PathBuf::from(p),
        None => {
            let default = std::env::var_os("HOME")
                .map(|h| Path::new(&h).join(".postgresql/root.crt"))
                .filter(|p| p.exists());
            match (default, mode) {
                (Some(p), SslMode::VerifyCa | SslMode::VerifyFull) => p,
                (None, SslMode::VerifyCa | SslMode::VerifyFull) => {
                    return Err(tls_error(format!(
                        "sslmode={} needs sslrootcert: the CA's certificate as a PEM file, or `system` for the platform's roots",
                        if mode == SslMode::VerifyCa { "verify-ca" } else { "verify-full" }
                    )))
                }
                _ => return Ok(None),
            }
        }
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&path)
        .and_then(|it| it.collect::<Result<_, _>>())
        .map_err(|e| {
            tls_error(format!(
                "sslrootcert {}: not a readable PEM file ({e})",
                path.display()
            ))
        })?;
    let mut store = RootCertStore::empty();
    let (added, _) = store.add_parsable_certificates(certs);
    if added == 0 {
        return Err(tls_error(format!(
            "sslrootcert {}: holds no certificate",
            path.display()
        )));
    }
    Ok(Some(store))
}

fn client_config(mode: SslMode, p: &TlsParams) -> Result<ClientConfig, StoreError> {
    let provider = provider();
    let roots = roots(mode, p.sslrootcert.as_deref())?;
    let verifier: Arc<dyn ServerCertVerifier> = match (mode, roots) {
        (SslMode::VerifyFull, Some(r)) => webpki(r, &provider)?,
        // libpq: with a root certificate, require (and prefer) check the chain as verify-ca does.
        (_, Some(r)) => Arc::new(ChainOnly(webpki(r, &provider)?)),
        (_, None) => Arc::new(Unchecked(provider.clone())),
    };
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_error(format!("TLS: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    match (&p.sslcert, &p.sslkey) {
        (None, None) => Ok(builder.with_no_client_auth()),
        (Some(cert), Some(key)) => {
            let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
                .and_then(|it| it.collect::<Result<_, _>>())
                .map_err(|e| tls_error(format!("sslcert {cert}: not a readable PEM file ({e})")))?;
            // The key's content never goes into an error: only its file name.
            let key = PrivateKeyDer::from_pem_file(key)
                .map_err(|_| tls_error(format!("sslkey {key}: not a readable PEM private key")))?;
            builder.with_client_auth_cert(chain, key).map_err(|e| {
                tls_error(format!(
                    "sslcert/sslkey do not make a client certificate: {e}"
                ))
            })
        }
        _ => Err(tls_error(
            "sslcert and sslkey go together: give both, or neither".into(),
        )),
    }
}

fn webpki(
    roots: RootCertStore,
    provider: &Arc<CryptoProvider>,
) -> Result<Arc<WebPkiServerVerifier>, StoreError> {
    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| tls_error(format!("sslrootcert: {e}")))
}

#[cfg(test)]
mod tests;
