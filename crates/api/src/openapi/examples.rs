//! Examples, written once and placed by the schema they show: every request body, and the main
//! answers (a credential, a page of credentials, a problem of each code). One workspace's story
//! runs through them, so the ids in one example are the ids of another.

use serde_json::{json, Value};
use utoipa::openapi::example::ExampleBuilder;
use utoipa::openapi::{Content, OpenApi as Spec, RefOr};
use utoipa::Modify;

use crate::error::ErrorCode;

const OWNER: &str = "0193a1c2-5e20-7c4b-9d5e-3a7f9b0c1d2e";
const MEMBER: &str = "0193a1c2-7a31-7d5c-8e6f-4b8a0c1d2e3f";
const TEAM: &str = "0193a1c3-1d2e-7f3a-b4c5-d6e7f8a9b0c1";
const CREDENTIAL: &str = "0193a1c4-0b7e-7d8f-a1b2-c3d4e5f6a7b8";
const SHARE: &str = "0193a1c4-3c4d-7e5f-8a9b-0c1d2e3f4a5b";
const REQUEST: &str = "0193a1c5-2f3a-7b4c-8d9e-0f1a2b3c4d5e";
const PASSWORD: &str = "correct horse battery staple";

/// A credential as its owner reads it: every secret masked.
pub fn credential() -> Value {
    let mut c = summary();
    let details = json!({
        "description": "Charges and refunds for the shop",
        "status_detail": null,
        "expires_at": null,
        "rotation_period_days": 90,
        "rotated_at": "2026-11-02T08:30:00Z",
        "rotation_due_at": "2027-01-31T08:30:00Z",
        "test": {"url": "https://api.stripe.com/v1/balance", "method": "GET", "expected_status": [200]},
        "secret_fields": null,
        "data": {"key": "••••9f3a", "placement": "header", "name": "Authorization", "prefix": "Bearer "},
        "usage": {"total": 1532, "last_24h": 41, "last_7d": 280, "last_30d": 1190, "last_used_at": "2026-11-30T09:12:44Z"},
        "connected_workflows": [{"id": "billing-sync", "name": "Billing sync", "last_used_at": "2026-11-30T09:12:44Z"}],
        "shares": [{
            "id": SHARE,
            "principal": {"type": "team", "id": TEAM, "name": "Payments"},
            "access": "use",
            "created_at": "2026-09-01T10:05:00Z",
            "created_by": OWNER,
        }],
    });
    if let (Value::Object(c), Value::Object(d)) = (&mut c, details) {
        c.extend(d);
    }
    c
}

/// What a list shows of the same credential.
fn summary() -> Value {
    json!({
        "id": CREDENTIAL,
        "name": "Stripe live key",
        "service": "Stripe",
        "type": "api_key",
        "status": "active",
        "last_used_at": "2026-11-30T09:12:44Z",
        "shared": true,
        "owner": {"id": OWNER, "display_name": "Ada Lovelace"},
        "access": "owner",
        "environment": "production",
        "tags": ["payments"],
        "version": 3,
        "created_at": "2026-09-01T10:00:00Z",
        "updated_at": "2026-11-02T08:30:00Z",
    })
}

/// A page of credentials with more to come.
pub fn credential_list() -> Value {
    json!({"items": [summary()], "next_cursor": "eyJzIjoibmFtZSIsImsiOiJzdHJpcGUgbGl2ZSBrZXkifQ"})
}

/// A problem with `code`, as the server renders it.
pub fn problem(code: ErrorCode) -> Value {
    let mut p = json!({
        "type": format!("https://credvault.dev/problems/{}", code.as_str()),
        "title": code.title(),
        "status": code.status().as_u16(),
        "detail": code.title(),
        "code": code.as_str(),
        "request_id": REQUEST,
    });
    if code == ErrorCode::ValidationFailed {
        p["detail"] = json!("data.key: is required");
        p["errors"] = json!([{"field": "data.key", "message": "is required"}]);
    }
    p
}

/// A new credential of each type.
fn new_credentials() -> Vec<(&'static str, &'static str, Value)> {
    vec![
        (
            "api_key",
            "An API key sent in a header",
            json!({
                "name": "Stripe live key", "service": "Stripe", "type": "api_key",
                "data": {"key": "example-api-key-000000009f3a", "prefix": "Bearer "},
                "environment": "production", "tags": ["payments"], "rotation_period_days": 90,
                "test": {"url": "https://api.stripe.com/v1/balance"},
            }),
        ),
        (
            "basic_auth",
            "A user name and password",
            json!({
                "name": "Jira bot", "service": "Jira", "type": "basic_auth",
                "data": {"username": "bot@example.com", "password": "example-password-0001"},
            }),
        ),
        (
            "oauth2",
            "OAuth2 with a person's authorization",
            json!({
                "name": "Google Drive", "service": "Google", "type": "oauth2",
                "data": {
                    "grant_type": "authorization_code",
                    "client_id": "1234567890.apps.googleusercontent.com",
                    "client_secret": "example-client-secret-0001",
                    "authorization_url": "https://accounts.google.com/o/oauth2/v2/auth",
                    "token_url": "https://oauth2.googleapis.com/token",
                    "scopes": ["https://www.googleapis.com/auth/drive.readonly"],
                },
            }),
        ),
        (
            "custom",
            "Fields of your own, some secret",
            json!({
                "name": "Legacy ERP", "service": "ERP", "type": "custom",
                "data": {"host": "erp.example.com", "api_secret": "example-secret-0001"},
                "secret_fields": ["api_secret"],
            }),
        ),
    ]
}

/// The example of each schema, by the schema's name: request bodies and main answers.
fn example_of(schema: &str) -> Option<Value> {
    Some(match schema {
        "Credential" => credential(),
        "CredentialList" => credential_list(),
        "SignupRequest" => {
            json!({"workspace_name": "Acme", "email": "ada@example.com", "password": PASSWORD, "display_name": "Ada Lovelace"})
        }
        "LoginRequest" => json!({"email": "ada@example.com", "password": PASSWORD}),
        "RefreshRequest" => json!({"refresh_token": "cvr_3q2-example-refresh-token"}),
        "PasswordChange" => {
            json!({"current_password": PASSWORD, "new_password": "a longer passphrase of mine"})
        }
        "CreateUser" => {
            json!({"email": "grace@example.com", "display_name": "Grace Hopper", "role": "member", "password": "a first password for grace"})
        }
        "UpdateUser" => json!({"role": "admin"}),
        "TeamBody" => json!({"name": "Payments"}),
        "CreateToken" => {
            json!({"name": "CI deploys", "kind": "personal", "scopes": ["credentials:read"], "expires_at": "2027-06-30T00:00:00Z"})
        }
        "UpdateCredential" => {
            json!({"description": "Charges and refunds", "tags": ["payments", "billing"], "data": {"key": "example-api-key-00000000a1b2"}})
        }
        "RotateCredential" => json!({"data": {"key": "example-api-key-00000000c3d4"}}),
        "TransferCredential" => json!({"owner_id": MEMBER}),
        "PutSso" => json!({
            "issuer": "https://login.example.com/oauth2/default",
            "client_id": "0oa1b2c3d4credvault",
            "client_secret": "example-client-secret-00000000a1b2",
            "allowed_email_domains": ["example.com"],
            "default_role": "member",
            "role_claim": "groups",
            "role_map": {"vault-admins": "admin", "auditors": "auditor"},
            "enforce": true
        }),
        "SsoStart" => {
            json!({"authorization_url": "https://login.example.com/oauth2/default/v1/authorize?response_type=code&client_id=0oa1b2c3d4credvault&redirect_uri=https%3A%2F%2Fvault.example.com%2Fv1%2Fauth%2Fsso%2Fcallback&scope=openid+email+profile&state=mZ2x-example-state&nonce=Qa9v-example-nonce&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"})
        }
        "LoginCode" => json!({"login_code": "Yk3x-example-login-code-9QeLw2sV0aR"}),
        "SsoConfig" => json!({
            "issuer": "https://login.example.com/oauth2/default",
            "client_id": "0oa1b2c3d4credvault",
            "allowed_email_domains": ["example.com"],
            "default_role": "member",
            "role_claim": "groups",
            "role_map": {"vault-admins": "admin", "auditors": "auditor"},
            "enforce": true,
            "redirect_uri": "https://vault.example.com/v1/auth/sso/callback",
            "updated_at": "2026-12-01T09:00:00Z"
        }),
        "AuthorizeRequest" => json!({"return_to": "https://app.example.com/credentials"}),
        "ReplaceShares" => json!({"shares": [
            {"principal_type": "team", "principal_id": TEAM, "access": "use"},
            {"principal_type": "user", "principal_id": MEMBER, "access": "manage"},
            {"principal_type": "workspace", "access": "view"},
        ]}),
        "PutWorkflow" => {
            json!({"name": "Billing sync", "owner_id": OWNER, "credential_ids": [CREDENTIAL]})
        }
        "CreateWebhook" => {
            json!({"url": "https://hooks.example.com/credvault", "events": ["credential.rotated", "credential.expiring"], "description": "Platform on-call"})
        }
        "UpdateWebhook" => json!({"events": ["*"], "disabled": false}),
        "ResolveRequest" => {
            json!({"workflow_id": "billing-sync", "execution_id": "run-2026-12-01-0001"})
        }
        _ => return None,
    })
}

/// The schema name a JSON content refers to.
fn schema_name(c: &Content) -> Option<&str> {
    match &c.schema {
        Some(RefOr::Ref(r)) => r.ref_location.rsplit('/').next(),
        _ => None,
    }
}

/// Gives `c` the example of its schema, unless it has one; a create body gets one per type.
fn place(c: &mut Content) {
    if c.example.is_some() || !c.examples.is_empty() {
        return;
    }
    match schema_name(c) {
        Some("CreateCredential") => {
            for (name, summary, value) in new_credentials() {
                let example = ExampleBuilder::new().summary(summary).value(Some(value));
                c.examples
                    .insert(name.to_owned(), RefOr::T(example.build()));
            }
        }
        Some(name) => c.example = example_of(name),
        None => {}
    }
}

/// A problem's example, from the first code its description names with the response's status.
pub fn problem_example(status: &str, description: &str) -> Option<Value> {
    description
        .split('`')
        .skip(1)
        .step_by(2)
        .filter_map(|word| ErrorCode::ALL.iter().find(|c| c.as_str() == word))
        .find(|c| c.status().as_str() == status)
        .map(|c| problem(*c))
}

/// Places the examples on every request body and answer of the operations.
pub struct Examples;

impl Modify for Examples {
    fn modify(&self, spec: &mut Spec) {
        for op in super::operations_mut(spec) {
            if let Some(body) = &mut op.request_body {
                body.content.values_mut().for_each(place);
            }
            for (status, response) in op.responses.responses.iter_mut() {
                let RefOr::T(r) = response else { continue };
                if let Some(c) = r.content.get_mut("application/json") {
                    place(c);
                }
                if let Some(c) = r.content.get_mut("application/problem+json") {
                    let named = || problem_example(status, &r.description);
                    c.example = c.example.take().or_else(named);
                }
            }
        }
    }
}
