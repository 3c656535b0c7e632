//! The service layer of credvault: what it does, without HTTP. The API crate extracts a request,
//! calls one service and presents the answer; this crate owns the rules' effects (transactions,
//! audit, sealing, outbound calls, caches) and speaks in its own error, [`ServiceError`], which
//! the API turns into problem+json in one place.
//!
//! It must never depend on a web framework (actix-web, utoipa): a test of the workspace's layout
//! checks its `Cargo.toml`.

pub mod audit;
pub mod audit_archive;
pub mod audit_chain;
pub mod audit_checkpoint;
pub mod audit_hub;
pub mod audit_log;
pub mod audit_retention;
pub mod audit_stream;
pub mod audit_tail;
pub mod audit_verify;
pub mod authn;
pub mod cache;
mod cache_lag;
pub mod chain_keys;
pub mod connect;
pub mod credentials;
pub mod error;
pub mod fields;
pub mod idempotency;
pub mod identity;
pub mod jwt;
pub mod keys;
pub mod net;
pub mod oauth;
pub mod outbound;
pub mod page;
mod pending_sweep;
pub mod principal;
pub mod reports;
pub mod resolve;
pub mod sequencer;
pub mod services;
pub mod shares;
pub mod signin;
pub mod sso;
pub mod teams;
pub mod token_refresh;
pub mod tokens;
pub mod usage;
pub mod webhooks;
pub mod workflows;

pub use error::ServiceError;
pub use principal::Principal;
pub use services::Services;
