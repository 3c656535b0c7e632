//! The dispatcher: the audit log is the outbox. For each workspace, the one instance holding its
//! lease reads the chained events after each webhook's cursor, turns those webhooks hear of into
//! delivery rows (with the cursor move, in one transaction), then sends the due ones — with no
//! database connection held during a call — and records the pass's attempts in one transaction.
//! A subject's deliveries go out in audit order: due ones of different subjects go at once, those
//! of one subject one after the other, and a later one waits while an earlier one awaits a retry.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use credvault_domain::events::{subscribed, EventType};
use credvault_store::audit as astore;
use credvault_store::audit::StoredEvent;
use credvault_store::webhooks::{self as store, DeliveryRow, NewDelivery, WebhookRow};
use futures_util::StreamExt;
use secrecy::SecretString;
use uuid::Uuid;

mod attempts;

use super::payload::{self, Presenter};
use super::secret_of;
use crate::{ServiceError, Services};

/// Audit events read per pass.
const EVENTS_PER_PASS: i64 = 500;
/// Deliveries sent per pass at most, and runs (of one webhook and subject) sent at once.
const SENDS_PER_PASS: i64 = 256;
const SENDS_AT_ONCE: usize = 64;
/// The least time between passes that notifications alone ask for (a workspace busy with
/// resolves is notified of chained events all the time; none of them is delivered).
const PACE: Duration = Duration::from_millis(50);
/// How far a cursor may lag over events no webhook hears of before it is written.
const CURSOR_SLACK: i64 = 10_000;

pub struct Dispatcher {
    services: Arc<Services>,
    present: Presenter,
    /// This instance, as a lease holder.
    holder: Uuid,
    /// Workspaces being worked on here: whether another pass was asked for meanwhile.
    running: Mutex<HashMap<Uuid, bool>>,
    /// Until when this instance holds each workspace's lease (by its own clock, conservatively).
    leases: Mutex<HashMap<Uuid, Instant>>,
}

impl Dispatcher {
    pub fn new(services: Arc<Services>, present: Presenter) -> Arc<Dispatcher> {
        Arc::new(Dispatcher {
            services,
            present,
            holder: Uuid::now_v7(),
            running: Mutex::new(HashMap::new()),
            leases: Mutex::new(HashMap::new()),
        })
    }

    /// Works until the pool closes: on every notification of chained events, and on a tick for
    /// retries that fall due (and notifications missed while no listener was connected).
    pub async fn run(self: Arc<Self>) {
        let mut chained = self.services.hub.dispatcher_channel();
        let mut tick = tokio::time::interval(self.services.events.tick);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        while !self.services.pool.is_closed() {
            tokio::select! {
                Some(ws) = chained.recv() => self.kick(ws),
                _ = tick.tick() => match self.busy().await {
                    Ok(list) => list.into_iter().for_each(|ws| self.kick(ws)),
                    Err(e) => tracing::warn!(error = %e, "the webhook dispatcher cannot look for work; will retry"),
                },
            }
        }
    }

    async fn busy(&self) -> Result<Vec<Uuid>, ServiceError> {
        let client = self.services.pool.get().await?;
        Ok(store::busy_workspaces(&client).await?)
    }

    /// Gives up this instance's leases (at shutdown), so another takes over at once.
    pub async fn release(&self) {
        if let Ok(client) = self.services.pool.get().await {
            let _ = store::release_leases(&client, self.holder).await;
        }
    }

    /// Starts work on a workspace, or asks the running work for another pass.
    fn kick(self: &Arc<Self>, ws: Uuid) {
        let Ok(mut running) = self.running.lock() else {
            return;
        };
        if let Some(again) = running.get_mut(&ws) {
            *again = true;
            return;
        }
        running.insert(ws, false);
        let me = self.clone();
        tokio::spawn(async move { me.work(ws).await });
    }

    async fn work(self: Arc<Self>, ws: Uuid) {
        loop {
            let more = match self.pass(ws).await {
                Ok(more) => more,
                Err(e) => {
                    tracing::warn!(workspace_id = %ws, error = %e, "webhook dispatch failed; will retry");
                    false
                }
            };
            let again = {
                let Ok(mut running) = self.running.lock() else {
                    return;
                };
                if more || running.get(&ws) == Some(&true) {
                    running.insert(ws, false);
                    true
                } else {
                    running.remove(&ws);
                    false
                }
            };
            if !again {
                return;
            }
            // Asked again by notifications alone (a busy workspace's resolves): at most one
            // pass per PACE, so a stream of commits costs a bounded number of reads.
            if !more {
                tokio::time::sleep(PACE).await;
            }
        }
    }

    /// Whether this instance holds the workspace's lease, renewing it when half of it is gone
    /// (so a pass that finds nothing to do writes nothing).
    async fn leased(
        &self,
        c: &impl deadpool_postgres::GenericClient,
        ws: Uuid,
    ) -> Result<bool, ServiceError> {
        let lease = self.services.events.lease;
        let now = Instant::now();
        let fresh = self
            .leases
            .lock()
            .ok()
            .and_then(|l| l.get(&ws).copied())
            .is_some_and(|until| now + lease / 2 < until);
        if fresh {
            return Ok(true);
        }
        let held = store::take_lease(c, ws, self.holder, lease.as_secs_f64()).await?;
        if let Ok(mut l) = self.leases.lock() {
            match held {
                true => l.insert(ws, now + lease),
                false => l.remove(&ws),
            };
        }
        Ok(held)
    }

    /// One pass over a workspace: enqueue, then send what is due. True when there may be more.
    async fn pass(&self, ws: Uuid) -> Result<bool, ServiceError> {
        let mut client = self.services.pool.get().await?;
        let hooks = store::enabled(&client, ws).await?;
        if hooks.is_empty() {
            return Ok(false);
        }
        if !self.leased(&client, ws).await? {
            return Ok(false);
        }
        let head = astore::head(&client, ws).await?.map_or(0, |h| h.0);
        let more = self.enqueue(&mut client, ws, &hooks, head).await?;
        let due = store::due(&client, ws, SENDS_PER_PASS).await?;
        drop(client);
        if due.is_empty() {
            return Ok(more);
        }
        let runs = self.runs(&hooks, due)?;
        // Runs of different subjects at once; each run's deliveries one after the other, in audit
        // order, ending at the first that is not delivered (the rest wait for its retry).
        let sends = runs.into_iter().map(|(hook, secret, run)| {
            Box::pin(async move {
                let mut tried = Vec::with_capacity(run.len());
                for d in run {
                    let t = self.send(&hook, &secret, &d).await;
                    let stop = t.is_err();
                    tried.push((d, t));
                    if stop {
                        break;
                    }
                }
                tried
            })
        });
        let results: Vec<_> = futures_util::stream::iter(sends)
            .buffer_unordered(SENDS_AT_ONCE)
            .collect()
            .await;
        // Every attempt of the pass recorded in one transaction (a few statements, one commit).
        let attempts = results
            .into_iter()
            .flatten()
            .map(|(d, tried)| self.attempt(&d, tried))
            .collect::<Result<Vec<_>, _>>()?;
        let mut client = self.services.pool.get().await?;
        let tx = client.transaction().await?;
        self.record(&tx, ws, &attempts).await?;
        self.leased(&tx, ws).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Due deliveries (oldest event first) grouped into runs per webhook and subject, each with
    /// its webhook and the secret that signs it.
    fn runs(
        &self,
        hooks: &[WebhookRow],
        due: Vec<DeliveryRow>,
    ) -> Result<Vec<(WebhookRow, SecretString, Vec<DeliveryRow>)>, ServiceError> {
        let mut secrets: HashMap<Uuid, (&WebhookRow, SecretString)> = HashMap::new();
        let mut runs: Vec<(WebhookRow, SecretString, Vec<DeliveryRow>)> = Vec::new();
        let mut at: HashMap<(Uuid, String), usize> = HashMap::new();
        for d in due {
            let Some(hook) = hooks.iter().find(|h| h.id == d.webhook_id) else {
                continue;
            };
            if let Some(i) = at.get(&(d.webhook_id, d.subject.clone())) {
                runs[*i].2.push(d);
                continue;
            }
            let (hook, secret) = match secrets.get(&hook.id) {
                Some((h, s)) => (*h, s.clone()),
                None => {
                    let s = secret_of(&self.services, hook)?;
                    secrets.insert(hook.id, (hook, s.clone()));
                    (hook, s)
                }
            };
            at.insert((d.webhook_id, d.subject.clone()), runs.len());
            runs.push((hook.clone(), secret, vec![d]));
        }
        Ok(runs)
    }

    /// Turns the events after the webhooks' cursors into deliveries; true when more are left.
    async fn enqueue(
        &self,
        client: &mut deadpool_postgres::Object,
        ws: Uuid,
        hooks: &[WebhookRow],
        head: i64,
    ) -> Result<bool, ServiceError> {
        let Some(after) = hooks.iter().map(|h| h.cursor).min().filter(|a| *a < head) else {
            return Ok(false);
        };
        let c = &*client;
        let actions = EventType::audit_actions();
        let events =
            astore::events_with_actions(c, ws, after, head, &actions, EVENTS_PER_PASS).await?;
        let full = events.len() as i64 == EVENTS_PER_PASS;
        let upto = if full {
            events.last().map_or(head, |e| e.seq)
        } else {
            head
        };
        let heard: Vec<(&StoredEvent, EventType, Vec<&WebhookRow>)> = events
            .iter()
            .filter_map(|e| {
                let t = EventType::of_audit(&e.action, &e.outcome, &e.details)?;
                let hearing: Vec<&WebhookRow> = hooks
                    .iter()
                    .filter(|h| h.cursor < e.seq && subscribed(&h.events, t))
                    .collect();
                (!hearing.is_empty()).then_some((e, t, hearing))
            })
            .collect();
        let subjects: Vec<(&StoredEvent, EventType)> =
            heard.iter().map(|(e, t, _)| (*e, *t)).collect();
        let credentials = payload::credentials_of(c, ws, &subjects).await?;
        let mut new = Vec::new();
        for (e, t, hearing) in heard {
            let (subject, body) = payload::build(&self.present, e, t, &credentials);
            for h in hearing {
                new.push(NewDelivery {
                    id: Uuid::now_v7(),
                    webhook_id: h.id,
                    event_type: t.as_str().to_string(),
                    audit_seq: e.seq,
                    subject: subject.clone(),
                    body: body.clone(),
                });
            }
        }
        let cursors: Vec<(Uuid, i64)> = hooks
            .iter()
            .filter(|h| h.cursor < upto)
            .map(|h| (h.id, upto))
            .collect();
        // With nothing to deliver, a cursor moves only now and then: a workspace busy with
        // resolves would otherwise write on every pass.
        // The deliveries and the cursor moves in one transaction (a pass that writes nothing
        // opens none).
        if !new.is_empty() || full || upto - after >= CURSOR_SLACK {
            let tx = client.transaction().await?;
            store::enqueue(&tx, ws, &new, &cursors).await?;
            tx.commit().await?;
        }
        Ok(full)
    }
}
