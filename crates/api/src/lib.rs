//! The credvault HTTP service: handlers, extractors, problem+json errors, the OpenAPI document,
//! configuration, start-up and background workers.
//!
//! A handler reads like a paragraph: extract the caller, call one store/service function, map to
//! a response. This crate never writes SQL (that is `credvault-store`) and never lets a secret
//! reach a log line, an error body or an audit event.

// ApiError carries its field list and cause to the one place that renders it; it is built at most
// once per request, so its size costs nothing measurable and boxing it would only add noise.
#![allow(clippy::result_large_err)]

// The service layer's modules, under the names the API has always used for them.
pub use credvault_service::{
    audit, audit_checkpoint, cache, chain_keys, credentials, idempotency, jwt, keys, net, oauth,
    outbound, principal, shares, signin, token_refresh, usage,
};

pub mod audit_cli;
pub mod auth;
pub mod cli;
pub mod config;
pub mod config_error;
pub mod cors;
pub mod edge;
pub mod error;
pub mod extract;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod request_id;
pub mod routes;
mod stale;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod tls;
mod workers;
