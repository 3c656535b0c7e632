//! The answers of the Vault routes, in Vault's shapes: every one inside Vault's envelope
//! (`request_id`, `lease_id`, ... `data`, `auth`).

use chrono::{DateTime, Utc};
use credvault_domain::credential::SecretDoc;
use credvault_service::Principal;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::request_id::current_request_id;

/// What Vault puts around every answer's `data`; credvault hands out no leases.
#[derive(Serialize, ToSchema)]
pub struct Envelope {
    /// This request's id (its `X-Request-Id`).
    pub request_id: String,
    /// Always empty: nothing is leased.
    #[schema(example = "")]
    pub lease_id: String,
    /// Always false.
    pub renewable: bool,
    /// Always 0.
    pub lease_duration: i64,
    /// Always null: nothing is response-wrapped.
    #[schema(value_type = Option<Object>)]
    pub wrap_info: Option<()>,
    /// Always null.
    pub warnings: Option<Vec<String>>,
    /// Always null.
    #[schema(value_type = Option<Object>)]
    pub auth: Option<()>,
}

impl Envelope {
    /// The envelope of this request's answer.
    pub fn now() -> Envelope {
        Envelope {
            request_id: current_request_id().unwrap_or_default(),
            lease_id: String::new(),
            renewable: false,
            lease_duration: 0,
            wrap_info: None,
            warnings: None,
            auth: None,
        }
    }
}

/// The token's kind, as Vault names it: credvault's API tokens are `service` tokens.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VaultTokenType {
    Service,
}

/// The calling token, as Vault describes one.
#[derive(Serialize, ToSchema)]
pub struct TokenInfo {
    /// The token's id (for a session, the session's id): never the token itself.
    pub id: Uuid,
    /// The token's name (for a session, its person's name).
    pub display_name: String,
    /// The token's scopes (for a session, none: its person's role decides).
    #[schema(example = json!(["credentials:resolve"]))]
    pub policies: Vec<String>,
    /// Seconds until the token expires; 0 when it does not.
    pub ttl: i64,
    pub expire_time: Option<DateTime<Utc>>,
    /// Always false: a credvault token is not renewed through Vault's API.
    pub renewable: bool,
    #[serde(rename = "type")]
    pub kind: VaultTokenType,
}

impl TokenInfo {
    pub fn of(caller: &Principal, now: DateTime<Utc>) -> TokenInfo {
        let (id, display_name, policies, expires) = match &caller.token {
            Some(t) => (t.id, t.name.clone(), t.scopes.clone(), t.expires_at),
            None => (
                caller.session_id.unwrap_or_default(),
                caller.actor.display.clone().unwrap_or_default(),
                Vec::new(),
                None,
            ),
        };
        TokenInfo {
            id,
            display_name,
            policies,
            ttl: expires.map_or(0, |at| (at - now).num_seconds().max(0)),
            expire_time: expires,
            renewable: false,
            kind: VaultTokenType::Service,
        }
    }
}

/// `GET /v1/auth/token/lookup-self`.
#[derive(Serialize, ToSchema)]
pub struct TokenLookup {
    #[serde(flatten)]
    pub envelope: Envelope,
    pub data: TokenInfo,
}

/// A KV version 2 secret's metadata: the credential's current version.
#[derive(Serialize, ToSchema)]
pub struct KvMetadata {
    /// When this version was made.
    pub created_time: DateTime<Utc>,
    /// Always null.
    #[schema(value_type = Option<Object>)]
    pub custom_metadata: Option<()>,
    /// Always empty: a deleted credential is not read (410).
    #[schema(example = "")]
    pub deletion_time: String,
    /// Always false.
    pub destroyed: bool,
    /// The credential's current version.
    pub version: i32,
}

/// A KV version 2 read's `data`.
#[derive(Serialize, ToSchema)]
pub struct KvData {
    /// Every field of the credential in full (an oauth2 access token refreshed first when due).
    #[schema(value_type = Object, example = json!({"key": "sk_live_51HxExampleKey0042", "placement": "header", "name": "Authorization", "prefix": "Bearer "}))]
    pub data: SecretDoc,
    pub metadata: KvMetadata,
}

/// `GET /v1/kv/data/{workflow_id}/{credential_id}`.
#[derive(Serialize, ToSchema)]
pub struct KvSecret {
    #[serde(flatten)]
    pub envelope: Envelope,
    pub data: KvData,
}

/// The keys under a workflow.
#[derive(Serialize, ToSchema)]
pub struct KvKeys {
    /// The ids of the credentials the workflow declares.
    pub keys: Vec<Uuid>,
}

/// `LIST /v1/kv/metadata/{workflow_id}`.
#[derive(Serialize, ToSchema)]
pub struct KvList {
    #[serde(flatten)]
    pub envelope: Envelope,
    pub data: KvKeys,
}
