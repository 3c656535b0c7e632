//! The audit chain's sequencer (issue #28): changes in one workspace commit in parallel, with
//! their events unchained; one sequencer per database links them, exactly once, and takes over
//! when its instance dies.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::{uuid_at, ServeProcess, TestApp, TestDb};
use crate::process::client_of;

pub async fn verify_of(app: &TestApp, token: &str) -> Value {
    app.get_as(token, "/v1/audit/verify")
        .await
        .json()
        .await
        .expect("json")
}

async fn create(app: &TestApp, token: &str, name: &str) -> reqwest::Result<reqwest::Response> {
    app.client
        .post(app.url("/v1/credentials"))
        .bearer_auth(token)
        .json(&json!({"name": name, "service": "s", "type": "api_key", "data": {"key": "sk_live_sequencer_0001"}}))
        .send()
        .await
}

/// Every event of the workspace is chained once: seqs 1..=n without gap or repeat, the head at
/// n, nothing pending, and the chain verifies.
async fn chained_exactly_once(db: &tokio_postgres::Client, ws: uuid::Uuid) -> i64 {
    crate::helpers::chained(db, ws).await;
    let r = db
        .query_one(
            "SELECT count(*), count(DISTINCT seq), min(seq), max(seq),
                    (SELECT seq FROM audit_heads WHERE workspace_id = $1)
             FROM audit_events WHERE workspace_id = $1",
            &[&ws],
        )
        .await
        .expect("count");
    let (n, distinct, min, max, head): (i64, i64, i64, i64, i64) =
        (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4));
    assert_eq!(
        (distinct, min, max, head),
        (n, 1, n, n),
        "seqs 1..={n}, once each"
    );
    n
}

/// A change no longer waits for the chain head: with the head locked (the sequencer cannot link
/// anything), a credential is still created and updated, committed and answered (each request
/// announces its own cache invalidations, see `announce`); `verify` counts their events as
/// pending, not as a break, and once the head is free they are chained, in order.
#[tokio::test]
async fn changes_commit_and_answer_without_the_chain_head() {
    let app = TestApp::spawn().await;
    let (body, owner) = app.signup("ada@example.com").await;
    let ws = uuid_at(&body["workspace"]["id"]);
    let mut holder = app.db.client().await;
    let hold = crate::helpers::hold_the_chain_head(&mut holder, ws).await;
    let within = Duration::from_secs(4);
    let created = tokio::time::timeout(
        within,
        app.client
            .post(app.url("/v1/credentials"))
            .bearer_auth(&owner)
            .json(&json!({"name": "made while held", "service": "s", "type": "api_key", "data": {"key": "sk_live_held_000001"}}))
            .send(),
    )
    .await
    .expect("a create answers while the head is held")
    .expect("request");
    assert_eq!(created.status(), 201);
    let id = created.json::<Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .to_string();
    let updated = tokio::time::timeout(
        within,
        app.client
            .patch(app.url(&format!("/v1/credentials/{id}")))
            .bearer_auth(&owner)
            .json(&json!({"service": "changed while held"}))
            .send(),
    )
    .await
    .expect("an update answers while the head is held")
    .expect("request");
    assert_eq!(updated.status(), 200);
    let v = verify_of(&app, &owner).await;
    assert_eq!(v["ok"], true, "{v}");
    assert!(v["pending"].as_i64().unwrap_or(0) >= 2, "{v}");
    hold.rollback().await.expect("release");
    let v = verify_of(&app, &owner).await;
    assert_eq!(
        (v["ok"].clone(), v["pending"].clone()),
        (json!(true), json!(0)),
        "{v}"
    );
    let page: Value = app
        .get_as(&owner, "/v1/audit?limit=2")
        .await
        .json()
        .await
        .expect("json");
    let actions: Vec<&str> = page["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(
        actions,
        ["credential.updated", "credential.created"],
        "{page}"
    );
}

/// Sixteen creates in flight in one workspace all answer, and the chain has each of their
/// events once, in order, with times that never go back.
#[tokio::test]
async fn parallel_changes_in_one_workspace_are_chained_in_order() {
    let app = TestApp::spawn().await;
    let (body, owner) = app.signup("ada@example.com").await;
    let ws = uuid_at(&body["workspace"]["id"]);
    let tasks: Vec<_> = (0..64)
        .map(|i| {
            let (app, owner) = (
                TestApp {
                    address: app.address.clone(),
                    client: app.client.clone(),
                    db: TestDb {
                        name: String::new(),
                        url: app.db.url.clone(),
                    },
                },
                owner.clone(),
            );
            tokio::spawn(async move {
                create(&app, &owner, &format!("c{i}"))
                    .await
                    .expect("request")
                    .status()
                    .as_u16()
            })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.expect("task"), 201);
    }
    let db = app.db.client().await;
    let n = chained_exactly_once(&db, ws).await;
    let times: Vec<chrono::DateTime<chrono::Utc>> = db
        .query(
            "SELECT at FROM audit_events WHERE workspace_id = $1 ORDER BY seq",
            &[&ws],
        )
        .await
        .expect("times")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "times never go back along the chain"
    );
    let created: i64 = db
        .query_one(
            "SELECT count(*) FROM audit_events WHERE action = 'credential.created'",
            &[],
        )
        .await
        .expect("count")
        .get(0);
    assert_eq!(created, 64);
    let v = verify_of(&app, &owner).await;
    assert_eq!(
        v,
        json!({"ok": true, "events_checked": n, "first_bad_seq": null, "pending": 0})
    );
}

/// The instance running the sequencer is killed (SIGKILL) while creates run against it and a
/// second instance: the second takes the sequencer over, and every committed event is chained
/// exactly once.
#[tokio::test]
async fn killing_the_sequencers_instance_mid_traffic_loses_and_repeats_no_link() {
    let db = TestDb::migrated().await;
    let first = ServeProcess::start(&db);
    assert!(first.ready(30).await, "the first server starts");
    let watch = db.client().await;
    // The first instance holds the sequencer before the second starts.
    let started = Instant::now();
    while watch
        .query_one("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = 1668441444 AND objid = 1986098033", &[])
        .await
        .expect("locks")
        .get::<_, i64>(0)
        == 0
    {
        assert!(started.elapsed() < Duration::from_secs(10), "the first server takes the sequencer");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut first = first;
    let second = ServeProcess::start(&db);
    assert!(second.ready(30).await, "the second server starts");
    let (a, b) = (client_of(&first, &db), client_of(&second, &db));
    let (body, owner) = b.signup("ada@example.com").await;
    let ws = uuid_at(&body["workspace"]["id"]);
    let mut tasks = Vec::new();
    for i in 0..200 {
        let app = if i % 2 == 0 {
            client_of(&first, &db)
        } else {
            client_of(&second, &db)
        };
        let owner = owner.clone();
        tasks.push(tokio::spawn(async move {
            create(&app, &owner, &format!("c{i}"))
                .await
                .map(|r| r.status().as_u16())
                .ok()
        }));
        if i == 60 {
            first.child.kill().expect("SIGKILL");
        }
    }
    let mut answered = 0;
    for t in tasks {
        if let Some(status) = t.await.expect("task") {
            assert!(status == 201 || status == 503, "got {status}");
            answered += usize::from(status == 201);
        }
    }
    let _ = first.child.wait();
    assert!(
        answered >= 100,
        "the second instance kept answering: {answered}"
    );
    drop(a);
    let n = chained_exactly_once(&watch, ws).await;
    let created: i64 = watch
        .query_one(
            "SELECT (SELECT count(*) FROM credentials) - (SELECT count(*) FROM audit_events WHERE action = 'credential.created')",
            &[],
        )
        .await
        .expect("count")
        .get(0);
    assert_eq!(created, 0, "every committed credential has its event");
    let v = verify_of(&b, &owner).await;
    assert_eq!(
        v,
        json!({"ok": true, "events_checked": n, "first_bad_seq": null, "pending": 0})
    );
}
