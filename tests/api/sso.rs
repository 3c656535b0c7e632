//! Single sign-on (OIDC) against a fake OpenID provider served by the test itself: a real local
//! HTTP server with discovery, JWKS and a token endpoint that answers signed ID tokens (RS256
//! with a fixed test key, ES256 with keys generated per run). The authorization endpoint is not
//! an HTTP hop here: the test reads the 302 of `start` as the provider would.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

use crate::helpers::{captured_logs, problem, TestApp, PASSWORD};

// A 2048-bit RSA key made for these tests only (PKCS#1 DER) and its modulus (base64url).
const RSA_DER_B64: &str = "MIIEpAIBAAKCAQEAokimcYNWVv0KacxeAa4+u8h4WqZxFAX4MISMvFBJtLHx0pu6bbz05CIwCJ/z9+Van9FWsaQZg1CTWXcLTnsCKqeGx5bUZX/aBSDGmNY0ORFoMoGPfwq2FdjZnrhub9DXkuFZbEpFcgglvw3LbmSZjga0uky/lZIvRV6ahDrDdSRAp72ZziQePkQHc69JWUApV/SUeWkliYX5EtO14HWCS61WBrw65+2U64nmRIsl0hBTtUZ8Xggog7OgfdGyVM/0wexAWdVJ4mRdHqYwTxb2207hovkBR1aGijPCPqzrOlqK2oPTQD2Nrwtr9CiFQg1Hywb7G951VD3hfJT+c/24WQIDAQABAoIBADjURCUgHw4bUpg2Dv17rVBJJYxpGNQwOveSk04mt4jlf4+HJUPklcWGC1gZ22+GC7RHtJpEowKPJup/e6AiB2I0hEhEk2Bv40NEdQd0i5kodVqqcDvG3njMFXk1kMbrVXKEI7J+V89U9xLum7yu0e8gfg13bufL523dcTK4+VV9q43svBuFDsqV/B00ZO4P8iFVaxTp0baL3xgKK6dC0VCwxW+JOcy4VW9FKqYHo93QCJTvGGwjcLw5wXuBhIIoJfUn9cKgOFGVcd1XqE7yk4fNAVVuzSt9IM4Nfi2K+HXw8SlKtyGn56YjaLqrXxBs8vtyfXIi/ts4m1iPOPXHNlkCgYEA1nrdKVKxz1fl9FeCPQ5RkyBAFNGPSOJDJkwS+dA98XZVpdaRAjP14lmSik6BeR81eS6VysHHDQCUdtbJ1I7DlxleJwcqqnWurYpc500EGfrBuC39fFzteCDyaaWMqTnYqBgnGV8hcQW78PM7RU+/bd5OZ9Vb0yJlnvPo7HekkEsCgYEAwbMQeJmYhUtJUbJmzjNdD4WMKJ+FAy103gVzTV7f5+PXuGUDKUmvKwXbUTeI7attT2qbN5B5/JKkwSQs1TAqqSOGdXn0GWoaJq4gN7B0xfYS8EXuN1IIuJ5Tb7iuUub9+wHETcOVPL3j5SDfZg2cUeZp0DIAyC9lj6T0PxWIm2sCgYA+2sbRg2CEiRfk4XhTeEzDtyHQeBFrpJNVN9ofx70/dBRpg1X/tUaLzQA69ALRginjl5liUCOLVe4sXYnMdwIu18pV2a3RQqesR+4uAs3+5xO6bA/rUDhvighAmbl9Jmyt5lYfA1gDjVCkrkNibpqFEi8cEtTULTJmwMgz9GQPvQKBgQCh7VLwrt6dV+HURULCUJgUeL1B3JEypdaUIJRScuTVk1hsUy2AX5PrcHr2+2kh3vSDtohJvCLubZ0DxX0hP6H6QbOPE8NnV5bDDT/rrj0AnQUaDivl3VNjGyB/PjGlJmveYYy8watJ2yjgDEoVo30xzmBY5uRWdaD+o5R4BEVuPwKBgQCmjk35g/fxFMJkIwaiIYpCKAMZUopqrUsVs4JbyoLHcm4dsBx3qb16km45njC4nyJHzEqJHZCtg/myNdVBmfhGO7TWR/GULTWAeaeOaDL48R+Gkn285ELWom+Xlf1KRSuwjgpp0v1c+cErndsPqqxP3MKsmIiLeXx0euyJDP395A==";
const RSA_N: &str = "okimcYNWVv0KacxeAa4-u8h4WqZxFAX4MISMvFBJtLHx0pu6bbz05CIwCJ_z9-Van9FWsaQZg1CTWXcLTnsCKqeGx5bUZX_aBSDGmNY0ORFoMoGPfwq2FdjZnrhub9DXkuFZbEpFcgglvw3LbmSZjga0uky_lZIvRV6ahDrDdSRAp72ZziQePkQHc69JWUApV_SUeWkliYX5EtO14HWCS61WBrw65-2U64nmRIsl0hBTtUZ8Xggog7OgfdGyVM_0wexAWdVJ4mRdHqYwTxb2207hovkBR1aGijPCPqzrOlqK2oPTQD2Nrwtr9CiFQg1Hywb7G951VD3hfJT-c_24WQ";

const SECRET: &str = "sso-client-secret-never-shown-7f3a9c";
const CLIENT_ID: &str = "credvault-test-client";
const RETURN_TO: &str = "https://app.example.com/signed-in";

/// A signing key of the provider: its `kid`, algorithm, private key and public JWK.
#[derive(Clone)]
struct SigningKey {
    kid: String,
    alg: Algorithm,
    key: Arc<EncodingKey>,
    jwk: Value,
}

fn rsa_key(kid: &str) -> SigningKey {
    let der = STANDARD.decode(RSA_DER_B64).expect("der");
    SigningKey {
        kid: kid.into(),
        alg: Algorithm::RS256,
        key: Arc::new(EncodingKey::from_rsa_der(&der)),
        jwk: json!({"kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig", "n": RSA_N, "e": "AQAB"}),
    }
}

fn ec_key(kid: &str) -> SigningKey {
    let kp = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("ec key");
    let raw = kp.public_key_raw();
    assert_eq!(raw.len(), 65, "an uncompressed P-256 point");
    SigningKey {
        kid: kid.into(),
        alg: Algorithm::ES256,
        key: Arc::new(EncodingKey::from_ec_der(&kp.serialize_der())),
        jwk: json!({"kty": "EC", "crv": "P-256", "kid": kid, "alg": "ES256", "use": "sig",
                    "x": URL_SAFE_NO_PAD.encode(&raw[1..33]), "y": URL_SAFE_NO_PAD.encode(&raw[33..])}),
    }
}

#[derive(Default)]
struct Inner {
    /// The issuer the discovery document names (the provider's address unless set).
    issuer_named: Option<String>,
    /// Signs the next ID tokens.
    signer: Option<SigningKey>,
    /// Published in the JWKS.
    published: Vec<Value>,
    /// The claims of the next ID token.
    next: Option<Value>,
    jwks_hits: usize,
    token_forms: Vec<HashMap<String, String>>,
    token_auth: Vec<String>,
}

#[derive(Clone)]
struct Provider {
    issuer: String,
    inner: Arc<Mutex<Inner>>,
}

async fn discovery(p: web::Data<Provider>) -> HttpResponse {
    let named = p.inner.lock().expect("lock").issuer_named.clone();
    let i = &p.issuer;
    HttpResponse::Ok().json(json!({
        "issuer": named.unwrap_or_else(|| i.clone()),
        "authorization_endpoint": format!("{i}/authorize"),
        "token_endpoint": format!("{i}/token"),
        "jwks_uri": format!("{i}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
    }))
}

async fn jwks(p: web::Data<Provider>) -> HttpResponse {
    let mut inner = p.inner.lock().expect("lock");
    inner.jwks_hits += 1;
    HttpResponse::Ok().json(json!({"keys": inner.published}))
}

async fn token(p: web::Data<Provider>, req: HttpRequest, body: String) -> HttpResponse {
    let form: HashMap<String, String> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let mut inner = p.inner.lock().expect("lock");
    inner.token_auth.push(
        req.headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string(),
    );
    inner.token_forms.push(form);
    let (Some(claims), Some(k)) = (inner.next.take(), inner.signer.clone()) else {
        return HttpResponse::BadRequest().json(json!({"error": "invalid_grant"}));
    };
    let mut header = Header::new(k.alg);
    header.kid = Some(k.kid.clone());
    let id_token = jsonwebtoken::encode(&header, &claims, &k.key).expect("sign");
    HttpResponse::Ok().json(
        json!({"access_token": "provider-access", "token_type": "Bearer", "id_token": id_token}),
    )
}

impl Provider {
    async fn start(signer: SigningKey) -> Provider {
        let inner = Arc::new(Mutex::new(Inner {
            published: vec![signer.jwk.clone()],
            signer: Some(signer),
            ..Default::default()
        }));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let p = Provider {
            issuer: format!("http://127.0.0.1:{port}"),
            inner,
        };
        let data = web::Data::new(p.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route(
                    "/.well-known/openid-configuration",
                    web::get().to(discovery),
                )
                .route("/jwks", web::get().to(jwks))
                .route("/token", web::post().to(token))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .expect("listen");
        tokio::spawn(server.run());
        p
    }

    fn with<R>(&self, f: impl FnOnce(&mut Inner) -> R) -> R {
        f(&mut self.inner.lock().expect("lock"))
    }

    /// The claims of a good ID token for `email` with `nonce`.
    fn claims(&self, email: &str, nonce: &str) -> Value {
        let now = chrono::Utc::now().timestamp();
        json!({"iss": self.issuer, "aud": CLIENT_ID, "sub": format!("sub-{email}"), "email": email,
               "email_verified": true, "nonce": nonce, "iat": now, "exp": now + 300, "name": "Sso Person"})
    }
}

async fn app() -> TestApp {
    TestApp::spawn_with(|s| {
        s.outbound_allow = "127.0.0.1/32".into();
        s.outbound_timeout_secs = 3;
        s.cors_origins = "https://app.example.com".into();
        s.public_url = Some("https://vault.example.com".into());
    })
    .await
}

/// Signs up the owner and configures SSO against `p` with `extra` fields; (workspace id, owner).
async fn configured(app: &TestApp, p: &Provider, extra: Value) -> (String, String) {
    let (body, owner) = app.signup("owner@example.com").await;
    let ws = body["workspace"]["id"].as_str().expect("ws").to_string();
    let res = put_sso(app, &owner, p, extra).await;
    assert_eq!(res.status(), 200, "configured");
    (ws, owner)
}

async fn put_sso(app: &TestApp, token: &str, p: &Provider, extra: Value) -> reqwest::Response {
    let mut body = json!({"issuer": p.issuer, "client_id": CLIENT_ID, "client_secret": SECRET});
    for (k, v) in extra.as_object().cloned().unwrap_or_default() {
        body[k] = v;
    }
    app.put_json_as(token, "/v1/sso", &body).await
}

fn query_of(location: &str) -> HashMap<String, String> {
    let u = url::Url::parse(location).expect("a URL");
    u.query_pairs().into_owned().collect()
}

/// `start` (optionally with `return_to`): the provider URL's query.
async fn start(app: &TestApp, ws: &str, return_to: Option<&str>) -> HashMap<String, String> {
    let mut path = format!("/v1/auth/sso/start?workspace_id={ws}");
    if let Some(r) = return_to {
        path.push_str(&format!(
            "&return_to={}",
            url::form_urlencoded::byte_serialize(r.as_bytes()).collect::<String>()
        ));
    }
    let res = app.get(&path).await;
    assert_eq!(res.status(), 302, "start redirects to the provider");
    let loc = res.headers()["location"]
        .to_str()
        .expect("location")
        .to_string();
    query_of(&loc)
}

async fn callback(app: &TestApp, st: &str) -> reqwest::Response {
    app.get(&format!("/v1/auth/sso/callback?code=the-code&state={st}"))
        .await
}

/// A whole sign-in up to the callback, the provider answering `claims(email, nonce)` changed by
/// `edit`.
async fn sign_in_as(
    app: &TestApp,
    p: &Provider,
    ws: &str,
    email: &str,
    edit: impl FnOnce(&mut Value),
) -> reqwest::Response {
    let q = start(app, ws, None).await;
    let mut claims = p.claims(email, &q["nonce"]);
    edit(&mut claims);
    p.with(|i| i.next = Some(claims));
    callback(app, &q["state"]).await
}

async fn exchange(app: &TestApp, code: &str) -> reqwest::Response {
    app.post_json("/v1/auth/sso/exchange", &json!({"login_code": code}))
        .await
}

/// A sign-in that succeeds: the session's access token.
async fn signed_in(app: &TestApp, p: &Provider, ws: &str, email: &str) -> String {
    let res = sign_in_as(app, p, ws, email, |_| {}).await;
    assert_eq!(res.status(), 200, "callback");
    let code: Value = res.json().await.expect("json");
    let tokens: Value = exchange(app, code["login_code"].as_str().expect("code"))
        .await
        .json()
        .await
        .expect("json");
    tokens["access_token"]
        .as_str()
        .expect("access token")
        .to_string()
}

/// A provider signing with `key`, a workspace configured for it, and bob@example.com, a member;
/// (provider, app, workspace id, owner).
async fn with_bob(key: SigningKey) -> (Provider, TestApp, String, String) {
    let p = Provider::start(key).await;
    let app = app().await;
    let (ws, owner) = configured(&app, &p, json!({})).await;
    app.user_with_role(&owner, "bob@example.com", "member")
        .await;
    (p, app, ws, owner)
}

async fn audit_export(app: &TestApp, owner: &str) -> String {
    let res = app.get_as(owner, "/v1/audit/export").await;
    assert_eq!(res.status(), 200);
    res.text().await.expect("text")
}

#[tokio::test]
async fn a_known_user_signs_in_through_the_provider_and_gets_an_ordinary_session() {
    let p = Provider::start(rsa_key("rsa-1")).await;
    let app = app().await;
    let (ws, owner) = configured(&app, &p, json!({})).await;
    let (bob_id, _) = app
        .user_with_role(&owner, "bob@example.com", "member")
        .await;
    let mut bodies = Vec::new();

    let q = start(&app, &ws, Some(RETURN_TO)).await;
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], CLIENT_ID);
    assert_eq!(q["scope"], "openid email profile");
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(
        q["redirect_uri"],
        "https://vault.example.com/v1/auth/sso/callback"
    );
    p.with(|i| i.next = Some(p.claims("Bob@Example.com", &q["nonce"])));
    let res = callback(&app, &q["state"]).await;
    assert_eq!(res.status(), 302, "back to return_to");
    let back = res.headers()["location"]
        .to_str()
        .expect("location")
        .to_string();
    assert!(back.starts_with(RETURN_TO), "{back}");
    let code = query_of(&back)["login_code"].clone();

    // The provider saw the PKCE verifier of the challenge, the code and the client secret.
    let (form, auth) = p.with(|i| (i.token_forms[0].clone(), i.token_auth[0].clone()));
    assert_eq!(form["grant_type"], "authorization_code");
    assert_eq!(form["code"], "the-code");
    let verifier = &form["code_verifier"];
    assert_eq!(
        URL_SAFE_NO_PAD.encode(credvault_crypto::sha256(verifier.as_bytes())),
        q["code_challenge"]
    );
    let basic = STANDARD.encode(format!("{CLIENT_ID}:{SECRET}"));
    assert_eq!(auth, format!("Basic {basic}"));

    // The login code gives a session like a password sign-in; the refresh path is the same.
    let res = exchange(&app, &code).await;
    assert_eq!(res.status(), 200);
    let tokens: Value = res.json().await.expect("json");
    assert_eq!(tokens["token_type"], "Bearer");
    let me: Value = app
        .get_as(tokens["access_token"].as_str().expect("at"), "/v1/me")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(me["id"], bob_id.as_str());
    let res = app
        .post_json(
            "/v1/auth/refresh",
            &json!({"refresh_token": tokens["refresh_token"]}),
        )
        .await;
    assert_eq!(res.status(), 200, "the session refreshes as any other");

    // Single use: the login code and the state.
    let (status, body) = problem(exchange(&app, &code).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("invalid_state"))
    );
    let (status, body) = problem(callback(&app, &q["state"]).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("invalid_state"))
    );
    let (status, _) = problem(exchange(&app, "not-a-code").await).await;
    assert_eq!(status, 400);

    // Sign-ins say how they were made.
    let res = app.login("owner@example.com", PASSWORD).await;
    assert_eq!(res.status(), 200);
    let events = audit_export(&app, &owner).await;
    let logins: Vec<Value> = events
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["action"] == "auth.login")
        .collect();
    let method_of = |who: &str| {
        logins
            .iter()
            .filter(|e| e["target"]["id"] == who)
            .map(|e| e["details"]["method"].as_str().unwrap_or("").to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(method_of(&bob_id), ["password", "sso"], "{events}");
    assert!(events.contains("\"sso.updated\""), "{events}");

    // The client secret is in no answer, audit event or log line.
    bodies.push(
        app.get_as(&owner, "/v1/sso")
            .await
            .text()
            .await
            .expect("text"),
    );
    bodies.push(
        put_sso(&app, &owner, &p, json!({"enforce": false}))
            .await
            .text()
            .await
            .expect("text"),
    );
    bodies.push(
        app.get_as(&owner, "/v1/me/export")
            .await
            .text()
            .await
            .expect("text"),
    );
    bodies.push(events);
    bodies.push(captured_logs());
    for b in &bodies {
        assert!(!b.contains(SECRET), "the client secret leaked: {b}");
    }
    let cfg: Value = serde_json::from_str(&bodies[0]).expect("json");
    assert_eq!(cfg["issuer"], p.issuer.as_str());
    assert_eq!(
        cfg["redirect_uri"],
        "https://vault.example.com/v1/auth/sso/callback"
    );
    assert!(cfg.get("client_secret").is_none());
    let stored = app
        .db
        .client()
        .await
        .query_one("SELECT ciphertext FROM sso_configs", &[])
        .await
        .expect("row");
    let sealed: Vec<u8> = stored.get(0);
    assert!(
        !String::from_utf8_lossy(&sealed).contains(SECRET),
        "stored encrypted"
    );
}

#[tokio::test]
async fn unknown_people_of_an_allowed_domain_become_users_with_the_mapped_role() {
    let p = Provider::start(ec_key("ec-1")).await;
    let app = app().await;
    let extra = json!({"allowed_email_domains": ["Corp.Example"], "default_role": "auditor",
                       "role_claim": "groups", "role_map": {"vault-admins": "admin", "staff": "member"}});
    let (ws, owner) = configured(&app, &p, extra).await;

    let res = sign_in_as(&app, &p, &ws, "carol@corp.example", |c| {
        c["groups"] = json!(["staff", "vault-admins"]);
    })
    .await;
    assert_eq!(res.status(), 200, "ES256 token accepted");
    let code: Value = res.json().await.expect("json");
    let tokens: Value = exchange(&app, code["login_code"].as_str().expect("code"))
        .await
        .json()
        .await
        .expect("json");
    let me: Value = app
        .get_as(tokens["access_token"].as_str().expect("at"), "/v1/me")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(me["email"], "carol@corp.example");
    assert_eq!(me["role"], "admin", "the highest mapped role");

    let dave = signed_in(&app, &p, &ws, "dave@corp.example").await;
    let me: Value = app
        .get_as(&dave, "/v1/me")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(me["role"], "auditor", "no mapped group: the default role");
    let (status, body) = problem(app.login("dave@corp.example", PASSWORD).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("invalid_credentials")),
        "a user made by SSO has no password"
    );

    let (status, body) =
        problem(sign_in_as(&app, &p, &ws, "eve@elsewhere.example", |_| {}).await).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("sso_refused")));
    assert!(
        body["detail"].as_str().expect("detail").contains("domain"),
        "{body}"
    );
    assert!(
        !body.to_string().contains("eve@"),
        "no token content echoed: {body}"
    );

    let events = audit_export(&app, &owner).await;
    let created: Vec<Value> = events
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["action"] == "user.created" && e["details"]["method"] == "sso")
        .collect();
    assert_eq!(created.len(), 2, "carol and dave, created by SSO: {events}");
}

/// A change to a good ID token's claims.
type Edit = Box<dyn FnOnce(&mut Value)>;

#[tokio::test]
async fn id_tokens_that_do_not_validate_are_refused_with_the_reason() {
    let (p, app, ws, owner) = with_bob(rsa_key("rsa-1")).await;
    let now = chrono::Utc::now().timestamp();
    let cases: Vec<(&str, Edit)> = vec![
        (
            "another client",
            Box::new(|c| c["aud"] = json!("someone-else")),
        ),
        (
            "nonce",
            Box::new(|c| c["nonce"] = json!("a-replayed-nonce")),
        ),
        ("expired", Box::new(move |c| c["exp"] = json!(now - 600))),
        (
            "another issuer",
            Box::new(|c| c["iss"] = json!("https://evil.example")),
        ),
        (
            "not verified",
            Box::new(|c| c["email_verified"] = json!(false)),
        ),
        (
            "not verified",
            Box::new(|c| {
                c.as_object_mut().expect("obj").remove("email_verified");
            }),
        ),
    ];
    for (reason, edit) in cases {
        let (status, body) =
            problem(sign_in_as(&app, &p, &ws, "bob@example.com", edit).await).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (403, Some("sso_refused")),
            "{reason}: {body}"
        );
        let detail = body["detail"].as_str().expect("detail");
        assert!(detail.contains(reason), "{reason}: {detail}");
        assert!(
            !detail.contains("bob@"),
            "no token content echoed: {detail}"
        );
    }
    // Signed by a key that is not the provider's, under the kid of one of its keys.
    let published = ec_key("ec-1");
    let forged = SigningKey {
        kid: "ec-1".into(),
        ..ec_key("forger")
    };
    p.with(|i| {
        i.published.push(published.jwk.clone());
        i.signer = Some(forged);
    });
    let (status, body) = problem(sign_in_as(&app, &p, &ws, "bob@example.com", |_| {}).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("sso_refused")),
        "{body}"
    );
    assert!(
        body["detail"]
            .as_str()
            .expect("detail")
            .contains("signature"),
        "{body}"
    );
    // A disabled user is refused too.
    p.with(|i| i.signer = Some(rsa_key("rsa-1")));
    let bob = app
        .get_as(&owner, "/v1/users")
        .await
        .json::<Value>()
        .await
        .expect("json")["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|u| u["email"] == "bob@example.com")
        .expect("bob")["id"]
        .clone();
    let res = app
        .patch_as(
            &owner,
            &format!("/v1/users/{}", bob.as_str().expect("id")),
            &json!({"disabled": true}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let (status, body) = problem(sign_in_as(&app, &p, &ws, "bob@example.com", |_| {}).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("account_disabled")),
        "{body}"
    );
    let events = audit_export(&app, &owner).await;
    let failed = events
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|e| e["action"] == "auth.login_failed" && e["details"]["method"] == "sso")
        .unwrap_or_else(|| panic!("the refused SSO sign-in is audited: {events}"));
    assert_eq!(failed["target"]["id"], bob);
    // The provider's refusal is told by its error code only.
    let q = start(&app, &ws, None).await;
    let res = app
        .get(&format!(
            "/v1/auth/sso/callback?state={}&error=access_denied&error_description=%3Cscript%3E",
            q["state"]
        ))
        .await;
    let (status, body) = problem(res).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("sso_refused")));
    let detail = body["detail"].as_str().expect("detail");
    assert!(
        detail.contains("access_denied") && !detail.contains("script"),
        "{detail}"
    );
}

#[tokio::test]
async fn a_rotated_signing_key_refetches_the_jwks_once() {
    let (p, app, ws, _) = with_bob(ec_key("ec-1")).await;
    signed_in(&app, &p, &ws, "bob@example.com").await;
    signed_in(&app, &p, &ws, "bob@example.com").await;
    assert_eq!(p.with(|i| i.jwks_hits), 1, "the JWKS is cached");
    let next = ec_key("ec-2");
    p.with(|i| {
        i.published = vec![next.jwk.clone()];
        i.signer = Some(next);
    });
    signed_in(&app, &p, &ws, "bob@example.com").await;
    assert_eq!(p.with(|i| i.jwks_hits), 2, "a new kid refetched once");
    signed_in(&app, &p, &ws, "bob@example.com").await;
    assert_eq!(p.with(|i| i.jwks_hits), 2, "and the new set is cached");
}

#[tokio::test]
async fn enforced_sso_refuses_password_sign_in_to_members_but_not_owners() {
    let p = Provider::start(rsa_key("rsa-1")).await;
    let app = app().await;
    let (_, owner) = configured(&app, &p, json!({"enforce": true})).await;
    app.post_as(&owner, "/v1/users", &json!({"email": "m@example.com", "display_name": "M", "role": "member", "password": PASSWORD})).await;
    let (status, body) = problem(app.login("m@example.com", PASSWORD).await).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("sso_required")));
    let (status, body) = problem(app.login("m@example.com", "a wrong password!").await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("invalid_credentials")),
        "told only after the password is right"
    );
    assert_eq!(
        app.login("owner@example.com", PASSWORD).await.status(),
        200,
        "owners keep a way in"
    );
    assert_eq!(app.delete_as(&owner, "/v1/sso").await.status(), 204);
    assert_eq!(
        app.login("m@example.com", PASSWORD).await.status(),
        200,
        "no SSO, no enforcement"
    );
    let events = audit_export(&app, &owner).await;
    assert!(events.contains("\"sso.deleted\""), "{events}");
    let refused = events
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["action"] == "auth.login_failed" && e["details"]["reason"] == "sso_required")
        .count();
    assert_eq!(
        refused, 1,
        "the refused password sign-in is audited: {events}"
    );
}

#[tokio::test]
async fn the_configuration_is_checked_and_only_owners_change_it() {
    let p = Provider::start(rsa_key("rsa-1")).await;
    let app = app().await;
    let (body, owner) = app.signup("owner@example.com").await;
    let ws = body["workspace"]["id"].as_str().expect("ws").to_string();
    let field_of = |b: &Value| b["errors"][0]["field"].as_str().unwrap_or("").to_string();

    let (status, _) = problem(
        app.get(&format!("/v1/auth/sso/start?workspace_id={ws}"))
            .await,
    )
    .await;
    assert_eq!(status, 404, "no SSO in this workspace");
    let (status, _) = problem(app.get_as(&owner, "/v1/sso").await).await;
    assert_eq!(status, 404);

    p.with(|i| i.issuer_named = Some("https://someone-else.example".into()));
    let (status, body) = problem(put_sso(&app, &owner, &p, json!({})).await).await;
    assert_eq!(
        (status, field_of(&body).as_str()),
        (422, "issuer"),
        "{body}"
    );
    p.with(|i| i.issuer_named = None);

    let res = app
        .put_json_as(
            &owner,
            "/v1/sso",
            &json!({"issuer": "https://10.20.30.40", "client_id": "c", "client_secret": "s"}),
        )
        .await;
    let (status, body) = problem(res).await;
    assert_eq!(
        (status, field_of(&body).as_str()),
        (422, "issuer"),
        "a private address is refused: {body}"
    );
    assert!(
        body.to_string().contains("CREDVAULT_OUTBOUND_ALLOW"),
        "{body}"
    );

    let res = app
        .put_json_as(
            &owner,
            "/v1/sso",
            &json!({"issuer": "http://login.example.com", "client_id": "c", "client_secret": "s"}),
        )
        .await;
    let (status, body) = problem(res).await;
    assert_eq!((status, field_of(&body).as_str()), (422, "issuer"));
    assert!(
        body.to_string().contains("https"),
        "plain http is refused: {body}"
    );
    let (status, body) = problem(app.get("/v1/auth/sso/start").await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("invalid_request")),
        "no workspace_id"
    );

    let (status, body) =
        problem(put_sso(&app, &owner, &p, json!({"default_role": "owner"})).await).await;
    assert_eq!((status, field_of(&body).as_str()), (422, "default_role"));
    let res = app
        .put_json_as(&owner, "/v1/sso", &json!({"issuer": p.issuer}))
        .await;
    let (status, body) = problem(res).await;
    assert_eq!(status, 422);
    assert_eq!(
        body["errors"].as_array().map(Vec::len),
        Some(2),
        "client_id and client_secret: {body}"
    );

    let (_, admin) = app
        .user_with_role(&owner, "admin@example.com", "admin")
        .await;
    let (_, member) = app
        .user_with_role(&owner, "member@example.com", "member")
        .await;
    let (status, _) = problem(put_sso(&app, &admin, &p, json!({})).await).await;
    assert_eq!(status, 403, "an admin cannot configure SSO");
    assert_eq!(put_sso(&app, &owner, &p, json!({})).await.status(), 200);
    assert_eq!(
        app.get_as(&admin, "/v1/sso").await.status(),
        200,
        "an admin reads it"
    );
    assert_eq!(problem(app.get_as(&member, "/v1/sso").await).await.0, 403);
    assert_eq!(problem(app.delete_as(&admin, "/v1/sso").await).await.0, 403);

    let res = app
        .get(&format!(
            "/v1/auth/sso/start?workspace_id={ws}&return_to=https%3A%2F%2Fevil.example%2F"
        ))
        .await;
    let (status, body) = problem(res).await;
    assert_eq!((status, field_of(&body).as_str()), (422, "return_to"));
}

#[tokio::test]
async fn an_application_asking_for_json_gets_the_provider_url_instead_of_a_redirect() {
    let p = Provider::start(rsa_key("rsa-1")).await;
    let app = app().await;
    let (ws, _) = configured(&app, &p, json!({})).await;
    let res = app
        .client
        .get(app.url(&format!("/v1/auth/sso/start?workspace_id={ws}")))
        .header("accept", "application/json")
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.expect("json");
    let url = body["authorization_url"].as_str().expect("url");
    assert!(
        url.starts_with(&format!("{}/authorize?", p.issuer)),
        "{url}"
    );
    assert_eq!(query_of(url)["code_challenge_method"], "S256");
}

/// `keys rotate` re-wraps the sealed client secret too, so the old master key can be retired.
#[tokio::test]
async fn key_rotation_rewraps_the_client_secret() {
    use credvault_crypto::{Envelope, Keyring, MasterKey, Sealed};
    let p = Provider::start(rsa_key("rsa-1")).await;
    let app = app().await;
    let (ws, _) = configured(&app, &p, json!({})).await;
    let old = MasterKey::from_base64(crate::helpers::TEST_MASTER_KEY).expect("key");
    let old_id = old.id().to_string();
    let new = || MasterKey::from_base64(&STANDARD.encode([7u8; 32])).expect("key");
    let new_id = new().id().to_string();
    let pool = credvault_store::connect(&app.db.url, 2).expect("pool");
    let both = Envelope::new(Keyring::new(new(), vec![old]));
    let before = credvault_api::keys::status(&pool, &both)
        .await
        .expect("status");
    assert_eq!(
        before.iter().find(|c| c.kek_id == old_id).map(|c| c.deks),
        Some(1),
        "the secret's key is counted"
    );
    let n = credvault_api::keys::rotate(&pool, &both, 100, |_| {})
        .await
        .expect("rotate");
    assert_eq!(n, 1);
    let row = app
        .db
        .client()
        .await
        .query_one(
            "SELECT kek_id, wrapped_dek, nonce, ciphertext FROM sso_configs",
            &[],
        )
        .await
        .expect("row");
    let sealed = Sealed {
        kek_id: row.get(0),
        wrapped_dek: row.get(1),
        nonce: row.get(2),
        ciphertext: row.get(3),
    };
    assert_eq!(sealed.kek_id, new_id);
    let ws: uuid::Uuid = ws.parse().expect("uuid");
    let new_only = Envelope::new(Keyring::new(new(), vec![]));
    let plain = new_only
        .open(&sealed, &credvault_domain::sealing::sso_secret_aad(ws))
        .expect("opens with the new key alone");
    assert_eq!(plain.expose(), SECRET.as_bytes());
    assert_eq!(
        credvault_api::keys::rotate(&pool, &both, 100, |_| {})
            .await
            .expect("again"),
        0
    );
}
