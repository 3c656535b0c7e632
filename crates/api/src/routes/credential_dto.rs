//! Credential request and response bodies.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::openapi::credential_data::CredentialDataPatch;
use crate::openapi::enums::{
    edge, CredentialTypeSchema, EffectiveAccessSchema, ShareAccessSchema, StatusSchema,
    TestMethodSchema,
};

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
    #[serde(rename = "type")]
    #[schema(value_type = CredentialTypeSchema)]
    pub kind: String,
    #[schema(value_type = StatusSchema)]
    pub status: String,
    pub last_used_at: Option<DateTime<Utc>>,
    /// True when the credential has any share.
    pub shared: bool,
    pub owner: OwnerRef,
    #[schema(value_type = EffectiveAccessSchema)]
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
    #[serde(rename = "type")]
    #[schema(value_type = edge::SharePrincipalType)]
    pub kind: String,
    pub id: Option<Uuid>,
    pub name: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Share {
    pub id: Uuid,
    pub principal: SharePrincipal,
    #[schema(value_type = ShareAccessSchema)]
    pub access: String,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<Uuid>,
}

/// A credential as a caller with `view` access or more reads it (its schema, one per type, is in
/// `credential_types`): the summary, the details and `data` with every secret masked.
#[derive(Serialize)]
pub struct Credential {
    #[serde(flatten)]
    pub summary: CredentialSummary,
    #[serde(flatten)]
    pub details: CredentialDetails,
    pub data: Map<String, Value>,
}

/// What a caller with `view` access or more reads beyond the summary, besides `data` (whose
/// shape depends on the type); a `use`-only caller gets none of it.
#[derive(Serialize, ToSchema)]
pub struct CredentialDetails {
    pub description: Option<String>,
    /// Why the status is what it is (a failed test or refresh).
    pub status_detail: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub rotation_period_days: Option<i32>,
    /// Null until the first rotation.
    pub rotated_at: Option<DateTime<Utc>>,
    /// `rotated_at` (or else `created_at`) plus the period.
    pub rotation_due_at: Option<DateTime<Utc>>,
    #[schema(value_type = Option<TestRequest>)]
    pub test: Option<Value>,
    /// For `custom`: the secret keys of `data`, sorted; null for the other types, whose secret
    /// fields are fixed.
    pub secret_fields: Option<Vec<String>>,
    #[schema(value_type = Usage, required = false)]
    pub usage: Option<Usage>,
    /// Workflows that declare this credential.
    #[schema(value_type = Vec<ConnectedWorkflow>, required = false)]
    pub connected_workflows: Option<Vec<ConnectedWorkflow>>,
    #[schema(value_type = Vec<Share>, required = false)]
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
    /// An absolute http(s) URL; `{{field}}` places a field of `data` in it.
    #[schema(value_type = String, max_length = 2048)]
    pub url: Option<String>,
    /// Default `GET`.
    #[schema(value_type = TestMethodSchema, required = false)]
    pub method: Option<String>,
    /// Statuses that count as success, each 100 to 599 (default, or null: any 2xx).
    #[schema(value_type = Option<Vec<u16>>, min_items = 1)]
    pub expected_status: Option<Vec<i64>>,
}

/// A field that may be absent (keep), null (clear) or a value (set).
pub fn patch_field<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

// A create body. Its schema holds the fields every type shares; `type`, `data` and
// `secret_fields` are described per type in `credential_types`.
/// The fields of a new credential that every type has.
#[derive(Deserialize, ToSchema)]
#[schema(as = CreateCredentialFields)]
pub struct CreateCredential {
    #[schema(value_type = String, min_length = 1, max_length = 128)]
    pub name: Option<String>,
    /// The external service, e.g. `Stripe`.
    #[schema(value_type = String, min_length = 1, max_length = 128)]
    pub service: Option<String>,
    #[serde(rename = "type")]
    #[schema(ignore)]
    pub kind: Option<String>,
    #[schema(ignore)]
    pub data: Option<Value>,
    #[schema(ignore)]
    pub secret_fields: Option<Vec<String>>,
    #[schema(value_type = String, max_length = 2000, required = false)]
    pub description: Option<String>,
    /// e.g. `production`.
    #[schema(value_type = String, min_length = 1, max_length = 64, pattern = r"^[A-Za-z0-9_.-]+$", required = false)]
    pub environment: Option<String>,
    /// Each 1 to 64 characters; stored trimmed, lowercased and without duplicates.
    #[schema(value_type = Vec<String>, max_items = 32, required = false)]
    pub tags: Option<Vec<String>>,
    /// In the future. From then on the credential is `expired`.
    #[schema(value_type = DateTime<Utc>, required = false)]
    pub expires_at: Option<DateTime<Utc>>,
    /// Rotation is due this many days after the last one (or the creation).
    #[schema(value_type = i32, minimum = 1, maximum = 3650, required = false)]
    pub rotation_period_days: Option<i64>,
    #[schema(value_type = TestRequest, required = false)]
    pub test: Option<TestRequest>,
}

/// Any create field but `type` (sending it is a 422: a credential's type cannot change); `data` is
/// merged field by field. `null` clears an optional field.
#[derive(Deserialize, ToSchema)]
pub struct UpdateCredential {
    #[schema(value_type = String, min_length = 1, max_length = 128, required = false)]
    pub name: Option<String>,
    #[schema(value_type = String, min_length = 1, max_length = 128, required = false)]
    pub service: Option<String>,
    #[serde(rename = "type")]
    #[schema(ignore)]
    pub kind: Option<Value>,
    #[schema(value_type = CredentialDataPatch, required = false)]
    pub data: Option<Value>,
    /// For `custom`: the secret keys of `data` after the change (all of them are re-split).
    #[schema(value_type = Vec<String>, required = false)]
    pub secret_fields: Option<Vec<String>>,
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<String>, max_length = 2000, required = false)]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 64, pattern = r"^[A-Za-z0-9_.-]+$", required = false)]
    pub environment: Option<Option<String>>,
    #[schema(value_type = Vec<String>, max_items = 32, required = false)]
    pub tags: Option<Vec<String>>,
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<DateTime<Utc>>, required = false)]
    pub expires_at: Option<Option<DateTime<Utc>>>,
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<i32>, minimum = 1, maximum = 3650, required = false)]
    pub rotation_period_days: Option<Option<i64>>,
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<TestRequest>)]
    pub test: Option<Option<TestRequest>>,
}

#[derive(Deserialize, ToSchema)]
pub struct RotateCredential {
    /// The new secret values, merged field by field like an update's (other fields may change
    /// too).
    #[schema(value_type = CredentialDataPatch)]
    pub data: Option<Value>,
}

#[derive(Deserialize, ToSchema)]
pub struct TransferCredential {
    /// Another enabled user of the workspace.
    #[schema(value_type = Uuid)]
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
    #[schema(value_type = edge::VersionReason)]
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
