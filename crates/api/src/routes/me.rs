//! The signed-in user: profile and data export (GDPR access).

use std::sync::Arc;

use actix_web::{get, web, HttpResponse};
use chrono::{DateTime, Utc};
use credvault_store::audit as audit_store;
use credvault_store::identity as store;
use futures_util::StreamExt;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::dto::{AuditEvent, User};
use super::sessions::Session;
use super::tokens::ApiToken;
use crate::auth::{need, Authorized};
use crate::error::ApiError;
use crate::state::AppState;

type State = web::Data<Arc<AppState>>;

/// Who you are.
#[utoipa::path(tag = "me", operation_id = "get_me", summary = "Your profile", responses((status = 200, description = "You", body = User)))]
#[get("/me")]
pub async fn me(
    state: State,
    caller: Authorized<need::ReadSelf>,
) -> Result<web::Json<User>, ApiError> {
    let user = caller.person()?.clone();
    let client = state.pool.get().await?;
    let teams = store::teams_of(&client, caller.workspace_id, user.id).await?;
    Ok(web::Json(User::from_row(user, teams)))
}

#[derive(Serialize, ToSchema)]
pub struct ExportedSession {
    #[serde(flatten)]
    pub session: Session,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Serialize, ToSchema)]
pub struct ExportedToken {
    #[serde(flatten)]
    pub token: ApiToken,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Serialize, ToSchema)]
pub struct OwnedCredential {
    pub id: Uuid,
    pub name: String,
    pub service: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
}

/// Everything credvault stores about you.
#[derive(Serialize, ToSchema)]
pub struct Export {
    pub profile: User,
    pub sessions: Vec<ExportedSession>,
    pub tokens: Vec<ExportedToken>,
    pub credentials: Vec<OwnedCredential>,
    /// Audit events where you (or one of your tokens) are the actor, oldest first.
    pub audit_events: Vec<AuditEvent>,
    pub exported_at: DateTime<Utc>,
}

/// Events per page of the export's `audit_events`.
const EXPORT_PAGE: i64 = 1000;

/// Everything stored about you (GDPR access). The audit events are streamed a page at a time
/// (a personal token a CI script has used for a year may be the actor of millions), up to the
/// chain head as it was when the export began; the rest is read at once.
#[utoipa::path(tag = "me", operation_id = "export_me", summary = "Export your data", responses(
    (status = 200, description = "Your data", body = Export),
    (status = 403, description = "Asked with an API token (`forbidden`): your whole record leaves only through your own signed-in session", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/me/export")]
pub async fn export(
    state: State,
    caller: Authorized<need::ExportSelf>,
) -> Result<HttpResponse, ApiError> {
    let user = caller.person()?.clone();
    let ws = caller.workspace_id;
    let client = state.pool.get().await?;
    let teams = store::teams_of(&client, ws, user.id).await?;
    let sessions = store::all_sessions(&client, ws, user.id)
        .await?
        .into_iter()
        .map(|s| ExportedSession {
            revoked_at: s.revoked_at,
            session: Session::of(s, &state.services.settings.sessions, caller.session_id),
        })
        .collect();
    let tokens = store::all_tokens(&client, ws, user.id)
        .await?
        .into_iter()
        .map(|(t, revoked_at)| ExportedToken {
            token: t.into(),
            revoked_at,
        })
        .collect();
    let credentials = credvault_store::credentials::owned_by(&client, ws, user.id)
        .await?
        .into_iter()
        .map(|c| OwnedCredential {
            id: c.id,
            name: c.name,
            service: c.service,
            kind: c.kind,
            created_at: c.created_at,
            updated_at: c.updated_at,
            deleted_at: c.deleted_at,
        })
        .collect();
    let mut actors = store::token_ids_of(&client, ws, user.id).await?;
    actors.push(user.id);
    let upto = audit_store::head(&client, ws)
        .await?
        .map_or(0, |(seq, _)| seq);
    drop(client);
    // The whole document with no events, split where they go: `…"audit_events":[` and
    // `],"exported_at":…}`. Only `exported_at` follows the key, so its last occurrence is the key
    // itself (a string value holding the same text would have its quotes escaped anyway).
    let whole = serde_json::to_vec(&Export {
        profile: User::from_row(user, teams),
        sessions,
        tokens,
        credentials,
        audit_events: vec![],
        exported_at: Utc::now(),
    })
    .map_err(ApiError::internal)?;
    const KEY: &[u8] = b"\"audit_events\":[";
    let split = whole
        .windows(KEY.len())
        .rposition(|w| w == KEY)
        .map(|i| i + KEY.len())
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("export: no audit_events key")))?;
    let suffix = web::Bytes::copy_from_slice(&whole[split..]);
    let prefix = web::Bytes::from(whole).slice(..split);
    let state = state.into_inner();
    let pages = super::audit::event_pages("personal data export", (b",", b""), move |after| {
        let (state, actors) = (state.clone(), actors.clone());
        async move {
            let client = state.pool.get().await?;
            Ok(
                audit_store::events_by_actors(&client, ws, &actors, after, upto, EXPORT_PAGE)
                    .await?,
            )
        }
    });
    let body = futures_util::stream::once(async { Ok(prefix) })
        .chain(pages)
        .chain(futures_util::stream::once(async { Ok(suffix) }));
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .streaming(body))
}
