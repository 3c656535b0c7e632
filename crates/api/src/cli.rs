//! The `credvault` command line.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::{DbFlags, KeyFlags, Pkcs11Flags, ServeFlags};

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
    /// Key management: rotate the master key, see which key wraps how many data keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// The audit log, without a running server.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Print the OpenAPI 3.1 document of the HTTP API (what openapi/openapi.json holds).
    Openapi {
        /// Write to this file instead of stdout
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// Re-wrap every stored data key under the active master key, online and in batches.
    ///
    /// To rotate: make a new key (`credvault keys generate`), start every instance with it as
    /// CREDVAULT_MASTER_KEY and the old one in CREDVAULT_RETIRED_KEYS, then run this. It is safe to
    /// run while servers serve, and to run again after an interruption: it resumes. When
    /// `keys status` shows 0 for the old key, drop it from CREDVAULT_RETIRED_KEYS.
    ///
    /// Into a PKCS#11 token: CREDVAULT_KEK_PROVIDER=pkcs11 with the CREDVAULT_PKCS11_* settings
    /// and the master key kept for unwrapping. Back out of it: CREDVAULT_KEK_PROVIDER=local with
    /// the master key and the CREDVAULT_PKCS11_* settings kept for unwrapping.
    Rotate {
        #[command(flatten)]
        db: DbFlags,
        #[command(flatten)]
        keys: KeyFlags,
        /// Data keys re-wrapped per transaction
        #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(i64).range(1..=100_000))]
        batch_size: i64,
    },
    /// Print how many data keys each key-encryption key wraps.
    Status {
        #[command(flatten)]
        db: DbFlags,
        #[command(flatten)]
        keys: KeyFlags,
    },
    /// Print a new random master key (base64 of 32 bytes).
    Generate,
    /// Generate the AES-256 key of CREDVAULT_PKCS11_KEY_LABEL inside the PKCS#11 token
    /// (sensitive, not extractable: it never leaves the token); nothing happens if it exists.
    #[command(name = "init-pkcs11")]
    InitPkcs11 {
        #[command(flatten)]
        pkcs11: Pkcs11Flags,
    },
}

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Recompute the hash chain of one workspace (or of every one), with progress on stderr.
    /// Exits non-zero and prints the first bad sequence number when a chain is broken.
    Verify {
        #[command(flatten)]
        db: DbFlags,
        /// The keyring the server runs with: the chain is keyed with keys derived from it
        #[command(flatten)]
        keys: KeyFlags,
        /// Only this workspace
        #[arg(long)]
        workspace: Option<uuid::Uuid>,
        /// Check an archive written by `audit archive` in this folder instead (offline: no
        /// database)
        #[arg(long)]
        archive: Option<PathBuf>,
    },
    /// Write every month of audit events that ended by a date as NDJSON, each with a manifest of
    /// signed per-workspace checkpoints (`<partition>.ndjson`, `<partition>.checkpoint.json`).
    Archive {
        #[command(flatten)]
        db: DbFlags,
        #[command(flatten)]
        keys: KeyFlags,
        /// Months ending on or before this day (YYYY-MM-DD, UTC)
        #[arg(long)]
        before: chrono::NaiveDate,
        /// The folder to write to (created if missing)
        #[arg(long)]
        out: PathBuf,
    },
}
