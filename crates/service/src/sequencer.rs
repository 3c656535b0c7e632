//! The audit chain's sequencer: one per database at a time (the holder of an advisory lock, on
//! a connection of its own; when its instance dies the connection closes, the lock is free, and
//! another instance takes over within `TAKEOVER_POLL`). Changes insert their events unchained and
//! commit in parallel; the sequencer reads committed unchained events in insertion order, numbers
//! and links them per workspace (`hash = HMAC-SHA256(key, prev_hash ‖ canonical)` or, before a
//! workspace's chain is keyed, `SHA-256(prev_hash ‖ canonical)`), and writes a batch in one
//! statement in one transaction: a batch cut off by a crash is rolled back whole and linked again
//! by the next holder, so each event is chained exactly once.
//!
//! No change's transaction notifies (PostgreSQL lets notifying transactions commit only one at a
//! time, flush included; migration 0018). A request that recorded events wakes the sequencer once
//! it has committed: in-process when its instance holds it, else by a `NOTIFY
//! credvault_audit_pending` sent in a transaction of its own that does not wait for a flush,
//! several requests' wake-ups folded into one. The sequencer also looks every `IDLE_RECHECK`, for
//! events written outside a request (background jobs, the command line). Each of its transactions
//! relays the cache invalidations committed so far and not yet announced by their request
//! (`NOTIFY credvault_cache`): those of changes made outside a request, or whose request could
//! not announce them.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{SubsecRound, Utc};
use credvault_domain::audit::{canonical_bytes, ChainedFields};
use credvault_store::audit_chain::{self as store, Head, Link, Unchained};
use deadpool_postgres::Pool;
use futures_util::StreamExt;
use tokio_postgres::AsyncMessage;
use uuid::Uuid;

use crate::audit_chain::ChainWatch;
use crate::chain_keys::{chain_hash, switch_key, ChainKeys, SWITCH_ACTION};

/// The action of a resolve's event, which no webhook is sent.
const USED: &str = "credential.used";

/// The advisory-lock key of the sequencer ("credvasq" in ASCII).
const LOCK_KEY: i64 = 0x6372_6564_7661_7371;
/// Events linked per transaction at most.
const BATCH: i64 = 1000;
/// Events linked per transaction at most while a backlog lasts (after a full batch): fewer
/// commits and round trips per event when catching up after an outage or a bulk import.
const BACKLOG_BATCH: i64 = 5000;
/// How often the holder looks for unchained events without being woken.
const IDLE_RECHECK: Duration = Duration::from_millis(200);
/// How often an instance that does not hold the sequencer tries to take it.
const TAKEOVER_POLL: Duration = Duration::from_millis(300);
/// The channel inserting transactions notify.
pub const PENDING_CHANNEL: &str = "credvault_audit_pending";

/// Contends for the sequencer and runs it while held; until the pool closes. Also sends the
/// wake-ups of this instance's requests to the sequencer of another instance.
pub async fn run(watch: Arc<ChainWatch>, database_url: String, pool: Pool, keys: Arc<ChainKeys>) {
    tokio::spawn(wake_remote(watch.clone(), pool.clone()));
    let db = match credvault_store::pool::config(&database_url) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "the audit sequencer cannot start; events stay unchained");
            return;
        }
    };
    // A connection of its own, outside the pool the requests share (which may be as small as 2).
    let own = match credvault_store::connect(&database_url, 1) {
        Ok(p) => p,
        Err(e) => {
            tracing::error!(error = %e, "the audit sequencer cannot start; events stay unchained");
            return;
        }
    };
    while !pool.is_closed() {
        if let Err(e) = run_once(&watch, &db, &pool, &own, &keys).await {
            tracing::warn!(error = %e, "the audit sequencer stopped; it starts again");
        }
        watch.set_local(false);
        tokio::time::sleep(TAKEOVER_POLL).await;
    }
}

/// A pooled connection that is closed, never pooled again, when it goes: it may hold the lock.
struct Held(Option<deadpool_postgres::Object>);

impl Drop for Held {
    fn drop(&mut self) {
        if let Some(o) = self.0.take() {
            drop(deadpool_postgres::Object::take(o));
        }
    }
}

async fn run_once(
    watch: &ChainWatch,
    db: &credvault_store::dburl::Database,
    pool: &Pool,
    own: &Pool,
    keys: &ChainKeys,
) -> anyhow::Result<()> {
    let mut held = Held(Some(own.get().await?));
    let conn = held.0.as_mut().expect("held");
    conn.batch_execute("SET idle_in_transaction_session_timeout = '10s'")
        .await?;
    loop {
        if pool.is_closed() {
            return Ok(());
        }
        let got: bool = conn
            .query_one("SELECT pg_try_advisory_lock($1)", &[&LOCK_KEY])
            .await?
            .get(0);
        if got {
            break;
        }
        tokio::time::sleep(TAKEOVER_POLL).await;
    }
    // The wake-ups: a connection of its own, as notifications are not read from pooled ones.
    let (listener, mut connection) = db.config.connect(db.tls.clone()).await?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    let driver = tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(Ok(m)) = messages.next().await {
            if matches!(m, AsyncMessage::Notification(_)) && tx.send(()).is_err() {
                break;
            }
        }
    });
    let ran = async {
        listener
            .batch_execute(&format!("LISTEN {PENDING_CHANNEL}"))
            .await?;
        watch.set_local(true);
        tracing::info!("this instance runs the audit sequencer");
        switch_dormant_chains(conn, keys).await?;
        let (mut backlog, mut sweeper) =
            (Backlog::default(), crate::pending_sweep::Sweeper::default());
        loop {
            loop {
                let linked = chain_batch(conn, watch, keys, &mut backlog).await?;
                sweeper.linked(linked, pool);
                if linked == 0 || !backlog.behind() {
                    break;
                }
            }
            if pool.is_closed() {
                return Ok(());
            }
            tokio::select! {
                m = rx.recv() => if m.is_none() {
                    anyhow::bail!("the sequencer's listening connection closed");
                },
                () = watch.woken() => {}
                () = tokio::time::sleep(IDLE_RECHECK) => {}
            }
            while rx.try_recv().is_ok() {}
        }
    }
    .await;
    driver.abort();
    ran
}

/// Chains with events that are not keyed with the active master key (before migration 0016, or
/// after a rotation) get their switch now, even if nothing else happens in them.
async fn switch_dormant_chains(
    conn: &mut deadpool_postgres::Object,
    keys: &ChainKeys,
) -> anyhow::Result<()> {
    let tx = conn.transaction().await?;
    for (ws, previous) in store::unswitched(&tx, keys.active_id()).await? {
        insert_switch(&tx, keys, ws, previous.as_deref()).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Records chain `ws`'s switch to the active key (unchained, in the caller's transaction).
async fn insert_switch(
    tx: &deadpool_postgres::Transaction<'_>,
    keys: &ChainKeys,
    ws: Uuid,
    previous: Option<&str>,
) -> anyhow::Result<Unchained> {
    let details = serde_json::json!({"key_id": keys.active_id(), "previous_key_id": previous});
    let id = Uuid::now_v7();
    let event = credvault_store::audit::NewEvent {
        id,
        actor_type: "system",
        actor_id: None,
        actor_display: Some("credvault"),
        action: SWITCH_ACTION,
        target_type: None,
        target_id: None,
        target_name: None,
        outcome: "success",
        ip: None,
        user_agent: None,
        request_id: None,
        details: &details,
    };
    let ords = credvault_store::audit::append_events(tx, ws, None, &[event])
        .await?
        .ords;
    Ok(Unchained {
        ord: ords.first().copied().unwrap_or_default(),
        workspace_id: ws,
        id,
        at: None,
        actor_type: "system".into(),
        actor_id: None,
        action: SWITCH_ACTION.into(),
        target_type: None,
        target_id: None,
        outcome: "success".into(),
        request_id: None,
        details,
    })
}

/// Puts a switch to the active key in front of the batch's events of every chain that is not
/// keyed with it yet (and does not start with one).
async fn with_switches(
    tx: &deadpool_postgres::Transaction<'_>,
    keys: &ChainKeys,
    heads: &BTreeMap<Uuid, Head>,
    rows: Vec<Unchained>,
) -> anyhow::Result<Vec<Unchained>> {
    let mut out = Vec::with_capacity(rows.len());
    let mut seen = std::collections::HashSet::new();
    for r in rows {
        if seen.insert(r.workspace_id) {
            let h = &heads[&r.workspace_id];
            let keyed = h.key_id.as_deref() == Some(keys.active_id()) || h.seq == 0;
            let switches =
                switch_key(&r.actor_type, &r.action, &r.details) == Some(keys.active_id());
            if !keyed && !switches {
                out.push(insert_switch(tx, keys, r.workspace_id, h.key_id.as_deref()).await?);
            }
        }
        out.push(r);
    }
    Ok(out)
}

/// How far behind the last event linked a backlog's next look starts.
const LATE_COMMITS: i64 = 20_000;

/// Where the next batch looks for unchained events: after the last one linked while the
/// sequencer is behind (its last batch was full), from the start once it has caught up (see
/// `store::unchained`).
#[derive(Default)]
struct Backlog {
    after: i64,
}

impl Backlog {
    fn behind(&self) -> bool {
        self.after > 0
    }

    /// The batch's events, and where the next one starts.
    async fn next(
        &mut self,
        tx: &deadpool_postgres::Transaction<'_>,
    ) -> anyhow::Result<Vec<Unchained>> {
        let limit = if self.behind() { BACKLOG_BATCH } else { BATCH };
        // A little before the last event linked: one whose transaction inserted it earlier but
        // committed later is linked in its place, not after the backlog (the entries walked again
        // are few: rows linked in the last batches).
        let from = (self.after - LATE_COMMITS).max(0);
        let mut rows = store::unchained(tx, from, limit).await?;
        if self.behind() && (rows.len() as i64) < limit {
            rows = store::unchained(tx, 0, limit).await?;
        }
        self.after = match rows.last() {
            Some(last) if rows.len() as i64 == limit => last.ord,
            _ => 0,
        };
        Ok(rows)
    }
}

/// Links the oldest committed unchained events (up to `BATCH`, `BACKLOG_BATCH` while behind)
/// in one transaction; returns how many.
async fn chain_batch(
    conn: &mut deadpool_postgres::Object,
    watch: &ChainWatch,
    keys: &ChainKeys,
    backlog: &mut Backlog,
) -> anyhow::Result<usize> {
    let tx = conn.transaction().await?;
    let rows = backlog.next(&tx).await?;
    if rows.is_empty() {
        relay_cache_changes(&tx).await?;
        tx.commit().await?;
        return Ok(0);
    }
    let mut ws: Vec<_> = rows.iter().map(|r| r.workspace_id).collect();
    ws.sort();
    ws.dedup();
    let mut heads: BTreeMap<_, Head> = store::lock_heads(&tx, &ws)
        .await?
        .into_iter()
        .map(|h| (h.workspace_id, h))
        .collect();
    let rows = with_switches(&tx, keys, &heads, rows).await?;
    let now = Utc::now().trunc_subsecs(6);
    let mut links = Vec::with_capacity(rows.len());
    for r in &rows {
        let Some(h) = heads.get_mut(&r.workspace_id) else {
            anyhow::bail!("no chain head for workspace {}", r.workspace_id);
        };
        let seq = h.seq + 1;
        // A live event takes the sequencer's clock, never before its head's time.
        let at = r.at.unwrap_or_else(|| h.at.map_or(now, |a| a.max(now)));
        let canonical = canonical_bytes(&ChainedFields {
            workspace_id: r.workspace_id,
            seq,
            id: r.id,
            at,
            actor_type: &r.actor_type,
            actor_id: r.actor_id,
            action: &r.action,
            target_type: r.target_type.as_deref(),
            target_id: r.target_id.as_deref(),
            outcome: &r.outcome,
            request_id: r.request_id.as_deref(),
            details: &r.details,
        });
        // A switch is linked with the key it names; a new chain is keyed from its first event.
        let key = switch_key(&r.actor_type, &r.action, &r.details)
            .map(str::to_owned)
            .or_else(|| h.key_id.clone())
            .or_else(|| (h.seq == 0).then(|| keys.active_id().to_owned()));
        let hash = match &key {
            Some(k) => keys
                .keyed_hash(k, r.workspace_id, &h.hash, &canonical)
                .ok_or_else(|| anyhow::anyhow!("the keyring lacks the audit chain's key {k}"))?,
            None => chain_hash(&h.hash, &canonical),
        }
        .to_vec();
        h.key_id = key;
        links.push(Link {
            ord: r.ord,
            seq,
            prev_hash: std::mem::replace(&mut h.hash, hash.clone()),
            hash,
            at,
        });
        h.seq = seq;
        h.at = Some(h.at.map_or(at, |a| a.max(at)));
    }
    let heads: Vec<Head> = heads.into_values().collect();
    // The dispatcher is not woken for a workspace whose batch holds only uses (resolves).
    let deliverable: std::collections::HashSet<Uuid> = rows
        .iter()
        .filter(|r| r.action != USED)
        .map(|r| r.workspace_id)
        .collect();
    let uses_only: Vec<bool> = heads
        .iter()
        .map(|h| !deliverable.contains(&h.workspace_id))
        .collect();
    if !store::link(&tx, &links, &heads, &uses_only).await? {
        tx.rollback().await?;
        anyhow::bail!("a batch of audit events changed while it was linked; it is read again");
    }
    // After reading the batch, so the invalidations of every change in it are relayed with it.
    relay_cache_changes(&tx).await?;
    tx.commit().await?;
    let ords: Vec<i64> = rows.iter().map(|r| r.ord).collect();
    watch.chained(&ords);
    Ok(rows.len())
}

/// Moves the committed cache invalidations into notifications sent when `tx` commits.
async fn relay_cache_changes(tx: &deadpool_postgres::Transaction<'_>) -> anyhow::Result<()> {
    credvault_store::cache_changes::relay(tx, crate::cache::CHANNEL).await?;
    Ok(())
}

/// Wakes another instance's sequencer for this instance's requests: one `NOTIFY` at a time,
/// wake-ups asked meanwhile folded into the next. Its transaction does not wait for a flush (a
/// lost wake-up costs at most `IDLE_RECHECK`), so it holds PostgreSQL's notify lock only briefly.
async fn wake_remote(watch: Arc<ChainWatch>, pool: Pool) {
    while !pool.is_closed() {
        watch.remote_wake_asked().await;
        let sent = match pool.get().await {
            Ok(c) => c
                .batch_execute(&format!(
                    "BEGIN; SET LOCAL synchronous_commit TO off; NOTIFY {PENDING_CHANNEL}; COMMIT"
                ))
                .await
                .map_err(anyhow::Error::from),
            Err(e) => Err(e.into()),
        };
        if let Err(e) = sent {
            tracing::debug!(error = %e, "could not wake the audit sequencer; it looks again shortly");
        }
    }
}
