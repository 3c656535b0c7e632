//! Helpers for the tests of promises that had none (`promises.rs`, `commands.rs`,
//! `refresher.rs`): `credvault` subcommands run as processes, a token endpoint that counts its
//! calls, an audit log that refuses one action, and polling with a deadline.

#![allow(dead_code)]

use std::future::Future;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpResponse, HttpServer};
use serde_json::{json, Value};

use crate::helpers::{credvault_bin, TestApp, TestDb, TEST_MASTER_KEY};

/// `credvault <args>` on `db` with `env` (and without the variables in `unset`), waited for up
/// to `secs` (then killed: the test fails saying so).
pub fn run_credvault(
    db: &TestDb,
    args: &[&str],
    env: &[(&str, &str)],
    unset: &[&str],
    secs: u64,
) -> Output {
    let mut cmd = Command::new(credvault_bin());
    cmd.args(args)
        .env("DATABASE_URL", &db.url)
        .env("CREDVAULT_MASTER_KEY", TEST_MASTER_KEY)
        .env("CREDVAULT_LOG_FORMAT", "json")
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for var in unset {
        cmd.env_remove(var);
    }
    let mut child = cmd.spawn().expect("start credvault");
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if child.try_wait().expect("wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!(
                "`credvault {}` did not finish within {secs} s; stderr:\n{}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub fn stdout_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Polls `check` every 50 ms until it gives a value; panics naming `what` after `within`.
pub async fn eventually<T, F, Fut>(within: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + within;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < deadline, "{what}: not within {within:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Makes the audit log refuse events of `action` in this database, as a full disk would
/// (SQLSTATE 53100): the change that records one must not happen either.
pub async fn refuse_audit(db: &tokio_postgres::Client, action: &str) {
    db.batch_execute(&format!(
        "CREATE OR REPLACE FUNCTION test_refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN RAISE EXCEPTION 'test: the audit log refuses %', NEW.action USING ERRCODE = 'disk_full'; END $$;
         CREATE TRIGGER test_refuse_audit BEFORE INSERT ON audit_events FOR EACH ROW
         WHEN (NEW.action = '{action}') EXECUTE FUNCTION test_refuse_audit();"
    ))
    .await
    .expect("install the refusing trigger");
}

/// Undoes `refuse_audit`.
pub async fn accept_audit(db: &tokio_postgres::Client) {
    db.batch_execute("DROP TRIGGER test_refuse_audit ON audit_events")
        .await
        .expect("drop the refusing trigger");
}

/// How many events of `action` name `target`.
pub async fn events_of(db: &tokio_postgres::Client, action: &str, target: &str) -> i64 {
    db.query_one(
        "SELECT count(*) FROM audit_events WHERE action = $1 AND target_id = $2",
        &[&action, &target],
    )
    .await
    .expect("count events")
    .get(0)
}

/// Creates an api_key credential holding `key`; returns its id.
pub async fn api_key(app: &TestApp, token: &str, name: &str, key: &str) -> String {
    let res = app
        .post_as(
            token,
            "/v1/credentials",
            &json!({"name": name, "service": "svc", "type": "api_key", "data": {"key": key}}),
        )
        .await;
    assert_eq!(res.status(), 201, "create {name}");
    res.json::<Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .to_string()
}

const SECRET: &str = "cs-very-secret-client-0001";

/// A local OAuth2 token endpoint (`POST /token`) that counts its calls and who made them
/// (client id and secret sent by basic authentication). It answers with the statuses queued by
/// `fail_next`, else a token valid for an hour, after
/// `delay_ms`.
pub struct TokenEndpoint {
    pub url: String,
    calls: Arc<AtomicUsize>,
    clients: Arc<Mutex<Vec<String>>>,
    failures: Arc<Mutex<Vec<u16>>>,
    pub delay_ms: Arc<AtomicUsize>,
}

#[derive(Clone)]
struct EndpointState {
    calls: Arc<AtomicUsize>,
    clients: Arc<Mutex<Vec<String>>>,
    failures: Arc<Mutex<Vec<u16>>>,
    delay_ms: Arc<AtomicUsize>,
}

async fn token(st: web::Data<EndpointState>, req: actix_web::HttpRequest) -> HttpResponse {
    let n = st.calls.fetch_add(1, Ordering::SeqCst) + 1;
    let auth = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    st.clients.lock().expect("lock").push(auth);
    let delay = st.delay_ms.load(Ordering::SeqCst) as u64;
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let failure = {
        let mut f = st.failures.lock().expect("lock");
        (!f.is_empty()).then(|| f.remove(0))
    };
    match failure {
        Some(status) => {
            HttpResponse::build(actix_web::http::StatusCode::from_u16(status).expect("status"))
                .json(json!({"error": "temporarily_unavailable"}))
        }
        None => HttpResponse::Ok().json(json!({
            "access_token": format!("fresh-access-token-{n:04}"),
            "token_type": "Bearer",
            "expires_in": 3600
        })),
    }
}

impl TokenEndpoint {
    pub async fn start() -> TokenEndpoint {
        let st = EndpointState {
            calls: Arc::default(),
            clients: Arc::default(),
            failures: Arc::default(),
            delay_ms: Arc::default(),
        };
        let data = web::Data::new(st.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/token", web::post().to(token))
        })
        .workers(1)
        .disable_signals()
        .bind("127.0.0.1:0")
        .expect("bind");
        let port = server.addrs()[0].port();
        tokio::spawn(server.run());
        TokenEndpoint {
            url: format!("http://127.0.0.1:{port}/token"),
            calls: st.calls,
            clients: st.clients,
            failures: st.failures,
            delay_ms: st.delay_ms,
        }
    }

    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    /// The calls made with `client_id` (credvault sends it by HTTP basic authentication).
    pub fn calls_for(&self, client_id: &str) -> usize {
        use base64::Engine as _;
        let basic = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{client_id}:{SECRET}"))
        );
        self.clients
            .lock()
            .expect("lock")
            .iter()
            .filter(|a| **a == basic)
            .count()
    }

    /// The next call answers `status`.
    pub fn fail_next(&self, status: u16) {
        self.failures.lock().expect("lock").push(status);
    }

    /// A client-credentials credential on this endpoint whose stored token expires in
    /// `expires_in_secs`.
    pub fn credential(&self, client_id: &str, expires_in_secs: i64) -> Value {
        let expires = chrono::Utc::now() + chrono::Duration::seconds(expires_in_secs);
        json!({"name": format!("OAuth {client_id}"), "service": "provider", "type": "oauth2",
               "data": {"grant_type": "client_credentials", "client_id": client_id,
                        "client_secret": SECRET, "token_url": self.url,
                        "access_token": format!("stored-access-token-{client_id}"),
                        "token_expires_at": expires.to_rfc3339()}})
    }
}
