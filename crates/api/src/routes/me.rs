//! The signed-in user: profile and data export (GDPR access).

use std::sync::Arc;

use actix_web::{get, web, HttpResponse};
use chrono::{DateTime, Utc};
use credvault_service::identity::export::{personal_data, PersonalData};
use credvault_service::identity::users;
use futures_util::{Stream, StreamExt};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::dto::{AuditEvent, User};
use super::sessions::Session;
use super::tokens::ApiToken;
use crate::auth::{need, Authorized};
use crate::error::ApiError;
use crate::openapi::rights::Doc;
use crate::state::AppState;
use credvault_domain::policy::Action;

type State = web::Data<Arc<AppState>>;

/// Who you are.
#[utoipa::path(tag = "me", operation_id = "get_me", description = Doc::of(Action::ReadSelf).reads(), summary = "Your profile", responses((status = 200, description = "You", body = User)))]
#[get("/me")]
pub async fn me(
    state: State,
    caller: Authorized<need::ReadSelf>,
) -> Result<web::Json<User>, ApiError> {
    Ok(web::Json(users::me(&state, &caller).await?.into()))
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
    #[schema(value_type = crate::openapi::enums::CredentialTypeSchema)]
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

/// Everything stored about you (GDPR access). The audit events are streamed a page at a time
/// (a personal token a CI script has used for a year may be the actor of millions), up to the
/// chain head as it was when the export began; the rest is read at once.
#[utoipa::path(tag = "me", operation_id = "export_me", description = Doc::of(Action::ExportSelf).reads(), summary = "Export your data", responses(
    (status = 200, description = "Your data", body = Export),
    (status = 403, description = "Asked with an API token (`forbidden`): your whole record leaves only through your own signed-in session", body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/me/export")]
pub async fn export(
    state: State,
    caller: Authorized<need::ExportSelf>,
) -> Result<HttpResponse, ApiError> {
    let data = personal_data(&state, &caller).await?;
    let events = data.events.clone();
    let state = state.into_inner();
    let pages = super::audit::event_pages("personal data export", (b",", b""), move |after| {
        let (state, events) = (state.clone(), events.clone());
        async move { Ok(events.page(&state, after).await?) }
    });
    let body = with_events(&Export::from(data), pages)?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .streaming(body))
}

impl From<PersonalData> for Export {
    /// Everything but the audit events, which are streamed into the document.
    fn from(d: PersonalData) -> Export {
        Export {
            profile: d.profile.into(),
            sessions: d
                .sessions
                .into_iter()
                .map(|s| ExportedSession {
                    revoked_at: s.row.revoked_at,
                    session: s.into(),
                })
                .collect(),
            tokens: d
                .tokens
                .into_iter()
                .map(|(t, revoked_at)| ExportedToken {
                    token: t.into(),
                    revoked_at,
                })
                .collect(),
            credentials: d
                .credentials
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
                .collect(),
            audit_events: vec![],
            exported_at: Utc::now(),
        }
    }
}

/// The document with its `audit_events` streamed in from `pages`: written whole with none, then
/// split where they go, `…"audit_events":[` and `],"exported_at":…}`. Only `exported_at` follows
/// the key, so its last occurrence is the key itself (a string value holding the same text would
/// have its quotes escaped anyway).
fn with_events(
    doc: &Export,
    pages: impl Stream<Item = Result<web::Bytes, actix_web::Error>> + 'static,
) -> Result<impl Stream<Item = Result<web::Bytes, actix_web::Error>>, ApiError> {
    let whole = serde_json::to_vec(doc).map_err(ApiError::internal)?;
    const KEY: &[u8] = b"\"audit_events\":[";
    let split = whole
        .windows(KEY.len())
        .rposition(|w| w == KEY)
        .map(|i| i + KEY.len())
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("export: no audit_events key")))?;
    let suffix = web::Bytes::copy_from_slice(&whole[split..]);
    let prefix = web::Bytes::from(whole).slice(..split);
    Ok(futures_util::stream::once(async { Ok(prefix) })
        .chain(pages)
        .chain(futures_util::stream::once(async { Ok(suffix) })))
}
