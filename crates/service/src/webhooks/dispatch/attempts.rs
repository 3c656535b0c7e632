//! A delivery attempt: signed and sent through the outbound client (no redirect followed), its
//! outcome with the retry it schedules, and a pass's outcomes recorded in one go.

use chrono::Utc;
use credvault_store::webhooks::{self as store, Attempt, DeliveryRow, WebhookRow};
use reqwest::{Method, Url};
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

use super::super::DELIVERY_TIMEOUT;
use super::Dispatcher;
use crate::audit::{record_many, Event, Origin};
use crate::ServiceError;

impl Dispatcher {
    /// One attempt: delivered (2xx within the timeout) or why not, with the status if any.
    pub(super) async fn send(
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

    /// An attempt's outcome, with its retry scheduled (none after the last).
    pub(super) fn attempt(
        &self,
        d: &DeliveryRow,
        tried: Result<u16, (Option<u16>, String)>,
    ) -> Result<Attempt, ServiceError> {
        let (delivered, code, error) = match tried {
            Ok(code) => (true, Some(code), None),
            Err((code, e)) => (false, code, Some(e)),
        };
        let retry_at = match self
            .services
            .events
            .retry_schedule
            .get(d.attempts.max(0) as usize)
        {
            Some(wait) if !delivered => Some(
                Utc::now() + chrono::TimeDelta::from_std(*wait).map_err(ServiceError::internal)?,
            ),
            _ => None,
        };
        Ok(Attempt {
            id: d.id,
            webhook_id: d.webhook_id,
            delivered,
            status_code: code.map(i32::from),
            error,
            retry_at,
        })
    }

    /// Records a pass's attempts and disables the webhooks failing for too long, with an event.
    pub(super) async fn record(
        &self,
        tx: &impl deadpool_postgres::GenericClient,
        ws: Uuid,
        attempts: &[Attempt],
    ) -> Result<(), ServiceError> {
        let failing = store::record_attempts(tx, ws, attempts).await?;
        let limit = chrono::TimeDelta::from_std(self.services.events.disable_after)
            .map_err(ServiceError::internal)?;
        for (hook, since) in failing {
            if since > Utc::now() - limit || !store::disable(tx, ws, hook).await? {
                continue;
            }
            let ev = Event::new("webhook.disabled")
                .target("webhook", hook, None)
                .outcome("failure")
                .detail("reason", "failing deliveries")
                .detail("failing_since", since.to_rfc3339());
            record_many(tx, ws, &[(crate::oauth::system(), Origin::default(), ev)]).await?;
        }
        Ok(())
    }
}

/// The `webhook-id` of a delivery: the same on every attempt.
fn message_id(delivery: Uuid) -> String {
    format!("msg_{}", delivery.simple())
}
