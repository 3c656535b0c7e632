//! The sign-in flow: start (a single-use state; the PKCE verifier and the nonce derived from it
//! with a server key, so they are stored nowhere), the provider's callback (code exchanged, ID
//! token validated, the person found or created just in time), and the single-use login code
//! exchanged for an ordinary session.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use credvault_domain::identity::Role;
use credvault_domain::validate::{DisplayName, Email};
use credvault_store::identity::{self as istore, NewUser, UserRow};
use credvault_store::sso::{self as store, SsoRow};
use reqwest::Url;
use serde_json::{Map, Value};
use uuid::Uuid;
use zeroize::Zeroizing;

use super::oidc::{self, Client};
use crate::audit::{self, Actor, Event, Origin};
use crate::identity::sessions::{self, Tokens};
use crate::{ServiceError, Services};

const STATE_TTL_SECS: i32 = 600;
const LOGIN_CODE_TTL_SECS: i32 = 60;
/// Never a valid password hash: a user made by single sign-on has no password until one is set.
const NO_PASSWORD: &str = "!sso";

/// A value only this deployment can derive from a state (the PKCE verifier, the nonce).
fn derived(services: &Services, label: &str, st: &str) -> Zeroizing<String> {
    let msg = format!("credvault sso {label}|{st}");
    Zeroizing::new(URL_SAFE_NO_PAD.encode(*credvault_crypto::hmac_sha256(
        &*services.pkce_key,
        msg.as_bytes(),
    )))
}

fn random_token() -> Result<String, ServiceError> {
    let raw: [u8; 32] = credvault_crypto::random_bytes().map_err(ServiceError::internal)?;
    Ok(URL_SAFE_NO_PAD.encode(raw))
}

fn refused(why: &str) -> ServiceError {
    ServiceError::SsoRefused(why.to_string())
}

/// Starts a sign-in to workspace `ws`: the provider URL to send the browser to. `return_to` was
/// checked by the caller.
pub async fn start(
    services: &Services,
    ws: Uuid,
    return_to: Option<&str>,
) -> Result<String, ServiceError> {
    let client = services.pool.get().await?;
    let cfg = store::get(&client, ws)
        .await?
        .ok_or(ServiceError::NotFound("single sign-on for this workspace"))?;
    let st = random_token()?;
    let hash = credvault_crypto::sha256(st.as_bytes());
    store::insert_state(&client, &hash, ws, return_to, STATE_TTL_SECS).await?;
    let challenge = URL_SAFE_NO_PAD.encode(credvault_crypto::sha256(
        derived(services, "pkce", &st).as_bytes(),
    ));
    let mut url = Url::parse(&cfg.authorization_endpoint).map_err(ServiceError::internal)?;
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &cfg.client_id)
        .append_pair("redirect_uri", &super::redirect_uri(services))
        .append_pair("scope", "openid email profile")
        .append_pair("state", &st)
        .append_pair("nonce", &derived(services, "nonce", &st))
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    Ok(url.to_string())
}

/// A finished callback: the single-use login code, and where to send the browser with it.
pub struct SignedIn {
    pub login_code: String,
    pub return_to: Option<String>,
}

/// The provider's callback: the state (single use), then the code exchange, the ID token, the
/// person; a login code for them.
pub async fn callback(
    services: &Services,
    st: &str,
    code: Option<&str>,
    error: Option<&str>,
    origin: &Origin,
) -> Result<SignedIn, ServiceError> {
    let invalid = |why: &str| ServiceError::InvalidState(why.to_string());
    if st.is_empty() || st.len() > 256 {
        return Err(invalid(
            "the state is missing or malformed: start the sign-in again",
        ));
    }
    let (ws, return_to, cfg) = {
        let client = services.pool.get().await?;
        let hash = credvault_crypto::sha256(st.as_bytes());
        let (ws, return_to) = store::consume_state(&client, &hash).await?.ok_or_else(|| {
            invalid("the state is unknown, already used or expired: start the sign-in again")
        })?;
        let cfg = store::get(&client, ws).await?.ok_or_else(|| {
            invalid("single sign-on was removed from this workspace since the sign-in started")
        })?;
        (ws, return_to, cfg)
    };
    if let Some(e) = error {
        // Only the provider's error code, a fixed word, is told.
        let e: String = (e.chars())
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(64)
            .collect();
        return Err(ServiceError::SsoRefused(format!(
            "the provider did not sign the person in ({e})"
        )));
    }
    let code = code
        .filter(|c| !c.is_empty() && c.len() <= 4096)
        .ok_or_else(|| ServiceError::invalid("code is required"))?;
    let secret = super::client_secret(services, &cfg)?;
    let oc = Client {
        issuer: &cfg.issuer,
        client_id: &cfg.client_id,
        client_secret: &secret,
        token_endpoint: &cfg.token_endpoint,
        token_auth: &cfg.token_auth,
        jwks_uri: &cfg.jwks_uri,
    };
    let (verifier, redirect) = (derived(services, "pkce", st), super::redirect_uri(services));
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect.as_str()),
        ("code_verifier", verifier.as_str()),
    ];
    let id_token = oidc::exchange(services, &oc, &form).await?;
    let claims = oidc::validate(services, &oc, &id_token, &derived(services, "nonce", st)).await?;
    let user = person(services, &cfg, &claims, origin).await?;
    let login_code = random_token()?;
    let client = services.pool.get().await?;
    let hash = credvault_crypto::sha256(login_code.as_bytes());
    store::insert_login_code(&client, &hash, ws, user.id, LOGIN_CODE_TTL_SECS).await?;
    Ok(SignedIn {
        login_code,
        return_to,
    })
}

/// `email_verified` as providers send it: a boolean, or (some) the string "true".
fn verified(claims: &Map<String, Value>) -> bool {
    match claims.get("email_verified") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s == "true",
        _ => false,
    }
}

/// The role a new user gets: the highest one `role_map` gives a value of `role_claim` (a string
/// or a list of strings), else `default_role`.
fn role_for(cfg: &SsoRow, claims: &Map<String, Value>) -> Role {
    let values: Vec<&str> = match cfg.role_claim.as_deref().and_then(|c| claims.get(c)) {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    let rank = |r: &Role| match r {
        Role::Owner => 3,
        Role::Admin => 2,
        Role::Member => 1,
        Role::Auditor => 0,
    };
    values
        .into_iter()
        .filter_map(|v| cfg.role_map.get(v)?.as_str()?.parse::<Role>().ok())
        .max_by_key(rank)
        .or_else(|| cfg.default_role.parse().ok())
        .unwrap_or(Role::Member)
}

/// The person the verified claims name in the workspace: a known user, or a new one when the
/// email's domain is allowed.
async fn person(
    services: &Services,
    cfg: &SsoRow,
    claims: &Map<String, Value>,
    origin: &Origin,
) -> Result<UserRow, ServiceError> {
    let email = claims
        .get("email")
        .and_then(Value::as_str)
        .ok_or_else(|| refused("the ID token carries no email"))?;
    if !verified(claims) {
        return Err(refused(
            "the provider has not verified the email (email_verified)",
        ));
    }
    let email = Email::parse(email).map_err(|_| refused("the ID token's email is not valid"))?;
    let mut client = services.pool.get().await?;
    let tx = client.transaction().await?;
    if let Some((user, _)) = istore::user_by_email(&tx, email.as_str()).await? {
        if user.workspace_id != cfg.workspace_id {
            return Err(refused("the email is not a user of this workspace"));
        }
        if user.disabled {
            let ev = Event::new("auth.login_failed")
                .target("user", user.id, Some(user.display_name.clone()))
                .outcome("denied")
                .detail("method", "sso")
                .detail("reason", "account_disabled");
            audit::record(&tx, cfg.workspace_id, &Actor::anonymous(), origin, ev).await?;
            tx.commit().await?;
            return Err(ServiceError::AccountDisabled(
                "this account is disabled; ask a workspace owner or admin".into(),
            ));
        }
        return Ok(user);
    }
    let domain = email
        .as_str()
        .rsplit('@')
        .next()
        .unwrap_or_default()
        .to_lowercase();
    if !cfg.allowed_email_domains.contains(&domain) {
        return Err(refused(
            "the email is not a user of this workspace and its domain is not allowed to join",
        ));
    }
    let local = email.as_str().split('@').next().unwrap_or_default();
    let name = claims.get("name").and_then(Value::as_str).unwrap_or(local);
    let display = DisplayName::parse(name)
        .or_else(|_| DisplayName::parse(local))
        .map_err(|_| refused("the ID token's name cannot be a display name"))?;
    let role = role_for(cfg, claims);
    let new = NewUser {
        workspace_id: cfg.workspace_id,
        id: Uuid::now_v7(),
        email: email.as_str(),
        display_name: display.as_str(),
        role: role.as_str(),
        password_hash: NO_PASSWORD,
    };
    let user = istore::insert_user(&tx, &new).await?.ok_or_else(|| {
        ServiceError::Conflict(
            "a user with this email was created at the same moment: sign in again".into(),
        )
    })?;
    let ev = Event::new("user.created")
        .target("user", user.id, Some(user.display_name.clone()))
        .detail("role", role.as_str())
        .detail("method", "sso");
    let actor = Actor {
        kind: "system",
        id: None,
        display: Some("single sign-on".into()),
        user_id: None,
    };
    audit::record(&tx, cfg.workspace_id, &actor, origin, ev).await?;
    tx.commit().await?;
    Ok(user)
}

/// A login code (single use, 60 s) for an ordinary session, as a password sign-in gives.
pub async fn exchange(
    services: &Services,
    origin: Origin,
    login_code: &str,
) -> Result<Tokens, ServiceError> {
    let invalid = || {
        ServiceError::InvalidState(
            "the login code is unknown, already used or expired: sign in again".into(),
        )
    };
    if login_code.is_empty() || login_code.len() > 256 {
        return Err(invalid());
    }
    let mut client = services.pool.get().await?;
    let tx = client.transaction().await?;
    let hash = credvault_crypto::sha256(login_code.as_bytes());
    let (ws, user_id) = store::consume_login_code(&tx, &hash)
        .await?
        .ok_or_else(invalid)?;
    let user = istore::user_by_id(&tx, ws, user_id)
        .await?
        .ok_or_else(invalid)?;
    if user.disabled {
        tx.commit().await?;
        return Err(ServiceError::AccountDisabled(
            "this account is disabled; ask a workspace owner or admin".into(),
        ));
    }
    let tokens = sessions::sign_in(&tx, services, &user, &origin, vec![], "sso").await?;
    tx.commit().await?;
    Ok(tokens)
}
