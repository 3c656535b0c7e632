//! Tenant isolation, generated from the route table: every operation of the generated OpenAPI
//! document that takes an id in its path is called by workspace B with the ids of workspace A's
//! real objects, and must answer exactly what it answers for an id that exists nowhere (404, the
//! same body but for the request id). A new endpoint is covered without a new test; a new kind
//! of path id makes this test fail until it knows which object of A to use.

use serde_json::{json, Value};

use crate::helpers::{problem, TestApp};

/// Operations with a path id that this test does not call, and why. Operations without a path
/// id (lists, creates, `/v1/me`, the unauthenticated `/v1/oauth/callback`, which takes an OAuth
/// state in its query, not an id) take no id of a workspace object, so they are out of scope.
const EXCLUDED: &[(&str, &str, &str)] = &[(
    "put",
    "/v1/workflows/{workflow_id}",
    "workflow ids are the engine's own names, scoped per workspace: B's PUT creates B's own \
     workflow of that name (checked below: A's is untouched)",
)];

/// Workspace A's objects, by what a path parameter names.
struct Objects {
    credential: String,
    user: String,
    team: String,
    token: String,
    session: String,
    share: String,
    workflow: String,
    webhook: String,
    delivery: String,
}

impl Objects {
    /// The value for path parameter `name` of `path`: A's object, or one that exists nowhere.
    fn value(&self, path: &str, name: &str, real: bool) -> String {
        let random = uuid::Uuid::now_v7().to_string();
        let pick = |id: &String| if real { id.clone() } else { random.clone() };
        match name {
            "share_id" => pick(&self.share),
            // The Vault-compatible read names the credential so.
            "credential_id" => pick(&self.credential),
            "delivery_id" => pick(&self.delivery),
            "user_id" => pick(&self.user),
            "version" => if real { "2" } else { "9999" }.to_string(),
            "workflow_id" => {
                if real {
                    self.workflow.clone()
                } else {
                    format!("nowhere-{}", uuid::Uuid::now_v7().simple())
                }
            }
            "id" => {
                let resource = path
                    .split("/{id}")
                    .next()
                    .and_then(|p| p.rsplit('/').next())
                    .unwrap_or_default();
                match resource {
                    "credentials" => pick(&self.credential),
                    "users" => pick(&self.user),
                    "teams" => pick(&self.team),
                    "tokens" => pick(&self.token),
                    "sessions" => pick(&self.session),
                    "webhooks" => pick(&self.webhook),
                    other => panic!("{path}: which object of workspace A is a /{other}/{{id}}? add it to this test"),
                }
            }
            other => panic!("{path}: unknown path parameter {{{other}}}: add it to this test"),
        }
    }
}

/// A body that passes validation, so that the id is what decides the answer.
fn body_for(operation_id: &str, b_owner_id: &str) -> Option<Value> {
    Some(match operation_id {
        "update_credential" => json!({"description": "changed by B"}),
        "rotate_credential" => json!({"data": {"key": "sk_live_from_workspace_b_0001"}}),
        "replace_shares" => json!({"shares": []}),
        "transfer_credential" => json!({"owner_id": b_owner_id}),
        "resolve_credential" => json!({"workflow_id": "wf-b", "execution_id": "b-1"}),
        "authorize_credential" => json!({}),
        "update_user" => json!({"display_name": "renamed by B"}),
        "update_team" => json!({"name": "renamed by B"}),
        "update_webhook" => json!({"description": "changed by B"}),
        _ => return None,
    })
}

fn fill(path: &str, objects: &Objects, real: bool) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        let end = rest[start..].find('}').expect("closing brace") + start;
        out.push_str(&rest[..start]);
        out.push_str(&objects.value(path, &rest[start + 1..end], real));
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

async fn send(
    app: &TestApp,
    method: &str,
    url: &str,
    token: &str,
    body: Option<&Value>,
) -> reqwest::Response {
    let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
    let mut req = app.client.request(method, app.url(url)).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(b);
    }
    req.send().await.expect("request")
}

/// An error answer: a problem document, or on the Vault routes Vault's `{"errors": [...]}`.
async fn answer(vault: bool, res: reqwest::Response) -> (u16, Value) {
    if !vault {
        return problem(res).await;
    }
    let status = res.status().as_u16();
    let ct = res.headers().get("content-type").cloned();
    let body: Value = res.json().await.expect("a JSON body");
    assert_eq!(
        ct.as_ref().and_then(|v| v.to_str().ok()),
        Some("application/json")
    );
    assert!(body["errors"].is_array(), "Vault's shape: {body}");
    (status, body)
}

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_string()
}

#[tokio::test]
async fn another_workspace_gets_404_and_learns_nothing_on_every_endpoint_with_a_path_id() {
    let app = TestApp::spawn_with(|s| s.signup = "open".into()).await;
    let (a_body, a_owner) = app.signup("ada@example.com").await;
    let a_owner_id = id(&a_body["user"]);
    // A second session of A's owner, whose id B will try to revoke.
    let login: Value = app
        .login("ada@example.com", crate::helpers::PASSWORD)
        .await
        .json()
        .await
        .expect("json");
    let a_second = login["access_token"].as_str().expect("token").to_string();
    let (member, _) = app
        .user_with_role(&a_owner, "member@example.com", "member")
        .await;
    let team: Value = app
        .post_as(&a_owner, "/v1/teams", &json!({"name": "Platform"}))
        .await
        .json()
        .await
        .expect("json");
    let team = id(&team);
    assert_eq!(
        app.put_as(&a_owner, &format!("/v1/teams/{team}/members/{member}"))
            .await
            .status(),
        204
    );
    // A webhook (its host need not resolve), with a delivery of the credential created next.
    let hook: Value = app
        .post_as(
            &a_owner,
            "/v1/webhooks",
            &json!({"url": "https://hooks.example.invalid/a", "events": ["*"]}),
        )
        .await
        .json()
        .await
        .expect("json");
    let hook = id(&hook);
    let cred: Value = app
        .post_as(&a_owner, "/v1/credentials", &json!({"name": "stripe", "service": "stripe", "type": "api_key", "data": {"key": "sk_live_isolation_000001"}}))
        .await
        .json()
        .await
        .expect("json");
    let cred = id(&cred);
    let rotated = app
        .post_as(
            &a_owner,
            &format!("/v1/credentials/{cred}/rotate"),
            &json!({"data": {"key": "sk_live_isolation_000002"}}),
        )
        .await;
    assert_eq!(rotated.status(), 200);
    let shares: Value = app
        .put_json_as(
            &a_owner,
            &format!("/v1/credentials/{cred}/shares"),
            &json!({"shares": [{"principal_type": "team", "principal_id": team, "access": "use"}]}),
        )
        .await
        .json()
        .await
        .expect("json");
    let share = id(&shares["items"][0]);
    let engine: Value = app
        .post_as(&a_owner, "/v1/tokens", &json!({"name": "engine", "kind": "engine", "scopes": ["credentials:resolve", "workflows:write"]}))
        .await
        .json()
        .await
        .expect("json");
    let a_engine = engine["token"].as_str().expect("token").to_string();
    let put_wf = |token: String, wf: &'static str, body: Value| {
        let app = &app;
        async move {
            app.put_json_as(&token, &format!("/v1/workflows/{wf}"), &body)
                .await
        }
    };
    let res = put_wf(
        a_engine.clone(),
        "wf-a",
        json!({"name": "A flow", "owner_id": a_owner_id, "credential_ids": [cred]}),
    )
    .await;
    assert_eq!(res.status(), 201);
    let mut delivery = None;
    for _ in 0..100 {
        let page: Value = app
            .get_as(&a_owner, &format!("/v1/webhooks/{hook}/deliveries"))
            .await
            .json()
            .await
            .expect("json");
        if let Some(d) = page["items"].as_array().and_then(|i| i.last()) {
            delivery = Some(id(d));
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let objects = Objects {
        webhook: hook.clone(),
        delivery: delivery.expect("a delivery of A's webhook"),
        credential: cred.clone(),
        user: member.clone(),
        team: team.clone(),
        token: id(&engine),
        session: login["session_id"].as_str().expect("session").to_string(),
        share: share.clone(),
        workflow: "wf-a".into(),
    };

    let (b_body, b_owner) = app.signup("bob@example.com").await;
    let b_owner_id = id(&b_body["user"]);
    let b_engine = app.engine_token(&b_owner).await;
    let res = put_wf(
        b_engine.clone(),
        "wf-b",
        json!({"name": "B flow", "owner_id": b_owner_id, "credential_ids": []}),
    )
    .await;
    assert_eq!(res.status(), 201);

    let spec: Value =
        serde_json::from_str(&credvault_api::openapi::spec_json()).expect("the spec is JSON");
    let mut called = 0;
    for (path, item) in spec["paths"].as_object().expect("paths") {
        if !path.contains('{') {
            continue;
        }
        for (method, op) in item.as_object().expect("path item") {
            if EXCLUDED.iter().any(|(m, p, _)| m == method && p == path) {
                continue;
            }
            let op_id = op["operationId"].as_str().expect("operationId");
            // The runtime paths (resolve and the Vault reads) are an engine's.
            let vault = op["tags"]
                .as_array()
                .is_some_and(|t| t.contains(&json!("vault")));
            let token = if op_id == "resolve_credential" || vault {
                &b_engine
            } else {
                &b_owner
            };
            let body = body_for(op_id, &b_owner_id);
            let at = format!("{} {path} ({op_id})", method.to_uppercase());
            let (status, mut real) = answer(
                vault,
                send(
                    &app,
                    method,
                    &fill(path, &objects, true),
                    token,
                    body.as_ref(),
                )
                .await,
            )
            .await;
            let (random_status, mut random) = answer(
                vault,
                send(
                    &app,
                    method,
                    &fill(path, &objects, false),
                    token,
                    body.as_ref(),
                )
                .await,
            )
            .await;
            assert_eq!(status, 404, "{at} with workspace A's ids: {real}");
            real.as_object_mut().expect("object").remove("request_id");
            random.as_object_mut().expect("object").remove("request_id");
            assert_eq!(
                (status, &real),
                (random_status, &random),
                "{at}: A's ids answer differently from ids that exist nowhere"
            );
            called += 1;
        }
    }
    assert!(
        called >= 25,
        "only {called} operations with a path id were called"
    );

    // B's PUT of A's workflow name made B's own workflow; A's objects are all as they were.
    let res = put_wf(
        b_engine.clone(),
        "wf-a",
        json!({"name": "B's", "owner_id": b_owner_id, "credential_ids": []}),
    )
    .await;
    assert_eq!(res.status(), 201, "B's own workflow of that name");
    let wf: Value = app
        .get_as(&a_owner, "/v1/workflows/wf-a")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(wf["name"], "A flow");
    assert_eq!(wf["credential_ids"], json!([cred]));
    let c: Value = app
        .get_as(&a_owner, &format!("/v1/credentials/{cred}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        (c["version"].as_i64(), c["status"].as_str()),
        (Some(2), Some("active"))
    );
    assert_eq!(c["owner"]["id"].as_str(), Some(a_owner_id.as_str()));
    assert!(c["description"].is_null());
    assert_eq!(c["shares"][0]["id"].as_str(), Some(share.as_str()));
    let t: Value = app
        .get_as(&a_owner, &format!("/v1/teams/{team}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(t["name"], "Platform");
    assert_eq!(t["members"][0]["id"].as_str(), Some(member.as_str()));
    let u: Value = app
        .get_as(&a_owner, &format!("/v1/users/{member}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        (u["display_name"].as_str(), u["disabled"].as_bool()),
        (Some("member"), Some(false))
    );
    assert_eq!(
        app.get_as(&a_second, "/v1/me").await.status(),
        200,
        "A's session lives"
    );
    let res = app
        .post_as(
            &a_engine,
            &format!("/v1/credentials/{cred}/resolve"),
            &json!({"workflow_id": "wf-a"}),
        )
        .await;
    assert_eq!(
        res.status(),
        200,
        "A's engine token and workflow still work"
    );
}
