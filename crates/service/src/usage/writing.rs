//! What the group-commit writer writes: a batch's usage counters and events, handed to this
//! instance's sequencer (see `direct`) or, when none runs here, committed by the writer itself.

use std::collections::BTreeMap;

use tokio::sync::oneshot;
use uuid::Uuid;

use std::sync::{Arc, Mutex};

use super::direct::{Counters, DirectEvent, Job, Outcome, Payload, WITHDRAW_AFTER};
use super::{Pending, Shared, COMMIT_TIMEOUT};
use crate::audit::Event;
use crate::error::ServiceError;

/// A batch's counters (the stamps not due left out) and events.
pub(super) fn prepare(shared: &Shared, batch: &[Pending]) -> (Counters, Vec<DirectEvent>) {
    let mut c = Counters::default();
    for (u, at, _) in batch {
        let e = c
            .per_day
            .entry((
                u.workspace_id,
                u.credential_id,
                u.workflow_id.clone(),
                at.date_naive(),
            ))
            .or_insert((0, *at));
        e.0 += 1;
        e.1 = e.1.max(*at);
        let l = c
            .credentials
            .entry((u.workspace_id, u.credential_id))
            .or_insert(*at);
        *l = (*l).max(*at);
        let w = c
            .workflows
            .entry((u.workspace_id, u.workflow_id.clone()))
            .or_insert(*at);
        *w = (*w).max(*at);
    }
    c.credentials = shared.credentials.due(c.credentials);
    c.workflows = shared.workflows.due(c.workflows);
    let events = batch
        .iter()
        .map(|(u, _, _)| {
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
            DirectEvent::new(u.workspace_id, u.actor.clone(), u.origin.clone(), ev)
        })
        .collect();
    (c, events)
}

/// Hands a batch to this instance's sequencer (see `chain_direct`): Err gives it back when none
/// runs here; Ok(committed) once its transaction has ended.
pub(super) async fn hand_over(
    shared: &Shared,
    counters: Counters,
    events: Vec<DirectEvent>,
) -> Result<bool, (Counters, Vec<DirectEvent>)> {
    let (done, mut answer) = oneshot::channel();
    let payload = Arc::new(Mutex::new(Some(Payload { events, counters })));
    let withdraw = || {
        let p = payload.lock().unwrap_or_else(|e| e.into_inner()).take();
        p.map(|p| (p.counters, p.events))
    };
    let job = Job {
        payload: payload.clone(),
        done,
    };
    if shared.lane.send(job).is_err() {
        return Err(withdraw().expect("never handed over"));
    }
    let outcome = match tokio::time::timeout(WITHDRAW_AFTER, &mut answer).await {
        Ok(outcome) => outcome,
        // Not taken yet (the sequencer is busy, or stopped): committed here instead.
        Err(_) => {
            if let Some(back) = withdraw() {
                return Err(back);
            }
            match tokio::time::timeout(COMMIT_TIMEOUT, answer).await {
                Ok(outcome) => outcome,
                Err(_) => return Ok(false),
            }
        }
    };
    match outcome {
        Ok(Outcome::Committed) => Ok(true),
        Ok(Outcome::Returned(p)) => Err((p.counters, p.events)),
        // Dropped untaken (the sequencer stopped), or taken and lost at its commit.
        Err(_) => withdraw().map_or(Ok(false), Err),
    }
}

/// One transaction in one round trip: BEGIN, the usage counters, the events (unchained) and
/// COMMIT, pipelined.
pub(super) async fn write_in(
    client: &deadpool_postgres::Client,
    counters: &Counters,
    events: &[DirectEvent],
) -> Result<(), ServiceError> {
    let mut by_ws: BTreeMap<Uuid, Vec<&DirectEvent>> = BTreeMap::new();
    for e in events {
        by_ws.entry(e.workspace_id).or_default().push(e);
    }
    // Every statement is prepared, so each request below is sent on its first poll, in order,
    // and the whole transaction goes out in one round trip: BEGIN, the counters, the appends and
    // COMMIT. If any statement fails, its error fails the batch (the server then answers the
    // pipelined COMMIT with a rollback).
    let begin = async {
        client
            .batch_execute("BEGIN")
            .await
            .map_err(ServiceError::from)
    };
    let appends = futures_util::future::try_join_all(
        by_ws
            .iter()
            .map(|(ws, items)| super::direct::append_unchained(client, *ws, items)),
    );
    let commit = async {
        client
            .batch_execute("COMMIT")
            .await
            .map_err(ServiceError::from)
    };
    tokio::try_join!(begin, counters.write(client), appends, commit)?;
    Ok(())
}
