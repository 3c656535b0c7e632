//! Webhook request and response bodies, and the payloads a receiver gets (documented in the
//! spec's `webhooks` section from these same types).

use chrono::{DateTime, Utc};
use credvault_domain::events::{EventType, StatusChangeReason};
use credvault_service::webhooks::{WebhookPatch, WebhookSpec};
use credvault_store::webhooks::{DeliveryRow, WebhookRow};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::credential_dto::{patch_field, CredentialSummary};
use super::dto::AuditActor;
use super::fields::Fields;
use crate::error::ApiError;
use crate::wire_enum;

wire_enum!(
    /// An event type a webhook subscribes to; `*` subscribes to all of them.
    EventSelectorSchema = "WebhookEventSelector",
    std::iter::once("*").chain(EventType::ALL.map(EventType::as_str))
);

wire_enum!(
    /// The type of a delivered event (never `credential.used`).
    EventTypeSchema = "WebhookEventType",
    EventType::ALL.map(EventType::as_str)
);

wire_enum!(
    /// Why a credential's status changed: a connection test passed or failed, an OAuth2 refresh
    /// failed, or `expires_at` passed.
    StatusChangeReasonSchema = "StatusChangeReason",
    StatusChangeReason::ALL.map(StatusChangeReason::as_str)
);

/// Where a delivery stands.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum DeliveryStatus {
    Pending,
    Delivered,
    Failed,
}

#[derive(Deserialize, ToSchema)]
pub struct CreateWebhook {
    /// https, or http to a host `CREDVAULT_OUTBOUND_ALLOW` allows; never a private address
    /// otherwise.
    #[schema(value_type = String, example = "https://hooks.example.com/credvault")]
    pub url: Option<String>,
    #[schema(value_type = Vec<EventSelectorSchema>, min_items = 1)]
    pub events: Option<Vec<String>>,
    #[schema(max_length = 500)]
    pub description: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct UpdateWebhook {
    #[schema(value_type = String, required = false)]
    pub url: Option<String>,
    #[schema(value_type = Vec<EventSelectorSchema>, min_items = 1, required = false)]
    pub events: Option<Vec<String>>,
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<String>, max_length = 500, required = false)]
    pub description: Option<Option<String>>,
    /// False enables it again (and forgets its failures).
    #[schema(value_type = bool, required = false)]
    pub disabled: Option<bool>,
}

/// The events, each a type or `*`; one problem per wrong entry.
fn events(f: &mut Fields, list: Option<&Vec<String>>) -> Vec<String> {
    let Some(list) = list else {
        f.push("events", "is required");
        return Vec::new();
    };
    if list.is_empty() {
        f.push("events", "must name at least one event type, or *");
    }
    for (i, e) in list.iter().enumerate() {
        if e != "*" {
            if let Err(err) = e.parse::<EventType>() {
                f.push(&format!("events[{i}]"), err.to_string());
            }
        }
    }
    let mut out = list.clone();
    out.dedup();
    out
}

fn description(f: &mut Fields, d: Option<&String>) {
    if d.is_some_and(|d| d.chars().count() > 500) {
        f.push("description", "must be at most 500 characters");
    }
}

impl CreateWebhook {
    pub fn parse(&self) -> Result<WebhookSpec, ApiError> {
        let mut f = Fields::default();
        if self.url.is_none() {
            f.push("url", "is required");
        }
        let events = events(&mut f, self.events.as_ref());
        description(&mut f, self.description.as_ref());
        match &self.url {
            Some(url) if f.is_empty() => Ok(WebhookSpec {
                url: url.clone(),
                events,
                description: self.description.clone(),
            }),
            _ => Err(f.into_error()),
        }
    }
}

impl UpdateWebhook {
    pub fn parse(&self) -> Result<WebhookPatch, ApiError> {
        let mut f = Fields::default();
        let events = self.events.as_ref().map(|l| events(&mut f, Some(l)));
        description(&mut f, self.description.as_ref().and_then(|d| d.as_ref()));
        if !f.is_empty() {
            return Err(f.into_error());
        }
        Ok(WebhookPatch {
            url: self.url.clone(),
            events,
            description: self.description.clone(),
            disabled: self.disabled,
        })
    }
}

/// A webhook (never its secret).
#[derive(Serialize, ToSchema)]
pub struct Webhook {
    pub id: Uuid,
    pub url: String,
    #[schema(value_type = Vec<EventSelectorSchema>)]
    pub events: Vec<String>,
    pub description: Option<String>,
    /// Set by a change, or after 5 days of failed deliveries.
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
}

impl From<WebhookRow> for Webhook {
    fn from(w: WebhookRow) -> Self {
        Webhook {
            id: w.id,
            url: w.url,
            events: w.events,
            description: w.description,
            disabled: w.disabled,
            created_at: w.created_at,
        }
    }
}

/// A new webhook, with its signing secret shown this once.
#[derive(Serialize, ToSchema)]
pub struct CreatedWebhook {
    #[serde(flatten)]
    pub webhook: Webhook,
    /// `whsec_` + base64 of 32 random bytes: store it now, it is never shown again.
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    pub secret: String,
}

/// A webhook's new signing secret, shown this once.
#[derive(Serialize, ToSchema)]
pub struct WebhookSecret {
    pub secret: String,
}

#[derive(Serialize, ToSchema)]
pub struct WebhookList {
    pub items: Vec<Webhook>,
    pub next_cursor: Option<String>,
}

/// One event to send to one webhook, and how its attempts went.
#[derive(Serialize, ToSchema)]
pub struct Delivery {
    /// Also the `webhook-id` header, with `msg_` before it.
    pub id: Uuid,
    #[schema(value_type = EventTypeSchema)]
    pub event_type: String,
    pub audit_seq: Option<i64>,
    #[schema(value_type = DeliveryStatus)]
    pub status: String,
    pub attempts: i32,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<DeliveryRow> for Delivery {
    fn from(d: DeliveryRow) -> Self {
        Delivery {
            next_attempt_at: (d.status == "pending").then_some(d.next_attempt_at),
            id: d.id,
            event_type: d.event_type,
            audit_seq: d.audit_seq,
            status: d.status,
            attempts: d.attempts,
            last_status_code: d.last_status_code,
            last_error: d.last_error,
            delivered_at: d.delivered_at,
            created_at: d.created_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct DeliveryPage {
    pub items: Vec<Delivery>,
    pub next_cursor: Option<String>,
}

/// A credential that has been purged since the event: what the audit log says of it.
#[derive(Serialize, ToSchema)]
pub struct PurgedCredential {
    pub id: String,
    pub name: Option<String>,
}

/// `data` of a credential event. Carried per type: `status_changed` has `from`, `to`, `reason`;
/// `expiring` has `expires_at`; `rotation_due` has `rotation_due_at`; `refresh_failed` has
/// `error` and `terminal`; `rotated` has `version`.
#[derive(Serialize, ToSchema)]
pub struct CredentialEventData {
    pub workspace_id: Uuid,
    pub audit_seq: i64,
    pub actor: AuditActor,
    /// The credential as it is now (absent once it has been purged).
    #[schema(required = false)]
    pub credential: Option<CredentialSummary>,
    /// Instead of `credential` once it has been purged (`credential.purged` always).
    #[schema(required = false)]
    pub purged_credential: Option<PurgedCredential>,
    #[schema(value_type = Option<crate::openapi::enums::StatusSchema>, required = false)]
    pub from: Option<String>,
    #[schema(value_type = Option<crate::openapi::enums::StatusSchema>, required = false)]
    pub to: Option<String>,
    #[schema(value_type = Option<StatusChangeReasonSchema>, required = false)]
    pub reason: Option<String>,
    #[schema(required = false)]
    pub expires_at: Option<DateTime<Utc>>,
    #[schema(required = false)]
    pub rotation_due_at: Option<DateTime<Utc>>,
    #[schema(required = false)]
    pub error: Option<String>,
    #[schema(required = false)]
    pub terminal: Option<bool>,
    #[schema(required = false)]
    pub version: Option<i32>,
}

/// The API token an event is about (never its value).
#[derive(Serialize, ToSchema)]
pub struct EventToken {
    pub id: Uuid,
    pub name: Option<String>,
    #[schema(value_type = crate::openapi::enums::TokenKindSchema)]
    pub kind: String,
}

#[derive(Serialize, ToSchema)]
pub struct TokenEventData {
    pub workspace_id: Uuid,
    pub audit_seq: i64,
    pub actor: AuditActor,
    pub token: EventToken,
}

/// The user an event is about.
#[derive(Serialize, ToSchema)]
pub struct EventUser {
    pub id: Uuid,
    pub display_name: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct UserEventData {
    pub workspace_id: Uuid,
    pub audit_seq: i64,
    pub actor: AuditActor,
    pub user: EventUser,
}

/// What a webhook receives about a credential (`POST` to its URL, signed per Standard Webhooks).
#[derive(Serialize, ToSchema)]
pub struct CredentialEvent {
    #[serde(rename = "type")]
    #[schema(value_type = EventTypeSchema)]
    pub kind: String,
    /// When the event was recorded.
    pub timestamp: DateTime<Utc>,
    pub data: CredentialEventData,
}

/// What a webhook receives about an API token.
#[derive(Serialize, ToSchema)]
pub struct TokenEvent {
    #[serde(rename = "type")]
    #[schema(value_type = EventTypeSchema)]
    pub kind: String,
    pub timestamp: DateTime<Utc>,
    pub data: TokenEventData,
}

/// What a webhook receives about a user.
#[derive(Serialize, ToSchema)]
pub struct UserEvent {
    #[serde(rename = "type")]
    #[schema(value_type = EventTypeSchema)]
    pub kind: String,
    pub timestamp: DateTime<Utc>,
    pub data: UserEventData,
}
