//! The edge: the docs page's Content-Security-Policy, the header-size limit, the request timeout
//! and the connection cap, against a real server.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{problem, TestApp};

const DOCS_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

#[tokio::test]
async fn the_docs_page_has_a_strict_csp_that_its_own_assets_satisfy() {
    let app = TestApp::spawn().await;
    let res = app.get("/docs").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-security-policy"], DOCS_CSP);
    let html = res.text().await.expect("html");
    // script-src 'self' without hashes: every script must be a file of this origin.
    for tag in html.split("<script").skip(1) {
        let open = tag.split('>').next().unwrap_or_default();
        assert!(
            open.contains("src=\"/docs/"),
            "an inline or foreign script: <script{open}>"
        );
    }
    for attr in ["href=\"http", "src=\"http", "src=\"//", "href=\"//"] {
        assert!(
            !html.contains(attr),
            "a foreign asset ({attr}) would be blocked: {html}"
        );
    }
    let assets: Vec<&str> = html
        .split('"')
        .filter(|s| s.starts_with("/docs/"))
        .collect();
    assert!(assets.len() >= 4, "{html}");
    for asset in assets {
        let res = app.get(asset).await;
        assert_eq!(res.status(), 200, "{asset}");
        assert_eq!(
            res.headers()["content-security-policy"],
            DOCS_CSP,
            "{asset}"
        );
    }
    // The initializer fetches the spec from this origin (connect-src 'self') and skips the
    // public validator (img-src would refuse its badge).
    let init = app
        .get("/docs/swagger-initializer.js")
        .await
        .text()
        .await
        .expect("js");
    assert!(init.contains("\"/openapi.json\""), "{init}");
    assert!(init.contains("\"validatorUrl\": \"none\""), "{init}");
    // Everything else may not be run or framed by a browser at all.
    let res = app.get("/healthz").await;
    assert_eq!(
        res.headers()["content-security-policy"],
        "default-src 'none'; frame-ancestors 'none'"
    );
}

#[tokio::test]
async fn oversized_request_headers_are_refused_with_431() {
    let app = TestApp::spawn().await;
    let res = app
        .client
        .get(app.url("/healthz"))
        .header("x-padding", "a".repeat(20 * 1024))
        .send()
        .await
        .expect("request");
    let (status, body) = problem(res).await;
    assert_eq!(status, 431);
    assert_eq!(body["code"], "request_header_fields_too_large");
    // Just under the limit is fine.
    let res = app
        .client
        .get(app.url("/healthz"))
        .header("x-padding", "a".repeat(15 * 1024))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 200);
    // More headers than the server parses: actix-web answers 431 itself, before any handler.
    let mut req = app.client.get(app.url("/healthz"));
    for i in 0..120 {
        req = req.header(format!("x-h{i}"), "1");
    }
    assert_eq!(req.send().await.expect("request").status(), 431);
}

/// A TCP server that accepts connections and never answers.
async fn black_hole() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    address
}

#[tokio::test]
async fn a_request_over_the_timeout_is_answered_503_timeout_and_the_server_carries_on() {
    // A connection test against a server that never answers outlasts a 1 s request timeout
    // (its own outbound timeout is 10 s).
    let app = TestApp::spawn_with(|s| {
        s.outbound_allow = "127.0.0.1/32".into();
        s.outbound_timeout_secs = 10;
        s.request_timeout_secs = "1".into();
    })
    .await;
    let silent = black_hole().await;
    let (_, token) = app.signup("ada@example.com").await;
    let res = app
        .post_as(
            &token,
            "/v1/credentials",
            &json!({"name": "Slow", "service": "s", "type": "api_key", "data": {"key": "slow-key-0000000001"}, "test": {"url": format!("{silent}/ping")}}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .to_string();
    let started = Instant::now();
    let res = app
        .post_as(&token, &format!("/v1/credentials/{id}/test"), &json!({}))
        .await;
    let took = started.elapsed();
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    let (status, body) = problem(res).await;
    assert_eq!((status, body["code"].as_str()), (503, Some("timeout")));
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(5),
        "{took:?}"
    );
    assert_eq!(app.get_as(&token, "/v1/me").await.status(), 200);
}

async fn get_on(stream: &mut TcpStream) {
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .expect("write");
}

/// Reads until a whole (small) response has arrived.
async fn read_answer(stream: &mut TcpStream) -> String {
    let mut buf = vec![0u8; 4096];
    let mut got = String::new();
    while !got.contains("\r\n\r\n") || !got.ends_with('}') {
        let n = stream.read(&mut buf).await.expect("read");
        assert!(n > 0, "connection closed after {got:?}");
        got.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    got
}

#[tokio::test]
async fn connections_over_the_cap_wait_until_one_closes() {
    let app = TestApp::spawn_with(|s| s.max_connections = "1".into()).await;
    let addr = app.address.trim_start_matches("http://").to_string();
    let mut first = TcpStream::connect(&addr).await.expect("connect");
    get_on(&mut first).await;
    assert!(read_answer(&mut first).await.starts_with("HTTP/1.1 200"));
    // The first connection is kept alive: the second is queued, not served.
    let mut second = TcpStream::connect(&addr).await.expect("connect");
    get_on(&mut second).await;
    // The server is answering meanwhile (the first connection gets a second answer, and its
    // round trip calibrates the wait): a second connection it served would have its answer
    // within a few such round trips, so silence for ten of them means it was held back, not
    // that the machine is slow.
    let asked = std::time::Instant::now();
    get_on(&mut first).await;
    assert!(read_answer(&mut first).await.starts_with("HTTP/1.1 200"));
    let wait = (asked.elapsed() * 10).max(Duration::from_millis(300));
    let mut byte = [0u8; 1];
    assert!(
        tokio::time::timeout(wait, second.peek(&mut byte))
            .await
            .is_err(),
        "the second connection was served while the first was open"
    );
    drop(first);
    let answer = tokio::time::timeout(Duration::from_secs(5), read_answer(&mut second))
        .await
        .expect("served once the first connection closed");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}
