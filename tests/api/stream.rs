//! The audit stream (#27): `GET /v1/audit/export?after_seq=N&follow=true`.

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{json, Value};

use crate::helpers::{problem, TestApp};

/// A followed export, read a line at a time.
struct Follow {
    body: std::pin::Pin<
        Box<dyn futures_util::Stream<Item = reqwest::Result<actix_web::web::Bytes>> + Send>,
    >,
    buf: Vec<u8>,
}

impl Follow {
    async fn open(app: &TestApp, token: &str, after: i64) -> Follow {
        let res = app
            .get_as(
                token,
                &format!("/v1/audit/export?after_seq={after}&follow=true"),
            )
            .await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "application/x-ndjson");
        Follow {
            body: Box::pin(res.bytes_stream()),
            buf: Vec::new(),
        }
    }

    /// The next line (empty for a heartbeat); None if none comes within `secs`.
    async fn line(&mut self, secs: u64) -> Option<String> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(i) = self.buf.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = self.buf.drain(..=i).collect();
                return Some(String::from_utf8_lossy(&line[..i]).to_string());
            }
            let chunk = tokio::time::timeout_at(deadline, self.body.next())
                .await
                .ok()??;
            self.buf.extend_from_slice(&chunk.expect("chunk"));
        }
    }

    /// The next event (skipping heartbeats).
    async fn event(&mut self, secs: u64) -> Option<Value> {
        loop {
            let line = self.line(secs).await?;
            if !line.is_empty() {
                return Some(serde_json::from_str(&line).expect("an event per line"));
            }
        }
    }
}

async fn create(app: &TestApp, token: &str, n: usize) {
    let body = json!({"name": format!("k{n}"), "service": "s", "type": "api_key", "data": {"key": "sk_live_stream_000000001"}});
    assert_eq!(
        app.post_as(token, "/v1/credentials", &body).await.status(),
        201
    );
}

async fn head(app: &TestApp, token: &str) -> i64 {
    let page: Value = app
        .get_as(token, "/v1/audit?limit=1")
        .await
        .json()
        .await
        .expect("json");
    page["items"][0]["seq"].as_i64().expect("seq")
}

#[tokio::test]
async fn members_cannot_follow_the_stream() {
    let app = TestApp::spawn().await;
    let (_, owner) = app.signup("owner@example.com").await;
    let (_, member) = app.user_with_role(&owner, "m@example.com", "member").await;
    let res = app
        .get_as(&member, "/v1/audit/export?after_seq=0&follow=true")
        .await;
    assert_eq!(problem(res).await.0, 403);
}

#[tokio::test]
async fn new_events_arrive_as_they_are_chained_and_an_idle_stream_beats() {
    let app = TestApp::spawn_with(|f| f.events.audit_stream_heartbeat_ms = "300".into()).await;
    let (_, owner) = app.signup("owner@example.com").await;
    let (_, auditor) = app.user_with_role(&owner, "a@example.com", "auditor").await;
    let start = head(&app, &owner).await;
    let mut follow = Follow::open(&app, &auditor, start).await;
    // Nothing yet: a heartbeat (an empty line).
    assert_eq!(follow.line(3).await.as_deref(), Some(""));
    create(&app, &owner, 1).await;
    let e = follow.event(3).await.expect("the new event arrives");
    assert_eq!(e["seq"], start + 1);
    assert_eq!(e["action"], "credential.created");
    assert!(!e.to_string().contains("sk_live_stream"));
}

#[tokio::test]
async fn the_stream_resumes_after_a_disconnect_with_nothing_lost_or_repeated() {
    let app = TestApp::spawn().await;
    let (_, owner) = app.signup("owner@example.com").await;
    for n in 0..5 {
        create(&app, &owner, n).await;
    }
    let mut seen: Vec<i64> = Vec::new();
    let mut follow = Follow::open(&app, &owner, 0).await;
    // Writers keep going while the follower reads, disconnects and comes back.
    let writer = {
        let (address, owner) = (app.address.clone(), owner.clone());
        tokio::spawn(async move {
            let client = reqwest::Client::new();
            for n in 0..30 {
                let body = json!({"name": format!("w{n}"), "service": "s", "type": "api_key", "data": {"key": "sk_live_stream_000000002"}});
                let res = client
                    .post(format!("{address}/v1/credentials"))
                    .bearer_auth(&owner)
                    .json(&body)
                    .send()
                    .await
                    .expect("create");
                assert_eq!(res.status(), 201);
            }
        })
    };
    for _ in 0..4 {
        let e = follow.event(5).await.expect("an event");
        seen.push(e["seq"].as_i64().expect("seq"));
    }
    drop(follow);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut follow = Follow::open(&app, &owner, *seen.last().expect("seen")).await;
    writer.await.expect("writer");
    let end = head(&app, &owner).await;
    while seen.last().copied() != Some(end) {
        let e = follow.event(5).await.expect("every event up to the head");
        seen.push(e["seq"].as_i64().expect("seq"));
    }
    let expected: Vec<i64> = (1..=end).collect();
    assert_eq!(seen, expected, "each seq once, in order");
}

#[tokio::test]
async fn followers_woken_together_each_get_every_event_once_whatever_their_filter_or_start() {
    let app = TestApp::spawn().await;
    let (_, owner) = app.signup("owner@example.com").await;
    create(&app, &owner, 0).await;
    let start = head(&app, &owner).await;
    // Four from the head (they share their reads), one from the start of the log, and one that
    // follows only `credential.created` (a read of its own).
    let mut from_head = Vec::new();
    for _ in 0..4 {
        from_head.push(Follow::open(&app, &owner, start).await);
    }
    let mut from_zero = Follow::open(&app, &owner, 0).await;
    let res = app
        .get_as(
            &owner,
            &format!("/v1/audit/export?after_seq={start}&follow=true&action=credential.created"),
        )
        .await;
    assert_eq!(res.status(), 200);
    let mut created_only = Follow {
        body: Box::pin(res.bytes_stream()),
        buf: Vec::new(),
    };
    for n in 1..=20 {
        create(&app, &owner, n).await;
        if n % 5 == 0 {
            let body = json!({"description": format!("d{n}")});
            let page: Value = app
                .get_as(&owner, "/v1/credentials?limit=1")
                .await
                .json()
                .await
                .expect("json");
            let id = page["items"][0]["id"].as_str().expect("id");
            let res = app
                .patch_as(&owner, &format!("/v1/credentials/{id}"), &body)
                .await;
            assert_eq!(res.status(), 200);
        }
    }
    let end = head(&app, &owner).await;
    for f in from_head.iter_mut() {
        let mut seen = Vec::new();
        while seen.last().copied() != Some(end) {
            let e = f.event(10).await.expect("every event up to the head");
            seen.push(e["seq"].as_i64().expect("seq"));
        }
        assert_eq!(
            seen,
            ((start + 1)..=end).collect::<Vec<_>>(),
            "each once, in order"
        );
    }
    let mut seen = Vec::new();
    while seen.last().copied() != Some(end) {
        let e = from_zero.event(10).await.expect("every event");
        seen.push(e["seq"].as_i64().expect("seq"));
    }
    assert_eq!(seen, (1..=end).collect::<Vec<_>>());
    let mut created = Vec::new();
    while created.len() < 20 {
        let e = created_only.event(10).await.expect("every creation");
        assert_eq!(e["action"], "credential.created");
        created.push(e["seq"].as_i64().expect("seq"));
    }
    assert!(created.windows(2).all(|w| w[0] < w[1]), "{created:?}");
    assert!(created_only.event(1).await.is_none(), "nothing else");
}

#[tokio::test]
async fn followers_beyond_the_limit_are_refused_with_429_until_one_leaves() {
    let app = TestApp::spawn_with(|f| {
        f.events.audit_stream_max_followers = "2".into();
        // A follower that left is noticed at the next write.
        f.events.audit_stream_heartbeat_ms = "200".into();
    })
    .await;
    let (_, owner) = app.signup("owner@example.com").await;
    let a = Follow::open(&app, &owner, 0).await;
    let _b = Follow::open(&app, &owner, 0).await;
    let res = app.get_as(&owner, "/v1/audit/export?follow=true").await;
    let (status, body) = problem(res).await;
    assert_eq!((status, body["code"].clone()), (429, json!("rate_limited")));
    // A plain export is not a follower.
    assert_eq!(app.get_as(&owner, "/v1/audit/export").await.status(), 200);
    drop(a);
    let mut ok = false;
    for _ in 0..50 {
        let res = app.get_as(&owner, "/v1/audit/export?follow=true").await;
        if res.status() == 200 {
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ok, "a place frees when a follower leaves");
}
