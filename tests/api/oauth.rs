//! Connection tests, the outbound rules, and OAuth2 (client credentials, refresh, the
//! authorization-code flow with PKCE, resolve-time refresh, exactly one refresh across
//! instances), against a real local HTTP server standing in for the other services.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use base64::Engine as _;
use serde_json::{json, Value};

use crate::helpers::{captured_logs, metrics, problem, ServeProcess, TestApp, TestDb};

/// What the fake token endpoint answers next.
#[derive(Clone, Debug)]
enum Answer {
    /// A token; `rotate` also sends a new refresh token.
    Token {
        expires_in: i64,
        rotate: bool,
    },
    InvalidGrant,
    Status(u16),
}

#[derive(Default)]
struct Seen {
    token_forms: Vec<String>,
    token_auth: Vec<String>,
    echo_auth: Vec<String>,
    echo_headers: Vec<(String, String)>,
    echo_query: Vec<String>,
}

/// A local stand-in for a provider and a service: `/token`, `/echo/{status}`, `/sleep`,
/// `/redirect?to=`.
struct Provider {
    address: String,
    calls: Arc<AtomicUsize>,
    script: Arc<Mutex<VecDeque<Answer>>>,
    default: Arc<Mutex<Answer>>,
    seen: Arc<Mutex<Seen>>,
    issued: Arc<Mutex<Vec<String>>>,
    /// Held (written) by a test, the token endpoint answers nothing until it is let go.
    gate: Arc<tokio::sync::RwLock<()>>,
}

#[derive(Clone)]
struct ProviderState {
    calls: Arc<AtomicUsize>,
    script: Arc<Mutex<VecDeque<Answer>>>,
    default: Arc<Mutex<Answer>>,
    seen: Arc<Mutex<Seen>>,
    issued: Arc<Mutex<Vec<String>>>,
    delay_ms: Arc<AtomicUsize>,
    gate: Arc<tokio::sync::RwLock<()>>,
    tag: String,
}

async fn token(st: web::Data<ProviderState>, req: HttpRequest, body: String) -> HttpResponse {
    let n = st.calls.fetch_add(1, Ordering::SeqCst) + 1;
    {
        let mut seen = st.seen.lock().expect("lock");
        seen.token_forms.push(body);
        seen.token_auth.push(
            req.headers()
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string(),
        );
    }
    let _open = st.gate.read().await;
    let delay = st.delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay as u64)).await;
    }
    let answer = st
        .script
        .lock()
        .expect("lock")
        .pop_front()
        .unwrap_or_else(|| st.default.lock().expect("lock").clone());
    match answer {
        Answer::Token { expires_in, rotate } => {
            let access = format!("at-{}-{n}-{}", st.tag, "x".repeat(8));
            let mut body =
                json!({"access_token": access, "token_type": "Bearer", "expires_in": expires_in});
            st.issued.lock().expect("lock").push(access);
            if rotate {
                let refresh = format!("rt-{}-{n}-rotated", st.tag);
                body["refresh_token"] = json!(refresh);
                st.issued.lock().expect("lock").push(refresh);
            }
            HttpResponse::Ok().json(body)
        }
        Answer::InvalidGrant => HttpResponse::BadRequest()
            .json(json!({"error": "invalid_grant", "error_description": "token revoked"})),
        Answer::Status(s) => {
            HttpResponse::build(actix_web::http::StatusCode::from_u16(s).expect("status"))
                .json(json!({"error": "server_error"}))
        }
    }
}

async fn echo(
    st: web::Data<ProviderState>,
    req: HttpRequest,
    status: web::Path<u16>,
) -> HttpResponse {
    let mut seen = st.seen.lock().expect("lock");
    seen.echo_auth.push(
        req.headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string(),
    );
    for (k, v) in req.headers() {
        seen.echo_headers
            .push((k.as_str().to_string(), v.to_str().unwrap_or("").to_string()));
    }
    seen.echo_query.push(req.query_string().to_string());
    HttpResponse::build(actix_web::http::StatusCode::from_u16(*status).expect("status")).finish()
}

async fn sleep() -> HttpResponse {
    tokio::time::sleep(Duration::from_secs(5)).await;
    HttpResponse::Ok().finish()
}

async fn redirect(req: HttpRequest) -> HttpResponse {
    let to = url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "to")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    HttpResponse::Found()
        .insert_header(("location", to))
        .finish()
}

impl Provider {
    async fn start(tag: &str) -> Provider {
        let st = ProviderState {
            calls: Arc::default(),
            script: Arc::default(),
            default: Arc::new(Mutex::new(Answer::Token {
                expires_in: 3600,
                rotate: false,
            })),
            seen: Arc::default(),
            issued: Arc::default(),
            delay_ms: Arc::default(),
            gate: Arc::default(),
            tag: tag.to_string(),
        };
        let data = web::Data::new(st.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/token", web::post().to(token))
                .route("/echo/{status}", web::to(echo))
                .route("/sleep", web::get().to(sleep))
                .route("/redirect", web::get().to(redirect))
        })
        .workers(1)
        .disable_signals()
        .bind("127.0.0.1:0")
        .expect("bind");
        let port = server.addrs()[0].port();
        tokio::spawn(server.run());
        Provider {
            address: format!("http://127.0.0.1:{port}"),
            calls: st.calls,
            script: st.script,
            default: st.default,
            seen: st.seen,
            issued: st.issued,
            gate: st.gate,
        }
    }

    fn then(&self, a: Answer) {
        self.script.lock().expect("lock").push_back(a);
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

/// A server allowed to reach 127.0.0.1 (and only that loopback address), with a short outbound
/// timeout and a fast background refresher.
async fn app() -> TestApp {
    TestApp::spawn_with(|s| {
        s.outbound_allow = "127.0.0.1/32".into();
        s.outbound_timeout_secs = 2;
        s.refresh_interval_secs = 1;
        s.cors_origins = "https://app.example.com".into();
        s.public_url = Some("https://vault.example.com".into());
    })
    .await
}

async fn created(app: &TestApp, token: &str, body: Value) -> String {
    let res = app.post_as(token, "/v1/credentials", &body).await;
    assert_eq!(res.status(), 201, "create");
    res.json::<Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .to_string()
}

async fn test_of(app: &TestApp, token: &str, id: &str) -> Value {
    let res = app
        .post_as(token, &format!("/v1/credentials/{id}/test"), &json!({}))
        .await;
    assert_eq!(res.status(), 200);
    res.json().await.expect("json")
}

async fn get(app: &TestApp, token: &str, path: &str) -> Value {
    app.get_as(token, path).await.json().await.expect("json")
}

/// An engine token and a workflow owned by the signed-up owner, for resolves.
async fn engine(app: &TestApp, owner: &str, owner_id: &str) -> String {
    let engine = app.engine_token(owner).await;
    let res = app
        .put_json_as(
            &engine,
            "/v1/workflows/wf-1",
            &json!({"name": "flow", "owner_id": owner_id, "credential_ids": []}),
        )
        .await;
    assert_eq!(res.status(), 201);
    engine
}

async fn resolve(app_url: &str, engine: &str, id: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{app_url}/v1/credentials/{id}/resolve"))
        .bearer_auth(engine)
        .json(&json!({"workflow_id": "wf-1"}))
        .send()
        .await
        .expect("resolve")
}

/// A resolve's answer body.
async fn resolved(app_url: &str, engine: &str, id: &str) -> Value {
    resolve(app_url, engine, id)
        .await
        .json()
        .await
        .expect("json")
}

/// The workspace owner's access token, and an engine token whose workflow `wf-1` they own.
async fn owner_and_engine(app: &TestApp) -> (String, String) {
    let (signup, owner) = app.signup("ada@example.com").await;
    let owner_id = signup["user"]["id"].as_str().expect("id");
    let engine = engine(app, &owner, owner_id).await;
    (owner, engine)
}

fn oauth_cc(p: &Provider, extra: Value) -> Value {
    let mut data = json!({"grant_type": "client_credentials", "client_id": "cid-1", "client_secret": "cs-very-secret-client-0001",
                          "token_url": format!("{}/token", p.address), "scopes": ["read", "write"]});
    if let (Some(d), Some(e)) = (data.as_object_mut(), extra.as_object()) {
        d.extend(e.clone());
    }
    json!({"name": "Provider", "service": "provider", "type": "oauth2", "data": data,
           "test": {"url": format!("{}/echo/200", p.address)}})
}

fn in_secs(s: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::seconds(s)).to_rfc3339()
}

#[tokio::test]
async fn connection_tests_apply_each_type_and_record_the_outcome() {
    let app = app().await;
    let p = Provider::start("types").await;
    let (_, owner) = app.signup("ada@example.com").await;
    let header = created(&app, &owner, json!({"name": "Header key", "service": "s", "type": "api_key",
        "data": {"key": "key-in-a-header-000001", "name": "X-Api-Key", "prefix": "Key "}, "test": {"url": format!("{}/echo/200", p.address)}})).await;
    let query = created(&app, &owner, json!({"name": "Query key", "service": "s", "type": "api_key",
        "data": {"key": "key-in-a-query-000002", "placement": "query", "name": "api_key"}, "test": {"url": format!("{}/echo/204?x=1", p.address), "method": "POST"}})).await;
    let basic = created(&app, &owner, json!({"name": "Basic", "service": "s", "type": "basic_auth",
        "data": {"username": "bob", "password": "basic-password-000003"}, "test": {"url": format!("{}/echo/200", p.address), "method": "HEAD"}})).await;
    let bearer = created(&app, &owner, json!({"name": "OAuth", "service": "s", "type": "oauth2",
        "data": {"grant_type": "authorization_code", "client_id": "c", "client_secret": "oauth-client-secret-04", "authorization_url": format!("{}/authorize", p.address),
                 "token_url": format!("{}/token", p.address), "access_token": "stored-access-token-000004", "token_expires_at": in_secs(3600)},
        "test": {"url": format!("{}/echo/200", p.address)}})).await;
    let custom = created(&app, &owner, json!({"name": "Custom", "service": "s", "type": "custom",
        "data": {"account": "acme", "token": "custom token/0005"}, "test": {"url": format!("{}/echo/200?acct={{{{account}}}}&t={{{{token}}}}", p.address)}})).await;
    for id in [&header, &query, &basic, &bearer, &custom] {
        let r = test_of(&app, &owner, id).await;
        assert_eq!(r["ok"], true, "{r}");
        assert!(r["status_code"]
            .as_u64()
            .is_some_and(|c| c == 200 || c == 204));
        assert!(r["latency_ms"].is_u64());
        assert!(r["error"].is_null());
        assert!(r["tested_at"].is_string());
    }
    {
        let seen = p.seen.lock().expect("lock");
        assert!(seen
            .echo_headers
            .contains(&("x-api-key".into(), "Key key-in-a-header-000001".into())));
        assert!(
            seen.echo_query
                .contains(&"x=1&api_key=key-in-a-query-000002".to_string()),
            "{:?}",
            seen.echo_query
        );
        let basic_header = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("bob:basic-password-000003")
        );
        assert!(seen.echo_auth.contains(&basic_header));
        assert!(seen
            .echo_auth
            .contains(&"Bearer stored-access-token-000004".to_string()));
        assert!(
            seen.echo_query
                .contains(&"acct=acme&t=custom+token%2F0005".to_string()),
            "{:?}",
            seen.echo_query
        );
    }
    let c = get(&app, &owner, &format!("/v1/credentials/{header}")).await;
    assert_eq!(c["status"], "active");
    let events = get(&app, &owner, &format!("/v1/credentials/{header}/audit")).await;
    let tested = events["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|e| e["action"] == "credential.tested")
        .cloned()
        .expect("tested event");
    assert_eq!(tested["outcome"], "success");
    assert_eq!(tested["details"]["status_code"], 200);
    // The result and the event carry no secret.
    assert!(!events.to_string().contains("key-in-a-header-000001"));
}

#[tokio::test]
async fn connection_test_failures_say_what_to_do_and_set_the_status() {
    let app = app().await;
    let p = Provider::start("fail").await;
    let (_, owner) = app.signup("ada@example.com").await;
    let make = |url: String| json!({"name": "K", "service": "s", "type": "api_key", "data": {"key": "failing-key-000000001"}, "test": {"url": url}});
    let cases = [
        (
            format!("{}/echo/401", p.address),
            "401 from 127.0.0.1: check the key",
        ),
        (
            format!("{}/echo/500", p.address),
            "500 from 127.0.0.1: the service is failing",
        ),
        (
            format!("{}/echo/404", p.address),
            "404 from 127.0.0.1: check the test URL",
        ),
        (format!("{}/sleep", p.address), "did not answer within 2 s"),
        // Only 127.0.0.1/32 is allowed: another loopback address is refused without a call,
        // and so is a redirect to one.
        ("http://127.0.0.2:9/".to_string(), "127.0.0.2"),
        (
            format!(
                "{}/redirect?to=http%3A%2F%2F127.0.0.2%3A9%2Fsecret",
                p.address
            ),
            "127.0.0.2",
        ),
        ("http://[::1]:9/".to_string(), "a loopback address"),
        ("http://10.1.2.3/".to_string(), "a private address"),
    ];
    for (url, expected) in cases {
        let id = created(&app, &owner, make(url.clone())).await;
        let r = test_of(&app, &owner, &id).await;
        assert_eq!(r["ok"], false, "{url}: {r}");
        let err = r["error"].as_str().expect("error");
        assert!(err.contains(expected), "{url}: {err}");
        assert!(!err.contains("failing-key"), "{err}");
        let c = get(&app, &owner, &format!("/v1/credentials/{id}")).await;
        assert_eq!(c["status"], "error", "{url}");
        assert_eq!(c["status_detail"].as_str(), Some(err));
        let events = get(&app, &owner, &format!("/v1/credentials/{id}/audit")).await;
        assert!(events["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|e| e["action"] == "credential.tested" && e["outcome"] == "failure"));
    }
    // A later success clears the error.
    let id = created(&app, &owner, make(format!("{}/echo/401", p.address))).await;
    assert_eq!(test_of(&app, &owner, &id).await["ok"], false);
    let res = app
        .patch_as(
            &owner,
            &format!("/v1/credentials/{id}"),
            &json!({"test": {"url": format!("{}/echo/200", p.address)}}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(test_of(&app, &owner, &id).await["ok"], true);
    assert_eq!(
        get(&app, &owner, &format!("/v1/credentials/{id}")).await["status"],
        "active"
    );
    // No test request: 422; deleted: 410.
    let bare = created(
        &app,
        &owner,
        json!({"name": "Bare", "service": "s", "type": "api_key", "data": {"key": "k"}}),
    )
    .await;
    let (status, body) = problem(
        app.post_as(&owner, &format!("/v1/credentials/{bare}/test"), &json!({}))
            .await,
    )
    .await;
    assert_eq!(
        (status, body["errors"][0]["field"].as_str()),
        (422, Some("test"))
    );
    assert_eq!(
        app.delete_as(&owner, &format!("/v1/credentials/{id}"))
            .await
            .status(),
        200
    );
    let (status, body) = problem(
        app.post_as(&owner, &format!("/v1/credentials/{id}/test"), &json!({}))
            .await,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (410, Some("credential_deleted"))
    );
}

#[tokio::test]
async fn by_default_loopback_and_names_resolving_to_it_are_refused() {
    let app = TestApp::spawn().await;
    let p = Provider::start("default").await;
    let (_, owner) = app.signup("ada@example.com").await;
    let port = p.address.rsplit(':').next().expect("port");
    for url in [
        format!("{}/echo/200", p.address),
        format!("http://localhost:{port}/echo/200"),
    ] {
        let id = created(&app, &owner, json!({"name": "K", "service": "s", "type": "api_key", "data": {"key": "k"}, "test": {"url": url}})).await;
        let r = test_of(&app, &owner, &id).await;
        let err = r["error"].as_str().expect("error");
        assert!(
            err.contains("refused by the outbound rules") && err.contains("loopback"),
            "{err}"
        );
        assert!(err.contains("CREDVAULT_OUTBOUND_ALLOW"), "{err}");
    }
    assert_eq!(
        p.seen.lock().expect("lock").echo_auth.len(),
        0,
        "nothing was sent"
    );
}

#[tokio::test]
async fn client_credentials_tokens_are_fetched_when_first_needed_and_refreshed_near_expiry() {
    let app = app().await;
    let p = Provider::start("cc").await;
    let (owner, engine) = owner_and_engine(&app).await;
    let id = created(&app, &owner, oauth_cc(&p, json!({}))).await;
    p.then(Answer::Token {
        expires_in: 30,
        rotate: false,
    });
    let res = resolve(&app.address, &engine, &id).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["data"]["access_token"], "at-cc-1-xxxxxxxx");
    assert_eq!(body["version"], 2);
    assert!(body["token_expires_at"].is_string());
    assert_eq!(p.calls(), 1);
    {
        let seen = p.seen.lock().expect("lock");
        assert_eq!(
            seen.token_forms[0],
            "grant_type=client_credentials&scope=read+write"
        );
        let basic = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("cid-1:cs-very-secret-client-0001")
        );
        assert_eq!(seen.token_auth[0], basic);
    }
    // That token expires within a minute: the next resolve refreshes it first.
    let body: Value = resolved(&app.address, &engine, &id).await;
    assert_eq!(body["data"]["access_token"], "at-cc-2-xxxxxxxx");
    assert_eq!(p.calls(), 2);
    // An hour-long token is served as it is.
    let body: Value = resolved(&app.address, &engine, &id).await;
    assert_eq!(body["data"]["access_token"], "at-cc-2-xxxxxxxx");
    assert_eq!(p.calls(), 2);
    let versions = get(&app, &owner, &format!("/v1/credentials/{id}/versions")).await;
    let reasons: Vec<&str> = versions["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|v| v["reason"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(reasons, ["refreshed", "refreshed", "created"]);
    let c = get(&app, &owner, &format!("/v1/credentials/{id}")).await;
    assert_eq!(
        c["data"]["access_token"]
            .as_str()
            .map(|s| s.starts_with("••••")),
        Some(true)
    );
}

/// Secrets are decrypted only where they are needed: a create answers from what it wrote (no
/// decrypt), a resolve that refreshes first opens the stored version, the refresh reuses what it
/// read for the call when nothing changed meanwhile, and the resolve opens the new version once.
#[tokio::test]
async fn a_create_decrypts_nothing_and_a_refreshing_resolve_decrypts_once_after_the_refresh() {
    // No background refresher in the way of the counts.
    let app = TestApp::spawn_with(|s| {
        s.outbound_allow = "127.0.0.1/32".into();
        s.refresh_interval_secs = 3600;
    })
    .await;
    let p = Provider::start("count").await;
    let (owner, engine) = owner_and_engine(&app).await;
    let opens = || async { metrics(&app.address).await("credvault_secret_opens_total") };
    let before = opens().await;
    let id = created(&app, &owner, oauth_cc(&p, json!({}))).await;
    assert_eq!(opens().await, before, "a create decrypts nothing");
    p.then(Answer::Token {
        expires_in: 3600,
        rotate: false,
    });
    let body = resolved(&app.address, &engine, &id).await;
    assert_eq!(body["data"]["access_token"], "at-count-1-xxxxxxxx");
    assert_eq!(p.calls(), 1);
    // The resolve's first look (no token yet), the refresh's read for the token endpoint, and
    // the new version for the answer: nothing opened twice.
    assert_eq!(opens().await, before + 3, "a refreshing resolve");
    let body = resolved(&app.address, &engine, &id).await;
    assert_eq!(body["version"], 2);
    assert_eq!(
        opens().await,
        before + 4,
        "a resolve of a fresh token decrypts once"
    );
}

#[tokio::test]
async fn the_background_refresher_refreshes_used_tokens_ahead_of_expiry() {
    let app = app().await;
    let p = Provider::start("bg").await;
    let (owner, engine) = owner_and_engine(&app).await;
    // 100 s left: inside the 2-minute refresh-ahead window, outside resolve's 60 s.
    let id = created(
        &app,
        &owner,
        oauth_cc(
            &p,
            json!({"access_token": "old-access-token-0001", "token_expires_at": in_secs(100)}),
        ),
    )
    .await;
    let body: Value = resolved(&app.address, &engine, &id).await;
    assert_eq!(
        body["data"]["access_token"], "old-access-token-0001",
        "served at once"
    );
    // The refreshed token is stored and served (polled with a deadline, not a fixed sleep); by
    // then the background refresh is over, and it called the provider once.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let body: Value = resolved(&app.address, &engine, &id).await;
        if body["data"]["access_token"] == "at-bg-1-xxxxxxxx" {
            break;
        }
        assert_eq!(body["data"]["access_token"], "old-access-token-0001");
        assert!(
            std::time::Instant::now() < deadline,
            "the background refresh did not land within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(p.calls(), 1, "refreshed once, in the background");
    let events = get(&app, &owner, &format!("/v1/credentials/{id}/audit")).await;
    assert!(events["items"]
        .as_array()
        .expect("items")
        .iter()
        .any(|e| e["action"] == "credential.refreshed"));
}

#[tokio::test]
async fn refresh_keeps_an_omitted_refresh_token_stores_a_rotated_one_and_treats_invalid_grant_as_terminal(
) {
    let app = app().await;
    let p = Provider::start("rt").await;
    let (owner, engine) = owner_and_engine(&app).await;
    let id = created(&app, &owner, json!({"name": "Google", "service": "google", "type": "oauth2", "data": {
        "grant_type": "authorization_code", "client_id": "cid", "client_secret": "rt-client-secret-00001",
        "authorization_url": "https://accounts.example.com/auth", "token_url": format!("{}/token", p.address),
        "access_token": "first-access-token-0001", "refresh_token": "first-refresh-token-001", "token_expires_at": in_secs(3600)}})).await;
    let path = format!("/v1/credentials/{id}/refresh");
    // The provider omits the refresh token: the stored one is kept.
    p.then(Answer::Token {
        expires_in: 3600,
        rotate: false,
    });
    let res = app.post_as(&owner, &path, &json!({})).await;
    assert_eq!(res.status(), 200);
    let r: Value = res.json().await.expect("json");
    assert_eq!(r["ok"], true);
    assert!(r["token_expires_at"].is_string());
    assert_eq!(
        p.seen.lock().expect("lock").token_forms[0],
        "grant_type=refresh_token&refresh_token=first-refresh-token-001"
    );
    let body: Value = resolved(&app.address, &engine, &id).await;
    assert_eq!(body["data"]["access_token"], "at-rt-1-xxxxxxxx");
    assert_eq!(body["data"]["refresh_token"], "first-refresh-token-001");
    // The provider rotates it: the new one is stored with the access token.
    p.then(Answer::Token {
        expires_in: 3600,
        rotate: true,
    });
    assert_eq!(app.post_as(&owner, &path, &json!({})).await.status(), 200);
    let body: Value = resolved(&app.address, &engine, &id).await;
    assert_eq!(body["data"]["access_token"], "at-rt-2-xxxxxxxx");
    assert_eq!(body["data"]["refresh_token"], "rt-rt-2-rotated");
    p.then(Answer::Token {
        expires_in: 3600,
        rotate: false,
    });
    assert_eq!(app.post_as(&owner, &path, &json!({})).await.status(), 200);
    assert!(p.seen.lock().expect("lock").token_forms[2].ends_with("refresh_token=rt-rt-2-rotated"));
    // A transient failure: 503 upstream_unavailable, status error, the token still served.
    p.then(Answer::Status(502));
    let (status, body) = problem(app.post_as(&owner, &path, &json!({})).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (503, Some("upstream_unavailable"))
    );
    assert_eq!(
        get(&app, &owner, &format!("/v1/credentials/{id}")).await["status"],
        "error"
    );
    assert_eq!(resolve(&app.address, &engine, &id).await.status(), 200);
    // invalid_grant: 409 reauthorization_required with a ready authorization URL; expired.
    p.then(Answer::InvalidGrant);
    let (status, body) = problem(app.post_as(&owner, &path, &json!({})).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("reauthorization_required"))
    );
    let url = body["authorization_url"]
        .as_str()
        .expect("authorization_url");
    assert!(
        url.starts_with("https://accounts.example.com/auth?response_type=code&client_id=cid"),
        "{url}"
    );
    assert!(url.contains("code_challenge_method=S256"));
    let c = get(&app, &owner, &format!("/v1/credentials/{id}")).await;
    assert_eq!(c["status"], "expired");
    assert!(c["status_detail"]
        .as_str()
        .is_some_and(|d| d.contains("invalid_grant")));
    let (status, body) = problem(resolve(&app.address, &engine, &id).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("credential_expired"))
    );
    let events = get(&app, &owner, &format!("/v1/credentials/{id}/audit")).await;
    let actions: Vec<&str> = events["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| e["action"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        actions
            .iter()
            .filter(|a| **a == "credential.refreshed")
            .count(),
        3
    );
    assert_eq!(
        actions
            .iter()
            .filter(|a| **a == "credential.refresh_failed")
            .count(),
        2
    );
    let versions = get(&app, &owner, &format!("/v1/credentials/{id}/versions")).await;
    assert_eq!(versions["items"][0]["reason"], "refreshed");
    // Not oauth2: 422.
    let key = created(
        &app,
        &owner,
        json!({"name": "K", "service": "s", "type": "api_key", "data": {"key": "k"}}),
    )
    .await;
    let (status, _) = problem(
        app.post_as(
            &owner,
            &format!("/v1/credentials/{key}/refresh"),
            &json!({}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn on_resolve_an_unreachable_provider_serves_a_valid_token_or_answers_503_and_backs_off() {
    let app = app().await;
    let p = Provider::start("down").await;
    let (owner, engine) = owner_and_engine(&app).await;
    *p.default.lock().expect("lock") = Answer::Status(503);
    let valid = created(
        &app,
        &owner,
        oauth_cc(
            &p,
            json!({"access_token": "still-valid-token-0001", "token_expires_at": in_secs(30)}),
        ),
    )
    .await;
    let body: Value = resolved(&app.address, &engine, &valid).await;
    assert_eq!(body["data"]["access_token"], "still-valid-token-0001");
    assert_eq!(p.calls(), 1);
    // The failure set a backoff: the next resolves do not call the provider again.
    for _ in 0..3 {
        assert_eq!(resolve(&app.address, &engine, &valid).await.status(), 200);
    }
    assert_eq!(p.calls(), 1);
    let c = get(&app, &owner, &format!("/v1/credentials/{valid}")).await;
    assert_eq!(c["status"], "error");
    let expired = created(
        &app,
        &owner,
        oauth_cc(
            &p,
            json!({"access_token": "already-expired-token-01", "token_expires_at": in_secs(-5)}),
        ),
    )
    .await;
    let (status, body) = problem(resolve(&app.address, &engine, &expired).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (503, Some("upstream_unavailable"))
    );
    assert!(!body.to_string().contains("already-expired-token-01"));
}

#[tokio::test]
async fn authorization_code_with_pkce_state_binding_and_return_to() {
    let app = app().await;
    let p = Provider::start("ac").await;
    let (_, owner) = app.signup("ada@example.com").await;
    let id = created(&app, &owner, json!({"name": "Slack", "service": "slack", "type": "oauth2", "data": {
        "grant_type": "authorization_code", "client_id": "slack-client", "client_secret": "ac-client-secret-00001",
        "authorization_url": "https://slack.example.com/oauth/authorize?team=T1", "token_url": format!("{}/token", p.address), "scopes": ["chat:write"]}})).await;
    let path = format!("/v1/credentials/{id}/oauth/authorize");
    // return_to on another origin: 422.
    let (status, body) = problem(
        app.post_as(
            &owner,
            &path,
            &json!({"return_to": "https://evil.example.com/x"}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, body["errors"][0]["field"].as_str()),
        (422, Some("return_to"))
    );
    let start: Value = app
        .post_as(
            &owner,
            &path,
            &json!({"return_to": "https://app.example.com/settings/credentials"}),
        )
        .await
        .json()
        .await
        .expect("json");
    let url = reqwest::Url::parse(start["authorization_url"].as_str().expect("url")).expect("url");
    let q: std::collections::HashMap<String, String> = url.query_pairs().into_owned().collect();
    assert_eq!(url.host_str(), Some("slack.example.com"));
    assert_eq!(q["team"], "T1");
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], "slack-client");
    assert_eq!(
        q["redirect_uri"],
        "https://vault.example.com/v1/oauth/callback"
    );
    assert_eq!(q["scope"], "chat:write");
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["state"], start["state"].as_str().expect("state"));
    // Every call: a fresh state.
    let again: Value = app
        .post_as(&owner, &path, &json!({}))
        .await
        .json()
        .await
        .expect("json");
    assert_ne!(again["state"], start["state"]);
    // The browser comes back (no bearer token).
    p.then(Answer::Token {
        expires_in: 3600,
        rotate: true,
    });
    let cb = |state: &str| {
        app.url(&format!(
            "/v1/oauth/callback?code=the-code-123&state={state}"
        ))
    };
    let res = app
        .client
        .get(cb(&q["state"]))
        .send()
        .await
        .expect("callback");
    assert_eq!(res.status(), 302);
    let location = res.headers()["location"]
        .to_str()
        .expect("location")
        .to_string();
    assert!(
        location.starts_with("https://app.example.com/settings/credentials?credential_id="),
        "{location}"
    );
    assert!(location.ends_with("&status=active"));
    let form = p.seen.lock().expect("lock").token_forms[0].clone();
    let f: std::collections::HashMap<String, String> = url::form_urlencoded::parse(form.as_bytes())
        .into_owned()
        .collect();
    assert_eq!(f["grant_type"], "authorization_code");
    assert_eq!(f["code"], "the-code-123");
    assert_eq!(
        f["redirect_uri"],
        "https://vault.example.com/v1/oauth/callback"
    );
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(credvault_crypto::sha256(f["code_verifier"].as_bytes()));
    assert_eq!(
        challenge, q["code_challenge"],
        "the verifier matches the S256 challenge"
    );
    assert!(f["code_verifier"].len() >= 43);
    let c = get(&app, &owner, &format!("/v1/credentials/{id}")).await;
    assert_eq!(c["status"], "active");
    assert_eq!(c["version"], 2);
    assert!(c["data"]["access_token"]
        .as_str()
        .is_some_and(|s| s.starts_with("••••")));
    // The state is single-use.
    let (status, body) = problem(app.client.get(cb(&q["state"])).send().await.expect("cb")).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("invalid_state"))
    );
    // An expired state is refused; so is an unknown one.
    let client = app.db.client().await;
    client.execute("UPDATE oauth_states SET expires_at = now() - interval '1 second' WHERE used_at IS NULL", &[]).await.expect("expire");
    let (status, _) = problem(
        app.client
            .get(cb(again["state"].as_str().expect("s")))
            .send()
            .await
            .expect("cb"),
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = problem(
        app.client
            .get(cb("made-up-state"))
            .send()
            .await
            .expect("cb"),
    )
    .await;
    assert_eq!(status, 400);
    // Without return_to: 200 with the credential and its status.
    let third: Value = app
        .post_as(&owner, &path, &json!({}))
        .await
        .json()
        .await
        .expect("json");
    let res = app
        .client
        .get(cb(third["state"].as_str().expect("s")))
        .send()
        .await
        .expect("cb");
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.expect("json");
    assert_eq!(
        (body["credential_id"].as_str(), body["status"].as_str()),
        (Some(id.as_str()), Some("active"))
    );
    // Deleted between authorize and callback: 410, and the code is not exchanged.
    let fourth: Value = app
        .post_as(&owner, &path, &json!({}))
        .await
        .json()
        .await
        .expect("json");
    let exchanges = p.seen.lock().expect("lock").token_forms.len();
    let res = app
        .delete_as(&owner, &format!("/v1/credentials/{id}"))
        .await;
    assert_eq!(res.status(), 200);
    let (status, body) = problem(
        app.client
            .get(cb(fourth["state"].as_str().expect("s")))
            .send()
            .await
            .expect("cb"),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (410, Some("credential_deleted"))
    );
    assert_eq!(p.seen.lock().expect("lock").token_forms.len(), exchanges);
    // A client-credentials credential has nothing to authorize.
    let cc = created(&app, &owner, oauth_cc(&p, json!({}))).await;
    let (status, _) = problem(
        app.post_as(
            &owner,
            &format!("/v1/credentials/{cc}/oauth/authorize"),
            &json!({}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 422);
}

/// The three ways a request refreshes a token.
#[derive(Clone, Copy, Debug)]
enum RefreshBy {
    Resolve,
    Manual,
    ConnectionTest,
}

/// Polls `check` every 20 ms; panics with `what` after 20 s.
async fn until(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !check() {
        assert!(std::time::Instant::now() < deadline, "{what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Two `credvault serve` processes asked for the same credential's refresh at once, by resolve,
/// by `POST /refresh` and by a connection test: the token endpoint holds the first call until the
/// other process has been seen waiting for it (its log says so), so the two did contend; then
/// there was one call, and every answer carries the winner's token.
#[tokio::test]
async fn two_serve_processes_refresh_an_expiring_token_exactly_once() {
    let db = TestDb::migrated().await;
    let p = Provider::start("once").await;
    let env = [("CREDVAULT_OUTBOUND_ALLOW", "127.0.0.1")];
    let a = ServeProcess::start_with_env(&db, &env);
    let b = ServeProcess::start_with_env(&db, &env);
    assert!(a.ready(30).await && b.ready(30).await, "both serve");
    let app = TestApp {
        address: a.address.clone(),
        client: reqwest::Client::new(),
        db: TestDb {
            name: String::new(),
            url: db.url.clone(),
        },
    };
    let (owner, engine) = owner_and_engine(&app).await;
    let sql = db.client().await;
    for by in [
        RefreshBy::Resolve,
        RefreshBy::Manual,
        RefreshBy::ConnectionTest,
    ] {
        let id = created(
            &app,
            &owner,
            oauth_cc(
                &p,
                json!({"access_token": "about-to-expire-0001", "token_expires_at": in_secs(20)}),
            ),
        )
        .await;
        let send = |base: &str| {
            let (base, owner, engine, id) =
                (base.to_string(), owner.clone(), engine.clone(), id.clone());
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                let res = match by {
                    RefreshBy::Resolve => return resolve(&base, &engine, &id).await,
                    RefreshBy::Manual => client.post(format!("{base}/v1/credentials/{id}/refresh")),
                    RefreshBy::ConnectionTest => {
                        client.post(format!("{base}/v1/credentials/{id}/test"))
                    }
                };
                res.bearer_auth(owner)
                    .json(&json!({}))
                    .send()
                    .await
                    .expect("request")
            })
        };
        let calls = p.calls();
        let gate = p.gate.write().await;
        let mut tasks = vec![send(&a.address)];
        until(
            &format!("{by:?}: the first process calls the token endpoint"),
            || p.calls() == calls + 1,
        )
        .await;
        let leased: bool = sql
            .query_one(
                "SELECT refresh_lease IS NOT NULL FROM credentials WHERE id = $1::text::uuid",
                &[&id],
            )
            .await
            .expect("lease")
            .get(0);
        assert!(leased, "{by:?}: the first process holds the lease");
        tasks.push(send(&b.address));
        until(
            &format!("{by:?}: the second process waits for the first one's refresh"),
            || {
                b.logs().lines().any(|l| {
                    l.contains("waiting for the refresh another request holds the lease for")
                        && l.contains(&id)
                })
            },
        )
        .await;
        if let RefreshBy::Resolve = by {
            // More resolves on both join the refresh under way.
            for i in 0..10 {
                tasks.push(send(if i % 2 == 0 { &a.address } else { &b.address }));
            }
        }
        drop(gate);
        let winner = format!("at-once-{}-xxxxxxxx", calls + 1);
        for t in tasks {
            let res = t.await.expect("task");
            let status = res.status().as_u16();
            let body: Value = res.json().await.unwrap_or_default();
            assert_eq!(status, 200, "{by:?}: {body}");
            match by {
                RefreshBy::Resolve => assert_eq!(
                    body["data"]["access_token"], winner,
                    "everyone gets the winner's token"
                ),
                RefreshBy::Manual => assert_eq!(body["ok"], true, "{body}"),
                RefreshBy::ConnectionTest => assert_eq!(body["ok"], true, "{body}"),
            }
        }
        assert_eq!(
            p.calls(),
            calls + 1,
            "{by:?}: exactly one call to the token endpoint"
        );
        let versions = get(&app, &owner, &format!("/v1/credentials/{id}/versions")).await;
        assert_eq!(
            versions["items"].as_array().map(Vec::len),
            Some(2),
            "{by:?}: one refreshed version"
        );
    }
    // Both connection tests reached the service with the winner's token.
    let seen = p.seen.lock().expect("lock").echo_auth.clone();
    let last = format!("Bearer at-once-{}-xxxxxxxx", p.calls());
    assert_eq!(
        seen.iter().filter(|a| **a == last).count(),
        2,
        "both connection tests used the winner's token: {seen:?}"
    );
    drop(app);
}

#[tokio::test]
async fn no_client_secret_or_token_reaches_a_log_line_a_response_or_an_audit_event() {
    let app = app().await;
    let p = Provider::start("leak").await;
    let (owner, engine) = owner_and_engine(&app).await;
    let client_secret = "leak-check-client-secret-77";
    let id = created(&app, &owner, json!({"name": "Leak", "service": "s", "type": "oauth2", "data": {
        "grant_type": "authorization_code", "client_id": "cid", "client_secret": client_secret,
        "authorization_url": "https://auth.example.com/a", "token_url": format!("{}/token", p.address),
        "access_token": "leak-check-access-token-1", "refresh_token": "leak-check-refresh-token-1", "token_expires_at": in_secs(10)},
        "test": {"url": format!("{}/echo/401", p.address)}})).await;
    let mut bodies = String::new();
    p.then(Answer::Token {
        expires_in: 3600,
        rotate: true,
    });
    // Resolve refreshes (its response carries secrets by design, so it is not collected).
    assert_eq!(resolve(&app.address, &engine, &id).await.status(), 200);
    for (path, body) in [
        (format!("/v1/credentials/{id}/test"), json!({})),
        (format!("/v1/credentials/{id}/refresh"), json!({})),
        (format!("/v1/credentials/{id}/oauth/authorize"), json!({})),
    ] {
        bodies.push_str(
            &app.post_as(&owner, &path, &body)
                .await
                .text()
                .await
                .expect("text"),
        );
    }
    p.then(Answer::InvalidGrant);
    bodies.push_str(
        &app.post_as(&owner, &format!("/v1/credentials/{id}/refresh"), &json!({}))
            .await
            .text()
            .await
            .expect("text"),
    );
    for path in [
        format!("/v1/credentials/{id}"),
        format!("/v1/credentials/{id}/audit"),
        format!("/v1/credentials/{id}/versions"),
        "/v1/audit".to_string(),
    ] {
        bodies.push_str(&app.get_as(&owner, &path).await.text().await.expect("text"));
    }
    let client = app.db.client().await;
    let events: String = client
        .query("SELECT details::text FROM audit_events", &[])
        .await
        .expect("events")
        .iter()
        .map(|r| r.get::<_, String>(0))
        .collect();
    let logs = captured_logs();
    let mut secrets = vec![
        client_secret.to_string(),
        "leak-check-access-token-1".into(),
        "leak-check-refresh-token-1".into(),
    ];
    secrets.extend(p.issued.lock().expect("lock").iter().cloned());
    assert!(secrets.len() >= 5, "{secrets:?}");
    for s in &secrets {
        assert!(!bodies.contains(s.as_str()), "a response carries {s}");
        assert!(!events.contains(s.as_str()), "an audit event carries {s}");
        assert!(!logs.contains(s.as_str()), "a log line carries {s}");
    }
    let refreshed: i64 = client
        .query_one(
            "SELECT count(*) FROM audit_events WHERE action = 'credential.refreshed'",
            &[],
        )
        .await
        .expect("count")
        .get(0);
    assert!(refreshed >= 2, "the refreshes were audited");
}

/// A resolve of one field of credential `id`, for workflow `wf-1`.
async fn resolve_field(app_url: &str, engine: &str, id: &str, field: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{app_url}/v1/credentials/{id}/resolve"))
        .bearer_auth(engine)
        .json(&json!({"workflow_id": "wf-1", "execution_id": "ci-1", "field": field}))
        .send()
        .await
        .expect("resolve")
}

/// The text a field resolve answered, checking that it is text.
async fn field_text(res: reqwest::Response) -> String {
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/plain; charset=utf-8");
    assert_eq!(res.headers()["cache-control"], "no-store");
    res.text().await.expect("text")
}

#[tokio::test]
async fn a_field_resolve_of_an_access_token_refreshes_it_first_as_a_full_resolve_does() {
    let app = app().await;
    let p = Provider::start("f").await;
    let (owner, engine) = owner_and_engine(&app).await;
    let id = created(&app, &owner, oauth_cc(&p, json!({}))).await;
    // No token yet: it is fetched first, and the answer is the new token alone.
    p.then(Answer::Token {
        expires_in: 30,
        rotate: false,
    });
    let token = field_text(resolve_field(&app.address, &engine, &id, "access_token").await).await;
    assert_eq!((token.as_str(), p.calls()), ("at-f-1-xxxxxxxx", 1));
    // It expires within a minute: the next field resolve refreshes it first.
    let token = field_text(resolve_field(&app.address, &engine, &id, "access_token").await).await;
    assert_eq!((token.as_str(), p.calls()), ("at-f-2-xxxxxxxx", 2));
    // An hour-long token is served as it is.
    let token = field_text(resolve_field(&app.address, &engine, &id, "access_token").await).await;
    assert_eq!((token.as_str(), p.calls()), ("at-f-2-xxxxxxxx", 2));
    // Every field is there: secrets, config, and the scopes as OAuth writes them (spaces).
    let secret = field_text(resolve_field(&app.address, &engine, &id, "client_secret").await).await;
    assert_eq!(secret, "cs-very-secret-client-0001");
    let scopes = field_text(resolve_field(&app.address, &engine, &id, "scopes").await).await;
    assert_eq!(scopes, "read write");
    // A field oauth2 does not have: 422 on `field`, and the provider is not called for it.
    let (status, body) = problem(resolve_field(&app.address, &engine, &id, "password").await).await;
    assert_eq!(
        (status, body["errors"][0]["field"].as_str()),
        (422, Some("field"))
    );
    assert_eq!(p.calls(), 2);
    let used = get(&app, &owner, &format!("/v1/credentials/{id}/usage?days=1")).await;
    assert_eq!(used["total"], 5, "{used}");
    // Never authorized: the access token is a person's job first (409, problem+json).
    let code = created(&app, &owner, json!({"name": "G", "service": "g", "type": "oauth2", "data": {
        "grant_type": "authorization_code", "client_id": "cid", "client_secret": "ac-client-secret-0001",
        "authorization_url": format!("{}/authorize", p.address), "token_url": format!("{}/token", p.address)}})).await;
    let (status, body) =
        problem(resolve_field(&app.address, &engine, &code, "access_token").await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("reauthorization_required"))
    );
}
