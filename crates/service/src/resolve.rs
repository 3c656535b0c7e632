//! The runtime path: a credential's full values for a workflow run, recorded (audit event and
//! usage) before they are sent, OAuth2 tokens refreshed first when they need it.

use std::sync::Arc;

use chrono::Utc;
use credvault_domain::credential::{self as rules, SecretDoc, Status};
use credvault_domain::credential_access::{resolve_access, Access};
use credvault_store::workflows::{self as store, ResolveRow};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::audit::Event;
use crate::credentials;
use crate::oauth::freshness::{self, Freshness};
use crate::usage::Used;
use crate::{Principal, ServiceError, Services};

/// What a resolve is for, checked for form by the caller: the workflow, the engine's id of this
/// run, and the one field wanted when only one is (a CI script's way).
pub struct Run {
    pub workflow: String,
    pub execution: Option<String>,
    pub field: Option<String>,
    /// The version the caller expects to be current (a Vault client's `?version=`): another
    /// one is refused before anything is recorded, as only the current version is handed out.
    pub version: Option<i32>,
}

/// A credential resolved for a run.
pub enum Resolution {
    /// Every value, and the row they were read from.
    Whole {
        row: Arc<ResolveRow>,
        data: SecretDoc,
    },
    /// The one field asked for, as text (overwritten when dropped).
    Field(Zeroizing<String>),
}

/// Resolves credential `id` for `run`.
pub async fn resolve(
    services: &Arc<Services>,
    caller: &Principal,
    id: Uuid,
    run: Run,
) -> Result<Resolution, ServiceError> {
    let Run {
        workflow,
        execution,
        field,
        version,
    } = run;
    let ws = caller.workspace_id;
    let row = match services.cache.resolve_row(id, &workflow) {
        Some(row) if row.workspace_id == ws => row,
        Some(_) => return Err(ServiceError::NotFound("credential")),
        None => {
            let generation = services.cache.generation();
            let client = services.pool.get().await?;
            let row = Arc::new(
                store::load_for_resolve(&client, ws, id, &workflow)
                    .await?
                    .ok_or_else(|| ServiceError::NotFound("credential"))?,
            );
            services
                .cache
                .put_resolve_row(id, &workflow, row.clone(), generation);
            row
        }
    };
    let Some(wf_owner) = row.workflow_owner else {
        return Err(ServiceError::field(
            "workflow_id",
            "is not a workflow of this workspace: register it with PUT /v1/workflows/{workflow_id}",
        ));
    };
    // A share grants at most manage: the rank of a share is never the owner's.
    let shares: Vec<Access> = row
        .share_rank
        .map(|r| Access::from_rank(r.min(3)))
        .into_iter()
        .collect();
    if row.workflow_owner_disabled || resolve_access(row.owner_id == wf_owner, &shares).is_none() {
        let client = services.pool.get().await?;
        let ev = Event::new("credential.access_denied")
            .target("credential", id, Some(row.credential_name.clone()))
            .outcome("denied")
            .detail("attempted", "resolve")
            .detail("workflow_id", workflow.clone());
        caller.record(&client, [ev]).await?;
        return Err(ServiceError::Forbidden("the workflow's owner has no access to this credential: share it with them (use is enough)".into()));
    }
    if row.deleted {
        return Err(ServiceError::Deleted("the credential is deleted".into()));
    }
    let stored = row.status.parse().unwrap_or(Status::Active);
    if rules::effective_status(stored, row.expires_at, false, Utc::now()) == Status::Expired {
        return Err(ServiceError::Expired(
            "the credential has expired: rotate it or re-authorize".into(),
        ));
    }
    if version.is_some_and(|v| v != row.version) {
        return Err(ServiceError::Invalid(format!(
            "only the current version ({}) of a credential is handed out",
            row.version
        )));
    }
    let mut row = row;
    let mut data = open_resolved(services, ws, id, &row)?;
    if let Some(name) = &field {
        // Before any refresh: a field the credential lacks calls no provider.
        if !has_field(&row.kind, &data, name) {
            return Err(no_such_field(&row.kind, &data));
        }
    }
    if row.kind == "oauth2" {
        (row, data) = fresh_oauth(services, caller, id, &workflow, row, data).await?;
    }
    let text = match &field {
        Some(name) => Some(
            data.take_text(name)
                .ok_or_else(|| no_such_field(&row.kind, &data))?,
        ),
        None => None,
    };
    services
        .usage
        .record(Used {
            workspace_id: ws,
            credential_id: id,
            credential_name: row.credential_name.clone(),
            workflow_id: workflow,
            execution_id: execution,
            field,
            version: row.version,
            actor: caller.actor.clone(),
            origin: caller.origin.clone(),
        })
        .await?;
    Ok(match text {
        Some(text) => Resolution::Field(text),
        None => Resolution::Whole { row, data },
    })
}

/// Whether a resolve may ask for field `name`: the credential has it, or it is an oauth2
/// credential's `access_token`, which the refresh that comes first fetches when it is missing.
fn has_field(kind: &str, data: &SecretDoc, name: &str) -> bool {
    data.get(name).is_some_and(|v| !v.is_null()) || (kind == "oauth2" && name == "access_token")
}

/// 422 on `field`, naming the fields the credential has. It never repeats the name sent: a
/// secret pasted in the wrong place must not come back in an error, or reach a log with it.
fn no_such_field(kind: &str, data: &SecretDoc) -> ServiceError {
    let mut names: Vec<&str> = data
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, _)| k.as_str())
        .collect();
    if kind == "oauth2" && !names.contains(&"access_token") {
        names.push("access_token");
    }
    names.sort_unstable();
    ServiceError::field(
        "field",
        format!(
            "is not a field of this credential; its fields: {}",
            names.join(", ")
        ),
    )
}

/// The full values of a resolve row: its config with its opened secrets.
fn open_resolved(
    services: &Services,
    ws: Uuid,
    id: Uuid,
    row: &store::ResolveRow,
) -> Result<SecretDoc, ServiceError> {
    let mut secrets = credentials::open_sealed(
        services,
        ws,
        id,
        row.version,
        credentials::SealedParts {
            kek_id: &row.kek_id,
            wrapped_dek: row.wrapped_dek.as_deref(),
            nonce: &row.nonce,
            ciphertext: &row.ciphertext,
        },
    )
    .map_err(|e| match e {
        ServiceError::Deleted(_) => {
            ServiceError::Deleted("the credential's keys were destroyed".into())
        }
        e => e,
    })?;
    let mut data = SecretDoc::new(row.config.as_object().cloned().unwrap_or_default());
    let names: Vec<String> = secrets.keys().cloned().collect();
    for name in names {
        if let Some(v) = secrets.remove(&name) {
            data.insert(name, v);
        }
    }
    Ok(data)
}

/// OAuth2 on the runtime path. A token that is missing or expires within 60 s is refreshed
/// first (one refresh across every instance; the others wait for its result). A token inside
/// its refresh-ahead window is served as it is and refreshed in the background. When the
/// provider refuses: 409 `credential_expired`; when it cannot be reached: the token is served
/// while it is still valid, else 503 `upstream_unavailable`.
async fn fresh_oauth(
    services: &Arc<Services>,
    caller: &Principal,
    id: Uuid,
    workflow: &str,
    row: Arc<store::ResolveRow>,
    data: SecretDoc,
) -> Result<(Arc<store::ResolveRow>, SecretDoc), ServiceError> {
    use crate::oauth::{Failure, Outcome, Trigger};
    let ws = caller.workspace_id;
    let now = Utc::now();
    let has_token = freshness::has_token(&data);
    match freshness::freshness(has_token, row.token_expires_at, row.token_obtained_at, now) {
        Freshness::Fresh => return Ok((row, data)),
        Freshness::DueAhead => {
            crate::oauth::refresh_in_background(services, ws, id);
            return Ok((row, data));
        }
        Freshness::Needed => {}
    }
    if !has_token
        && data.get("grant_type").and_then(serde_json::Value::as_str) == Some("authorization_code")
    {
        return Err(ServiceError::ReauthorizationRequired {
            detail: "the credential has no access token yet: a person must authorize it (POST /v1/credentials/{id}/oauth/authorize)".into(),
            authorization_url: None,
        });
    }
    let needed = freshness::needs_refresh(row.version);
    match crate::oauth::ensure_fresh_shared(
        services,
        ws,
        id,
        Trigger::Resolve,
        &caller.actor,
        &caller.origin,
        needed,
    )
    .await?
    {
        Outcome::Fresh { .. } => {
            let client = services.pool.get().await?;
            let row = Arc::new(
                store::load_for_resolve(&client, ws, id, workflow)
                    .await?
                    .ok_or_else(|| ServiceError::NotFound("credential"))?,
            );
            drop(client);
            let data = open_resolved(services, ws, id, &row)?;
            Ok((row, data))
        }
        Outcome::Failed(Failure::Terminal(why)) => Err(ServiceError::Expired(format!(
            "{why} (the credential is now expired)"
        ))),
        Outcome::Failed(Failure::Transient(why)) => {
            if has_token && row.token_expires_at.is_none_or(|t| t > now) {
                tracing::warn!(credential_id = %id, "serving a token close to expiry: its refresh failed");
                Ok((row, data))
            } else {
                Err(ServiceError::Upstream {
                    detail: format!(
                        "the access token has expired and cannot be refreshed now: {why}"
                    ),
                    retry_after: Some(30),
                })
            }
        }
    }
}
