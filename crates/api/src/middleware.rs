//! The request context: a request id on every request and response (`X-Request-Id`), a tracing
//! span carrying it, per-route metrics, an access log line, the edge's headers and limits
//! (`crate::edge`, the request timeout), and the safety nets that turn panics, timeouts and the
//! framework's own bare errors into problem+json.

use std::panic::AssertUnwindSafe;
use std::time::{Duration, Instant};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, ResponseError};
use futures_util::FutureExt;
use tracing::Instrument;

use crate::edge::EdgeHeaders;
use crate::error::{ApiError, ErrorCode};
use crate::metrics::Metrics;
pub use crate::request_id::{current_request_id, REQUEST_ID};
use crate::request_id::{request_id_of, CURRENT_REQUEST_ID};

/// The request timeout when no settings are at hand (`CREDVAULT_REQUEST_TIMEOUT_SECS`' default).
const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let started = Instant::now();
    let request_id = request_id_of(&req);
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    let method = req.method().to_string();
    // A change made through this instance drops what it made stale from its runtime cache before
    // the answer goes out, so the caller reads its own writes at once (other instances hear of it
    // by NOTIFY). A refused request changed nothing, so it drops nothing (an unauthenticated
    // client cannot empty the cache of the runtime path).
    let stale = crate::stale::stale_after(req.method().as_str(), req.path());
    let announce = crate::stale::announces(req.method().as_str(), req.path());
    let state = req
        .app_data::<web::Data<std::sync::Arc<crate::state::AppState>>>()
        .cloned();
    let cors_origin = state
        .as_ref()
        .and_then(|s| crate::cors::allowed_origin(&req, &s.settings.cors_origins));
    // Without the state (unit tests of this middleware) the default applies.
    let timeout = state
        .as_ref()
        .map_or(DEFAULT_REQUEST_TIMEOUT, |s| s.settings.request_timeout);
    let cache = state.as_ref().map(|s| s.cache.clone());
    let chain = state.as_ref().map(|s| s.chain.clone());
    drop(state);
    let edge = EdgeHeaders::for_request(&req, cors_origin.clone());
    if crate::cors::is_preflight(&req) {
        if let Some(origin) = cors_origin {
            let mut res = req.into_response(crate::cors::preflight(origin));
            edge.apply(res.headers_mut());
            return Ok(res);
        }
    }
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        method = %method,
        path = %req.path(),
    );

    let outcome = CURRENT_REQUEST_ID
        .scope(request_id.clone(), async {
            if let Err(e) = crate::edge::check_header_size(&req) {
                return Ok(req.error_response(e));
            }
            // The request cannot be cloned before routing, so an error without a response is
            // returned as an ApiError that carries the request id and renders itself.
            // A request answers at its commit, once what it changed is announced to every
            // instance's cache (`ChainWatch::record`; a create writes nothing cached).
            let handled = AssertUnwindSafe(async move {
                match chain {
                    Some(chain) => chain.record(next.call(req), announce).await,
                    None => next.call(req).await,
                }
            })
            .catch_unwind();
            match tokio::time::timeout(timeout, handled).await {
                Ok(Ok(Ok(res))) => Ok(problem_for_bare_errors(res.map_into_boxed_body())),
                Ok(Ok(Err(err))) => Err(err),
                Ok(Err(_)) => {
                    // The panic hook has logged the location; the client learns nothing.
                    Err(ApiError::new(
                        ErrorCode::Internal,
                        "an internal error occurred; quote the request id when reporting it",
                    )
                    .into())
                }
                Err(_) => {
                    // The handler is dropped here: a transaction it held rolls back.
                    tracing::warn!(timeout_secs = timeout.as_secs(), "request timed out");
                    Err(ApiError::new(
                        ErrorCode::Timeout,
                        format!(
                            "the request took longer than {} s; retry, or ask for less",
                            timeout.as_secs()
                        ),
                    )
                    .into())
                }
            }
        })
        .instrument(span.clone())
        .await;
    if let (false, Some(cache)) = (matches!(stale, crate::stale::Stale::Nothing), &cache) {
        let status = match &outcome {
            Ok(res) => res.status(),
            Err(e) => e.as_response_error().status_code(),
        };
        // 409 is the one refusal that can follow a committed change (a refresh the provider
        // refused marks the credential expired).
        if !status.is_client_error() || status == actix_web::http::StatusCode::CONFLICT {
            match stale {
                crate::stale::Stale::Credential(id) => cache.forget_credential(id),
                _ => cache.clear(),
            }
        }
    }

    let (status, route, result) = match outcome {
        Ok(mut res) => {
            if let Ok(v) = HeaderValue::from_str(&request_id) {
                res.headers_mut().insert(REQUEST_ID, v);
            }
            edge.apply(res.headers_mut());
            let route = res
                .request()
                .match_pattern()
                .unwrap_or_else(|| "unmatched".to_string());
            (res.status(), route, Ok(res))
        }
        Err(err) => (
            err.as_response_error().status_code(),
            "unmatched".to_string(),
            Err(edge.on_error(err)),
        ),
    };
    let elapsed = started.elapsed();
    if let Some(m) = metrics {
        m.observe(&method, &route, status.as_u16(), elapsed);
    }
    span.in_scope(|| {
        tracing::info!(
            status = status.as_u16(),
            route = %route,
            latency_ms = elapsed.as_secs_f64() * 1000.0,
            "served"
        )
    });
    result
}

/// Errors the framework answers by itself (a 405 from a resource, say) arrive without a body;
/// give them one from our table so that every error is problem+json (Vault's `{"errors": [...]}`
/// on the Vault routes).
fn problem_for_bare_errors(res: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/problem+json"));
    let is_vaults = crate::routes::vault::in_vault_shape(res.request().path())
        && res.headers().get(header::CONTENT_TYPE)
            == Some(&HeaderValue::from_static("application/json"));
    if is_problem || is_vaults {
        return res;
    }
    let code = ErrorCode::for_status(status);
    let detail = match code {
        ErrorCode::NotFound => format!(
            "no route for {} {}",
            res.request().method(),
            res.request().path()
        ),
        ErrorCode::MethodNotAllowed => format!(
            "{} is not allowed on {}",
            res.request().method(),
            res.request().path()
        ),
        _ => code.title().to_string(),
    };
    let (req, _) = res.into_parts();
    ServiceResponse::new(req, ApiError::new(code, detail).error_response())
}

/// The default service: every unknown route is a problem+json 404; under Vault's `kv` mount,
/// Vault's 404 (`{"errors": []}`, a missing path to a Vault client).
pub async fn not_found(req: actix_web::HttpRequest) -> actix_web::HttpResponse {
    let e = ApiError::new(
        ErrorCode::NotFound,
        format!("no route for {} {}", req.method(), req.path()),
    );
    if crate::routes::vault::in_vault_shape(req.path()) {
        crate::routes::vault::gate::VaultError(e).error_response()
    } else {
        e.error_response()
    }
}

impl actix_web::Responder for ApiError {
    type Body = BoxBody;
    fn respond_to(self, _req: &actix_web::HttpRequest) -> actix_web::HttpResponse {
        self.error_response()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use actix_web::middleware::from_fn;
    use actix_web::{test, web, App, HttpResponse};
    use serde_json::Value;

    use super::*;
    use crate::startup::{extractor_config, MAX_BODY};

    async fn echo(body: web::Json<Value>) -> HttpResponse {
        HttpResponse::Ok().json(body.into_inner())
    }

    async fn boom() -> HttpResponse {
        panic!("a handler bug")
    }

    macro_rules! app {
        () => {
            test::init_service(
                App::new()
                    .configure(extractor_config)
                    .route("/echo", web::post().to(echo))
                    .route("/boom", web::get().to(boom))
                    .default_service(web::to(not_found))
                    .wrap(from_fn(request_context)),
            )
            .await
        };
    }

    async fn problem(res: ServiceResponse) -> (u16, Value, String) {
        let status = res.status().as_u16();
        let ct = res
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        let rid = res
            .headers()
            .get(&REQUEST_ID)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        assert_eq!(ct, "application/problem+json");
        let body: Value = serde_json::from_slice(&test::read_body(res).await).unwrap();
        assert_eq!(
            body["request_id"],
            Value::String(rid.clone()),
            "body and header carry the same request id"
        );
        (status, body, rid)
    }

    #[actix_web::test]
    async fn a_panicking_handler_answers_an_opaque_500() {
        let app = app!();
        // The server renders an error without a response through ResponseError, as here.
        let err = test::try_call_service(&app, test::TestRequest::get().uri("/boom").to_request())
            .await
            .expect_err("a panic becomes an error");
        let res = err.error_response();
        assert_eq!(res.status().as_u16(), 500);
        let rid = res
            .headers()
            .get(&REQUEST_ID)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap();
        let body: Value =
            serde_json::from_slice(&actix_web::body::to_bytes(res.into_body()).await.unwrap())
                .unwrap();
        assert_eq!(body["code"], "internal_error");
        assert_eq!(body["request_id"], Value::String(rid));
        assert!(!body.to_string().contains("handler bug"));
    }

    #[actix_web::test]
    async fn malformed_json_is_a_400_without_echoing_the_input() {
        let app = app!();
        let req = test::TestRequest::post()
            .uri("/echo")
            .insert_header((header::CONTENT_TYPE, "application/json"))
            .set_payload(r#"{"key": "s3cr3t-value"#)
            .to_request();
        let (status, body, _) = problem(test::call_service(&app, req).await).await;
        assert_eq!(status, 400);
        assert_eq!(body["code"], "invalid_request");
        assert!(!body.to_string().contains("s3cr3t"));
    }

    #[actix_web::test]
    async fn a_body_without_json_content_type_is_a_415() {
        let app = app!();
        let req = test::TestRequest::post()
            .uri("/echo")
            .insert_header((header::CONTENT_TYPE, "text/plain"))
            .set_payload("{}")
            .to_request();
        let (status, body, _) = problem(test::call_service(&app, req).await).await;
        assert_eq!(status, 415);
        assert_eq!(body["code"], "unsupported_media_type");
    }

    #[actix_web::test]
    async fn a_body_over_one_mib_is_a_413() {
        let app = app!();
        let big = format!("{{\"a\": \"{}\"}}", "x".repeat(2 * MAX_BODY));
        let req = test::TestRequest::post()
            .uri("/echo")
            .insert_header((header::CONTENT_TYPE, "application/json"))
            .set_payload(big)
            .to_request();
        let (status, body, _) = problem(test::call_service(&app, req).await).await;
        assert_eq!(status, 413);
        assert_eq!(body["code"], "payload_too_large");
    }

    #[actix_web::test]
    async fn a_client_request_id_is_echoed_and_a_bad_one_replaced() {
        let app = app!();
        let req = test::TestRequest::get()
            .uri("/nowhere")
            .insert_header((REQUEST_ID, "ci-run-42"))
            .to_request();
        let (status, body, rid) = problem(test::call_service(&app, req).await).await;
        assert_eq!((status, rid.as_str()), (404, "ci-run-42"));
        assert_eq!(body["code"], "not_found");
        let req = test::TestRequest::get()
            .uri("/nowhere")
            .insert_header((REQUEST_ID, "bad id with spaces"))
            .to_request();
        let (_, _, rid) = problem(test::call_service(&app, req).await).await;
        assert!(uuid::Uuid::parse_str(&rid).is_ok());
    }
}
