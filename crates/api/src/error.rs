//! One table of error codes, rendered as RFC 9457 `application/problem+json` by one
//! `ResponseError` impl. 5xx bodies say nothing internal: the cause goes to the log with the
//! request id.

use std::borrow::Cow;

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::request_id::current_request_id;

macro_rules! error_codes {
    ($($variant:ident => ($status:literal, $code:literal, $title:literal)),* $(,)?) => {
        /// Every error credvault answers with: its HTTP status, stable `code` and title.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum ErrorCode { $($variant),* }

        impl ErrorCode {
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),*];

            pub fn status(self) -> StatusCode {
                match self { $(ErrorCode::$variant => match StatusCode::from_u16($status) {
                    Ok(s) => s,
                    Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
                }),* }
            }
            pub fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $code),* }
            }
            pub fn title(self) -> &'static str {
                match self { $(ErrorCode::$variant => $title),* }
            }
        }
    };
}

error_codes! {
    InvalidRequest => (400, "invalid_request", "The request is malformed"),
    InvalidState => (400, "invalid_state", "The state or code is unknown, used or expired"),
    Unauthenticated => (401, "unauthenticated", "Authentication is required"),
    InvalidCredentials => (401, "invalid_credentials", "The email or password is wrong"),
    Forbidden => (403, "forbidden", "You are not allowed to do this"),
    AccountDisabled => (403, "account_disabled", "This account is disabled"),
    SsoRefused => (403, "sso_refused", "Single sign-on was refused"),
    SsoRequired => (403, "sso_required", "This workspace requires single sign-on"),
    NotFound => (404, "not_found", "Not found"),
    MethodNotAllowed => (405, "method_not_allowed", "Method not allowed"),
    NotAcceptable => (406, "not_acceptable", "Not acceptable"),
    Conflict => (409, "conflict", "The request conflicts with the current state"),
    CredentialExpired => (409, "credential_expired", "The credential has expired"),
    ReauthorizationRequired => (409, "reauthorization_required", "The credential must be authorized again"),
    CredentialDeleted => (410, "credential_deleted", "The credential is deleted"),
    PreconditionFailed => (412, "precondition_failed", "The resource has changed (If-Match did not match)"),
    PayloadTooLarge => (413, "payload_too_large", "The request body is too large"),
    UnsupportedMediaType => (415, "unsupported_media_type", "The request body must be application/json"),
    ValidationFailed => (422, "validation_failed", "The request is not valid"),
    IdempotencyKeyReused => (422, "idempotency_key_reused", "The Idempotency-Key was used with another request"),
    RateLimited => (429, "rate_limited", "Too many requests"),
    RequestHeaderFieldsTooLarge => (431, "request_header_fields_too_large", "Request headers are too large"),
    Internal => (500, "internal_error", "Internal server error"),
    UpstreamUnavailable => (503, "upstream_unavailable", "The external service cannot be reached"),
    Unavailable => (503, "unavailable", "The service is unavailable"),
    Timeout => (503, "timeout", "The request took too long"),
}

crate::wire_enum!(
    /// The stable code of a problem: one per row of the server's error table.
    ErrorCodeSchema = "ErrorCode",
    ErrorCode::ALL.iter().map(|c| c.as_str())
);

impl ErrorCode {
    /// The code for an HTTP error status that did not come from our own table (an error of the
    /// framework); unknown ones map to the nearest class.
    pub fn for_status(status: StatusCode) -> ErrorCode {
        ErrorCode::ALL
            .iter()
            .copied()
            .find(|c| c.status() == status)
            .unwrap_or(if status.is_server_error() {
                ErrorCode::Internal
            } else {
                ErrorCode::InvalidRequest
            })
    }
}

/// One field's problem in a 422.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldError {
    /// The field, as a JSON path into the request (`data.key`), or the query parameter name.
    pub field: String,
    pub message: String,
}

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// `https://credvault.dev/problems/<code>`
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// A stable snake_case error code.
    #[schema(value_type = ErrorCodeSchema)]
    pub code: String,
    pub request_id: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// With `reauthorization_required`: a ready URL that starts a new authorization.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorization_url: Option<String>,
}

/// The error every handler returns.
#[derive(Debug)]
pub struct ApiError {
    pub code: ErrorCode,
    pub detail: Cow<'static, str>,
    pub errors: Vec<FieldError>,
    pub retry_after: Option<u64>,
    pub authorization_url: Option<String>,
    /// The internal cause: logged, never sent.
    pub source: Option<anyhow::Error>,
    /// The request this error answers (taken when the error is made, inside the request).
    pub request_id: Option<String>,
}

impl ApiError {
    pub fn new(code: ErrorCode, detail: impl Into<Cow<'static, str>>) -> Self {
        ApiError {
            code,
            detail: detail.into(),
            errors: Vec::new(),
            retry_after: None,
            authorization_url: None,
            source: None,
            request_id: current_request_id(),
        }
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(ErrorCode::NotFound, format!("{what} not found"))
    }

    pub fn invalid(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidRequest, detail)
    }

    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [one] => format!("{}: {}", one.field, one.message),
            _ => format!("{} fields are not valid", errors.len()),
        };
        ApiError {
            errors,
            ..Self::new(ErrorCode::ValidationFailed, detail)
        }
    }

    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError {
            field: field.to_string(),
            message: message.into(),
        }])
    }

    /// A 500 whose cause is logged but not shown.
    pub fn internal(source: impl Into<anyhow::Error>) -> Self {
        ApiError {
            source: Some(source.into()),
            ..Self::new(
                ErrorCode::Internal,
                "an internal error occurred; quote the request id when reporting it",
            )
        }
    }

    /// A 503: the database (or the audit log) cannot be written.
    pub fn unavailable(source: impl Into<anyhow::Error>) -> Self {
        ApiError {
            source: Some(source.into()),
            ..Self::new(
                ErrorCode::Unavailable,
                "the service cannot reach its database; retry shortly",
            )
        }
    }

    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    pub fn problem(&self) -> Problem {
        Problem {
            type_: format!("https://credvault.dev/problems/{}", self.code.as_str()),
            title: self.code.title().to_string(),
            status: self.code.status().as_u16(),
            detail: self.detail.to_string(),
            code: self.code.as_str().to_string(),
            request_id: self
                .request_id
                .clone()
                .or_else(current_request_id)
                .unwrap_or_default(),
            errors: self.errors.clone(),
            authorization_url: self.authorization_url.clone(),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.detail)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.code.status()
    }

    fn error_response(&self) -> HttpResponse {
        if let Some(source) = &self.source {
            if self.code.status().is_server_error() {
                tracing::error!(code = self.code.as_str(), error = ?source, "request failed");
            } else {
                tracing::info!(code = self.code.as_str(), error = %source, "request refused");
            }
        }
        let mut res = HttpResponse::build(self.code.status());
        res.content_type("application/problem+json");
        if let Some(id) = self.request_id.clone().or_else(current_request_id) {
            res.insert_header((crate::request_id::REQUEST_ID, id));
        }
        if let Some(s) = self.retry_after {
            res.insert_header((header::RETRY_AFTER, s.to_string()));
        }
        res.json(self.problem())
    }
}

/// Serde's messages quote the offending input, which may be a secret: keep the shape of the
/// message, drop the quoted values.
pub fn redact_serde_message(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len());
    let mut chars = msg.chars();
    while let Some(ch) = chars.next() {
        match ch {
            '"' | '`' => {
                // Skip to the matching close, honouring backslash escapes.
                out.push(ch);
                out.push('…');
                while let Some(c) = chars.next() {
                    if c == '\\' {
                        chars.next();
                    } else if c == ch {
                        break;
                    }
                }
                out.push(ch);
            }
            _ => out.push(ch),
        }
    }
    out
}

/// The JSON body extractor's errors, in our table.
pub fn json_error(
    err: actix_web::error::JsonPayloadError,
    _req: &actix_web::HttpRequest,
) -> actix_web::Error {
    use actix_web::error::JsonPayloadError as J;
    let e = match &err {
        J::OverflowKnownLength { limit, .. } | J::Overflow { limit } => ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("the body is larger than {limit} bytes"),
        ),
        J::ContentType => ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "send the body as JSON with Content-Type: application/json",
        ),
        J::Deserialize(e) => ApiError::invalid(format!(
            "the body is not valid JSON for this endpoint: {}",
            redact_serde_message(&e.to_string())
        )),
        J::Payload(p) => payload_error(p),
        _ => ApiError::invalid("the body could not be read"),
    };
    e.into()
}

fn payload_error(p: &actix_web::error::PayloadError) -> ApiError {
    use actix_web::error::PayloadError as P;
    match p {
        P::Overflow => ApiError::new(ErrorCode::PayloadTooLarge, "the body is too large"),
        _ => ApiError::invalid("the body could not be read"),
    }
}

pub fn query_error(
    err: actix_web::error::QueryPayloadError,
    _req: &actix_web::HttpRequest,
) -> actix_web::Error {
    ApiError::invalid(format!(
        "bad query parameters: {}",
        redact_serde_message(&err.to_string())
    ))
    .into()
}

pub fn path_error(
    _err: actix_web::error::PathError,
    _req: &actix_web::HttpRequest,
) -> actix_web::Error {
    ApiError::not_found("resource").into()
}

mod convert;
pub mod responses;

#[cfg(test)]
mod tests;
