//! CORS for the browser origins in `CREDVAULT_CORS_ORIGINS`: exact matches only, no wildcard.
//! Authentication is a bearer token, never a cookie, so credentials are not allowed.

use actix_web::dev::ServiceRequest;
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::http::Method;
use actix_web::HttpResponse;

const ALLOW_METHODS: &str = "GET, POST, PUT, PATCH, DELETE";
const ALLOW_HEADERS: &str = "Authorization, Content-Type, If-Match, Idempotency-Key, X-Request-Id";
const EXPOSE_HEADERS: &str = "X-Request-Id, ETag, Location, Retry-After";

/// The request's `Origin` when it is one of `allowed`.
pub fn allowed_origin(req: &ServiceRequest, allowed: &[String]) -> Option<HeaderValue> {
    let origin = req.headers().get(header::ORIGIN)?;
    let o = origin.to_str().ok()?;
    allowed.iter().any(|a| a == o).then(|| origin.clone())
}

/// A preflight (`OPTIONS` with `Access-Control-Request-Method`) from an allowed origin.
pub fn is_preflight(req: &ServiceRequest) -> bool {
    req.method() == Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
}

/// The answer to an allowed preflight.
pub fn preflight(origin: HeaderValue) -> HttpResponse {
    HttpResponse::NoContent()
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, origin))
        .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, ALLOW_METHODS))
        .insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, ALLOW_HEADERS))
        .insert_header((header::ACCESS_CONTROL_MAX_AGE, "600"))
        .insert_header((header::VARY, "Origin"))
        .finish()
}

/// Headers on an actual response to an allowed origin.
pub fn decorate(headers: &mut HeaderMap, origin: HeaderValue) {
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(EXPOSE_HEADERS),
    );
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
}
