//! The credential service: access decisions (through the one policy function in `domain`),
//! sealing and opening secrets, representations, ETags and idempotent replays.

use actix_web::http::header::{self, HeaderMap};
use actix_web::HttpResponse;
use chrono::Utc;
use credvault_crypto::Sealed;
use credvault_domain::credential::destinations::Destinations;
use credvault_domain::credential::{
    self as rules, CredentialData, CredentialType, SecretDoc, Status,
};
use credvault_domain::credential_access::{
    decide, effective_access, Access, AccessFacts, CredentialAction, CredentialDecision,
};
use credvault_domain::identity::Role;
use credvault_domain::sealing::secret_aad;
use credvault_store::credentials::{self as store, CredentialRow, VersionRow};
use credvault_store::identity::UserRow;
use deadpool_postgres::GenericClient;
use serde_json::{Map, Value};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::audit::{self, Event};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorCode};
use crate::routes::credential_dto::{Credential, CredentialSummary, OwnerRef, Share, Usage};
use crate::state::AppState;

/// A caller's effective access to a credential; `None` is no access at all.
pub async fn access_of(
    c: &impl GenericClient,
    caller: &Caller,
    cred: &CredentialRow,
) -> Result<Option<Access>, ApiError> {
    Ok(facts_of(c, caller, cred)
        .await?
        .as_ref()
        .and_then(effective_access))
}

/// Engines (workspace service principals) see every credential's summary and nothing more.
async fn facts_of(
    c: &impl GenericClient,
    caller: &Caller,
    cred: &CredentialRow,
) -> Result<Option<AccessFacts>, ApiError> {
    match &caller.user {
        None => Ok(None),
        Some(user) => user_facts(c, user, cred).await.map(Some),
    }
}

/// What decides a person's access to a credential: ownership, shares (direct, team, workspace)
/// and their role.
async fn user_facts(
    c: &impl GenericClient,
    user: &UserRow,
    cred: &CredentialRow,
) -> Result<AccessFacts, ApiError> {
    let role: Role = user.role.parse().map_err(ApiError::internal)?;
    let teams = store::team_ids_of(c, user.workspace_id, user.id).await?;
    let share_levels = store::share_levels(c, user.workspace_id, cred.id, Some(user.id), &teams)
        .await?
        .iter()
        .filter_map(|s| s.parse().ok())
        .collect();
    Ok(AccessFacts {
        is_owner: cred.owner_id == user.id,
        share_levels,
        role,
    })
}

/// Whether `user` (of the credential's workspace) may do `action` on `cred` now.
pub async fn user_may(
    c: &impl GenericClient,
    user: &UserRow,
    cred: &CredentialRow,
    action: CredentialAction,
) -> Result<bool, ApiError> {
    let facts = user_facts(c, user, cred).await?;
    Ok(decide(&facts, action) == CredentialDecision::Allow)
}

fn action_name(a: CredentialAction) -> &'static str {
    match a {
        CredentialAction::SeeSummary => "see",
        CredentialAction::SeeConfiguration => "view",
        CredentialAction::Manage => "manage",
        CredentialAction::ChangeSharesOrTransfer => "share_or_transfer",
        CredentialAction::Resolve => "resolve",
    }
}

/// Records a refused attempt on a credential as `credential.access_denied` (its own transaction:
/// the refused change does not happen).
pub async fn record_denied(
    client: &deadpool_postgres::Client,
    caller: &Caller,
    cred: &CredentialRow,
    attempted: &str,
) -> Result<(), ApiError> {
    let ev = Event::new("credential.access_denied")
        .target("credential", cred.id, Some(cred.name.clone()))
        .outcome("denied")
        .detail("attempted", attempted.to_string());
    Ok(audit::record(
        client,
        caller.workspace_id,
        &caller.actor,
        &caller.origin,
        ev,
    )
    .await?)
}

/// Loads a credential the caller may do `action` on, with the caller's access. No access: 404;
/// too little: 403; both recorded as `credential.access_denied` (in their own transaction, as
/// the request's own change, if any, does not happen).
pub async fn authorize(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    action: CredentialAction,
) -> Result<(CredentialRow, Access), ApiError> {
    let client = state.pool.get().await?;
    let cred = store::get(&client, caller.workspace_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("credential"))?;
    let decision = match facts_of(&client, caller, &cred).await? {
        Some(f) => (decide(&f, action), effective_access(&f)),
        None if action == CredentialAction::SeeSummary => {
            (CredentialDecision::Allow, Some(Access::Use))
        }
        None => (CredentialDecision::Forbidden, Some(Access::Use)),
    };
    match decision {
        (CredentialDecision::Allow, Some(access)) => Ok((cred, access)),
        (d, _) => {
            record_denied(&client, caller, &cred, action_name(action)).await?;
            Err(match d {
                CredentialDecision::Forbidden => ApiError::new(
                    ErrorCode::Forbidden,
                    "your access to this credential does not allow this",
                ),
                _ => ApiError::not_found("credential"),
            })
        }
    }
}

/// Changing a credential needs the workspace-level right to write credentials (role, and scope
/// for tokens) as well as `manage` on it. A caller without the first is refused like one without
/// the second: 403 when they can see the credential, 404 when not, and audited either way.
pub async fn require_write(state: &AppState, caller: &Caller, id: Uuid) -> Result<(), ApiError> {
    use credvault_domain::policy::{self, Action, Decision};
    let Decision::Deny(reason) = policy::authorize(&caller.policy, Action::WriteCredentials) else {
        return Ok(());
    };
    let client = state.pool.get().await?;
    let Some(cred) = store::get(&client, caller.workspace_id, id).await? else {
        return Err(ApiError::not_found("credential"));
    };
    let visible = caller.user.is_none() || access_of(&client, caller, &cred).await?.is_some();
    record_denied(&client, caller, &cred, "manage").await?;
    Err(if visible {
        ApiError::new(ErrorCode::Forbidden, reason.to_string())
    } else {
        ApiError::not_found("credential")
    })
}

/// A soft-deleted credential accepts reads and `restore` only.
pub fn refuse_if_deleted(cred: &CredentialRow) -> Result<(), ApiError> {
    match cred.deleted_at {
        Some(_) => Err(ApiError::new(
            ErrorCode::CredentialDeleted,
            "the credential is deleted: restore it first",
        )),
        None => Ok(()),
    }
}

pub fn etag(cred: &CredentialRow) -> String {
    format!("\"{}.{}\"", cred.id.simple(), cred.row_version)
}

/// `If-Match`, when sent, must name the current ETag (or be `*`).
pub fn check_if_match(headers: &HeaderMap, cred: &CredentialRow) -> Result<(), ApiError> {
    let Some(v) = headers.get(header::IF_MATCH) else {
        return Ok(());
    };
    let v = v
        .to_str()
        .map_err(|_| ApiError::invalid("If-Match is not a valid header value"))?;
    let current = etag(cred);
    let matches = v
        .split(',')
        .map(str::trim)
        .any(|t| t == "*" || t == current || t.strip_prefix("W/") == Some(current.as_str()));
    if matches {
        Ok(())
    } else {
        Err(ApiError::new(ErrorCode::PreconditionFailed, "the credential changed since you read it: fetch it again (If-Match did not match the ETag)"))
    }
}

/// Seals a version's secret fields under AAD binding workspace, credential and version.
pub fn seal(
    state: &AppState,
    ws: Uuid,
    id: Uuid,
    version: i32,
    secrets: &Map<String, Value>,
) -> Result<Sealed, ApiError> {
    let plain = Zeroizing::new(serde_json::to_vec(secrets).map_err(ApiError::internal)?);
    state
        .envelope
        .seal(&plain, &secret_aad(ws, id, version))
        .map_err(ApiError::internal)
}

/// Opens a version's secret fields.
pub fn open(
    state: &AppState,
    ws: Uuid,
    id: Uuid,
    v: &VersionRow,
) -> Result<Map<String, Value>, ApiError> {
    let mut doc = open_sealed(
        state,
        ws,
        id,
        v.version,
        SealedParts {
            kek_id: &v.kek_id,
            wrapped_dek: v.wrapped_dek.as_deref(),
            nonce: &v.nonce,
            ciphertext: &v.ciphertext,
        },
    )?;
    Ok(std::mem::take(&mut *doc))
}

/// A stored version's sealed parts, as they come from a version row or a resolve row.
pub struct SealedParts<'a> {
    pub kek_id: &'a str,
    /// `None` once the version's keys were destroyed (purge, erasure).
    pub wrapped_dek: Option<&'a [u8]>,
    pub nonce: &'a [u8],
    pub ciphertext: &'a [u8],
}

/// The one place a version's secrets are decrypted: into a document zeroized on drop. A
/// version whose keys were destroyed is gone (410); one that does not open is an operator's
/// matter (logged with the credential, answered 500 without detail).
pub fn open_sealed(
    state: &AppState,
    ws: Uuid,
    id: Uuid,
    version: i32,
    parts: SealedParts<'_>,
) -> Result<SecretDoc, ApiError> {
    let wrapped = parts.wrapped_dek.ok_or_else(|| {
        ApiError::new(
            ErrorCode::CredentialDeleted,
            "this version's keys were destroyed",
        )
    })?;
    let sealed = Sealed {
        kek_id: parts.kek_id.to_owned(),
        wrapped_dek: wrapped.to_vec(),
        nonce: parts.nonce.to_vec(),
        ciphertext: parts.ciphertext.to_vec(),
    };
    let plain = state.envelope.open(&sealed, &secret_aad(ws, id, version)).map_err(|e| {
        tracing::error!(credential_id = %id, version, error = %e, "a stored secret does not open");
        ApiError::new(ErrorCode::Internal, "this credential's stored secret cannot be decrypted; an operator has been told")
    })?;
    Ok(SecretDoc::new(
        serde_json::from_slice(plain.expose()).map_err(ApiError::internal)?,
    ))
}

/// The current data of a credential, secrets opened (for merges and restores).
pub async fn current_data(
    state: &AppState,
    c: &impl GenericClient,
    cred: &CredentialRow,
) -> Result<CredentialData, ApiError> {
    Ok(current_data_bound(state, c, cred).await?.0)
}

/// The current data of a credential, secrets opened, with the destinations its secrets were set
/// for (what a change that moves a destination is checked against).
pub async fn current_data_bound(
    state: &AppState,
    c: &impl GenericClient,
    cred: &CredentialRow,
) -> Result<(CredentialData, Destinations), ApiError> {
    let v = store::version(c, cred.workspace_id, cred.id, cred.current_version)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("current version missing")))?;
    let secrets = open(state, cred.workspace_id, cred.id, &v)?;
    let config = cred.config.as_object().cloned().unwrap_or_default();
    let data = CredentialData {
        config,
        secrets,
        secret_fields: cred.secret_fields.clone(),
    };
    Ok((data, bound_destinations(&v)?))
}

/// The destinations a stored version's secrets were set for.
pub fn bound_destinations(v: &VersionRow) -> Result<Destinations, ApiError> {
    serde_json::from_value(v.destinations.clone()).map_err(ApiError::internal)
}

/// Where `data`'s secrets go when `cred` (its type and test as they are now) holds them.
pub fn destinations_of(cred: &CredentialRow, data: &CredentialData) -> Destinations {
    let kind = cred.kind.parse().unwrap_or(CredentialType::Custom);
    let test_url = cred
        .test
        .as_ref()
        .and_then(|t| t.get("url"))
        .and_then(Value::as_str);
    Destinations::of(kind, test_url, data)
}

/// Stores `data` as version `version` of `cred` (sealed), with its config snapshot and the
/// destinations (of `cred` as it is now) its secrets are set for.
pub async fn store_version(
    state: &AppState,
    c: &impl GenericClient,
    cred: &CredentialRow,
    version: i32,
    data: &CredentialData,
    reason: &str,
    by: Option<Uuid>,
) -> Result<(), ApiError> {
    // A refresh in flight read the version this one replaces: its answer is not to be stored
    // under this version's destinations (its own new version takes the lease back first).
    if version > 1 {
        credvault_store::oauth::drop_lease(c, cred.workspace_id, cred.id).await?;
    }
    let sealed = seal(state, cred.workspace_id, cred.id, version, &data.secrets)?;
    let config = Value::Object(data.config.clone());
    let destinations =
        serde_json::to_value(destinations_of(cred, data)).map_err(ApiError::internal)?;
    store::insert_version(
        c,
        &store::NewVersion {
            workspace_id: cred.workspace_id,
            credential_id: cred.id,
            version,
            kek_id: &sealed.kek_id,
            wrapped_dek: &sealed.wrapped_dek,
            nonce: &sealed.nonce,
            ciphertext: &sealed.ciphertext,
            config: &config,
            reason,
            created_by: by,
            destinations: &destinations,
        },
    )
    .await?;
    Ok(())
}

pub fn status_of(cred: &CredentialRow) -> Status {
    let stored = cred.status.parse().unwrap_or(Status::Active);
    rules::effective_status(
        stored,
        cred.expires_at,
        cred.deleted_at.is_some(),
        Utc::now(),
    )
}

pub fn summary(cred: &CredentialRow, access: Access) -> CredentialSummary {
    CredentialSummary {
        id: cred.id,
        name: cred.name.clone(),
        service: cred.service.clone(),
        kind: cred.kind.clone(),
        status: status_of(cred).as_str().to_string(),
        last_used_at: cred.last_used_at,
        shared: cred.shared,
        owner: OwnerRef {
            id: cred.owner_id,
            display_name: cred.owner_display.clone(),
        },
        access: access.as_str().to_string(),
        environment: cred.environment.clone(),
        tags: cred.tags.clone(),
        version: cred.current_version,
        created_at: cred.created_at,
        updated_at: cred.updated_at,
    }
}

/// The representation for `access`: summary fields only for `use`, everything (secrets masked)
/// from `view` up. Masking happens here and nowhere else.
pub async fn representation(
    state: &AppState,
    c: &impl GenericClient,
    cred: &CredentialRow,
    access: Access,
) -> Result<Value, ApiError> {
    if access < Access::View {
        return serde_json::to_value(summary(cred, access)).map_err(ApiError::internal);
    }
    let data = current_data(state, c, cred).await?;
    let (total, last_24h, last_7d, last_30d) =
        store::usage_totals(c, cred.workspace_id, cred.id).await?;
    let shares = store::shares_of(c, cred.workspace_id, cred.id)
        .await?
        .into_iter()
        .map(Share::from)
        .collect();
    let usage = Usage {
        total,
        last_24h,
        last_7d,
        last_30d,
        last_used_at: cred.last_used_at,
    };
    let workflows = connected_workflows(c, cred).await?;
    let full = full(cred, access, &data, usage, shares, workflows);
    serde_json::to_value(full).map_err(ApiError::internal)
}

/// The owner's representation of a credential just created from `data`: built from what was
/// written, with no read, no decryption and no query of its (still empty) usage, shares and
/// workflows.
pub fn new_representation(cred: &CredentialRow, data: &CredentialData) -> Result<Value, ApiError> {
    let usage = Usage {
        total: 0,
        last_24h: 0,
        last_7d: 0,
        last_30d: 0,
        last_used_at: None,
    };
    let full = full(cred, Access::Owner, data, usage, Vec::new(), Vec::new());
    serde_json::to_value(full).map_err(ApiError::internal)
}

/// Everything a `view` caller sees, secrets masked.
fn full(
    cred: &CredentialRow,
    access: Access,
    data: &CredentialData,
    usage: Usage,
    shares: Vec<Share>,
    workflows: Vec<crate::routes::credential_dto::ConnectedWorkflow>,
) -> Credential {
    Credential {
        summary: summary(cred, access),
        description: cred.description.clone(),
        status_detail: cred.status_detail.clone(),
        expires_at: cred.expires_at,
        rotation_period_days: cred.rotation_period_days,
        rotated_at: cred.rotated_at,
        rotation_due_at: rules::rotation_due_at(
            cred.created_at,
            cred.rotated_at,
            cred.rotation_period_days,
        ),
        test: cred.test.clone(),
        secret_fields: cred.secret_fields.clone(),
        data: Some(rules::masked_view(data)),
        usage: Some(usage),
        connected_workflows: Some(workflows),
        shares: Some(shares),
    }
}

/// Workflows that declare the credential or have used it, with their last use of it.
pub async fn connected_workflows(
    c: &impl GenericClient,
    cred: &CredentialRow,
) -> Result<Vec<crate::routes::credential_dto::ConnectedWorkflow>, ApiError> {
    Ok(
        credvault_store::workflows::connected(c, cred.workspace_id, cred.id)
            .await?
            .into_iter()
            .map(
                |(id, name, last_used_at)| crate::routes::credential_dto::ConnectedWorkflow {
                    id,
                    name,
                    last_used_at,
                },
            )
            .collect(),
    )
}

/// The answer for a single credential: its representation with its ETag.
pub async fn respond(
    state: &AppState,
    c: &impl GenericClient,
    cred: &CredentialRow,
    access: Access,
    status: actix_web::http::StatusCode,
) -> Result<(HttpResponse, Value), ApiError> {
    let body = representation(state, c, cred, access).await?;
    let res = HttpResponse::build(status)
        .insert_header((header::ETAG, etag(cred)))
        .json(&body);
    Ok((res, body))
}

pub fn parse_type(s: &str) -> Result<CredentialType, ApiError> {
    s.parse()
        .map_err(|e: credvault_domain::identity::UnknownValue| {
            ApiError::field("type", e.to_string())
        })
}

/// The key idempotency records are kept under: the caller's token, else their user.
pub fn idempotency_caller(caller: &Caller) -> Uuid {
    caller
        .token
        .as_ref()
        .map(|t| t.id)
        .or(caller.user_id())
        .unwrap_or_default()
}

/// `Idempotency-Key`, when sent: 1..255 visible characters.
pub fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    match headers.get("idempotency-key") {
        None => Ok(None),
        Some(v) => {
            let v = v
                .to_str()
                .map_err(|_| ApiError::invalid("Idempotency-Key must be visible ASCII"))?;
            if v.is_empty() || v.len() > 255 {
                return Err(ApiError::invalid(
                    "Idempotency-Key must be 1 to 255 characters",
                ));
            }
            Ok(Some(v.to_string()))
        }
    }
}

/// The fingerprint of a request for idempotency: its endpoint and its body (key order ignored).
pub fn request_hash(endpoint: &str, body: &Value) -> [u8; 32] {
    let mut bytes = endpoint.as_bytes().to_vec();
    bytes.push(0);
    bytes.extend_from_slice(body.to_string().as_bytes());
    credvault_crypto::sha256(&bytes)
}

/// Outcome of claiming an idempotency key inside a transaction.
pub enum Claim {
    /// First use: go on, and store the answer.
    Fresh,
    /// A replay: this is the first answer.
    Replay(HttpResponse),
}

pub async fn claim(
    c: &impl GenericClient,
    caller: &Caller,
    endpoint: &str,
    key: &str,
    body: &Value,
) -> Result<Claim, ApiError> {
    let hash = request_hash(endpoint, body);
    let scope = store::IdempotencyScope {
        workspace_id: caller.workspace_id,
        caller: idempotency_caller(caller),
        endpoint,
        key,
    };
    let found = store::claim_idempotency_key(c, &scope, &hash).await?;
    match found {
        None => Ok(Claim::Fresh),
        Some((stored_hash, Some(status), Some(response), headers)) if stored_hash == hash => {
            let status =
                actix_web::http::StatusCode::from_u16(status as u16).map_err(ApiError::internal)?;
            let mut res = HttpResponse::build(status);
            if let Some(Value::Object(h)) = headers {
                for (k, v) in h {
                    if let Some(v) = v.as_str() {
                        res.insert_header((k.as_str(), v));
                    }
                }
            }
            res.insert_header(("Idempotent-Replayed", "true"));
            Ok(Claim::Replay(res.json(response)))
        }
        Some((stored_hash, _, _, _)) if stored_hash == hash => Err(ApiError::new(
            ErrorCode::Conflict,
            "a request with this Idempotency-Key is still in progress; retry shortly",
        )),
        Some(_) => Err(ApiError::new(
            ErrorCode::IdempotencyKeyReused,
            "this Idempotency-Key was used with a different request",
        )),
    }
}

pub async fn remember(
    c: &impl GenericClient,
    caller: &Caller,
    endpoint: &str,
    key: &str,
    status: u16,
    body: &Value,
    headers: Value,
) -> Result<(), ApiError> {
    let scope = store::IdempotencyScope {
        workspace_id: caller.workspace_id,
        caller: idempotency_caller(caller),
        endpoint,
        key,
    };
    store::store_idempotent_response(c, &scope, i32::from(status), body, &headers).await?;
    Ok(())
}

/// Purges a credential the caller has locked: its versions' wrapped keys are destroyed
/// (crypto-shredding), its shares, usage and workflow declarations go with it. Returns its
/// `credential.purged` event (for the caller to give a reason and append), which says what went:
/// how many versions, the shares (principals and levels, as in `credential.shares_changed`) and
/// the workflows that declared it.
pub async fn purge(
    tx: &impl GenericClient,
    ws: Uuid,
    id: Uuid,
    name: &str,
) -> Result<Event, ApiError> {
    let shares: Vec<Value> = store::shares_of(tx, ws, id)
        .await?
        .iter()
        .map(audited)
        .collect();
    let gone = store::purge(tx, ws, id).await?;
    Ok(Event::new("credential.purged")
        .target("credential", id, Some(name.to_string()))
        .detail("versions_shredded", gone.versions)
        .detail("shares", shares)
        .detail("workflow_ids", gone.workflow_ids))
}

/// Purges soft-deleted credentials whose recovery window has passed: their versions' wrapped
/// keys are destroyed with them (crypto-shredding), each with its `credential.purged` event.
pub async fn purge_due(state: &AppState) -> Result<usize, ApiError> {
    let mut client = state.pool.get().await?;
    store::expire_idempotency_keys(&client).await?;
    let tx = client.transaction().await?;
    let mut due = store::lock_due_for_purge(&tx, 100).await?;
    // Chain heads are taken in workspace order, as the group-commit writer takes them.
    due.sort();
    let system = audit::Actor {
        kind: "system",
        id: None,
        display: Some("credvault".into()),
        user_id: None,
    };
    for (ws, id, name) in &due {
        let ev = purge(&tx, *ws, *id, name)
            .await?
            .detail("reason", "recovery window passed");
        audit::record(&tx, *ws, &system, &audit::Origin::default(), ev).await?;
    }
    tx.commit().await?;
    Ok(due.len())
}

/// A credential's shares as its `credential.shares_changed` events list them.
pub async fn listed_shares(
    c: &impl deadpool_postgres::GenericClient,
    ws: Uuid,
    credential: Uuid,
) -> Result<Vec<serde_json::Value>, ApiError> {
    Ok(store::shares_of(c, ws, credential)
        .await?
        .iter()
        .map(audited)
        .collect())
}

/// A share as audit events name it: principal type, id and level (never a display name, which
/// erasure may take away).
pub fn audited(s: &store::ShareRow) -> serde_json::Value {
    serde_json::json!({"type": s.principal_type, "id": s.principal_id, "access": s.access})
}

/// Takes away every share to a principal that is going away (a deleted team, an erased user).
/// Each credential that had one gets a new ETag and a `credential.shares_changed` event (returned,
/// for the caller to append) with `reason`. The credentials are locked in key order: call this
/// before anything else that locks credentials in the same transaction, and before the chain head.
pub async fn take_away_shares_to(
    tx: &impl deadpool_postgres::GenericClient,
    ws: Uuid,
    kind: &str,
    principal: Uuid,
    reason: &'static str,
) -> Result<Vec<Event>, ApiError> {
    let credentials = credvault_store::workflows::lock_shared_to(tx, ws, kind, principal).await?;
    let gone = serde_json::json!({"type": kind, "id": principal});
    let mut events = Vec::with_capacity(credentials.len());
    for (id, name) in credentials {
        let before = listed_shares(tx, ws, id).await?;
        // What stays: every share but those to the principal going away.
        let after: Vec<_> = before
            .iter()
            .filter(|s| !(s["type"] == gone["type"] && s["id"] == gone["id"]))
            .cloned()
            .collect();
        events.push(
            Event::new("credential.shares_changed")
                .target("credential", id, Some(name))
                .detail("before", before)
                .detail("after", after)
                .detail("reason", reason),
        );
    }
    credvault_store::workflows::delete_shares_to(tx, ws, kind, principal).await?;
    Ok(events)
}
