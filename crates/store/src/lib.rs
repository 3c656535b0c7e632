//! PostgreSQL persistence for credvault: the connection pool, the migration runner and the
//! repositories. SQL lives here, next to the function that runs it, and nowhere else.
//!
//! Store functions take `&impl GenericClient` so that callers decide the transaction; this crate
//! never decides what an HTTP response looks like and never sees a plaintext secret.

pub mod audit;
pub mod audit_chain;
pub mod audit_partitions;
pub mod cache_changes;
pub mod credentials;
pub mod dburl;
pub mod identity;
pub mod keys;
pub mod migrate;
pub mod oauth;
pub mod pool;
pub mod sso;
pub mod webhooks;
pub mod workflows;

pub use deadpool_postgres::{GenericClient, Pool};
pub use pool::{connect, StoreError};
