//! How the group commit forms its batches and which `last_used_at` stamps it sends (moved
//! verbatim from the writer).

use super::*;

/// `last_used_at` is stamped at most once a minute per credential and per workflow (the SQL
/// skips rows stamped within the minute before the use). This instance remembers the stamps it
/// committed, so a batch only sends the ones the SQL could apply, and none at all most of the
/// time. Skipping a key stamped at `s` when the use is at `at <= s + 1 min` is exactly what the
/// SQL would do: the stored value never goes back, so it is at least `s`.
pub(super) struct Stamps<K> {
    committed: std::sync::Mutex<std::collections::HashMap<K, DateTime<Utc>>>,
}

/// Keys remembered at most; past that, stamps older than a minute are forgotten.
pub(super) const MAX_STAMPS: usize = 200_000;

impl<K: std::hash::Hash + Eq + Clone + Ord> Stamps<K> {
    pub(super) fn new() -> Stamps<K> {
        Stamps {
            committed: std::sync::Mutex::new(std::collections::HashMap::new()),
        }
    }

    /// The uses whose stamp the SQL could apply.
    pub(super) fn due(&self, uses: BTreeMap<K, DateTime<Utc>>) -> BTreeMap<K, DateTime<Utc>> {
        let Ok(committed) = self.committed.lock() else {
            return uses;
        };
        uses.into_iter()
            .filter(|(k, at)| {
                committed
                    .get(k)
                    .is_none_or(|s| *s < *at - chrono::Duration::minutes(1))
            })
            .collect()
    }

    /// Remembers stamps once their transaction has committed.
    pub(super) fn committed(&self, stamped: &BTreeMap<K, DateTime<Utc>>) {
        let Ok(mut committed) = self.committed.lock() else {
            return;
        };
        for (k, at) in stamped {
            committed.insert(k.clone(), *at);
        }
        if committed.len() > MAX_STAMPS {
            let cutoff = Utc::now() - chrono::Duration::minutes(1);
            committed.retain(|_, s| *s >= cutoff);
            if committed.len() > MAX_STAMPS {
                committed.clear();
            }
        }
    }
}

/// Forms the batches. A batch is formed when one of the `IN_FLIGHT` slots is free. While another
/// batch runs, a new one would only queue behind it, so it waits to fill: for about as many
/// requests as the batch that finished last released (they come back with their next use), but
/// never past the moment the running batch finishes. Sending it the moment a slot frees instead
/// made batches of a few events (a third of the requests were still on their way back), and the
/// per-transaction costs were paid for every few events: resolve bench 13,800-16,300/s against
/// 17,900-18,500/s with this rule.
pub(super) struct Former {
    slots: std::sync::Arc<tokio::sync::Semaphore>,
    /// The size of the batch that finished last.
    pub(super) last_size: AtomicUsize,
    finished: tokio::sync::Notify,
}

impl Default for Former {
    fn default() -> Former {
        Former {
            slots: std::sync::Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT)),
            last_size: AtomicUsize::new(1),
            finished: tokio::sync::Notify::new(),
        }
    }
}

impl Former {
    /// The next batch and its slot; `None` once every sender is gone.
    pub(super) async fn next<T>(
        &self,
        rx: &mut mpsc::Receiver<T>,
    ) -> Option<(tokio::sync::OwnedSemaphorePermit, Vec<T>)> {
        let slot = self.slots.clone().acquire_owned().await.ok()?;
        let mut batch = vec![rx.recv().await?];
        let target = self.last_size.load(Ordering::Relaxed).clamp(1, MAX_BATCH);
        loop {
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(p) => batch.push(p),
                    Err(_) => break,
                }
            }
            if batch.len() >= target {
                break;
            }
            // Registered before the check, so a batch finishing in between still wakes us.
            let finished = self.finished.notified();
            tokio::pin!(finished);
            finished.as_mut().enable();
            if self.slots.available_permits() + 1 >= IN_FLIGHT {
                break; // No other batch runs: the connection is idle, send now.
            }
            tokio::select! {
                biased;
                p = rx.recv() => match p {
                    Some(p) => batch.push(p),
                    None => break,
                },
                () = &mut finished => break,
            }
        }
        Some((slot, batch))
    }

    /// A batch of `size` events has finished (committed or failed): its slot is free.
    pub(super) fn finished(&self, slot: tokio::sync::OwnedSemaphorePermit, size: usize) {
        self.last_size.store(size, Ordering::Relaxed);
        drop(slot);
        self.finished.notify_waiters();
    }
}
