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

use crate::audit::{Actor, Origin};
use crate::error::ServiceError;
use direct::Lane;
use writing::{hand_over, prepare, write_in};

mod batching;
mod conn;
pub mod direct;
mod writing;

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
    /// This instance's sequencer, while it runs here: it writes the batches (see `direct`).
    lane: std::sync::Arc<Lane>,
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
    /// Where this instance's sequencer takes the batches while it runs (see `direct`).
    pub lane: std::sync::Arc<Lane>,
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
        let lane = std::sync::Arc::new(Lane::default());
        (
            UsageWriter {
                tx,
                chain: chain.clone(),
                lane: lane.clone(),
            },
            tokio::spawn(run(pool, tls, (commits, chain_waits), (chain, lane), rx)),
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
    (chain, lane): (
        std::sync::Arc<crate::audit_chain::ChainWatch>,
        std::sync::Arc<Lane>,
    ),
    mut rx: mpsc::Receiver<Pending>,
) {
    let shared = std::sync::Arc::new(Shared {
        pool,
        chain,
        lane,
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
            let (counters, events) = prepare(&shared, &batch);
            let stamps = (counters.credentials.clone(), counters.workflows.clone());
            let (committed, ords) = match hand_over(&shared, counters, events).await {
                Ok(committed) => {
                    if !committed {
                        tracing::error!(events = batch.len(), "the audit sequencer could not commit a batch of credential uses; those resolves fail with 503");
                    }
                    (committed, Vec::new())
                }
                Err((counters, events)) => {
                    // Now, or after the sequencer gave it back: sent whole, alone (see `Conn`).
                    let (written, ords) = shared
                        .chain
                        .collect(async {
                            let write = tokio::time::timeout(
                                COMMIT_TIMEOUT,
                                write_in(c.client(), &counters, &events),
                            );
                            tokio::pin!(write);
                            match c.send_whole(write.as_mut()).await {
                                std::task::Poll::Ready(done) => done,
                                std::task::Poll::Pending => write.await,
                            }
                        })
                        .await;
                    (settled(&shared, &c, written, batch.len()), ords)
                }
            };
            shared
                .commits
                .with_label_values(&[if committed { "committed" } else { "failed" }])
                .observe(sent.elapsed().as_secs_f64());
            former.finished(slot, batch.len());
            if committed {
                shared.credentials.committed(&stamps.0);
                shared.workflows.committed(&stamps.1);
            }
            // Each request answers once its event is committed, never waiting for a second
            // flush: the sequencer is woken to chain it, and a read of the audit log waits for
            // that (`ChainWatch::settle`). How long the chaining took is measured beside (none
            // when the sequencer wrote the events linked).
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
        // The first poll hands the batch to the sequencer or sends its whole transaction (see
        // `Conn::send_whole`). Only then may the next batch be queued behind it.
        let first_poll =
            std::future::poll_fn(|cx| std::task::Poll::Ready(write.as_mut().poll(cx))).await;
        if first_poll.is_pending() {
            tokio::spawn(write);
        }
    }
}

/// Whether a batch its writer committed itself did commit; on a failure or a timeout, its
/// connection is dropped (and on a timeout, the pool's idle ones too).
fn settled(
    shared: &Shared,
    c: &Conn,
    written: Result<Result<(), ServiceError>, tokio::time::error::Elapsed>,
    events: usize,
) -> bool {
    match written {
        Ok(Ok(())) => true,
        Ok(Err(e)) => {
            c.poison();
            tracing::error!(error = ?e, events = events, "could not commit a batch of credential uses; those resolves fail with 503");
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
                let _ = tokio::time::timeout(COMMIT_TIMEOUT, cancel.cancel_query(tls)).await;
            });
            credvault_store::pool::forget_idle(&shared.pool);
            tracing::error!(events = events, timeout_secs = COMMIT_TIMEOUT.as_secs(), "a batch of credential uses did not commit in time: its connection is dropped and the pool's idle connections are reopened; those resolves fail with 503");
            false
        }
    }
}

#[cfg(test)]
mod tests;
