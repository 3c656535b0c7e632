//! The connection pool.

use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, QueueMode, RecyclingMethod, Runtime};

pub use crate::dburl::Database;

/// Errors of the store, with the database's own error kept as the source for the log.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("DATABASE_URL is not a valid PostgreSQL connection string: {0}")]
    BadUrl(String),
    #[error("cannot build the connection pool: {0}")]
    Pool(String),
    #[error("no database connection available")]
    Unavailable(#[from] deadpool_postgres::PoolError),
    #[error("database error")]
    Db(#[from] tokio_postgres::Error),
    #[error("migration {version} ({name}) failed")]
    Migration {
        version: i32,
        name: &'static str,
        #[source]
        source: tokio_postgres::Error,
    },
}

impl StoreError {
    /// The SQLSTATE of a database error, when there is one.
    pub fn sqlstate(&self) -> Option<&str> {
        match self {
            StoreError::Db(e) | StoreError::Migration { source: e, .. } => {
                e.code().map(|c| c.code())
            }
            StoreError::Unavailable(deadpool_postgres::PoolError::Backend(e)) => {
                e.code().map(|c| c.code())
            }
            _ => None,
        }
    }

    /// The constraint a database error names, when it names one.
    pub fn constraint(&self) -> Option<&str> {
        match self {
            StoreError::Db(e) => e.as_db_error().and_then(|d| d.constraint()),
            _ => None,
        }
    }

    /// True when the database could not be reached (as opposed to refusing a statement).
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Unavailable(_) => true,
            // Connection exceptions (08), operator intervention such as a server shutdown or a
            // terminated backend (57), and insufficient resources (53) are outages, not bugs.
            StoreError::Db(e) => {
                let class = e.code().map(|c| &c.code()[..2]);
                let lost = e.code().is_none() && {
                    let m = e.to_string();
                    m.contains("communicating")
                        || m.contains("connect")
                        || m.contains("closed")
                        || m.contains("timed out")
                };
                e.is_closed() || lost || matches!(class, Some("08" | "57" | "53"))
            }
            _ => false,
        }
    }
}

/// The connection settings every connection uses: `database_url`'s, with defaults for what it
/// leaves out. Over TCP (on Linux), data left unacknowledged for 15 s closes the connection, and
/// an idle one is probed after 60 s, every 5 s: a connection cut off without a reset (a partition,
/// a lost NAT entry) errors within 15 s when in use and about 75 s when idle, instead of after the
/// kernel's retries, about 15 minutes, or its first probe, after two hours.
/// TLS as `dburl` reads it from the URL.
pub fn config(database_url: &str) -> Result<Database, StoreError> {
    let mut db = crate::dburl::database(database_url)?;
    let pg = &mut db.config;
    if pg.get_connect_timeout().is_none() {
        pg.connect_timeout(Duration::from_secs(5));
    }
    if pg.get_application_name().is_none() {
        pg.application_name("credvault");
    }
    if pg.get_tcp_user_timeout().is_none() {
        pg.tcp_user_timeout(Duration::from_secs(15));
    }
    if pg.get_keepalives_idle() == Duration::from_secs(2 * 60 * 60) {
        // tokio-postgres's default, the kernel's: two hours.
        pg.keepalives_idle(Duration::from_secs(60));
    }
    if pg.get_keepalives_interval().is_none() {
        // The kernel's 75 s between probes would let a dead idle connection live 135 s.
        pg.keepalives_interval(Duration::from_secs(5));
    }
    Ok(db)
}

/// A pool of up to `max_size` connections to `database_url`. Connections are opened lazily, and
/// one found closed when it is next handed out is replaced, so a database restart heals by itself.
/// The most recently returned connection is handed out first: under load the same few backends
/// stay busy and warm (the resolve bench ran 14-17 % faster than with the default
/// first-in-first-out order, which cycles through every connection).
pub fn connect(database_url: &str, max_size: usize) -> Result<Pool, StoreError> {
    let db = config(database_url)?;
    let manager = Manager::from_config(
        db.config,
        db.tls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(max_size)
        .runtime(Runtime::Tokio1)
        .queue_mode(QueueMode::Lifo)
        .wait_timeout(Some(Duration::from_secs(5)))
        .create_timeout(Some(Duration::from_secs(5)))
        .recycle_timeout(Some(Duration::from_secs(2)))
        .build()
        .map_err(|e| StoreError::Pool(e.to_string()))
}

/// Drops the pool's idle connections, so the next ones are opened afresh. For when a connection
/// hung: the idle ones were likely cut off by the same fault, and the pool hands them out without
/// a check (a read on one would hang for its request's whole timeout). On a false alarm it costs
/// a reconnect each.
pub fn forget_idle(pool: &Pool) {
    pool.retain(|_, _| false);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_give_up_on_a_silent_peer_unless_the_url_says_otherwise() {
        let c = config("postgres://app@db.internal:5432/credvault")
            .expect("parses")
            .config;
        assert_eq!(c.get_tcp_user_timeout(), Some(&Duration::from_secs(15)));
        assert_eq!(c.get_keepalives_idle(), Duration::from_secs(60));
        assert_eq!(c.get_keepalives_interval(), Some(Duration::from_secs(5)));
        assert_eq!(c.get_connect_timeout(), Some(&Duration::from_secs(5)));
        assert_eq!(c.get_application_name(), Some("credvault"));
        let c = config("postgres://app@db.internal/credvault?tcp_user_timeout=40&keepalives_idle=300&keepalives_interval=20&connect_timeout=9&application_name=mine")
            .expect("parses")
            .config;
        assert_eq!(c.get_tcp_user_timeout(), Some(&Duration::from_secs(40)));
        assert_eq!(c.get_keepalives_idle(), Duration::from_secs(300));
        assert_eq!(c.get_keepalives_interval(), Some(Duration::from_secs(20)));
        assert_eq!(c.get_connect_timeout(), Some(&Duration::from_secs(9)));
        assert_eq!(c.get_application_name(), Some("mine"));
        assert!(matches!(
            config("postgres://app@/db?port=x"),
            Err(StoreError::BadUrl(_))
        ));
    }
}
