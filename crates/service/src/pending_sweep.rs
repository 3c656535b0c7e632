//! Keeps the partition of unchained audit events small. Every event is inserted there and moved
//! out when the sequencer links it, leaving a dead row behind; until autovacuum comes (at most
//! once a minute per database, later under load), every read of what is unchained (the
//! sequencer's own, and `settle` before each audit read) scans the dead rows too: right after
//! 10M events were chained, each audit read took about 650 ms, 2M about 55 ms. The sequencer has
//! the partition vacuumed after every `SWEEP_EVERY` events it links, and when it has nothing left
//! to link after `SWEEP_IDLE` or more (the end of a backlog: the last up to 50,000 dead rows made
//! each audit read at 10M events 2.4 times as slow as at 100,000), one vacuum at a time, on a
//! pooled connection (it does not wait for it).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use deadpool_postgres::Pool;

/// Events linked between two vacuums of the partition.
const SWEEP_EVERY: u64 = 50_000;
/// Events linked since the last vacuum that make one worth it when the sequencer is idle.
const SWEEP_IDLE: u64 = 5_000;

#[derive(Default)]
pub struct Sweeper {
    linked: u64,
    running: Arc<AtomicBool>,
}

impl Sweeper {
    /// `n` more events were linked: starts a vacuum when it is time and none is running.
    pub fn linked(&mut self, n: usize, pool: &Pool) {
        self.linked += n as u64;
        if self.linked >= SWEEP_EVERY || (n == 0 && self.linked >= SWEEP_IDLE) {
            self.sweep(pool);
        }
    }

    fn sweep(&mut self, pool: &Pool) {
        if self.running.swap(true, Ordering::SeqCst) {
            return;
        }
        self.linked = 0;
        let (pool, running) = (pool.clone(), self.running.clone());
        tokio::spawn(async move {
            let swept = match pool.get().await {
                Ok(c) => credvault_store::audit_chain::vacuum_pending(&c)
                    .await
                    .map_err(anyhow::Error::from),
                Err(e) => Err(e.into()),
            };
            if let Err(e) = swept {
                tracing::warn!(error = %e, "could not vacuum the partition of unchained audit events; autovacuum will");
            }
            running.store(false, Ordering::SeqCst);
        });
    }
}
