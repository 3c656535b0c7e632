//! Durable audit on the hot path, with group commit: each resolve's `credential.used` event is
//! committed before its response is sent, but concurrent resolves share one transaction. The
//! writer takes whatever events are waiting (up to `MAX_BATCH`) and sends them with the usage
//! counters as one transaction, in one round trip; up to `IN_FLIGHT` such transactions are queued
//! on one connection at once, so PostgreSQL starts the next as soon as the previous commits. While
//! one runs, the next fills up with the requests coming back (see `Former`). Each request is
//! released when its batch has committed. If the batch cannot be committed, every
//! request in it fails: a secret is never handed out unrecorded.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use credvault_store::dburl::MakeRustlsConnect;
use deadpool_postgres::Pool;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::audit::{Actor, Event, Origin};
use crate::error::ServiceError;

mod batching;
mod conn;

use batching::{Former, Stamps};
use conn::{connect, Conn};

const MAX_BATCH: usize = 512;
/// Batches sent and not yet committed, all on one connection: PostgreSQL runs them one after the
/// other (they would queue on the workspace's chain head anyway), and the next is already there
/// when the previous commits. Two measured best: with one, the backend idled through every round
/// trip (resolve bench 10,000/s against 12,500-15,000/s); with three, no better than two. Before
/// this, two batches on two connections waited for each other on the chain head's lock.
const IN_FLIGHT: usize = 2;
/// How long the writer gives a batch to commit, or a connection to get ready, before it gives up
/// on the connection (its requests answer 503; a request waits at most a second more in all):
/// one that hangs without erroring (a network partition, a frozen proxy) would otherwise hold
/// every resolve until TCP gives up, minutes later.
const COMMIT_TIMEOUT: Duration = Duration::from_secs(5);

/// One use of a credential by a workflow.
pub struct Used {
    pub workspace_id: Uuid,
    pub credential_id: Uuid,
    pub credential_name: String,
    pub workflow_id: String,
    pub execution_id: Option<String>,
    /// The one field handed out, when the resolve asked for one.
    pub field: Option<String>,
    pub version: i32,
    pub actor: Actor,
    pub origin: Origin,
}

/// (workspace, credential, workflow, day): one usage counter.
type DayKey = (Uuid, Uuid, String, chrono::NaiveDate);

type Pending = (Used, DateTime<Utc>, oneshot::Sender<bool>);

/// What the writers share besides the pool.
struct Shared {
    pool: Pool,
    chain: std::sync::Arc<crate::audit_chain::ChainWatch>,
    /// How the pool's connections are encrypted, for the cancel request's own connection.
    tls: MakeRustlsConnect,
    /// Send-to-commit time of each batch, by outcome (`/metrics`).
    commits: prometheus::HistogramVec,
    /// Commit-to-chained time of each committed batch (`/metrics`).
    chain_waits: prometheus::Histogram,
    credentials: Stamps<(Uuid, Uuid)>,
    workflows: Stamps<(Uuid, String)>,
}

#[derive(Clone)]
pub struct UsageWriter {
    tx: mpsc::Sender<Pending>,
    /// Where the writer waits for its events to be chained (shared with every request).
    pub chain: std::sync::Arc<crate::audit_chain::ChainWatch>,
}

impl UsageWriter {
    /// Starts the writer task on the current runtime.
    pub fn start(
        pool: Pool,
        tls: MakeRustlsConnect,
        commits: prometheus::HistogramVec,
        chain_waits: prometheus::Histogram,
    ) -> (UsageWriter, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(16 * MAX_BATCH);
        let chain = crate::audit_chain::ChainWatch::new(pool.clone());
        (
            UsageWriter {
                tx,
                chain: chain.clone(),
            },
            tokio::spawn(run(pool, tls, (commits, chain_waits), chain, rx)),
        )
    }

    /// Records one use durably; returns once its transaction has committed.
    pub async fn record(&self, used: Used) -> Result<(), ServiceError> {
        let (done, wait) = oneshot::channel();
        let unavailable = || ServiceError::Unavailable {
            detail:
                "the audit log cannot be written right now; nothing was handed out: retry shortly"
                    .into(),
            retry_after: None,
        };
        // The wait for room in the queue counts too: when the writer is stuck, the queue fills.
        let committed = async {
            self.tx
                .send((used, Utc::now().trunc_subsecs(6), done))
                .await
                .ok()?;
            wait.await.ok()
        };
        // A second longer than its batch is given: when the batch times out, the writer has
        // dropped the hung connections before this request answers and its caller retries.
        match tokio::time::timeout(COMMIT_TIMEOUT + Duration::from_secs(1), committed).await {
            Ok(Some(true)) => Ok(()),
            _ => Err(unavailable()),
        }
    }
}

async fn run(
    pool: Pool,
    tls: MakeRustlsConnect,
    (commits, chain_waits): (prometheus::HistogramVec, prometheus::Histogram),
    chain: std::sync::Arc<crate::audit_chain::ChainWatch>,
    mut rx: mpsc::Receiver<Pending>,
) {
    let shared = std::sync::Arc::new(Shared {
        pool,
        chain,
        tls,
        commits,
        chain_waits,
        credentials: Stamps::new(),
        workflows: Stamps::new(),
    });
    let former = std::sync::Arc::new(Former::default());
    let mut conn: Option<std::sync::Arc<Conn>> = None;
    loop {
        let Some((slot, mut batch)) = former.next(&mut rx).await else {
            break;
        };
        // Requests that gave up waiting (and answered 503) need no event: nothing was handed out.
        batch.retain(|(_, _, done)| !done.is_closed());
        if batch.is_empty() {
            former.finished(slot, 0);
            continue;
        }
        if !conn.as_ref().is_some_and(|c| c.usable()) {
            conn = match tokio::time::timeout(COMMIT_TIMEOUT, connect(&shared.pool)).await {
                Ok(Ok(c)) => Some(c),
                Ok(Err(e)) => {
                    tracing::error!(error = ?e, events = batch.len(), "no database connection for a batch of credential uses; those resolves fail with 503");
                    None
                }
                Err(_) => {
                    credvault_store::pool::forget_idle(&shared.pool);
                    tracing::error!(events = batch.len(), timeout_secs = COMMIT_TIMEOUT.as_secs(), "a database connection for credential uses did not answer in time: the pool's idle connections are reopened; those resolves fail with 503");
                    None
                }
            };
        }
        let Some(c) = conn.clone() else {
            for (_, _, done) in batch {
                let _ = done.send(false);
            }
            continue;
        };
        let shared = shared.clone();
        let former = former.clone();
        let mut write = Box::pin(async move {
            let sent = std::time::Instant::now();
            let (written, ords) = shared
                .chain
                .collect(tokio::time::timeout(
                    COMMIT_TIMEOUT,
                    write_in(&shared, c.client(), &batch),
                ))
                .await;
            let committed = match written {
                Ok(Ok(())) => true,
                Ok(Err(e)) => {
                    c.poison();
                    tracing::error!(error = ?e, events = batch.len(), "could not commit a batch of credential uses; those resolves fail with 503");
                    false
                }
                Err(_) => {
                    // Whether it commits later or not, its requests have answered 503: an event
                    // without its answer is possible, an answer without its event is not. The
                    // backend is asked to cancel it, so that, if it is alive but stuck (on a
                    // lock, say), it does not keep its place ahead of the next batches.
                    c.poison();
                    let cancel = c.client().cancel_token();
                    let tls = shared.tls.clone();
                    tokio::spawn(async move {
                        let _ =
                            tokio::time::timeout(COMMIT_TIMEOUT, cancel.cancel_query(tls)).await;
                    });
                    credvault_store::pool::forget_idle(&shared.pool);
                    tracing::error!(events = batch.len(), timeout_secs = COMMIT_TIMEOUT.as_secs(), "a batch of credential uses did not commit in time: its connection is dropped and the pool's idle connections are reopened; those resolves fail with 503");
                    false
                }
            };
            shared
                .commits
                .with_label_values(&[if committed { "committed" } else { "failed" }])
                .observe(sent.elapsed().as_secs_f64());
            former.finished(slot, batch.len());
            // Each request answers once its event is committed, never waiting for a second
            // flush: the sequencer is woken to chain it, and a read of the audit log waits for
            // that (`ChainWatch::settle`). How long the chaining took is measured beside.
            if committed {
                let (chain, waits) = (shared.chain.clone(), shared.chain_waits.clone());
                let chained = std::time::Instant::now();
                tokio::spawn(async move {
                    chain.wait(&ords).await;
                    waits.observe(chained.elapsed().as_secs_f64());
                });
            } else {
                shared.chain.abandon(&ords);
            }
            for (_, _, done) in batch {
                let _ = done.send(committed);
            }
        });
        // The first poll sends the whole transaction (every statement is prepared on this
        // connection, so nothing waits before its request is queued). Only then may the next
        // batch be queued behind it: transactions on one connection never interleave.
        let first_poll =
            std::future::poll_fn(|cx| std::task::Poll::Ready(write.as_mut().poll(cx))).await;
        if first_poll.is_pending() {
            tokio::spawn(write);
        }
    }
}

/// One transaction in one round trip: BEGIN, the usage counters, the events and COMMIT, pipelined.
async fn write_in(
    shared: &Shared,
    client: &deadpool_postgres::Client,
    batch: &[Pending],
) -> Result<(), ServiceError> {
    use credvault_store::workflows as wstore;
    let mut per_day: BTreeMap<DayKey, (i64, DateTime<Utc>)> = BTreeMap::new();
    let mut last_used: BTreeMap<(Uuid, Uuid), DateTime<Utc>> = BTreeMap::new();
    let mut wf_used: BTreeMap<(Uuid, String), DateTime<Utc>> = BTreeMap::new();
    for (u, at, _) in batch {
        let e = per_day
            .entry((
                u.workspace_id,
                u.credential_id,
                u.workflow_id.clone(),
                at.date_naive(),
            ))
            .or_insert((0, *at));
        e.0 += 1;
        e.1 = e.1.max(*at);
        let l = last_used
            .entry((u.workspace_id, u.credential_id))
            .or_insert(*at);
        *l = (*l).max(*at);
        let w = wf_used
            .entry((u.workspace_id, u.workflow_id.clone()))
            .or_insert(*at);
        *w = (*w).max(*at);
    }
    let last_used = shared.credentials.due(last_used);
    let wf_used = shared.workflows.due(wf_used);
    let (ws, ids, at): (Vec<Uuid>, Vec<Uuid>, Vec<DateTime<Utc>>) = last_used
        .iter()
        .map(|((w, i), a)| (*w, *i, *a))
        .fold((vec![], vec![], vec![]), |mut acc, (w, i, a)| {
            acc.0.push(w);
            acc.1.push(i);
            acc.2.push(a);
            acc
        });
    let rows: Vec<credvault_store::workflows::DayUses> = per_day
        .into_iter()
        .map(
            |((workspace_id, credential_id, workflow_id, day), (count, last_used_at))| {
                credvault_store::workflows::DayUses {
                    workspace_id,
                    credential_id,
                    workflow_id,
                    day,
                    count,
                    last_used_at,
                }
            },
        )
        .collect();
    let wf: Vec<_> = wf_used
        .iter()
        .map(|((w, id), a)| (*w, id.clone(), *a))
        .collect();
    let mut by_ws: BTreeMap<Uuid, Vec<(Actor, Origin, Event)>> = BTreeMap::new();
    for (u, _, _) in batch {
        let mut ev = Event::new("credential.used")
            .target(
                "credential",
                u.credential_id,
                Some(u.credential_name.clone()),
            )
            .detail("workflow_id", u.workflow_id.clone())
            .detail("version", u.version);
        for (name, value) in [("execution_id", &u.execution_id), ("field", &u.field)] {
            if let Some(v) = value {
                ev = ev.detail(name, v.clone());
            }
        }
        by_ws
            .entry(u.workspace_id)
            .or_default()
            .push((u.actor.clone(), u.origin.clone(), ev));
    }
    // Every statement is prepared, so each request below is sent on its first poll, in order,
    // and the whole transaction goes out in one round trip: BEGIN, the counters, the appends
    // (each locks its chain head inside PostgreSQL) and COMMIT. Nothing waits on this client
    // while a head is locked. If any statement fails, its error fails the batch (the server then
    // answers the pipelined COMMIT with a rollback).
    let counters = async {
        tokio::try_join!(
            async {
                client
                    .batch_execute("BEGIN")
                    .await
                    .map_err(ServiceError::from)
            },
            async {
                if ids.is_empty() {
                    return Ok(());
                }
                wstore::record_uses(client, &ws, &ids, &at)
                    .await
                    .map_err(ServiceError::from)
            },
            async {
                wstore::count_uses(client, &rows)
                    .await
                    .map_err(ServiceError::from)
            },
            async {
                if wf.is_empty() {
                    return Ok(());
                }
                wstore::touch_workflows(client, &wf)
                    .await
                    .map_err(ServiceError::from)
            },
        )
    };
    let appends = futures_util::future::try_join_all(
        by_ws
            .iter()
            .map(|(ws, items)| crate::audit::record_many(client, *ws, items)),
    );
    let commit = async {
        client
            .batch_execute("COMMIT")
            .await
            .map_err(ServiceError::from)
    };
    tokio::try_join!(counters, appends, commit)?;
    shared.credentials.committed(&last_used);
    shared.workflows.committed(&wf_used);
    Ok(())
}

#[cfg(test)]
mod tests;
