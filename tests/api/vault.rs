//! The Vault-compatible read path: Vault's shapes and errors, and the same checks, audit and
//! usage as resolve (the real clients, hvac and node-vault, are driven by
//! scripts/vault-clients.sh).

use reqwest::{Method, Response};
use serde_json::{json, Value};

use crate::helpers::{cache_counts, problem, TestApp};

struct World {
    app: TestApp,
    owner: String,
    owner_id: String,
    member: String,
    engine: String,
    engine_id: String,
    cred: String,
}

/// A workspace whose owner's workflow `wf` declares the owner's API key `cred`, and an engine
/// token that may resolve.
async fn world() -> World {
    world_in(TestApp::spawn().await).await
}

async fn world_in(app: TestApp) -> World {
    let (signup, owner) = app.signup("ada@example.com").await;
    let owner_id = signup["user"]["id"].as_str().expect("id").to_string();
    let (_, member) = app.user_with_role(&owner, "m@example.com", "member").await;
    let token: Value = app
        .post_as(&owner, "/v1/tokens", &json!({"name": "ci", "kind": "engine", "scopes": ["credentials:resolve", "workflows:write"]}))
        .await
        .json()
        .await
        .expect("json");
    let engine = token["token"].as_str().expect("token").to_string();
    let engine_id = token["id"].as_str().expect("id").to_string();
    let cred = created(&app, &owner, "sk_live_vault_read_0001").await;
    let w = World {
        app,
        owner,
        owner_id,
        member,
        engine,
        engine_id,
        cred,
    };
    w.workflow("wf", &[&w.cred]).await;
    w
}

/// An API key credential created by `token`; its id.
async fn created(app: &TestApp, token: &str, key: &str) -> String {
    let res = app
        .post_as(token, "/v1/credentials", &json!({"name": "Stripe", "service": "stripe", "type": "api_key", "data": {"key": key, "prefix": "Bearer "}}))
        .await;
    assert_eq!(res.status(), 201);
    res.json::<Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .to_string()
}

impl World {
    async fn workflow(&self, id: &str, creds: &[&str]) {
        let body = json!({"name": id, "owner_id": self.owner_id, "credential_ids": creds});
        let res = self
            .app
            .put_json_as(&self.engine, &format!("/v1/workflows/{id}"), &body)
            .await;
        assert!(res.status().is_success(), "{}", res.status());
    }

    /// `method path` with `X-Vault-Token: token` (none when empty).
    async fn vault(&self, method: &str, token: &str, path: &str) -> Response {
        let method = Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self.app.client.request(method, self.app.url(path));
        if !token.is_empty() {
            req = req.header("X-Vault-Token", token);
        }
        req.send().await.expect("request")
    }

    async fn read(&self, suffix: &str) -> Response {
        let path = format!("/v1/kv/data/wf/{}{suffix}", self.cred);
        self.vault("GET", &self.engine, &path).await
    }

    async fn used(&self) -> i64 {
        let db = self.app.db.client().await;
        let q = "SELECT count(*) FROM audit_events WHERE action = 'credential.used'";
        db.query_one(q, &[]).await.expect("count").get(0)
    }
}

/// A Vault error: (status, the messages), checking its shape and request id.
async fn vault_error(res: Response) -> (u16, Vec<String>) {
    let status = res.status().as_u16();
    let ct = res.headers()["content-type"]
        .to_str()
        .expect("ct")
        .to_string();
    assert!(res.headers().contains_key("x-request-id"));
    let body: Value = res.json().await.expect("json");
    assert_eq!(ct, "application/json", "{body}");
    assert_eq!(body.as_object().map(|o| o.len()), Some(1), "{body}");
    let errors = body["errors"].as_array().expect("errors");
    (
        status,
        errors
            .iter()
            .map(|e| e.as_str().expect("text").into())
            .collect(),
    )
}

#[tokio::test]
async fn a_kv_read_is_a_resolve_in_vaults_shape_recorded_once() {
    let w = world().await;
    let before = w.used().await;
    let res = w.read("").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let body: Value = res.json().await.expect("json");
    for (k, v) in [
        ("lease_id", json!("")),
        ("renewable", json!(false)),
        ("lease_duration", json!(0)),
        ("wrap_info", Value::Null),
        ("warnings", Value::Null),
        ("auth", Value::Null),
    ] {
        assert_eq!(body[k], v, "{k}");
    }
    assert!(body["request_id"].as_str().is_some_and(|r| !r.is_empty()));
    let data = &body["data"]["data"];
    assert_eq!(data["key"], "sk_live_vault_read_0001");
    assert_eq!(data["prefix"], "Bearer ");
    let meta = &body["data"]["metadata"];
    assert_eq!(meta["version"], 1);
    assert_eq!(meta["deletion_time"], "");
    assert_eq!(meta["destroyed"], false);
    assert!(meta["custom_metadata"].is_null());
    assert!(meta["created_time"]
        .as_str()
        .is_some_and(|t| t.starts_with("20")));
    assert_eq!(w.used().await, before + 1);

    // Authorization: Bearer works too, and the run's id reaches the audit event.
    let res = w
        .app
        .client
        .get(w.app.url(&format!("/v1/kv/data/wf/{}", w.cred)))
        .bearer_auth(&w.engine)
        .header("X-Credvault-Execution-Id", "run-42")
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 200);
    assert_eq!(w.used().await, before + 2);
    let audit: Value = w
        .app
        .get_as(&w.owner, "/v1/audit?action=credential.used&limit=1")
        .await
        .json()
        .await
        .expect("json");
    let event = &audit["items"][0];
    assert_eq!(event["details"]["execution_id"], "run-42");
    assert_eq!(event["details"]["workflow_id"], "wf");
    assert_eq!(event["target"]["id"], w.cred.as_str());

    // After a rotation: the new value and version.
    let res = w
        .app
        .post_as(
            &w.owner,
            &format!("/v1/credentials/{}/rotate", w.cred),
            &json!({"data": {"key": "sk_live_vault_read_0002"}}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let body: Value = w.read("").await.json().await.expect("json");
    assert_eq!(body["data"]["data"]["key"], "sk_live_vault_read_0002");
    assert_eq!(body["data"]["metadata"]["version"], 2);
}

#[tokio::test]
async fn only_the_current_version_is_handed_out_and_a_refused_one_is_not_recorded() {
    let w = world().await;
    for ok in ["?version=1", "?version=0"] {
        assert_eq!(w.read(ok).await.status(), 200, "{ok}");
    }
    let before = w.used().await;
    let (status, errors) = vault_error(w.read("?version=2").await).await;
    assert_eq!(status, 400);
    assert!(errors[0].contains("current version (1)"), "{errors:?}");
    for bad in ["?version=abc", "?version=-1"] {
        assert_eq!(vault_error(w.read(bad).await).await.0, 400, "{bad}");
    }
    let bad_run = w
        .app
        .client
        .get(w.app.url(&format!("/v1/kv/data/wf/{}", w.cred)))
        .header("X-Vault-Token", &w.engine)
        .header("X-Credvault-Execution-Id", "x".repeat(257))
        .send()
        .await
        .expect("request");
    assert_eq!(vault_error(bad_run).await.0, 400);
    assert_eq!(w.used().await, before, "refused reads are no uses");
}

#[tokio::test]
async fn lookup_self_describes_the_token_and_refuses_unknown_ones_as_vault_does() {
    let w = world().await;
    let res = w
        .vault("GET", &w.engine, "/v1/auth/token/lookup-self")
        .await;
    assert_eq!(res.status(), 200);
    let text = res.text().await.expect("text");
    assert!(
        !text.contains(&w.engine),
        "the token itself is never answered"
    );
    let body: Value = serde_json::from_str(&text).expect("json");
    let data = &body["data"];
    assert_eq!(data["id"], w.engine_id.as_str());
    assert_eq!(data["display_name"], "ci");
    assert_eq!(
        data["policies"],
        json!(["credentials:resolve", "workflows:write"])
    );
    assert_eq!(
        (data["ttl"].clone(), data["expire_time"].clone()),
        (json!(0), Value::Null)
    );
    assert_eq!(
        (data["renewable"].clone(), data["type"].clone()),
        (json!(false), json!("service"))
    );
    for token in ["", "cvt_not_a_token", "garbage"] {
        let res = w.vault("GET", token, "/v1/auth/token/lookup-self").await;
        let (status, errors) = vault_error(res).await;
        assert_eq!(
            (status, errors),
            (403, vec!["permission denied".to_string()])
        );
    }
}

#[tokio::test]
async fn refusals_are_vaults_errors_with_resolves_statuses() {
    let w = world().await;
    let before = w.used().await;
    // No token, an unknown one: Vault's 403.
    for token in ["", "cvt_not_a_token"] {
        let path = format!("/v1/kv/data/wf/{}", w.cred);
        let (status, errors) = vault_error(w.vault("GET", token, &path).await).await;
        assert_eq!(
            (status, errors),
            (403, vec!["permission denied".to_string()])
        );
    }
    // A token without credentials:resolve.
    let weak: Value = w
        .app
        .post_as(
            &w.owner,
            "/v1/tokens",
            &json!({"name": "weak", "kind": "engine", "scopes": ["workflows:write"]}),
        )
        .await
        .json()
        .await
        .expect("json");
    let weak = weak["token"].as_str().expect("token");
    let path = format!("/v1/kv/data/wf/{}", w.cred);
    let (status, errors) = vault_error(w.vault("GET", weak, &path).await).await;
    assert_eq!(status, 403);
    assert!(errors[0].contains("credentials:resolve"), "{errors:?}");
    // A credential the workflow's owner may not use (a member's personal one; the workspace
    // owner's role does not count for resolve): 403, recorded as a denial.
    let theirs = created(&w.app, &w.member, "ghp_member_personal_0001").await;
    w.workflow("wf", &[&w.cred, &theirs]).await;
    let (status, errors) = vault_error(
        w.vault("GET", &w.engine, &format!("/v1/kv/data/wf/{theirs}"))
            .await,
    )
    .await;
    assert_eq!(status, 403);
    assert!(!errors[0].is_empty());
    // Paths that do not exist: Vault's 404 with no message (hvac's InvalidPath).
    let random = uuid::Uuid::now_v7();
    for path in [
        format!("/v1/kv/data/wf/{random}"),
        format!("/v1/kv/data/no-such-flow/{}", w.cred),
        "/v1/kv/data/wf/not-a-uuid".to_string(),
        format!("/v1/kv/data/wf/{}/extra", w.cred),
        "/v1/kv/data/wf".to_string(),
        format!("/v1/kv/data/bad%20flow/{}", w.cred),
    ] {
        let (status, errors) = vault_error(w.vault("GET", &w.engine, &path).await).await;
        assert_eq!((status, errors.len()), (404, 0), "{path}");
    }
    // Deleted: resolve's 410.
    assert_eq!(
        w.app
            .delete_as(&w.owner, &format!("/v1/credentials/{}", w.cred))
            .await
            .status(),
        200
    );
    let (status, errors) = vault_error(w.read("").await).await;
    assert_eq!(status, 410);
    assert!(errors[0].contains("deleted"), "{errors:?}");
    assert_eq!(w.used().await, before, "no refusal is a use");
    let denied: Value = w
        .app
        .get_as(
            &w.owner,
            &format!("/v1/audit?action=credential.access_denied&credential_id={theirs}"),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(denied["items"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn no_vault_route_tells_another_workspaces_credential_from_a_missing_one() {
    let w = world_in(TestApp::spawn_with(|s| s.signup = "open".into()).await).await;
    // Workspace B, with a workflow of its own declaring its credential.
    let (other, eve) = w.app.signup("eve@example.com").await;
    let eve = eve.as_str();
    let eve_id = other["user"]["id"].as_str().expect("id");
    let eves = created(&w.app, eve, "sk_live_eves_own_key_0001").await;
    let eve_engine = w.app.engine_token(eve).await;
    let body = json!({"name": "b", "owner_id": eve_id, "credential_ids": [eves]});
    let res = w
        .app
        .put_json_as(&eve_engine, "/v1/workflows/b-only", &body)
        .await;
    assert!(res.status().is_success());
    // A's engine: B's credential reads as a random id does, B's workflow lists as a missing one.
    let random = uuid::Uuid::now_v7();
    let theirs = vault_error(
        w.vault("GET", &w.engine, &format!("/v1/kv/data/wf/{eves}"))
            .await,
    )
    .await;
    let missing = vault_error(
        w.vault("GET", &w.engine, &format!("/v1/kv/data/wf/{random}"))
            .await,
    )
    .await;
    assert_eq!(theirs, missing);
    assert_eq!(theirs.0, 404);
    let theirs = vault_error(w.vault("LIST", &w.engine, "/v1/kv/metadata/b-only").await).await;
    let missing = vault_error(w.vault("LIST", &w.engine, "/v1/kv/metadata/nothing").await).await;
    assert_eq!(theirs, missing);
    assert_eq!(theirs, (404, vec![]));
}

#[tokio::test]
async fn x_vault_token_is_taken_on_the_vault_routes_only() {
    let w = world().await;
    let res = w.vault("GET", &w.engine, "/v1/workflows").await;
    assert_eq!(problem(res).await.0, 401);
    let res = w
        .app
        .client
        .post(w.app.url(&format!("/v1/credentials/{}/resolve", w.cred)))
        .header("X-Vault-Token", &w.engine)
        .json(&json!({"workflow_id": "wf"}))
        .send()
        .await
        .expect("request");
    let (status, body) = problem(res).await;
    assert_eq!(
        (status, body["code"].clone()),
        (401, json!("unauthenticated"))
    );
}

#[tokio::test]
async fn list_answers_the_declared_credentials_by_the_list_method_and_by_get() {
    let w = world().await;
    let second = created(&w.app, &w.owner, "sk_live_second_key_0001").await;
    w.workflow("wf", &[&w.cred, &second]).await;
    let mut want = vec![w.cred.clone(), second];
    want.sort();
    for (method, path) in [
        ("LIST", "/v1/kv/metadata/wf"),
        ("GET", "/v1/kv/metadata/wf?list=true"),
        ("GET", "/v1/kv/metadata/wf?list=1"),
    ] {
        let res = w.vault(method, &w.engine, path).await;
        assert_eq!(res.status(), 200, "{method} {path}");
        let body: Value = res.json().await.expect("json");
        let mut keys: Vec<String> =
            serde_json::from_value(body["data"]["keys"].clone()).expect("keys");
        keys.sort();
        assert_eq!(keys, want, "{method} {path}");
        assert_eq!(body["lease_id"], "");
    }
    let plain = vault_error(w.vault("GET", &w.engine, "/v1/kv/metadata/wf").await).await;
    assert_eq!(plain, (404, vec![]));
    let bad = vault_error(
        w.vault("GET", &w.engine, "/v1/kv/metadata/wf?list=maybe")
            .await,
    )
    .await;
    assert_eq!(bad.0, 400);
    let unknown = vault_error(w.vault("LIST", &w.engine, "/v1/kv/metadata/nope").await).await;
    assert_eq!(unknown, (404, vec![]));
    let anonymous = vault_error(w.vault("LIST", "", "/v1/kv/metadata/wf").await).await;
    assert_eq!(anonymous, (403, vec!["permission denied".to_string()]));
}

/// A Vault read goes through resolve's cache, and a `LIST` is a read: it clears no cache.
#[tokio::test]
async fn vault_reads_use_resolves_cache_and_a_list_clears_nothing() {
    let w = world().await;
    assert_eq!(w.read("").await.status(), 200);
    let before = cache_counts(&w.app.address).await;
    assert_eq!(
        w.vault("LIST", &w.engine, "/v1/kv/metadata/wf")
            .await
            .status(),
        200
    );
    assert_eq!(w.read("").await.status(), 200);
    let after = cache_counts(&w.app.address).await;
    assert_eq!(
        after.invalidations, before.invalidations,
        "{before:?} {after:?}"
    );
    assert_eq!(
        after.resolve_hits,
        before.resolve_hits + 1,
        "{before:?} {after:?}"
    );
    assert_eq!(after.resolve_misses, before.resolve_misses);
}
