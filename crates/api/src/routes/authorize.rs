//! OAuth2 from the API: refresh now, start an authorization-code flow, and the browser's callback.

use std::sync::Arc;

use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use credvault_domain::credential::{destinations, CredentialData};
use credvault_domain::credential_access::CredentialAction;
use credvault_store::credentials as store;
use credvault_store::oauth as ostore;
use reqwest::Url;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::{need, origin_of, Authorized, Caller};
use crate::credentials as svc;
use crate::error::{ApiError, ErrorCode};
use crate::oauth::{self, Failure, Outcome, Trigger};
use crate::state::AppState;

type State = web::Data<Arc<AppState>>;

/// The result of a refresh.
#[derive(Serialize, ToSchema)]
pub struct RefreshResult {
    pub ok: bool,
    pub token_expires_at: Option<DateTime<Utc>>,
}

/// Checks that `cred` is a live oauth2 credential the caller may change.
async fn oauth_credential(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
) -> Result<(store::CredentialRow, CredentialData), ApiError> {
    svc::require_write(state, caller, id).await?;
    let (cred, _) = svc::authorize(state, caller, id, CredentialAction::Manage).await?;
    svc::refuse_if_deleted(&cred)?;
    if cred.kind != "oauth2" {
        return Err(ApiError::field(
            "type",
            "only oauth2 credentials have tokens to refresh or authorize",
        ));
    }
    let client = state.pool.get().await?;
    let data = svc::current_data(state, &client, &cred).await?;
    Ok((cred, data))
}

/// A 409 `reauthorization_required`, with a ready authorization URL when a person asked and the
/// grant is authorization_code.
async fn reauthorization(
    state: &AppState,
    caller: &Caller,
    cred: &store::CredentialRow,
    data: &CredentialData,
    why: &str,
) -> ApiError {
    let mut err = ApiError::new(ErrorCode::ReauthorizationRequired, why.to_string());
    if let (Some(user), true) = (caller.user_id(), oauth::is_authorization_code(data)) {
        if let Ok(client) = state.pool.get().await {
            if let Ok((url, _)) =
                oauth::start_authorization(state, &client, cred, data, user, None).await
            {
                err.authorization_url = Some(url);
            }
        }
    }
    err
}

/// Refresh an oauth2 credential's access token now.
#[utoipa::path(
    tag = "credentials", operation_id = "refresh_credential", summary = "Refresh an OAuth2 token", params(("id" = Uuid, Path, description = "Credential id")),
    responses(
        (status = 200, description = "Refreshed (a new version with reason `refreshed`)", body = RefreshResult),
        (status = 409, description = "The provider refused the refresh token (`reauthorization_required`, with `authorization_url`)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 410, description = "The credential is deleted (`credential_deleted`)", body = crate::error::Problem, content_type = "application/problem+json"),
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
    let (cred, data) = oauth_credential(&state, &caller, *id).await?;
    let before = {
        let client = state.pool.get().await?;
        ostore::token_state_of(&client, cred.workspace_id, cred.id)
            .await?
            .and_then(|s| s.token_obtained_at)
    };
    // Refresh unless someone else refreshed while we waited for their lease.
    let needed = move |st: &ostore::TokenState| st.token_obtained_at == before;
    match oauth::ensure_fresh(
        &state,
        cred.workspace_id,
        cred.id,
        Trigger::Manual,
        &caller.actor,
        &caller.origin,
        needed,
    )
    .await?
    {
        Outcome::Fresh { token_expires_at } => Ok(web::Json(RefreshResult {
            ok: true,
            token_expires_at,
        })),
        Outcome::Failed(Failure::Terminal(why)) => {
            Err(reauthorization(&state, &caller, &cred, &data, &why).await)
        }
        Outcome::Failed(Failure::Transient(why)) => {
            Err(ApiError::new(ErrorCode::UpstreamUnavailable, why).with_retry_after(30))
        }
    }
}

#[derive(Deserialize, Default, ToSchema)]
pub struct AuthorizeRequest {
    /// Where the callback sends the browser afterwards: an absolute URL on one of
    /// `CREDVAULT_CORS_ORIGINS`.
    pub return_to: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AuthorizeStart {
    /// Send the person's browser here.
    pub authorization_url: String,
    /// Single-use, valid for 10 minutes.
    pub state: String,
}

fn check_return_to(state: &AppState, raw: &str) -> Result<String, ApiError> {
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
    tag = "credentials", operation_id = "authorize_credential", summary = "Start an OAuth2 authorization", params(("id" = Uuid, Path, description = "Credential id")),
    request_body(content = AuthorizeRequest, description = "Optional; an empty body is the same as `{}`"),
    responses(
        (status = 200, description = "Where to send the browser", body = AuthorizeStart),
        (status = 410, description = "The credential is deleted (`credential_deleted`)", body = crate::error::Problem, content_type = "application/problem+json"),
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
    let Some(user) = caller.user_id() else {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "an authorization is started by a person, not an engine token",
        ));
    };
    let return_to = input
        .return_to
        .as_deref()
        .map(|r| check_return_to(&state, r))
        .transpose()?;
    let (cred, data) = oauth_credential(&state, &caller, *id).await?;
    if !oauth::is_authorization_code(&data) {
        return Err(ApiError::field("data.grant_type", "must be authorization_code to authorize in a browser (client_credentials needs no authorization)"));
    }
    let client = state.pool.get().await?;
    let (authorization_url, st) =
        oauth::start_authorization(&state, &client, &cred, &data, user, return_to.as_deref())
            .await?;
    Ok(web::Json(AuthorizeStart {
        authorization_url,
        state: st,
    }))
}

#[derive(Deserialize, IntoParams)]
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
    pub status: String,
}

/// Where the provider sends the browser back; bound to its state, so it needs no bearer token.
#[utoipa::path(
    tag = "credentials", operation_id = "oauth_callback", summary = "Finish an OAuth2 authorization", params(CallbackQuery), security(()),
    responses(
        (status = 200, description = "Authorized (when no `return_to` was given)", body = CallbackResult),
        (status = 302, description = "When the authorization had a `return_to`, the browser goes there: with `credential_id` and `status` added to its query, or, when the callback could not finish, `credential_id`, `status=error`, `error` (the problem's code) and `error_description` (its detail)"),
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
    let invalid = || {
        ApiError::new(
            ErrorCode::InvalidState,
            "the state is unknown, already used or expired: start the authorization again",
        )
    };
    let st = query
        .state
        .as_deref()
        .filter(|s| !s.is_empty() && s.len() <= 256)
        .ok_or_else(invalid)?;
    let used = {
        let client = state.pool.get().await?;
        ostore::consume_state(&client, &credvault_crypto::sha256(st.as_bytes()))
            .await?
            .ok_or_else(invalid)?
    };
    // The browser goes back to `return_to` whatever the outcome; a failure is told there as
    // `error` and `error_description` (the problem's code and detail), not as a problem page.
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
    let finished = finish_callback(&state, &req, &query, &used, st).await;
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

/// The callback's work once its state is consumed: the provider's refusal, or the code exchange.
async fn finish_callback(
    state: &AppState,
    req: &HttpRequest,
    query: &CallbackQuery,
    used: &ostore::UsedState,
    st: &str,
) -> Result<store::CredentialRow, ApiError> {
    if let Some(e) = query.error.as_deref() {
        let code: String = e
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(64)
            .collect();
        return Err(ApiError::invalid(format!(
            "the provider did not grant access ({code}): start the authorization again"
        )));
    }
    let code = query
        .code
        .as_deref()
        .filter(|c| !c.is_empty() && c.len() <= 4096)
        .ok_or_else(|| ApiError::invalid("code is required"))?;
    let origin = origin_of(req, state);
    oauth::finish_authorization(state, used, st, code, &origin).await
}
