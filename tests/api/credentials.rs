use serde_json::{json, Value};

use crate::helpers::{problem, TestApp};

async fn create(app: &TestApp, token: &str, body: Value) -> Value {
    let res = app.post_as(token, "/v1/credentials", &body).await;
    assert_eq!(res.status(), 201, "create");
    assert!(res.headers().contains_key("etag") && res.headers().contains_key("location"));
    res.json().await.expect("json")
}

fn api_key(name: &str, key: &str) -> Value {
    json!({"name": name, "service": "stripe", "type": "api_key", "data": {"key": key}, "tags": ["payments"]})
}

#[tokio::test]
async fn each_type_is_created_and_read_back_masked() {
    let app = TestApp::spawn().await;
    let (_, owner) = app.signup("ada@example.com").await;
    let cases = [
        (
            json!({"name": "k", "service": "s", "type": "api_key", "data": {"key": "sk_live_abcdefghijkl1234", "placement": "query", "name": "api_key"}}),
            "key",
            "••••1234",
        ),
        (
            json!({"name": "b", "service": "s", "type": "basic_auth", "data": {"username": "svc", "password": "hunter2-hunter2-9876"}}),
            "password",
            "••••9876",
        ),
        (
            json!({"name": "o", "service": "s", "type": "oauth2", "data": {"grant_type": "client_credentials", "client_id": "cid", "client_secret": "cs-0123456789-abcd", "token_url": "https://auth.example.com/token"}}),
            "client_secret",
            "••••abcd",
        ),
        (
            json!({"name": "c", "service": "s", "type": "custom", "data": {"host": "db.internal", "pw": "short"}, "secret_fields": ["pw"]}),
            "pw",
            "••••",
        ),
    ];
    for (body, field, masked) in cases {
        let created = create(&app, &owner, body.clone()).await;
        assert_eq!(created["data"][field], masked, "{body}");
        assert_eq!(created["access"], "owner");
        assert_eq!(created["version"], 1);
        assert_eq!(created["status"], "active");
        let id = created["id"].as_str().expect("id");
        let got: Value = app
            .get_as(&owner, &format!("/v1/credentials/{id}"))
            .await
            .json()
            .await
            .expect("json");
        assert_eq!(got["data"][field], masked);
    }
    let custom: Value = app
        .get_as(&owner, "/v1/credentials?type=custom")
        .await
        .json()
        .await
        .expect("json");
    let id = custom["items"][0]["id"].as_str().expect("id");
    let got: Value = app
        .get_as(&owner, &format!("/v1/credentials/{id}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        got["data"]["host"], "db.internal",
        "non-secret custom fields show in full"
    );
    assert_eq!(got["secret_fields"], json!(["pw"]));
}

#[tokio::test]
async fn the_mask_shows_the_last_four_only_from_twelve_characters() {
    let app = TestApp::spawn().await;
    let (_, owner) = app.signup("ada@example.com").await;
    for (key, masked) in [
        ("abcdefghijk", "••••"),
        ("abcdefghijkl", "••••ijkl"),
        ("abcdefghijklm", "••••jklm"),
    ] {
        let c = create(&app, &owner, api_key(key, key)).await;
        assert_eq!(c["data"]["key"], masked, "{key}");
    }
}

#[tokio::test]
async fn invalid_credentials_get_one_error_per_field() {
    let app = TestApp::spawn().await;
    let (_, owner) = app.signup("ada@example.com").await;
    let fields = |body: Value| {
        let (app, owner) = (&app, owner.clone());
        async move {
            let (status, b) = problem(app.post_as(&owner, "/v1/credentials", &body).await).await;
            assert_eq!(status, 422, "{body}");
            b["errors"]
                .as_array()
                .expect("errors")
                .iter()
                .map(|e| e["field"].as_str().unwrap_or_default().to_string())
                .collect::<Vec<_>>()
        }
    };
    let f = fields(json!({})).await;
    for name in ["name", "service", "type", "data"] {
        assert!(f.contains(&name.to_string()), "{f:?}");
    }
    assert_eq!(
        fields(json!({"name": "x", "service": "s", "type": "api_key", "data": {}})).await,
        ["data.key"]
    );
    assert!(fields(
        json!({"name": "x", "service": "s", "type": "basic_auth", "data": {"username": 5}})
    )
    .await
    .contains(&"data.password".to_string()));
    assert!(fields(json!({"name": "x", "service": "s", "type": "oauth2", "data": {"grant_type": "authorization_code", "client_id": "c", "client_secret": "s", "token_url": "https://t.example.com"}})).await.contains(&"data.authorization_url".to_string()));
    assert!(fields(json!({"name": "x", "service": "s", "type": "custom", "data": {"a": "b"}, "secret_fields": ["zzz"]})).await.contains(&"secret_fields".to_string()));
    assert_eq!(fields(json!({"name": "", "service": "s", "type": "api_key", "data": {"key": "k"}, "rotation_period_days": 0, "expires_at": "2000-01-01T00:00:00Z"})).await, ["name", "expires_at", "rotation_period_days"]);
    let (status, _) = problem(
        app.post_as(
            &owner,
            "/v1/credentials",
            &json!({"name": "x", "service": "s", "type": "nope", "data": {}}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 422);
    let (status, _) = problem(
        app.post_as(&owner, "/v1/credentials", &json!({"name": 5}))
            .await,
    )
    .await;
    assert_eq!(status, 400, "a wrong JSON type is a 400");
}

#[tokio::test]
async fn pages_have_no_duplicates_or_gaps_even_with_inserts_between_them() {
    let app = TestApp::spawn().await;
    let (_, owner) = app.signup("ada@example.com").await;
    for i in 0..8 {
        create(
            &app,
            &owner,
            api_key(&format!("cred {i:02}"), "sk_live_0123456789abcdef"),
        )
        .await;
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/credentials?limit=3&cursor={c}"),
            None => "/v1/credentials?limit=3".to_string(),
        };
        let page: Value = app.get_as(&owner, &path).await.json().await.expect("json");
        pages += 1;
        for item in page["items"].as_array().expect("items") {
            seen.push(item["name"].as_str().expect("name").to_string());
        }
        if pages == 1 {
            // Inserted behind the cursor: must not shift what the later pages hold.
            create(
                &app,
                &owner,
                api_key("aaa first", "sk_live_0123456789abcdef"),
            )
            .await;
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    let expected: Vec<String> = (0..8).map(|i| format!("cred {i:02}")).collect();
    assert_eq!(seen, expected);
    let desc: Value = app
        .get_as(&owner, "/v1/credentials?sort=-name&limit=2")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(desc["items"][0]["name"], "cred 07");
    let (status, _) = problem(app.get_as(&owner, "/v1/credentials?limit=0").await).await;
    assert_eq!(status, 400);
    let (status, _) = problem(app.get_as(&owner, "/v1/credentials?cursor=garbage").await).await;
    assert_eq!(status, 400);
    let (status, _) = problem(app.get_as(&owner, "/v1/credentials?sort=color").await).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn filters_and_search_narrow_the_list() {
    let app = TestApp::spawn().await;
    let (_, owner) = app.signup("ada@example.com").await;
    create(&app, &owner, json!({"name": "Stripe live", "service": "stripe", "type": "api_key", "data": {"key": "k"}, "tags": ["Payments"], "environment": "prod", "description": "Charges customers"})).await;
    create(&app, &owner, json!({"name": "Github bot", "service": "github", "type": "basic_auth", "data": {"username": "u", "password": "p"}, "environment": "dev"})).await;
    let names = |path: &'static str| {
        let (app, owner) = (&app, owner.clone());
        async move {
            let v: Value = app.get_as(&owner, path).await.json().await.expect("json");
            v["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|i| i["name"].as_str().unwrap_or_default().to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        names("/v1/credentials?type=basic_auth").await,
        ["Github bot"]
    );
    assert_eq!(
        names("/v1/credentials?service=stripe").await,
        ["Stripe live"]
    );
    assert_eq!(
        names("/v1/credentials?environment=dev").await,
        ["Github bot"]
    );
    assert_eq!(names("/v1/credentials?tag=payments").await, ["Stripe live"]);
    assert_eq!(
        names("/v1/credentials?q=CUSTOMERS").await,
        ["Stripe live"],
        "description is searched, case-insensitively"
    );
    assert_eq!(names("/v1/credentials?q=bot").await, ["Github bot"]);
    assert_eq!(
        names("/v1/credentials?q=100%25").await,
        Vec::<String>::new(),
        "% is literal"
    );
    assert_eq!(
        names("/v1/credentials?status=active&type=api_key").await,
        ["Stripe live"]
    );
    assert_eq!(
        names("/v1/credentials?shared=true").await,
        Vec::<String>::new()
    );
    assert_eq!(names("/v1/credentials?sort=-last_used_at").await.len(), 2);
    let (status, _) = problem(app.get_as(&owner, "/v1/credentials?type=pgp").await).await;
    assert_eq!(status, 400);
    // A word far into a long description (past what the list index carries) is found too,
    // once, even when the start of the text matches as well.
    let long = format!("stripe {} needle at the end", "x".repeat(1900));
    create(&app, &owner, json!({"name": "Long notes", "service": "stripe", "type": "api_key", "data": {"key": "k"}, "description": long})).await;
    assert_eq!(names("/v1/credentials?q=needle").await, ["Long notes"]);
    assert_eq!(
        names("/v1/credentials?q=stripe").await,
        ["Long notes", "Stripe live"]
    );
}

#[tokio::test]
async fn updates_merge_data_version_only_on_secret_change_and_honour_if_match() {
    let app = TestApp::spawn().await;
    let (_, owner) = app.signup("ada@example.com").await;
    let c = create(&app, &owner, api_key("k", "sk_live_first_value_0001")).await;
    let id = c["id"].as_str().expect("id");
    let path = format!("/v1/credentials/{id}");
    let etag0 = app.get_as(&owner, &path).await.headers()["etag"]
        .to_str()
        .expect("etag")
        .to_string();
    let res = app
        .client
        .patch(app.url(&path))
        .bearer_auth(&owner)
        .header("if-match", &etag0)
        .json(&json!({"description": "metadata only", "data": {"placement": "query"}}))
        .send()
        .await
        .expect("req");
    assert_eq!(res.status(), 200);
    let etag1 = res.headers()["etag"].to_str().expect("etag").to_string();
    let body: Value = res.json().await.expect("json");
    assert_ne!(etag0, etag1, "a metadata edit changes the ETag");
    assert_eq!(body["version"], 1, "no new version without a secret change");
    assert_eq!(body["data"]["placement"], "query");
    assert_eq!(
        body["data"]["key"], "••••0001",
        "the absent key kept its value"
    );
    let (status, b) = problem(
        app.client
            .patch(app.url(&path))
            .bearer_auth(&owner)
            .header("if-match", &etag0)
            .json(&json!({"description": "stale"}))
            .send()
            .await
            .expect("req"),
    )
    .await;
    assert_eq!(
        (status, b["code"].as_str()),
        (412, Some("precondition_failed"))
    );
    let body: Value = app
        .patch_as(
            &owner,
            &path,
            &json!({"data": {"key": "sk_live_second_value_0002"}}),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(body["version"], 2);
    assert_eq!(body["data"]["placement"], "query");
    let (status, _) = problem(
        app.patch_as(&owner, &path, &json!({"type": "basic_auth"}))
            .await,
    )
    .await;
    assert_eq!(status, 422);
    let body: Value = app
        .patch_as(&owner, &path, &json!({"description": null}))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(body["description"], Value::Null, "null clears");
}

#[tokio::test]
async fn idempotent_create_and_rotate_replay_the_first_answer() {
    let app = TestApp::spawn().await;
    let (_, owner) = app.signup("ada@example.com").await;
    let body = api_key("idem", "sk_live_idempotent_0001");
    let send = |key: &'static str, body: Value| {
        app.client
            .post(app.url("/v1/credentials"))
            .bearer_auth(&owner)
            .header("idempotency-key", key)
            .json(&body)
            .send()
    };
    let first = send("k-1", body.clone()).await.expect("req");
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.expect("json");
    let again = send("k-1", body.clone()).await.expect("req");
    assert_eq!(again.status(), 201);
    assert!(again.headers().contains_key("location"));
    let again: Value = again.json().await.expect("json");
    assert_eq!(first["id"], again["id"]);
    let list: Value = app
        .get_as(&owner, "/v1/credentials")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        list["items"].as_array().map(Vec::len),
        Some(1),
        "created once"
    );
    let (status, b) = problem(
        send("k-1", api_key("other", "sk_live_idempotent_0001"))
            .await
            .expect("req"),
    )
    .await;
    assert_eq!(
        (status, b["code"].as_str()),
        (422, Some("idempotency_key_reused"))
    );
    let id = first["id"].as_str().expect("id");
    let rotate = |key: &'static str| {
        app.client
            .post(app.url(&format!("/v1/credentials/{id}/rotate")))
            .bearer_auth(&owner)
            .header("idempotency-key", key)
            .json(&json!({"data": {"key": "sk_live_rotated_00000002"}}))
            .send()
    };
    let r1: Value = rotate("r-1")
        .await
        .expect("req")
        .json()
        .await
        .expect("json");
    let r2: Value = rotate("r-1")
        .await
        .expect("req")
        .json()
        .await
        .expect("json");
    assert_eq!(
        (r1["version"].clone(), r2["version"].clone()),
        (json!(2), json!(2)),
        "rotated once"
    );
}

#[tokio::test]
async fn rotation_versions_and_restoring_a_version() {
    let app = TestApp::spawn().await;
    let (_, owner) = app.signup("ada@example.com").await;
    let c = create(&app, &owner, json!({"name": "r", "service": "s", "type": "api_key", "data": {"key": "sk_live_version_one_0001"}, "rotation_period_days": 30})).await;
    let id = c["id"].as_str().expect("id");
    assert_eq!(c["rotated_at"], Value::Null);
    assert!(c["rotation_due_at"].is_string());
    let r: Value = app
        .post_as(
            &owner,
            &format!("/v1/credentials/{id}/rotate"),
            &json!({"data": {"key": "sk_live_version_two_0002"}}),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(r["version"], 2);
    assert!(r["rotated_at"].is_string());
    assert_eq!(r["data"]["key"], "••••0002");
    let (status, _) = problem(
        app.post_as(&owner, &format!("/v1/credentials/{id}/rotate"), &json!({}))
            .await,
    )
    .await;
    assert_eq!(status, 422);
    let restored: Value = app
        .post_as(
            &owner,
            &format!("/v1/credentials/{id}/versions/1/restore"),
            &json!({}),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(restored["version"], 3);
    assert_eq!(restored["data"]["key"], "••••0001");
    let versions: Value = app
        .get_as(&owner, &format!("/v1/credentials/{id}/versions"))
        .await
        .json()
        .await
        .expect("json");
    let reasons: Vec<&str> = versions["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|v| v["reason"].as_str())
        .collect();
    assert_eq!(reasons, ["restored", "rotated", "created"]);
    assert_eq!(versions["items"][0]["current"], true);
    let (status, _) = problem(
        app.post_as(
            &owner,
            &format!("/v1/credentials/{id}/versions/9/restore"),
            &json!({}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn delete_restore_and_purge_after_the_window() {
    let app = TestApp::spawn_with(|s| s.purge_interval_secs = 1).await;
    let (_, owner) = app.signup("ada@example.com").await;
    let c = create(&app, &owner, api_key("gone", "sk_live_to_be_purged_0001")).await;
    let id = c["id"].as_str().expect("id");
    let path = format!("/v1/credentials/{id}");
    let res = app.delete_as(&owner, &path).await;
    assert_eq!(res.status(), 200);
    let d: Value = res.json().await.expect("json");
    assert!(d["purge_after"].is_string() && d["affected_workflows"].is_array());
    let got: Value = app.get_as(&owner, &path).await.json().await.expect("json");
    assert_eq!(got["status"], "deleted");
    for (status, body) in [
        problem(
            app.patch_as(&owner, &path, &json!({"description": "x"}))
                .await,
        )
        .await,
        problem(
            app.post_as(
                &owner,
                &format!("{path}/rotate"),
                &json!({"data": {"key": "sk_live_zzzzzzzzzzzz"}}),
            )
            .await,
        )
        .await,
        problem(app.delete_as(&owner, &path).await).await,
    ] {
        assert_eq!(
            (status, body["code"].as_str()),
            (410, Some("credential_deleted"))
        );
    }
    let default_list: Value = app
        .get_as(&owner, "/v1/credentials")
        .await
        .json()
        .await
        .expect("json");
    assert!(default_list["items"].as_array().is_some_and(Vec::is_empty));
    let deleted_list: Value = app
        .get_as(&owner, "/v1/credentials?status=deleted")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(deleted_list["items"].as_array().map(Vec::len), Some(1));
    let restored: Value = app
        .post_as(&owner, &format!("{path}/restore"), &json!({}))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(restored["status"], "active");
    // Delete again, let the window pass, and the background purge destroys it.
    assert_eq!(app.delete_as(&owner, &path).await.status(), 200);
    let db = app.db.client().await;
    db.execute("UPDATE credentials SET purge_after = now() - interval '1 second' WHERE id = $1::text::uuid", &[&id]).await.expect("age");
    let mut gone = false;
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        if app.get_as(&owner, &path).await.status() == 404 {
            gone = true;
            break;
        }
    }
    assert!(gone, "purged within the purge interval");
    let left: i64 = db.query_one("SELECT count(*) FROM credential_versions WHERE credential_id = $1::text::uuid AND wrapped_dek IS NOT NULL", &[&id]).await.expect("count").get(0);
    assert_eq!(left, 0, "nothing left that can be decrypted");
    let purged: i64 = db.query_one("SELECT count(*) FROM audit_events WHERE action = 'credential.purged' AND target_id = $1 AND actor_type = 'system'", &[&id]).await.expect("count").get(0);
    assert_eq!(purged, 1);
}

#[tokio::test]
async fn purge_on_request_is_for_admins_and_needs_a_delete_first() {
    let app = TestApp::spawn().await;
    let (_, owner) = app.signup("ada@example.com").await;
    let c = create(&app, &owner, api_key("p", "sk_live_purge_me_000001")).await;
    let path = format!("/v1/credentials/{}", c["id"].as_str().expect("id"));
    let (status, _) = problem(app.delete_as(&owner, &format!("{path}?purge=true")).await).await;
    assert_eq!(status, 409);
    // What goes with it: a second version, a share and a workflow's declaration.
    let (member_id, member) = app.user_with_role(&owner, "m@example.com", "member").await;
    let rotate = json!({"data": {"key": "sk_live_purge_me_000003"}});
    let res = app
        .post_as(&owner, &format!("{path}/rotate"), &rotate)
        .await;
    assert_eq!(res.status(), 200);
    let share =
        json!({"shares": [{"principal_type": "user", "principal_id": member_id, "access": "use"}]});
    let res = app
        .put_json_as(&owner, &format!("{path}/shares"), &share)
        .await;
    assert_eq!(res.status(), 200);
    let engine = app.engine_token(&owner).await;
    let flow = json!({"name": "flow", "owner_id": member_id, "credential_ids": [c["id"]]});
    let res = app
        .put_json_as(&engine, "/v1/workflows/wf-purged", &flow)
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(app.delete_as(&owner, &path).await.status(), 200);
    assert_eq!(
        app.delete_as(&owner, &format!("{path}?purge=true"))
            .await
            .status(),
        204
    );
    assert_eq!(app.get_as(&owner, &path).await.status(), 404);
    let purged: Value = app
        .db
        .client()
        .await
        .query_one(
            "SELECT details FROM audit_events WHERE action = 'credential.purged' AND target_id = $1",
            &[&c["id"].as_str().expect("id")],
        )
        .await
        .expect("the purge's event")
        .get(0);
    assert_eq!(
        purged,
        json!({
            "reason": "purged on request",
            "versions_shredded": 2,
            "shares": [{"type": "user", "id": member_id, "access": "use"}],
            "workflow_ids": ["wf-purged"],
        }),
        "the event says what went with the credential"
    );
    let wf: Value = app
        .get_as(&owner, "/v1/workflows/wf-purged")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(wf["credential_ids"], json!([]), "the declaration went too");

    // A member manages their own credential but may not purge it; the refusal is audited.
    let c = create(&app, &member, api_key("m", "sk_live_purge_me_000002")).await;
    let path = format!("/v1/credentials/{}", c["id"].as_str().expect("id"));
    assert_eq!(app.delete_as(&member, &path).await.status(), 200);
    let (status, body) = problem(app.delete_as(&member, &format!("{path}?purge=true")).await).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("forbidden")));
    let db = app.db.client().await;
    let refused: i64 = db
        .query_one(
            "SELECT count(*) FROM audit_events WHERE action = 'credential.access_denied' AND outcome = 'denied' AND target_id = $1 AND details->>'attempted' = 'purge'",
            &[&c["id"].as_str().expect("id")],
        )
        .await
        .expect("count")
        .get(0);
    assert_eq!(refused, 1);
    assert_eq!(
        app.get_as(&owner, &format!("{path}?include_deleted=true"))
            .await
            .status(),
        200,
        "still restorable"
    );
}

/// A purge and a workflow registration that declares the same credential, at once. The
/// registration key-share locks the credential before it touches its declarations, so it never
/// holds a declaration the purge must delete while waiting for the credential the purge holds
/// (a deadlock, and a 500, before). The purge then names the declaration it destroyed.
#[tokio::test]
async fn a_purge_and_a_registration_declaring_its_credential_at_once_do_not_deadlock() {
    let app = TestApp::spawn().await;
    let (body, owner) = app.signup("ada@example.com").await;
    let c = create(&app, &owner, api_key("p", "sk_live_purge_race_000001")).await;
    let path = format!("/v1/credentials/{}", c["id"].as_str().expect("id"));
    let engine = app.engine_token(&owner).await;
    let flow = json!({"name": "flow", "owner_id": body["user"]["id"], "credential_ids": [c["id"]]});
    let res = app
        .put_json_as(&engine, "/v1/workflows/wf-race", &flow)
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(app.delete_as(&owner, &path).await.status(), 200);
    // The declaration, held here, stops the registration (re-declaring it) first, then the purge.
    let [register, purge] = app
        .queued_behind(
            "SELECT 1 FROM workflow_credentials WHERE workflow_id = $1 FOR UPDATE",
            &"wf-race",
            app.client
                .put(app.url("/v1/workflows/wf-race"))
                .bearer_auth(&engine)
                .json(&flow),
            app.client
                .delete(app.url(&format!("{path}?purge=true")))
                .bearer_auth(&owner),
        )
        .await;
    assert_eq!(
        (register.status().as_u16(), purge.status().as_u16()),
        (200, 204)
    );
    let purged = app.purged_workflow_ids(c["id"].as_str().expect("id")).await;
    assert_eq!(purged, json!(["wf-race"]));
}

#[tokio::test]
async fn access_follows_role_and_ownership_and_denials_are_audited() {
    let app = TestApp::spawn().await;
    let (_, owner) = app.signup("ada@example.com").await;
    let (member_id, member) = app.user_with_role(&owner, "m@example.com", "member").await;
    let (_, other) = app.user_with_role(&owner, "o@example.com", "member").await;
    let (_, auditor) = app
        .user_with_role(&owner, "au@example.com", "auditor")
        .await;
    let mine = create(
        &app,
        &member,
        api_key("member's", "sk_live_member_secret_01"),
    )
    .await;
    let path = format!("/v1/credentials/{}", mine["id"].as_str().expect("id"));
    // Another member: no access at all, so it does not exist for them.
    let (status, _) = problem(app.get_as(&other, &path).await).await;
    assert_eq!(status, 404);
    let list: Value = app
        .get_as(&other, "/v1/credentials")
        .await
        .json()
        .await
        .expect("json");
    assert!(list["items"].as_array().is_some_and(Vec::is_empty));
    // The auditor sees it (view) but cannot change it.
    let seen: Value = app
        .get_as(&auditor, &path)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        (seen["access"].as_str(), seen["data"]["key"].as_str()),
        (Some("view"), Some("••••t_01"))
    );
    let (status, _) = problem(
        app.patch_as(&auditor, &path, &json!({"description": "x"}))
            .await,
    )
    .await;
    assert_eq!(status, 403);
    // The workspace owner manages it.
    let got: Value = app.get_as(&owner, &path).await.json().await.expect("json");
    assert_eq!(got["access"], "manage");
    assert_eq!(
        app.patch_as(&owner, &path, &json!({"description": "by the owner"}))
            .await
            .status(),
        200
    );
    let db = app.db.client().await;
    let denied: i64 = db.query_one("SELECT count(*) FROM audit_events WHERE action = 'credential.access_denied' AND outcome = 'denied'", &[]).await.expect("count").get(0);
    assert_eq!(denied, 2, "the 404 and the 403");
    // Transfer to another member: they own it now.
    let t: Value = app
        .post_as(
            &owner,
            &format!("{path}/transfer"),
            &json!({"owner_id": member_id}),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(t["owner"]["id"].as_str(), Some(member_id.as_str()));
    let (status, _) = problem(
        app.post_as(
            &owner,
            &format!("{path}/transfer"),
            &json!({"owner_id": uuid::Uuid::now_v7()}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn no_stored_secret_reaches_a_log_line_a_response_or_an_audit_event() {
    let app = TestApp::spawn().await;
    let (_, owner) = app.signup("ada@example.com").await;
    let secrets = [
        "sk_live_canary_5e1f0a9b7c",
        "canary-password-3d2c1b0a",
        "canary-client-secret-77ab",
        "canary-custom-9f8e7d6c",
    ];
    let mut responses = String::new();
    let bodies = [
        api_key("a", secrets[0]),
        json!({"name": "b", "service": "s", "type": "basic_auth", "data": {"username": "u", "password": secrets[1]}}),
        json!({"name": "o", "service": "s", "type": "oauth2", "data": {"grant_type": "client_credentials", "client_id": "c", "client_secret": secrets[2], "token_url": "https://t.example.com/token"}}),
        json!({"name": "c", "service": "s", "type": "custom", "data": {"token": secrets[3]}}),
    ];
    for b in bodies {
        let c = create(&app, &owner, b).await;
        responses.push_str(&c.to_string());
        let id = c["id"].as_str().expect("id");
        responses.push_str(
            &app.get_as(&owner, &format!("/v1/credentials/{id}"))
                .await
                .text()
                .await
                .expect("text"),
        );
        responses.push_str(
            &app.get_as(&owner, &format!("/v1/credentials/{id}/versions"))
                .await
                .text()
                .await
                .expect("text"),
        );
        responses.push_str(
            &app.patch_as(
                &owner,
                &format!("/v1/credentials/{id}"),
                &json!({"description": "d"}),
            )
            .await
            .text()
            .await
            .expect("text"),
        );
    }
    responses.push_str(
        &app.get_as(&owner, "/v1/credentials")
            .await
            .text()
            .await
            .expect("text"),
    );
    responses.push_str(
        &app.get_as(&owner, "/v1/me/export")
            .await
            .text()
            .await
            .expect("text"),
    );
    let db = app.db.client().await;
    let events: Vec<String> = db
        .query("SELECT row_to_json(e)::text FROM audit_events e", &[])
        .await
        .expect("events")
        .iter()
        .map(|r| r.get(0))
        .collect();
    let stored: Vec<String> = db
        .query("SELECT row_to_json(c)::text FROM credentials c", &[])
        .await
        .expect("rows")
        .iter()
        .map(|r| r.get(0))
        .collect();
    let logs = crate::helpers::captured_logs();
    for s in secrets {
        assert!(!responses.contains(s), "a secret is in a response");
        assert!(
            !events.join("\n").contains(s),
            "a secret is in an audit event"
        );
        assert!(
            !stored.join("\n").contains(s),
            "a secret is stored in the clear"
        );
        assert!(!logs.contains(s), "a secret is in the logs");
    }
}

#[tokio::test]
async fn a_manager_cannot_expose_a_secret_by_declassifying_it_and_a_member_can_give_their_credential_away(
) {
    let app = TestApp::spawn().await;
    let (_, owner) = app.signup("ada@example.com").await;
    let (member_id, member) = app.user_with_role(&owner, "m@example.com", "member").await;
    let c = create(&app, &owner, json!({"name": "c", "service": "s", "type": "custom", "data": {"token": "canary-declassify-0042"}})).await;
    let path = format!("/v1/credentials/{}", c["id"].as_str().expect("id"));
    let (status, body) = problem(
        app.patch_as(&owner, &path, &json!({"secret_fields": []}))
            .await,
    )
    .await;
    assert_eq!(
        (status, body["errors"][0]["field"].as_str()),
        (422, Some("secret_fields"))
    );
    let got = app.get_as(&owner, &path).await.text().await.expect("text");
    assert!(!got.contains("canary-declassify-0042"));
    // With a new value it may become plain configuration.
    let ok: Value = app
        .patch_as(
            &owner,
            &path,
            &json!({"secret_fields": [], "data": {"token": "public-value"}}),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(ok["data"]["token"], "public-value");
    // A member gives their own credential to someone else and keeps no access.
    let mine = create(&app, &member, api_key("mine", "sk_live_member_transfer_1")).await;
    let mpath = format!("/v1/credentials/{}", mine["id"].as_str().expect("id"));
    let (owner_row, _) = (
        app.get_as(&owner, "/v1/me")
            .await
            .json::<Value>()
            .await
            .expect("json"),
        member_id,
    );
    let res = app
        .post_as(
            &member,
            &format!("{mpath}/transfer"),
            &json!({"owner_id": owner_row["id"]}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["access"], "none");
    assert_eq!(app.get_as(&member, &mpath).await.status(), 404);
    let now: Value = app.get_as(&owner, &mpath).await.json().await.expect("json");
    assert_eq!(now["access"], "owner");
}

/// More concurrent changes than pooled connections (the test server has 8): none waits for a
/// second connection while holding one, so all succeed.
#[tokio::test]
async fn a_burst_of_changes_larger_than_the_pool_all_succeed() {
    let app = TestApp::spawn().await;
    let (_, owner) = app.signup("ada@example.com").await;
    let mut ids = Vec::new();
    for i in 0..24 {
        ids.push(
            create(
                &app,
                &owner,
                api_key(&format!("burst {i}"), "sk_live_burst_00000001"),
            )
            .await["id"]
                .as_str()
                .expect("id")
                .to_string(),
        );
    }
    let mut tasks = Vec::new();
    for id in ids {
        let (client, url, owner) = (
            app.client.clone(),
            app.url(&format!("/v1/credentials/{id}/rotate")),
            owner.clone(),
        );
        tasks.push(tokio::spawn(async move {
            client
                .post(url)
                .bearer_auth(owner)
                .json(&json!({"data": {"key": "sk_live_burst_00000002"}}))
                .send()
                .await
                .expect("req")
                .status()
                .as_u16()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.expect("task"), 200);
    }
}

#[tokio::test]
async fn pages_of_non_ascii_names_have_no_duplicates_or_gaps() {
    let app = TestApp::spawn().await;
    let (_, owner) = app.signup("ada@example.com").await;
    let names = [
        "Élan",
        "élan 2",
        "Ärger",
        "zebra",
        "Ölfeld",
        "İstanbul",
        "ßtraße",
        "Ωmega",
    ];
    for n in names {
        create(&app, &owner, api_key(n, "sk_live_unicode_0000001")).await;
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/credentials?limit=3&cursor={c}"),
            None => "/v1/credentials?limit=3".to_string(),
        };
        let page: Value = app.get_as(&owner, &path).await.json().await.expect("json");
        seen.extend(
            page["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|i| i["name"].as_str().unwrap_or_default().to_string()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    let mut sorted_seen = seen.clone();
    sorted_seen.sort();
    sorted_seen.dedup();
    assert_eq!(seen.len(), names.len(), "{seen:?}");
    assert_eq!(sorted_seen.len(), names.len(), "no duplicates: {seen:?}");
}

#[tokio::test]
async fn a_created_credential_reads_back_exactly_as_its_creation_answered() {
    let app = TestApp::spawn().await;
    let (_, owner) = app.signup("ada@example.com").await;
    for body in [
        json!({"name": "Key", "service": "stripe", "type": "api_key", "data": {"key": "sk_live_readback_0001", "prefix": "Bearer "},
               "tags": ["b", "a"], "description": "d", "environment": "prod", "rotation_period_days": 30,
               "test": {"url": "https://api.example.com/v1/me"}}),
        json!({"name": "Custom", "service": "s", "type": "custom", "data": {"user": "u", "token": "t-readback-000002"}, "secret_fields": ["token"]}),
        json!({"name": "OAuth", "service": "s", "type": "oauth2", "data": {"grant_type": "client_credentials", "client_id": "c",
               "client_secret": "cs-readback-000003", "token_url": "https://idp.example.com/token", "access_token": "at-readback-000004",
               "token_expires_at": "2031-01-01T00:00:00Z"}}),
    ] {
        let res = app.post_as(&owner, "/v1/credentials", &body).await;
        assert_eq!(res.status(), 201);
        let etag = res.headers()["etag"].to_str().expect("etag").to_string();
        let created: Value = res.json().await.expect("json");
        let path = format!("/v1/credentials/{}", created["id"].as_str().expect("id"));
        let res = app.get_as(&owner, &path).await;
        assert_eq!(res.headers()["etag"].to_str().expect("etag"), etag);
        let read: Value = res.json().await.expect("json");
        assert_eq!(created, read, "the creation's answer is what a read shows");
    }
}
