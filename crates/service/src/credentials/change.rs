//! Changing a credential: update (metadata, and data merged field by field), rotate, restore a
//! version. Each locks the credential, refuses a deleted one, checks `If-Match`, and writes its
//! new version (if any) and its event with the change.

use chrono::{DateTime, Utc};
use credvault_domain::credential::{self as rules, destinations, CredentialData, CredentialType};
use credvault_domain::credential_access::{Access, CredentialAction};
use credvault_store::credentials::{self as store, CredentialRow, VersionRow};
use deadpool_postgres::Transaction;
use serde_json::{json, Value};
use uuid::Uuid;

use super::{
    authorize, bound_destinations, check_if_match, current_data_bound, destinations_of, etag, open,
    refuse_if_deleted, require_write, store_version, view, view_with, CredentialView,
};
use crate::audit::Event;
use crate::error::FieldProblem;
use crate::idempotency::{self, Answer, Idempotent};
use crate::{Principal, ServiceError, Services};

/// The domain's field errors as the service's.
pub fn field_errors(errors: Vec<rules::FieldError>) -> ServiceError {
    ServiceError::Validation(
        errors
            .into_iter()
            .map(|e| FieldProblem {
                field: e.field,
                message: e.message,
            })
            .collect(),
    )
}

/// A stored type name as the domain's type.
pub fn parse_type(s: &str) -> Result<CredentialType, ServiceError> {
    s.parse()
        .map_err(|e: credvault_domain::identity::UnknownValue| {
            ServiceError::field("type", e.to_string())
        })
}

/// Authorises a change before any connection is held for it (so a burst of writes cannot take
/// every pooled connection and then wait for one more).
pub async fn authorize_change(
    services: &Services,
    caller: &Principal,
    id: Uuid,
    action: CredentialAction,
) -> Result<Access, ServiceError> {
    require_write(services, caller, id).await?;
    Ok(authorize(services, caller, id, action).await?.1)
}

/// Locks the credential, refuses a deleted one and checks If-Match: the start of every change.
pub async fn begin_change(
    caller: &Principal,
    tx: &Transaction<'_>,
    if_match: Option<&str>,
    id: Uuid,
) -> Result<CredentialRow, ServiceError> {
    let cred = store::lock(tx, caller.workspace_id, id)
        .await?
        .ok_or(ServiceError::NotFound("credential"))?;
    refuse_if_deleted(&cred)?;
    check_if_match(if_match, &cred)?;
    Ok(cred)
}

/// Writes the changed row and records its event, sent together (the row's update first: it is
/// the statement that can be refused, and its error is the one returned).
async fn write_with_event(
    caller: &Principal,
    tx: &Transaction<'_>,
    cred: &mut CredentialRow,
    ev: Event,
) -> Result<(), ServiceError> {
    let (stamp, ()) = tokio::try_join!(
        async { Ok::<_, ServiceError>(store::update(tx, cred).await?) },
        caller.record(tx, [ev]),
    )?;
    let stamp = stamp.ok_or(ServiceError::NotFound("credential"))?;
    cred.row_version = stamp.row_version;
    cred.updated_at = stamp.updated_at;
    Ok(())
}

/// The caller's view of the credential just written (`cred`, stamped by `write_with_event`);
/// `written`: the data of the version just stored, which then need not be read and opened again.
async fn reread(
    services: &Services,
    tx: &Transaction<'_>,
    cred: &CredentialRow,
    access: Access,
    written: Option<&CredentialData>,
) -> Result<CredentialView, ServiceError> {
    let known = written.map(|d| CredentialData {
        config: cred.config.as_object().cloned().unwrap_or_default(),
        secrets: d.secrets.clone(),
        secret_fields: cred.secret_fields.clone(),
    });
    view_with(services, tx, cred.clone(), access, known).await
}

/// What a PATCH changes: `None` keeps a field; for the nullable ones `Some(None)` clears it.
#[derive(Default)]
pub struct Changes {
    pub name: Option<String>,
    pub service: Option<String>,
    pub tags: Option<Vec<String>>,
    pub description: Option<Option<String>>,
    pub environment: Option<Option<String>>,
    pub expires_at: Option<Option<DateTime<Utc>>>,
    pub rotation_period_days: Option<Option<i32>>,
    pub test: Option<Option<Value>>,
    /// The data patch, merged field by field.
    pub data: Option<Value>,
    pub secret_fields: Option<Vec<String>>,
}

/// Applies `changes` to credential `id`; a secret change or a moved destination makes a version.
pub async fn update(
    services: &Services,
    caller: &Principal,
    id: Uuid,
    if_match: Option<&str>,
    changes: Changes,
) -> Result<CredentialView, ServiceError> {
    let access = authorize_change(services, caller, id, CredentialAction::Manage).await?;
    let mut client = services.pool.get().await?;
    let tx = client.transaction().await?;
    let before = begin_change(caller, &tx, if_match, id).await?;
    let mut cred = before.clone();
    let mut changed: Vec<&str> = Vec::new();
    macro_rules! set {
        ($field:ident, $label:literal) => {
            if let Some(v) = changes.$field.clone() {
                if cred.$field != v {
                    cred.$field = v;
                    changed.push($label);
                }
            }
        };
    }
    set!(name, "name");
    set!(service, "service");
    set!(tags, "tags");
    set!(description, "description");
    set!(environment, "environment");
    set!(expires_at, "expires_at");
    set!(rotation_period_days, "rotation_period_days");
    set!(test, "test");
    let (mut new_version, mut written) = (None, None);
    if changes.data.is_some() || changes.secret_fields.is_some() || changes.test.is_some() {
        let patch = changes.data.clone().unwrap_or(Value::Null);
        let secret_fields = changes.secret_fields.as_deref();
        let (merged, version_needed) = merge(services, &tx, &cred, &patch, secret_fields).await?;
        if merged.config != cred.config.as_object().cloned().unwrap_or_default() {
            changed.push("data");
        }
        cred.config = Value::Object(merged.config.clone());
        cred.secret_fields = merged.secret_fields.clone();
        // A move makes a version even when the secrets sent again are the same: each version
        // records where its secrets may go.
        if version_needed {
            let v = cred.current_version + 1;
            store_version(
                services,
                &tx,
                &cred,
                v,
                &merged,
                "updated",
                caller.user_id(),
            )
            .await?;
            cred.current_version = v;
            new_version = Some(v);
            written = Some(merged);
            changed.push("secret");
        }
    }
    if changed.is_empty() {
        let v = view(services, &tx, before, access).await?;
        tx.commit().await?;
        return Ok(v);
    }
    changed.dedup();
    let mut ev = Event::new("credential.updated")
        .target("credential", cred.id, Some(cred.name.clone()))
        .detail("changed", changed.clone());
    if let Some(v) = new_version {
        ev = ev.detail("version", v);
    }
    write_with_event(caller, &tx, &mut cred, ev).await?;
    let v = reread(services, &tx, &cred, access, written.as_ref()).await?;
    tx.commit().await?;
    Ok(v)
}

/// The data after `patch` (and a new `secret_fields` list, if any), and whether it needs a new
/// version (a secret changed, or a destination moved with its secrets sent again).
async fn merge(
    services: &Services,
    tx: &Transaction<'_>,
    cred: &CredentialRow,
    patch: &Value,
    secret_fields: Option<&[String]>,
) -> Result<(CredentialData, bool), ServiceError> {
    let kind = parse_type(&cred.kind)?;
    let (current, bound) = current_data_bound(services, tx, cred).await?;
    // A secret field may become non-secret only with a new value: otherwise the sealed value
    // would move into the clear configuration and be shown in full.
    if let Some(new_list) = secret_fields {
        let sent = patch.as_object();
        let exposed: Vec<&str> = current
            .secrets
            .keys()
            .filter(|k| !new_list.contains(k) && sent.is_none_or(|m| !m.contains_key(k.as_str())))
            .map(String::as_str)
            .collect();
        if !exposed.is_empty() {
            return Err(ServiceError::field(
                "secret_fields",
                format!("{} would stop being secret: send a new value for them in data, or keep them in secret_fields", exposed.join(", ")),
            ));
        }
    }
    let (mut merged, mut secrets_changed) =
        rules::merge_update(kind, &current, patch, secret_fields).map_err(field_errors)?;
    // A destination on another origin than the secrets were set for needs them again.
    let sent = patch.as_object().cloned().unwrap_or_default();
    let next = destinations_of(cred, &merged);
    let moved = destinations::check_change(kind, &bound, &next, &sent).map_err(field_errors)?;
    secrets_changed |= destinations::drop_unsent_tokens(kind, &moved, &sent, &mut merged);
    Ok((merged, secrets_changed || !moved.moved.is_empty()))
}

/// Rotates credential `id`: `data`'s secret values become a new current version.
pub async fn rotate(
    services: &Services,
    caller: &Principal,
    id: Uuid,
    if_match: Option<&str>,
    data: &Value,
    idem: Option<Idempotent<'_>>,
    present: impl FnOnce(&CredentialView) -> Result<Value, ServiceError>,
) -> Result<Answer<CredentialView>, ServiceError> {
    let access = authorize_change(services, caller, id, CredentialAction::Manage).await?;
    let mut client = services.pool.get().await?;
    let tx = client.transaction().await?;
    if let Some(first) = idempotency::replay(&tx, caller, &idem).await? {
        return Ok(Answer::Replay(first));
    }
    let mut cred = begin_change(caller, &tx, if_match, id).await?;
    // Rotating is merging the new values; it always makes a version.
    let (merged, _) = merge(services, &tx, &cred, data, None).await?;
    let v = cred.current_version + 1;
    let before = cred.clone();
    cred.current_version = v;
    cred.config = Value::Object(merged.config.clone());
    cred.rotated_at = Some(Utc::now());
    if cred.status == "expired" || cred.status == "error" {
        cred.status = "active".into();
        cred.status_detail = None;
    }
    let ev = Event::new("credential.rotated")
        .target("credential", cred.id, Some(cred.name.clone()))
        .detail("version", v);
    // The new version, the row pointing at it and the event, sent together.
    tokio::try_join!(
        store_version(
            services,
            &tx,
            &before,
            v,
            &merged,
            "rotated",
            caller.user_id()
        ),
        write_with_event(caller, &tx, &mut cred, ev),
    )?;
    let view = reread(services, &tx, &cred, access, Some(&merged)).await?;
    if let Some(i) = &idem {
        let headers = json!({"ETag": etag(&view.cred)});
        let body = present(&view)?;
        idempotency::remember(&tx, caller, i.endpoint, i.key, 200, &body, headers).await?;
    }
    tx.commit().await?;
    Ok(Answer::Done(view))
}

/// Makes a copy of version `version` the new current version; its secrets go back only where
/// they were set to go.
pub async fn restore_version(
    services: &Services,
    caller: &Principal,
    id: Uuid,
    version: i32,
    if_match: Option<&str>,
) -> Result<CredentialView, ServiceError> {
    let access = authorize_change(services, caller, id, CredentialAction::Manage).await?;
    let mut client = services.pool.get().await?;
    let tx = client.transaction().await?;
    let mut cred = begin_change(caller, &tx, if_match, id).await?;
    let old = store::version(&tx, caller.workspace_id, id, version)
        .await?
        .ok_or(ServiceError::NotFound("version"))?;
    let data = restored_data(services, &cred, &old)?;
    // Nobody sends the old secrets again here.
    let next = destinations_of(&cred, &data);
    destinations::check_restore(version, &bound_destinations(&old)?, &next)
        .map_err(field_errors)?;
    let v = cred.current_version + 1;
    store_version(services, &tx, &cred, v, &data, "restored", caller.user_id()).await?;
    cred.current_version = v;
    cred.config = old.config.clone();
    cred.secret_fields = data.secret_fields.clone();
    let ev = Event::new("credential.version_restored")
        .target("credential", cred.id, Some(cred.name.clone()))
        .detail("from_version", version)
        .detail("version", v);
    write_with_event(caller, &tx, &mut cred, ev).await?;
    let view = reread(services, &tx, &cred, access, Some(&data)).await?;
    tx.commit().await?;
    Ok(view)
}

/// An old version's data as it becomes current again (a custom credential's secret fields are
/// the ones that version sealed).
fn restored_data(
    services: &Services,
    cred: &CredentialRow,
    old: &VersionRow,
) -> Result<CredentialData, ServiceError> {
    let secrets = open(services, cred.workspace_id, cred.id, old)?;
    let config = old.config.as_object().cloned().unwrap_or_default();
    let mut data = CredentialData {
        config,
        secrets,
        secret_fields: cred.secret_fields.clone(),
    };
    if cred.kind == "custom" {
        let mut keys: Vec<String> = data.secrets.keys().cloned().collect();
        keys.sort();
        data.secret_fields = Some(keys);
    }
    Ok(data)
}

/// A credential's versions, newest first, with which one is current.
pub async fn versions(
    services: &Services,
    caller: &Principal,
    id: Uuid,
) -> Result<(CredentialRow, Vec<VersionRow>), ServiceError> {
    let (cred, _) = authorize(services, caller, id, CredentialAction::SeeConfiguration).await?;
    let client = services.pool.get().await?;
    let items = store::versions(&client, caller.workspace_id, cred.id).await?;
    Ok((cred, items))
}
