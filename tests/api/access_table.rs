//! Who may call which identity endpoint: a table over every caller kind.

use serde_json::{json, Value};

use crate::helpers::{TestApp, PASSWORD};

/// Columns: owner, admin, member, auditor, personal token with the scope (the owner's, holding
/// admin), personal token without it (the owner's, holding only credentials:read), engine token,
/// the owner of another workspace.
const CALLERS: [&str; 8] = [
    "owner",
    "admin",
    "member",
    "auditor",
    "token+scope",
    "token-scope",
    "engine",
    "other-ws",
];

#[tokio::test]
async fn every_identity_endpoint_allows_and_denies_per_the_table() {
    let app = TestApp::spawn_with(|s| s.signup = "open".into()).await;
    let (_, owner) = app.signup("owner@example.com").await;
    let (_, admin) = app
        .user_with_role(&owner, "admin@example.com", "admin")
        .await;
    let (member_id, member) = app
        .user_with_role(&owner, "member@example.com", "member")
        .await;
    let (_, auditor) = app
        .user_with_role(&owner, "auditor@example.com", "auditor")
        .await;
    let token = |scopes: Value, kind: &'static str| {
        let app = &app;
        let owner = owner.clone();
        async move {
            let res = app
                .post_as(
                    &owner,
                    "/v1/tokens",
                    &json!({"name": "t", "kind": kind, "scopes": scopes}),
                )
                .await;
            assert_eq!(res.status(), 201);
            res.json::<Value>().await.expect("json")["token"]
                .as_str()
                .expect("token")
                .to_string()
        }
    };
    let with_scope = token(json!(["admin", "credentials:read"]), "personal").await;
    let without_scope = token(json!(["credentials:read"]), "personal").await;
    let engine = token(json!(["credentials:resolve", "workflows:write"]), "engine").await;
    let res = app.post_json("/v1/workspaces", &json!({"workspace_name": "Other", "email": "x@example.com", "password": PASSWORD, "display_name": "X"})).await;
    let other = res.json::<Value>().await.expect("json")["tokens"]["access_token"]
        .as_str()
        .expect("token")
        .to_string();
    let team: Value = app
        .post_as(&owner, "/v1/teams", &json!({"name": "Table"}))
        .await
        .json()
        .await
        .expect("json");
    let tid = team["id"].as_str().expect("id").to_string();
    let tokens = [
        &owner,
        &admin,
        &member,
        &auditor,
        &with_scope,
        &without_scope,
        &engine,
        &other,
    ];
    let nobody = uuid::Uuid::now_v7();

    // (method, path, body, expected statuses in CALLERS order). `{i}` in a body is the column.
    let table: Vec<(&str, String, Option<Value>, [u16; 8])> = vec![
        (
            "GET",
            "/v1/me".into(),
            None,
            [200, 200, 200, 200, 200, 200, 403, 200],
        ),
        (
            "GET",
            "/v1/me/export".into(),
            None,
            // A person's whole record leaves only through their session, never a token.
            [200, 200, 200, 200, 403, 403, 403, 200],
        ),
        (
            "GET",
            "/v1/auth/sessions".into(),
            None,
            [200, 200, 200, 200, 200, 200, 403, 200],
        ),
        (
            "GET",
            "/v1/users".into(),
            None,
            [200, 200, 200, 200, 200, 200, 403, 200],
        ),
        (
            "GET",
            format!("/v1/users/{member_id}"),
            None,
            [200, 200, 200, 200, 200, 200, 403, 404],
        ),
        (
            "POST",
            "/v1/users".into(),
            Some(json!({})),
            [422, 422, 403, 403, 422, 403, 403, 422],
        ),
        (
            "PATCH",
            format!("/v1/users/{member_id}"),
            Some(json!({"display_name": "Member {i}"})),
            [200, 200, 403, 403, 200, 403, 403, 404],
        ),
        (
            "GET",
            "/v1/teams".into(),
            None,
            [200, 200, 200, 200, 200, 200, 403, 200],
        ),
        (
            "GET",
            format!("/v1/teams/{tid}"),
            None,
            [200, 200, 200, 200, 200, 200, 403, 404],
        ),
        (
            "POST",
            "/v1/teams".into(),
            Some(json!({"name": "new {i}"})),
            [201, 201, 403, 403, 201, 403, 403, 201],
        ),
        (
            "PATCH",
            format!("/v1/teams/{tid}"),
            Some(json!({"name": "Table {i}"})),
            [200, 200, 403, 403, 200, 403, 403, 404],
        ),
        (
            "PUT",
            format!("/v1/teams/{tid}/members/{member_id}"),
            None,
            [204, 204, 403, 403, 204, 403, 403, 404],
        ),
        (
            "GET",
            "/v1/tokens".into(),
            None,
            [200, 200, 200, 200, 200, 403, 403, 200],
        ),
        (
            "POST",
            "/v1/tokens".into(),
            Some(json!({"name": "n", "kind": "personal", "scopes": ["credentials:read"]})),
            [201, 201, 201, 201, 201, 403, 403, 201],
        ),
        (
            "DELETE",
            format!("/v1/tokens/{nobody}"),
            None,
            [404, 404, 404, 404, 404, 403, 403, 404],
        ),
        (
            "DELETE",
            format!("/v1/auth/sessions/{nobody}"),
            None,
            [404, 404, 404, 404, 403, 403, 403, 404],
        ),
    ];
    let mut failures = Vec::new();
    for (method, path, body, expected) in &table {
        for (i, (who, token)) in CALLERS.iter().zip(tokens).enumerate() {
            let mut req = app
                .client
                .request(method.parse().expect("method"), app.url(path))
                .bearer_auth(token);
            if let Some(b) = body {
                req = req.json(
                    &serde_json::from_str::<Value>(&b.to_string().replace("{i}", &i.to_string()))
                        .expect("json"),
                );
            }
            let got = req.send().await.expect("request").status().as_u16();
            if got != expected[i] {
                failures.push(format!(
                    "{method} {path} as {who}: expected {}, got {got}",
                    expected[i]
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The directory needs credentials:read or admin: a token with neither reads no one.
    let narrow = token(json!(["audit:read", "workflows:write"]), "personal").await;
    for path in ["/v1/users", "/v1/teams", &format!("/v1/teams/{tid}")] {
        let res = app.get_as(&narrow, path).await;
        assert_eq!(res.status(), 403, "{path}");
        let body: Value = res.json().await.expect("json");
        assert!(
            body["detail"]
                .as_str()
                .expect("detail")
                .contains("credentials:read"),
            "{body}"
        );
    }
}
