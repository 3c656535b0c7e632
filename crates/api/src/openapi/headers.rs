//! The response headers a client reads, declared where the server sends them: `X-Request-Id` on
//! every response (the middleware adds it), `Retry-After` on 429 and 503, `ETag` with every
//! credential (`presentation::respond` adds it), `Idempotent-Replayed` where `Idempotency-Key` is
//! accepted. `Location` is declared by the operations that send it.

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::{Header, OpenApi as Spec, Ref, RefOr, Response};
use utoipa::Modify;

pub const REQUEST_ID: &str = "X-Request-Id";
pub const RETRY_AFTER: &str = "Retry-After";
pub const ETAG: &str = "ETag";
pub const REPLAYED: &str = "Idempotent-Replayed";

/// Each header's value as a component schema (described once; responses refer to it):
/// (header, schema name, type, description).
const VALUES: [(&str, &str, Type, &str); 4] = [
    (REQUEST_ID, "RequestId", Type::String, "The request's id: the client's own `X-Request-Id` when it sent a short plain one (up to 128 of `A-Z a-z 0-9 - _ . :`), else a new one. Problems carry it as `request_id`; quote it when reporting one."),
    (RETRY_AFTER, "RetryAfter", Type::Integer, "Seconds to wait before trying again, when the server knows."),
    (ETAG, "ETag", Type::String, "The credential's version, opaque: it changes whenever anything about the credential does. Send it back in `If-Match` to change the credential only as you read it."),
    (REPLAYED, "IdempotentReplayed", Type::String, "`true` when this is the stored answer to an earlier request with the same `Idempotency-Key` and body: nothing was done again."),
];

fn header(name: &str) -> Header {
    let schema = VALUES
        .iter()
        .find(|(h, ..)| *h == name)
        .map_or("RequestId", |(_, schema, ..)| schema);
    Header::new(Ref::from_schema_name(schema))
}

/// The component schemas of the header values.
pub fn value_schemas() -> impl Iterator<Item = (String, RefOr<Schema>)> {
    VALUES.iter().map(|(_, name, kind, description)| {
        let schema = ObjectBuilder::new()
            .schema_type(kind.clone())
            .description(Some(*description));
        (name.to_string(), RefOr::T(schema.into()))
    })
}

/// Whether a response's JSON body is a credential.
fn is_credential(r: &Response) -> bool {
    r.content.get("application/json").is_some_and(|c| {
        matches!(&c.schema, Some(RefOr::Ref(r)) if r.ref_location == "#/components/schemas/Credential")
    })
}

fn takes_idempotency_key(op: &Operation) -> bool {
    op.parameters
        .iter()
        .flatten()
        .any(|p| matches!(p.parameter_in, ParameterIn::Header) && p.name == "Idempotency-Key")
}

/// Declares the headers of one response with `status` (of an operation that takes an
/// `Idempotency-Key` when `idempotent`).
pub fn add(status: &str, response: &mut Response, idempotent: bool) {
    let h = &mut response.headers;
    h.insert(REQUEST_ID.into(), header(REQUEST_ID));
    if status == "429" || status == "503" {
        h.insert(RETRY_AFTER.into(), header(RETRY_AFTER));
    }
    let success = status.starts_with('2');
    if success && is_credential(response) {
        response.headers.insert(ETAG.into(), header(ETAG));
    }
    if success && idempotent {
        response.headers.insert(REPLAYED.into(), header(REPLAYED));
    }
}

/// Declares the headers on every response of the operations.
pub struct ResponseHeaders;

impl Modify for ResponseHeaders {
    fn modify(&self, spec: &mut Spec) {
        let components = spec.components.get_or_insert_with(Default::default);
        components.schemas.extend(value_schemas());
        for op in super::operations_mut(spec) {
            let idempotent = takes_idempotency_key(op);
            for (status, response) in op.responses.responses.iter_mut() {
                if let RefOr::T(r) = response {
                    add(status, r, idempotent);
                }
            }
        }
    }
}
