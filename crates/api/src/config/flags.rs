//! The settings as the command line and the environment give them (clap reads both), before
//! any check; `Debug` prints every secret among them as `[REDACTED]`.

use std::path::PathBuf;

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

/// The master key and the retired keys kept for unwrapping, and the key provider.
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
    /// Which key wraps new data keys: local (the master key; default) or pkcs11 (a key in a
    /// PKCS#11 token, see CREDVAULT_PKCS11_*)
    #[arg(long, env = "CREDVAULT_KEK_PROVIDER")]
    pub kek_provider: Option<String>,
    #[command(flatten)]
    pub pkcs11: super::Pkcs11Flags,
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
    /// Days audit events are kept: older months are dropped whole, after a checkpoint event
    /// (empty: keep all)
    #[arg(long, env = "CREDVAULT_AUDIT_RETENTION_DAYS", default_value = "")]
    pub audit_retention_days: String,
    #[command(flatten)]
    pub events: super::events::EventFlags,
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
            audit_retention_days: String::new(),
            events: Default::default(),
        }
    }
}

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
            .field("kek_provider", &self.kek_provider)
            .field("pkcs11", &self.pkcs11)
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
            audit_retention_days,
            events,
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
            .field("audit_retention_days", audit_retention_days)
            .field("events", events)
            .finish()
    }
}
