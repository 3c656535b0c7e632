//! Resolves' events chained as they are written. While this instance holds the sequencer, the
//! group-commit writer of resolves hands it each batch: its `credential.used` events and
//! its usage counters. The sequencer writes them in its own next transaction, after linking the
//! events committed before it, with their place in the chain: one insert per event, where an
//! event inserted unchained is written twice (inserted, then moved out of the default partition
//! when linked) and read once more by the sequencer. The batch's requests answer when that
//! transaction has committed, as they answered at their own batch's commit before; the events
//! and counters commit together or not at all. When another instance holds the sequencer, the
//! writer commits its batches itself, unchained.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

use serde_json::Value;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use credvault_store::audit::NewEvent;

use crate::audit::{Actor, Event, Origin};
use crate::error::ServiceError;

use super::DayKey;

/// An event handed to the sequencer: what `audit::record_many` would insert.
pub struct DirectEvent {
    pub workspace_id: Uuid,
    pub id: Uuid,
    pub actor: Actor,
    pub origin: Origin,
    pub event: Event,
}

impl DirectEvent {
    /// The event of `actor` (a personal token's user named in its details, as `record_many` does).
    pub fn new(workspace_id: Uuid, actor: Actor, origin: Origin, mut event: Event) -> DirectEvent {
        if let (Some(user_id), Value::Object(m)) = (actor.user_id, &mut event.details) {
            m.insert("user_id".into(), Value::String(user_id.to_string()));
        }
        DirectEvent {
            workspace_id,
            id: Uuid::now_v7(),
            actor,
            origin,
            event,
        }
    }

    pub(crate) fn row(&self) -> NewEvent<'_> {
        NewEvent {
            id: self.id,
            actor_type: self.actor.kind,
            actor_id: self.actor.id,
            actor_display: self.actor.display.as_deref(),
            action: self.event.action,
            target_type: self.event.target_type,
            target_id: self.event.target_id.as_deref(),
            target_name: self.event.target_name.as_deref(),
            outcome: self.event.outcome,
            ip: self.origin.ip.as_deref(),
            user_agent: self.origin.user_agent.as_deref(),
            request_id: self.origin.request_id.as_deref(),
            details: &self.event.details,
        }
    }
}

/// What a batch of resolves hands over.
pub struct Payload {
    pub events: Vec<DirectEvent>,
    pub counters: Counters,
}

/// A batch of resolves handed to the sequencer. Whoever takes the payload out of its slot first
/// owns it: the sequencer when its next transaction starts, or the writer, which withdraws it
/// after `WITHDRAW_AFTER` (the sequencer is stuck, or catching up on a backlog) and commits it
/// itself. `done` says whether the sequencer committed it (dropped unanswered after it took the
/// payload: not known, and the batch's requests fail as if it had not).
pub struct Job {
    pub(crate) payload: Arc<Mutex<Option<Payload>>>,
    pub(crate) done: oneshot::Sender<Outcome>,
}

/// What became of a job the sequencer took (its `done` dropped: not known).
pub(crate) enum Outcome {
    Committed,
    /// Its transaction failed before COMMIT was sent: nothing of it was written.
    Returned(Payload),
}

/// A job the sequencer took.
pub(crate) struct Taken {
    pub(crate) payload: Payload,
    pub(crate) done: oneshot::Sender<Outcome>,
}

/// The jobs of a committed transaction.
pub(crate) fn committed(jobs: Vec<Taken>) {
    for j in jobs {
        let _ = j.done.send(Outcome::Committed);
    }
}

/// The jobs of a failed transaction: back to their writers if COMMIT was not sent; else whether
/// they were written is not known, and their resolves fail.
pub(crate) fn give_back(jobs: Vec<Taken>, commit_sent: bool) {
    for j in jobs {
        if !commit_sent {
            let _ = j.done.send(Outcome::Returned(j.payload));
        }
    }
}

/// How long a writer leaves a job to the sequencer before it withdraws it, if not taken yet.
pub(crate) const WITHDRAW_AFTER: std::time::Duration = std::time::Duration::from_millis(100);

/// Where jobs go while this instance's sequencer runs (shared by the writer and the sequencer).
#[derive(Default)]
pub struct Lane {
    to: Mutex<Option<mpsc::UnboundedSender<Job>>>,
    /// False while the sequencer catches up on a backlog: a batch handed over would wait for it.
    accepting: AtomicBool,
}

impl Lane {
    /// Opened by the sequencer once it holds the lock.
    pub(crate) fn open(&self) -> mpsc::UnboundedReceiver<Job> {
        let (tx, rx) = mpsc::unbounded_channel();
        *self.to.lock().unwrap_or_else(|e| e.into_inner()) = Some(tx);
        self.accepting.store(true, Ordering::SeqCst);
        rx
    }

    /// Closed when it stops: jobs are then committed by their writer.
    pub(crate) fn close(&self) {
        self.accepting.store(false, Ordering::SeqCst);
        *self.to.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    pub(crate) fn accept(&self, accepting: bool) {
        self.accepting.store(accepting, Ordering::SeqCst);
    }

    /// Hands `job` to the sequencer; gives it back when none runs here or it is behind.
    pub(crate) fn send(&self, job: Job) -> Result<(), Job> {
        if !self.accepting.load(Ordering::SeqCst) {
            return Err(job);
        }
        match &*self.to.lock().unwrap_or_else(|e| e.into_inner()) {
            Some(tx) => tx.send(job).map_err(|e| e.0),
            None => Err(job),
        }
    }
}

/// Events handed over at most per sequencer transaction (more wait for the next).
const MAX_EVENTS: usize = 4096;

/// Takes the payloads of the jobs waiting (`received` first), up to `MAX_EVENTS` events; jobs
/// withdrawn meanwhile are dropped.
pub(crate) fn take(rx: &mut mpsc::UnboundedReceiver<Job>, received: &mut Vec<Job>) -> Vec<Taken> {
    let mut taken = Vec::new();
    let mut events = 0;
    let mut claim = |j: Job, events: &mut usize| {
        let payload = j.payload.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(payload) = payload {
            *events += payload.events.len();
            taken.push(Taken {
                payload,
                done: j.done,
            });
        }
    };
    for j in received.drain(..) {
        claim(j, &mut events);
    }
    while events < MAX_EVENTS {
        match rx.try_recv() {
            Ok(j) => claim(j, &mut events),
            Err(_) => break,
        }
    }
    taken
}

/// A handed-over event as the sequencer links it: insertion number 0, which no stored event has.
pub(crate) fn as_unchained(d: &DirectEvent) -> credvault_store::audit_chain::Unchained {
    credvault_store::audit_chain::Unchained {
        ord: 0,
        workspace_id: d.workspace_id,
        id: d.id,
        at: None,
        actor_type: d.actor.kind.to_owned(),
        actor_id: d.actor.id,
        action: d.event.action.to_owned(),
        target_type: d.event.target_type.map(str::to_owned),
        target_id: d.event.target_id.clone(),
        outcome: d.event.outcome.to_owned(),
        request_id: d.origin.request_id.clone(),
        details: d.event.details.clone(),
    }
}

/// Writes the jobs' counters (merged: one statement each for all of them) and their events with
/// `links` (one per event, in order) in the sequencer's transaction.
pub(crate) async fn write(
    tx: &impl deadpool_postgres::GenericClient,
    jobs: &[Taken],
    links: &[credvault_store::audit_chain::Link],
) -> anyhow::Result<()> {
    if jobs.is_empty() {
        return Ok(());
    }
    let mut counters = Counters::default();
    for j in jobs {
        counters.merge(&j.payload.counters);
    }
    let events: Vec<_> = jobs
        .iter()
        .flat_map(|j| &j.payload.events)
        .zip(links)
        .map(|(d, link)| credvault_store::audit_chain::LinkedEvent {
            workspace_id: d.workspace_id,
            event: d.row(),
            link,
        })
        .collect();
    anyhow::ensure!(
        events.len() == jobs.iter().map(|j| j.payload.events.len()).sum::<usize>(),
        "a handed-over event has no place in the chain"
    );
    tokio::try_join!(
        async { Ok::<_, anyhow::Error>(counters.write(tx).await?) },
        async { Ok(credvault_store::audit_chain::insert_linked(tx, &events).await?) },
    )?;
    Ok(())
}

/// Inserts one workspace's events unchained, in the caller's transaction (when no sequencer runs
/// here): as `audit::record_many` does, noting them for the work running in `ChainWatch::collect`.
pub(crate) async fn append_unchained(
    c: &impl deadpool_postgres::GenericClient,
    ws: Uuid,
    events: &[&DirectEvent],
) -> Result<(), crate::ServiceError> {
    let rows: Vec<NewEvent<'_>> = events.iter().map(|e| e.row()).collect();
    let appended = credvault_store::audit::append_events(c, ws, None, &rows).await?;
    crate::audit_chain::recorded(&appended.ords, appended.xid);
    Ok(())
}

/// A batch's usage counters: per (credential, workflow, day), and the `last_used_at` stamps due.
#[derive(Default)]
pub struct Counters {
    pub(super) per_day: BTreeMap<DayKey, (i64, DateTime<Utc>)>,
    pub(super) credentials: BTreeMap<(Uuid, Uuid), DateTime<Utc>>,
    pub(super) workflows: BTreeMap<(Uuid, String), DateTime<Utc>>,
}

impl Counters {
    /// Adds `other`'s (several batches written in one transaction: one statement each).
    pub(crate) fn merge(&mut self, other: &Counters) {
        for (k, (n, at)) in &other.per_day {
            let e = self.per_day.entry(k.clone()).or_insert((0, *at));
            e.0 += n;
            e.1 = e.1.max(*at);
        }
        for (k, at) in &other.credentials {
            let e = self.credentials.entry(*k).or_insert(*at);
            *e = (*e).max(*at);
        }
        for (k, at) in &other.workflows {
            let e = self.workflows.entry(k.clone()).or_insert(*at);
            *e = (*e).max(*at);
        }
    }

    /// Writes them, pipelined: credentials, counters, workflows (the order every writer locks in).
    pub(crate) async fn write(
        &self,
        client: &impl deadpool_postgres::GenericClient,
    ) -> Result<(), ServiceError> {
        use credvault_store::workflows as wstore;
        let (mut ws, mut ids, mut at) = (vec![], vec![], vec![]);
        for ((w, i), a) in &self.credentials {
            ws.push(*w);
            ids.push(*i);
            at.push(*a);
        }
        let rows: Vec<wstore::DayUses> = self
            .per_day
            .iter()
            .map(
                |((workspace_id, credential_id, workflow_id, day), (count, last_used_at))| {
                    wstore::DayUses {
                        workspace_id: *workspace_id,
                        credential_id: *credential_id,
                        workflow_id: workflow_id.clone(),
                        day: *day,
                        count: *count,
                        last_used_at: *last_used_at,
                    }
                },
            )
            .collect();
        let wf: Vec<_> = self
            .workflows
            .iter()
            .map(|((w, id), a)| (*w, id.clone(), *a))
            .collect();
        tokio::try_join!(
            async {
                if ids.is_empty() {
                    return Ok(());
                }
                wstore::record_uses(client, &ws, &ids, &at).await
            },
            wstore::count_uses(client, &rows),
            async {
                if wf.is_empty() {
                    return Ok(());
                }
                wstore::touch_workflows(client, &wf).await
            },
        )?;
        Ok(())
    }
}
