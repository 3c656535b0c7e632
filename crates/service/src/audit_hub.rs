//! Who hears that events of a workspace were chained: the audit stream's followers and the
//! webhook dispatcher. The instance's one LISTEN connection (`cache::listen`, channel
//! `credvault_audit`, payload the workspace id) calls [`AuditHub::chained`]; each follower has a
//! channel of one wake-up, so a follower costs the same memory however far behind it is (it
//! re-reads the log by seq when woken), and a wake-up is never lost (a full channel already holds
//! one).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;
use uuid::Uuid;

use crate::audit_tail::SharedPages;
use crate::ServiceError;

/// The notification channel of chained events (payload: the workspace id).
pub const CHANNEL: &str = "credvault_audit";

type Followers = HashMap<Uuid, Vec<(u64, mpsc::Sender<()>)>>;

pub struct AuditHub {
    followers: Mutex<Followers>,
    /// The dispatcher: the workspace ids it is told of (a full channel drops them; it also
    /// looks for work on its own tick).
    dispatchers: Mutex<Vec<mpsc::Sender<Uuid>>>,
    next_id: AtomicU64,
    max_followers: usize,
    /// Moved before every wake-up.
    generation: AtomicU64,
    /// The reads followers share.
    pub pages: SharedPages,
}

/// A follower of one workspace's chain; it stops following when dropped.
pub struct Follower {
    hub: Arc<AuditHub>,
    ws: Uuid,
    id: u64,
    rx: mpsc::Receiver<()>,
    /// The hub's generation when it was last woken (or began): a read it uses must be as new.
    need: u64,
}

impl Follower {
    /// Waits until events of the workspace may have been chained since the last wake-up.
    pub async fn woken(&mut self) {
        if self.rx.recv().await.is_none() {
            std::future::pending::<()>().await;
        }
        self.need = self.hub.generation();
    }

    /// The page of its workspace's events that `key` (a filter) selects after `after`: shared
    /// with the other followers of the workspace, else read by `read`.
    pub async fn page<F, Fut>(
        &self,
        key: &str,
        after: i64,
        read: F,
    ) -> Result<crate::audit_tail::Rows, ServiceError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<
            Output = Result<Vec<credvault_store::audit::StoredEvent>, ServiceError>,
        >,
    {
        let hub = &self.hub;
        hub.pages
            .page(self.ws, key, after, self.need, || hub.generation(), read)
            .await
    }
}

impl Drop for Follower {
    fn drop(&mut self) {
        if let Ok(mut f) = self.hub.followers.lock() {
            if let Some(list) = f.get_mut(&self.ws) {
                list.retain(|(id, _)| *id != self.id);
                if list.is_empty() {
                    f.remove(&self.ws);
                    self.hub.pages.forget(self.ws);
                }
            }
        }
    }
}

impl AuditHub {
    pub fn new(max_followers: usize) -> Arc<AuditHub> {
        Arc::new(AuditHub {
            followers: Mutex::new(HashMap::new()),
            dispatchers: Mutex::new(Vec::new()),
            next_id: AtomicU64::new(1),
            max_followers,
            generation: AtomicU64::new(0),
            pages: SharedPages::default(),
        })
    }

    /// Follows a workspace's chain, within the limit of followers per workspace.
    pub fn follow(self: &Arc<Self>, ws: Uuid) -> Result<Follower, ServiceError> {
        let mut f = self
            .followers
            .lock()
            .map_err(|_| ServiceError::internal(anyhow::anyhow!("audit hub poisoned")))?;
        let list = f.entry(ws).or_default();
        if list.len() >= self.max_followers {
            return Err(ServiceError::RateLimited {
                detail: format!(
                    "this workspace already has {} audit stream followers, the most allowed; close one or retry later",
                    self.max_followers
                ),
                retry_after: 15,
            });
        }
        let (tx, rx) = mpsc::channel(1);
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        list.push((id, tx));
        Ok(Follower {
            hub: self.clone(),
            ws,
            id,
            rx,
            need: self.generation(),
        })
    }

    /// How many wake-ups there were so far.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// A channel of the workspaces whose events were chained, for the dispatcher.
    pub fn dispatcher_channel(&self) -> mpsc::Receiver<Uuid> {
        let (tx, rx) = mpsc::channel(1024);
        if let Ok(mut d) = self.dispatchers.lock() {
            d.push(tx);
        }
        rx
    }

    /// Events of `ws` were chained: wakes its followers and, unless they are all uses (which no
    /// webhook is sent), tells the dispatcher.
    pub fn chained(&self, ws: Uuid, deliverable: bool) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        if let Ok(f) = self.followers.lock() {
            for (_, tx) in f.get(&ws).into_iter().flatten() {
                let _ = tx.try_send(());
            }
        }
        if !deliverable {
            return;
        }
        if let Ok(mut d) = self.dispatchers.lock() {
            d.retain(|tx| !tx.is_closed());
            for tx in d.iter() {
                let _ = tx.try_send(ws);
            }
        }
    }

    /// Wakes every follower (the listener reconnected: a notification may have been missed).
    pub fn wake_all(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        if let Ok(f) = self.followers.lock() {
            for (_, tx) in f.values().flatten() {
                let _ = tx.try_send(());
            }
        }
    }

    /// Applies one notification's payload: `{workspace id}`, or `{workspace id} uses` when the
    /// events chained were all uses (see `credvault_store::audit_chain::link`).
    pub fn notified(&self, payload: &str) {
        let (ws, uses_only) = match payload.split_once(' ') {
            Some((ws, "uses")) => (ws, true),
            _ => (payload, false),
        };
        match ws.parse::<Uuid>() {
            Ok(ws) => self.chained(ws, !uses_only),
            Err(_) => self.wake_all(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_batch_of_uses_wakes_followers_but_not_the_dispatcher() {
        let hub = AuditHub::new(4);
        let ws = Uuid::now_v7();
        let mut follower = hub.follow(ws).expect("follow");
        let mut dispatcher = hub.dispatcher_channel();
        hub.notified(&format!("{ws} uses"));
        follower.woken().await;
        assert!(dispatcher.try_recv().is_err(), "uses are never delivered");
        hub.notified(&ws.to_string());
        follower.woken().await;
        assert_eq!(dispatcher.try_recv().ok(), Some(ws));
        let before = hub.generation();
        hub.notified("not a workspace");
        assert!(hub.generation() > before, "anything else wakes everyone");
        follower.woken().await;
    }
}
