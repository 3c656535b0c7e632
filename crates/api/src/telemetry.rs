//! Structured logs (`CREDVAULT_LOG_FORMAT=json|pretty`, filtered by `RUST_LOG`) and a panic hook
//! that logs where a panic happened.

use tracing_subscriber::EnvFilter;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Pretty,
}

impl LogFormat {
    /// `CREDVAULT_LOG_FORMAT`, defaulting to pretty on a terminal and JSON elsewhere.
    pub fn from_env() -> Result<LogFormat, crate::config_error::ConfigError> {
        match std::env::var("CREDVAULT_LOG_FORMAT").ok().as_deref() {
            Some("json") => Ok(LogFormat::Json),
            Some("pretty") => Ok(LogFormat::Pretty),
            None | Some("") => {
                use std::io::IsTerminal;
                Ok(if std::io::stderr().is_terminal() {
                    LogFormat::Pretty
                } else {
                    LogFormat::Json
                })
            }
            Some(other) => Err(crate::config_error::ConfigError {
                var: "CREDVAULT_LOG_FORMAT",
                message: format!("must be json or pretty, not {other:?}"),
            }),
        }
    }
}

pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,actix_server=warn,tokio_postgres=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
        LogFormat::Pretty => builder.compact().try_init(),
    };
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()));
        tracing::error!(
            location = location.as_deref().unwrap_or("unknown"),
            "panic while serving a request"
        );
    }));
}
