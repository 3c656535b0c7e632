//! Webhooks: their configuration (owner/admin only, the secret sealed and shown once), their
//! deliveries, and the background work that sends them (`dispatch`) and announces time-based
//! credential events (`timed`).

pub mod dispatch;
pub mod payload;
pub mod timed;

use std::time::Duration;

use credvault_crypto::{generate_webhook_secret, Sealed};
use credvault_domain::events::{DISABLE_AFTER_DAYS, RETRY_SCHEDULE_SECS};
use credvault_domain::sealing::webhook_aad;
use credvault_store::webhooks::{self as store, DeliveryRow, WebhookRow};
use reqwest::Url;
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

use crate::audit::Event;
use crate::page::{self, Page};
use crate::{Principal, ServiceError, Services};

/// How deliveries and the audit stream behave (shortened in tests).
#[derive(Debug, Clone)]
pub struct EventSettings {
    /// Waits before each retry; after the last, a delivery has failed.
    pub retry_schedule: Vec<Duration>,
    /// A webhook failing this long in a row is disabled.
    pub disable_after: Duration,
    /// How long a workspace's dispatcher lease lasts unrenewed (another instance takes over then).
    pub lease: Duration,
    /// How often the dispatcher looks for due retries and missed notifications.
    pub tick: Duration,
    /// How often expiring and rotation-due credentials are looked for.
    pub timed_interval: Duration,
    /// An empty line this often while a followed audit stream has nothing to say.
    pub heartbeat: Duration,
    /// Audit stream followers per workspace per instance.
    pub max_followers: usize,
}

impl Default for EventSettings {
    fn default() -> Self {
        EventSettings {
            retry_schedule: RETRY_SCHEDULE_SECS
                .iter()
                .map(|s| Duration::from_secs(*s))
                .collect(),
            disable_after: Duration::from_secs(DISABLE_AFTER_DAYS as u64 * 86_400),
            lease: Duration::from_secs(30),
            tick: Duration::from_secs(1),
            timed_interval: Duration::from_secs(60),
            heartbeat: Duration::from_secs(15),
            max_followers: 20,
        }
    }
}

/// A delivery is answered within this or it failed.
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);

/// A webhook to create, its events already valid (wire names, or `*`).
pub struct WebhookSpec {
    pub url: String,
    pub events: Vec<String>,
    pub description: Option<String>,
}

/// What a change sets; absent fields stay.
#[derive(Default)]
pub struct WebhookPatch {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub description: Option<Option<String>>,
    pub disabled: Option<bool>,
}

/// A webhook with its secret, which is shown this once.
pub struct Created {
    pub row: WebhookRow,
    pub secret: SecretString,
}

/// The URL, checked against the outbound rules: a 422 on `url` when refused.
async fn checked_url(services: &Services, url: &str) -> Result<String, ServiceError> {
    let parsed =
        Url::parse(url).map_err(|_| ServiceError::field("url", "must be an absolute URL"))?;
    if let Some(why) = services.outbound.refusal_of(&parsed).await {
        return Err(ServiceError::field("url", why));
    }
    Ok(parsed.to_string())
}

/// The origin of a URL, which is what audit events say of it (a path or query may carry a
/// receiver's token).
fn origin(url: &str) -> String {
    credvault_domain::credential::destinations::origin(url).unwrap_or_default()
}

fn seal(
    services: &Services,
    ws: Uuid,
    id: Uuid,
    secret: &SecretString,
) -> Result<Sealed, ServiceError> {
    services
        .envelope
        .seal(secret.expose_secret().as_bytes(), &webhook_aad(ws, id))
        .map_err(ServiceError::internal)
}

/// Opens a webhook's secret (to sign a delivery).
pub fn secret_of(services: &Services, w: &WebhookRow) -> Result<SecretString, ServiceError> {
    let sealed = Sealed {
        kek_id: w.kek_id.clone(),
        wrapped_dek: w.wrapped_dek.clone(),
        nonce: w.nonce.clone(),
        ciphertext: w.ciphertext.clone(),
    };
    let plain = services
        .envelope
        .open(&sealed, &webhook_aad(w.workspace_id, w.id))
        .map_err(ServiceError::internal)?;
    let text = String::from_utf8(plain.expose().to_vec()).map_err(ServiceError::internal)?;
    Ok(SecretString::from(text))
}

fn put_sealed(w: &mut WebhookRow, s: Sealed) {
    w.kek_id = s.kek_id;
    w.wrapped_dek = s.wrapped_dek;
    w.nonce = s.nonce;
    w.ciphertext = s.ciphertext;
}

/// `credential.status_changed`, when a change moved the stored status (None when it did not).
pub fn status_changed(
    id: Uuid,
    name: &str,
    from: &str,
    to: &str,
    reason: credvault_domain::events::StatusChangeReason,
) -> Option<Event> {
    (from != to).then(|| {
        Event::new("credential.status_changed")
            .target("credential", id, Some(name.to_string()))
            .detail("from", from)
            .detail("to", to)
            .detail("reason", reason.as_str())
    })
}

fn event(action: &'static str, w: &WebhookRow) -> Event {
    Event::new(action).target("webhook", w.id, w.description.clone())
}

/// Creates a webhook; it hears of what is recorded from now on.
pub async fn create(
    services: &Services,
    caller: &Principal,
    spec: WebhookSpec,
) -> Result<Created, ServiceError> {
    let url = checked_url(services, &spec.url).await?;
    let ws = caller.workspace_id;
    let id = Uuid::now_v7();
    let secret = generate_webhook_secret().map_err(ServiceError::internal)?;
    let mut row = WebhookRow {
        workspace_id: ws,
        id,
        url,
        events: spec.events,
        description: spec.description,
        disabled: false,
        kek_id: String::new(),
        wrapped_dek: Vec::new(),
        nonce: Vec::new(),
        ciphertext: Vec::new(),
        cursor: 0,
        failing_since: None,
        created_at: chrono::Utc::now(),
    };
    put_sealed(&mut row, seal(services, ws, id, &secret)?);
    let mut client = services.pool.get().await?;
    let tx = client.transaction().await?;
    let row = store::insert(&tx, &row).await?;
    let ev = event("webhook.created", &row)
        .detail("url_origin", origin(&row.url))
        .detail("events", row.events.clone());
    caller.record(&tx, [ev]).await?;
    tx.commit().await?;
    Ok(Created { row, secret })
}

pub async fn list(
    services: &Services,
    caller: &Principal,
) -> Result<Vec<WebhookRow>, ServiceError> {
    let client = services.pool.get().await?;
    Ok(store::list(&client, caller.workspace_id).await?)
}

pub async fn get(
    services: &Services,
    caller: &Principal,
    id: Uuid,
) -> Result<WebhookRow, ServiceError> {
    let client = services.pool.get().await?;
    store::get(&client, caller.workspace_id, id)
        .await?
        .ok_or(ServiceError::NotFound("webhook"))
}

/// Changes a webhook; enabling it again forgets its failures.
pub async fn update(
    services: &Services,
    caller: &Principal,
    id: Uuid,
    patch: WebhookPatch,
) -> Result<WebhookRow, ServiceError> {
    let url = match &patch.url {
        Some(u) => Some(checked_url(services, u).await?),
        None => None,
    };
    let mut client = services.pool.get().await?;
    let tx = client.transaction().await?;
    let mut row = store::get(&tx, caller.workspace_id, id)
        .await?
        .ok_or(ServiceError::NotFound("webhook"))?;
    let mut changed: Vec<&str> = Vec::new();
    if let Some(u) = url {
        row.url = u;
        changed.push("url");
    }
    if let Some(e) = patch.events {
        row.events = e;
        changed.push("events");
    }
    if let Some(d) = patch.description {
        row.description = d;
        changed.push("description");
    }
    if let Some(d) = patch.disabled {
        row.disabled = d;
        changed.push("disabled");
    }
    store::update(&tx, &row).await?;
    let ev = event("webhook.updated", &row)
        .detail("changed", changed)
        .detail("url_origin", origin(&row.url))
        .detail("events", row.events.clone())
        .detail("disabled", row.disabled);
    caller.record(&tx, [ev]).await?;
    tx.commit().await?;
    Ok(row)
}

pub async fn delete(services: &Services, caller: &Principal, id: Uuid) -> Result<(), ServiceError> {
    let mut client = services.pool.get().await?;
    let tx = client.transaction().await?;
    let row = store::get(&tx, caller.workspace_id, id)
        .await?
        .ok_or(ServiceError::NotFound("webhook"))?;
    store::delete(&tx, caller.workspace_id, id).await?;
    caller.record(&tx, [event("webhook.deleted", &row)]).await?;
    tx.commit().await?;
    Ok(())
}

/// A new secret for the webhook, shown this once; the old one stops signing at once.
pub async fn rotate_secret(
    services: &Services,
    caller: &Principal,
    id: Uuid,
) -> Result<SecretString, ServiceError> {
    let secret = generate_webhook_secret().map_err(ServiceError::internal)?;
    let mut client = services.pool.get().await?;
    let tx = client.transaction().await?;
    let mut row = store::get(&tx, caller.workspace_id, id)
        .await?
        .ok_or(ServiceError::NotFound("webhook"))?;
    let sealed = seal(services, row.workspace_id, id, &secret)?;
    put_sealed(&mut row, sealed);
    store::update(&tx, &row).await?;
    caller
        .record(&tx, [event("webhook.secret_rotated", &row)])
        .await?;
    tx.commit().await?;
    Ok(secret)
}

/// A page of a webhook's deliveries, newest first.
pub async fn deliveries(
    services: &Services,
    caller: &Principal,
    id: Uuid,
    limit: Option<i64>,
    cursor: Option<String>,
) -> Result<Page<DeliveryRow>, ServiceError> {
    let limit = page::limit(limit)?;
    let before = match cursor {
        None => None,
        Some(c) => Some(
            c.parse::<Uuid>()
                .map_err(|_| ServiceError::invalid("cursor is not one this list gave out"))?,
        ),
    };
    let client = services.pool.get().await?;
    store::get(&client, caller.workspace_id, id)
        .await?
        .ok_or(ServiceError::NotFound("webhook"))?;
    let rows = store::deliveries(&client, caller.workspace_id, id, before, limit + 1).await?;
    Ok(Page::of(rows, limit, |d| d.id.to_string()))
}

/// Makes a delivery due now and wakes the dispatcher.
pub async fn retry(
    services: &Services,
    caller: &Principal,
    id: Uuid,
    delivery: Uuid,
) -> Result<(), ServiceError> {
    let client = services.pool.get().await?;
    if !store::retry_now(&client, caller.workspace_id, id, delivery).await? {
        return Err(ServiceError::NotFound("delivery"));
    }
    services.hub.chained(caller.workspace_id, true);
    Ok(())
}
