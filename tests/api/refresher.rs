//! The background OAuth2 refresher: one token-endpoint call across instances, only for
//! credentials used in the last 30 days, and no retry before a transient failure's backoff
//! has run. Time is moved through the database, never waited out.

use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::Value;

use crate::helpers::{ServeProcess, TestApp, TestDb};
use crate::promise_support::{eventually, TokenEndpoint};

/// A server that may call 127.0.0.1 and runs the refresher every second.
async fn app() -> TestApp {
    TestApp::spawn_with(|s| {
        s.outbound_allow = "127.0.0.1/32".into();
        s.outbound_timeout_secs = 5;
        s.refresh_interval_secs = 1;
    })
    .await
}

async fn created(app: &TestApp, token: &str, body: &Value) -> uuid::Uuid {
    let res = app.post_as(token, "/v1/credentials", body).await;
    assert_eq!(res.status(), 201, "create");
    crate::helpers::uuid_at(&res.json::<Value>().await.expect("json")["id"])
}

/// (current_version, status) as stored.
async fn version_and_status(db: &tokio_postgres::Client, id: uuid::Uuid) -> (i32, String) {
    let r = db
        .query_one(
            "SELECT current_version, status FROM credentials WHERE id = $1",
            &[&id],
        )
        .await
        .expect("credential");
    (r.get(0), r.get(1))
}

/// Marks credentials as last used `ago` (an SQL interval), which makes a token nearing expiry
/// due for the refresher.
async fn used(db: &tokio_postgres::Client, ids: &[(uuid::Uuid, &str)]) {
    for (id, ago) in ids {
        db.execute(
            &format!(
                "UPDATE credentials SET last_used_at = now() - interval '{ago}' WHERE id = $1"
            ),
            &[id],
        )
        .await
        .expect("set last use");
    }
}

/// Two `credvault serve` processes, both refreshing every second, see the same token nearing
/// expiry; the token endpoint takes 2.5 s to answer, so each instance's refresher runs at least
/// twice while the call is out. The endpoint is called once, and the token it gave is stored.
#[tokio::test]
async fn two_serve_processes_refresh_a_token_in_the_background_exactly_once() {
    let db = TestDb::migrated().await;
    let endpoint = TokenEndpoint::start().await;
    endpoint.delay_ms.store(2500, Ordering::SeqCst);
    let env = [
        ("CREDVAULT_OUTBOUND_ALLOW", "127.0.0.1"),
        ("CREDVAULT_REFRESH_INTERVAL_SECS", "1"),
    ];
    let (a, b) = (
        ServeProcess::start_with_env(&db, &env),
        ServeProcess::start_with_env(&db, &env),
    );
    let (ra, rb) = tokio::join!(a.ready(30), b.ready(30));
    assert!(ra && rb, "both serve");
    let app = TestApp {
        address: a.address.clone(),
        client: reqwest::Client::new(),
        db: TestDb {
            name: String::new(),
            url: db.url.clone(),
        },
    };
    let (_, owner) = app.signup("ada@example.com").await;
    // 100 s left: inside the 2-minute refresh-ahead window.
    let id = created(&app, &owner, &endpoint.credential("shared", 100)).await;
    let client = db.client().await;
    used(&client, &[(id, "1 minute")]).await;
    eventually(
        Duration::from_secs(20),
        "the refreshed token stored",
        || async {
            (version_and_status(&client, id).await == (2, "active".to_string())).then_some(())
        },
    )
    .await;
    assert_eq!(endpoint.calls(), 1, "one call to the token endpoint");
    let events: i64 = client
        .query_one(
            "SELECT count(*) FROM audit_events WHERE action = 'credential.refreshed' AND target_id = $1",
            &[&id.to_string()],
        )
        .await
        .expect("events")
        .get(0);
    assert_eq!(events, 1);
}

/// Of two tokens nearing expiry, the one whose credential was last used 30 days and a minute
/// ago is left alone (it is also the sooner to expire, so the refresher would reach it first),
/// and the one used 29 days ago is refreshed.
#[tokio::test]
async fn the_background_refresher_leaves_credentials_unused_for_30_days_alone() {
    let app = app().await;
    let endpoint = TokenEndpoint::start().await;
    let (_, owner) = app.signup("ada@example.com").await;
    let stale = created(&app, &owner, &endpoint.credential("stale", 90)).await;
    let recent = created(&app, &owner, &endpoint.credential("recent", 100)).await;
    let db = app.db.client().await;
    db.execute(
        "UPDATE credentials SET last_used_at = now() - CASE WHEN id = $1 THEN interval '30 days 1 minute' ELSE interval '29 days' END
          WHERE id = ANY($2)",
        &[&stale, &vec![stale, recent]],
    )
    .await
    .expect("set last uses");
    eventually(
        Duration::from_secs(10),
        "the recent one refreshed",
        || async { (version_and_status(&db, recent).await.0 == 2).then_some(()) },
    )
    .await;
    assert_eq!(endpoint.calls_for("recent"), 1);
    assert_eq!(endpoint.calls_for("stale"), 0, "not used for 30 days");
    assert_eq!(version_and_status(&db, stale).await.0, 1);
}

/// Waits until the refresher has run a whole pass: an expired authorization state it deletes
/// at the start of each pass is gone, twice over.
async fn a_refresher_pass(
    db: &tokio_postgres::Client,
    ws: uuid::Uuid,
    cred: uuid::Uuid,
    user: uuid::Uuid,
) {
    for _ in 0..2 {
        let hash = uuid::Uuid::now_v7().as_bytes().to_vec();
        db.execute(
            "INSERT INTO oauth_states (state_hash, workspace_id, credential_id, user_id, expires_at)
             VALUES ($1, $2, $3, $4, now() - interval '2 days')",
            &[&hash, &ws, &cred, &user],
        )
        .await
        .expect("an expired state");
        eventually(Duration::from_secs(10), "a refresher pass", || async {
            let left: i64 = db
                .query_one(
                    "SELECT count(*) FROM oauth_states WHERE state_hash = $1",
                    &[&hash],
                )
                .await
                .expect("count")
                .get(0);
            (left == 0).then_some(())
        })
        .await;
    }
}

/// A 503 from the token endpoint sets the credential to `error` with a 30 s backoff: refresher
/// passes during it call nobody; once the backoff is over (moved forward in the database), the
/// next pass refreshes.
#[tokio::test]
async fn after_a_transient_failure_the_background_refresher_waits_out_its_backoff() {
    let app = app().await;
    let endpoint = TokenEndpoint::start().await;
    endpoint.fail_next(503);
    let (signup, owner) = app.signup("ada@example.com").await;
    let ws = crate::helpers::uuid_at(&signup["workspace"]["id"]);
    let user = crate::helpers::uuid_at(&signup["user"]["id"]);
    let id = created(&app, &owner, &endpoint.credential("flaky", 100)).await;
    let db = app.db.client().await;
    used(&db, &[(id, "1 minute")]).await;
    eventually(
        Duration::from_secs(10),
        "the failed attempt recorded",
        || async { (version_and_status(&db, id).await == (1, "error".to_string())).then_some(()) },
    )
    .await;
    assert_eq!(endpoint.calls(), 1);
    let (failures, wait): (i32, f64) = {
        let r = db
            .query_one(
                "SELECT refresh_failures, extract(epoch FROM refresh_retry_at - now())::float8 FROM credentials WHERE id = $1",
                &[&id],
            )
            .await
            .expect("backoff");
        (r.get(0), r.get(1))
    };
    assert_eq!(failures, 1);
    assert!(
        (20.0..=30.0).contains(&wait),
        "a 30 s backoff, {wait} s left"
    );

    a_refresher_pass(&db, ws, id, user).await;
    assert_eq!(endpoint.calls(), 1, "no retry during the backoff");

    db.execute(
        "UPDATE credentials SET refresh_retry_at = now() WHERE id = $1",
        &[&id],
    )
    .await
    .expect("end the backoff");
    eventually(
        Duration::from_secs(10),
        "refreshed after the backoff",
        || async { (version_and_status(&db, id).await == (2, "active".to_string())).then_some(()) },
    )
    .await;
    assert_eq!(endpoint.calls(), 2);
}
