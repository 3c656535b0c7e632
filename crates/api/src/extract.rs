//! Request headers the services need, as extractors: `If-Match` and `Idempotency-Key`, each
//! checked for form here (a bad one is a 400 before any handler runs), and the stored answer an
//! idempotent replay sends again.

use std::future::{ready, Ready};

use actix_web::http::{header, StatusCode};
use actix_web::{dev::Payload, FromRequest, HttpRequest, HttpResponse};
use credvault_service::idempotency::StoredResponse;

use crate::error::ApiError;

/// `If-Match`, when sent: the ETag the client read.
pub struct IfMatch(pub Option<String>);

impl IfMatch {
    pub fn as_deref(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(match req.headers().get(header::IF_MATCH) {
            None => Ok(IfMatch(None)),
            Some(v) => v
                .to_str()
                .map(|v| IfMatch(Some(v.to_owned())))
                .map_err(|_| ApiError::invalid("If-Match is not a valid header value")),
        })
    }
}

/// `Idempotency-Key`, when sent: 1..255 visible characters.
pub struct IdempotencyKey(pub Option<String>);

impl FromRequest for IdempotencyKey {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(match req.headers().get("idempotency-key") {
            None => Ok(IdempotencyKey(None)),
            Some(v) => match v.to_str() {
                Err(_) => Err(ApiError::invalid("Idempotency-Key must be visible ASCII")),
                Ok(v) if v.is_empty() || v.len() > 255 => Err(ApiError::invalid(
                    "Idempotency-Key must be 1 to 255 characters",
                )),
                Ok(v) => Ok(IdempotencyKey(Some(v.to_owned()))),
            },
        })
    }
}

/// A stored first answer, sent again and marked as a replay.
pub fn replay(stored: StoredResponse) -> Result<HttpResponse, ApiError> {
    let status = StatusCode::from_u16(stored.status).map_err(ApiError::internal)?;
    let mut res = HttpResponse::build(status);
    for (k, v) in &stored.headers {
        res.insert_header((k.as_str(), v.as_str()));
    }
    res.insert_header(("Idempotent-Replayed", "true"));
    Ok(res.json(stored.body))
}
