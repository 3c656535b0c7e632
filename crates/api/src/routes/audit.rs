//! The audit log: list, a credential's history, NDJSON export, chain verification.

use std::sync::Arc;

use actix_web::{get, web, HttpResponse};
use chrono::{DateTime, Utc};
use credvault_service::audit_log::{self, EventQuery};
use credvault_service::audit_stream::{self, AuditStream, Next};
use credvault_service::audit_tail::Rows;
use credvault_service::page::Page;
use credvault_store::audit::{AuditFilter, StoredEvent};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::dto::AuditEvent;
use super::page::PageQuery;
use crate::auth::{need, Authorized};
use crate::error::ApiError;
use crate::openapi::rights::Doc;
use crate::state::AppState;
use credvault_domain::credential_access::CredentialAction;
use credvault_domain::policy::Action;

type State = web::Data<Arc<AppState>>;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// A user, token or engine id (a user's id also matches their personal tokens' events).
    pub actor_id: Option<Uuid>,
    /// e.g. `credential.used`.
    pub action: Option<String>,
    pub credential_id: Option<Uuid>,
    #[param(value_type = Option<crate::openapi::enums::edge::AuditOutcome>)]
    pub outcome: Option<String>,
    /// Inclusive, RFC 3339.
    pub from: Option<DateTime<Utc>>,
    /// Exclusive, RFC 3339.
    pub to: Option<DateTime<Utc>>,
}

/// Where an export starts and whether it follows the chain.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StreamQuery {
    /// Only events after this seq; a follower reconnects with the last seq it saw and loses and
    /// repeats nothing.
    #[param(minimum = 0)]
    pub after_seq: Option<i64>,
    /// Keep the response open after the backlog: each new event is written as soon as it is in
    /// the chain, and an empty line every 15 s while there is none. Followers per workspace are
    /// limited (429 `rate_limited` beyond).
    pub follow: Option<bool>,
}

#[derive(Serialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditEvent>,
    pub next_cursor: Option<String>,
}

impl AuditQuery {
    /// The query with the page asked for (an export has none).
    fn with(self, page: PageQuery) -> EventQuery {
        EventQuery {
            actor_id: self.actor_id,
            filter: AuditFilter {
                actor_ids: None,
                action: self.action,
                credential_id: self.credential_id,
                outcome: self.outcome,
                from: self.from,
                to: self.to,
            },
            limit: page.limit,
            cursor: page.cursor,
        }
    }
}

impl From<Page<StoredEvent>> for AuditPage {
    fn from(page: Page<StoredEvent>) -> AuditPage {
        let page = page.map(AuditEvent::from);
        AuditPage {
            items: page.items,
            next_cursor: page.next_cursor,
        }
    }
}

/// The workspace's audit events, newest first.
#[utoipa::path(tag = "audit", operation_id = "list_audit_events", description = Doc::of(Action::ReadAudit).reads(), summary = "List audit events", params(AuditQuery, PageQuery), responses((status = 200, description = "A page of events", body = AuditPage)))]
#[get("/audit")]
pub async fn list_events(
    state: State,
    caller: Authorized<need::ReadAudit>,
    q: web::Query<AuditQuery>,
    page: web::Query<PageQuery>,
) -> Result<web::Json<AuditPage>, ApiError> {
    let q = q.into_inner().with(page.into_inner());
    let page = audit_log::list(&state, &caller, q).await?;
    Ok(web::Json(page.into()))
}

/// A credential's history, newest first.
#[utoipa::path(tag = "audit", operation_id = "list_credential_audit_events", description = Doc::of(Action::ReadCredentials).on_credential(CredentialAction::SeeConfiguration).reads(), summary = "A credential's audit history", params(("id" = Uuid, Path, description = "Credential id"), AuditQuery, PageQuery), responses((status = 200, description = "A page of events", body = AuditPage)))]
#[get("/credentials/{id}/audit")]
pub async fn credential_events(
    state: State,
    caller: Authorized<need::ReadCredentials>,
    id: web::Path<Uuid>,
    q: web::Query<AuditQuery>,
    page: web::Query<PageQuery>,
) -> Result<web::Json<AuditPage>, ApiError> {
    let q = q.into_inner().with(page.into_inner());
    let page = audit_log::credential_history(&state, &caller, *id, q).await?;
    Ok(web::Json(page.into()))
}

/// Every matching event as NDJSON, oldest first, streamed a batch at a time; with
/// `follow=true`, then every new one as it is chained.
#[utoipa::path(
    tag = "audit", operation_id = "export_audit_events", description = Doc::of(Action::ReadAudit).reads(), summary = "Export or follow audit events (NDJSON)", params(AuditQuery, StreamQuery),
    responses((status = 200, description = "Newline-delimited JSON: one `AuditEvent` per line, oldest first, each line ending in a newline; while following, an empty line every 15 s when there is no event. The same bytes come as a download (`Content-Disposition: attachment`) when the request asks only for `Accept: application/octet-stream`.",
        content((String = "application/x-ndjson"), (String = "application/octet-stream"))),
        (status = 429, description = "Too many followers of this workspace's stream (`rate_limited`)", body = crate::error::Problem, content_type = "application/problem+json"))
)]
#[get("/audit/export")]
pub async fn export(
    state: State,
    caller: Authorized<need::ReadAudit>,
    req: actix_web::HttpRequest,
    q: web::Query<AuditQuery>,
    s: web::Query<StreamQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner().with(PageQuery::default());
    let export = audit_log::export(&state, &caller, q).await?;
    let follow = s.follow.unwrap_or(false);
    let stream = audit_stream::open(&state, &caller, export, s.after_seq, follow)?;
    let mut res = HttpResponse::Ok();
    if download(&req) {
        res.content_type("application/octet-stream").insert_header((
            "Content-Disposition",
            "attachment; filename=\"audit.ndjson\"",
        ));
    } else {
        res.content_type("application/x-ndjson");
    }
    Ok(res.streaming(ndjson(state.get_ref().clone(), stream)))
}

/// An audit stream as NDJSON; a page that cannot be read ends the body with an error, so the
/// client sees a cut-off body, never one that looks whole.
fn ndjson(
    state: Arc<AppState>,
    stream: AuditStream,
) -> impl futures_util::Stream<Item = Result<web::Bytes, actix_web::Error>> {
    futures_util::stream::unfold(Some(stream), move |stream| {
        let state = state.clone();
        async move {
            let mut stream = stream?;
            let bytes = match stream.next(&state).await {
                Ok(Next::End) => return None,
                Ok(Next::Idle) => Ok(web::Bytes::from_static(b"\n")),
                Ok(Next::Events(rows)) => lines(rows),
                Err(e) => Err(ApiError::from(e)),
            };
            Some(match bytes {
                Ok(b) => (Ok(b), Some(stream)),
                Err(e) => {
                    tracing::error!(error = %e, "audit export stopped");
                    let err = actix_web::error::ErrorServiceUnavailable("export interrupted");
                    (Err(err), None)
                }
            })
        }
    })
}

/// A page as NDJSON, written once for every follower that shares it.
fn lines(rows: Rows) -> Result<web::Bytes, ApiError> {
    let text = rows.rendered(|events| {
        let mut buf = Vec::new();
        for e in events {
            serde_json::to_writer(&mut buf, &AuditEvent::from(e.clone()))
                .map_err(ApiError::internal)?;
            buf.push(b'\n');
        }
        Ok::<_, ApiError>(buf)
    })?;
    Ok(web::Bytes::copy_from_slice(&text))
}

/// NDJSON unless the client asks only for a download (`Accept: application/octet-stream`).
fn download(req: &actix_web::HttpRequest) -> bool {
    let accept = req
        .headers()
        .get(actix_web::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    accept.contains("application/octet-stream") && !accept.contains("ndjson")
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
    Fut: std::future::Future<Output = Result<Vec<StoredEvent>, ApiError>>,
{
    let written = |rows: Vec<StoredEvent>, first: bool| {
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
    /// Committed events not yet linked into the chain (that happens within milliseconds); never a
    /// break.
    #[schema(example = 0)]
    pub pending: i64,
}

/// Recompute the workspace's hash chain.
#[utoipa::path(tag = "audit", operation_id = "verify_audit_chain", description = Doc::of(Action::ReadAudit).reads(), summary = "Verify the audit chain", responses((status = 200, description = "The verdict", body = VerifyResult)))]
#[get("/audit/verify")]
pub async fn verify(
    state: State,
    caller: Authorized<need::ReadAudit>,
) -> Result<web::Json<VerifyResult>, ApiError> {
    let v = audit_log::verify(&state, &caller).await?;
    Ok(web::Json(VerifyResult {
        ok: v.ok,
        events_checked: v.events_checked,
        first_bad_seq: v.first_bad_seq,
        pending: v.pending,
    }))
}
