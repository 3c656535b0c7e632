//! The audit log by month (issue #28): events live in month partitions; lists, filters, export
//! and verify work across them; retention drops whole months after a checkpoint event from
//! which verify starts.

use serde_json::{json, Value};

use crate::audit_chain::verify_of;
use crate::helpers::{uuid_at, ServeProcess, TestApp, TestDb};
use crate::process::client_of;

/// Moves the workspace's first `n` events into January 2024 and links the whole chain again
/// with the server's key, as if they had happened then.
async fn backdate(db: &tokio_postgres::Client, ws: uuid::Uuid, n: i64) {
    // Changes answer at their commit: the events to move are the linked ones.
    crate::helpers::chained(db, ws).await;
    let keys = crate::helpers::chain_keys();
    db.batch_execute(
        "SELECT audit_ensure_partitions('2024-01-01Z', '2024-02-01Z');
         ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only;",
    )
    .await
    .expect("month");
    db.execute(
        "UPDATE audit_events SET at = '2024-01-10Z'::timestamptz + seq * interval '1 second'
         WHERE workspace_id = $1 AND seq <= $2",
        &[&ws, &n],
    )
    .await
    .expect("backdate");
    db.batch_execute("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only")
        .await
        .expect("enable");
    let active = keys.active_id().to_owned();
    crate::audit_keyed::rewrite_with_key(
        db,
        ws,
        1,
        |p, c| keys.keyed_hash(&active, ws, p, c).expect("key"),
        Some(&active),
    )
    .await;
}

async fn export_seqs(app: &TestApp, token: &str, query: &str) -> Vec<i64> {
    let body = app
        .get_as(token, &format!("/v1/audit/export{query}"))
        .await
        .text()
        .await
        .expect("ndjson");
    body.lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).expect("json")["seq"]
                .as_i64()
                .expect("seq")
        })
        .collect()
}

#[tokio::test]
async fn months_are_read_as_one_log_and_retention_drops_them_after_a_checkpoint() {
    let db = TestDb::migrated().await;
    let mut first = ServeProcess::start(&db);
    assert!(first.ready(30).await, "the server starts");
    let app = client_of(&first, &db);
    let (body, owner) = app.signup("ada@example.com").await;
    let ws = uuid_at(&body["workspace"]["id"]);
    for i in 0..4 {
        let res = app
            .post_as(&owner, "/v1/teams", &json!({"name": format!("t{i}")}))
            .await;
        assert_eq!(res.status(), 201);
    }
    let client = db.client().await;
    backdate(&client, ws, 3).await;
    let (head, in_january): (i64, i64) = {
        let r = client
            .query_one(
                "SELECT (SELECT seq FROM audit_heads WHERE workspace_id = $1),
                        (SELECT count(*) FROM audit_events_p202401 WHERE workspace_id = $1)",
                &[&ws],
            )
            .await
            .expect("counts");
        (r.get(0), r.get(1))
    };
    assert_eq!(
        in_january, 3,
        "the first events are in January 2024's partition"
    );
    // One log across months: export, a filtered list, a time range, verify.
    assert_eq!(
        export_seqs(&app, &owner, "").await,
        (1..=head).collect::<Vec<_>>()
    );
    assert_eq!(
        export_seqs(&app, &owner, "?to=2024-02-01T00:00:00Z").await,
        vec![1, 2, 3]
    );
    let page: Value = app
        .get_as(&owner, "/v1/audit?action=team.created&limit=2")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(page["items"].as_array().map(Vec::len), Some(2));
    assert!(page["next_cursor"].is_string());
    let v = verify_of(&app, &owner).await;
    assert_eq!(
        v,
        json!({"ok": true, "events_checked": head, "first_bad_seq": null, "pending": 0})
    );

    // A server keeping 30 days drops January 2024 after its checkpoint.
    first.child.kill().expect("stop");
    let _ = first.child.wait();
    let second = ServeProcess::start_with_env(&db, &[("CREDVAULT_AUDIT_RETENTION_DAYS", "30")]);
    assert!(second.ready(30).await, "the second server starts");
    let app = client_of(&second, &db);
    let mut gone = false;
    for _ in 0..250 {
        let exists: bool = client
            .query_one(
                "SELECT to_regclass('audit_events_p202401') IS NOT NULL",
                &[],
            )
            .await
            .expect("exists")
            .get(0);
        if !exists {
            gone = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(gone, "the month past retention is dropped");
    let page: Value = app
        .get_as(&owner, "/v1/audit?action=audit.retention_checkpoint")
        .await
        .json()
        .await
        .expect("json");
    let cp = &page["items"][0];
    assert_eq!(cp["seq"], json!(head + 1), "{page}");
    assert_eq!(cp["details"]["through_seq"], json!(3));
    assert_eq!(cp["actor"]["type"], "system");
    let v = verify_of(&app, &owner).await;
    assert_eq!(
        v,
        json!({"ok": true, "events_checked": head + 1 - 3, "first_bad_seq": null, "pending": 0}),
        "verify starts at the checkpoint"
    );
    assert_eq!(
        export_seqs(&app, &owner, "").await,
        (4..=head + 1).collect::<Vec<_>>()
    );
    // What the checkpoint names cannot be moved: an event after it edited still breaks.
    client
        .batch_execute(
            "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only;
             UPDATE audit_events SET details = '{\"forged\": true}' WHERE seq = 5;
             ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only;",
        )
        .await
        .expect("forge");
    let v = verify_of(&app, &owner).await;
    assert_eq!(
        (v["ok"].clone(), v["first_bad_seq"].clone()),
        (json!(false), json!(5)),
        "{v}"
    );
}

fn credvault(db: &TestDb, args: &[&str]) -> std::process::Output {
    std::process::Command::new(crate::helpers::credvault_bin())
        .args(args)
        .env("DATABASE_URL", &db.url)
        .env("CREDVAULT_MASTER_KEY", crate::helpers::TEST_MASTER_KEY)
        .output()
        .expect("run")
}

/// `audit archive` writes a month with signed checkpoints; `audit verify --archive` checks it
/// offline and finds an edited line.
#[tokio::test]
async fn an_archived_month_verifies_offline_and_an_edit_is_found() {
    let db = TestDb::migrated().await;
    let server = ServeProcess::start(&db);
    assert!(server.ready(30).await, "the server starts");
    let app = client_of(&server, &db);
    let (body, owner) = app.signup("ada@example.com").await;
    let ws = uuid_at(&body["workspace"]["id"]);
    let res = app
        .post_as(&owner, "/v1/teams", &json!({"name": "t"}))
        .await;
    assert_eq!(res.status(), 201);
    let client = db.client().await;
    backdate(&client, ws, 3).await;
    let dir = std::env::temp_dir().join(format!("credvault-archive-{}", uuid::Uuid::now_v7()));
    let out = dir.to_string_lossy().to_string();
    let written = credvault(
        &db,
        &["audit", "archive", "--before", "2024-02-01", "--out", &out],
    );
    assert!(
        written.status.success(),
        "{}",
        String::from_utf8_lossy(&written.stderr)
    );
    let events = dir.join("audit_events_p202401.ndjson");
    let text = std::fs::read_to_string(&events).expect("the month's events");
    assert_eq!(text.lines().count(), 3);
    let manifest: Value = serde_json::from_slice(
        &std::fs::read(dir.join("audit_events_p202401.checkpoint.json")).expect("manifest"),
    )
    .expect("json");
    assert_eq!(manifest["checkpoints"][0]["seq"], json!(3));
    let checked = credvault(&db, &["audit", "verify", "--archive", &out]);
    let stdout = String::from_utf8_lossy(&checked.stdout).to_string();
    assert!(
        checked.status.success() && stdout.contains("ok, 3 events"),
        "{stdout}"
    );
    std::fs::write(
        &events,
        text.replacen("\"details\":{", "\"details\":{\"forged\":true,", 1),
    )
    .expect("edit");
    let checked = credvault(&db, &["audit", "verify", "--archive", &out]);
    let stdout = String::from_utf8_lossy(&checked.stdout).to_string();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        !checked.status.success() && stdout.contains("BROKEN at seq 1"),
        "{stdout}"
    );
}
