//! Signing in with single sign-on: the browser is sent to the provider (`start`), comes back
//! (`callback`) with a single-use login code, which the application exchanges for tokens.

use std::sync::Arc;

use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use credvault_service::sso::flow;
use reqwest::Url;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::authorize::check_return_to;
use super::dto::TokenPair;
use crate::auth::origin_of;
use crate::error::ApiError;
use crate::openapi::rights::Doc;
use crate::state::AppState;

type State = web::Data<Arc<AppState>>;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StartQuery {
    /// The workspace to sign in to.
    pub workspace_id: Uuid,
    /// Where the callback sends the browser with `login_code`: an absolute URL on one of
    /// `CREDVAULT_CORS_ORIGINS`.
    pub return_to: Option<String>,
}

/// The provider URL, for an application that navigates the browser itself.
#[derive(Serialize, ToSchema)]
pub struct SsoStart {
    /// Send the person's browser here.
    pub authorization_url: String,
}

/// Whether the request asks for JSON rather than a redirect (`Accept: application/json`).
fn wants_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json") && !a.contains("text/html"))
}

/// Send the browser to the workspace's OpenID provider.
#[utoipa::path(
    tag = "browser", operation_id = "sso_start", extensions(("x-sdk-exclude" = json!(true))), description = Doc::public().note("Reached by the person's browser: answers 302 to the provider's authorization endpoint (code flow, PKCE S256, scope `openid email profile`, a `state` and `nonce` single-use for 10 minutes). Not for API clients.").audits("records nothing; the exchange records `auth.login`"), summary = "Start a single sign-on", params(StartQuery), security(()),
    responses(
        (status = 200, description = "The provider URL, when the request asks for JSON only (`Accept: application/json`): for an application that navigates the browser itself", body = SsoStart),
        (status = 302, description = "To the provider", headers(("Location" = String, description = "The provider's authorization URL"))),
        (status = 404, description = "No single sign-on in this workspace (`not_found`)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`return_to` is not on an allowed origin (`validation_failed`)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/auth/sso/start")]
pub async fn sso_start(
    state: State,
    req: HttpRequest,
    query: web::Query<StartQuery>,
) -> Result<HttpResponse, ApiError> {
    let return_to = (query.return_to.as_deref())
        .map(|r| check_return_to(&state, r))
        .transpose()?;
    let url = flow::start(&state, query.workspace_id, return_to.as_deref()).await?;
    if wants_json(&req) {
        return Ok(HttpResponse::Ok().json(SsoStart {
            authorization_url: url,
        }));
    }
    Ok(HttpResponse::Found()
        .insert_header((header::LOCATION, url))
        .finish())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SsoCallbackQuery {
    /// The authorization code.
    pub code: Option<String>,
    /// The state from `start`.
    pub state: Option<String>,
    /// The provider's error code, when it did not sign the person in.
    pub error: Option<String>,
}

/// A single-use code (60 s) for `POST /v1/auth/sso/exchange`.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct LoginCode {
    #[schema(value_type = String, max_length = 256)]
    pub login_code: Option<String>,
}

/// Where the provider sends the browser back.
#[utoipa::path(
    tag = "browser", operation_id = "sso_callback", extensions(("x-sdk-exclude" = json!(true))), description = Doc::public().note("Reached by the person's browser, sent back by the provider: the code is exchanged, the ID token validated (signature from the provider's JWKS, `iss`, `aud`, `exp`, `nonce`) and `email_verified` required. A known user of the workspace signs in; an unknown one whose email domain is allowed becomes a user. Not for API clients.").audits("records `user.created` (by `system`, `details.method` `sso`) for a new user; the exchange records `auth.login`"), summary = "Finish a single sign-on", params(SsoCallbackQuery), security(()),
    responses(
        (status = 200, description = "Signed in (when no `return_to` was given)", body = LoginCode),
        (status = 302, description = "To `return_to` with `login_code` added to its query", headers(("Location" = String, description = "`return_to` with `login_code`"))),
        (status = 400, description = "Unknown, used or expired state (`invalid_state`), or no code (`invalid_request`)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The ID token does not validate, the email is unverified or not allowed (`sso_refused`, its detail names the reason), or the account is disabled (`account_disabled`)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The provider cannot be reached (`upstream_unavailable`)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/auth/sso/callback")]
pub async fn sso_callback(
    state: State,
    req: HttpRequest,
    query: web::Query<SsoCallbackQuery>,
) -> Result<HttpResponse, ApiError> {
    let st = query.state.as_deref().unwrap_or_default();
    let (code, error) = (query.code.as_deref(), query.error.as_deref());
    let origin = origin_of(&req, &state);
    let done = flow::callback(&state, st, code, error, &origin).await?;
    let Some(mut back) = done.return_to.as_deref().and_then(|r| Url::parse(r).ok()) else {
        let login_code = Some(done.login_code);
        return Ok(HttpResponse::Ok().json(LoginCode { login_code }));
    };
    back.query_pairs_mut()
        .append_pair("login_code", &done.login_code);
    Ok(HttpResponse::Found()
        .insert_header((header::LOCATION, back.to_string()))
        .finish())
}

/// Exchange a login code for a session.
#[utoipa::path(
    tag = "auth", operation_id = "sso_exchange", description = Doc::public().note("The login code from the single sign-on callback works once, within 60 seconds. The session is an ordinary one: refresh it with `/v1/auth/refresh`.").audits("records `auth.login` with `details.method` `sso`"), summary = "Exchange a single sign-on login code", security(()),
    request_body = LoginCode,
    responses(
        (status = 200, description = "A new session", body = TokenPair),
        (status = 400, description = "Unknown, used or expired login code (`invalid_state`)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The account is disabled (`account_disabled`)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/sso/exchange")]
pub async fn sso_exchange(
    state: State,
    req: HttpRequest,
    body: web::Json<LoginCode>,
) -> Result<HttpResponse, ApiError> {
    let code =
        (body.login_code.as_deref()).ok_or_else(|| ApiError::field("login_code", "is required"))?;
    let tokens = flow::exchange(&state, origin_of(&req, &state), code).await?;
    Ok(HttpResponse::Ok().json(TokenPair::from(tokens)))
}
