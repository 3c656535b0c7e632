//! Talking to other services: the connection test, OAuth2 refresh, and the authorization-code
//! flow (authorize, then the browser's callback).

use std::sync::Arc;

use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Duration, Utc};
use credvault_domain::credential::{destinations, CredentialData, TestSpec};
use credvault_domain::credential_access::CredentialAction;
use credvault_domain::outbound::RESOLVE_REFRESH_WINDOW_SECS;
use credvault_store::credentials as store;
use credvault_store::oauth as ostore;
use reqwest::{Method, Url};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::audit::{self, Event};
use crate::auth::{need, origin_of, Authorized, Caller};
use crate::credentials as svc;
use crate::error::{ApiError, ErrorCode};
use crate::oauth::{self, Failure, Outcome, Trigger};
use crate::outbound::OutboundError;
use crate::state::AppState;

type State = web::Data<Arc<AppState>>;

/// The result of a connection test. No secret appears in it.
#[derive(Serialize, ToSchema)]
pub struct TestResult {
    /// Whether the service answered one of the expected statuses.
    pub ok: bool,
    /// The service's HTTP status; null when no answer came.
    pub status_code: Option<u16>,
    pub latency_ms: Option<u64>,
    /// What went wrong, in words a person can act on; null when `ok`.
    pub error: Option<String>,
    pub tested_at: DateTime<Utc>,
}

/// Whether an oauth2 credential's data lacks a usable access token (none, or one expiring
/// within a minute).
fn token_needed(data: &CredentialData) -> bool {
    let has = data
        .secrets
        .get("access_token")
        .and_then(Value::as_str)
        .is_some_and(|s| !s.is_empty());
    let soon = Utc::now() + Duration::seconds(RESOLVE_REFRESH_WINDOW_SECS);
    let expiring = data
        .config
        .get("token_expires_at")
        .and_then(Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .is_some_and(|t| t <= soon);
    !has || expiring
}

/// What makes a resolve or test refresh: the stored token expires within a minute, or there is
/// none yet and nobody stored one since `seen_version`.
pub fn needs_refresh(seen_version: i32) -> impl Fn(&ostore::TokenState) -> bool {
    move |st| {
        let soon = Utc::now() + Duration::seconds(RESOLVE_REFRESH_WINDOW_SECS);
        match st.token_expires_at {
            Some(t) => t <= soon,
            None => st.current_version == seen_version,
        }
    }
}

fn hint(kind: &str) -> &'static str {
    match kind {
        "api_key" => "check the key",
        "basic_auth" => "check the username and password",
        "oauth2" => "the access token was refused: refresh or re-authorize the credential",
        _ => "check the secret fields",
    }
}

/// `{{field}}` in a custom credential's test URL becomes the field's value (URL-encoded).
fn fill_placeholders(url: &str, data: &CredentialData) -> String {
    let mut out = url.to_string();
    for (k, v) in data.config.iter().chain(data.secrets.iter()) {
        if let Some(s) = v.as_str() {
            let encoded: String = url::form_urlencoded::byte_serialize(s.as_bytes()).collect();
            out = out.replace(&destinations::placeholder(k), &encoded);
        }
    }
    out
}

/// Calls the credential's test request with the credential applied per its type.
async fn run_test(
    state: &AppState,
    kind: &str,
    spec: &TestSpec,
    data: &CredentialData,
) -> (Option<u16>, Option<u64>, Result<(), String>) {
    let s = |m: &CredentialData, k: &str| -> String {
        m.config
            .get(k)
            .or_else(|| m.secrets.get(k))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let raw_url = if kind == "custom" {
        fill_placeholders(&spec.url, data)
    } else {
        spec.url.clone()
    };
    let Ok(mut url) = Url::parse(&raw_url) else {
        return (
            None,
            None,
            Err("the test URL is not valid: fix the credential's test".into()),
        );
    };
    let host = url.host_str().unwrap_or_default().to_string();
    let method = Method::from_bytes(spec.method.as_bytes()).unwrap_or(Method::GET);
    if kind == "api_key" && s(data, "placement") == "query" {
        let value = format!("{}{}", s(data, "prefix"), s(data, "key"));
        url.query_pairs_mut().append_pair(&s(data, "name"), &value);
    }
    let mut req = state.outbound.request(method, url);
    match kind {
        "api_key" if s(data, "placement") != "query" => {
            let name = s(data, "name");
            let value = format!("{}{}", s(data, "prefix"), s(data, "key"));
            match (
                header::HeaderName::from_bytes(name.as_bytes()),
                header::HeaderValue::from_str(&value),
            ) {
                (Ok(n), Ok(mut v)) => {
                    v.set_sensitive(true);
                    req = req.header(n.as_str(), v.as_bytes());
                }
                _ => {
                    return (
                        None,
                        None,
                        Err(
                            "the key cannot be sent as a header: check the header name and key"
                                .into(),
                        ),
                    )
                }
            }
        }
        "basic_auth" => req = req.basic_auth(s(data, "username"), Some(s(data, "password"))),
        "oauth2" => req = req.bearer_auth(s(data, "access_token")),
        _ => {}
    }
    match state.outbound.send(req).await {
        Err(e) => {
            let msg = match &e {
                OutboundError::Refused(r) => format!("refused by the outbound rules: {r}"),
                other => other.to_string(),
            };
            (None, None, Err(msg))
        }
        Ok(answer) => {
            let code = answer.status.as_u16();
            let latency = Some(answer.latency.as_millis() as u64);
            let ok = match &spec.expected_status {
                Some(list) => list.contains(&code),
                None => answer.status.is_success(),
            };
            if ok {
                return (Some(code), latency, Ok(()));
            }
            let why = match code {
                401 | 403 => hint(kind).to_string(),
                404 => "check the test URL".to_string(),
                500..=599 => "the service is failing; try again later".to_string(),
                _ => match &spec.expected_status {
                    Some(list) => format!(
                        "expected {}",
                        list.iter()
                            .map(u16::to_string)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    None => "expected a 2xx answer".to_string(),
                },
            };
            (
                Some(code),
                latency,
                Err(format!("{code} from {host}: {why}")),
            )
        }
    }
}

/// A credential's test request, or 422 when it has none.
fn test_spec_of(cred: &store::CredentialRow) -> Result<TestSpec, ApiError> {
    cred.test
        .clone()
        .and_then(|t| serde_json::from_value(t).ok())
        .ok_or_else(|| {
            ApiError::field(
                "test",
                "the credential has no test request: set one with PATCH /v1/credentials/{id} first",
            )
        })
}

/// Test the connection: call the credential's `test` request with the credential applied.
#[utoipa::path(
    tag = "credentials", operation_id = "test_credential", summary = "Test a credential's connection", params(("id" = Uuid, Path, description = "Credential id")),
    responses(
        (status = 200, description = "The result (also when the service refused: see `ok` and `error`)", body = TestResult),
        (status = 410, description = "The credential is deleted (`credential_deleted`)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "The credential has no test request (`validation_failed`)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/credentials/{id}/test")]
pub async fn test_credential(
    state: State,
    caller: Authorized<need::ReadCredentials>,
    id: web::Path<Uuid>,
) -> Result<web::Json<TestResult>, ApiError> {
    let (cred, _) =
        svc::authorize(&state, &caller, *id, CredentialAction::SeeConfiguration).await?;
    svc::refuse_if_deleted(&cred)?;
    let mut spec = test_spec_of(&cred)?;
    let ws = caller.workspace_id;
    let mut data = {
        let client = state.pool.get().await?;
        svc::current_data(&state, &client, &cred).await?
    };
    let mut pre = None;
    if cred.kind == "oauth2" && token_needed(&data) {
        let needed = needs_refresh(cred.current_version);
        match oauth::ensure_fresh(
            &state,
            ws,
            cred.id,
            Trigger::Test,
            &caller.actor,
            &caller.origin,
            needed,
        )
        .await?
        {
            Outcome::Fresh { .. } => {
                let client = state.pool.get().await?;
                let fresh = store::get(&client, ws, cred.id)
                    .await?
                    .ok_or_else(|| ApiError::not_found("credential"))?;
                data = svc::current_data(&state, &client, &fresh).await?;
                // The test goes where the fresh row says, with the fresh row's secrets.
                spec = test_spec_of(&fresh)?;
            }
            Outcome::Failed(f) => {
                pre = Some(format!(
                    "no access token could be obtained: {}",
                    f.message()
                ))
            }
        }
    }
    let (status_code, latency_ms, result) = match pre {
        Some(e) => (None, None, Err(e)),
        None => run_test(&state, &cred.kind, &spec, &data).await,
    };
    drop(data);
    let tested_at = Utc::now();
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    // The call carried the credential: it is on the record even if the credential was deleted
    // or purged meanwhile (then its status is left as it is and the answer says so).
    let gone = match store::lock(&tx, ws, cred.id).await? {
        None => Some(ApiError::not_found("credential")),
        Some(now) if now.deleted_at.is_some() => svc::refuse_if_deleted(&now).err(),
        Some(mut now) => {
            let (status, detail) = match &result {
                Ok(()) => ("active", None),
                Err(e) => ("error", Some(e.clone())),
            };
            // A test decides between active and error; it does not revive an expired credential.
            if now.status != "expired" && (now.status != status || now.status_detail != detail) {
                now.status = status.into();
                now.status_detail = detail;
                store::update(&tx, &now).await?;
            }
            None
        }
    };
    let mut ev = Event::new("credential.tested")
        .target("credential", cred.id, Some(cred.name.clone()))
        .outcome(if result.is_ok() { "success" } else { "failure" })
        .detail("ok", result.is_ok())
        .detail("status_code", status_code)
        .detail("latency_ms", latency_ms);
    if let Err(e) = &result {
        ev = ev.detail("error", e.clone());
    }
    if gone.is_some() {
        ev = ev.detail("credential_deleted_meanwhile", true);
    }
    audit::record(&tx, ws, &caller.actor, &caller.origin, ev).await?;
    tx.commit().await?;
    if let Some(err) = gone {
        return Err(err);
    }
    Ok(web::Json(TestResult {
        ok: result.is_ok(),
        status_code,
        latency_ms,
        error: result.err(),
        tested_at,
    }))
}

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

/// The origin (`scheme://host[:port]`, default ports left out) of an absolute http(s) URL.
fn origin_of_url(u: &Url) -> Option<String> {
    if !matches!(u.scheme(), "http" | "https") {
        return None;
    }
    let host = u.host_str()?;
    Some(match u.port() {
        Some(p) => format!("{}://{}:{p}", u.scheme(), host),
        None => format!("{}://{}", u.scheme(), host),
    })
}

fn check_return_to(state: &AppState, raw: &str) -> Result<String, ApiError> {
    let bad = || {
        ApiError::field(
            "return_to",
            "must be an absolute http(s) URL on one of the origins in CREDVAULT_CORS_ORIGINS",
        )
    };
    let u = Url::parse(raw).map_err(|_| bad())?;
    let origin = origin_of_url(&u).ok_or_else(bad)?;
    let allowed = state.settings.cors_origins.iter().any(|o| {
        Url::parse(o)
            .ok()
            .and_then(|ou| origin_of_url(&ou))
            .is_some_and(|ou| ou == origin)
    });
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
