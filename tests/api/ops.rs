use serde_json::Value;

use crate::helpers::{problem, TestApp};

#[tokio::test]
async fn healthz_and_readyz_answer_200_with_a_request_id() {
    let app = TestApp::spawn().await;
    for path in ["/healthz", "/readyz"] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 200, "{path}");
        assert!(res.headers().contains_key("x-request-id"));
    }
    let body: Value = app.get("/readyz").await.json().await.expect("json");
    assert_eq!(body["status"], "ready");
}

#[tokio::test]
async fn readyz_is_503_when_a_migration_is_missing() {
    let app = TestApp::spawn().await;
    let db = app.db.client().await;
    db.execute("DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations)", &[])
        .await
        .expect("delete");
    let (status, body) = problem(app.get("/readyz").await).await;
    assert_eq!(status, 503);
    assert_eq!(body["code"], "unavailable");
    assert!(body["detail"]
        .as_str()
        .unwrap_or_default()
        .contains("credvault migrate"));
}

#[tokio::test]
async fn a_client_request_id_is_echoed() {
    let app = TestApp::spawn().await;
    let res = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "ci-1234")
        .send()
        .await
        .expect("request");
    assert_eq!(res.headers()["x-request-id"], "ci-1234");
}

#[tokio::test]
async fn unknown_routes_are_problem_404s() {
    let app = TestApp::spawn().await;
    for path in ["/nope", "/v1/nothing-here", "/v1"] {
        let (status, body) = problem(app.get(path).await).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(body["code"], "not_found");
    }
    let (status, _) = problem(
        app.post_raw("/healthz", "{}", Some("application/json"))
            .await,
    )
    .await;
    assert!(
        status == 404 || status == 405,
        "a wrong method is a 4xx problem, got {status}"
    );
}

#[tokio::test]
async fn metrics_count_requests_per_route_and_status_and_show_the_pool() {
    let app = TestApp::spawn().await;
    app.get("/healthz").await;
    app.get("/nope").await;
    let text = app.get("/metrics").await.text().await.expect("text");
    assert!(
        text.contains(
            r#"credvault_http_requests_total{method="GET",route="/healthz",status="200"} 1"#
        ),
        "{text}"
    );
    assert!(text.contains(r#"route="unmatched",status="404""#), "{text}");
    assert!(text.contains("credvault_http_request_duration_seconds_bucket"));
    assert!(
        text.contains(r#"credvault_db_pool_connections{state="max"} 8"#),
        "{text}"
    );
}

#[tokio::test]
async fn docs_render_from_the_served_spec() {
    let app = TestApp::spawn().await;
    for path in ["/docs", "/docs/"] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 200, "{path}");
        let html = res.text().await.expect("html");
        // Every asset the page names loads, whichever of the two URLs it was read from.
        let assets: Vec<&str> = html
            .split(['"', '\''])
            .filter(|s| s.starts_with("/docs/"))
            .collect();
        assert!(assets.len() >= 4, "{html}");
        for asset in assets {
            assert_eq!(app.get(asset).await.status(), 200, "{asset}");
        }
    }
    let init = app
        .get("/docs/swagger-initializer.js")
        .await
        .text()
        .await
        .expect("js");
    assert!(
        init.contains("/openapi.json"),
        "the docs load the served spec: {init}"
    );
    let spec: Value = app.get("/openapi.json").await.json().await.expect("spec");
    assert_eq!(spec["openapi"], "3.1.0");
}

#[tokio::test]
async fn api_answers_are_never_cached_or_sniffed() {
    let app = TestApp::spawn().await;
    let (_, token) = app.signup("ada@example.com").await;
    for res in [
        app.get_as(&token, "/v1/me").await,
        app.get("/v1/nothing").await,
    ] {
        assert_eq!(res.headers()["cache-control"], "no-store");
        assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    }
    let health = app.get("/healthz").await;
    assert_eq!(health.headers()["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn cors_answers_only_the_configured_origins() {
    let app = TestApp::spawn_with(|s| s.cors_origins = "https://app.example.com".into()).await;
    let (_, token) = app.signup("ada@example.com").await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/v1/credentials"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type, idempotency-key",
            )
            .send()
    };
    let ok = preflight("https://app.example.com").await.expect("req");
    assert_eq!(ok.status(), 204);
    assert_eq!(
        ok.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
    assert!(ok.headers()["access-control-allow-headers"]
        .to_str()
        .expect("h")
        .contains("Idempotency-Key"));
    assert!(ok
        .headers()
        .get("access-control-allow-credentials")
        .is_none());
    let other = preflight("https://evil.example.com").await.expect("req");
    assert!(other.headers().get("access-control-allow-origin").is_none());
    let res = app
        .client
        .get(app.url("/v1/me"))
        .bearer_auth(&token)
        .header("origin", "https://app.example.com")
        .send()
        .await
        .expect("req");
    assert_eq!(
        res.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
    assert!(res.headers()["access-control-expose-headers"]
        .to_str()
        .expect("h")
        .contains("ETag"));
    let res = app
        .client
        .get(app.url("/v1/me"))
        .bearer_auth(&token)
        .header("origin", "https://evil.example.com")
        .send()
        .await
        .expect("req");
    assert!(res.headers().get("access-control-allow-origin").is_none());
}

/// What examples/spa does from its own origin: an edit is a PATCH with `If-Match`, so its
/// preflight must allow both, and the page must be able to read the `ETag` of a read and the
/// problem of a refused write (`make test-browser` does the same in a real browser).
#[tokio::test]
async fn cors_lets_a_browser_edit_with_if_match_from_the_etag_it_can_read() {
    const ORIGIN: &str = "http://127.0.0.1:5173";
    let app = TestApp::spawn_with(|s| s.cors_origins = ORIGIN.into()).await;
    let (_, token) = app.signup("ada@example.com").await;
    let created: Value = app
        .post_as(
            &token,
            "/v1/credentials",
            &serde_json::json!({"name": "Stripe", "service": "stripe", "type": "api_key", "data": {"key": "sk_live_browser_000042"}}),
        )
        .await
        .json()
        .await
        .expect("json");
    let path = format!("/v1/credentials/{}", created["id"].as_str().expect("id"));
    let listed = |res: &reqwest::Response, header: &str| -> Vec<String> {
        res.headers()
            .get(header)
            .map(|v| v.to_str().expect("ascii").to_ascii_lowercase())
            .unwrap_or_default()
            .split(',')
            .map(|s| s.trim().to_string())
            .collect()
    };

    let preflight = app
        .client
        .request(reqwest::Method::OPTIONS, app.url(&path))
        .header("origin", ORIGIN)
        .header("access-control-request-method", "PATCH")
        .header(
            "access-control-request-headers",
            "authorization,content-type,if-match",
        )
        .send()
        .await
        .expect("req");
    assert_eq!(preflight.status(), 204);
    assert!(listed(&preflight, "access-control-allow-methods").contains(&"patch".into()));
    let allowed = listed(&preflight, "access-control-allow-headers");
    for h in ["authorization", "content-type", "if-match"] {
        assert!(allowed.contains(&h.to_string()), "{h} not in {allowed:?}");
    }

    let read = app
        .client
        .get(app.url(&path))
        .bearer_auth(&token)
        .header("origin", ORIGIN)
        .send()
        .await
        .expect("req");
    assert!(listed(&read, "access-control-expose-headers").contains(&"etag".into()));
    let etag = read.headers()["etag"].clone();

    let patch = |if_match: reqwest::header::HeaderValue| {
        app.client
            .patch(app.url(&path))
            .bearer_auth(&token)
            .header("origin", ORIGIN)
            .header("if-match", if_match)
            .json(&serde_json::json!({"description": "from the browser"}))
            .send()
    };
    let saved = patch(etag.clone()).await.expect("req");
    assert_eq!(saved.status(), 200);
    assert_eq!(saved.headers()["access-control-allow-origin"], ORIGIN);
    assert_ne!(saved.headers()["etag"], etag);
    // The stale ETag again: 412, readable by the page (else it sees only a network error).
    let stale = patch(etag).await.expect("req");
    assert_eq!(stale.headers()["access-control-allow-origin"], ORIGIN);
    let (status, body) = problem(stale).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (412, Some("precondition_failed"))
    );
}
