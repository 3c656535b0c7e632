//! The real `credvault serve` binary as a process: what it logs, and how it stops.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{ServeProcess, TestApp, TestDb, PASSWORD};

/// A client of a serve process, with the typed helpers of `TestApp`. Dropping it drops no
/// database.
pub fn client_of(p: &ServeProcess, db: &TestDb) -> TestApp {
    TestApp {
        address: p.address.clone(),
        client: reqwest::Client::new(),
        db: TestDb {
            name: String::new(),
            url: db.url.clone(),
        },
    }
}

/// Polls `check` every 20 ms until it is true; panics with `what` after `secs`.
async fn until(secs: u64, what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !check() {
        assert!(Instant::now() < deadline, "{what} (waited {secs} s)");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Secret-carrying requests of every kind sent through the real binary, logging at debug for our
/// crates: its log holds each request's line and not one of the secrets.
#[tokio::test]
async fn the_real_server_logs_every_request_at_debug_and_no_secret() {
    let db = TestDb::migrated().await;
    let p = ServeProcess::start(&db);
    assert!(p.ready(30).await, "the server comes up");
    let app = client_of(&p, &db);
    let (signup, owner) = app.signup("ada@example.com").await;
    let owner_id = signup["user"]["id"].as_str().expect("id").to_string();
    let refresh = signup["tokens"]["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_string();
    let mut secrets = vec![
        PASSWORD.to_string(),
        owner.clone(),
        refresh.clone(),
        "proc-wrong-pw-3c4d5e".to_string(),
        "proc-key-first-9a8b7c6d".to_string(),
        "proc-key-rotated-1f2e3d4c".to_string(),
    ];
    let res = app.login("ada@example.com", PASSWORD).await;
    assert_eq!(res.status(), 200, "login");
    let pair: Value = res.json().await.expect("json");
    secrets.push(pair["access_token"].as_str().expect("access").to_string());
    secrets.push(pair["refresh_token"].as_str().expect("refresh").to_string());
    let res = app.login("ada@example.com", "proc-wrong-pw-3c4d5e").await;
    assert_eq!(res.status(), 401, "a wrong password");
    let res = app
        .post_json("/v1/auth/refresh", &json!({"refresh_token": refresh}))
        .await;
    assert_eq!(res.status(), 200, "refresh");
    let pair: Value = res.json().await.expect("json");
    secrets.push(pair["access_token"].as_str().expect("access").to_string());
    secrets.push(pair["refresh_token"].as_str().expect("refresh").to_string());
    let res = app
        .post_as(
            &owner,
            "/v1/tokens",
            &json!({"name": "ci", "kind": "personal", "scopes": ["credentials:read"]}),
        )
        .await;
    assert_eq!(res.status(), 201, "a personal token");
    let personal = res.json::<Value>().await.expect("json")["token"]
        .as_str()
        .expect("token")
        .to_string();
    assert_eq!(app.get_as(&personal, "/v1/me").await.status(), 200);
    secrets.push(personal);
    let engine = app.engine_token(&owner).await;
    secrets.push(engine.clone());
    let res = app
        .post_as(
            &owner,
            "/v1/credentials",
            &json!({"name": "Stripe", "service": "stripe", "type": "api_key",
                    "data": {"key": "proc-key-first-9a8b7c6d", "prefix": "Bearer "}}),
        )
        .await;
    assert_eq!(res.status(), 201, "create");
    let cred = res.json::<Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .to_string();
    let res = app
        .post_as(
            &owner,
            &format!("/v1/credentials/{cred}/rotate"),
            &json!({"data": {"key": "proc-key-rotated-1f2e3d4c"}}),
        )
        .await;
    assert_eq!(res.status(), 200, "rotate");
    let res = app
        .put_json_as(
            &engine,
            "/v1/workflows/wf-1",
            &json!({"name": "flow", "owner_id": owner_id, "credential_ids": [cred]}),
        )
        .await;
    assert_eq!(res.status(), 201, "a workflow");
    let res = app
        .post_as(
            &engine,
            &format!("/v1/credentials/{cred}/resolve"),
            &json!({"workflow_id": "wf-1", "execution_id": "run-1"}),
        )
        .await;
    assert_eq!(res.status(), 200, "resolve");
    let resolved = res.text().await.expect("text");
    assert!(
        resolved.contains("proc-key-rotated-1f2e3d4c"),
        "resolve hands out the rotated key: {resolved}"
    );

    let logs = p.logs();
    // Not an empty or filtered log: the debug lines of our crates and every request's line.
    assert!(
        logs.contains("cache listener connected"),
        "the log has our crates' debug lines:\n{logs}"
    );
    for route in [
        "/v1/workspaces",
        "/v1/auth/login",
        "/v1/auth/refresh",
        "/v1/tokens",
        "/v1/credentials",
        "/v1/credentials/{id}/rotate",
        "/v1/workflows/{workflow_id}",
        "/v1/credentials/{id}/resolve",
    ] {
        assert!(
            logs.lines()
                .any(|l| l.contains("\"served\"") && l.contains(&format!("\"route\":\"{route}\""))),
            "the request line of {route} is in the log:\n{logs}"
        );
    }
    for s in &secrets {
        assert!(
            !logs.contains(s.as_str()),
            "a secret is in the server's log"
        );
    }
}

/// A local service whose answers wait until the test releases them: `arrived` counts requests
/// that reached it.
struct SlowService {
    port: u16,
    arrived: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    release: std::sync::Arc<tokio::sync::Semaphore>,
}

impl SlowService {
    async fn start() -> SlowService {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("address").port();
        let arrived = Arc::new(AtomicUsize::new(0));
        let release = Arc::new(tokio::sync::Semaphore::new(0));
        let (a, r) = (arrived.clone(), release.clone());
        tokio::spawn(async move {
            while let Ok((mut conn, _)) = listener.accept().await {
                let (a, r) = (a.clone(), r.clone());
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                        match conn.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    a.fetch_add(1, Ordering::SeqCst);
                    let Ok(permit) = r.acquire().await else {
                        return;
                    };
                    permit.forget();
                    let _ = conn
                        .write_all(
                            b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                        )
                        .await;
                });
            }
        });
        SlowService {
            port,
            arrived,
            release,
        }
    }

    fn arrived(&self) -> usize {
        self.arrived.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// `signal` while a connection test waits on a slow service: readiness answers 503 during the
/// grace period, then the listener closes while the test is still waiting, the test gets its real
/// answer, and only then does the process close its pool and exit 0.
async fn stops_gracefully_on(signal: &str) {
    let db = TestDb::migrated().await;
    // A grace period long enough to see readiness fail on a busy machine.
    let mut p = ServeProcess::start_with_env(
        &db,
        &[
            ("CREDVAULT_OUTBOUND_ALLOW", "127.0.0.1"),
            ("CREDVAULT_DRAIN_GRACE_MS", "2000"),
        ],
    );
    assert!(p.ready(30).await, "the server comes up");
    let app = client_of(&p, &db);
    let (_, owner) = app.signup("ada@example.com").await;
    let slow = SlowService::start().await;
    let res = app
        .post_as(
            &owner,
            "/v1/credentials",
            &json!({"name": "Slow", "service": "slow", "type": "custom",
                    "data": {"token": "t0k3n-slow-service"}, "secret_fields": ["token"],
                    "test": {"url": format!("http://127.0.0.1:{}/check", slow.port)}}),
        )
        .await;
    assert_eq!(res.status(), 201, "create");
    let cred = res.json::<Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .to_string();
    let probe = reqwest::Client::new();
    let readyz = format!("{}/readyz", p.address);
    assert_eq!(
        probe.get(&readyz).send().await.expect("readyz").status(),
        200
    );

    let in_flight = tokio::spawn(
        app.client
            .post(app.url(&format!("/v1/credentials/{cred}/test")))
            .bearer_auth(&owner)
            .json(&json!({}))
            .send(),
    );
    until(10, "the connection test reaches the slow service", || {
        slow.arrived() == 1
    })
    .await;
    let pid = p.child.id().to_string();
    let sent = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &pid])
        .status()
        .expect("kill");
    assert!(sent.success());

    // The grace period: readiness fails while the request is still in flight.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(r) = probe.get(&readyz).send().await {
            if r.status() == 503 {
                break;
            }
        }
        assert!(
            Instant::now() < deadline,
            "/readyz never answered 503 after {signal}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // Then the listener closes, and the process waits for the request in flight.
    let deadline = Instant::now() + Duration::from_secs(15);
    while !p
        .logs()
        .contains("listener closed, waiting for requests in flight")
    {
        assert!(
            Instant::now() < deadline,
            "the listener never closed:\n{}",
            p.logs()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let port = p.address.rsplit(':').next().expect("port");
    let refused = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            if tokio::net::TcpStream::connect(format!("127.0.0.1:{port}"))
                .await
                .is_err()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(
        refused.is_ok(),
        "new connections are refused while draining"
    );
    assert!(
        p.child.try_wait().expect("wait").is_none(),
        "the process waits for the request in flight"
    );
    slow.release.add_permits(1);
    let res = in_flight
        .await
        .expect("task")
        .expect("the request in flight is answered");
    assert_eq!(res.status(), 200);
    let result: Value = res.json().await.expect("json");
    assert_eq!(
        (result["ok"].as_bool(), result["status_code"].as_u64()),
        (Some(true), Some(200)),
        "the real answer of the connection test: {result}"
    );

    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(status) = p.child.try_wait().expect("wait") {
            break status;
        }
        assert!(Instant::now() < deadline, "the server exits after {signal}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "clean exit after {signal}, got {status}");
    let logs = p.logs();
    let (draining, stopped) = (
        logs.find("shutting down: draining in-flight requests"),
        logs.find("\"stopped\""),
    );
    assert!(
        draining.is_some() && stopped > draining,
        "it logged the drain, then the pool closed and it stopped:\n{logs}"
    );
}

#[tokio::test]
async fn sigterm_drains_the_request_in_flight_fails_readiness_and_exits_0() {
    stops_gracefully_on("TERM").await;
}

#[tokio::test]
async fn sigint_drains_the_request_in_flight_fails_readiness_and_exits_0() {
    stops_gracefully_on("INT").await;
}
