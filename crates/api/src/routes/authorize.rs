//! OAuth2 from the API: refresh now, start an authorization-code flow, and the browser's callback
//! (their work in the service's `oauth::requests`).

use std::sync::Arc;

use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use credvault_domain::credential::destinations;
use credvault_service::oauth::requests;
use credvault_store::credentials::CredentialRow;
use credvault_store::oauth::UsedState;
use reqwest::Url;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::{need, origin_of, Authorized};
use crate::credentials as svc;
use crate::error::ApiError;
use crate::openapi::rights::Doc;
use crate::state::AppState;
use credvault_domain::credential_access::CredentialAction;
use credvault_domain::policy::Action;

type State = web::Data<Arc<AppState>>;

/// The result of a refresh.
#[derive(Serialize, ToSchema)]
pub struct RefreshResult {
    pub ok: bool,
    pub token_expires_at: Option<DateTime<Utc>>,
}

/// Refresh an oauth2 credential's access token now.
#[utoipa::path(
    tag = "credentials", operation_id = "refresh_credential", description = Doc::of(Action::WriteCredentials).on_credential(CredentialAction::Manage).audits("records `credential.refreshed`, or `credential.refresh_failed` when the provider refuses; `credential.status_changed` too when the status moves (to `error` or `expired`, or back to `active`)"), summary = "Refresh an OAuth2 token", params(("id" = Uuid, Path, description = "Credential id")),
    responses(
        (status = 200, description = "Refreshed (a new version with reason `refreshed`)", body = RefreshResult),
        (status = 409, description = "The provider refused the refresh token (`reauthorization_required`, with `authorization_url`)", body = crate::error::Problem, content_type = "application/problem+json"),
        crate::error::responses::Gone,
        (status = 422, description = "Not an oauth2 credential (`validation_failed`)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The token endpoint cannot be reached (`upstream_unavailable`)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/credentials/{id}/refresh")]
pub async fn refresh_credential(
    state: State,
    caller: Authorized<need::ReadCredentials>,
    id: web::Path<Uuid>,
) -> Result<web::Json<RefreshResult>, ApiError> {
    let token_expires_at = requests::refresh_now(&state, &caller, *id).await?;
    Ok(web::Json(RefreshResult {
        ok: true,
        token_expires_at,
    }))
}

#[derive(Deserialize, Default, ToSchema)]
pub struct AuthorizeRequest {
    /// Where the callback sends the browser afterwards: an absolute URL on one of
    /// `CREDVAULT_CORS_ORIGINS`.
    #[schema(value_type = String, required = false)]
    pub return_to: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AuthorizeStart {
    /// Send the person's browser here.
    pub authorization_url: String,
    /// Single-use, valid for 10 minutes.
    pub state: String,
}

pub(crate) fn check_return_to(state: &AppState, raw: &str) -> Result<String, ApiError> {
    let bad = || {
        ApiError::field(
            "return_to",
            "must be an absolute http(s) URL on one of the origins in CREDVAULT_CORS_ORIGINS",
        )
    };
    let u = Url::parse(raw).map_err(|_| bad())?;
    // The one notion of an origin (scheme, host, port), as destinations use it.
    let origin = destinations::origin(u.as_str()).ok_or_else(bad)?;
    let allowed = state
        .settings
        .cors_origins
        .iter()
        .any(|o| destinations::origin(o).is_some_and(|ou| ou == origin));
    if allowed {
        Ok(u.to_string())
    } else {
        Err(bad())
    }
}

/// Start an authorization-code flow with PKCE S256.
#[utoipa::path(
    tag = "credentials", operation_id = "authorize_credential", description = Doc::of(Action::WriteCredentials).on_credential(CredentialAction::Manage).note("A person only: an engine token cannot start an authorization.").audits("records nothing here; the callback records the outcome"), summary = "Start an OAuth2 authorization", params(("id" = Uuid, Path, description = "Credential id")),
    request_body(content = AuthorizeRequest, description = "Optional; an empty body is the same as `{}`"),
    responses(
        (status = 200, description = "Where to send the browser", body = AuthorizeStart),
        crate::error::responses::Gone,
        (status = 422, description = "Not an authorization_code credential, or `return_to` is not on an allowed origin (`validation_failed`)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/credentials/{id}/oauth/authorize")]
pub async fn authorize_credential(
    state: State,
    caller: Authorized<need::ReadCredentials>,
    id: web::Path<Uuid>,
    body: web::Bytes,
) -> Result<web::Json<AuthorizeStart>, ApiError> {
    let input: AuthorizeRequest = if body.iter().all(u8::is_ascii_whitespace) {
        AuthorizeRequest::default()
    } else {
        let raw: Value = serde_json::from_slice(&body)
            .map_err(|_| ApiError::invalid("the body is not valid JSON"))?;
        super::parse_body(&raw)?
    };
    let return_to = (input.return_to.as_deref())
        .map(|r| check_return_to(&state, r))
        .transpose()?;
    let (authorization_url, st) =
        requests::authorize(&state, &caller, *id, return_to.as_deref()).await?;
    Ok(web::Json(AuthorizeStart {
        authorization_url,
        state: st,
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallbackQuery {
    /// The authorization code.
    pub code: Option<String>,
    /// The state from `authorize`.
    pub state: Option<String>,
    /// The provider's error code, when the person declined.
    pub error: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CallbackResult {
    pub credential_id: Uuid,
    #[schema(value_type = crate::openapi::enums::StatusSchema)]
    pub status: String,
}

/// Where the provider sends the browser back; bound to its state, so it needs no bearer token.
#[utoipa::path(
    tag = "browser", operation_id = "oauth_callback", extensions(("x-sdk-exclude" = json!(true))), description = Doc::public().note("Reached by the person's browser, sent back by the provider: the single-use `state` of an authorization (valid 10 minutes) binds it to the credential and the person who started it. Not for API clients.").audits("records `credential.refreshed` when the tokens are stored, or `credential.refresh_failed` when the provider refuses the code"), summary = "Finish an OAuth2 authorization", params(CallbackQuery), security(()),
    responses(
        (status = 200, description = "Authorized (when no `return_to` was given)", body = CallbackResult),
        (status = 302, description = "When the authorization had a `return_to`, the browser goes there: with `credential_id` and `status` added to its query, or, when the callback could not finish, `credential_id`, `status=error`, `error` (the problem's code) and `error_description` (its detail)",
            headers(("Location" = String, description = "`return_to` with the outcome added to its query"))),
        (status = 400, description = "Unknown, used or expired state, or the credential was purged since (`invalid_state`), or the person declined (`invalid_request`)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 410, description = "The credential was deleted since the authorization started (`credential_deleted`): restore it and authorize again", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The token endpoint cannot be reached (`upstream_unavailable`)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/oauth/callback")]
pub async fn oauth_callback(
    state: State,
    req: HttpRequest,
    query: web::Query<CallbackQuery>,
) -> Result<HttpResponse, ApiError> {
    let st = query.state.as_deref().unwrap_or_default();
    let used = requests::consume_state(&state, st).await?;
    let (code, error) = (query.code.as_deref(), query.error.as_deref());
    let origin = origin_of(&req, &state);
    let finished = requests::finish_callback(&state, &used, st, code, error, &origin).await;
    callback_answer(&used, finished.map_err(ApiError::from))
}

/// The browser goes back to `return_to` whatever the outcome; a failure is told there as `error`
/// and `error_description` (the problem's code and detail), not as a problem page. Without a
/// `return_to`, the answer is JSON (or the problem).
fn callback_answer(
    used: &UsedState,
    finished: Result<CredentialRow, ApiError>,
) -> Result<HttpResponse, ApiError> {
    let back = |pairs: &[(&str, &str)]| -> Option<HttpResponse> {
        let mut u = Url::parse(used.return_to.as_deref()?).ok()?;
        {
            let mut q = u.query_pairs_mut();
            q.append_pair("credential_id", &used.credential_id.to_string());
            for (k, v) in pairs {
                q.append_pair(k, v);
            }
        }
        Some(
            HttpResponse::Found()
                .insert_header((header::LOCATION, u.to_string()))
                .finish(),
        )
    };
    match finished {
        Ok(cred) => {
            let status = svc::status_of(&cred).as_str().to_string();
            if let Some(res) = back(&[("status", &status)]) {
                return Ok(res);
            }
            Ok(HttpResponse::Ok().json(CallbackResult {
                credential_id: cred.id,
                status,
            }))
        }
        Err(e) => {
            // Told to the page, not rendered as a problem here: its cause goes to the log.
            if e.code.status().is_server_error() {
                tracing::warn!(code = e.code.as_str(), detail = %e.detail, cause = ?e.source, "the OAuth callback could not finish");
            }
            let pairs = [
                ("status", "error"),
                ("error", e.code.as_str()),
                ("error_description", &e.detail),
            ];
            back(&pairs).ok_or(e)
        }
    }
}
