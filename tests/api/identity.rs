use serde_json::{json, Value};

use crate::helpers::{problem, uuid_at, TestApp, PASSWORD};

#[tokio::test]
async fn sign_up_creates_an_owner_who_can_read_me() {
    let app = TestApp::spawn().await;
    let (body, token) = app.signup("Ada@Example.com").await;
    assert_eq!(body["user"]["role"], "owner");
    assert_eq!(body["tokens"]["token_type"], "Bearer");
    assert_eq!(body["tokens"]["expires_in"], 900);
    let me: Value = app
        .get_as(&token, "/v1/me")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(me["email"], "Ada@Example.com");
    assert_eq!(me["workspace_id"], body["workspace"]["id"]);
    // CREDVAULT_SIGNUP=first: a second workspace is refused.
    let res = app.post_json("/v1/workspaces", &json!({"workspace_name": "B", "email": "b@example.com", "password": PASSWORD, "display_name": "B"})).await;
    let (status, body) = problem(res).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("forbidden")));
}

#[tokio::test]
async fn emails_are_unique_case_insensitively_across_workspaces() {
    let app = TestApp::spawn_with(|s| s.signup = "open".into()).await;
    app.signup("ada@example.com").await;
    let res = app.post_json("/v1/workspaces", &json!({"workspace_name": "B", "email": "ADA@example.com", "password": PASSWORD, "display_name": "B"})).await;
    let (status, body) = problem(res).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("conflict")));
}

#[tokio::test]
async fn bad_bodies_get_the_right_problem() {
    let app = TestApp::spawn().await;
    let (status, body) = problem(
        app.post_json(
            "/v1/workspaces",
            &json!({"email": "not-an-email", "password": "short"}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("validation_failed"))
    );
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    for f in ["workspace_name", "email", "password", "display_name"] {
        assert!(fields.contains(&f), "{f} is reported: {fields:?}");
    }
    assert!(
        !body.to_string().contains("short"),
        "the password is not echoed"
    );
    let (status, _) = problem(
        app.post_raw("/v1/workspaces", "{\"email\": ", Some("application/json"))
            .await,
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = problem(
        app.post_raw("/v1/workspaces", "{\"email\": 5}", Some("application/json"))
            .await,
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = problem(
        app.post_raw("/v1/workspaces", "{}", Some("text/plain"))
            .await,
    )
    .await;
    assert_eq!(status, 415);
    let (status, _) = problem(app.post_raw("/v1/workspaces", "{}", None).await).await;
    assert_eq!(status, 415);
    let big = format!(
        "{{\"workspace_name\": \"{}\"}}",
        "x".repeat(2 * 1024 * 1024)
    );
    let (status, body) = problem(
        app.post_raw("/v1/workspaces", big, Some("application/json"))
            .await,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (413, Some("payload_too_large"))
    );
}

#[tokio::test]
async fn wrong_password_and_unknown_email_look_the_same() {
    let app = TestApp::spawn().await;
    app.signup("ada@example.com").await;
    let (s1, b1) = problem(app.login("ada@example.com", "wrong password!!").await).await;
    let (s2, b2) = problem(app.login("nobody@example.com", "wrong password!!").await).await;
    assert_eq!((s1, s2), (401, 401));
    assert_eq!(b1["code"], "invalid_credentials");
    assert_eq!(
        (b1["code"].clone(), b1["detail"].clone()),
        (b2["code"].clone(), b2["detail"].clone())
    );
    assert_eq!(app.login("ADA@example.com", PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn ten_failures_lock_the_account_even_for_the_right_password() {
    let app = TestApp::spawn().await;
    app.signup("ada@example.com").await;
    for _ in 0..10 {
        assert_eq!(
            app.login("ada@example.com", "wrong password!!")
                .await
                .status(),
            401
        );
    }
    let res = app.login("ada@example.com", PASSWORD).await;
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .expect("header")
        .parse()
        .expect("seconds");
    assert!(retry > 0 && retry <= 900);
    let (status, body) = problem(res).await;
    assert_eq!((status, body["code"].as_str()), (429, Some("rate_limited")));
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_session() {
    let app = TestApp::spawn().await;
    let (body, _) = app.signup("ada@example.com").await;
    let first = body["tokens"]["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_string();
    let res = app
        .post_json("/v1/auth/refresh", &json!({"refresh_token": first}))
        .await;
    assert_eq!(res.status(), 200);
    let pair: Value = res.json().await.expect("json");
    assert_ne!(pair["refresh_token"].as_str(), Some(first.as_str()));
    let access = pair["access_token"].as_str().expect("access").to_string();
    assert_eq!(app.get_as(&access, "/v1/me").await.status(), 200);
    // The old refresh token again: refused, and the whole session ends.
    let (status, body) = problem(
        app.post_json("/v1/auth/refresh", &json!({"refresh_token": first}))
            .await,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("unauthenticated"))
    );
    assert_eq!(app.get_as(&access, "/v1/me").await.status(), 401);
    let newer = pair["refresh_token"].as_str().expect("refresh");
    assert_eq!(
        app.post_json("/v1/auth/refresh", &json!({"refresh_token": newer}))
            .await
            .status(),
        401
    );
}

#[tokio::test]
async fn logout_on_one_instance_is_refused_by_another_at_once() {
    let app = TestApp::spawn().await;
    let other = crate::helpers::spawn_on(&app.db).await;
    let (_, token) = app.signup("ada@example.com").await;
    assert_eq!(other.get_as(&token, "/v1/me").await.status(), 200);
    assert_eq!(
        app.post_as(&token, "/v1/auth/logout", &json!({}))
            .await
            .status(),
        204
    );
    assert_eq!(other.get_as(&token, "/v1/me").await.status(), 401);
    assert_eq!(app.get_as(&token, "/v1/me").await.status(), 401);
    // A user disabled through one instance is refused by both.
    let owner: Value = app
        .login("ada@example.com", PASSWORD)
        .await
        .json()
        .await
        .expect("json");
    let owner = owner["access_token"].as_str().expect("token").to_string();
    let (member_id, member) = app.user_with_role(&owner, "m@example.com", "member").await;
    assert_eq!(other.get_as(&member, "/v1/me").await.status(), 200);
    assert_eq!(
        other
            .patch_as(
                &owner,
                &format!("/v1/users/{member_id}"),
                &json!({"disabled": true})
            )
            .await
            .status(),
        200
    );
    assert_eq!(app.get_as(&member, "/v1/me").await.status(), 401);
    assert_eq!(other.get_as(&member, "/v1/me").await.status(), 401);
}

#[tokio::test]
async fn sessions_can_be_listed_and_revoked() {
    let app = TestApp::spawn().await;
    let (_, first) = app.signup("ada@example.com").await;
    let second: Value = app
        .login("ada@example.com", PASSWORD)
        .await
        .json()
        .await
        .expect("json");
    let second = second["access_token"].as_str().expect("token").to_string();
    let list: Value = app
        .get_as(&second, "/v1/auth/sessions")
        .await
        .json()
        .await
        .expect("json");
    let items = list["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    assert_eq!(items.iter().filter(|s| s["current"] == true).count(), 1);
    assert_eq!(
        app.delete_as(&second, "/v1/auth/sessions").await.status(),
        204
    );
    assert_eq!(
        app.get_as(&first, "/v1/me").await.status(),
        401,
        "the other session ended"
    );
    assert_eq!(
        app.get_as(&second, "/v1/me").await.status(),
        200,
        "this one goes on"
    );
    assert_eq!(
        revocations(&app).await,
        [(
            "session.revoked".to_string(),
            Some("other sessions revoked".to_string())
        )],
        "one event, for the one session ended"
    );
    let (status, _) = problem(
        app.delete_as(
            &second,
            &format!("/v1/auth/sessions/{}", uuid::Uuid::now_v7()),
        )
        .await,
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn password_change_needs_the_current_one_and_ends_other_sessions() {
    let app = TestApp::spawn().await;
    let (_, first) = app.signup("ada@example.com").await;
    let second: Value = app
        .login("ada@example.com", PASSWORD)
        .await
        .json()
        .await
        .expect("json");
    let second = second["access_token"].as_str().expect("token").to_string();
    let (status, _) = problem(
        app.post_as(
            &second,
            "/v1/auth/password",
            &json!({"current_password": "nope nope nope", "new_password": "a brand new password"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(
        app.post_as(
            &second,
            "/v1/auth/password",
            &json!({"current_password": PASSWORD, "new_password": "a brand new password"})
        )
        .await
        .status(),
        204
    );
    assert_eq!(app.get_as(&first, "/v1/me").await.status(), 401);
    assert_eq!(
        revocations(&app).await,
        [(
            "session.revoked".to_string(),
            Some("password changed".to_string())
        )]
    );
    assert_eq!(
        app.login("ada@example.com", "a brand new password")
            .await
            .status(),
        200
    );
    assert_eq!(app.login("ada@example.com", PASSWORD).await.status(), 401);
}

#[tokio::test]
async fn api_tokens_act_within_their_scopes_and_stop_when_revoked() {
    let app = TestApp::spawn().await;
    let (_, owner) = app.signup("ada@example.com").await;
    let res = app
        .post_as(
            &owner,
            "/v1/tokens",
            &json!({"name": "ci", "kind": "personal", "scopes": ["credentials:read"]}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.expect("json");
    let token = created["token"].as_str().expect("token").to_string();
    assert!(token.starts_with("cvt_"));
    assert_eq!(app.get_as(&token, "/v1/me").await.status(), 200);
    let (status, _) = problem(app.post_as(&token, "/v1/users", &json!({})).await).await;
    assert_eq!(status, 403, "no admin scope");
    let list: Value = app
        .get_as(&owner, "/v1/tokens")
        .await
        .json()
        .await
        .expect("json");
    assert!(
        !list.to_string().contains(&token),
        "listing never shows the value"
    );
    // Personal tokens cannot resolve.
    let (status, _) = problem(
        app.post_as(
            &owner,
            "/v1/tokens",
            &json!({"name": "x", "kind": "personal", "scopes": ["credentials:resolve"]}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 422);
    let id = created["id"].as_str().expect("id");
    for expected in [204, 404] {
        assert_eq!(
            app.delete_as(&owner, &format!("/v1/tokens/{id}"))
                .await
                .status(),
            expected
        );
    }
    assert_eq!(app.get_as(&token, "/v1/me").await.status(), 401);
    assert_eq!(
        revocations(&app).await,
        [("token.revoked".to_string(), None)],
        "revoked once, recorded once"
    );
}

/// (action, details.reason) of every session and token revocation on record, in chain order.
async fn revocations(app: &TestApp) -> Vec<(String, Option<String>)> {
    app.db
        .client()
        .await
        .query(
            "SELECT action, details->>'reason' FROM audit_events
             WHERE action IN ('session.revoked', 'token.revoked') ORDER BY seq",
            &[],
        )
        .await
        .expect("events")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

/// Two revocations of one token at once: both have read it live, one revokes it, and only that
/// one is recorded.
#[tokio::test]
async fn a_token_revoked_twice_at_once_is_recorded_once() {
    let app = TestApp::spawn().await;
    let (_, owner) = app.signup("ada@example.com").await;
    let body = json!({"name": "ci", "kind": "personal", "scopes": ["credentials:read"]});
    let created: Value = app
        .post_as(&owner, "/v1/tokens", &body)
        .await
        .json()
        .await
        .expect("json");
    let (id, token) = (uuid_at(&created["id"]), created["token"].clone());
    let statuses = app
        .twice_at_once(
            "SELECT 1 FROM api_tokens WHERE id = $1 FOR UPDATE",
            &id,
            || {
                app.client
                    .delete(app.url(&format!("/v1/tokens/{id}")))
                    .bearer_auth(&owner)
            },
        )
        .await;
    // The second found nothing left to revoke: done either way, and nothing to record.
    assert_eq!(statuses, [204, 204]);
    assert_eq!(
        revocations(&app).await,
        [("token.revoked".to_string(), None)],
        "one event"
    );
    let token = token.as_str().expect("token");
    assert_eq!(app.get_as(token, "/v1/me").await.status(), 401);
}

#[tokio::test]
async fn engine_tokens_are_for_owners_and_are_not_people() {
    let app = TestApp::spawn().await;
    let (_, owner) = app.signup("ada@example.com").await;
    let (_, member) = app.user_with_role(&owner, "m@example.com", "member").await;
    let body = json!({"name": "engine", "kind": "engine", "scopes": ["credentials:resolve", "workflows:write"]});
    let (status, _) = problem(app.post_as(&member, "/v1/tokens", &body).await).await;
    assert_eq!(status, 403);
    let res = app.post_as(&owner, "/v1/tokens", &body).await;
    assert_eq!(res.status(), 201);
    let engine = res.json::<Value>().await.expect("json")["token"]
        .as_str()
        .expect("token")
        .to_string();
    let (status, _) = problem(app.get_as(&engine, "/v1/me").await).await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn the_last_owner_is_protected_and_disabling_revokes_access() {
    let app = TestApp::spawn().await;
    let (body, owner) = app.signup("ada@example.com").await;
    let owner_id = body["user"]["id"].as_str().expect("id").to_string();
    let (status, body) = problem(
        app.patch_as(
            &owner,
            &format!("/v1/users/{owner_id}"),
            &json!({"role": "admin"}),
        )
        .await,
    )
    .await;
    assert_eq!((status, body["code"].as_str()), (409, Some("conflict")));
    let (status, _) = problem(
        app.patch_as(
            &owner,
            &format!("/v1/users/{owner_id}"),
            &json!({"disabled": true}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 409);
    let (member_id, member) = app.user_with_role(&owner, "m@example.com", "member").await;
    let res = app
        .post_as(
            &member,
            "/v1/tokens",
            &json!({"name": "ci", "kind": "personal", "scopes": ["credentials:read"]}),
        )
        .await;
    let token = res.json::<Value>().await.expect("json")["token"]
        .as_str()
        .expect("token")
        .to_string();
    let res = app
        .patch_as(
            &owner,
            &format!("/v1/users/{member_id}"),
            &json!({"disabled": true}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(app.get_as(&member, "/v1/me").await.status(), 401);
    assert_eq!(app.get_as(&token, "/v1/me").await.status(), 401);
    assert_eq!(
        revocations(&app).await,
        [
            (
                "session.revoked".to_string(),
                Some("user disabled".to_string())
            ),
            (
                "token.revoked".to_string(),
                Some("user disabled".to_string())
            ),
        ],
        "each session and token ended is on the record"
    );
    let (status, body) = problem(app.login("m@example.com", PASSWORD).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("account_disabled"))
    );
}

#[tokio::test]
async fn roles_decide_who_manages_users_and_teams() {
    let app = TestApp::spawn().await;
    let (_, owner) = app.signup("ada@example.com").await;
    let (_, admin) = app.user_with_role(&owner, "a@example.com", "admin").await;
    let (member_id, member) = app.user_with_role(&owner, "m@example.com", "member").await;
    let (_, auditor) = app
        .user_with_role(&owner, "au@example.com", "auditor")
        .await;
    for (who, token, allowed) in [
        ("owner", &owner, true),
        ("admin", &admin, true),
        ("member", &member, false),
        ("auditor", &auditor, false),
    ] {
        let res = app
            .post_as(
                token,
                "/v1/teams",
                &json!({"name": format!("team of {who}")}),
            )
            .await;
        assert_eq!(res.status() == 201, allowed, "{who} creates a team");
        assert_eq!(
            app.get_as(token, "/v1/users").await.status(),
            200,
            "{who} reads users"
        );
    }
    let team: Value = app
        .post_as(&admin, "/v1/teams", &json!({"name": "Platform"}))
        .await
        .json()
        .await
        .expect("json");
    let tid = team["id"].as_str().expect("id");
    assert_eq!(
        app.put_as(&admin, &format!("/v1/teams/{tid}/members/{member_id}"))
            .await
            .status(),
        204
    );
    let me: Value = app
        .get_as(&member, "/v1/me")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(me["teams"][0]["name"], "Platform");
    let t: Value = app
        .get_as(&member, &format!("/v1/teams/{tid}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(t["members"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        app.delete_as(&admin, &format!("/v1/teams/{tid}/members/{member_id}"))
            .await
            .status(),
        204
    );
    assert_eq!(
        app.delete_as(&admin, &format!("/v1/teams/{tid}"))
            .await
            .status(),
        204
    );
    let (status, _) = problem(app.get_as(&member, &format!("/v1/teams/{tid}")).await).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn another_workspaces_ids_are_not_found() {
    let app = TestApp::spawn_with(|s| s.signup = "open".into()).await;
    let (a, owner_a) = app.signup("a@example.com").await;
    let res = app.post_json("/v1/workspaces", &json!({"workspace_name": "B", "email": "b@example.com", "password": PASSWORD, "display_name": "B"})).await;
    let b: Value = res.json().await.expect("json");
    let owner_b = b["tokens"]["access_token"].as_str().expect("token");
    let a_user = a["user"]["id"].as_str().expect("id");
    let (status, _) = problem(app.get_as(owner_b, &format!("/v1/users/{a_user}")).await).await;
    assert_eq!(status, 404);
    let (status, _) = problem(
        app.patch_as(
            owner_b,
            &format!("/v1/users/{a_user}"),
            &json!({"role": "member"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(
        app.get_as(&owner_a, &format!("/v1/users/{a_user}"))
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn concurrent_audited_actions_keep_the_chain_whole() {
    let app = TestApp::spawn().await;
    let (body, owner) = app.signup("ada@example.com").await;
    let ws = uuid_at(&body["workspace"]["id"]);
    let mut tasks = Vec::new();
    for i in 0..50 {
        let (client, url, owner) = (app.client.clone(), app.url("/v1/teams"), owner.clone());
        tasks.push(tokio::spawn(async move {
            client
                .post(url)
                .bearer_auth(owner)
                .json(&json!({"name": format!("team {i}")}))
                .send()
                .await
                .expect("request")
                .status()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.expect("task"), 201);
    }
    let pool = credvault_store::connect(&app.db.url, 1).expect("pool");
    let conn = pool.get().await.expect("conn");
    let v = credvault_api::audit::verify(&conn, &crate::helpers::chain_keys(), ws)
        .await
        .expect("verify");
    assert!(v.ok, "{v:?}");
    assert_eq!(
        v.events_checked, 52,
        "user.created + auth.login + 50 team.created"
    );
    // Editing a hashed field breaks the chain at that event.
    let db = app.db.client().await;
    db.batch_execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only")
        .await
        .expect("disable");
    db.execute(
        "UPDATE audit_events SET action = 'team.deleted' WHERE workspace_id = $1 AND seq = 10",
        &[&ws],
    )
    .await
    .expect("tamper");
    let v = credvault_api::audit::verify(&conn, &crate::helpers::chain_keys(), ws)
        .await
        .expect("verify");
    assert_eq!((v.ok, v.first_bad_seq), (false, Some(10)));
}

#[tokio::test]
async fn export_holds_everything_about_the_caller() {
    let app = TestApp::spawn().await;
    let (body, owner) = app.signup("ada@example.com").await;
    app.post_as(
        &owner,
        "/v1/tokens",
        &json!({"name": "ci", "kind": "personal", "scopes": ["credentials:read"]}),
    )
    .await;
    let export: Value = app
        .get_as(&owner, "/v1/me/export")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(export["profile"]["id"], body["user"]["id"]);
    assert_eq!(export["sessions"].as_array().map(Vec::len), Some(1));
    assert_eq!(export["tokens"][0]["name"], "ci");
    assert!(
        export["tokens"][0].get("token").is_none(),
        "never the token value"
    );
    let actions: Vec<&str> = export["audit_events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(actions, ["user.created", "auth.login", "token.created"]);
    assert!(export["credentials"].as_array().is_some_and(Vec::is_empty));
}

#[tokio::test]
async fn export_streams_every_event_of_the_caller_and_their_tokens_in_chain_order() {
    use credvault_api::audit::{record_many, Actor, Event, Origin};
    let app = TestApp::spawn().await;
    let (body, owner) = app.signup("ada@example.com").await;
    let token: Value = app
        .post_as(
            &owner,
            "/v1/tokens",
            &json!({"name": "ci", "kind": "personal", "scopes": ["credentials:read"]}),
        )
        .await
        .json()
        .await
        .expect("json");
    let (ws, user, token) = (
        uuid_at(&body["workspace"]["id"]),
        uuid_at(&body["user"]["id"]),
        uuid_at(&token["id"]),
    );
    let actor = |kind, id| Actor {
        kind,
        id: Some(id),
        display: None,
        user_id: None,
    };
    // More than a page of theirs (1,000 events): the user, their token and someone else in turn,
    // then many by someone else alone, after the last of theirs.
    let others = [
        actor("user", user),
        actor("token", token),
        actor("user", uuid::Uuid::now_v7()),
    ];
    let items: Vec<_> = (0..3_300)
        .map(|i| {
            let who = if i < 2_400 {
                &others[i % 3]
            } else {
                &others[2]
            };
            (
                who.clone(),
                Origin::default(),
                Event::new("test.event").detail("i", i),
            )
        })
        .collect();
    let pool = credvault_store::connect(&app.db.url, 1).expect("pool");
    let db = pool.get().await.expect("connection");
    record_many(&db, ws, &items).await.expect("events");
    // Written outside any request: the server's sequencer links them within milliseconds.
    crate::helpers::chained(&db, ws).await;

    let res = app.get_as(&owner, "/v1/me/export").await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/json")
    );
    let export: Value = res.json().await.expect("one JSON document");
    let mut keys: Vec<&str> = export
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "audit_events",
            "credentials",
            "exported_at",
            "profile",
            "sessions",
            "tokens"
        ]
    );
    assert_eq!(export["profile"]["id"], body["user"]["id"]);
    assert_eq!(export["tokens"][0]["name"], "ci");
    assert!(export["exported_at"].is_string());
    let events = export["audit_events"].as_array().expect("events");
    let seqs: Vec<i64> = events.iter().filter_map(|e| e["seq"].as_i64()).collect();
    assert_eq!(seqs.len(), events.len());
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "chain order");
    let ours: Vec<i64> = events
        .iter()
        .filter(|e| e["action"] == "test.event")
        .filter_map(|e| e["details"]["i"].as_i64())
        .collect();
    let expected: Vec<i64> = (0..2_400).filter(|i| i % 3 != 2).collect();
    assert_eq!(
        ours, expected,
        "every event of theirs, none of anyone else's"
    );
    assert_eq!(
        events
            .iter()
            .filter(|e| e["action"] != "test.event")
            .filter_map(|e| e["action"].as_str())
            .collect::<Vec<_>>(),
        ["user.created", "auth.login", "token.created"]
    );
    // The export reads up to the chain head as it was when it began: nothing past `upto`.
    let upto = seqs[seqs.len() / 2];
    let page = credvault_store::audit::events_by_actors(&db, ws, &[user, token], 0, upto, 5_000)
        .await
        .expect("events");
    let read: Vec<i64> = page.iter().map(|e| e.seq).collect();
    assert_eq!(
        read,
        seqs[..=seqs.len() / 2],
        "up to upto, and all of those"
    );
}

#[tokio::test]
async fn failed_sign_ins_are_audited_as_anonymous_and_limited_per_ip_behind_a_trusted_proxy() {
    let app = TestApp::spawn_with(|s| s.trusted_proxies = "127.0.0.1".into()).await;
    let (body, owner) = app.signup("ada@example.com").await;
    let login = |ip: &'static str, email: &'static str| {
        app.client
            .post(app.url("/v1/auth/login"))
            .header("x-forwarded-for", ip)
            .json(&json!({"email": email, "password": "wrong password!!"}))
            .send()
    };
    assert_eq!(
        login("203.0.113.7", "ada@example.com")
            .await
            .expect("request")
            .status(),
        401
    );
    let export: Value = app
        .get_as(&owner, "/v1/me/export")
        .await
        .json()
        .await
        .expect("json");
    assert!(export.to_string().contains("auth.login"));
    let db = app.db.client().await;
    let row = db
        .query_one("SELECT actor_type, target_id, outcome, ip FROM audit_events WHERE action = 'auth.login_failed'", &[])
        .await
        .expect("event");
    assert_eq!(row.get::<_, String>(0), "anonymous");
    assert_eq!(
        Some(row.get::<_, String>(1).as_str()),
        body["user"]["id"].as_str()
    );
    assert_eq!(row.get::<_, String>(2), "failure");
    assert_eq!(
        row.get::<_, String>(3),
        "203.0.113.7",
        "the client IP from the trusted proxy's header"
    );
    // 100 failures from one address (seeded, as 100 argon2 runs would be slow), then any account
    // from that address is refused; another address is not.
    db.execute("INSERT INTO login_failures (email, ip) SELECT 'x' || g || '@example.com', '198.51.100.9' FROM generate_series(1, 100) g", &[])
        .await
        .expect("seed");
    let (status, _) = problem(
        login("198.51.100.9", "ada@example.com")
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(status, 429);
    assert_eq!(
        login("198.51.100.10", "ada@example.com")
            .await
            .expect("request")
            .status(),
        401
    );
}

/// Every request this test makes carries a request id of its own, so the check reads this test's
/// log lines (the capture is shared by every test of the binary): each request left its lines,
/// and none of them holds a password, token or hash.
#[tokio::test]
async fn no_password_token_or_hash_reaches_a_log_line() {
    let app = TestApp::spawn().await;
    let run = uuid::Uuid::now_v7().simple().to_string();
    let mut ids: Vec<String> = Vec::new();
    let mut send = |req: reqwest::RequestBuilder| {
        let id = format!("logcheck-{run}-{}", ids.len());
        ids.push(id.clone());
        req.header("x-request-id", id).send()
    };
    let password = "unique-pw-7f3a9c1e-logcheck";
    let res = send(app.client.post(app.url("/v1/workspaces")).json(&json!({"workspace_name": "Logs", "email": "logs@example.com", "password": password, "display_name": "L"}))).await.expect("request");
    assert_eq!(res.status(), 201, "sign-up");
    let body: Value = res.json().await.expect("json");
    let access = body["tokens"]["access_token"]
        .as_str()
        .expect("access")
        .to_string();
    let refresh = body["tokens"]["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_string();
    let res = send(
        app.client
            .post(app.url("/v1/auth/login"))
            .json(&json!({"email": "logs@example.com", "password": "wrong-pw-0d9e8f-logcheck"})),
    )
    .await
    .expect("request");
    assert_eq!(res.status(), 401, "a wrong password");
    let res = send(
        app.client
            .post(app.url("/v1/auth/refresh"))
            .json(&json!({"refresh_token": refresh})),
    )
    .await
    .expect("request");
    assert_eq!(res.status(), 200, "refresh");
    let pair: Value = res.json().await.expect("json");
    let res = send(
        app.client
            .post(app.url("/v1/tokens"))
            .bearer_auth(&access)
            .json(&json!({"name": "ci", "kind": "personal", "scopes": ["credentials:read"]})),
    )
    .await
    .expect("request");
    assert_eq!(res.status(), 201, "an API token");
    let created: Value = res.json().await.expect("json");
    let api_token = created["token"].as_str().expect("token").to_string();
    let res = send(app.client.get(app.url("/v1/me")).bearer_auth(&api_token))
        .await
        .expect("request");
    assert_eq!(res.status(), 200, "the API token works");
    let res = send(
        app.client
            .post(app.url("/v1/auth/password"))
            .bearer_auth(&access)
            .json(&json!({"current_password": password, "new_password": "new-pw-5b6c7d-logcheck"})),
    )
    .await
    .expect("request");
    assert_eq!(res.status(), 204, "the password changes");
    let res = send(
        app.client
            .post(app.url("/v1/workspaces"))
            .header("content-type", "application/json")
            .body(format!("{{\"password\": {}", "\"bad-json-pw-11aa22\"")),
    )
    .await
    .expect("request");
    assert_eq!(res.status(), 400, "malformed JSON");
    let db = app.db.client().await;
    let hash: String = db
        .query_one(
            "SELECT password_hash FROM users WHERE email = 'logs@example.com'",
            &[],
        )
        .await
        .expect("row")
        .get(0);
    let logs = crate::helpers::captured_logs();
    let ours: Vec<&str> = logs
        .lines()
        .filter(|l| ids.iter().any(|id| l.contains(&format!("\"{id}\""))))
        .collect();
    for id in &ids {
        assert!(
            ours.iter()
                .any(|l| l.contains(&format!("\"{id}\"")) && l.contains("served")),
            "request {id} left its request line"
        );
    }
    let secrets = [
        password.to_string(),
        "wrong-pw-0d9e8f-logcheck".into(),
        "new-pw-5b6c7d-logcheck".into(),
        "bad-json-pw-11aa22".into(),
        access,
        refresh,
        pair["refresh_token"].as_str().expect("refresh").to_string(),
        api_token,
        hash,
    ];
    for s in &secrets {
        assert!(
            !ours.iter().any(|l| l.contains(s.as_str())),
            "a secret reached this test's log lines"
        );
    }
}

#[tokio::test]
async fn closed_sign_up_refuses_even_the_first_workspace() {
    let app = TestApp::spawn_with(|s| s.signup = "closed".into()).await;
    let res = app.post_json("/v1/workspaces", &json!({"workspace_name": "A", "email": "a@example.com", "password": PASSWORD, "display_name": "A"})).await;
    let (status, body) = problem(res).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("forbidden")));
    assert!(body["detail"]
        .as_str()
        .unwrap_or_default()
        .contains("CREDVAULT_SIGNUP"));
}

/// The same across real processes: a session ended through one `credvault serve` process is
/// refused by another at once.
#[tokio::test]
async fn logout_through_one_serve_process_is_refused_by_another() {
    let app = TestApp::spawn().await;
    let other = crate::helpers::ServeProcess::start(&app.db);
    assert!(other.ready(30).await);
    let (_, token) = app.signup("ada@example.com").await;
    let me = |base: String| {
        let (client, token) = (app.client.clone(), token.clone());
        async move {
            client
                .get(format!("{base}/v1/me"))
                .bearer_auth(token)
                .send()
                .await
                .expect("req")
                .status()
                .as_u16()
        }
    };
    assert_eq!(me(other.address.clone()).await, 200);
    assert_eq!(
        app.post_as(&token, "/v1/auth/logout", &json!({}))
            .await
            .status(),
        204
    );
    assert_eq!(me(other.address.clone()).await, 401);
}

#[tokio::test]
async fn nul_characters_are_a_400_not_a_500() {
    let app = TestApp::spawn().await;
    let (_, owner) = app.signup("ada@example.com").await;
    let (status, _) = problem(app.login("a\u{0}@example.com", "whatever password").await).await;
    assert_eq!(status, 400);
    let (status, _) = problem(app.get_as(&owner, "/v1/credentials?service=a%00b").await).await;
    assert_eq!(status, 400);
    let (status, _) = problem(app.post_as(&owner, "/v1/credentials", &json!({"name": "n", "service": "s", "type": "custom", "data": {"host": "a\u{0}b"}, "secret_fields": []})).await).await;
    assert!(status == 400 || status == 422, "{status}");
}

#[tokio::test]
async fn a_token_cannot_mint_a_token_with_more_scopes() {
    let app = TestApp::spawn().await;
    let (_, owner) = app.signup("ada@example.com").await;
    let created: Value = app
        .post_as(
            &owner,
            "/v1/tokens",
            &json!({"name": "narrow", "kind": "personal", "scopes": ["admin"]}),
        )
        .await
        .json()
        .await
        .expect("json");
    let narrow = created["token"].as_str().expect("token").to_string();
    let (status, _) = problem(
        app.post_as(
            &narrow,
            "/v1/tokens",
            &json!({"name": "wide", "kind": "personal", "scopes": ["credentials:write"]}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(
        app.post_as(
            &narrow,
            "/v1/tokens",
            &json!({"name": "same", "kind": "personal", "scopes": ["admin"]})
        )
        .await
        .status(),
        201
    );
}
