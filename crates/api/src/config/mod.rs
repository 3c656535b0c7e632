//! Configuration, from flags or the environment (clap reads both), with `*_FILE` variants for
//! every secret. A wrong or missing setting stops start-up with one line naming the setting.

use std::net::SocketAddr;
use std::path::PathBuf;

use std::sync::Arc;

use credvault_crypto::Keyring;
use credvault_domain::identity::SessionLimits;
use zeroize::Zeroizing;

pub use crate::config_error::ConfigError;

mod events;
mod flags;
mod kek;

pub use events::EventFlags;

pub use flags::{DbFlags, KeyFlags, ServeFlags};
pub use kek::Pkcs11Flags;

fn bad(var: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        var,
        message: message.into(),
    }
}

pub use credvault_service::services::Signup;

/// Validated settings for `serve`.
pub struct Settings {
    pub database_url: String,
    pub db_pool_size: usize,
    pub keyring: Arc<Keyring>,
    pub bind: SocketAddr,
    pub public_url: String,
    pub jwt_secret: Zeroizing<Vec<u8>>,
    pub signup: Signup,
    pub recovery_days: u32,
    /// Days audit events are kept (None: all).
    pub audit_retention_days: Option<u32>,
    pub trusted_proxies: Vec<String>,
    /// The certificate served over HTTPS, when TLS is on.
    pub tls: Option<Arc<crate::tls::CertStore>>,
    pub cors_origins: Vec<String>,
    pub outbound_allow: Vec<String>,
    pub purge_interval: std::time::Duration,
    pub refresh_interval: std::time::Duration,
    pub outbound_timeout: std::time::Duration,
    pub request_timeout: std::time::Duration,
    pub client_timeout: std::time::Duration,
    pub max_connections: usize,
    /// How long sessions last (absolute and idle).
    pub sessions: SessionLimits,
    /// From the shutdown signal to closing the listener (readiness fails meanwhile).
    pub drain_grace: std::time::Duration,
    /// Webhook deliveries and the audit stream.
    pub events: credvault_service::webhooks::EventSettings,
}

/// A secret from its flag/variable or from the file its `_FILE` variant names.
fn secret_value(
    value: &Option<String>,
    file: &Option<PathBuf>,
    var: &'static str,
    file_var: &'static str,
) -> Result<Option<Zeroizing<String>>, ConfigError> {
    match (value, file) {
        (Some(_), Some(_)) => Err(bad(
            var,
            format!("set either {var} or {file_var}, not both"),
        )),
        (Some(v), None) => Ok(Some(Zeroizing::new(v.clone()))),
        (None, Some(path)) => std::fs::read_to_string(path)
            .map(|s| Some(Zeroizing::new(s.trim().to_string())))
            .map_err(|e| bad(file_var, format!("cannot read {}: {e}", path.display()))),
        (None, None) => Ok(None),
    }
}

impl DbFlags {
    pub fn database_url(&self) -> Result<String, ConfigError> {
        let url = secret_value(&self.database_url, &self.database_url_file, "DATABASE_URL", "DATABASE_URL_FILE")?
            .ok_or_else(|| bad("DATABASE_URL", "not set: give a PostgreSQL URL such as postgres://user@localhost:5432/credvault (`make run` starts a private database)"))?;
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(bad(
                "DATABASE_URL",
                "must start with postgres:// or postgresql://",
            ));
        }
        // libpq's TLS parameters included: a missing or broken sslrootcert, sslcert or sslkey
        // file stops start-up here, named.
        credvault_store::pool::config(&url).map_err(|e| match e {
            credvault_store::StoreError::BadUrl(why) => bad("DATABASE_URL", why),
            other => bad("DATABASE_URL", other.to_string()),
        })?;
        // The resolve path's group-commit writer keeps one connection: at least one more must be
        // left for everything else.
        if self.db_pool_size < 2 || self.db_pool_size > 1000 {
            return Err(bad(
                "CREDVAULT_DB_POOL_SIZE",
                "must be between 2 and 1000 (the resolve writer keeps one connection)",
            ));
        }
        Ok(url.to_string())
    }
}

fn list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

impl Settings {
    pub fn load(
        db: &DbFlags,
        keys: &KeyFlags,
        serve: &ServeFlags,
    ) -> Result<Settings, ConfigError> {
        let database_url = db.database_url()?;
        let keys = keys.keys()?;
        let bind: SocketAddr = serve.bind.parse().map_err(|_| {
            bad(
                "CREDVAULT_BIND",
                format!("{:?} is not an address such as 127.0.0.1:8080", serve.bind),
            )
        })?;
        let tls = match (&serve.tls_cert, &serve.tls_key) {
            (Some(c), Some(k)) => {
                Some(Arc::new(crate::tls::CertStore::load(c.clone(), k.clone())?))
            }
            (None, None) => None,
            (Some(_), None) => {
                return Err(bad(
                    "CREDVAULT_TLS_KEY",
                    "must be set together with CREDVAULT_TLS_CERT",
                ))
            }
            (None, Some(_)) => {
                return Err(bad(
                    "CREDVAULT_TLS_CERT",
                    "must be set together with CREDVAULT_TLS_KEY",
                ))
            }
        };
        let public_url = match &serve.public_url {
            Some(u) => {
                let u = u.trim_end_matches('/').to_string();
                if !(u.starts_with("http://") || u.starts_with("https://")) {
                    return Err(bad(
                        "CREDVAULT_PUBLIC_URL",
                        "must be an absolute http(s) URL",
                    ));
                }
                u
            }
            None if tls.is_some() => format!("https://{bind}"),
            None => format!("http://{bind}"),
        };
        let jwt_secret = match secret_value(
            &serve.jwt_secret,
            &serve.jwt_secret_file,
            "CREDVAULT_JWT_SECRET",
            "CREDVAULT_JWT_SECRET_FILE",
        )? {
            Some(s) if s.len() < 32 => {
                return Err(bad(
                    "CREDVAULT_JWT_SECRET",
                    "must be at least 32 characters",
                ))
            }
            Some(s) => Zeroizing::new(s.as_bytes().to_vec()),
            None => match keys.active().master_key() {
                Some(master) => Zeroizing::new(master.derive("credvault jwt v1").to_vec()),
                None => return Err(bad("CREDVAULT_JWT_SECRET", "not set: with CREDVAULT_KEK_PROVIDER=pkcs11 give a secret of at least 32 characters (it cannot be derived from a key in the token)")),
            },
        };
        let keyring = Arc::new(keys);
        let signup = match serve.signup.as_str() {
            "open" => Signup::Open,
            "first" => Signup::First,
            "closed" => Signup::Closed,
            other => {
                return Err(bad(
                    "CREDVAULT_SIGNUP",
                    format!("must be open, first or closed, not {other:?}"),
                ))
            }
        };
        let recovery_days: u32 = serve
            .recovery_days
            .parse()
            .ok()
            .filter(|d| (1..=3650).contains(d))
            .ok_or_else(|| {
                bad(
                    "CREDVAULT_RECOVERY_DAYS",
                    "must be a whole number of days between 1 and 3650",
                )
            })?;
        let trusted_proxies = list(&serve.trusted_proxies);
        for p in &trusted_proxies {
            if !is_ip_or_cidr(p) {
                return Err(bad(
                    "CREDVAULT_TRUSTED_PROXIES",
                    format!("{p:?} is not an IP address or CIDR"),
                ));
            }
        }
        let cors_origins = list(&serve.cors_origins);
        for o in &cors_origins {
            if o == "*"
                || !(o.starts_with("http://") || o.starts_with("https://"))
                || o.ends_with('/')
            {
                return Err(bad("CREDVAULT_CORS_ORIGINS", format!("{o:?} is not an origin such as https://app.example.com (no wildcard, no path)")));
            }
        }
        let outbound_allow = list(&serve.outbound_allow);
        for a in &outbound_allow {
            let host_like = !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
            if !(is_ip_or_cidr(a) || host_like) {
                return Err(bad("CREDVAULT_OUTBOUND_ALLOW", format!("{a:?} is neither a host name nor an address or CIDR block such as 10.0.0.0/8")));
            }
        }
        let request_timeout = std::time::Duration::from_secs(whole(
            &serve.request_timeout_secs,
            1..=3600,
            "CREDVAULT_REQUEST_TIMEOUT_SECS",
            "seconds",
        )?);
        let client_timeout = std::time::Duration::from_secs(whole(
            &serve.client_timeout_secs,
            1..=300,
            "CREDVAULT_CLIENT_TIMEOUT_SECS",
            "seconds",
        )?);
        let max_connections = whole(
            &serve.max_connections,
            1..=1_000_000,
            "CREDVAULT_MAX_CONNECTIONS",
            "connections",
        )? as usize;
        let sessions = SessionLimits::hours(
            whole(
                &serve.session_max_age_hours,
                1..=87_600,
                "CREDVAULT_SESSION_MAX_AGE_HOURS",
                "hours",
            )?,
            whole(
                &serve.session_idle_hours,
                1..=87_600,
                "CREDVAULT_SESSION_IDLE_HOURS",
                "hours",
            )?,
        );
        let drain_grace = std::time::Duration::from_millis(whole(
            &serve.drain_grace_ms,
            0..=60_000,
            "CREDVAULT_DRAIN_GRACE_MS",
            "milliseconds",
        )?);
        let audit_retention_days = match serve.audit_retention_days.trim() {
            "" => None,
            days => Some(whole(days, 1..=36_500, "CREDVAULT_AUDIT_RETENTION_DAYS", "days")? as u32),
        };
        Ok(Settings {
            audit_retention_days,
            database_url,
            db_pool_size: db.db_pool_size,
            keyring,
            bind,
            public_url,
            jwt_secret,
            signup,
            recovery_days,
            trusted_proxies,
            tls,
            cors_origins,
            outbound_allow,
            purge_interval: std::time::Duration::from_secs(serve.purge_interval_secs.max(1)),
            refresh_interval: std::time::Duration::from_secs(serve.refresh_interval_secs.max(1)),
            outbound_timeout: std::time::Duration::from_secs(
                serve.outbound_timeout_secs.clamp(1, 120),
            ),
            request_timeout,
            client_timeout,
            max_connections,
            sessions,
            drain_grace,
            events: serve.events.settings()?,
        })
    }
}

/// A whole number within `range`, or an error naming the variable and the range.
fn whole(
    value: &str,
    range: std::ops::RangeInclusive<u64>,
    var: &'static str,
    unit: &str,
) -> Result<u64, ConfigError> {
    value
        .trim()
        .parse::<u64>()
        .ok()
        .filter(|v| range.contains(v))
        .ok_or_else(|| {
            bad(
                var,
                format!(
                    "must be a whole number of {unit} between {} and {}, not {value:?}",
                    range.start(),
                    range.end()
                ),
            )
        })
}

fn is_ip_or_cidr(s: &str) -> bool {
    let (ip, prefix) = match s.split_once('/') {
        Some((ip, p)) => (ip, Some(p)),
        None => (s, None),
    };
    let Ok(ip) = ip.parse::<std::net::IpAddr>() else {
        return false;
    };
    let max = if ip.is_ipv4() { 32 } else { 128 };
    prefix.is_none_or(|p| p.parse::<u8>().is_ok_and(|p| p <= max))
}

#[cfg(test)]
mod tests;
