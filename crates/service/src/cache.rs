//! The runtime path's cache: API-token lookups and resolve rows (a credential's current sealed
//! version with its workflow owner's access), so a resolve needs no query but its audit write.
//!
//! Entries are dropped when PostgreSQL says their rows changed: triggers (migrations 0009, 0018,
//! 0019, 0020) record what a change touched in `cache_changes`, in the changing transaction; the
//! request that made it sends those as `NOTIFY credvault_cache` right after its commit, before it
//! answers (`audit_chain`), and the audit sequencer sends whatever is left (changes made outside
//! a request) in the transaction that chains their events; and a listener here drops what they
//! name. A change made through this instance also drops what it touched before its response is
//! sent (`credvault_api`'s middleware), so a caller always reads its own writes. While the
//! listener is not connected, or its connection stops answering, nothing is cached. Unwrapped
//! data keys and opened secrets are never cached: only the sealed rows, as stored.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use credvault_store::identity::{TokenRow, UserRow};
use credvault_store::workflows::ResolveRow;
use futures_util::StreamExt;
use tokio_postgres::AsyncMessage;
use uuid::Uuid;

/// The notification channel the audit sequencer relays invalidations on.
pub const CHANNEL: &str = "credvault_cache";
/// Past this many resolve entries the cache starts over (bounded memory).
const MAX_RESOLVE_ENTRIES: usize = 200_000;
const MAX_TOKENS: usize = 50_000;

type TokenEntry = Arc<(TokenRow, Option<UserRow>)>;

#[derive(Default)]
pub struct Cache {
    /// True while the listener is connected: only then can entries be trusted.
    enabled: AtomicBool,
    /// Bumped by every invalidation; a row read before it may not be stored after it.
    generation: AtomicU64,
    tokens: RwLock<HashMap<[u8; 32], TokenEntry>>,
    /// credential id -> workflow id -> row.
    resolve: RwLock<HashMap<Uuid, HashMap<String, Arc<ResolveRow>>>>,
    resolve_len: AtomicU64,
    /// What `/metrics` shows of it, so a test (or an operator) sees it serve and forget.
    stats: CacheStats,
}

/// Lookups per cache (a lookup while caching is off is a miss) and notifications applied.
#[derive(Default)]
pub struct CacheStats {
    pub token_hits: AtomicU64,
    pub token_misses: AtomicU64,
    pub resolve_hits: AtomicU64,
    pub resolve_misses: AtomicU64,
    pub invalidations: AtomicU64,
}

/// Counts a lookup's outcome and passes it on.
fn counted<T>(found: Option<T>, hits: &AtomicU64, misses: &AtomicU64) -> Option<T> {
    let counter = if found.is_some() { hits } else { misses };
    counter.fetch_add(1, Ordering::Relaxed);
    found
}

impl Cache {
    pub fn new() -> Cache {
        Cache::default()
    }

    /// The generation to pass back to `put_*` for a row read from the database now.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    pub fn stats(&self) -> &CacheStats {
        &self.stats
    }

    pub fn token(&self, hash: &[u8; 32]) -> Option<TokenEntry> {
        let found = if self.enabled.load(Ordering::SeqCst) {
            self.tokens.read().ok().and_then(|t| t.get(hash).cloned())
        } else {
            None
        };
        counted(found, &self.stats.token_hits, &self.stats.token_misses)
    }

    pub fn put_token(&self, hash: [u8; 32], entry: TokenEntry, generation: u64) {
        if let Ok(mut m) = self.tokens.write() {
            // Checked under the lock: an invalidation takes it too, so none slips between.
            if !self.enabled.load(Ordering::SeqCst) || self.generation() != generation {
                return;
            }
            if m.len() >= MAX_TOKENS {
                m.clear();
            }
            m.insert(hash, entry);
        }
    }

    pub fn resolve_row(&self, credential: Uuid, workflow: &str) -> Option<Arc<ResolveRow>> {
        let found = if self.enabled.load(Ordering::SeqCst) {
            self.resolve
                .read()
                .ok()
                .and_then(|r| r.get(&credential)?.get(workflow).cloned())
        } else {
            None
        };
        counted(found, &self.stats.resolve_hits, &self.stats.resolve_misses)
    }

    pub fn put_resolve_row(
        &self,
        credential: Uuid,
        workflow: &str,
        row: Arc<ResolveRow>,
        generation: u64,
    ) {
        if let Ok(mut m) = self.resolve.write() {
            if !self.enabled.load(Ordering::SeqCst) || self.generation() != generation {
                return;
            }
            if self.resolve_len.load(Ordering::Relaxed) as usize >= MAX_RESOLVE_ENTRIES {
                m.clear();
                self.resolve_len.store(0, Ordering::Relaxed);
            }
            if m.entry(credential)
                .or_default()
                .insert(workflow.to_string(), row)
                .is_none()
            {
                self.resolve_len.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Drops everything (and refuses rows read before now).
    pub fn clear(&self) {
        let (t, r) = (self.tokens.write(), self.resolve.write());
        self.generation.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut t) = t {
            t.clear();
        }
        if let Ok(mut r) = r {
            r.clear();
            self.resolve_len.store(0, Ordering::Relaxed);
        }
    }

    /// Drops a credential's resolve rows (and refuses rows read before now).
    pub fn forget_credential(&self, id: Uuid) {
        if let Ok(mut r) = self.resolve.write() {
            self.generation.fetch_add(1, Ordering::SeqCst);
            if let Some(gone) = r.remove(&id) {
                self.resolve_len
                    .fetch_sub(gone.len() as u64, Ordering::Relaxed);
            }
        }
    }

    /// Applies one notification: `c:<credential id>`, `t:<token hash hex>` or `all`.
    pub fn invalidate(&self, payload: &str) {
        self.stats.invalidations.fetch_add(1, Ordering::Relaxed);
        match payload.split_once(':') {
            Some(("c", id)) => match id.parse::<Uuid>() {
                Ok(id) => self.forget_credential(id),
                Err(_) => self.clear(),
            },
            Some(("t", hex)) => match decode_hex(hex) {
                Some(hash) => {
                    if let Ok(mut t) = self.tokens.write() {
                        self.generation.fetch_add(1, Ordering::SeqCst);
                        t.remove(&hash);
                    }
                }
                None => self.clear(),
            },
            _ => self.clear(),
        }
    }

    fn set_enabled(&self, on: bool) {
        self.clear();
        self.enabled.store(on, Ordering::SeqCst);
        self.clear();
    }

    pub fn is_enabled(&self) -> bool {
        self.enabled.load(Ordering::SeqCst)
    }
}

fn decode_hex(s: &str) -> Option<[u8; 32]> {
    if s.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// Keeps a LISTEN connection open and applies what arrives; while it is down, caching is off.
/// Runs until the application closes its pool (it stops then instead of reconnecting).
/// The same connection listens for chained audit events and hands them to `hub`.
pub async fn listen(
    cache: Arc<Cache>,
    hub: Arc<crate::audit_hub::AuditHub>,
    database_url: String,
    pool: deadpool_postgres::Pool,
) {
    // The pool was built from the same URL, so it parses; if it did not, nothing is cached.
    let config = match credvault_store::pool::config(&database_url) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "the cache listener cannot start; nothing is cached");
            return;
        }
    };
    while !pool.is_closed() {
        match listen_once(&cache, &hub, &config, &pool).await {
            Ok(Ended::Closed) => tracing::warn!(
                "the cache listener's connection closed; caching is off until it reconnects"
            ),
            Ok(Ended::Unanswered) => tracing::warn!(
                timeout_ms = HEARTBEAT_TIMEOUT.as_millis() as u64,
                "the cache listener's connection stopped answering; caching is off until it reconnects, and the pool's idle connections are reopened"
            ),
            Err(e) => {
                tracing::warn!(error = %e, "the cache listener cannot connect; caching is off until it does")
            }
        }
        cache.set_enabled(false);
        if pool.is_closed() {
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// How often the listener checks that its connection still answers, and how long it waits.
const HEARTBEAT: Duration = Duration::from_millis(250);
const HEARTBEAT_TIMEOUT: Duration = Duration::from_millis(600);

async fn listen_once(
    cache: &Cache,
    hub: &crate::audit_hub::AuditHub,
    db: &credvault_store::dburl::Database,
    pool: &deadpool_postgres::Pool,
) -> Result<Ended, tokio_postgres::Error> {
    let (client, mut connection) = db.config.connect(db.tls.clone()).await?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let driver = tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(m) = messages.next().await {
            match m {
                Ok(AsyncMessage::Notification(n)) => {
                    let audit = n.channel() == crate::audit_hub::CHANNEL;
                    if tx.send(Some((audit, n.payload().to_string()))).is_err() {
                        break;
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "cache listener connection error");
                    break;
                }
            }
        }
        let _ = tx.send(None);
    });
    client
        .batch_execute(&format!(
            "LISTEN {CHANNEL}; LISTEN {}",
            crate::audit_hub::CHANNEL
        ))
        .await?;
    // Caching starts at the first heartbeat, once no change waits unannounced.
    // Whatever was chained while no connection listened is read now.
    hub.wake_all();
    tracing::debug!("cache listener connected");
    let apply = async {
        while let Some(Some((audit, payload))) = rx.recv().await {
            if audit {
                hub.notified(&payload);
            } else {
                cache.invalidate(&payload);
            }
        }
    };
    // A connection can hang without closing (a partition that resets nothing): notifications
    // stop while the entries stay. A round trip every HEARTBEAT, answered within
    // HEARTBEAT_TIMEOUT, proves it alive; one left unanswered turns caching off, at most 850 ms
    // after the connection stopped answering. The same round trip asks whether a committed change
    // has waited too long (`cache_lag`) for the sequencer to announce it: caching stays off until
    // it is announced, so a change reaches this cache in about a second even with no sequencer.
    let heartbeat = async {
        let oldest = match credvault_store::cache_changes::OldestChange::prepare(&client).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "the cache listener's heartbeat failed");
                return Ended::Closed;
            }
        };
        let mut lag = crate::cache_lag::RelayLag::default();
        let mut tick = tokio::time::interval(HEARTBEAT);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match tokio::time::timeout(HEARTBEAT_TIMEOUT, oldest.get(&client)).await {
                Ok(Ok(id)) => {
                    let lagging = lag.lagging(id, !cache.is_enabled() && !lag.tracking());
                    if lagging == cache.is_enabled() {
                        if lagging {
                            tracing::warn!(lag_ms = crate::cache_lag::RELAY_LAG.as_millis() as u64, "a committed change has not been announced to the caches in time (is an instance running the audit sequencer?); caching is off until it is");
                        }
                        cache.set_enabled(!lagging);
                    }
                }
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "the cache listener's heartbeat failed");
                    return Ended::Closed;
                }
                Err(_) => {
                    credvault_store::pool::forget_idle(pool);
                    return Ended::Unanswered;
                }
            }
        }
    };
    let ended = tokio::select! {
        () = apply => Ended::Closed,
        e = heartbeat => e,
    };
    driver.abort();
    Ok(ended)
}

/// Why a listener's connection was given up.
enum Ended {
    Closed,
    Unanswered,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_hashes_decode() {
        let h = decode_hex(&"ab".repeat(32)).expect("hex");
        assert_eq!(h, [0xab; 32]);
        assert!(decode_hex("zz").is_none());
        assert!(decode_hex(&"g0".repeat(32)).is_none());
    }

    #[test]
    fn nothing_is_served_or_stored_while_disabled_or_after_an_invalidation() {
        let c = Cache::new();
        let id = Uuid::now_v7();
        let tok = [7u8; 32];
        let g = c.generation();
        c.put_token(tok, Arc::new((token_row(), None)), g);
        assert!(c.token(&tok).is_none(), "disabled: nothing stored");
        c.set_enabled(true);
        let g = c.generation();
        c.invalidate(&format!("c:{id}"));
        c.put_token(tok, Arc::new((token_row(), None)), g);
        assert!(
            c.token(&tok).is_none(),
            "a row read before an invalidation is not stored"
        );
        let g = c.generation();
        c.put_token(tok, Arc::new((token_row(), None)), g);
        assert!(c.token(&tok).is_some());
        c.invalidate(&format!("t:{}", "07".repeat(32)));
        assert!(c.token(&tok).is_none(), "its notification drops it");
    }

    fn token_row() -> TokenRow {
        TokenRow {
            workspace_id: Uuid::nil(),
            id: Uuid::nil(),
            name: "t".into(),
            kind: "engine".into(),
            user_id: None,
            scopes: vec![],
            prefix: "cvt_".into(),
            created_at: chrono::Utc::now(),
            expires_at: None,
            last_used_at: None,
            created_by: Uuid::nil(),
        }
    }
}
