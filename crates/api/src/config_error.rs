//! The error of a wrong setting, shared by the configuration and the certificate loader (which
//! reloads on SIGHUP, long after start-up), so neither imports the other for it.

/// A setting that is wrong, named by its environment variable.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {var}: {message}")]
pub struct ConfigError {
    pub var: &'static str,
    pub message: String,
}
