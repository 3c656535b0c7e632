//! Requests and the chain. A request answers at its commit (no second flush on its path): it
//! wakes the sequencer to chain its events and, first, announces the cache invalidations its
//! transactions wrote to every instance itself (`record`), so no instance's cache serves what it
//! changed once it has answered, whether or not the sequencer is keeping up. A read of the audit
//! log `settle`s first, waiting for the events its workspace committed before it, so `/v1/audit`
//! reads its own writes. The chain keeps the order of the answers: an event inserted after
//! another's request answered has a higher insertion number, and the sequencer links committed
//! events in insertion order. Background work that must see its events chained (retention's
//! checkpoint, resolve's metric) `collect`s and `wait`s.
//!
//! Events waited for are registered by their insertion number (`ord`) when their insert returns,
//! before the transaction commits. The sequencer of this instance, when it links a batch, clears
//! them here and wakes the waiters. Events linked by another instance, linked before they were
//! registered (`settle`), or rolled back are learnt of from the database, asked on a schedule (an
//! insertion number that is no longer unchained is linked or was never committed).

use std::collections::HashSet;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use deadpool_postgres::Pool;
use tokio::sync::Notify;

/// How long a waiter waits for events to be chained before it gives up (they are committed; the
/// chain catches up).
const CHAIN_WAIT: Duration = Duration::from_secs(5);
/// The first re-check in the database when this instance is not the sequencer, and when it is.
/// Events waited for with `wait` were registered before their transaction committed, so this
/// instance's sequencer, which reads only committed events, says when it links them: the
/// database is asked only in case it lost its lock meanwhile (under a resolve load a check after
/// 40 ms asked once per batch, 8 % of PostgreSQL's time on a 2-core machine).
const FIRST_CHECK_REMOTE: Duration = Duration::from_millis(3);
const FIRST_CHECK_LOCAL: Duration = Duration::from_millis(1000);
const LAST_CHECK_INTERVAL: Duration = Duration::from_millis(100);
/// A read waits for at most this many of its workspace's unchained events (the oldest: the
/// sequencer links in insertion order, so the rest are linked by then too, or nearly).
const SETTLE_AT_MOST: i64 = 10_000;

tokio::task_local! {
    /// The events recorded by the work running in `ChainWatch::record`, `scope` or `collect`.
    static TICKET: Arc<Ticket>;
}

/// The insertion numbers recorded inside one `record`, `scope` or `collect`.
struct Ticket {
    watch: Arc<ChainWatch>,
    /// Whether its events are waited for (`collect`), so the sequencer must say when they are
    /// chained.
    register: bool,
    ords: Mutex<Vec<i64>>,
    /// The transactions that recorded them (which wrote its cache invalidations, if any).
    xids: Mutex<Vec<i64>>,
}

pub struct ChainWatch {
    pool: Pool,
    /// Recorded here, not yet known to be chained.
    waiting: Mutex<HashSet<i64>>,
    changed: Notify,
    /// True while this instance holds the sequencer.
    local: AtomicBool,
    /// Wakes this instance's sequencer (while it holds it).
    pending: Notify,
    /// Asks for a NOTIFY that wakes the sequencer of another instance (see `sequencer`).
    remote: Notify,
}

impl ChainWatch {
    pub fn new(pool: Pool) -> Arc<ChainWatch> {
        Arc::new(ChainWatch {
            pool,
            waiting: Mutex::new(HashSet::new()),
            changed: Notify::new(),
            local: AtomicBool::new(false),
            pending: Notify::new(),
            remote: Notify::new(),
        })
    }

    /// Runs `work` (a request), which answers at its commit, and wakes the sequencer for the
    /// events it recorded. With `announce`, the cache invalidations written by the transactions
    /// that recorded them are first announced to every instance (`cache_changes::announce`), so
    /// no cache serves what the request changed once it has answered; should that fail, it waits
    /// until its events are chained (the sequencer announces them with its batch). A read of the
    /// audit log `settle`s first, so it sees these events either way.
    pub async fn record<F: Future>(self: &Arc<Self>, work: F, announce: bool) -> F::Output {
        let (out, ords, xids) = self.run(work, false).await;
        if ords.is_empty() {
            return out;
        }
        self.wake();
        if announce && !self.announce(&xids).await {
            self.waiting
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .extend(ords.iter().copied());
            self.wait_checking(&ords, FIRST_CHECK_REMOTE).await;
        }
        out
    }

    async fn announce(&self, xids: &[i64]) -> bool {
        match self.pool.get().await {
            Ok(c) => credvault_store::cache_changes::announce(&c, crate::cache::CHANNEL, xids)
                .await
                .inspect_err(|e| tracing::warn!(error = %e, "could not announce a change's cache invalidations; waiting for the audit sequencer to"))
                .is_ok(),
            Err(_) => false,
        }
    }

    /// Runs `work` and gives back its output and the insertion numbers of the events it
    /// recorded (registered here: wait for them with `wait`).
    pub async fn collect<F: Future>(self: &Arc<Self>, work: F) -> (F::Output, Vec<i64>) {
        let (out, ords, _) = self.run(work, true).await;
        (out, ords)
    }

    async fn run<F: Future>(
        self: &Arc<Self>,
        work: F,
        register: bool,
    ) -> (F::Output, Vec<i64>, Vec<i64>) {
        let ticket = Arc::new(Ticket {
            watch: self.clone(),
            register,
            ords: Mutex::new(Vec::new()),
            xids: Mutex::new(Vec::new()),
        });
        let out = TICKET.scope(ticket.clone(), work).await;
        let ords = std::mem::take(&mut *ticket.ords.lock().unwrap_or_else(|e| e.into_inner()));
        let xids = std::mem::take(&mut *ticket.xids.lock().unwrap_or_else(|e| e.into_inner()));
        (out, ords, xids)
    }

    pub(crate) fn set_local(&self, local: bool) {
        self.local.store(local, Ordering::SeqCst);
    }

    /// Events were committed: wakes the sequencer, in this process when it runs here, else through
    /// the database. Wake-ups that come while one is on its way are folded into the next.
    pub(crate) fn wake(&self) {
        if self.local.load(Ordering::SeqCst) {
            self.pending.notify_one();
        } else {
            self.remote.notify_one();
        }
    }

    /// Resolves when `wake` was called while this instance holds the sequencer.
    pub(crate) async fn woken(&self) {
        self.pending.notified().await;
    }

    /// Resolves when `wake` was called while another instance holds the sequencer.
    pub(crate) async fn remote_wake_asked(&self) {
        self.remote.notified().await;
    }

    /// The sequencer of this instance linked these events.
    pub(crate) fn chained(&self, ords: &[i64]) {
        let mut w = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        if w.is_empty() {
            return;
        }
        for o in ords {
            w.remove(o);
        }
        drop(w);
        self.changed.notify_waiters();
    }

    fn any_waiting(&self, ords: &[i64]) -> bool {
        let w = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        ords.iter().any(|o| w.contains(o))
    }

    /// Waits until the events of workspace `ws` committed before now are chained (at most
    /// `CHAIN_WAIT`), so a read of the audit log sees every event recorded before it, including
    /// the resolves', which answer as soon as their events are committed.
    pub async fn settle(&self, ws: uuid::Uuid) -> bool {
        let pending = match self.pool.get().await {
            Ok(c) => credvault_store::audit_chain::unchained_of(&c, ws, SETTLE_AT_MOST)
                .await
                .unwrap_or_default(),
            Err(_) => Vec::new(),
        };
        if pending.is_empty() {
            return true;
        }
        self.waiting
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(pending.iter().copied());
        // Some may have been linked between the read and now: the database is asked soon.
        self.wait_checking(&pending, FIRST_CHECK_REMOTE).await
    }

    /// Stops waiting for events that will never be chained (their transaction failed).
    pub(crate) fn abandon(&self, ords: &[i64]) {
        self.forget(ords, &[]);
    }

    fn forget(&self, ords: &[i64], keep: &[i64]) {
        let mut w = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        for o in ords.iter().filter(|o| !keep.contains(o)) {
            w.remove(o);
        }
    }

    /// Waits until these events (registered by `collect`) are chained; false if that took longer
    /// than `CHAIN_WAIT` (they stay committed and will be chained).
    pub async fn wait(&self, ords: &[i64]) -> bool {
        let first = if self.local.load(Ordering::SeqCst) {
            FIRST_CHECK_LOCAL
        } else {
            FIRST_CHECK_REMOTE
        };
        self.wait_checking(ords, first).await
    }

    /// `wait`, asking the database first after `step` and then at doubling intervals, whether
    /// or not the sequencer of this instance links other batches meanwhile (under load it links
    /// one every few milliseconds, and events it linked before they were registered here, or
    /// that another instance linked, are only learnt of from the database).
    async fn wait_checking(&self, ords: &[i64], mut step: Duration) -> bool {
        if ords.is_empty() {
            return true;
        }
        self.wake();
        let started = Instant::now();
        let mut check_at = started + step;
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if !self.any_waiting(ords) {
                return true;
            }
            if started.elapsed() > CHAIN_WAIT {
                self.forget(ords, &[]);
                tracing::warn!(
                    events = ords.len(),
                    "audit events were not chained in time; answering anyway (they are committed)"
                );
                return false;
            }
            let now = Instant::now();
            if now < check_at {
                let _ = tokio::time::timeout(check_at - now, notified).await;
                continue;
            }
            // Linked elsewhere or before they were registered, or rolled back: ask the database.
            if let Ok(c) = self.pool.get().await {
                if let Ok(still) = credvault_store::audit_chain::still_unchained(&c, ords).await {
                    self.forget(ords, &still);
                }
            }
            step = (step * 2).min(LAST_CHECK_INTERVAL);
            check_at = Instant::now() + step;
        }
    }
}

/// Notes events just inserted by transaction `xid` in the work running in `record` or
/// `collect`, if any.
pub(crate) fn recorded(ords: &[i64], xid: i64) {
    let _ = TICKET.try_with(|t| {
        if t.register {
            t.watch
                .waiting
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .extend(ords.iter().copied());
        }
        t.ords
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(ords);
        let mut xids = t.xids.lock().unwrap_or_else(|e| e.into_inner());
        if !xids.contains(&xid) {
            xids.push(xid);
        }
    });
}
