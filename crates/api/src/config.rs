//! Configuration, from flags or the environment (clap reads both), with `*_FILE` variants for
//! every secret. A wrong or missing setting stops start-up with one line naming the setting.

use std::net::SocketAddr;
use std::path::PathBuf;

use std::sync::Arc;

use credvault_crypto::{Keyring, MasterKey};
use credvault_domain::identity::SessionLimits;
use zeroize::Zeroizing;

pub use crate::config_error::ConfigError;

/// What a secret setting shows in `Debug` (a log line or a panic message) instead of its value:
/// the database URL (it may carry a password), the master keys and the JWT secret.
fn redacted<T>(v: &Option<T>) -> Option<&'static str> {
    v.as_ref().map(|_| "[REDACTED]")
}

impl std::fmt::Debug for DbFlags {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbFlags")
            .field("database_url", &redacted(&self.database_url))
            .field("database_url_file", &self.database_url_file)
            .field("db_pool_size", &self.db_pool_size)
            .finish()
    }
}

impl std::fmt::Debug for KeyFlags {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyFlags")
            .field("master_key", &redacted(&self.master_key))
            .field("master_key_file", &self.master_key_file)
            .field("retired_keys", &redacted(&self.retired_keys))
            .field("retired_keys_file", &self.retired_keys_file)
            .finish()
    }
}

impl std::fmt::Debug for ServeFlags {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Every field (the defaults test compares this text), the JWT secret redacted.
        let ServeFlags {
            bind,
            public_url,
            jwt_secret,
            jwt_secret_file,
            signup,
            recovery_days,
            trusted_proxies,
            tls_cert,
            tls_key,
            cors_origins,
            outbound_allow,
            purge_interval_secs,
            refresh_interval_secs,
            outbound_timeout_secs,
            request_timeout_secs,
            client_timeout_secs,
            max_connections,
            session_max_age_hours,
            session_idle_hours,
            drain_grace_ms,
        } = self;
        f.debug_struct("ServeFlags")
            .field("bind", bind)
            .field("public_url", public_url)
            .field("jwt_secret", &redacted(jwt_secret))
            .field("jwt_secret_file", jwt_secret_file)
            .field("signup", signup)
            .field("recovery_days", recovery_days)
            .field("trusted_proxies", trusted_proxies)
            .field("tls_cert", tls_cert)
            .field("tls_key", tls_key)
            .field("cors_origins", cors_origins)
            .field("outbound_allow", outbound_allow)
            .field("purge_interval_secs", purge_interval_secs)
            .field("refresh_interval_secs", refresh_interval_secs)
            .field("outbound_timeout_secs", outbound_timeout_secs)
            .field("request_timeout_secs", request_timeout_secs)
            .field("client_timeout_secs", client_timeout_secs)
            .field("max_connections", max_connections)
            .field("session_max_age_hours", session_max_age_hours)
            .field("session_idle_hours", session_idle_hours)
            .field("drain_grace_ms", drain_grace_ms)
            .finish()
    }
}

fn bad(var: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        var,
        message: message.into(),
    }
}

/// Where the database is. Shared by every subcommand that touches it.
#[derive(clap::Args, Clone, Default)]
pub struct DbFlags {
    /// PostgreSQL URL, e.g. postgres://user:pass@host:5432/credvault (`make run` sets up a private one)
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// File holding the PostgreSQL URL (instead of DATABASE_URL)
    #[arg(long, env = "DATABASE_URL_FILE")]
    pub database_url_file: Option<PathBuf>,
    /// Maximum database connections per process, 2 to 1000 (one is kept by the resolve audit writer)
    #[arg(long, env = "CREDVAULT_DB_POOL_SIZE", default_value_t = 32)]
    pub db_pool_size: usize,
}

/// The master key and the retired keys kept for unwrapping.
#[derive(clap::Args, Clone, Default)]
pub struct KeyFlags {
    /// Base64 of 32 random bytes: the active key-encryption key (prefer the _FILE variant)
    #[arg(long, env = "CREDVAULT_MASTER_KEY", hide_env_values = true)]
    pub master_key: Option<String>,
    /// File holding the master key
    #[arg(long, env = "CREDVAULT_MASTER_KEY_FILE")]
    pub master_key_file: Option<PathBuf>,
    /// Comma-separated base64 keys kept only to unwrap data keys wrapped before a rotation
    #[arg(long, env = "CREDVAULT_RETIRED_KEYS", hide_env_values = true)]
    pub retired_keys: Option<String>,
    /// File holding the retired keys (comma- or newline-separated)
    #[arg(long, env = "CREDVAULT_RETIRED_KEYS_FILE")]
    pub retired_keys_file: Option<PathBuf>,
}

/// Everything `serve` needs beyond the database and the keys.
#[derive(clap::Args, Clone)]
pub struct ServeFlags {
    /// Address to listen on
    #[arg(long, env = "CREDVAULT_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// The URL clients reach this service at (default: http:// + bind address, https:// with TLS)
    #[arg(long, env = "CREDVAULT_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Secret for signing session tokens (default: derived from the master key)
    #[arg(long, env = "CREDVAULT_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// File holding the JWT secret
    #[arg(long, env = "CREDVAULT_JWT_SECRET_FILE")]
    pub jwt_secret_file: Option<PathBuf>,
    /// Who may create a workspace: open, first (only while none exists) or closed
    #[arg(long, env = "CREDVAULT_SIGNUP", default_value = "first")]
    pub signup: String,
    /// Days a deleted credential can be restored before it is purged
    #[arg(long, env = "CREDVAULT_RECOVERY_DAYS", default_value = "30")]
    pub recovery_days: String,
    /// Comma-separated proxy addresses or CIDRs whose X-Forwarded-For is trusted
    #[arg(long, env = "CREDVAULT_TRUSTED_PROXIES", default_value = "")]
    pub trusted_proxies: String,
    /// PEM certificate chain: serve HTTPS (with CREDVAULT_TLS_KEY); SIGHUP reloads both files
    #[arg(long, env = "CREDVAULT_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for CREDVAULT_TLS_CERT (must not be readable by group or others)
    #[arg(long, env = "CREDVAULT_TLS_KEY")]
    pub tls_key: Option<PathBuf>,
    /// Comma-separated browser origins allowed by CORS (scheme://host[:port])
    #[arg(long, env = "CREDVAULT_CORS_ORIGINS", default_value = "")]
    pub cors_origins: String,
    /// Comma-separated hosts or CIDRs outbound calls may reach although private or loopback
    #[arg(long, env = "CREDVAULT_OUTBOUND_ALLOW", default_value = "")]
    pub outbound_allow: String,
    /// Seconds between runs of the purge of deleted credentials past their recovery window
    #[arg(long, env = "CREDVAULT_PURGE_INTERVAL_SECS", default_value_t = 60)]
    pub purge_interval_secs: u64,
    /// Seconds between runs of the background OAuth2 refresher (tokens nearing expiry of
    /// credentials used in the last 30 days)
    #[arg(long, env = "CREDVAULT_REFRESH_INTERVAL_SECS", default_value_t = 15)]
    pub refresh_interval_secs: u64,
    /// Total seconds an outbound call (connection test, token endpoint) may take
    #[arg(long, env = "CREDVAULT_OUTBOUND_TIMEOUT_SECS", default_value_t = 15)]
    pub outbound_timeout_secs: u64,
    /// Seconds a request may take, body included, before it is answered 503 `timeout`
    #[arg(long, env = "CREDVAULT_REQUEST_TIMEOUT_SECS", default_value = "30")]
    pub request_timeout_secs: String,
    /// Seconds a client has to send a request's headers (slow clients are cut off)
    #[arg(long, env = "CREDVAULT_CLIENT_TIMEOUT_SECS", default_value = "10")]
    pub client_timeout_secs: String,
    /// Connections served at once; further ones wait in the listen backlog
    #[arg(long, env = "CREDVAULT_MAX_CONNECTIONS", default_value = "10000")]
    pub max_connections: String,
    /// Hours a session lasts from sign-in, however active (then sign in again)
    #[arg(long, env = "CREDVAULT_SESSION_MAX_AGE_HOURS", default_value = "720")]
    pub session_max_age_hours: String,
    /// Hours a session lasts without a refresh
    #[arg(long, env = "CREDVAULT_SESSION_IDLE_HOURS", default_value = "168")]
    pub session_idle_hours: String,
    /// Milliseconds between SIGINT/SIGTERM and closing the listener, while `/readyz` answers 503
    /// so that load balancers stop sending; in-flight requests then have up to 10 s
    #[arg(long, env = "CREDVAULT_DRAIN_GRACE_MS", default_value = "100")]
    pub drain_grace_ms: String,
}

impl Default for ServeFlags {
    fn default() -> Self {
        ServeFlags {
            bind: "127.0.0.1:8080".into(),
            public_url: None,
            jwt_secret: None,
            jwt_secret_file: None,
            signup: "first".into(),
            recovery_days: "30".into(),
            trusted_proxies: String::new(),
            tls_cert: None,
            tls_key: None,
            cors_origins: String::new(),
            outbound_allow: String::new(),
            purge_interval_secs: 60,
            refresh_interval_secs: 15,
            outbound_timeout_secs: 15,
            request_timeout_secs: "30".into(),
            client_timeout_secs: "10".into(),
            max_connections: "10000".into(),
            session_max_age_hours: "720".into(),
            session_idle_hours: "168".into(),
            drain_grace_ms: "100".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signup {
    Open,
    First,
    Closed,
}

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
}

pub struct Keys {
    pub active: MasterKey,
    pub retired: Vec<MasterKey>,
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

impl Keys {
    pub fn into_keyring(self) -> Keyring {
        Keyring::new(self.active, self.retired)
    }
}

impl KeyFlags {
    pub fn keys(&self) -> Result<Keys, ConfigError> {
        let active = secret_value(&self.master_key, &self.master_key_file, "CREDVAULT_MASTER_KEY", "CREDVAULT_MASTER_KEY_FILE")?
            .ok_or_else(|| bad("CREDVAULT_MASTER_KEY", "not set: give base64 of 32 random bytes (e.g. `openssl rand -base64 32`) or a file in CREDVAULT_MASTER_KEY_FILE"))?;
        let active = MasterKey::from_base64(&active)
            .map_err(|e| bad("CREDVAULT_MASTER_KEY", e.to_string()))?;
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
        Ok(Keys { active, retired })
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
            None => Zeroizing::new(keys.active.derive("credvault jwt v1").to_vec()),
        };
        let keyring = Arc::new(keys.into_keyring());
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
        Ok(Settings {
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
mod tests {
    use super::*;

    const KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="; // 32 ASCII bytes

    fn flags() -> (DbFlags, KeyFlags, ServeFlags) {
        (
            DbFlags {
                database_url: Some("postgres://u@localhost/db".into()),
                db_pool_size: 4,
                ..Default::default()
            },
            KeyFlags {
                master_key: Some(KEY.into()),
                ..Default::default()
            },
            ServeFlags::default(),
        )
    }

    fn err_of(db: DbFlags, k: KeyFlags, s: ServeFlags) -> String {
        match Settings::load(&db, &k, &s) {
            Ok(_) => panic!("expected a configuration error"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn a_pool_must_leave_a_connection_beside_the_resolve_writer() {
        for bad_size in [0, 1, 1001] {
            let (mut d, k, s) = flags();
            d.db_pool_size = bad_size;
            let e = err_of(d, k, s);
            assert!(
                e.contains("CREDVAULT_DB_POOL_SIZE") && e.contains("between 2 and 1000"),
                "{e}"
            );
        }
        let (mut d, k, s) = flags();
        d.db_pool_size = 2;
        assert!(Settings::load(&d, &k, &s).is_ok());
    }

    #[test]
    fn defaults_load() {
        let (d, k, s) = flags();
        let settings = Settings::load(&d, &k, &s).expect("valid");
        assert_eq!(settings.public_url, "http://127.0.0.1:8080");
        assert_eq!(settings.signup, Signup::First);
        assert_eq!(settings.recovery_days, 30);
        assert_eq!(settings.jwt_secret.len(), 32);
        assert_eq!(settings.request_timeout.as_secs(), 30);
        assert_eq!(settings.client_timeout.as_secs(), 10);
        assert_eq!(settings.max_connections, 10_000);
        assert!(settings.tls.is_none());
    }

    /// `ServeFlags::default()` is what clap gives with no flag and no variable set.
    #[test]
    fn serve_flag_defaults_match_the_command_line() {
        use clap::{CommandFactory, FromArgMatches};
        #[derive(clap::Parser)]
        struct Cmd {
            #[command(flatten)]
            serve: ServeFlags,
        }
        // The defaults as the command line has them, with the environment taken out of the
        // parser (so a CREDVAULT_* set where the tests run cannot stand in for a default).
        let matches = Cmd::command()
            .mut_args(|a| a.env(None::<&'static str>))
            .get_matches_from(["serve"]);
        let parsed = Cmd::from_arg_matches(&matches).expect("parses").serve;
        assert_eq!(
            format!("{parsed:?}"),
            format!("{:?}", ServeFlags::default())
        );
    }

    #[test]
    fn secret_settings_print_redacted() {
        let db = DbFlags {
            database_url: Some("postgres://app:hunter2-db-password@db/credvault".into()),
            ..Default::default()
        };
        let keys = KeyFlags {
            master_key: Some("bWFzdGVyLWtleS1zZWNyZXQtdmFsdWUtMzItYnl0ZXM=".into()),
            retired_keys: Some("cmV0aXJlZC1rZXktc2VjcmV0LXZhbHVlLTMyLWJ5dGU=".into()),
            ..Default::default()
        };
        let serve = ServeFlags {
            jwt_secret: Some("jwt-secret-value-of-forty-characters-xx".into()),
            ..Default::default()
        };
        let text = format!("{db:?} {keys:?} {serve:?}");
        for secret in [
            "hunter2-db-password",
            "bWFzdGVyLWtleS1zZWNyZXQt",
            "cmV0aXJlZC1rZXkt",
            "jwt-secret-value",
        ] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert!(text.contains("[REDACTED]") && text.contains("db_pool_size"));
        let settings = Settings::load(&db, &keys, &serve);
        assert!(!format!("{:?}", settings.err()).contains("hunter2"));
    }

    #[test]
    fn each_bad_setting_names_its_variable() {
        let (d, k, s) = flags();
        assert!(err_of(
            DbFlags {
                database_url: None,
                ..d.clone()
            },
            k.clone(),
            s.clone()
        )
        .contains("DATABASE_URL: not set"));
        assert!(err_of(d.clone(), KeyFlags::default(), s.clone())
            .contains("CREDVAULT_MASTER_KEY: not set"));
        let short = err_of(
            d.clone(),
            KeyFlags {
                master_key: Some("c2hvcnQ=".into()),
                ..Default::default()
            },
            s.clone(),
        );
        assert!(short.contains("CREDVAULT_MASTER_KEY") && !short.contains("c2hvcnQ"));
        assert!(err_of(
            d.clone(),
            k.clone(),
            ServeFlags {
                signup: "maybe".into(),
                ..s.clone()
            }
        )
        .contains("CREDVAULT_SIGNUP"));
        assert!(err_of(
            d.clone(),
            k.clone(),
            ServeFlags {
                bind: "nowhere".into(),
                ..s.clone()
            }
        )
        .contains("CREDVAULT_BIND"));
        assert!(err_of(
            d.clone(),
            k.clone(),
            ServeFlags {
                recovery_days: "0".into(),
                ..s.clone()
            }
        )
        .contains("CREDVAULT_RECOVERY_DAYS"));
        assert!(err_of(
            d.clone(),
            k.clone(),
            ServeFlags {
                trusted_proxies: "10.0.0.0/33".into(),
                ..s.clone()
            }
        )
        .contains("CREDVAULT_TRUSTED_PROXIES"));
        assert!(err_of(
            d.clone(),
            k.clone(),
            ServeFlags {
                cors_origins: "*".into(),
                ..s.clone()
            }
        )
        .contains("CREDVAULT_CORS_ORIGINS"));
        assert!(err_of(
            d.clone(),
            k.clone(),
            ServeFlags {
                jwt_secret: Some("short".into()),
                ..s.clone()
            }
        )
        .contains("CREDVAULT_JWT_SECRET"));
        for (flags, var) in [
            (
                ServeFlags {
                    request_timeout_secs: "0".into(),
                    ..s.clone()
                },
                "CREDVAULT_REQUEST_TIMEOUT_SECS",
            ),
            (
                ServeFlags {
                    client_timeout_secs: "ten".into(),
                    ..s.clone()
                },
                "CREDVAULT_CLIENT_TIMEOUT_SECS",
            ),
            (
                ServeFlags {
                    max_connections: "0".into(),
                    ..s.clone()
                },
                "CREDVAULT_MAX_CONNECTIONS",
            ),
            (
                ServeFlags {
                    tls_key: Some("/nonexistent/key.pem".into()),
                    ..s.clone()
                },
                "CREDVAULT_TLS_CERT",
            ),
        ] {
            let e = err_of(d.clone(), k.clone(), flags);
            assert!(
                e.starts_with(&format!("configuration error: {var}: ")),
                "{e}"
            );
            assert_eq!(e.lines().count(), 1, "{e}");
        }
        assert!(err_of(
            d,
            k,
            ServeFlags {
                tls_cert: Some("c.pem".into()),
                ..s
            }
        )
        .contains("CREDVAULT_TLS_KEY"));
    }

    #[test]
    fn secrets_can_come_from_files() {
        let dir = std::env::temp_dir().join(format!("credvault-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("tmp");
        let path = dir.join("key");
        std::fs::write(&path, format!("{KEY}\n")).expect("write");
        let (d, _, s) = flags();
        let k = KeyFlags {
            master_key_file: Some(path.clone()),
            ..Default::default()
        };
        assert!(Settings::load(&d, &k, &s).is_ok());
        let both = KeyFlags {
            master_key: Some(KEY.into()),
            master_key_file: Some(path),
            ..Default::default()
        };
        assert!(err_of(d, both, s).contains("not both"));
        let _ = std::fs::remove_dir_all(dir);
    }
}
