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
//! not announce them. It also writes the resolves' batches of its own instance, linked, after
//! the events committed before them (`usage::direct`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{SubsecRound, Utc};
use credvault_domain::audit::{canonical_bytes, ChainedFields};
use credvault_store::audit_chain::{self as store, Head, Link};
use deadpool_postgres::Pool;
use futures_util::StreamExt;
use tokio_postgres::AsyncMessage;
use uuid::Uuid;

use crate::audit_chain::ChainWatch;

mod backlog;
use crate::chain_keys::{self, chain_hash, switch_key, ChainKeys};
use crate::usage::direct::{self as chain_direct, Lane};
use backlog::Backlog;

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
pub async fn run(
    watch: Arc<ChainWatch>,
    lane: Arc<Lane>,
    database_url: String,
    pool: Pool,
    keys: Arc<ChainKeys>,
) {
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
        if let Err(e) = run_once(&watch, &lane, &db, &pool, &own, &keys).await {
            tracing::warn!(error = %e, "the audit sequencer stopped; it starts again");
        }
        watch.set_local(false);
        lane.close();
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
    lane: &Lane,
    db: &credvault_store::dburl::Database,
    pool: &Pool,
    own: &Pool,
    keys: &ChainKeys,
) -> anyhow::Result<()> {
    let mut held = Held(Some(own.get().await?));
    let conn = held.0.as_mut().expect("held");
    // A batch that waits on a lock (someone else holding a chain head or an event row) ends
    // with an error: the resolves handed over go back to their writers (see `chain_direct`).
    conn.batch_execute("SET idle_in_transaction_session_timeout = '10s'; SET lock_timeout = '2s'")
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
        let mut handed = lane.open();
        tracing::info!("this instance runs the audit sequencer");
        chain_keys::switch_dormant_chains(conn, keys).await?;
        let (mut backlog, mut sweeper) =
            (Backlog::default(), crate::pending_sweep::Sweeper::default());
        let mut jobs = Vec::new();
        loop {
            loop {
                // While behind, the resolves' batches are left to their writers (see `Lane`).
                let taken = if backlog.behind() {
                    Vec::new()
                } else {
                    chain_direct::take(&mut handed, &mut jobs)
                };
                let mut taken = taken;
                let mut commit_sent = false;
                let batch = chain_batch(
                    conn,
                    watch,
                    keys,
                    &mut backlog,
                    &mut taken,
                    &mut commit_sent,
                );
                let (linked, moved) = match batch.await {
                    Ok(n) => n,
                    Err(e) => {
                        chain_direct::give_back(taken, commit_sent);
                        return Err(e);
                    }
                };
                lane.accept(!backlog.behind());
                sweeper.linked(moved, pool);
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
                j = handed.recv() => jobs.extend(j),
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

/// Links the oldest committed unchained events (up to `BATCH`, `BACKLOG_BATCH` while behind)
/// and then writes the `jobs` handed over, linked (see `chain_direct`), in one transaction;
/// returns how many events, and how many of them were moved out of the unchained partition.
async fn chain_batch(
    conn: &mut deadpool_postgres::Object,
    watch: &ChainWatch,
    keys: &ChainKeys,
    backlog: &mut Backlog,
    jobs: &mut Vec<chain_direct::Taken>,
    commit_sent: &mut bool,
) -> anyhow::Result<(usize, usize)> {
    // BEGIN, the unchained events read and the handed-over events' heads locked, in one round
    // trip (the batch's turn in the chain is a serial path, and the resolves handed over wait
    // for its commit). Any error ends the sequencer's connection, and so the transaction.
    let tx: &deadpool_postgres::Client = conn;
    let direct_ws = workspaces(
        jobs.iter()
            .flat_map(|j| &j.payload.events)
            .map(|e| e.workspace_id),
    );
    let ((), mut rows, locked) = tokio::try_join!(
        async { Ok(tx.batch_execute("BEGIN").await?) },
        backlog.next(tx),
        async {
            if direct_ws.is_empty() {
                return Ok(Vec::new());
            }
            Ok(store::lock_heads(tx, &direct_ws).await?)
        }
    )?;
    // A full batch leaves committed events for the next one: events handed over now would be
    // linked before them. They go back to their writers (nothing of them is written).
    if backlog.behind() {
        chain_direct::give_back(std::mem::take(jobs), false);
    }
    rows.extend(
        jobs.iter()
            .flat_map(|j| &j.payload.events)
            .map(chain_direct::as_unchained),
    );
    if rows.is_empty() {
        relay_cache_changes(tx).await?;
        tx.batch_execute("COMMIT").await?;
        return Ok((0, 0));
    }
    let mut heads: BTreeMap<_, Head> = locked.into_iter().map(|h| (h.workspace_id, h)).collect();
    let missing = workspaces(
        rows.iter()
            .map(|r| r.workspace_id)
            .filter(|w| !heads.contains_key(w)),
    );
    if !missing.is_empty() {
        for h in store::lock_heads(tx, &missing).await? {
            heads.insert(h.workspace_id, h);
        }
    }
    let rows = chain_keys::with_switches(tx, keys, &heads, rows).await?;
    let now = Utc::now().trunc_subsecs(6);
    let (mut links, mut direct) = (Vec::with_capacity(rows.len()), Vec::new());
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
        let link = Link {
            ord: r.ord,
            seq,
            prev_hash: std::mem::replace(&mut h.hash, hash.clone()),
            hash,
            at,
        };
        // Insertion number 0: handed over, inserted below with its link.
        if r.ord == 0 { &mut direct } else { &mut links }.push(link);
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
    // Sent together, in one round trip. The invalidations are relayed after the batch was read,
    // so those of every change in it go with it.
    let (linked, (), ()) = tokio::try_join!(
        async { Ok(store::link(tx, &links, &heads, &uses_only).await?) },
        chain_direct::write(tx, jobs, &direct),
        relay_cache_changes(tx),
    )?;
    if !linked {
        tx.batch_execute("ROLLBACK").await?;
        anyhow::bail!("a batch of audit events changed while it was linked; it is read again");
    }
    *commit_sent = true;
    tx.batch_execute("COMMIT").await?;
    let ords: Vec<i64> = links.iter().map(|l| l.ord).collect();
    watch.chained(&ords);
    chain_direct::committed(std::mem::take(jobs));
    Ok((rows.len(), ords.len()))
}

/// These workspaces, sorted, each once.
fn workspaces(ws: impl Iterator<Item = Uuid>) -> Vec<Uuid> {
    let mut ws: Vec<Uuid> = ws.collect();
    ws.sort();
    ws.dedup();
    ws
}

/// Moves the committed cache invalidations into notifications sent when `tx` commits.
async fn relay_cache_changes(tx: &impl deadpool_postgres::GenericClient) -> anyhow::Result<()> {
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
