//! Creating a credential: one transaction with its row, its first sealed version and its event,
//! answered from what was written.

use chrono::{DateTime, Utc};
use credvault_domain::credential::{CredentialData, CredentialType};
use credvault_store::credentials::{self as store, CredentialRow};
use serde_json::{json, Value};
use uuid::Uuid;

use super::{etag, new_view, store_version, CredentialView};
use crate::audit::Event;
use crate::idempotency::{self, Answer, Idempotent};
use crate::{Principal, ServiceError, Services};

/// A credential to create, its fields already checked.
pub struct NewCredential {
    pub name: String,
    pub service: String,
    pub kind: CredentialType,
    pub description: Option<String>,
    pub environment: Option<String>,
    pub tags: Vec<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub rotation_period_days: Option<i32>,
    pub test: Option<Value>,
    pub data: CredentialData,
    /// When it is created (microseconds, as PostgreSQL keeps them).
    pub now: DateTime<Utc>,
}

/// Creates a credential owned by the calling person. With an idempotency key, `present` gives
/// the body stored as the first answer.
pub async fn create(
    services: &Services,
    caller: &Principal,
    new: NewCredential,
    idem: Option<Idempotent<'_>>,
    present: impl FnOnce(&CredentialView) -> Result<Value, ServiceError>,
) -> Result<Answer<CredentialView>, ServiceError> {
    let owner = caller.person()?.clone();
    let mut client = services.pool.get().await?;
    let tx = client.transaction().await?;
    if let Some(first) = idempotency::replay(&tx, caller, &idem).await? {
        return Ok(Answer::Replay(first));
    }
    let NewCredential { data, now, .. } = new;
    let row = CredentialRow {
        workspace_id: caller.workspace_id,
        id: Uuid::now_v7(),
        name: new.name,
        service: new.service,
        kind: new.kind.as_str().to_string(),
        owner_id: owner.id,
        owner_display: owner.display_name.clone(),
        description: new.description,
        environment: new.environment,
        tags: new.tags,
        config: Value::Object(data.config.clone()),
        secret_fields: data.secret_fields.clone(),
        status: "active".into(),
        status_detail: None,
        expires_at: new.expires_at,
        rotation_period_days: new.rotation_period_days,
        rotated_at: None,
        test: new.test,
        current_version: 1,
        row_version: 1,
        last_used_at: None,
        created_at: now,
        updated_at: now,
        deleted_at: None,
        purge_after: None,
        shared: false,
    };
    store::insert(&tx, &row).await?;
    store_version(services, &tx, &row, 1, &data, "created", Some(owner.id)).await?;
    let ev = Event::new("credential.created")
        .target("credential", row.id, Some(row.name.clone()))
        .detail("type", new.kind.as_str())
        .detail("service", row.service.clone())
        .detail("version", 1);
    caller.record(&tx, [ev]).await?;
    // The answer is made from what was just written: nothing to read back or decrypt.
    let view = new_view(row, data);
    if let Some(i) = &idem {
        let headers = json!({"ETag": etag(&view.cred), "Location": location(&view.cred)});
        let body = present(&view)?;
        idempotency::remember(&tx, caller, i.endpoint, i.key, 201, &body, headers).await?;
    }
    tx.commit().await?;
    Ok(Answer::Done(view))
}

/// Where a credential is read.
pub fn location(cred: &CredentialRow) -> String {
    format!("/v1/credentials/{}", cred.id)
}
