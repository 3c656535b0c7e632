//! Credential request and response bodies.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Serialize, Deserialize, ToSchema, Clone)]
pub struct OwnerRef {
    pub id: Uuid,
    pub display_name: String,
}

/// What lists show, and all a `use`-only caller sees.
#[derive(Serialize, ToSchema)]
pub struct CredentialSummary {
    pub id: Uuid,
    pub name: String,
    pub service: String,
    /// `api_key`, `basic_auth`, `oauth2` or `custom`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `active`, `expired`, `error` or `deleted`.
    pub status: String,
    pub last_used_at: Option<DateTime<Utc>>,
    /// True when the credential has any share.
    pub shared: bool,
    pub owner: OwnerRef,
    /// Your effective access: `owner`, `manage`, `view` or `use`.
    pub access: String,
    pub environment: Option<String>,
    pub tags: Vec<String>,
    /// The current secret version.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct Usage {
    pub total: i64,
    pub last_24h: i64,
    pub last_7d: i64,
    pub last_30d: i64,
    pub last_used_at: Option<DateTime<Utc>>,
}

#[derive(Serialize, ToSchema)]
pub struct ConnectedWorkflow {
    pub id: String,
    pub name: String,
    pub last_used_at: Option<DateTime<Utc>>,
}

#[derive(Serialize, ToSchema)]
pub struct SharePrincipal {
    /// `user`, `team` or `workspace`.
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Option<Uuid>,
    pub name: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Share {
    pub id: Uuid,
    pub principal: SharePrincipal,
    /// `use`, `view` or `manage`.
    pub access: String,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<Uuid>,
}

/// A credential. Callers with `use` access get the summary fields only; from `view` up, the
/// rest too, with every secret field masked (`••••` + last 4 characters when 12 or longer).
#[derive(Serialize, ToSchema)]
pub struct Credential {
    #[serde(flatten)]
    pub summary: CredentialSummary,
    pub description: Option<String>,
    pub status_detail: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub rotation_period_days: Option<i32>,
    pub rotated_at: Option<DateTime<Utc>>,
    pub rotation_due_at: Option<DateTime<Utc>>,
    #[schema(value_type = Option<TestRequest>)]
    pub test: Option<Value>,
    pub secret_fields: Option<Vec<String>>,
    /// The credential's fields, secrets masked.
    #[schema(value_type = Option<Object>)]
    pub data: Option<Map<String, Value>>,
    pub usage: Option<Usage>,
    pub connected_workflows: Option<Vec<ConnectedWorkflow>>,
    pub shares: Option<Vec<Share>>,
}

#[derive(Serialize, ToSchema)]
pub struct CredentialList {
    pub items: Vec<CredentialSummary>,
    pub next_cursor: Option<String>,
}

/// How "test the connection" calls the service with the credential applied.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct TestRequest {
    pub url: Option<String>,
    /// `GET` (default), `HEAD` or `POST`.
    pub method: Option<String>,
    /// Statuses that count as success (default: any 2xx).
    pub expected_status: Option<Vec<i64>>,
}

/// A field that may be absent (keep), null (clear) or a value (set).
pub fn patch_field<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Deserialize, ToSchema)]
pub struct CreateCredential {
    pub name: Option<String>,
    pub service: Option<String>,
    /// `api_key`, `basic_auth`, `oauth2` or `custom`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// The type's fields (see the API guide); secret ones are sealed.
    #[schema(value_type = Object)]
    pub data: Option<Value>,
    /// For `custom`: which keys of `data` are secret (default: all).
    pub secret_fields: Option<Vec<String>>,
    pub description: Option<String>,
    pub environment: Option<String>,
    pub tags: Option<Vec<String>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub rotation_period_days: Option<i64>,
    pub test: Option<TestRequest>,
}

/// Any create field but `type`; `data` is merged field by field. `null` clears an optional field.
#[derive(Deserialize, ToSchema)]
pub struct UpdateCredential {
    pub name: Option<String>,
    pub service: Option<String>,
    /// Not accepted: the type of a credential cannot change.
    #[serde(rename = "type")]
    #[schema(value_type = Option<String>)]
    pub kind: Option<Value>,
    #[schema(value_type = Option<Object>)]
    pub data: Option<Value>,
    pub secret_fields: Option<Vec<String>>,
    #[serde(default, deserialize_with = "patch_field")]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch_field")]
    pub environment: Option<Option<String>>,
    pub tags: Option<Vec<String>>,
    #[serde(default, deserialize_with = "patch_field")]
    pub expires_at: Option<Option<DateTime<Utc>>>,
    #[serde(default, deserialize_with = "patch_field")]
    pub rotation_period_days: Option<Option<i64>>,
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<TestRequest>)]
    pub test: Option<Option<TestRequest>>,
}

#[derive(Deserialize, ToSchema)]
pub struct RotateCredential {
    /// The new secret values (other fields may change too).
    #[schema(value_type = Object)]
    pub data: Option<Value>,
}

#[derive(Deserialize, ToSchema)]
pub struct TransferCredential {
    pub owner_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AffectedWorkflow {
    pub id: String,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct Deleted {
    pub id: Uuid,
    pub deleted_at: DateTime<Utc>,
    /// After this the credential is purged and its keys destroyed; until then it can be restored.
    pub purge_after: DateTime<Utc>,
    pub affected_workflows: Vec<AffectedWorkflow>,
}

#[derive(Serialize, ToSchema)]
pub struct VersionInfo {
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<Uuid>,
    /// `created`, `updated`, `rotated`, `refreshed` or `restored`.
    pub reason: String,
    pub current: bool,
}

#[derive(Serialize, ToSchema)]
pub struct VersionList {
    pub items: Vec<VersionInfo>,
}

impl From<credvault_store::credentials::ShareRow> for Share {
    fn from(s: credvault_store::credentials::ShareRow) -> Share {
        Share {
            id: s.id,
            principal: SharePrincipal {
                kind: s.principal_type,
                id: s.principal_id,
                name: s.principal_name,
            },
            access: s.access,
            created_at: s.created_at,
            created_by: s.created_by,
        }
    }
}
