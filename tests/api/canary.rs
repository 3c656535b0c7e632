//! A canary secret stored at the start goes through a whole working life of its credential —
//! every read operation of the generated OpenAPI document (with this workspace's real ids), the
//! writes that answer the credential, sharing, a failing connection test, deletion and restore,
//! resolves — and at the end appears in no response but resolve's, no log line, no audit event,
//! and nowhere in the database in the clear.

use serde_json::{json, Value};

use crate::helpers::{captured_logs, TestApp};

const CANARY: &str = "canary-7f3e9b2d41c8a6";
const CANARY_2: &str = "canary-rotated-5d0c2e8b";

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_string()
}

#[tokio::test]
async fn a_canary_secret_reaches_no_response_but_resolve_no_log_no_audit_event_and_no_table() {
    let app = TestApp::spawn().await;
    let (signup, owner) = app.signup("ada@example.com").await;
    let owner_id = id(&signup["user"]);
    let mut responses: Vec<(String, String)> = Vec::new();
    let mut record = |at: String, body: String| responses.push((at, body));

    let res = app
        .post_as(
            &owner,
            "/v1/credentials",
            &json!({"name": "canary", "service": "canary", "type": "custom",
            "data": {"user": "someone", "token": CANARY}, "secret_fields": ["token"],
            "test": {"url": "http://127.0.0.1:9/check?t={{token}}"}}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.expect("json");
    record("create".into(), created.to_string());
    let cred = id(&created);
    let (member, member_token) = app
        .user_with_role(&owner, "member@example.com", "member")
        .await;
    let res = app
        .post_as(&owner, "/v1/teams", &json!({"name": "Platform"}))
        .await;
    assert_eq!(res.status(), 201, "the team is created");
    let team = id(&res.json().await.expect("json"));
    let res = app
        .put_as(&owner, &format!("/v1/teams/{team}/members/{member}"))
        .await;
    assert!(
        res.status().is_success(),
        "the member joins the team: {}",
        res.status()
    );
    let res = app.put_json_as(&owner, &format!("/v1/credentials/{cred}/shares"), &json!({"shares": [{"principal_type": "team", "principal_id": team, "access": "view"}]})).await;
    assert_eq!(res.status(), 200, "the credential is shared with the team");
    let shares = res.text().await.expect("text");
    record("shares".into(), shares.clone());
    let share = id(&serde_json::from_str::<Value>(&shares).expect("json")["items"][0]);
    let engine_token = app.engine_token(&owner).await;
    let wf = app
        .put_json_as(
            &engine_token,
            "/v1/workflows/wf-canary",
            &json!({"name": "canary flow", "owner_id": owner_id, "credential_ids": [cred]}),
        )
        .await;
    assert_eq!(wf.status(), 201);
    let res = app
        .post_as(
            &engine_token,
            &format!("/v1/credentials/{cred}/resolve"),
            &json!({"workflow_id": "wf-canary", "execution_id": "canary-run-1"}),
        )
        .await;
    assert_eq!(res.status(), 200, "the engine resolves the canary");
    let resolved = res.text().await.expect("text");
    assert!(
        resolved.contains(CANARY),
        "resolve answers the full value: {resolved}"
    );

    // Writes that answer the credential, and the ones that fail on it, each with the status it
    // must get: a write that failed where it should have succeeded (a rotation to CANARY_2 that
    // never happened, say) would leave the checks below nothing to find.
    let path = format!("/v1/credentials/{cred}");
    let writes = [
        (
            "PATCH",
            path.clone(),
            Some(json!({"description": "still a canary"})),
            200,
        ),
        ("POST", format!("{path}/test"), None, 200),
        ("POST", format!("{path}/refresh"), None, 422),
        (
            "POST",
            format!("{path}/oauth/authorize"),
            Some(json!({})),
            422,
        ),
        (
            "POST",
            format!("{path}/rotate"),
            Some(json!({"data": {"token": CANARY_2}})),
            200,
        ),
        ("POST", format!("{path}/versions/1/restore"), None, 200),
        (
            "POST",
            format!("{path}/transfer"),
            Some(json!({"owner_id": owner_id})),
            200,
        ),
        (
            "PATCH",
            path.clone(),
            Some(json!({"data": {"token": 42}})),
            422,
        ),
        (
            "POST",
            "/v1/credentials".into(),
            Some(
                json!({"name": "bad", "service": "s", "type": "api_key", "data": {"key": CANARY, "placement": "nowhere"}}),
            ),
            422,
        ),
    ];
    for (method, url, body, expected) in &writes {
        let mut req = app
            .client
            .request(
                reqwest::Method::from_bytes(method.as_bytes()).expect("method"),
                app.url(url),
            )
            .bearer_auth(&owner);
        if let Some(b) = body {
            req = req.json(b);
        }
        let res = req.send().await.expect("request");
        let status = res.status().as_u16();
        let body = res.text().await.expect("text");
        assert_eq!(status, *expected, "{method} {url}: {body}");
        record(format!("{method} {url}"), body);
    }
    // The rotation took: version 2 holds CANARY_2 (the restore then made version 3 from 1).
    let res = app.get_as(&owner, &format!("{path}/versions")).await;
    assert_eq!(res.status(), 200);
    let versions = res.text().await.expect("text");
    record(format!("GET {path}/versions"), versions.clone());
    let versions: Value = serde_json::from_str(&versions).expect("json");
    assert_eq!(
        versions["items"].as_array().map(Vec::len),
        Some(3),
        "created, rotated, restored: {versions}"
    );

    // Every read operation of the spec, with this workspace's ids, as the owner, as a member
    // who sees it through a team, and as the engine.
    let spec: Value =
        serde_json::from_str(&credvault_api::openapi::spec_json()).expect("the spec is JSON");
    // Only answered reads count: a read refused with 401/404 shows no secret because it shows
    // nothing. Some reads are refused by design (a member reading the audit log, the engine
    // reading users), so the count of successes is what must be large.
    let mut reads = 0;
    for (p, item) in spec["paths"].as_object().expect("paths") {
        let Some(_) = item.get("get") else { continue };
        let url = p
            .replace("{workflow_id}", "wf-canary")
            .replace("{share_id}", &share)
            .replace("{user_id}", &member)
            .replace(
                "{id}",
                match p.split("/{id}").next().and_then(|s| s.rsplit('/').next()) {
                    Some("users") => &member,
                    Some("teams") => &team,
                    _ => &cred,
                },
            );
        for token in [&owner, &member_token, &engine_token] {
            let res = app.get_as(token, &url).await;
            let ok = res.status().is_success();
            record(format!("GET {url}"), res.text().await.expect("text"));
            reads += usize::from(ok);
        }
    }
    assert!(reads > 40, "only {reads} reads succeeded");
    for (method, url) in [
        ("DELETE", path.clone()),
        ("POST", format!("{path}/restore")),
    ] {
        let res = app
            .client
            .request(
                reqwest::Method::from_bytes(method.as_bytes()).expect("method"),
                app.url(&url),
            )
            .bearer_auth(&owner)
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), 200, "{method} {url}");
        record(format!("{method} {url}"), res.text().await.expect("text"));
    }
    let again = app
        .post_as(
            &engine_token,
            &format!("/v1/credentials/{cred}/resolve"),
            &json!({"workflow_id": "wf-canary", "execution_id": "canary-run-2"}),
        )
        .await;
    assert_eq!(
        again.status(),
        200,
        "the restored canary (version 1 again) resolves"
    );
    assert!(again.text().await.expect("text").contains(CANARY));

    for (at, body) in &responses {
        for c in [CANARY, CANARY_2] {
            assert!(!body.contains(c), "{at} answered the canary: {body}");
        }
    }
    let logs = captured_logs();
    for c in [CANARY, CANARY_2] {
        assert!(!logs.contains(c), "the canary is in a log line");
    }
    let db = app.db.client().await;
    let clear = tables_holding(&db, &[CANARY, CANARY_2]).await;
    assert!(clear.is_empty(), "the canary is in the clear in {clear:?}");
    // The scan would see it: a canary stored as bytes in a bytea column, as a careless change
    // could store it, is found.
    db.batch_execute(&format!(
        "CREATE TABLE canary_control (id int, b bytea); INSERT INTO canary_control VALUES (1, '\\x{}'::bytea)",
        hex(format!("prefix-{CANARY_2}-suffix").as_bytes())
    ))
    .await
    .expect("control table");
    assert_eq!(
        tables_holding(&db, &[CANARY, CANARY_2]).await,
        vec!["canary_control".to_string()]
    );
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The tables of the public schema that hold one of `needles` in the clear: as text, or as bytes
/// in a bytea column (which `row_to_json` shows as `\x` and hex), or base64 of those bytes.
async fn tables_holding(db: &tokio_postgres::Client, needles: &[&str]) -> Vec<String> {
    use base64::Engine as _;
    let mut forms = Vec::new();
    for n in needles {
        forms.push(n.to_string());
        forms.push(hex(n.as_bytes()));
        // Base64 of bytes depends on where they start modulo 3: take the part of each of the
        // three encodings that does not depend on what surrounds them.
        for shift in 0..3 {
            let padded = [vec![0u8; shift], n.as_bytes().to_vec()].concat();
            let b64 = base64::engine::general_purpose::STANDARD.encode(&padded);
            let stable = &b64[(shift * 4).div_ceil(3)..b64.len() - 4];
            forms.push(stable.to_string());
        }
    }
    let tables: Vec<String> = db
        .query(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
            &[],
        )
        .await
        .expect("tables")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(tables.iter().any(|t| t == "audit_events"));
    let mut found = Vec::new();
    for t in tables {
        let rows: Vec<String> = db
            .query(&format!("SELECT row_to_json(t)::text FROM \"{t}\" t"), &[])
            .await
            .expect("rows")
            .iter()
            .map(|r| r.get(0))
            .collect();
        if rows
            .iter()
            .any(|r| forms.iter().any(|f| r.contains(f.as_str())))
        {
            found.push(t);
        }
    }
    found
}
