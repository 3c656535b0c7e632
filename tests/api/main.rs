//! Black-box tests of the credvault HTTP API: one test binary, a real PostgreSQL, each test with
//! its own database made from a migrated template.

mod access_table;
mod audit;
mod audit_chain;
mod audit_keyed;
mod audit_months;
mod canary;
mod commands;
mod compliance;
mod container;
mod credentials;
mod dbtls;
mod edge;
mod helpers;
mod hsm;
mod identity;
mod insiders;
mod isolation;
mod keys;
mod layout;
mod migrations;
mod oauth;
mod openapi;
mod ops;
mod process;
mod promise_support;
mod promises;
mod refresher;
mod runtime;
mod sessions;
mod signin;
mod sso;
mod tamper;
mod tls;
mod vault;
