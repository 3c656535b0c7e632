//! The audit log: list, a credential's history, NDJSON export, chain verification.

use std::sync::Arc;

use actix_web::{get, web, HttpResponse};
use chrono::{DateTime, Utc};
use credvault_domain::credential_access::CredentialAction;
use credvault_store::audit::{self as store, AuditFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::dto::AuditEvent;
use crate::auth::{need, Authorized};
use crate::error::ApiError;
use crate::state::AppState;

type State = web::Data<Arc<AppState>>;

#[derive(Deserialize, IntoParams)]
pub struct AuditQuery {
    /// A user, token or engine id (a user's id also matches their personal tokens' events).
    pub actor_id: Option<Uuid>,
    /// e.g. `credential.used`.
    pub action: Option<String>,
    pub credential_id: Option<Uuid>,
    /// `success`, `denied` or `failure`.
    pub outcome: Option<String>,
    /// Inclusive, RFC 3339.
    pub from: Option<DateTime<Utc>>,
    /// Exclusive, RFC 3339.
    pub to: Option<DateTime<Utc>>,
    /// 1..200, default 50.
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditEvent>,
    pub next_cursor: Option<String>,
}

/// The actor filter matches a user and every personal token of theirs.
async fn actors(
    state: &AppState,
    ws: Uuid,
    actor: Option<Uuid>,
) -> Result<Option<Vec<Uuid>>, ApiError> {
    let Some(id) = actor else { return Ok(None) };
    let client = state.pool.get().await?;
    let mut ids = credvault_store::identity::token_ids_of(&client, ws, id).await?;
    ids.push(id);
    Ok(Some(ids))
}

fn filter_of(q: &AuditQuery) -> Result<AuditFilter, ApiError> {
    if let Some(o) = &q.outcome {
        if !["success", "denied", "failure"].contains(&o.as_str()) {
            return Err(ApiError::invalid(
                "outcome must be success, denied or failure",
            ));
        }
    }
    Ok(AuditFilter {
        actor_ids: None,
        action: q.action.clone(),
        credential_id: q.credential_id,
        outcome: q.outcome.clone(),
        from: q.from,
        to: q.to,
    })
}

fn page_of(q: &AuditQuery) -> Result<(i64, Option<i64>), ApiError> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::invalid("limit must be between 1 and 200"));
    }
    let cursor = match &q.cursor {
        None => None,
        Some(c) => Some(
            c.parse::<i64>()
                .map_err(|_| ApiError::invalid("cursor is not one this list gave out"))?,
        ),
    };
    Ok((limit, cursor))
}

async fn page(
    state: &AppState,
    ws: Uuid,
    f: &AuditFilter,
    q: &AuditQuery,
) -> Result<AuditPage, ApiError> {
    let (limit, cursor) = page_of(q)?;
    let client = state.pool.get().await?;
    let rows = store::list(&client, ws, f, true, cursor, limit + 1).await?;
    let more = rows.len() as i64 > limit;
    let items: Vec<AuditEvent> = rows
        .into_iter()
        .take(limit as usize)
        .map(AuditEvent::from)
        .collect();
    let next_cursor = if more {
        items.last().map(|e| e.seq.to_string())
    } else {
        None
    };
    Ok(AuditPage { items, next_cursor })
}

/// The workspace's audit events, newest first.
#[utoipa::path(tag = "audit", operation_id = "list_audit_events", summary = "List audit events", params(AuditQuery), responses((status = 200, description = "A page of events", body = AuditPage)))]
#[get("/audit")]
pub async fn list_events(
    state: State,
    caller: Authorized<need::ReadAudit>,
    q: web::Query<AuditQuery>,
) -> Result<web::Json<AuditPage>, ApiError> {
    let mut f = filter_of(&q)?;
    f.actor_ids = actors(&state, caller.workspace_id, q.actor_id).await?;
    Ok(web::Json(page(&state, caller.workspace_id, &f, &q).await?))
}

/// A credential's history, newest first.
#[utoipa::path(tag = "audit", operation_id = "list_credential_audit_events", summary = "A credential's audit history", params(("id" = Uuid, Path, description = "Credential id"), AuditQuery), responses((status = 200, description = "A page of events", body = AuditPage)))]
#[get("/credentials/{id}/audit")]
pub async fn credential_events(
    state: State,
    caller: Authorized<need::ReadCredentials>,
    id: web::Path<Uuid>,
    q: web::Query<AuditQuery>,
) -> Result<web::Json<AuditPage>, ApiError> {
    let (cred, _) =
        crate::credentials::authorize(&state, &caller, *id, CredentialAction::SeeConfiguration)
            .await?;
    let mut f = filter_of(&q)?;
    f.actor_ids = actors(&state, caller.workspace_id, q.actor_id).await?;
    f.credential_id = Some(cred.id);
    Ok(web::Json(page(&state, caller.workspace_id, &f, &q).await?))
}

/// Every matching event as NDJSON, oldest first, streamed a batch at a time.
#[utoipa::path(
    tag = "audit", operation_id = "export_audit_events", summary = "Export audit events (NDJSON)", params(AuditQuery),
    responses((status = 200, description = "One AuditEvent per line, oldest first: NDJSON, or the same bytes as a download when the request asks for `Accept: application/octet-stream`",
        content((String = "application/x-ndjson"), (Vec<u8> = "application/octet-stream"))))
)]
#[get("/audit/export")]
pub async fn export(
    state: State,
    caller: Authorized<need::ReadAudit>,
    req: actix_web::HttpRequest,
    q: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    // NDJSON unless the client asks only for a download (`Accept: application/octet-stream`).
    let accept = req
        .headers()
        .get(actix_web::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let download = accept.contains("application/octet-stream") && !accept.contains("ndjson");
    let mut f = filter_of(&q)?;
    f.actor_ids = actors(&state, caller.workspace_id, q.actor_id).await?;
    let ws = caller.workspace_id;
    let state = state.into_inner();
    let stream = event_pages("audit export", (b"", b"\n"), move |after| {
        let (state, f) = (state.clone(), f.clone());
        async move {
            let client = state.pool.get().await?;
            Ok(store::list(&client, ws, &f, false, Some(after), 1000).await?)
        }
    });
    let mut res = HttpResponse::Ok();
    if download {
        res.content_type("application/octet-stream").insert_header((
            "Content-Disposition",
            "attachment; filename=\"audit.ndjson\"",
        ));
    } else {
        res.content_type("application/x-ndjson");
    }
    Ok(res.streaming(stream))
}

/// Audit events as a streamed body, a page at a time: `page(after)` reads the events after a seq,
/// in chain order (empty at the end). Each event is written as JSON between `between.0` (before
/// every event but the first) and `between.1` (after each). A page that cannot be read ends the
/// body with an error, so the client sees a cut-off body, never one that looks whole.
pub(super) fn event_pages<F, Fut>(
    what: &'static str,
    between: (&'static [u8], &'static [u8]),
    page: F,
) -> impl futures_util::Stream<Item = Result<web::Bytes, actix_web::Error>>
where
    F: Fn(i64) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<store::StoredEvent>, ApiError>>,
{
    let written = |rows: Vec<store::StoredEvent>, first: bool| {
        let mut buf = Vec::new();
        for (i, e) in rows.into_iter().enumerate() {
            if !(first && i == 0) {
                buf.extend_from_slice(between.0);
            }
            serde_json::to_writer(&mut buf, &AuditEvent::from(e)).map_err(ApiError::internal)?;
            buf.extend_from_slice(between.1);
        }
        Ok::<_, ApiError>(web::Bytes::from(buf))
    };
    // (the seq to read after, whether nothing was written yet); None once ended.
    futures_util::stream::unfold(
        (Some((0i64, true)), page),
        move |(cursor, page)| async move {
            let (after, first) = cursor?;
            let chunk = match page(after).await {
                Ok(rows) if rows.is_empty() => return None,
                Ok(rows) => {
                    let next = rows.last().map_or(after, |e| e.seq);
                    written(rows, first).map(|bytes| (bytes, next))
                }
                Err(e) => Err(e),
            };
            Some(match chunk {
                Ok((bytes, next)) => (Ok(bytes), (Some((next, false)), page)),
                Err(e) => {
                    tracing::error!(error = %e, "{what} stopped");
                    (
                        Err(actix_web::error::ErrorServiceUnavailable(
                            "export interrupted",
                        )),
                        (None, page),
                    )
                }
            })
        },
    )
}

#[derive(Serialize, ToSchema)]
pub struct VerifyResult {
    pub ok: bool,
    pub events_checked: i64,
    /// The first event whose hash, link or sequence is wrong.
    pub first_bad_seq: Option<i64>,
}

/// Recompute the workspace's hash chain.
#[utoipa::path(tag = "audit", operation_id = "verify_audit_chain", summary = "Verify the audit chain", responses((status = 200, description = "The verdict", body = VerifyResult)))]
#[get("/audit/verify")]
pub async fn verify(
    state: State,
    caller: Authorized<need::ReadAudit>,
) -> Result<web::Json<VerifyResult>, ApiError> {
    let client = state.pool.get().await?;
    let v = crate::audit::verify(&client, caller.workspace_id).await?;
    Ok(web::Json(VerifyResult {
        ok: v.ok,
        events_checked: v.events_checked,
        first_bad_seq: v.first_bad_seq,
    }))
}
