//! Problem responses that many operations declare the same way, written once for the OpenAPI
//! document: `responses(..., Gone, PreconditionFailed)` in a `utoipa::path`.

use std::collections::BTreeMap;

use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::IntoResponses;

/// A problem+json response with `description`.
fn problem(description: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
        .into()
}

/// 410: the credential is soft-deleted.
pub struct Gone;

impl IntoResponses for Gone {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let d = "The credential is deleted (`credential_deleted`)";
        BTreeMap::from([("410".to_string(), problem(d))])
    }
}

/// 412: `If-Match` named another version.
pub struct PreconditionFailed;

impl IntoResponses for PreconditionFailed {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let d = "The ETag does not match (`precondition_failed`)";
        BTreeMap::from([("412".to_string(), problem(d))])
    }
}
