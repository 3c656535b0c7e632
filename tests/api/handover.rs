//! Resolves' batches handed to this instance's sequencer (`usage::direct`): their events are
//! written linked in its transaction, together with their usage counters, after every event
//! committed before them; when the sequencer cannot take them, their writer commits them itself.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::{uuid_at, TestApp};

struct Flow {
    app: TestApp,
    owner: String,
    engine: String,
    cred: String,
    ws: uuid::Uuid,
}

async fn flow() -> Flow {
    let app = TestApp::spawn().await;
    let (body, owner) = app.signup("ada@example.com").await;
    let ws = uuid_at(&body["workspace"]["id"]);
    let engine = app.engine_token(&owner).await;
    let c: Value = app
        .post_as(&owner, "/v1/credentials", &json!({"name": "Stripe", "service": "stripe", "type": "api_key", "data": {"key": "sk_live_handover_000001"}}))
        .await
        .json()
        .await
        .expect("json");
    let cred = c["id"].as_str().expect("id").to_string();
    let owner_id = body["user"]["id"].as_str().expect("user id").to_string();
    let res = app
        .put_json_as(
            &engine,
            "/v1/workflows/wf",
            &json!({"name": "flow", "owner_id": owner_id, "credential_ids": [cred]}),
        )
        .await;
    assert!(
        res.status() == 201 || res.status() == 200,
        "{}",
        res.status()
    );
    Flow {
        app,
        owner,
        engine,
        cred,
        ws,
    }
}

impl Flow {
    async fn resolve(&self) -> reqwest::Response {
        self.app
            .post_as(
                &self.engine,
                &format!("/v1/credentials/{}/resolve", self.cred),
                &json!({"workflow_id": "wf"}),
            )
            .await
    }

    /// The workflow's uses of the credential counted today.
    async fn counted(&self, db: &tokio_postgres::Client) -> i64 {
        db.query_one(
            "SELECT coalesce(sum(count), 0)::int8 FROM usage_daily WHERE credential_id = $1::text::uuid",
            &[&self.cred],
        )
        .await
        .expect("count")
        .get(0)
    }
}

/// With one instance (which runs the sequencer), a resolve's event and its usage counter are
/// written by the sequencer's transaction (same `xmin`: no second write, no unchained insert),
/// and a rotation answered before the resolve sits before it in the chain.
#[tokio::test]
async fn a_resolve_is_chained_by_the_sequencer_after_the_change_answered_before_it() {
    let f = flow().await;
    let db = f.app.db.client().await;
    let started = Instant::now();
    let mut resolved = 0;
    let handed_over = loop {
        let rotated = f
            .app
            .post_as(
                &f.owner,
                &format!("/v1/credentials/{}/rotate", f.cred),
                &json!({"data": {"key": format!("sk_live_handover_{resolved:06}")}}),
            )
            .await;
        assert_eq!(rotated.status(), 200);
        assert_eq!(f.resolve().await.status(), 200);
        resolved += 1;
        crate::helpers::chained(&db, f.ws).await;
        let r = db
            .query_one(
                "SELECT (SELECT seq FROM audit_events WHERE action = 'credential.rotated' ORDER BY seq DESC LIMIT 1),
                        u.seq, u.xmin::text, (SELECT xmin::text FROM usage_daily WHERE credential_id = $1::text::uuid)
                 FROM audit_events u WHERE u.action = 'credential.used' ORDER BY u.seq DESC LIMIT 1",
                &[&f.cred],
            )
            .await
            .expect("events");
        let (rotated_seq, used_seq, used_xmin, counter_xmin): (i64, i64, String, String) =
            (r.get(0), r.get(1), r.get(2), r.get(3));
        assert!(
            used_seq > rotated_seq,
            "the use ({used_seq}) comes after the rotation answered before it ({rotated_seq})"
        );
        // Until the sequencer runs here, the writer commits its batches itself.
        if used_xmin == counter_xmin {
            break true;
        }
        if started.elapsed() > Duration::from_secs(10) {
            break false;
        }
    };
    assert!(
        handed_over,
        "a resolve's event and counter were written in one transaction by the sequencer"
    );
    assert_eq!(f.counted(&db).await, resolved, "every use counted once");
    let v = crate::audit_chain::verify_of(&f.app, &f.owner).await;
    assert_eq!(v["ok"], true, "{v}");
}

/// With a chain head held elsewhere, the sequencer's transaction cannot finish: the resolves
/// handed to it go back to their writer (after its lock timeout), and those not taken yet are
/// withdrawn; every resolve answers 200, and once the head is free every use is chained once.
#[tokio::test]
async fn resolves_answer_while_the_sequencer_is_stuck_on_a_lock() {
    let f = flow().await;
    let db = f.app.db.client().await;
    // Until the sequencer runs here, a resolve's batch does not reach it.
    let started = Instant::now();
    while db
        .query_one(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = 1668441444 AND objid = 1986098033",
            &[],
        )
        .await
        .expect("locks")
        .get::<_, i64>(0)
        == 0
    {
        assert!(started.elapsed() < Duration::from_secs(10), "a sequencer runs");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut holder = f.app.db.client().await;
    let hold = crate::helpers::hold_the_chain_head(&mut holder, f.ws).await;
    for n in 0..4 {
        let t = Instant::now();
        let res = tokio::time::timeout(Duration::from_secs(4), f.resolve())
            .await
            .expect("a resolve answers while the chain head is held");
        assert_eq!(res.status(), 200, "resolve {n}");
        assert!(t.elapsed() < Duration::from_secs(4));
    }
    hold.rollback().await.expect("release");
    crate::helpers::chained(&db, f.ws).await;
    let r = db
        .query_one(
            "SELECT count(*), count(DISTINCT seq) FROM audit_events
             WHERE workspace_id = $1 AND action = 'credential.used'",
            &[&f.ws],
        )
        .await
        .expect("uses");
    let (uses, distinct): (i64, i64) = (r.get(0), r.get(1));
    assert_eq!((uses, distinct), (4, 4), "each use chained once");
    assert_eq!(f.counted(&db).await, 4, "every use counted once");
    let v = crate::audit_chain::verify_of(&f.app, &f.owner).await;
    assert_eq!(v["ok"], true, "{v}");
}

/// A batch of the sequencer that is full leaves committed events for the next one: a resolve
/// handed over then is not linked before them (it goes back to its writer, whose event is linked
/// after the backlog, in insertion order).
#[tokio::test]
async fn a_resolve_during_a_backlog_is_chained_after_it() {
    let f = flow().await;
    let db = f.app.db.client().await;
    crate::helpers::chained(&db, f.ws).await;
    // More unchained events than one batch links, committed at once (as an import would).
    db.execute(
        "INSERT INTO audit_events (workspace_id, id, actor_type, action, outcome, details)
         SELECT $1, gen_random_uuid(), 'system', 'test.backlog', 'success', '{}'::jsonb
         FROM generate_series(1, 2500)",
        &[&f.ws],
    )
    .await
    .expect("backlog");
    assert_eq!(f.resolve().await.status(), 200);
    crate::helpers::chained(&db, f.ws).await;
    let r = db
        .query_one(
            "SELECT (SELECT max(seq) FROM audit_events WHERE workspace_id = $1 AND action = 'test.backlog'),
                    (SELECT max(seq) FROM audit_events WHERE workspace_id = $1 AND action = 'credential.used')",
            &[&f.ws],
        )
        .await
        .expect("seqs");
    let (backlog, used): (i64, i64) = (r.get(0), r.get(1));
    assert!(
        used > backlog,
        "the use ({used}) comes after the backlog committed before it ({backlog})"
    );
    assert_eq!(f.counted(&db).await, 1);
}
