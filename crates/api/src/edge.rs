//! What every answer carries and what every request is held to before a handler sees it: the
//! security headers (HSTS over HTTPS, a Content-Security-Policy, no sniffing, no caching of the
//! API) and the header-size limit. The request timeout is applied by the request context.

use std::fmt;

use actix_web::body::BoxBody;
use actix_web::dev::ServiceRequest;
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

use crate::error::{ApiError, ErrorCode};

/// Request headers (names and values) larger than this in total are refused with a 431 problem.
/// Beyond 96 headers or 128 KiB of request head, actix-web answers a bare 431 by itself.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// Swagger UI at `/docs`: its own scripts and styles only (it sets inline styles), images from
/// itself or data: URIs, calls to this origin only (the spec), and no framing, base or forms.
pub const DOCS_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// Everything else is JSON or text that a browser must never run or frame.
pub const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

pub const HSTS: &str = "max-age=31536000";

/// The headers an answer to this request gets, decided before the request is handed on (the
/// request is gone once a handler has run, or been cut off).
#[derive(Debug, Clone)]
pub struct EdgeHeaders {
    api: bool,
    docs: bool,
    https: bool,
    cors_origin: Option<HeaderValue>,
}

impl EdgeHeaders {
    pub fn for_request(req: &ServiceRequest, cors_origin: Option<HeaderValue>) -> Self {
        let path = req.path();
        EdgeHeaders {
            api: path.starts_with("/v1"),
            docs: path == "/docs" || path.starts_with("/docs/"),
            // The listener's scheme, not a client-supplied X-Forwarded-Proto.
            https: req.app_config().secure(),
            cors_origin,
        }
    }

    pub fn apply(&self, headers: &mut HeaderMap) {
        headers.insert(
            HeaderName::from_static("x-content-type-options"),
            HeaderValue::from_static("nosniff"),
        );
        let csp = if self.docs { DOCS_CSP } else { API_CSP };
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(csp),
        );
        if self.https {
            headers.insert(
                header::STRICT_TRANSPORT_SECURITY,
                HeaderValue::from_static(HSTS),
            );
        }
        // Credentials, tokens and personal data are never kept by a browser or proxy cache.
        if self.api && !headers.contains_key(header::CACHE_CONTROL) {
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
        if let Some(origin) = &self.cors_origin {
            crate::cors::decorate(headers, origin.clone());
        }
    }

    /// An error that renders itself (a panic, a timeout) with these headers added.
    pub fn on_error(&self, inner: actix_web::Error) -> actix_web::Error {
        WithHeaders {
            inner,
            edge: self.clone(),
        }
        .into()
    }
}

/// The 431 problem when the request's headers are over [`MAX_HEADER_BYTES`].
pub fn check_header_size(req: &ServiceRequest) -> Result<(), ApiError> {
    let total: usize = req
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if total > MAX_HEADER_BYTES {
        return Err(ApiError::new(
            ErrorCode::RequestHeaderFieldsTooLarge,
            format!(
                "the request headers total {total} bytes; at most {MAX_HEADER_BYTES} are accepted"
            ),
        ));
    }
    Ok(())
}

struct WithHeaders {
    inner: actix_web::Error,
    edge: EdgeHeaders,
}

impl fmt::Debug for WithHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.inner, f)
    }
}

impl fmt::Display for WithHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.inner, f)
    }
}

impl ResponseError for WithHeaders {
    fn status_code(&self) -> StatusCode {
        self.inner.as_response_error().status_code()
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        let mut res = self.inner.error_response();
        self.edge.apply(res.headers_mut());
        res
    }
}
