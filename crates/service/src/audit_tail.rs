//! The followers of one workspace's audit stream share their reads of the log: woken by the same
//! notification, they ask for the same page (same filter, after the same seq), and the first
//! reads it while the others wait for it, rather than each reading the same rows again.
//!
//! A page is shared only with a follower whose last wake-up came before the read began: each
//! read is stamped with the hub's wake-up generation as it was just before the query, and a
//! follower needs at least the generation it saw when it was last woken. So every event a
//! follower was woken for is in the page it gets, and an event chained after the read wakes it
//! again (it then needs a newer read). A workspace keeps a few pages, dropped with its last
//! follower. A shared page is also written out (as NDJSON, by the API) once for all of them.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock};

use credvault_store::audit::StoredEvent;
use uuid::Uuid;

use crate::ServiceError;

/// Pages kept per workspace (different filters or positions of its followers).
const KEPT: usize = 4;

struct Page {
    key: String,
    after: i64,
    generation: u64,
    rows: Rows,
}

/// A page of events, with how it is written out once rendered (by whoever writes it first).
#[derive(Clone)]
pub struct Rows {
    rows: Arc<Vec<StoredEvent>>,
    rendered: Arc<OnceLock<Arc<[u8]>>>,
}

impl Rows {
    pub fn new(rows: Vec<StoredEvent>) -> Rows {
        Rows {
            rows: Arc::new(rows),
            rendered: Arc::default(),
        }
    }

    pub fn events(&self) -> &[StoredEvent] {
        &self.rows
    }

    /// The events as `render` writes them, rendered once for every follower sharing them.
    pub fn rendered<E>(
        &self,
        render: impl FnOnce(&[StoredEvent]) -> Result<Vec<u8>, E>,
    ) -> Result<Arc<[u8]>, E> {
        if let Some(done) = self.rendered.get() {
            return Ok(done.clone());
        }
        let done: Arc<[u8]> = render(&self.rows)?.into();
        let _ = self.rendered.set(done.clone());
        Ok(done)
    }
}

type Pages = Arc<tokio::sync::Mutex<Vec<Page>>>;

#[derive(Default)]
pub struct SharedPages {
    by_workspace: Mutex<HashMap<Uuid, Pages>>,
}

impl SharedPages {
    /// The page of `key` (a filter) after `after` read at generation `need` or later: shared, or
    /// read now by `read` (stamped with `generation()` as it is just before).
    pub async fn page<F, Fut>(
        &self,
        ws: Uuid,
        key: &str,
        after: i64,
        need: u64,
        generation: impl Fn() -> u64,
        read: F,
    ) -> Result<Rows, ServiceError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Vec<StoredEvent>, ServiceError>>,
    {
        let slot = self
            .by_workspace
            .lock()
            .map_err(|_| ServiceError::internal(anyhow::anyhow!("audit pages poisoned")))?
            .entry(ws)
            .or_default()
            .clone();
        // Held during the read: the followers asking meanwhile wait for it.
        let mut pages = slot.lock().await;
        let same = |p: &Page| p.key == key && p.after == after;
        if let Some(p) = pages.iter().find(|p| same(p) && p.generation >= need) {
            return Ok(p.rows.clone());
        }
        let generation = generation();
        let rows = Rows::new(read().await?);
        pages.retain(|p| !same(p));
        if pages.len() >= KEPT {
            pages.remove(0);
        }
        pages.push(Page {
            key: key.to_string(),
            after,
            generation,
            rows: rows.clone(),
        });
        Ok(rows)
    }

    /// Drops a workspace's pages (its last follower went).
    pub fn forget(&self, ws: Uuid) {
        if let Ok(mut m) = self.by_workspace.lock() {
            m.remove(&ws);
        }
    }
}
