//! The audit API and `credvault audit verify`.

use serde_json::{json, Value};

use crate::helpers::{problem, uuid_at, TestApp};

async fn all_pages(app: &TestApp, token: &str, path: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let sep = if path.contains('?') { '&' } else { '?' };
        let url = match &cursor {
            Some(c) => format!("{path}{sep}limit=3&cursor={c}"),
            None => format!("{path}{sep}limit=3"),
        };
        let page: Value = app.get_as(token, &url).await.json().await.expect("json");
        out.extend(page["items"].as_array().expect("items").iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return out,
        }
    }
}

#[tokio::test]
async fn the_audit_log_lists_filters_exports_and_verifies() {
    let app = TestApp::spawn().await;
    let (_, owner) = app.signup("ada@example.com").await;
    let (member_id, member) = app.user_with_role(&owner, "m@example.com", "member").await;
    let (_, auditor) = app
        .user_with_role(&owner, "au@example.com", "auditor")
        .await;
    let c: Value = app.post_as(&member, "/v1/credentials", &json!({"name": "k", "service": "s", "type": "api_key", "data": {"key": "sk_live_audit_000000001"}})).await.json().await.expect("json");
    let cid = c["id"].as_str().expect("id").to_string();
    app.patch_as(
        &member,
        &format!("/v1/credentials/{cid}"),
        &json!({"description": "d"}),
    )
    .await;
    app.post_as(
        &member,
        &format!("/v1/credentials/{cid}/rotate"),
        &json!({"data": {"key": "sk_live_audit_000000002"}}),
    )
    .await;
    let events = all_pages(&app, &auditor, "/v1/audit").await;
    let seqs: Vec<i64> = events.iter().filter_map(|e| e["seq"].as_i64()).collect();
    let mut sorted = seqs.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(seqs, sorted, "newest first");
    assert_eq!(
        seqs.len() as i64,
        seqs[0],
        "every event once, no gaps across pages"
    );
    let mine: Vec<String> = all_pages(&app, &auditor, &format!("/v1/audit?credential_id={cid}"))
        .await
        .iter()
        .filter_map(|e| e["action"].as_str().map(str::to_string))
        .collect();
    assert_eq!(
        mine,
        [
            "credential.rotated",
            "credential.updated",
            "credential.created"
        ]
    );
    let history: Vec<String> = all_pages(&app, &member, &format!("/v1/credentials/{cid}/audit"))
        .await
        .iter()
        .filter_map(|e| e["action"].as_str().map(str::to_string))
        .collect();
    assert_eq!(history, mine, "the credential's own history");
    let by_actor = all_pages(
        &app,
        &auditor,
        &format!("/v1/audit?actor_id={member_id}&action=credential.updated"),
    )
    .await;
    assert_eq!(by_actor.len(), 1);
    assert_eq!(by_actor[0]["actor"]["type"], "user");
    // from is inclusive, to exclusive.
    let at = by_actor[0]["at"].as_str().expect("at").to_string();
    let enc = |s: &str| s.replace('+', "%2B").replace(':', "%3A");
    let from = all_pages(
        &app,
        &auditor,
        &format!("/v1/audit?action=credential.updated&from={}", enc(&at)),
    )
    .await;
    let to = all_pages(
        &app,
        &auditor,
        &format!("/v1/audit?action=credential.updated&to={}", enc(&at)),
    )
    .await;
    assert_eq!((from.len(), to.len()), (1, 0));
    // Export holds the same events, oldest first.
    let res = app.get_as(&auditor, "/v1/audit/export").await;
    assert_eq!(res.headers()["content-type"], "application/x-ndjson");
    let lines: Vec<Value> = res
        .text()
        .await
        .expect("text")
        .lines()
        .map(|l| serde_json::from_str(l).expect("line"))
        .collect();
    let download = app
        .client
        .get(app.url("/v1/audit/export"))
        .bearer_auth(&auditor)
        .header("accept", "application/octet-stream")
        .send()
        .await
        .expect("req");
    assert_eq!(
        download.headers()["content-type"],
        "application/octet-stream"
    );
    assert_eq!(
        download.text().await.expect("text").lines().count(),
        lines.len(),
        "the same bytes as a download"
    );
    let mut reversed = events.clone();
    reversed.reverse();
    assert_eq!(lines, reversed);
    let v: Value = app
        .get_as(&auditor, "/v1/audit/verify")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        (v["ok"].as_bool(), v["events_checked"].as_i64()),
        (Some(true), Some(seqs[0]))
    );
    // Rights: members have no audit access; an auditor's personal token needs audit:read.
    let (status, _) = problem(app.get_as(&member, "/v1/audit").await).await;
    assert_eq!(status, 403);
    let (status, _) = problem(app.get_as(&owner, "/v1/audit?outcome=maybe").await).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn tampering_is_reported_at_the_first_bad_seq_by_the_api_and_the_cli() {
    let app = TestApp::spawn().await;
    let (body, owner) = app.signup("ada@example.com").await;
    for i in 0..5 {
        app.post_as(&owner, "/v1/teams", &json!({"name": format!("t{i}")}))
            .await;
    }
    let ws = body["workspace"]["id"].as_str().expect("ws").to_string();
    // The edits below are made to the chain as linked (changes answer at their commit).
    crate::helpers::chained(&app.db.client().await, uuid_at(&body["workspace"]["id"])).await;
    let cli = |args: &[&str]| {
        std::process::Command::new(crate::helpers::credvault_bin())
            .args(args)
            .env("DATABASE_URL", &app.db.url)
            .env("CREDVAULT_MASTER_KEY", crate::helpers::TEST_MASTER_KEY)
            .output()
            .expect("run")
    };
    let ok = cli(&["audit", "verify", "--workspace", &ws]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );
    let db = app.db.client().await;
    db.batch_execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only")
        .await
        .expect("disable");
    // Pseudonymising personal fields does not break the chain.
    db.execute(
        "UPDATE audit_events SET actor_display = 'pseudonym-1', ip = NULL, user_agent = NULL",
        &[],
    )
    .await
    .expect("pseudonymise");
    let v: Value = app
        .get_as(&owner, "/v1/audit/verify")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(v["ok"], true);
    // Editing a hashed field, deleting an event, or swapping two: reported at the first bad seq.
    db.execute(
        "UPDATE audit_events SET details = '{\"forged\": true}' WHERE seq = 4",
        &[],
    )
    .await
    .expect("tamper");
    let v: Value = app
        .get_as(&owner, "/v1/audit/verify")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        (v["ok"].as_bool(), v["first_bad_seq"].as_i64()),
        (Some(false), Some(4))
    );
    let broken = cli(&["audit", "verify"]);
    assert!(!broken.status.success());
    assert!(String::from_utf8_lossy(&broken.stdout).contains("BROKEN at seq 4"));
    db.execute("DELETE FROM audit_events WHERE seq >= 3", &[])
        .await
        .expect("delete");
    let v: Value = app
        .get_as(&owner, "/v1/audit/verify")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        (v["ok"].as_bool(), v["first_bad_seq"].as_i64()),
        (Some(false), Some(3)),
        "a cut-off tail is caught against the chain head"
    );
    db.execute("DELETE FROM audit_events WHERE seq = 1", &[])
        .await
        .expect("delete first");
    let v: Value = app
        .get_as(&owner, "/v1/audit/verify")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        (v["ok"].as_bool(), v["first_bad_seq"].as_i64()),
        (Some(false), Some(1))
    );
}

#[tokio::test]
async fn an_action_whose_audit_event_cannot_be_written_leaves_no_change_behind() {
    let app = TestApp::spawn().await;
    let (_, owner) = app.signup("ada@example.com").await;
    let c: Value = app.post_as(&owner, "/v1/credentials", &json!({"name": "before", "service": "s", "type": "api_key", "data": {"key": "sk_live_atomic_00000001"}})).await.json().await.expect("json");
    let cid = c["id"].as_str().expect("id").to_string();
    let db = app.db.client().await;
    db.batch_execute(
        "CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit store refuses writes'; END $$;
         CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION refuse_audit();",
    )
    .await
    .expect("trigger");
    let patched = app
        .patch_as(
            &owner,
            &format!("/v1/credentials/{cid}"),
            &json!({"name": "after", "data": {"key": "sk_live_atomic_00000002"}}),
        )
        .await;
    assert!(patched.status().is_server_error(), "{}", patched.status());
    let rotated = app
        .post_as(
            &owner,
            &format!("/v1/credentials/{cid}/rotate"),
            &json!({"data": {"key": "sk_live_atomic_00000003"}}),
        )
        .await;
    assert!(rotated.status().is_server_error());
    let created = app
        .post_as(&owner, "/v1/teams", &json!({"name": "never"}))
        .await;
    assert!(created.status().is_server_error());
    db.batch_execute("DROP TRIGGER refuse_audit ON audit_events")
        .await
        .expect("drop");
    let now: Value = app
        .get_as(&owner, &format!("/v1/credentials/{cid}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        (
            now["name"].as_str(),
            now["version"].as_i64(),
            now["data"]["key"].as_str()
        ),
        (Some("before"), Some(1), Some("••••0001"))
    );
    let versions: i64 = db
        .query_one(
            "SELECT count(*) FROM credential_versions WHERE credential_id = $1::text::uuid",
            &[&cid],
        )
        .await
        .expect("count")
        .get(0);
    let teams: i64 = db
        .query_one("SELECT count(*) FROM teams", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!((versions, teams), (1, 0));
}

#[tokio::test]
async fn pages_stay_whole_while_events_are_appended() {
    let app = TestApp::spawn().await;
    let (_, owner) = app.signup("ada@example.com").await;
    for i in 0..7 {
        app.post_as(&owner, "/v1/teams", &json!({"name": format!("t{i}")}))
            .await;
    }
    let first: Value = app
        .get_as(&owner, "/v1/audit?limit=4")
        .await
        .json()
        .await
        .expect("json");
    let mut seqs: Vec<i64> = first["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["seq"].as_i64())
        .collect();
    let mut cursor = first["next_cursor"].as_str().map(str::to_string);
    let top = seqs[0];
    while let Some(c) = cursor {
        app.post_as(&owner, "/v1/teams", &json!({"name": format!("during {c}")}))
            .await;
        let page: Value = app
            .get_as(&owner, &format!("/v1/audit?limit=4&cursor={c}"))
            .await
            .json()
            .await
            .expect("json");
        seqs.extend(
            page["items"]
                .as_array()
                .expect("items")
                .iter()
                .filter_map(|e| e["seq"].as_i64()),
        );
        cursor = page["next_cursor"].as_str().map(str::to_string);
    }
    let expected: Vec<i64> = (1..=top).rev().collect();
    assert_eq!(
        seqs, expected,
        "every event that existed at the first page, once, in order"
    );
}

#[tokio::test]
async fn a_users_id_finds_the_events_of_their_personal_tokens() {
    let app = TestApp::spawn().await;
    let (body, owner) = app.signup("ada@example.com").await;
    let uid = body["user"]["id"].as_str().expect("id").to_string();
    let created: Value = app
        .post_as(
            &owner,
            "/v1/tokens",
            &json!({"name": "ci", "kind": "personal", "scopes": ["admin", "audit:read"]}),
        )
        .await
        .json()
        .await
        .expect("json");
    let token = created["token"].as_str().expect("token").to_string();
    assert_eq!(
        app.post_as(&token, "/v1/teams", &json!({"name": "by token"}))
            .await
            .status(),
        201
    );
    let page: Value = app
        .get_as(
            &token,
            &format!("/v1/audit?actor_id={uid}&action=team.created"),
        )
        .await
        .json()
        .await
        .expect("json");
    let e = &page["items"][0];
    assert_eq!(
        (e["actor"]["type"].as_str(), e["actor"]["id"].as_str()),
        (Some("token"), created["id"].as_str())
    );
    assert_eq!(e["details"]["user_id"].as_str(), Some(uid.as_str()));
    let by_token: Value = app
        .get_as(
            &token,
            &format!("/v1/audit?actor_id={}", created["id"].as_str().expect("id")),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(by_token["items"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn outcome_filters_and_reordered_events_are_caught() {
    let app = TestApp::spawn().await;
    let (_, owner) = app.signup("ada@example.com").await;
    app.login("ada@example.com", "wrong password!!").await;
    app.post_as(&owner, "/v1/teams", &json!({"name": "a"}))
        .await;
    app.post_as(&owner, "/v1/teams", &json!({"name": "b"}))
        .await;
    let failures: Value = app
        .get_as(&owner, "/v1/audit?outcome=failure")
        .await
        .json()
        .await
        .expect("json");
    let actions: Vec<&str> = failures["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(actions, ["auth.login_failed"]);
    assert_eq!(failures["items"][0]["actor"]["type"], "anonymous");
    // Swap the contents of two events (their seqs stay): the chain breaks at the first of them.
    let db = app.db.client().await;
    db.batch_execute(
        "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only;
         UPDATE audit_events SET seq = -seq WHERE seq IN (4, 5);
         UPDATE audit_events SET seq = CASE seq WHEN -4 THEN 5 ELSE 4 END WHERE seq IN (-4, -5);",
    )
    .await
    .expect("swap");
    let v: Value = app
        .get_as(&owner, "/v1/audit/verify")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        (v["ok"].as_bool(), v["first_bad_seq"].as_i64()),
        (Some(false), Some(4))
    );
}

#[tokio::test]
async fn events_appended_with_their_own_times_chain_like_live_ones_and_bad_input_writes_nothing() {
    use credvault_store::audit::{append_events, NewEvent};
    let app = TestApp::spawn().await;
    let (body, owner) = app.signup("ada@example.com").await;
    let ws = uuid_at(&body["workspace"]["id"]);
    let pool = credvault_store::connect(&app.db.url, 1).expect("pool");
    let conn = pool.get().await.expect("conn");
    // The sign-up answered at its commit: its events (and the chain's head) are linked first.
    crate::helpers::chained(&conn, ws).await;
    let details = json!({"imported": true, "note": "line\u{2028}two"});
    let times: Vec<chrono::DateTime<chrono::Utc>> =
        ["2024-02-29T23:59:59.999999Z", "2024-03-01T00:00:00Z"]
            .iter()
            .map(|t| t.parse().expect("time"))
            .collect();
    let ids = [uuid::Uuid::now_v7(), uuid::Uuid::now_v7()];
    let rows: Vec<NewEvent> = ids
        .iter()
        .map(|id| NewEvent {
            id: *id,
            actor_type: "system",
            actor_id: None,
            actor_display: None,
            action: "credential.updated",
            target_type: Some("credential"),
            target_id: Some("imported"),
            target_name: Some("imported"),
            outcome: "success",
            ip: None,
            user_agent: None,
            request_id: Some("req-import"),
            details: &details,
        })
        .collect();
    let before: i64 = conn
        .query_one(
            "SELECT seq FROM audit_heads WHERE workspace_id = $1",
            &[&ws],
        )
        .await
        .expect("head")
        .get(0);
    let ords = append_events(&conn, ws, Some(&times), &rows)
        .await
        .expect("append");
    assert_eq!(ords.ords.len(), 2);
    // The server's sequencer links them within milliseconds.
    crate::helpers::chained(&conn, ws).await;
    let stored: Vec<(i64, chrono::DateTime<chrono::Utc>)> = conn
        .query(
            "SELECT seq, at FROM audit_events WHERE workspace_id = $1 AND seq > $2 ORDER BY seq",
            &[&ws, &before],
        )
        .await
        .expect("events")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(stored, vec![(before + 1, times[0]), (before + 2, times[1])]);
    // A live change appends after the imported events, and the whole chain verifies.
    let res = app
        .post_as(&owner, "/v1/teams", &json!({"name": "after import"}))
        .await;
    assert_eq!(res.status(), 201);
    crate::helpers::chained(&conn, ws).await;
    let v = credvault_api::audit::verify(&conn, &crate::helpers::chain_keys(), ws)
        .await
        .expect("verify");
    assert!(v.ok && v.events_checked == before + 3, "{v:?}");

    // Arrays of different lengths: an error, and neither an event nor a moved head.
    let err = conn
        .query_one(
            "SELECT audit_insert($1, NULL, ARRAY[gen_random_uuid()], ARRAY['system'], ARRAY[NULL::uuid], ARRAY[NULL::text],
                    ARRAY['x.y'], ARRAY[NULL::text], ARRAY[NULL::text], ARRAY[NULL::text], ARRAY['success'], ARRAY[NULL::text],
                    ARRAY[]::text[], ARRAY[NULL::text], ARRAY['{}'::jsonb])",
            &[&ws],
        )
        .await
        .expect_err("mismatched arrays are refused");
    assert_eq!(
        err.as_db_error().map(|e| e.message()),
        Some("audit_insert: every array must have one element per event")
    );
    let (count, head): (i64, i64) = {
        let r = conn
            .query_one(
                "SELECT (SELECT count(*) FROM audit_events WHERE workspace_id = $1), (SELECT seq FROM audit_heads WHERE workspace_id = $1)",
                &[&ws],
            )
            .await
            .expect("count");
        (r.get(0), r.get(1))
    };
    assert_eq!((count, head), (before + 3, before + 3));
}

/// A filter the database cannot compare is refused before an export's answer begins, as it is
/// for a page: 422 naming the field, never a stream cut short.
#[tokio::test]
async fn a_nul_in_the_action_filter_is_refused_before_the_export_starts() {
    let app = TestApp::spawn().await;
    let (_, owner) = app.signup("ada@example.com").await;
    for path in ["/v1/audit/export?action=%00", "/v1/audit?action=a%00b"] {
        let res = app.get_as(&owner, path).await;
        assert_eq!(res.status(), 422, "{path}");
        let body: Value = res.json().await.expect("problem");
        assert!(body.to_string().contains("action"), "{path}: {body}");
    }
}
