//! Sign-in under attack: a flood of sign-ins with made-up emails takes neither the database
//! connections nor the CPUs from other routes, an attempt over a limit this instance knows of is
//! refused before any hashing or database work, known and unknown emails do the same work, and
//! client addresses are read across every X-Forwarded-For line, IPv6 counted per /64.

use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::{problem, TestApp, PASSWORD};

async fn login_from(app: &TestApp, ip: &[&str], email: &str, password: &str) -> reqwest::Response {
    let mut req = app
        .client
        .post(app.url("/v1/auth/login"))
        .json(&json!({"email": email, "password": password}));
    for line in ip {
        req = req.header("x-forwarded-for", *line);
    }
    req.send().await.expect("login")
}

async fn failures(app: &TestApp) -> Vec<(String, String)> {
    app.db
        .client()
        .await
        .query("SELECT email, ip FROM login_failures ORDER BY id", &[])
        .await
        .expect("failures")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

#[tokio::test]
async fn a_flood_of_made_up_sign_ins_leaves_other_routes_their_connections() {
    // 96 made-up sign-ins at once from many addresses: with a password check holding a database
    // connection each, other routes would queue behind them for the pool.
    let app = TestApp::spawn_with(|s| s.trusted_proxies = "127.0.0.1".into()).await;
    let (_, owner) = app.signup("ada@example.com").await;
    let flood = {
        let (client, url) = (app.client.clone(), app.url("/v1/auth/login"));
        (0..96)
            .map(|i| {
                let (client, url) = (client.clone(), url.clone());
                tokio::spawn(async move {
                    let res = client
                        .post(url)
                        .header("x-forwarded-for", format!("198.18.{}.{}", i / 200, i % 200))
                        .json(&json!({"email": format!("nobody{i}@example.com"), "password": "not the password"}))
                        .send()
                        .await
                        .expect("login");
                    let status = res.status().as_u16();
                    let retry = res.headers().contains_key("retry-after");
                    let code = res.json::<Value>().await.unwrap_or_default()["code"].clone();
                    (status, retry, code)
                })
            })
            .collect::<Vec<_>>()
    };
    // Meanwhile, another route answers, and in far less than a pool's wait.
    let mut slowest = Duration::ZERO;
    for _ in 0..10 {
        let t = std::time::Instant::now();
        let res = app.get_as(&owner, "/v1/credentials").await;
        assert_eq!(res.status(), 200, "other routes keep their connections");
        slowest = slowest.max(t.elapsed());
    }
    assert!(
        slowest < Duration::from_secs(3),
        "a list waited {slowest:?} behind the flood"
    );
    let mut refused_busy = 0;
    for t in flood {
        let (status, retry, code) = t.await.expect("join");
        match status {
            401 => assert_eq!(code, "invalid_credentials"),
            503 => {
                assert_eq!(code, "unavailable");
                assert!(retry, "503 says when to come back");
                refused_busy += 1;
            }
            other => panic!("a made-up sign-in answered {other}"),
        }
    }
    assert!(
        refused_busy > 0,
        "more than the queue holds are turned away with 503"
    );
}

#[tokio::test]
async fn known_and_unknown_emails_count_the_same_and_a_right_password_counts_nothing() {
    let app = TestApp::spawn().await;
    app.signup("ada@example.com").await;
    let (status, _) =
        problem(login_from(&app, &[], "ada@example.com", "wrong password!").await).await;
    assert_eq!(status, 401);
    let (status, body) =
        problem(login_from(&app, &[], "nobody@example.com", "wrong password!").await).await;
    assert_eq!(status, 401);
    assert_eq!(body["detail"], "the email or password is wrong");
    assert_eq!(failures(&app).await.len(), 2, "one failure each");
    assert_eq!(
        login_from(&app, &[], "ada@example.com", PASSWORD)
            .await
            .status(),
        200
    );
    assert_eq!(
        failures(&app).await.len(),
        2,
        "a right password is no failure"
    );
}

#[tokio::test]
async fn an_address_over_its_limit_is_refused_here_before_the_database_is_asked() {
    let app = TestApp::spawn_with(|s| s.trusted_proxies = "127.0.0.1".into()).await;
    app.signup("ada@example.com").await;
    // 100 failures from one address, as the database counts them.
    let db = app.db.client().await;
    db.execute(
        "INSERT INTO login_failures (email, ip) SELECT 'x' || n || '@example.com', '203.0.113.50' FROM generate_series(1, 100) n",
        &[],
    )
    .await
    .expect("seed");
    let res = login_from(&app, &["203.0.113.50"], "ada@example.com", PASSWORD).await;
    assert_eq!(
        res.status(),
        429,
        "over the limit, even with the right password"
    );
    assert!(res.headers().contains_key("retry-after"));
    // The database forgets them; this instance does not: still refused, without asking it.
    db.execute("DELETE FROM login_failures", &[])
        .await
        .expect("forget");
    let (status, p) =
        problem(login_from(&app, &["203.0.113.50"], "ada@example.com", PASSWORD).await).await;
    assert_eq!(status, 429);
    assert_eq!(p["code"], "rate_limited");
    assert!(failures(&app).await.is_empty(), "and nothing was counted");
    // Another address is not affected.
    assert_eq!(
        login_from(&app, &["203.0.113.51"], "ada@example.com", PASSWORD)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn the_client_is_the_first_untrusted_address_from_the_right_across_header_lines() {
    let app = TestApp::spawn_with(|s| s.trusted_proxies = "127.0.0.1, 10.0.0.0/8".into()).await;
    app.signup("ada@example.com").await;
    // A client may send its own line; the proxies appended theirs after it.
    let res = login_from(
        &app,
        &[
            "6.6.6.6, 192.0.2.200",
            "198.51.100.23, 10.1.1.1",
            "10.2.2.2",
        ],
        "nobody@example.com",
        "wrong password!",
    )
    .await;
    assert_eq!(res.status(), 401);
    assert_eq!(
        failures(&app).await,
        [(
            "nobody@example.com".to_string(),
            "198.51.100.23".to_string()
        )]
    );
}

#[tokio::test]
async fn a_line_with_bytes_that_are_not_text_spoils_only_its_own_entry() {
    let app = TestApp::spawn_with(|s| s.trusted_proxies = "127.0.0.1".into()).await;
    app.signup("ada@example.com").await;
    // A proxy merged the client's garbage and the client's address into one line.
    let line =
        reqwest::header::HeaderValue::from_bytes(b"\x80\xff, 203.0.113.77").expect("obs-text");
    let res = app
        .client
        .post(app.url("/v1/auth/login"))
        .header("x-forwarded-for", line)
        .json(&json!({"email": "nobody@example.com", "password": "wrong password!"}))
        .send()
        .await
        .expect("login");
    assert_eq!(res.status(), 401);
    assert_eq!(
        failures(&app).await[0].1,
        "203.0.113.77",
        "not the proxy's address"
    );
}

#[tokio::test]
async fn ipv6_clients_are_limited_per_64() {
    let app = TestApp::spawn_with(|s| s.trusted_proxies = "127.0.0.1".into()).await;
    app.signup("ada@example.com").await;
    let db = app.db.client().await;
    let res = login_from(
        &app,
        &["2001:db8:7:7:aaaa::1"],
        "nobody@example.com",
        "wrong password!",
    )
    .await;
    assert_eq!(res.status(), 401);
    assert_eq!(
        failures(&app).await[0].1,
        "2001:db8:7:7::/64",
        "counted for its /64"
    );
    db.execute(
        "INSERT INTO login_failures (email, ip) SELECT 'x' || n || '@example.com', '2001:db8:7:7::/64' FROM generate_series(1, 99) n",
        &[],
    )
    .await
    .expect("seed");
    // Another address of the same /64: over the limit; of another /64: not.
    let res = login_from(&app, &["2001:db8:7:7:ffff::2"], "ada@example.com", PASSWORD).await;
    assert_eq!(res.status(), 429);
    let res = login_from(&app, &["2001:db8:7:8::2"], "ada@example.com", PASSWORD).await;
    assert_eq!(res.status(), 200);
}
