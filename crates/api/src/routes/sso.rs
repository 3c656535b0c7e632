//! A workspace's single sign-on configuration (OIDC): owners write it, owners and admins read it
//! (the sign-in flow itself is in `sso_signin`).

use std::collections::BTreeMap;
use std::sync::Arc;

use actix_web::{delete, get, put, web, HttpResponse};
use chrono::{DateTime, Utc};
use credvault_domain::identity::Role;
use credvault_service::sso::{self, SsoInput, SsoView};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zeroize::Zeroizing;

use super::fields::Fields;
use crate::auth::{need, Authorized};
use crate::error::ApiError;
use crate::openapi::rights::Doc;
use crate::state::AppState;
use credvault_domain::policy::Action;

type State = web::Data<Arc<AppState>>;

crate::wire_enum!(
    /// A role single sign-on may give a new user: any but `owner`.
    SsoRoleSchema = "SsoRole",
    Role::ALL.into_iter().filter(|r| *r != Role::Owner).map(Role::as_str)
);

const MAX_DOMAINS: usize = 100;
const MAX_ROLE_MAP: usize = 100;

#[derive(Deserialize, ToSchema)]
pub struct PutSso {
    /// The provider's issuer URL, exactly as its discovery document names it (https; plain http
    /// only to a host listed in `CREDVAULT_OUTBOUND_ALLOW`).
    #[schema(value_type = String, max_length = 2048)]
    pub issuer: Option<String>,
    #[schema(value_type = String, min_length = 1, max_length = 512)]
    pub client_id: Option<String>,
    /// Stored encrypted; never shown again.
    #[schema(value_type = String, format = Password, min_length = 1, max_length = 4096)]
    pub client_secret: Option<String>,
    /// Domains whose people, unknown to the workspace, become users at their first sign-in.
    #[schema(value_type = Option<Vec<String>>, max_items = 100)]
    pub allowed_email_domains: Option<Vec<String>>,
    /// The role of such a new user (default `member`).
    #[schema(value_type = Option<SsoRoleSchema>)]
    pub default_role: Option<String>,
    /// An ID token claim (a string or a list of strings) whose value `role_map` maps to a role.
    #[schema(value_type = Option<String>, min_length = 1, max_length = 256)]
    pub role_claim: Option<String>,
    /// Claim value to role; the highest mapped role wins, else `default_role`.
    #[schema(value_type = Option<BTreeMap<String, SsoRoleSchema>>)]
    pub role_map: Option<BTreeMap<String, String>>,
    /// Refuse password sign-in to everyone but owners (default false).
    pub enforce: Option<bool>,
}

/// A workspace's single sign-on configuration (its client secret is never shown).
#[derive(Serialize, ToSchema)]
pub struct SsoConfig {
    pub issuer: String,
    pub client_id: String,
    pub allowed_email_domains: Vec<String>,
    #[schema(value_type = SsoRoleSchema)]
    pub default_role: String,
    pub role_claim: Option<String>,
    #[schema(value_type = BTreeMap<String, SsoRoleSchema>)]
    pub role_map: serde_json::Value,
    pub enforce: bool,
    /// Register this redirect URI with the provider: `CREDVAULT_PUBLIC_URL` +
    /// `/v1/auth/sso/callback`.
    pub redirect_uri: String,
    pub updated_at: DateTime<Utc>,
}

impl From<SsoView> for SsoConfig {
    fn from(v: SsoView) -> SsoConfig {
        let r = v.row;
        SsoConfig {
            issuer: r.issuer,
            client_id: r.client_id,
            allowed_email_domains: r.allowed_email_domains,
            default_role: r.default_role,
            role_claim: r.role_claim,
            role_map: r.role_map,
            enforce: r.enforce,
            redirect_uri: v.redirect_uri,
            updated_at: r.updated_at,
        }
    }
}

fn text(max: usize) -> impl Fn(&String) -> Result<String, String> {
    move |s| {
        let s = s.trim();
        if s.is_empty() || s.chars().count() > max || s.chars().any(char::is_control) {
            Err(format!(
                "must be 1 to {max} characters, without control characters"
            ))
        } else {
            Ok(s.to_string())
        }
    }
}

fn sso_role(s: &str) -> Result<Role, String> {
    match s.parse::<Role>() {
        Ok(Role::Owner) | Err(_) => Err(
            "must be one of admin, member, auditor (single sign-on never makes an owner)".into(),
        ),
        Ok(r) => Ok(r),
    }
}

fn domain(s: &str) -> Option<String> {
    let d = s.trim().trim_start_matches('@').to_ascii_lowercase();
    let ok = !d.is_empty()
        && d.len() <= 253
        && d.contains('.')
        && d.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    ok.then_some(d)
}

impl PutSso {
    fn parse(&self) -> Result<SsoInput, ApiError> {
        let mut f = Fields::default();
        let issuer = f.required("issuer", self.issuer.as_ref(), text(2048));
        let client_id = f.required("client_id", self.client_id.as_ref(), text(512));
        let secret = f.required("client_secret", self.client_secret.as_ref(), |s| {
            match s.is_empty() || s.len() > 4096 {
                true => Err("must be 1 to 4096 characters"),
                false => Ok(Zeroizing::new(s.clone())),
            }
        });
        let domains = self.allowed_email_domains.clone().unwrap_or_default();
        if domains.len() > MAX_DOMAINS {
            f.push(
                "allowed_email_domains",
                format!("at most {MAX_DOMAINS} domains"),
            );
        }
        let mut allowed = Vec::new();
        for (i, d) in domains.iter().enumerate() {
            match domain(d) {
                Some(d) => allowed.push(d),
                None => f.push(
                    &format!("allowed_email_domains[{i}]"),
                    "must be a domain name such as example.com",
                ),
            }
        }
        let default_role = f.optional("default_role", self.default_role.as_deref(), sso_role);
        let role_claim = f.optional("role_claim", self.role_claim.as_ref(), text(256));
        let map = self.role_map.clone().unwrap_or_default();
        if map.len() > MAX_ROLE_MAP {
            f.push("role_map", format!("at most {MAX_ROLE_MAP} entries"));
        }
        if !map.is_empty() && matches!(role_claim, Some(None)) {
            f.push("role_claim", "is required when role_map is given");
        }
        let mut role_map = BTreeMap::new();
        for (k, v) in &map {
            let at = format!("role_map.{k}");
            if let Some(Some(r)) = f.optional(&at, Some(v.as_str()), sso_role) {
                role_map.insert(k.clone(), r);
            }
        }
        match (issuer, client_id, secret, default_role, role_claim) {
            (Some(issuer), Some(client_id), Some(client_secret), Some(dr), Some(role_claim))
                if f.is_empty() =>
            {
                Ok(SsoInput {
                    issuer,
                    client_id,
                    client_secret,
                    allowed_email_domains: allowed,
                    default_role: dr.unwrap_or(Role::Member),
                    role_claim,
                    role_map,
                    enforce: self.enforce.unwrap_or(false),
                })
            }
            _ => Err(f.into_error()),
        }
    }
}

/// Configure single sign-on with an OpenID provider.
#[utoipa::path(
    tag = "sso", operation_id = "put_sso", description = Doc::of(Action::ManageUsers).note("Workspace owners only (an admin gets 403). The issuer's discovery document (`{issuer}/.well-known/openid-configuration`) is fetched through the outbound rules and checked before saving: it must name exactly this issuer, have authorization, token and JWKS endpoints, and support PKCE S256 if it lists methods. The client secret is stored encrypted.").audits("records `sso.updated` (without the secret)"), summary = "Configure single sign-on",
    request_body = PutSso,
    responses(
        (status = 200, description = "The configuration, as saved", body = SsoConfig),
        (status = 422, description = "A field breaks the rules, or the issuer's discovery document could not be read or does not check out (`validation_failed` on `issuer`)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[put("/sso")]
pub async fn put_sso(
    state: State,
    caller: Authorized<need::ManageUsers>,
    body: web::Json<PutSso>,
) -> Result<web::Json<SsoConfig>, ApiError> {
    let view = sso::put(&state, &caller, body.parse()?).await?;
    Ok(web::Json(view.into()))
}

/// The workspace's single sign-on configuration.
#[utoipa::path(
    tag = "sso", operation_id = "get_sso", description = Doc::of(Action::ManageUsers).reads(), summary = "Read the single sign-on configuration",
    responses(
        (status = 200, description = "The configuration (never its client secret)", body = SsoConfig),
        (status = 404, description = "No single sign-on configured (`not_found`)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/sso")]
pub async fn get_sso(
    state: State,
    caller: Authorized<need::ManageUsers>,
) -> Result<web::Json<SsoConfig>, ApiError> {
    Ok(web::Json(sso::get(&state, &caller).await?.into()))
}

/// Remove single sign-on from the workspace.
#[utoipa::path(
    tag = "sso", operation_id = "delete_sso", description = Doc::of(Action::ManageUsers).note("Workspace owners only (an admin gets 403). Password sign-in works again for everyone.").audits("records `sso.deleted`"), summary = "Remove single sign-on",
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No single sign-on configured (`not_found`)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/sso")]
pub async fn delete_sso(
    state: State,
    caller: Authorized<need::ManageUsers>,
) -> Result<HttpResponse, ApiError> {
    sso::delete(&state, &caller).await?;
    Ok(HttpResponse::NoContent().finish())
}
