//! Black-box tests of the credvault HTTP API: one test binary, a real PostgreSQL, each test with
//! its own database made from a migrated template.

mod access_table;
mod audit;
mod canary;
mod commands;
mod compliance;
mod container;
mod credentials;
mod dbtls;
mod edge;
mod helpers;
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
mod receiver;
mod refresher;
mod runtime;
mod sessions;
mod signin;
mod stream;
mod tamper;
mod tls;
mod webhooks;
