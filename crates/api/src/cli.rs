//! The `credvault` command line.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::{DbFlags, KeyFlags, ServeFlags};

/// credvault: credential management for workflow automation.
///
/// Every flag can also be given as the environment variable shown beside it; secrets have a
/// `*_FILE` variant that reads the value from a file. Logs go to stderr, filtered by RUST_LOG
/// (default: info) in the format of CREDVAULT_LOG_FORMAT (json | pretty; default: pretty on a
/// terminal, json otherwise).
#[derive(Parser, Debug)]
#[command(name = "credvault", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
#[allow(clippy::large_enum_variant)] // parsed once at start-up
pub enum Command {
    /// Serve the HTTP API: applies pending migrations, then listens on CREDVAULT_BIND
    /// (default 127.0.0.1:8080) until SIGINT or SIGTERM, when it drains in-flight requests.
    Serve {
        #[command(flatten)]
        db: DbFlags,
        #[command(flatten)]
        keys: KeyFlags,
        #[command(flatten)]
        serve: ServeFlags,
    },
    /// Apply pending database migrations and exit (safe to run from several places at once:
    /// migrations run under an advisory lock).
    Migrate {
        #[command(flatten)]
        db: DbFlags,
    },
    /// Print the OpenAPI 3.1 document of the HTTP API (what openapi/openapi.json holds).
    Openapi {
        /// Write to this file instead of stdout
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}
