//! The OpenAPI document: generated from the routes (see `routes::configure`), completed here with
//! what every operation shares — the bearer scheme and the problem+json error responses.

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, OpenApi as Spec, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

use crate::error::{FieldError, Problem};

pub mod credential_data;
pub mod enums;
pub mod examples;
pub mod headers;
pub mod rights;
pub mod webhooks;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "credvault",
        description = "Credential management for workflow automation: store, share, rotate and resolve the credentials workflows use, with envelope encryption and a tamper-evident audit log.",
        license(name = "Apache-2.0", url = "https://www.apache.org/licenses/LICENSE-2.0"),
    ),
    servers((url = "http://127.0.0.1:8080", description = "Local development server (make run)")),
    tags(
        (name = "auth", description = "Sign-up, sign-in, sessions and passwords"),
        (name = "me", description = "The signed-in user"),
        (name = "sso", description = "Single sign-on with an OpenID provider, per workspace"),
        (name = "users", description = "People of the workspace (owners and admins write)"),
        (name = "teams", description = "Teams and their members"),
        (name = "tokens", description = "API tokens for CI scripts and workflow engines"),
        (name = "credentials", description = "Credentials: create, list, read (secrets masked), update, rotate, delete, restore"),
        (name = "sharing", description = "Sharing credentials with users, teams or the whole workspace"),
        (name = "workflows", description = "Workflows and the runtime path (resolve)"),
        (name = "audit", description = "The tamper-evident audit log"),
        (name = "reports", description = "Reviews for security leads and auditors"),
        (name = "webhooks", description = "Signed event deliveries to your endpoints (Standard Webhooks); the payloads are in the document's `webhooks` section"),
        (name = "operations", description = "Health, readiness and metrics"),
        (name = "vault", description = "HashiCorp Vault's KV version 2 read path, mounted at `kv`, for the clients and integrations that already speak it (hvac, node-vault, vault-action, External Secrets Operator): a read is a resolve. The token goes in `X-Vault-Token` (or `Authorization: Bearer`); answers and errors are in Vault's shapes (`{\"errors\": [...]}`), a missing or unknown token is 403 `permission denied`."),
        (name = "browser", description = "Reached by a person's browser, not by API clients (the OAuth callback, the single sign-on start and callback). Its operations carry `x-sdk-exclude: true`: SDK generators leave them out."),
    ),
    // Schemas the operations do not reach on their own (query parameters name them).
    components(schemas(Problem, FieldError, crate::routes::credentials::SortSchema, enums::edge::AuditOutcome, crate::routes::webhook_dto::CredentialEvent, crate::routes::webhook_dto::TokenEvent, crate::routes::webhook_dto::UserEvent)),
    modifiers(&Security),
    security(("bearer" = [])),
)]
struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut Spec) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A session access token from /v1/auth/login, or an API token (cvt_…)",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "vault_token",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-Vault-Token",
                "An API token (cvt_…) where Vault clients send theirs: accepted by the `vault` operations only",
            ))),
        );
    }
}

/// The shared error responses, by component name: (name, status, description).
const ERROR_RESPONSES: &[(&str, &str, &str)] = &[
    (
        "InvalidRequest",
        "400",
        "Malformed JSON, wrong types or bad query parameters (`invalid_request`)",
    ),
    (
        "Unauthenticated",
        "401",
        "Missing, invalid, expired or revoked token (`unauthenticated`)",
    ),
    (
        "Forbidden",
        "403",
        "Authenticated but not allowed (`forbidden`)",
    ),
    (
        "NotFound",
        "404",
        "No such resource in your workspace (`not_found`)",
    ),
    (
        "PayloadTooLarge",
        "413",
        "Body over 1 MiB (`payload_too_large`)",
    ),
    (
        "UnsupportedMediaType",
        "415",
        "Body is not application/json (`unsupported_media_type`)",
    ),
    (
        "ValidationFailed",
        "422",
        "Missing fields or rule violations, one entry per field (`validation_failed`)",
    ),
    (
        "Unavailable",
        "503",
        "The database or the audit log cannot be written (`unavailable`)",
    ),
];

/// The generated specification of every route, with the shared parts filled in.
pub fn spec() -> Spec {
    let (_, mut spec) = actix_web::App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::routes::configure)
        .split_for_parts();
    spec.info.version = env!("CARGO_PKG_VERSION").to_string();
    let components = spec.components.get_or_insert_with(Default::default);
    for (name, status, description) in ERROR_RESPONSES {
        let mut problem = Content::new(Some(Ref::from_schema_name("Problem")));
        problem.example = examples::problem_example(status, description);
        let mut response = ResponseBuilder::new()
            .description(*description)
            .content("application/problem+json", problem)
            .build();
        headers::add(status, &mut response, false);
        components
            .responses
            .insert(name.to_string(), RefOr::T(response));
    }
    for op in operations_mut(&mut spec) {
        add_error_responses(op);
    }
    headers::ResponseHeaders.modify(&mut spec);
    examples::Examples.modify(&mut spec);
    webhooks::add(&mut spec);
    spec
}

/// Every operation of the document.
pub fn operations_mut(spec: &mut Spec) -> impl Iterator<Item = &mut Operation> {
    spec.paths.paths.values_mut().flat_map(|item| {
        [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
    })
}

/// Which shared errors an operation can answer follows from its shape: a body can be malformed,
/// too large or invalid; a path id can be unknown; a secured operation needs a token.
fn add_error_responses(op: &mut Operation) -> Vec<&'static str> {
    // The Vault operations answer Vault's errors, each declared with the operation.
    if op.tags.iter().flatten().any(|t| t == "vault") {
        return Vec::new();
    }
    let secured = op.security.as_ref().is_none_or(|reqs| {
        reqs.iter()
            .any(|r| serde_json::to_value(r).is_ok_and(|v| v != serde_json::json!({})))
    });
    let params = op.parameters.as_deref().unwrap_or_default();
    let has_path = params
        .iter()
        .any(|p| matches!(p.parameter_in, ParameterIn::Path));
    let has_query = params
        .iter()
        .any(|p| matches!(p.parameter_in, ParameterIn::Query));
    let has_body = op.request_body.is_some();
    let mut wanted = Vec::new();
    if has_body || has_query {
        wanted.push("InvalidRequest");
    }
    if secured {
        wanted.extend(["Unauthenticated", "Forbidden"]);
    }
    if has_path {
        wanted.push("NotFound");
    }
    if has_body {
        wanted.extend([
            "PayloadTooLarge",
            "UnsupportedMediaType",
            "ValidationFailed",
        ]);
    }
    if secured {
        wanted.push("Unavailable");
    }
    let mut used = Vec::new();
    for name in wanted {
        if let Some((_, status, _)) = ERROR_RESPONSES.iter().find(|(n, _, _)| *n == name) {
            if let std::collections::btree_map::Entry::Vacant(e) =
                op.responses.responses.entry(status.to_string())
            {
                e.insert(RefOr::Ref(Ref::from_response_name(name)));
                used.push(name);
            }
        }
    }
    used
}

/// The specification as the committed `openapi/openapi.json` holds it.
pub fn spec_json() -> String {
    let mut s = spec().to_pretty_json().unwrap_or_default();
    s.push('\n');
    s
}
