//! Talking to an OpenID provider, always through the outbound client: its discovery document
//! (checked before a configuration is saved), the code exchange, and the ID token validated
//! against the provider's JWKS (cached; a `kid` not seen before refetches it once).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use reqwest::{header, Method, Url};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::{ServiceError, Services};

/// How long a fetched JWKS is trusted before it is fetched again.
const JWKS_TTL: Duration = Duration::from_secs(3600);
/// Clock skew allowed on `exp`, `nbf` and `iat`.
const LEEWAY_SECS: u64 = 60;

/// The endpoints a configuration keeps from the discovery document.
pub struct Endpoints {
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    /// `client_secret_basic` or `client_secret_post`.
    pub token_auth: &'static str,
}

#[derive(Deserialize)]
struct Discovery {
    issuer: Option<String>,
    authorization_endpoint: Option<String>,
    token_endpoint: Option<String>,
    jwks_uri: Option<String>,
    code_challenge_methods_supported: Option<Vec<String>>,
    token_endpoint_auth_methods_supported: Option<Vec<String>>,
}

/// The JWKS documents fetched so far, by their URL.
#[derive(Default)]
pub struct JwksCache(Mutex<HashMap<String, (JwkSet, Instant)>>);

/// A URL the provider gave for us to call: https, or http on a host the operator listed in
/// `CREDVAULT_OUTBOUND_ALLOW`.
fn provider_url(services: &Services, raw: &str) -> Result<Url, String> {
    let u = Url::parse(raw).map_err(|_| format!("{raw} is not a valid URL"))?;
    match u.scheme() {
        "https" => Ok(u),
        "http" if services.outbound.listed(&u) => Ok(u),
        _ => Err(format!(
            "{raw} must be https (plain http only to a host listed in CREDVAULT_OUTBOUND_ALLOW)"
        )),
    }
}

async fn get_json(services: &Services, url: Url) -> Result<Value, String> {
    let req = services
        .outbound
        .request(Method::GET, url)
        .header(header::ACCEPT, "application/json");
    let answer = services
        .outbound
        .send(req)
        .await
        .map_err(|e| e.to_string())?;
    if !answer.status.is_success() {
        return Err(format!("answered HTTP {}", answer.status.as_u16()));
    }
    serde_json::from_slice(&answer.body).map_err(|_| "did not answer JSON".to_string())
}

/// Fetches and checks `{issuer}/.well-known/openid-configuration`; why not, as a message for
/// the `issuer` field.
pub async fn discover(services: &Services, issuer: &str) -> Result<Endpoints, String> {
    provider_url(services, issuer)?;
    let at = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    );
    let url = provider_url(services, &at)?;
    let doc = get_json(services, url)
        .await
        .map_err(|e| format!("the discovery document {at} could not be read: {e}"))?;
    let d: Discovery = serde_json::from_value(doc)
        .map_err(|_| format!("the discovery document {at} is not an OpenID configuration"))?;
    if d.issuer.as_deref() != Some(issuer) {
        return Err(format!(
            "the discovery document names another issuer; use exactly {}",
            d.issuer.as_deref().unwrap_or("(none)")
        ));
    }
    let endpoint = |v: Option<String>, name: &str| -> Result<String, String> {
        let v = v.ok_or_else(|| format!("the discovery document has no {name}"))?;
        provider_url(services, &v).map_err(|e| format!("its {name}: {e}"))?;
        Ok(v)
    };
    let authorization_endpoint = endpoint(d.authorization_endpoint, "authorization_endpoint")?;
    let token_endpoint = endpoint(d.token_endpoint, "token_endpoint")?;
    let jwks_uri = endpoint(d.jwks_uri, "jwks_uri")?;
    if let Some(methods) = &d.code_challenge_methods_supported {
        if !methods.iter().any(|m| m == "S256") {
            return Err("the provider does not support PKCE with S256".into());
        }
    }
    let token_auth = match &d.token_endpoint_auth_methods_supported {
        Some(m) if !m.iter().any(|m| m == "client_secret_basic") => {
            if !m.iter().any(|m| m == "client_secret_post") {
                return Err(
                    "the token endpoint accepts neither client_secret_basic nor client_secret_post"
                        .into(),
                );
            }
            "client_secret_post"
        }
        _ => "client_secret_basic",
    };
    Ok(Endpoints {
        authorization_endpoint,
        token_endpoint,
        jwks_uri,
        token_auth,
    })
}

/// What the callback needs of the configuration to exchange and validate.
pub struct Client<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub client_secret: &'a str,
    pub token_endpoint: &'a str,
    pub token_auth: &'a str,
    pub jwks_uri: &'a str,
}

fn refused(why: impl Into<String>) -> ServiceError {
    ServiceError::SsoRefused(why.into())
}

/// Exchanges the code at the token endpoint; the ID token it answered with.
pub async fn exchange(
    services: &Services,
    c: &Client<'_>,
    form: &[(&str, &str)],
) -> Result<String, ServiceError> {
    let url = provider_url(services, c.token_endpoint).map_err(refused)?;
    let mut form: Vec<(&str, &str)> = form.to_vec();
    let mut req = services
        .outbound
        .request(Method::POST, url)
        .header(header::ACCEPT, "application/json");
    if c.token_auth == "client_secret_post" {
        form.extend([
            ("client_id", c.client_id),
            ("client_secret", c.client_secret),
        ]);
    } else {
        req = req.basic_auth(c.client_id, Some(c.client_secret));
    }
    let answer =
        services
            .outbound
            .send(req.form(&form))
            .await
            .map_err(|e| ServiceError::Upstream {
                detail: format!("the provider's token endpoint: {e}"),
                retry_after: None,
            })?;
    let body: Value = serde_json::from_slice(&answer.body).unwrap_or(Value::Null);
    if !answer.status.is_success() {
        // Only the provider's error code, which is a fixed word, is told.
        let code = body
            .get("error")
            .and_then(Value::as_str)
            .filter(|c| {
                c.len() <= 64 && c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
            })
            .unwrap_or("no error code");
        return Err(refused(format!(
            "the provider refused the code exchange (HTTP {}, {code})",
            answer.status.as_u16()
        )));
    }
    body.get("id_token")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| refused("the provider's token answer has no id_token"))
}

impl JwksCache {
    fn cached(&self, uri: &str) -> Option<JwkSet> {
        let m = self.0.lock().ok()?;
        m.get(uri)
            .filter(|(_, at)| at.elapsed() < JWKS_TTL)
            .map(|(set, _)| set.clone())
    }

    fn store(&self, uri: &str, set: JwkSet) {
        if let Ok(mut m) = self.0.lock() {
            m.insert(uri.to_string(), (set, Instant::now()));
        }
    }
}

async fn fetch_jwks(services: &Services, uri: &str) -> Result<JwkSet, ServiceError> {
    let url = provider_url(services, uri).map_err(refused)?;
    let doc = get_json(services, url)
        .await
        .map_err(|e| ServiceError::Upstream {
            detail: format!("the provider's JWKS: {e}"),
            retry_after: None,
        })?;
    let set: JwkSet = serde_json::from_value(doc)
        .map_err(|_| refused("the provider's JWKS is not a JSON Web Key Set"))?;
    services.sso_jwks.store(uri, set.clone());
    Ok(set)
}

/// The key of `kid` (or the only key when the token names none) in a set.
fn key_in(set: &JwkSet, kid: Option<&str>) -> Option<DecodingKey> {
    let jwk = match kid {
        Some(k) => set.find(k)?,
        None if set.keys.len() == 1 => &set.keys[0],
        None => return None,
    };
    DecodingKey::from_jwk(jwk).ok()
}

/// The verified claims of an ID token: signature from the provider's keys (RS256 or ES256),
/// `iss`, `aud` (and `azp` when there are several audiences), `exp` with a small leeway, and
/// `nonce`.
pub async fn validate(
    services: &Services,
    c: &Client<'_>,
    id_token: &str,
    nonce: &str,
) -> Result<Map<String, Value>, ServiceError> {
    let header = jsonwebtoken::decode_header(id_token)
        .map_err(|_| refused("the ID token is not a signed JWT"))?;
    if !matches!(header.alg, Algorithm::RS256 | Algorithm::ES256) {
        return Err(refused(
            "the ID token is signed with an algorithm other than RS256 or ES256",
        ));
    }
    let kid = header.kid.as_deref();
    let key = match services
        .sso_jwks
        .cached(c.jwks_uri)
        .and_then(|s| key_in(&s, kid))
    {
        Some(k) => k,
        // Not seen before (or nothing cached): the provider may have rotated its keys.
        None => key_in(&fetch_jwks(services, c.jwks_uri).await?, kid)
            .ok_or_else(|| refused("the ID token's signing key is not in the provider's JWKS"))?,
    };
    let mut v = Validation::new(header.alg);
    v.set_issuer(&[c.issuer]);
    v.set_audience(&[c.client_id]);
    v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    v.leeway = LEEWAY_SECS;
    let data = jsonwebtoken::decode::<Map<String, Value>>(id_token, &key, &v).map_err(|e| {
        use jsonwebtoken::errors::ErrorKind as K;
        refused(match e.kind() {
            K::InvalidSignature => "the ID token's signature does not verify",
            K::ExpiredSignature => "the ID token has expired",
            K::ImmatureSignature => "the ID token is not valid yet",
            K::InvalidIssuer => "the ID token was issued by another issuer",
            K::InvalidAudience => "the ID token is meant for another client (aud)",
            K::MissingRequiredClaim(_) => {
                "the ID token lacks a required claim (exp, iss, aud, sub)"
            }
            _ => "the ID token does not validate",
        })
    })?;
    let claims = data.claims;
    if let Some(Value::Array(auds)) = claims.get("aud") {
        if auds.len() > 1 && claims.get("azp").and_then(Value::as_str) != Some(c.client_id) {
            return Err(refused(
                "the ID token has several audiences and another authorized party (azp)",
            ));
        }
    }
    let nonce_ok = claims
        .get("nonce")
        .and_then(Value::as_str)
        .is_some_and(|n| credvault_crypto::constant_time_eq(n.as_bytes(), nonce.as_bytes()));
    if !nonce_ok {
        return Err(refused("the ID token's nonce does not match this sign-in"));
    }
    Ok(claims)
}
