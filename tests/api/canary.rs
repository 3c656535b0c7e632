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
    let team: Value = app
        .post_as(&owner, "/v1/teams", &json!({"name": "Platform"}))
        .await
        .json()
        .await
        .expect("json");
    let team = id(&team);
    app.put_as(&owner, &format!("/v1/teams/{team}/members/{member}"))
        .await;
    let shares = app.put_json_as(&owner, &format!("/v1/credentials/{cred}/shares"), &json!({"shares": [{"principal_type": "team", "principal_id": team, "access": "view"}]})).await
        .text()
        .await
        .expect("text");
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
    let resolved = app
        .post_as(
            &engine_token,
            &format!("/v1/credentials/{cred}/resolve"),
            &json!({"workflow_id": "wf-canary", "execution_id": "canary-run-1"}),
        )
        .await
        .text()
        .await
        .expect("text");
    assert!(
        resolved.contains(CANARY),
        "resolve answers the full value: {resolved}"
    );

    // Writes that answer the credential, and the ones that fail on it.
    let path = format!("/v1/credentials/{cred}");
    let writes = [
        (
            "PATCH",
            path.clone(),
            Some(json!({"description": "still a canary"})),
        ),
        ("POST", format!("{path}/test"), None),
        ("POST", format!("{path}/refresh"), None),
        ("POST", format!("{path}/oauth/authorize"), Some(json!({}))),
        (
            "POST",
            format!("{path}/rotate"),
            Some(json!({"data": {"token": CANARY_2}})),
        ),
        ("POST", format!("{path}/versions/1/restore"), None),
        (
            "POST",
            format!("{path}/transfer"),
            Some(json!({"owner_id": owner_id})),
        ),
        ("PATCH", path.clone(), Some(json!({"data": {"token": 42}}))),
        (
            "POST",
            "/v1/credentials".into(),
            Some(
                json!({"name": "bad", "service": "s", "type": "api_key", "data": {"key": CANARY, "placement": "nowhere"}}),
            ),
        ),
    ];
    for (method, url, body) in &writes {
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
        record(format!("{method} {url}"), res.text().await.expect("text"));
    }

    // Every read operation of the spec, with this workspace's ids, as the owner, as a member
    // who sees it through a team, and as the engine.
    let spec: Value =
        serde_json::from_str(&credvault_api::openapi::spec_json()).expect("the spec is JSON");
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
            record(format!("GET {url}"), res.text().await.expect("text"));
            reads += 1;
        }
    }
    assert!(reads > 40, "only {reads} reads");
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
    let db = app.db.client().await;
    let tables: Vec<String> = db
        .query(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'",
            &[],
        )
        .await
        .expect("tables")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(tables.iter().any(|t| t == "audit_events"));
    for t in tables {
        let rows: Vec<String> = db
            .query(&format!("SELECT row_to_json(t)::text FROM \"{t}\" t"), &[])
            .await
            .expect("rows")
            .iter()
            .map(|r| r.get(0))
            .collect();
        for c in [CANARY, CANARY_2] {
            assert!(!logs.contains(c), "the canary is in a log line");
            assert!(
                !rows.iter().any(|r| r.contains(c)),
                "the canary is in table {t} in the clear"
            );
        }
    }
}
