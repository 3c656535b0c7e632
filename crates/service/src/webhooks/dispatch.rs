//! The dispatcher: the audit log is the outbox. For each workspace, the one instance holding its
//! lease reads the chained events after each webhook's cursor, turns those webhooks hear of into
//! delivery rows (with the cursor move, in one transaction), then sends the due ones — with no
//! database connection held during a call — and records each attempt. A subject's deliveries go
//! out in audit order: the next waits while an earlier one is pending.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use credvault_domain::events::{subscribed, EventType};
use credvault_store::audit as astore;
use credvault_store::webhooks::{self as store, DeliveryRow, NewDelivery, WebhookRow};
use futures_util::StreamExt;
use reqwest::{Method, Url};
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

use super::payload::{self, Presenter};
use super::{secret_of, DELIVERY_TIMEOUT};
use crate::audit::{record_many, Event, Origin};
use crate::{ServiceError, Services};

/// Audit events read per pass.
const EVENTS_PER_PASS: i64 = 500;
/// Deliveries sent per pass, and at once.
const SENDS_PER_PASS: i64 = 128;
const SENDS_AT_ONCE: usize = 32;
/// The least time between passes that notifications alone ask for.
const PACE: Duration = Duration::from_millis(20);
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
        let tx = client.transaction().await?;
        let more = self.enqueue(&tx, ws, &hooks, head).await?;
        tx.commit().await?;
        let due = store::due(&client, ws, SENDS_PER_PASS).await?;
        drop(client);
        if due.is_empty() {
            return Ok(more);
        }
        let by_id: HashMap<Uuid, &WebhookRow> = hooks.iter().map(|h| (h.id, h)).collect();
        let mut jobs = Vec::with_capacity(due.len());
        for d in due {
            let Some(hook) = by_id.get(&d.webhook_id) else {
                continue;
            };
            let secret = secret_of(&self.services, hook)?;
            jobs.push((d, (*hook).clone(), secret));
        }
        let sends = jobs.into_iter().map(|(d, hook, secret)| {
            Box::pin(async move {
                let tried = self.send(&hook, &secret, &d).await;
                (d, tried)
            })
        });
        let results: Vec<_> = futures_util::stream::iter(sends)
            .buffer_unordered(SENDS_AT_ONCE)
            .collect()
            .await;
        // Every attempt of the pass recorded in one transaction (one commit).
        let mut client = self.services.pool.get().await?;
        let tx = client.transaction().await?;
        for (d, tried) in results {
            self.record(&tx, &d, tried).await?;
        }
        self.leased(&tx, ws).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Turns the events after the webhooks' cursors into deliveries; true when more are left.
    async fn enqueue(
        &self,
        c: &impl deadpool_postgres::GenericClient,
        ws: Uuid,
        hooks: &[WebhookRow],
        head: i64,
    ) -> Result<bool, ServiceError> {
        let Some(after) = hooks.iter().map(|h| h.cursor).min().filter(|a| *a < head) else {
            return Ok(false);
        };
        let actions = EventType::audit_actions();
        let events =
            astore::events_with_actions(c, ws, after, head, &actions, EVENTS_PER_PASS).await?;
        let full = events.len() as i64 == EVENTS_PER_PASS;
        let upto = if full {
            events.last().map_or(head, |e| e.seq)
        } else {
            head
        };
        let mut new = Vec::new();
        for e in &events {
            let Some(t) = EventType::of_audit(&e.action, &e.outcome, &e.details) else {
                continue;
            };
            let hearing: Vec<&WebhookRow> = hooks
                .iter()
                .filter(|h| h.cursor < e.seq && subscribed(&h.events, t))
                .collect();
            if hearing.is_empty() {
                continue;
            }
            let (subject, body) = payload::build(c, &self.present, e, t).await?;
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
        if !new.is_empty() || full || upto - after >= CURSOR_SLACK {
            store::enqueue(c, ws, &new, &cursors).await?;
        }
        Ok(full)
    }

    /// One attempt: delivered (2xx within the timeout) or why not, with the status if any.
    async fn send(
        &self,
        hook: &WebhookRow,
        secret: &SecretString,
        d: &DeliveryRow,
    ) -> Result<u16, (Option<u16>, String)> {
        let url = Url::parse(&hook.url).map_err(|e| (None, format!("bad URL: {e}")))?;
        let msg_id = message_id(d.id);
        let ts = Utc::now().timestamp();
        let sig = credvault_crypto::webhook_signature(
            secret.expose_secret(),
            &msg_id,
            ts,
            d.body.as_bytes(),
        )
        .ok_or((None, "the webhook's secret cannot sign".to_string()))?;
        let req = self
            .services
            .outbound
            .request_once(Method::POST, url)
            .timeout(DELIVERY_TIMEOUT)
            .header("content-type", "application/json")
            .header("webhook-id", msg_id)
            .header("webhook-timestamp", ts.to_string())
            .header("webhook-signature", sig)
            .body(d.body.clone());
        match self.services.outbound.send_once(req).await {
            Ok(a) if a.status.is_success() => Ok(a.status.as_u16()),
            Ok(a) => Err((Some(a.status.as_u16()), format!("answered {}", a.status))),
            Err(e) => Err((None, e.to_string())),
        }
    }

    /// Records an attempt, schedules the retry, and disables a webhook failing for too long.
    async fn record(
        &self,
        tx: &impl deadpool_postgres::GenericClient,
        d: &DeliveryRow,
        tried: Result<u16, (Option<u16>, String)>,
    ) -> Result<(), ServiceError> {
        let settings = &self.services.events;
        let (delivered, code, error) = match &tried {
            Ok(code) => (true, Some(*code), None),
            Err((code, e)) => (false, *code, Some(e.as_str())),
        };
        let retry_at = match settings.retry_schedule.get(d.attempts.max(0) as usize) {
            Some(wait) if !delivered => Some(
                Utc::now() + chrono::TimeDelta::from_std(*wait).map_err(ServiceError::internal)?,
            ),
            _ => None,
        };
        let code = code.map(i32::from);
        let since = store::record_attempt(tx, d, delivered, code, error, retry_at).await?;
        let limit =
            chrono::TimeDelta::from_std(settings.disable_after).map_err(ServiceError::internal)?;
        if since.is_some_and(|s| s <= Utc::now() - limit)
            && store::disable(tx, d.workspace_id, d.webhook_id).await?
        {
            let ev = Event::new("webhook.disabled")
                .target("webhook", d.webhook_id, None)
                .outcome("failure")
                .detail("reason", "failing deliveries")
                .detail("failing_since", since.map(|s| s.to_rfc3339()));
            record_many(
                tx,
                d.workspace_id,
                &[(crate::oauth::system(), Origin::default(), ev)],
            )
            .await?;
        }
        Ok(())
    }
}

/// The `webhook-id` of a delivery: the same on every attempt.
pub fn message_id(delivery: Uuid) -> String {
    format!("msg_{}", delivery.simple())
}
