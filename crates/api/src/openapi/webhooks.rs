//! The document's OpenAPI 3.1 `webhooks` section: one entry per event type, the request a
//! receiver gets (`POST` with the Standard Webhooks headers), its body the payload schema of the
//! event's subject. utoipa 5 has no `webhooks` field, so the section is built here with its
//! builders and the same Rust schemas, and added to the document as a top-level key.

use credvault_domain::events::EventType;
use serde_json::{json, Value};
use utoipa::openapi::path::{
    HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::{
    ContentBuilder, Object, OpenApi as Spec, Ref, Required, ResponseBuilder, Type,
};
use utoipa::ToSchema;

use crate::routes::webhook_dto::{CredentialEvent, TokenEvent, UserEvent};

/// (header, description) of every delivery.
const HEADERS: [(&str, &str); 3] = [
    ("webhook-id", "The delivery's id (`msg_…`), the same on every retry: deduplicate on it."),
    ("webhook-timestamp", "Unix seconds when this attempt was sent."),
    ("webhook-signature", "`v1,` + base64 of HMAC-SHA256, keyed with the base64-decoded part of the secret after `whsec_`, over `{webhook-id}.{webhook-timestamp}.{body}`."),
];

fn schema_of(t: EventType) -> String {
    match t.subject() {
        "token" => TokenEvent::name(),
        "user" => UserEvent::name(),
        _ => CredentialEvent::name(),
    }
    .into_owned()
}

fn describe(t: EventType) -> &'static str {
    use EventType::*;
    match t {
        CredentialStatusChanged => "A credential's status changed (a test or refresh failed or passed, or `expires_at` passed): `from`, `to`, `reason`.",
        CredentialExpiring => "A credential's `expires_at` is within 14 days; once per expiry date. Sent by the server (actor `system`).",
        CredentialRotationDue => "A credential's `rotation_due_at` has passed; once per due date. Sent by the server (actor `system`).",
        CredentialRefreshFailed => "An OAuth2 token refresh failed: `error`, and `terminal` when a person must authorize again.",
        UserDisabled => "A user was disabled.",
        TokenCreated | TokenRevoked => "An API token was created or revoked (never its value).",
        _ => "A credential changed as the type says; `data.credential` is its summary (no secret value).",
    }
}

fn entry(t: EventType) -> PathItem {
    let mut op = OperationBuilder::new()
        .operation_id(Some(format!("webhook_{}", t.as_str().replace('.', "_"))))
        .summary(Some(t.as_str()))
        .description(Some(describe(t)))
        .tag("webhooks")
        .request_body(Some(
            RequestBodyBuilder::new()
                .required(Some(Required::True))
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name(schema_of(t))))
                        .build(),
                )
                .build(),
        ))
        .response(
            "200",
            ResponseBuilder::new().description("Any 2xx answered within 10 s delivers it; anything else is retried after 5 s, 5 min, 30 min, 2 h, 5 h and 10 h."),
        );
    for (name, description) in HEADERS {
        op = op.parameter(
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Header)
                .required(Required::True)
                .description(Some(description))
                .schema(Some(Object::with_type(Type::String))),
        );
    }
    PathItem::new(HttpMethod::Post, op.build())
}

/// Adds the `webhooks` section (and the tag its entries use).
pub fn add(spec: &mut Spec) {
    let section: serde_json::Map<String, Value> = EventType::ALL
        .into_iter()
        .map(|t| {
            let item = serde_json::to_value(entry(t)).unwrap_or_else(|_| json!({}));
            (t.as_str().to_owned(), item)
        })
        .collect();
    spec.extensions
        .get_or_insert_with(Default::default)
        .insert("webhooks".into(), Value::Object(section));
}
