//! Webhooks (#27): who may configure them, the URL rules, signed deliveries taken from the audit
//! log (retries with the same id, restarts, a dead receiver), and time-based events.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::{problem, ServeProcess, TestApp, TestDb};
use crate::receiver::Receiver;

const KEY: &str = "sk_live_webhook_secret_000001";

/// An app whose outbound calls may reach 127.0.0.1 (the receivers), retries quickly.
async fn app() -> TestApp {
    TestApp::spawn_with(|f| {
        f.outbound_allow = "127.0.0.1".into();
        f.events.webhook_retry_schedule = "0.3,0.3".into();
    })
    .await
}

async fn create_hook(app: &TestApp, token: &str, url: &str, events: Value) -> Value {
    let res = app
        .post_as(
            token,
            "/v1/webhooks",
            &json!({"url": url, "events": events, "description": "ops"}),
        )
        .await;
    assert_eq!(res.status(), 201, "create webhook");
    res.json().await.expect("json")
}

async fn create_key(app: &TestApp, token: &str, name: &str) -> String {
    let res = app
        .post_as(
            token,
            "/v1/credentials",
            &json!({"name": name, "service": "s", "type": "api_key", "data": {"key": KEY}}),
        )
        .await;
    assert_eq!(res.status(), 201, "create credential");
    res.json::<Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .to_string()
}

/// Disables or enables a webhook.
async fn set_disabled(app: &TestApp, token: &str, hook: &str, disabled: bool) {
    let res = app
        .patch_as(
            token,
            &format!("/v1/webhooks/{hook}"),
            &json!({"disabled": disabled}),
        )
        .await;
    assert_eq!(res.status(), 200, "disabled: {disabled}");
}

async fn deliveries(app: &TestApp, token: &str, hook: &str) -> Vec<Value> {
    let page: Value = app
        .get_as(token, &format!("/v1/webhooks/{hook}/deliveries"))
        .await
        .json()
        .await
        .expect("json");
    page["items"].as_array().expect("items").clone()
}

#[tokio::test]
async fn members_auditors_engines_and_unscoped_tokens_cannot_touch_webhooks_or_their_secrets() {
    let app = app().await;
    let (_, owner) = app.signup("owner@example.com").await;
    let rx = Receiver::start().await;
    let hook = create_hook(&app, &owner, &rx.url, json!(["*"])).await;
    let id = hook["id"].as_str().expect("id");
    let (_, member) = app.user_with_role(&owner, "m@example.com", "member").await;
    let (_, auditor) = app.user_with_role(&owner, "a@example.com", "auditor").await;
    let (_, admin) = app.user_with_role(&owner, "ad@example.com", "admin").await;
    let engine = app.engine_token(&owner).await;
    let token = |scopes: Value| {
        let app = &app;
        let admin = admin.clone();
        async move {
            let res = app
                .post_as(
                    &admin,
                    "/v1/tokens",
                    &json!({"name": "t", "kind": "personal", "scopes": scopes}),
                )
                .await;
            assert_eq!(res.status(), 201);
            res.json::<Value>().await.expect("json")["token"]
                .as_str()
                .expect("token")
                .to_string()
        }
    };
    let unscoped = token(json!(["credentials:read", "audit:read"])).await;
    for who in [&member, &auditor, &engine, &unscoped] {
        let body = json!({"url": rx.url, "events": ["*"]});
        assert_eq!(
            problem(app.post_as(who, "/v1/webhooks", &body).await)
                .await
                .0,
            403
        );
        assert_eq!(app.get_as(who, "/v1/webhooks").await.status(), 403);
        assert_eq!(
            app.get_as(who, &format!("/v1/webhooks/{id}"))
                .await
                .status(),
            403
        );
        let rotate = app
            .post_as(who, &format!("/v1/webhooks/{id}/rotate-secret"), &json!({}))
            .await;
        assert_eq!(rotate.status(), 403);
        assert_eq!(
            app.get_as(who, &format!("/v1/webhooks/{id}/deliveries"))
                .await
                .status(),
            403
        );
        assert_eq!(
            app.delete_as(who, &format!("/v1/webhooks/{id}"))
                .await
                .status(),
            403
        );
    }
    // The admin role with the admin scope may; the secret is never shown again.
    let scoped = token(json!(["admin"])).await;
    let listed: Value = app
        .get_as(&scoped, "/v1/webhooks")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(listed["items"][0]["id"], hook["id"]);
    let secret = hook["secret"].as_str().expect("secret");
    assert!(secret.starts_with("whsec_"));
    let one = app
        .get_as(&admin, &format!("/v1/webhooks/{id}"))
        .await
        .text()
        .await
        .expect("text");
    assert!(!one.contains(secret) && !one.contains("secret"), "{one}");
    assert!(!listed.to_string().contains(secret));
    // No secret in the audit log either.
    let log = app
        .get_as(&owner, "/v1/audit/export")
        .await
        .text()
        .await
        .expect("text");
    assert!(log.contains("webhook.created"));
    assert!(!log.contains(secret) && !log.contains("whsec_"), "{log}");
}

#[tokio::test]
async fn urls_must_be_https_or_allowed_and_never_private_and_event_types_are_checked() {
    let strict = TestApp::spawn().await;
    let (_, owner) = strict.signup("owner@example.com").await;
    for url in [
        "http://127.0.0.1:9/hook",
        "https://10.1.2.3/hook",
        "https://[::1]/x",
        "ftp://example.com/",
        "not a url",
        "https://169.254.169.254/latest",
    ] {
        let (status, body) = problem(
            strict
                .post_as(
                    &owner,
                    "/v1/webhooks",
                    &json!({"url": url, "events": ["*"]}),
                )
                .await,
        )
        .await;
        assert_eq!(status, 422, "{url}: {body}");
        assert_eq!(body["errors"][0]["field"], "url", "{url}: {body}");
    }
    let (status, body) = problem(strict.post_as(&owner, "/v1/webhooks", &json!({"url": "https://hooks.example.com/x", "events": ["credential.rotated", "credential.used"]})).await).await;
    assert_eq!(status, 422);
    assert_eq!(body["errors"][0]["field"], "events[1]");
    let msg = body["errors"][0]["message"].as_str().expect("message");
    assert!(
        msg.contains("credential.rotation_due") && msg.contains('*'),
        "{msg}"
    );
    let (status, body) = problem(
        strict
            .post_as(
                &owner,
                "/v1/webhooks",
                &json!({"url": "https://hooks.example.com/x"}),
            )
            .await,
    )
    .await;
    assert_eq!(
        (status, body["errors"][0]["field"].clone()),
        (422, json!("events"))
    );
}

#[tokio::test]
async fn a_delivery_is_signed_verifiable_with_the_secret_shown_once_and_holds_no_secret_value() {
    let app = app().await;
    let (_, owner) = app.signup("owner@example.com").await;
    let rx = Receiver::start().await;
    let hook = create_hook(
        &app,
        &owner,
        &rx.url,
        json!(["credential.created", "credential.rotated", "token.created"]),
    )
    .await;
    let secret = hook["secret"].as_str().expect("secret").to_string();
    let cid = create_key(&app, &owner, "stripe").await;
    let res = app
        .post_as(
            &owner,
            &format!("/v1/credentials/{cid}/rotate"),
            &json!({"data": {"key": "sk_live_webhook_rotated_002"}}),
        )
        .await;
    assert_eq!(res.status(), 200, "rotate");
    assert!(rx.wait_for(2, 10).await, "two deliveries");
    let got = rx.got();
    for r in &got {
        assert!(r.signed_with(&secret), "signature verifies: {r:?}");
        assert!(
            !r.signed_with("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
            "another secret does not"
        );
        assert!(r.id.starts_with("msg_"));
        let age =
            chrono::Utc::now().timestamp() - r.timestamp.parse::<i64>().expect("unix seconds");
        assert!((0..60).contains(&age));
        assert!(
            !r.body.contains(KEY)
                && !r.body.contains("sk_live_webhook_rotated_002")
                && !r.body.contains("whsec_"),
            "{}",
            r.body
        );
    }
    let types: Vec<Value> = got.iter().map(|r| r.json()["type"].clone()).collect();
    assert_eq!(
        types,
        vec![json!("credential.created"), json!("credential.rotated")],
        "in audit order"
    );
    let first = got[0].json();
    assert_eq!(first["data"]["credential"]["id"], json!(cid));
    assert_eq!(first["data"]["credential"]["name"], "stripe");
    assert!(first["data"]["audit_seq"].as_i64().expect("seq") > 0);
    assert_eq!(first["data"]["actor"]["type"], "user");
    assert_eq!(got[1].json()["data"]["version"], 2);
    documented(
        &first,
        "credential.created",
        "CredentialEventData",
        "credential",
        "CredentialSummary",
    );
    // After a rotation the new secret signs, the old one no longer does.
    let rotated: Value = app
        .post_as(
            &owner,
            &format!(
                "/v1/webhooks/{}/rotate-secret",
                hook["id"].as_str().expect("id")
            ),
            &json!({}),
        )
        .await
        .json()
        .await
        .expect("json");
    let new_secret = rotated["secret"].as_str().expect("secret");
    app.post_as(
        &owner,
        "/v1/tokens",
        &json!({"name": "ci", "kind": "personal", "scopes": ["credentials:read"]}),
    )
    .await;
    assert!(rx.wait_for(3, 10).await);
    let third = &rx.got()[2];
    assert!(third.signed_with(new_secret) && !third.signed_with(&secret));
    documented(
        &third.json(),
        "token.created",
        "TokenEventData",
        "token",
        "EventToken",
    );
    assert_eq!(third.json()["data"]["token"]["name"], "ci");
    assert!(
        !third.body.contains("cvt_"),
        "no token value: {}",
        third.body
    );
}

#[tokio::test]
async fn a_500_then_a_200_is_retried_with_the_same_webhook_id() {
    let app = app().await;
    let (_, owner) = app.signup("owner@example.com").await;
    let rx = Receiver::start().await;
    rx.answer(&[500]);
    let hook = create_hook(&app, &owner, &rx.url, json!(["*"])).await;
    let hook_id = hook["id"].as_str().expect("id");
    create_key(&app, &owner, "k").await;
    assert!(rx.wait_for(2, 10).await, "retried");
    let got = rx.got();
    assert_eq!(got[0].id, got[1].id, "the same webhook-id on the retry");
    assert_eq!(got[0].body, got[1].body, "the same body");
    let list = deliveries(&app, &owner, hook_id).await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["status"], "delivered");
    assert_eq!(list[0]["attempts"], 2);
    assert_eq!(list[0]["last_status_code"], 200);
    assert_eq!(
        format!(
            "msg_{}",
            list[0]["id"].as_str().expect("id").replace('-', "")
        ),
        got[0].id
    );
    // A retry asked for by hand sends it again, with the same id.
    let did = list[0]["id"].as_str().expect("id");
    let res = app
        .post_as(
            &owner,
            &format!("/v1/webhooks/{hook_id}/deliveries/{did}/retry"),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 202);
    assert!(rx.wait_for(3, 10).await, "sent again");
    assert_eq!(rx.got()[2].id, got[0].id);
    let unknown = app
        .post_as(
            &owner,
            &format!(
                "/v1/webhooks/{hook_id}/deliveries/{}/retry",
                uuid::Uuid::now_v7()
            ),
            &json!({}),
        )
        .await;
    assert_eq!(unknown.status(), 404);
}

#[tokio::test]
async fn a_failing_receiver_exhausts_the_schedule_and_later_events_of_a_credential_wait_in_order() {
    let app = app().await;
    let (_, owner) = app.signup("owner@example.com").await;
    let rx = Receiver::start().await;
    rx.answer(&[503, 503, 503]);
    let hook = create_hook(
        &app,
        &owner,
        &rx.url,
        json!(["credential.created", "credential.updated"]),
    )
    .await;
    let cid = create_key(&app, &owner, "k").await;
    app.patch_as(
        &owner,
        &format!("/v1/credentials/{cid}"),
        &json!({"description": "later"}),
    )
    .await;
    // created: 3 failed attempts (first + 2 retries), then failed; only then `updated` goes.
    assert!(rx.wait_for(4, 10).await);
    let got = rx.got();
    let types: Vec<String> = got
        .iter()
        .map(|r| r.json()["type"].as_str().expect("type").to_string())
        .collect();
    assert_eq!(
        types,
        [
            "credential.created",
            "credential.created",
            "credential.created",
            "credential.updated"
        ]
    );
    let list = deliveries(&app, &owner, hook["id"].as_str().expect("id")).await;
    let created = list
        .iter()
        .find(|d| d["event_type"] == "credential.created")
        .expect("created");
    assert_eq!(created["status"], "failed");
    assert_eq!(created["attempts"], 3);
    assert_eq!(created["last_status_code"], 503);
}

#[tokio::test]
async fn a_dead_receiver_does_not_slow_the_api() {
    let app = app().await;
    let (_, owner) = app.signup("owner@example.com").await;
    let rx = Receiver::start().await;
    rx.delay(Duration::from_secs(30));
    create_hook(&app, &owner, &rx.url, json!(["*"])).await;
    create_key(&app, &owner, "first").await;
    assert!(rx.wait_for(1, 10).await, "the first delivery is hanging");
    for n in 0..5 {
        let started = Instant::now();
        create_key(&app, &owner, &format!("k{n}")).await;
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "create {n} took {:?}",
            started.elapsed()
        );
    }
}

#[tokio::test]
async fn a_committed_event_is_delivered_once_by_the_next_instance_when_the_first_dies_before_sending(
) {
    let db = TestDb::migrated().await;
    let rx = Receiver::start().await;
    let env = [
        ("CREDVAULT_OUTBOUND_ALLOW", "127.0.0.1"),
        ("CREDVAULT_WEBHOOK_LEASE_SECS", "2"),
    ];
    let a = ServeProcess::start_with_env(&db, &env);
    assert!(a.ready(30).await);
    let client = reqwest::Client::new();
    let signup: Value = client.post(format!("{}/v1/workspaces", a.address)).json(&json!({"workspace_name": "Acme", "email": "o@example.com", "password": crate::helpers::PASSWORD, "display_name": "O"})).send().await.expect("signup").json().await.expect("json");
    let owner = signup["tokens"]["access_token"]
        .as_str()
        .expect("token")
        .to_string();
    let ws = signup["workspace"]["id"]
        .as_str()
        .expect("workspace id")
        .to_string();
    let res = client
        .post(format!("{}/v1/webhooks", a.address))
        .bearer_auth(&owner)
        .json(&json!({"url": rx.url, "events": ["credential.created"]}))
        .send()
        .await
        .expect("hook");
    assert_eq!(res.status(), 201);
    // Another holder keeps this workspace's lease: instance A commits but cannot send.
    let pg = db.client().await;
    pg.execute("INSERT INTO webhook_dispatchers (workspace_id, holder, lease_until) VALUES ($1::text::uuid, gen_random_uuid(), now() + interval '1 hour')
                ON CONFLICT (workspace_id) DO UPDATE SET holder = EXCLUDED.holder, lease_until = EXCLUDED.lease_until", &[&ws]).await.expect("lease");
    // A may have taken the lease for the webhook's own event before: let what it believes it
    // holds run out (CREDVAULT_WEBHOOK_LEASE_SECS) before the change it must not send.
    tokio::time::sleep(Duration::from_millis(2200)).await;
    let res = client
        .post(format!("{}/v1/credentials", a.address))
        .bearer_auth(&owner)
        .json(&json!({"name": "k", "service": "s", "type": "api_key", "data": {"key": KEY}}))
        .send()
        .await
        .expect("create");
    assert_eq!(res.status(), 201);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        rx.got().is_empty(),
        "nothing sent while the lease is held elsewhere"
    );
    drop(a); // killed
    pg.execute("DELETE FROM webhook_dispatchers", &[])
        .await
        .expect("free the lease");
    let b = ServeProcess::start_with_env(&db, &env);
    assert!(b.ready(30).await);
    assert!(rx.wait_for(1, 15).await, "the next instance delivers it");
    tokio::time::sleep(Duration::from_secs(3)).await;
    let got = rx.got();
    assert_eq!(got.len(), 1, "delivered once");
    assert_eq!(got[0].json()["type"], "credential.created");
}

#[tokio::test]
async fn a_url_allowed_at_creation_is_refused_at_delivery_once_the_allow_list_no_longer_has_it() {
    let db = TestDb::migrated().await;
    let rx = Receiver::start().await;
    // A is killed, not stopped: a short lease lets B take the workspace over soon after.
    let a = ServeProcess::start_with_env(
        &db,
        &[
            ("CREDVAULT_OUTBOUND_ALLOW", "127.0.0.1"),
            ("CREDVAULT_WEBHOOK_LEASE_SECS", "1"),
        ],
    );
    assert!(a.ready(30).await);
    let client = reqwest::Client::new();
    let signup: Value = client.post(format!("{}/v1/workspaces", a.address)).json(&json!({"workspace_name": "Acme", "email": "o@example.com", "password": crate::helpers::PASSWORD, "display_name": "O"})).send().await.expect("signup").json().await.expect("json");
    let owner = signup["tokens"]["access_token"]
        .as_str()
        .expect("token")
        .to_string();
    let hook: Value = client
        .post(format!("{}/v1/webhooks", a.address))
        .bearer_auth(&owner)
        .json(&json!({"url": rx.url, "events": ["*"]}))
        .send()
        .await
        .expect("hook")
        .json()
        .await
        .expect("json");
    drop(a);
    let b = ServeProcess::start_with_env(&db, &[("CREDVAULT_WEBHOOK_RETRY_SCHEDULE", "0.2")]);
    assert!(b.ready(30).await);
    let res = client
        .post(format!("{}/v1/credentials", b.address))
        .bearer_auth(&owner)
        .json(&json!({"name": "k", "service": "s", "type": "api_key", "data": {"key": KEY}}))
        .send()
        .await
        .expect("create");
    assert_eq!(res.status(), 201);
    let path = format!(
        "{}/v1/webhooks/{}/deliveries",
        b.address,
        hook["id"].as_str().expect("id")
    );
    let mut last = Value::Null;
    for _ in 0..100 {
        last = client
            .get(&path)
            .bearer_auth(&owner)
            .send()
            .await
            .expect("list")
            .json()
            .await
            .expect("json");
        if last["items"][0]["status"] == "failed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(last["items"][0]["status"], "failed", "{last}");
    let error = last["items"][0]["last_error"].as_str().expect("error");
    assert!(error.contains("outbound rules"), "{error}");
    assert!(rx.got().is_empty(), "the receiver heard nothing");
}

#[tokio::test]
async fn expiring_and_rotation_due_credentials_are_announced_once_each() {
    let app = TestApp::spawn_with(|f| {
        f.outbound_allow = "127.0.0.1".into();
        f.events.events_interval_secs = "1".into();
    })
    .await;
    let (_, owner) = app.signup("owner@example.com").await;
    let rx = Receiver::start().await;
    create_hook(
        &app,
        &owner,
        &rx.url,
        json!(["credential.expiring", "credential.rotation_due"]),
    )
    .await;
    let expires = (chrono::Utc::now() + chrono::Duration::days(3)).to_rfc3339();
    let res = app.post_as(&owner, "/v1/credentials", &json!({"name": "soon", "service": "s", "type": "api_key", "data": {"key": KEY}, "expires_at": expires})).await;
    assert_eq!(res.status(), 201);
    let due = create_key(&app, &owner, "old").await;
    let pg = app.db.client().await;
    pg.execute("UPDATE credentials SET rotation_period_days = 30, created_at = now() - interval '40 days' WHERE id = $1::text::uuid", &[&due]).await.expect("age it");
    assert!(rx.wait_for(2, 10).await);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut types: Vec<String> = rx
        .got()
        .iter()
        .map(|r| r.json()["type"].as_str().expect("type").to_string())
        .collect();
    types.sort();
    assert_eq!(
        types,
        ["credential.expiring", "credential.rotation_due"],
        "once each"
    );
    let expiring = rx
        .got()
        .into_iter()
        .find(|r| r.json()["type"] == "credential.expiring")
        .expect("expiring")
        .json();
    assert_eq!(expiring["data"]["credential"]["name"], "soon");
    assert!(expiring["data"]["expires_at"].is_string());
    assert_eq!(expiring["data"]["actor"]["type"], "system");
}

#[tokio::test]
async fn a_failed_connection_test_is_a_status_change_with_from_to_and_reason() {
    let app = app().await;
    let (_, owner) = app.signup("owner@example.com").await;
    let hooks = Receiver::start().await;
    let api = Receiver::start().await;
    api.answer(&[401]);
    create_hook(
        &app,
        &owner,
        &hooks.url,
        json!(["credential.status_changed"]),
    )
    .await;
    let body = json!({"name": "tested", "service": "s", "type": "api_key", "data": {"key": KEY}, "test": {"url": api.url}});
    let res = app.post_as(&owner, "/v1/credentials", &body).await;
    assert_eq!(res.status(), 201);
    let cid = res.json::<Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .to_string();
    app.post_as(&owner, &format!("/v1/credentials/{cid}/test"), &json!({}))
        .await;
    assert!(hooks.wait_for(1, 10).await);
    let e = hooks.got()[0].json();
    assert_eq!(e["type"], "credential.status_changed");
    assert_eq!(
        (e["data"]["from"].clone(), e["data"]["to"].clone()),
        (json!("active"), json!("error"))
    );
    assert_eq!(e["data"]["reason"], "test_failed");
    assert_eq!(e["data"]["credential"]["status"], "error");
    // A passing test brings it back; an unchanged status is no event.
    app.post_as(&owner, &format!("/v1/credentials/{cid}/test"), &json!({}))
        .await;
    app.post_as(&owner, &format!("/v1/credentials/{cid}/test"), &json!({}))
        .await;
    assert!(hooks.wait_for(2, 10).await);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let got = hooks.got();
    assert_eq!(got.len(), 2, "two changes, not three");
    assert_eq!(got[1].json()["data"]["reason"], "test_passed");
}

#[tokio::test]
async fn a_refresh_that_succeeds_after_a_failed_one_is_a_status_change_back_to_active() {
    let app = app().await;
    let (_, owner) = app.signup("owner@example.com").await;
    let hooks = Receiver::start().await;
    let provider = Receiver::start().await;
    provider.answer(&[503]);
    provider.reply_with(json!({"access_token": "second-access-token-0001", "token_type": "Bearer", "expires_in": 3600}));
    create_hook(
        &app,
        &owner,
        &hooks.url,
        json!(["credential.status_changed"]),
    )
    .await;
    let body = json!({"name": "google", "service": "google", "type": "oauth2", "data": {
        "grant_type": "authorization_code", "client_id": "cid", "client_secret": "wh-client-secret-000001",
        "authorization_url": "https://accounts.example.com/auth", "token_url": provider.url,
        "access_token": "first-access-token-0001", "refresh_token": "first-refresh-token-001"}});
    let res = app.post_as(&owner, "/v1/credentials", &body).await;
    assert_eq!(res.status(), 201);
    let cid = res.json::<Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .to_string();
    let refresh = format!("/v1/credentials/{cid}/refresh");
    let failed = app.post_as(&owner, &refresh, &json!({})).await;
    assert_eq!(failed.status(), 503, "the provider answered 503");
    assert_eq!(
        app.post_as(&owner, &refresh, &json!({})).await.status(),
        200
    );
    assert!(hooks.wait_for(2, 10).await, "two status changes delivered");
    let got: Vec<Value> = hooks.got().iter().map(|r| r.json()).collect();
    let changes: Vec<[Value; 3]> = got
        .iter()
        .map(|e| {
            let d = &e["data"];
            [d["from"].clone(), d["to"].clone(), d["reason"].clone()]
        })
        .collect();
    assert_eq!(
        changes,
        [
            [json!("active"), json!("error"), json!("refresh_failed")],
            [json!("error"), json!("active"), json!("refresh_succeeded")]
        ]
    );
    assert_eq!(got[1]["type"], "credential.status_changed");
    assert_eq!(got[1]["data"]["credential"]["status"], "active");
    for r in hooks.got() {
        for secret in [
            "second-access-token",
            "first-refresh-token",
            "wh-client-secret",
        ] {
            assert!(!r.body.contains(secret), "{secret} in a delivery");
        }
    }
    // A refresh of an active credential changes no status: no event.
    assert_eq!(
        app.post_as(&owner, &refresh, &json!({})).await.status(),
        200
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(hooks.got().len(), 2, "no change, no event");
    let log = app
        .get_as(&owner, "/v1/audit/export?action=credential.status_changed")
        .await
        .text()
        .await
        .expect("text");
    let last: Value = serde_json::from_str(log.lines().last().expect("an event")).expect("json");
    assert_eq!(last["details"]["reason"], "refresh_succeeded");
    assert_eq!(last["target"]["id"], json!(cid));
}

#[tokio::test]
async fn with_many_credentials_in_flight_each_credentials_deliveries_arrive_in_audit_order() {
    let app = app().await;
    let (_, owner) = app.signup("owner@example.com").await;
    let rx = Receiver::start().await;
    rx.delay(Duration::from_millis(50));
    // Some first attempts fail: their subjects' later deliveries wait for the retry.
    rx.answer(&[500, 503, 500, 500]);
    let hook = create_hook(&app, &owner, &rx.url, json!(["*"])).await;
    let hook = hook["id"].as_str().expect("id");
    // Disabled while the changes are made, so that each credential's three deliveries are due at
    // once when it is enabled again: runs of the same subject in one pass.
    set_disabled(&app, &owner, hook, true).await;
    const CREDENTIALS: usize = 16;
    let mut ids = Vec::new();
    for n in 0..CREDENTIALS {
        ids.push(create_key(&app, &owner, &format!("k{n}")).await);
    }
    for id in &ids {
        for d in ["first", "second"] {
            let res = app
                .patch_as(
                    &owner,
                    &format!("/v1/credentials/{id}"),
                    &json!({"description": d}),
                )
                .await;
            assert_eq!(res.status(), 200);
        }
    }
    set_disabled(&app, &owner, hook, false).await;
    // Three events per credential, four failed attempts retried.
    assert!(
        rx.wait_for(CREDENTIALS * 3 + 4, 30).await,
        "got {}",
        rx.got().len()
    );
    let mut seqs: std::collections::HashMap<String, Vec<(i64, String)>> = Default::default();
    for r in rx.got() {
        let e = r.json();
        let id = e["data"]["credential"]["id"]
            .as_str()
            .expect("id")
            .to_string();
        let seq = e["data"]["audit_seq"].as_i64().expect("audit_seq");
        seqs.entry(id).or_default().push((seq, r.id.clone()));
    }
    assert_eq!(seqs.len(), CREDENTIALS);
    for (id, arrived) in &seqs {
        // In audit order; a retry repeats the delivery it retries, with the same webhook-id.
        for w in arrived.windows(2) {
            assert!(w[0].0 <= w[1].0, "{id}: {arrived:?}");
            assert_eq!(w[0].0 == w[1].0, w[0].1 == w[1].1, "{id}: {arrived:?}");
        }
        let mut distinct: Vec<i64> = arrived.iter().map(|a| a.0).collect();
        distinct.dedup();
        assert_eq!(distinct.len(), 3, "{id}: created, updated twice");
    }
    assert!(
        rx.max_in_flight() > 1,
        "different credentials' deliveries go at once"
    );
}

#[tokio::test]
async fn a_webhook_failing_for_longer_than_allowed_is_disabled_with_an_event() {
    let app = TestApp::spawn_with(|f| {
        f.outbound_allow = "127.0.0.1".into();
        f.events.webhook_retry_schedule = "0.3,0.3,0.3,0.3,0.3,0.3,0.3,0.3".into();
        f.events.webhook_disable_after_secs = "1".into();
    })
    .await;
    let (_, owner) = app.signup("owner@example.com").await;
    let rx = Receiver::start().await;
    rx.answer(&[500; 50]);
    let hook = create_hook(&app, &owner, &rx.url, json!(["*"])).await;
    let id = hook["id"].as_str().expect("id");
    create_key(&app, &owner, "k").await;
    let mut disabled = false;
    for _ in 0..100 {
        let w: Value = app
            .get_as(&owner, &format!("/v1/webhooks/{id}"))
            .await
            .json()
            .await
            .expect("json");
        if w["disabled"] == true {
            disabled = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(disabled, "disabled after a second of failures");
    // The dispatcher's event is chained by the sequencer a moment after it commits.
    let mut log = String::new();
    for _ in 0..50 {
        log = app
            .get_as(&owner, "/v1/audit/export?action=webhook.disabled")
            .await
            .text()
            .await
            .expect("text");
        if !log.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let e: Value = serde_json::from_str(log.lines().next().expect("an event")).expect("json");
    assert_eq!(
        (e["actor"]["type"].clone(), e["target"]["id"].clone()),
        (json!("system"), json!(id))
    );
    // Nothing more is sent to a disabled webhook; enabling it again resumes.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let n = rx.got().len();
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(rx.got().len(), n);
    set_disabled(&app, &owner, id, false).await;
    assert!(rx.wait_for(n + 1, 10).await, "sent again once enabled");
}

/// A delivered payload has only the fields the spec's `webhooks` section documents for its type,
/// and every required one.
fn documented(body: &Value, event: &str, data: &str, subject: &str, subject_schema: &str) {
    let spec: Value = serde_json::from_str(&credvault_api::openapi::spec_json()).expect("spec");
    let schema = |name: &str| spec["components"]["schemas"][name].clone();
    let reference = &spec["webhooks"][event]["post"]["requestBody"]["content"]["application/json"]
        ["schema"]["$ref"];
    let top = reference
        .as_str()
        .expect("a payload schema")
        .rsplit('/')
        .next()
        .expect("name")
        .to_string();
    for (value, name) in [
        (body, top.as_str()),
        (&body["data"], data),
        (&body["data"][subject], subject_schema),
    ] {
        let s = schema(name);
        let props = s["properties"].as_object().expect("properties");
        for key in value.as_object().expect("object").keys() {
            assert!(
                props.contains_key(key),
                "{event}: `{key}` is not documented in {name}"
            );
        }
        for key in s["required"].as_array().into_iter().flatten() {
            assert!(
                value.get(key.as_str().expect("name")).is_some(),
                "{event}: {name}.{key} is missing"
            );
        }
    }
}

/// `keys rotate` re-wraps a webhook's sealed secret too: after it, the new master key alone
/// opens the secret shown at creation, so the old key can be retired without breaking delivery.
#[tokio::test]
async fn key_rotation_rewraps_webhook_secrets() {
    use base64::Engine;
    use credvault_crypto::{Envelope, Keyring, MasterKey, Sealed};
    let app = app().await;
    let (signup, owner) = app.signup("owner@example.com").await;
    let hook = create_hook(&app, &owner, "https://hooks.example.com/in", json!(["*"])).await;
    let secret = hook["secret"].as_str().expect("secret").to_string();
    let old = MasterKey::from_base64(crate::helpers::TEST_MASTER_KEY).expect("key");
    let new = || {
        let b64 = base64::engine::general_purpose::STANDARD.encode([9u8; 32]);
        MasterKey::from_base64(&b64).expect("key")
    };
    let pool = credvault_store::connect(&app.db.url, 2).expect("pool");
    let both = Envelope::new(Keyring::new(new(), vec![old]));
    credvault_api::keys::rotate(&pool, &both, 100, |_| {})
        .await
        .expect("rotate");
    let row = app
        .db
        .client()
        .await
        .query_one(
            "SELECT workspace_id, id, kek_id, wrapped_dek, nonce, ciphertext FROM webhooks",
            &[],
        )
        .await
        .expect("row");
    let (ws, id): (uuid::Uuid, uuid::Uuid) = (row.get(0), row.get(1));
    assert_eq!(
        ws.to_string(),
        signup["workspace"]["id"].as_str().expect("ws")
    );
    let sealed = Sealed {
        kek_id: row.get(2),
        wrapped_dek: row.get(3),
        nonce: row.get(4),
        ciphertext: row.get(5),
    };
    assert_eq!(sealed.kek_id, new().id());
    let plain = Envelope::new(Keyring::new(new(), vec![]))
        .open(&sealed, &credvault_domain::sealing::webhook_aad(ws, id))
        .expect("opens with the new key alone");
    assert_eq!(plain.expose(), secret.as_bytes());
}
