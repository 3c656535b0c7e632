//! Sharing, workflows and resolve.

use serde_json::{json, Value};

use crate::helpers::{cache_counts, problem, within_a_second, TestApp};

struct World {
    app: TestApp,
    owner: String,
    member_id: String,
    member: String,
    engine: String,
    cred: String,
}

async fn world() -> World {
    let app = TestApp::spawn().await;
    let (_, owner) = app.signup("ada@example.com").await;
    let (member_id, member) = app.user_with_role(&owner, "m@example.com", "member").await;
    let engine = app.engine_token(&owner).await;
    let c: Value = app
        .post_as(&owner, "/v1/credentials", &json!({"name": "Stripe", "service": "stripe", "type": "api_key", "data": {"key": "sk_live_resolve_me_123456", "prefix": "Bearer "}}))
        .await
        .json()
        .await
        .expect("json");
    let cred = c["id"].as_str().expect("id").to_string();
    World {
        app,
        owner,
        member_id,
        member,
        engine,
        cred,
    }
}

/// A world where workflow "wf" belongs to the member, who may use the credential.
async fn world_with_member_workflow() -> World {
    let w = world().await;
    w.workflow("wf", &w.member_id).await;
    assert_eq!(
        w.share(json!([{"principal_type": "user", "principal_id": w.member_id, "access": "use"}]))
            .await,
        200
    );
    w
}

impl World {
    /// `GET /v1/credentials/{cred}{suffix}` as the owner, as JSON.
    async fn owner_get(&self, suffix: &str) -> Value {
        self.app
            .get_as(
                &self.owner,
                &format!("/v1/credentials/{}{suffix}", self.cred),
            )
            .await
            .json()
            .await
            .expect("json")
    }

    async fn share(&self, shares: Value) -> u16 {
        self.app
            .client
            .put(
                self.app
                    .url(&format!("/v1/credentials/{}/shares", self.cred)),
            )
            .bearer_auth(&self.owner)
            .json(&json!({"shares": shares}))
            .send()
            .await
            .expect("req")
            .status()
            .as_u16()
    }

    async fn workflow(&self, id: &str, owner_id: &str) {
        let res = self.app.put_json_as(&self.engine, &format!("/v1/workflows/{id}"), &json!({"name": format!("flow {id}"), "owner_id": owner_id, "credential_ids": [self.cred]})).await;
        assert!(
            res.status() == 201 || res.status() == 200,
            "{}",
            res.status()
        );
    }

    /// How many `credential.used` events the database holds.
    async fn used_events(&self) -> i64 {
        self.app
            .db
            .client()
            .await
            .query_one(
                "SELECT count(*) FROM audit_events WHERE action = 'credential.used'",
                &[],
            )
            .await
            .expect("count")
            .get(0)
    }

    /// The workspace's audit chain, recomputed from the stored events, is whole.
    async fn assert_chain_verifies(&self) {
        let db = self.app.db.client().await;
        let ws: uuid::Uuid = db
            .query_one("SELECT workspace_id FROM credentials LIMIT 1", &[])
            .await
            .expect("ws")
            .get(0);
        let pool = credvault_store::connect(&self.app.db.url, 1).expect("pool");
        let v = credvault_api::audit::verify(
            &pool.get().await.expect("conn"),
            &crate::helpers::chain_keys(),
            ws,
        )
        .await
        .expect("verify");
        assert!(v.ok, "{v:?}");
    }

    async fn resolve(&self, workflow: &str) -> reqwest::Response {
        self.app
            .post_as(
                &self.engine,
                &format!("/v1/credentials/{}/resolve", self.cred),
                &json!({"workflow_id": workflow, "execution_id": "run-1"}),
            )
            .await
    }
}

#[tokio::test]
async fn shares_grant_use_view_and_manage_to_users_teams_and_the_workspace() {
    let w = world().await;
    let path = format!("/v1/credentials/{}", w.cred);
    assert_eq!(
        w.app.get_as(&w.member, &path).await.status(),
        404,
        "personal: invisible to other members"
    );
    assert_eq!(
        w.share(json!([{"principal_type": "user", "principal_id": w.member_id, "access": "use"}]))
            .await,
        200
    );
    let seen: Value = w
        .app
        .get_as(&w.member, &path)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(seen["access"], "use");
    assert!(seen.get("data").is_none(), "use sees the summary only");
    let (status, _) = problem(w.app.get_as(&w.member, &format!("{path}/versions")).await).await;
    assert_eq!(status, 403);
    assert_eq!(
        w.share(json!([{"principal_type": "user", "principal_id": w.member_id, "access": "view"}]))
            .await,
        200
    );
    let seen: Value = w
        .app
        .get_as(&w.member, &path)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        (seen["access"].as_str(), seen["data"]["key"].as_str()),
        (Some("view"), Some("••••3456"))
    );
    assert_eq!(seen["shared"], true);
    let (status, _) = problem(
        w.app
            .patch_as(&w.member, &path, &json!({"description": "x"}))
            .await,
    )
    .await;
    assert_eq!(status, 403);
    // Through a team, at manage; leaving the team takes it away at once.
    let team: Value = w
        .app
        .post_as(&w.owner, "/v1/teams", &json!({"name": "Payments"}))
        .await
        .json()
        .await
        .expect("json");
    let tid = team["id"].as_str().expect("id");
    assert_eq!(
        w.app
            .put_as(
                &w.owner,
                &format!("/v1/teams/{tid}/members/{}", w.member_id)
            )
            .await
            .status(),
        204
    );
    assert_eq!(
        w.share(json!([{"principal_type": "team", "principal_id": tid, "access": "manage"}]))
            .await,
        200
    );
    assert_eq!(
        w.app
            .patch_as(&w.member, &path, &json!({"description": "by the team"}))
            .await
            .status(),
        200
    );
    let list: Value = w
        .app
        .get_as(&w.member, "/v1/credentials?shared=true")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(list["items"][0]["access"], "manage");
    assert_eq!(
        w.app
            .delete_as(
                &w.owner,
                &format!("/v1/teams/{tid}/members/{}", w.member_id)
            )
            .await
            .status(),
        204
    );
    assert_eq!(w.app.get_as(&w.member, &path).await.status(), 404);
    // The whole workspace.
    assert_eq!(
        w.share(json!([{"principal_type": "workspace", "access": "view"}]))
            .await,
        200
    );
    assert_eq!(w.app.get_as(&w.member, &path).await.status(), 200);
    let shares = w.owner_get("/shares").await;
    let sid = shares["items"][0]["id"].as_str().expect("id");
    assert_eq!(shares["items"][0]["principal"]["type"], "workspace");
    assert_eq!(
        w.app
            .delete_as(&w.owner, &format!("{path}/shares/{sid}"))
            .await
            .status(),
        204
    );
    assert_eq!(w.app.get_as(&w.member, &path).await.status(), 404);
    // Only the credential's owner or a workspace admin changes shares; bad principals are 422s.
    assert_eq!(w.share(json!([{"principal_type": "user", "principal_id": uuid::Uuid::now_v7(), "access": "use"}])).await, 422);
    assert_eq!(
        w.share(json!([{"principal_type": "group", "access": "use"}]))
            .await,
        422
    );
    let db = w.app.db.client().await;
    let changed: i64 = db
        .query_one(
            "SELECT count(*) FROM audit_events WHERE action = 'credential.shares_changed'",
            &[],
        )
        .await
        .expect("count")
        .get(0);
    assert_eq!(changed, 5);
}

impl World {
    /// The credential's shares as (principal type, principal id) pairs.
    async fn principals(&self) -> Vec<(String, Option<String>)> {
        let shares = self.owner_get("/shares").await;
        shares["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|s| {
                let p = &s["principal"];
                (
                    p["type"].as_str().unwrap_or_default().to_string(),
                    p["id"].as_str().map(str::to_string),
                )
            })
            .collect()
    }

    async fn etag(&self) -> String {
        let res = self
            .app
            .get_as(&self.owner, &format!("/v1/credentials/{}", self.cred))
            .await;
        res.headers()["etag"].to_str().expect("etag").to_string()
    }

    /// The details of the credential's newest `credential.shares_changed` event.
    async fn last_shares_change(&self) -> Value {
        self.app
            .db
            .client()
            .await
            .query_one(
                "SELECT details FROM audit_events WHERE action = 'credential.shares_changed' AND target_id = $1
                 ORDER BY seq DESC LIMIT 1",
                &[&self.cred],
            )
            .await
            .expect("an event")
            .get(0)
    }
}

/// Ids in a `credential.shares_changed` list.
fn ids_in(list: &Value) -> Vec<Option<&str>> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|s| s["id"].as_str())
        .collect()
}

#[tokio::test]
async fn a_deleted_team_or_an_erased_user_takes_its_shares_along_on_the_record() {
    let w = world().await;
    let team: Value = w
        .app
        .post_as(&w.owner, "/v1/teams", &json!({"name": "Payments"}))
        .await
        .json()
        .await
        .expect("json");
    let tid = team["id"].as_str().expect("id").to_string();
    let members = format!("/v1/teams/{tid}/members/{}", w.member_id);
    assert_eq!(w.app.put_as(&w.owner, &members).await.status(), 204);
    assert_eq!(
        w.share(json!([
            {"principal_type": "team", "principal_id": tid, "access": "manage"},
            {"principal_type": "user", "principal_id": w.member_id, "access": "use"},
        ]))
        .await,
        200
    );
    let etag = w.etag().await;
    assert_eq!(
        w.app
            .delete_as(&w.owner, &format!("/v1/teams/{tid}"))
            .await
            .status(),
        204
    );
    assert_eq!(
        w.principals().await,
        [("user".to_string(), Some(w.member_id.clone()))],
        "the team's share went with it"
    );
    assert_ne!(w.etag().await, etag, "the credential changed");
    let deleted: Value = w
        .app
        .db
        .client()
        .await
        .query_one(
            "SELECT details FROM audit_events WHERE action = 'team.deleted'",
            &[],
        )
        .await
        .expect("the team's event")
        .get(0);
    assert_eq!(deleted["member_ids"], json!([w.member_id]), "who was in it");
    let change = w.last_shares_change().await;
    assert_eq!(change["reason"], "team deleted");
    assert_eq!(
        ids_in(&change["before"]),
        [Some(tid.as_str()), Some(w.member_id.as_str())]
    );
    assert_eq!(ids_in(&change["after"]), [Some(w.member_id.as_str())]);

    let etag = w.etag().await;
    assert_eq!(
        w.app
            .delete_as(&w.owner, &format!("/v1/users/{}", w.member_id))
            .await
            .status(),
        204
    );
    assert!(w.principals().await.is_empty(), "the user's share went too");
    assert_ne!(w.etag().await, etag);
    let change = w.last_shares_change().await;
    assert_eq!(change["reason"], "user erased");
    assert_eq!(ids_in(&change["before"]), [Some(w.member_id.as_str())]);
    assert_eq!(ids_in(&change["after"]), Vec::<Option<&str>>::new());

    // Removing one share says which it was, before and after.
    assert_eq!(
        w.share(json!([{"principal_type": "workspace", "access": "view"}]))
            .await,
        200
    );
    let shares = w.owner_get("/shares").await;
    let sid = shares["items"][0]["id"].as_str().expect("id");
    assert_eq!(
        w.app
            .delete_as(
                &w.owner,
                &format!("/v1/credentials/{}/shares/{sid}", w.cred)
            )
            .await
            .status(),
        204
    );
    let change = w.last_shares_change().await;
    assert_eq!(change["removed_share_id"], sid);
    assert_eq!(
        change["before"],
        json!([{"type": "workspace", "id": null, "access": "view"}])
    );
    assert_eq!(change["after"], json!([]));
    w.assert_chain_verifies().await;
}

#[tokio::test]
async fn resolve_hands_out_full_values_only_when_the_workflow_owner_has_access() {
    let w = world().await;
    w.workflow("wf-member", &w.member_id).await;
    let (status, body) = problem(w.resolve("wf-member").await).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("forbidden")));
    assert_eq!(
        w.share(json!([{"principal_type": "user", "principal_id": w.member_id, "access": "use"}]))
            .await,
        200
    );
    let res = w.resolve("wf-member").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["data"]["key"], "sk_live_resolve_me_123456");
    assert_eq!(body["data"]["prefix"], "Bearer ");
    assert_eq!(
        (body["type"].as_str(), body["version"].as_i64()),
        (Some("api_key"), Some(1))
    );
    // A workflow of a workspace admin without a share: the admin role does not count.
    let (admin_id, _) = w
        .app
        .user_with_role(&w.owner, "admin@example.com", "admin")
        .await;
    w.workflow("wf-admin", &admin_id).await;
    let (status, _) = problem(w.resolve("wf-admin").await).await;
    assert_eq!(status, 403);
    // Errors: unknown workflow (422), unknown credential (404), a person's token (403).
    let (status, _) = problem(w.resolve("wf-unknown").await).await;
    assert_eq!(status, 422);
    let (status, _) = problem(
        w.app
            .post_as(
                &w.engine,
                &format!("/v1/credentials/{}/resolve", uuid::Uuid::now_v7()),
                &json!({"workflow_id": "wf-member"}),
            )
            .await,
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = problem(
        w.app
            .post_as(
                &w.owner,
                &format!("/v1/credentials/{}/resolve", w.cred),
                &json!({"workflow_id": "wf-member"}),
            )
            .await,
    )
    .await;
    assert_eq!(status, 403);
    // Expired: 409; deleted: 410.
    let db = w.app.db.client().await;
    db.execute(
        "UPDATE credentials SET expires_at = now() - interval '1 minute' WHERE id = $1::text::uuid",
        &[&w.cred],
    )
    .await
    .expect("expire");
    let (status, body) = problem(w.resolve("wf-member").await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("credential_expired"))
    );
    db.execute(
        "UPDATE credentials SET expires_at = NULL WHERE id = $1::text::uuid",
        &[&w.cred],
    )
    .await
    .expect("unexpire");
    let deleted: Value = w
        .app
        .delete_as(&w.owner, &format!("/v1/credentials/{}", w.cred))
        .await
        .json()
        .await
        .expect("json");
    let affected: Vec<&str> = deleted["affected_workflows"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|x| x["id"].as_str())
        .collect();
    assert_eq!(affected, ["wf-admin", "wf-member"]);
    let (status, body) = problem(w.resolve("wf-member").await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (410, Some("credential_deleted"))
    );
}

#[tokio::test]
async fn every_concurrent_resolve_is_counted_and_audited_and_the_chain_holds() {
    let w = world().await;
    w.workflow("wf-1", &w.member_id).await;
    w.workflow("wf-2", &w.member_id).await;
    assert_eq!(
        w.share(json!([{"principal_type": "user", "principal_id": w.member_id, "access": "use"}]))
            .await,
        200
    );
    let n = 120;
    let mut tasks = Vec::new();
    for i in 0..n {
        let (client, url, engine) = (
            w.app.client.clone(),
            w.app.url(&format!("/v1/credentials/{}/resolve", w.cred)),
            w.engine.clone(),
        );
        let wf = if i % 3 == 0 { "wf-2" } else { "wf-1" };
        tasks.push(tokio::spawn(async move {
            client
                .post(url)
                .bearer_auth(engine)
                .json(&json!({"workflow_id": wf, "execution_id": format!("exec-{i}")}))
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
    let used = w.used_events().await;
    assert_eq!(used, n);
    w.assert_chain_verifies().await;
    // The batches that carried them are on /metrics, each committed.
    let metrics = w.app.get("/metrics").await.text().await.expect("text");
    let batches = |outcome: &str| {
        let name =
            format!("credvault_audit_commit_duration_seconds_count{{outcome=\"{outcome}\"}} ");
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(name.as_str())?.parse::<i64>().ok())
    };
    let committed = batches("committed").expect("committed batches on /metrics");
    assert!(
        (1..=n).contains(&committed),
        "{committed} batches for {n} resolves"
    );
    assert_eq!(batches("failed"), None, "no batch failed");
    // Each committed batch then waited for the sequencer to chain its events, once.
    let chained = metrics.lines().find_map(|l| {
        l.strip_prefix("credvault_audit_chain_wait_duration_seconds_count ")?
            .parse::<i64>()
            .ok()
    });
    assert_eq!(chained, Some(committed), "chain waits on /metrics");
    let usage = w.owner_get("/usage?days=7").await;
    assert_eq!(usage["total"], n, "{usage}");
    assert_eq!(usage["by_workflow"][0]["workflow_id"], "wf-1");
    assert_eq!(usage["by_workflow"][0]["count"], 80);
    let cred = w.owner_get("").await;
    assert_eq!(cred["usage"]["total"], n);
    assert!(cred["last_used_at"].is_string());
    assert_eq!(
        cred["connected_workflows"].as_array().map(Vec::len),
        Some(2)
    );
    let event: Value = w
        .app
        .db
        .client()
        .await
        .query_one(
            "SELECT details FROM audit_events WHERE action = 'credential.used' LIMIT 1",
            &[],
        )
        .await
        .expect("event")
        .get(0);
    assert!(
        event["workflow_id"].is_string()
            && event["execution_id"].is_string()
            && event["version"] == 1
    );
}

#[tokio::test]
async fn losing_the_database_connection_fails_resolves_with_503_and_never_hands_out_an_unrecorded_secret(
) {
    let w = world_with_member_workflow().await;
    let killer = w.app.db.client().await;
    let db_name = w.app.db.name.clone();
    let mut ok = 0i64;
    let mut unavailable = 0;
    for round in 0..6 {
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let (client, url, engine) = (
                w.app.client.clone(),
                w.app.url(&format!("/v1/credentials/{}/resolve", w.cred)),
                w.engine.clone(),
            );
            tasks.push(tokio::spawn(async move {
                client
                    .post(url)
                    .bearer_auth(engine)
                    .json(&json!({"workflow_id": "wf"}))
                    .send()
                    .await
                    .expect("req")
                    .status()
                    .as_u16()
            }));
        }
        if round % 2 == 0 {
            // Cut every connection the server holds, in the middle of the burst.
            killer
                .execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", &[&db_name])
                .await
                .expect("terminate");
        }
        for t in tasks {
            match t.await.expect("task") {
                200 => ok += 1,
                503 => unavailable += 1,
                other => panic!("a lost connection must be a 503, got {other}"),
            }
        }
    }
    // The bursts above may all land before or after the cut. This one cannot: audit inserts are
    // held, so the batch carrying these resolves' events waits at its insert while its
    // connection is cut; every resolve of it must then answer 503.
    let mut holder = w.app.db.client().await;
    let (hold, held) = crate::helpers::hold_audit_inserts(&mut holder).await;
    let burst: Vec<_> = (0..20)
        .map(|_| {
            let (client, url, engine) = (
                w.app.client.clone(),
                w.app.url(&format!("/v1/credentials/{}/resolve", w.cred)),
                w.engine.clone(),
            );
            tokio::spawn(async move {
                client
                    .post(url)
                    .bearer_auth(engine)
                    .json(&json!({"workflow_id": "wf"}))
                    .send()
                    .await
                    .expect("req")
                    .status()
                    .as_u16()
            })
        })
        .collect();
    crate::helpers::waiting_on_locks(&killer, 1).await;
    killer
        .execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND pid <> $2", &[&db_name, &held])
        .await
        .expect("terminate");
    hold.rollback().await.expect("release");
    let mut cut = 0;
    for t in burst {
        match t.await.expect("task") {
            200 => ok += 1,
            503 => cut += 1,
            other => panic!("a lost connection must be a 503, got {other}"),
        }
    }
    assert!(
        cut > 0,
        "the resolves whose batch lost its connection answered 503"
    );
    unavailable += cut;
    // Service resumes by itself.
    let mut recovered = false;
    for _ in 0..20 {
        if w.resolve("wf").await.status() == 200 {
            ok += 1;
            recovered = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(recovered, "resolves work again without a restart");
    let used = w.used_events().await;
    assert_eq!(
        used, ok,
        "every 200 has its event, and no event lacks its 200 ({unavailable} were 503)"
    );
}

#[tokio::test]
async fn a_database_connection_that_hangs_costs_resolves_seconds_not_minutes() {
    use std::sync::atomic::{AtomicI64, Ordering};
    let w = world_with_member_workflow().await;
    // A second instance reaches the database through a proxy that can freeze its connections.
    let proxy = crate::helpers::FreezingProxy::to(&w.app.db).await;
    let b = crate::helpers::spawn_on(&crate::helpers::TestDb {
        name: String::new(),
        url: proxy.url.clone(),
    })
    .await;
    // Answers of 200 through b: each must have its event.
    let ok = AtomicI64::new(0);
    let resolve = || async {
        let status = b
            .client
            .post(b.url(&format!("/v1/credentials/{}/resolve", w.cred)))
            .bearer_auth(&w.engine)
            .json(&json!({"workflow_id": "wf"}))
            .timeout(std::time::Duration::from_secs(30))
            .send()
            .await
            .expect("an answer, not a client timeout")
            .status()
            .as_u16();
        if status == 200 {
            ok.fetch_add(1, Ordering::SeqCst);
        }
        status
    };
    assert_eq!(resolve().await, 200, "resolves through the proxy work");
    // b's cache listener is up, so its cache is in use: a share removed and given back through
    // the other instance shows here within a second. The resolves after it are served from b's
    // cache, with no read of the database, until the freeze.
    assert_eq!(w.share(json!([])).await, 200);
    assert!(within_a_second(|| async { resolve().await == 403 }).await);
    assert_eq!(
        w.share(json!([{"principal_type": "user", "principal_id": w.member_id, "access": "use"}]))
            .await,
        200
    );
    assert!(within_a_second(|| async { resolve().await == 200 }).await);
    assert_eq!(resolve().await, 200);
    // Every connection the instance holds now hangs: no error, no reset, no answer.
    proxy.freeze();
    let frozen = std::time::Instant::now();
    let mut seen = Vec::new();
    loop {
        let status = resolve().await;
        seen.push(status);
        if status == 200 {
            break;
        }
        assert_eq!(status, 503, "a hung connection answers 503 (seen {seen:?})");
        assert!(
            frozen.elapsed() < std::time::Duration::from_secs(30),
            "resolves still fail 30 s after the connection hung: {seen:?}"
        );
    }
    // One batch's timeout (5 s) and a fresh connection, not the minutes TCP takes to give up:
    // the resolve that waited on the hung connection fails, the next one succeeds. (Trying the
    // pool's other idle connections, cut off too, would cost 5 s and a 503 each.)
    assert_eq!(seen, [503, 200], "recovered after {:?}", frozen.elapsed());
    for _ in 0..3 {
        assert_eq!(resolve().await, 200, "and stays recovered");
    }
    // Its cache listener hung too, yet a share removed through the other instance is refused
    // here within a second: the listener noticed, and its successor hears the change.
    assert_eq!(w.share(json!([])).await, 200);
    assert!(
        within_a_second(|| async { resolve().await == 403 }).await,
        "a revoked share still resolves through the instance whose listener hung"
    );
    let (used, ok) = (w.used_events().await, ok.into_inner());
    let failed = seen.len() as i64 - 1;
    assert!(
        used >= ok && used <= ok + failed,
        "every 200 has its event ({used} events, {ok} answers of 200, {failed} of 503)"
    );
    w.assert_chain_verifies().await;
}

#[tokio::test]
async fn changes_through_one_serve_process_reach_the_others_cache_within_a_second() {
    let db = crate::helpers::TestDb::migrated().await;
    let a = crate::helpers::ServeProcess::start(&db);
    let b = crate::helpers::ServeProcess::start(&db);
    assert!(a.ready(30).await && b.ready(30).await, "both serve");
    let app = TestApp {
        address: a.address.clone(),
        client: reqwest::Client::new(),
        db: crate::helpers::TestDb {
            name: String::new(),
            url: db.url.clone(),
        },
    };
    let (_, owner) = app.signup("ada@example.com").await;
    let (member_id, _) = app.user_with_role(&owner, "m@example.com", "member").await;
    let res = app.post_as(&owner, "/v1/tokens", &json!({"name": "engine", "kind": "engine", "scopes": ["credentials:resolve", "workflows:write"]})).await;
    let token: Value = res.json().await.expect("json");
    let (engine, engine_id) = (
        token["token"].as_str().expect("token").to_string(),
        token["id"].as_str().expect("id").to_string(),
    );
    let c: Value = app
        .post_as(&owner, "/v1/credentials", &json!({"name": "Stripe", "service": "stripe", "type": "api_key", "data": {"key": "sk_live_cached_key_000001"}}))
        .await
        .json()
        .await
        .expect("json");
    let cred = c["id"].as_str().expect("id").to_string();
    let res = app
        .put_json_as(
            &engine,
            "/v1/workflows/wf",
            &json!({"name": "flow", "owner_id": member_id, "credential_ids": [cred]}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let share = |shares: Value| {
        let (app, owner, cred) = (&app, owner.clone(), cred.clone());
        async move {
            app.put_json_as(
                &owner,
                &format!("/v1/credentials/{cred}/shares"),
                &json!({"shares": shares}),
            )
            .await
            .status()
        }
    };
    let resolve_on_b = || {
        let (url, engine, cred) = (b.address.clone(), engine.clone(), cred.clone());
        async move {
            reqwest::Client::new()
                .post(format!("{url}/v1/credentials/{cred}/resolve"))
                .bearer_auth(&engine)
                .json(&json!({"workflow_id": "wf"}))
                .send()
                .await
                .expect("resolve")
        }
    };
    assert_eq!(
        share(json!([{"principal_type": "user", "principal_id": member_id, "access": "use"}]))
            .await,
        200
    );
    // B serves the resolve twice: the second from its cache (token and resolve row), which is
    // what the rest of this test is about (with caching off it would prove nothing). The share's
    // own invalidation reaches B just after A answered, and may drop B's first row: within a
    // second, a pair of resolves shows the second served from the cache.
    let served_from_cache = || async {
        assert_eq!(resolve_on_b().await.status(), 200);
        let before = cache_counts(&b.address).await;
        assert_eq!(resolve_on_b().await.status(), 200);
        let after = cache_counts(&b.address).await;
        after.resolve_hits == before.resolve_hits + 1 && after.token_hits > before.token_hits
    };
    assert!(
        within_a_second(served_from_cache).await,
        "B's cache served neither the resolve row nor the token"
    );
    let cached = cache_counts(&b.address).await;
    // The share is removed through A: B hears of it and refuses within a second.
    assert_eq!(share(json!([])).await, 200);
    assert!(
        within_a_second(|| async { resolve_on_b().await.status() == 403 }).await,
        "B still resolves a second after the share was removed"
    );
    let heard = cache_counts(&b.address).await;
    assert!(
        heard.invalidations > cached.invalidations,
        "B applied A's notification"
    );
    assert!(
        heard.resolve_misses > cached.resolve_misses,
        "and read the row again"
    );
    // Shared again and rotated through A: B serves the new version within a second.
    assert_eq!(
        share(json!([{"principal_type": "user", "principal_id": member_id, "access": "use"}]))
            .await,
        200
    );
    assert!(within_a_second(|| async { resolve_on_b().await.status() == 200 }).await);
    let rotated = app
        .post_as(
            &owner,
            &format!("/v1/credentials/{cred}/rotate"),
            &json!({"data": {"key": "sk_live_rotated_key_654321"}}),
        )
        .await;
    assert_eq!(rotated.status(), 200);
    assert!(
        within_a_second(|| async {
            let body: Value = resolve_on_b().await.json().await.unwrap_or_default();
            body["version"] == 2 && body["data"]["key"] == "sk_live_rotated_key_654321"
        })
        .await,
        "B still serves the old version a second after the rotation"
    );
    // The engine token is revoked through A: B refuses it within a second.
    assert_eq!(
        app.delete_as(&owner, &format!("/v1/tokens/{engine_id}"))
            .await
            .status(),
        204
    );
    assert!(within_a_second(|| async { resolve_on_b().await.status() == 401 }).await);
    drop(app);
}

#[tokio::test]
async fn workflows_are_registered_listed_and_deleted() {
    let w = world().await;
    let res = w
        .app
        .put_json_as(
            &w.engine,
            "/v1/workflows/wf:a.1",
            &json!({"name": "Billing", "owner_id": w.member_id, "credential_ids": [w.cred]}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let res = w
        .app
        .put_json_as(
            &w.engine,
            "/v1/workflows/wf:a.1",
            &json!({"name": "Billing v2", "owner_id": w.member_id, "credential_ids": []}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let got: Value = w
        .app
        .get_as(&w.engine, "/v1/workflows/wf:a.1")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        (
            got["name"].as_str(),
            got["credential_ids"].as_array().map(Vec::len)
        ),
        (Some("Billing v2"), Some(0))
    );
    let res = w
        .app
        .put_json_as(
            &w.engine,
            "/v1/workflows/bad%20id",
            &json!({"name": "x", "owner_id": w.member_id}),
        )
        .await;
    assert_eq!(res.status(), 422);
    let res = w.app.put_json_as(&w.engine, "/v1/workflows/wf-b", &json!({"name": "x", "owner_id": w.member_id, "credential_ids": [uuid::Uuid::now_v7()]})).await;
    assert_eq!(res.status(), 422, "unknown credential ids are a 422");
    let list: Value = w
        .app
        .get_as(&w.owner, "/v1/workflows")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        w.app
            .delete_as(&w.engine, "/v1/workflows/wf:a.1")
            .await
            .status(),
        204
    );
    assert_eq!(
        w.app
            .get_as(&w.engine, "/v1/workflows/wf:a.1")
            .await
            .status(),
        404
    );
}

/// Two deletes of one workflow at once: both have read it, one deletes it and is recorded, the
/// other finds it gone and answers 404, as it would have a moment later.
#[tokio::test]
async fn a_workflow_deleted_twice_at_once_is_deleted_and_recorded_once() {
    let w = world().await;
    w.workflow("wf-twice", &w.member_id).await;
    let statuses = w
        .app
        .twice_at_once(
            "SELECT 1 FROM workflows WHERE id = $1 FOR UPDATE",
            &"wf-twice",
            || {
                w.app
                    .client
                    .delete(w.app.url("/v1/workflows/wf-twice"))
                    .bearer_auth(&w.engine)
            },
        )
        .await;
    assert_eq!(statuses, [204, 404]);
    let deleted: Vec<Option<String>> = w
        .app
        .db
        .client()
        .await
        .query(
            "SELECT target_name FROM audit_events WHERE action = 'workflow.deleted' AND target_id = 'wf-twice'",
            &[],
        )
        .await
        .expect("events")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        deleted,
        [Some("flow wf-twice".to_string())],
        "one event, with the name"
    );
}

#[tokio::test]
async fn a_member_cannot_take_over_someone_elses_workflow() {
    let w = world().await;
    w.workflow("wf-owned", &w.member_id).await;
    let (other_id, other) = w
        .app
        .user_with_role(&w.owner, "other@example.com", "member")
        .await;
    let res = w
        .app
        .put_json_as(
            &other,
            "/v1/workflows/wf-owned",
            &json!({"name": "mine now", "owner_id": other_id}),
        )
        .await;
    assert_eq!(res.status(), 403);
    let wf: Value = w
        .app
        .get_as(&w.owner, "/v1/workflows/wf-owned")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(wf["owner"]["id"].as_str(), Some(w.member_id.as_str()));
}

/// Both group-commit writers busy on overlapping counters (few credentials, several workflows,
/// first uses stamping `last_used_at`), with credential changes appending to the same chain in
/// between: no batch deadlocks or fails, every use is one event, counters are exact, and the
/// chain is gapless, time-ordered and verifies.
#[tokio::test]
async fn overlapping_batches_and_changes_never_deadlock_and_keep_exact_counts() {
    let w = world().await;
    let owner_id = w
        .app
        .get_as(&w.owner, "/v1/me")
        .await
        .json::<Value>()
        .await
        .expect("json")["id"]
        .as_str()
        .expect("id")
        .to_string();
    let mut creds = vec![w.cred.clone()];
    for i in 1..5 {
        let c: Value = w
            .app
            .post_as(&w.owner, "/v1/credentials", &json!({"name": format!("key {i}"), "service": "x", "type": "api_key", "data": {"key": format!("k-{i}-secret-value")}}))
            .await
            .json()
            .await
            .expect("json");
        creds.push(c["id"].as_str().expect("id").to_string());
    }
    for wf in ["wf-a", "wf-b", "wf-c"] {
        w.workflow(wf, &owner_id).await;
    }
    let n = 300usize;
    let mut tasks = Vec::new();
    for i in 0..n {
        let (client, url, engine) = (
            w.app.client.clone(),
            w.app.url(&format!(
                "/v1/credentials/{}/resolve",
                creds[i % creds.len()]
            )),
            w.engine.clone(),
        );
        let wf = ["wf-a", "wf-b", "wf-c"][(i / 5) % 3];
        tasks.push(tokio::spawn(async move {
            client
                .post(url)
                .bearer_auth(engine)
                .json(&json!({"workflow_id": wf}))
                .send()
                .await
                .expect("req")
                .status()
                .as_u16()
        }));
    }
    let changes = 10;
    for i in 0..changes {
        let res = w
            .app
            .patch_as(
                &w.owner,
                &format!("/v1/credentials/{}", creds[i % creds.len()]),
                &json!({"description": format!("change {i}")}),
            )
            .await;
        assert_eq!(res.status(), 200);
    }
    for t in tasks {
        assert_eq!(t.await.expect("task"), 200);
    }
    let db = w.app.db.client().await;
    let rows = db
        .query("SELECT seq, at, action FROM audit_events ORDER BY seq", &[])
        .await
        .expect("events");
    let used = rows
        .iter()
        .filter(|r| r.get::<_, String>(2) == "credential.used")
        .count();
    assert_eq!(used, n);
    for (i, pair) in rows.windows(2).enumerate() {
        assert_eq!(
            pair[1].get::<_, i64>(0),
            pair[0].get::<_, i64>(0) + 1,
            "gap after row {i}"
        );
        assert!(
            pair[1].get::<_, chrono::DateTime<chrono::Utc>>(1)
                >= pair[0].get::<_, chrono::DateTime<chrono::Utc>>(1),
            "time goes back at seq {}",
            pair[1].get::<_, i64>(0)
        );
    }
    let counted: i64 = db
        .query_one("SELECT sum(count)::int8 FROM usage_daily", &[])
        .await
        .expect("sum")
        .get(0);
    assert_eq!(counted, n as i64);
    let per_pair: i64 = db
        .query_one(
            "SELECT count(*) FROM usage_daily WHERE count <> $1",
            &[&((n / (creds.len() * 3)) as i64)],
        )
        .await
        .expect("pairs")
        .get(0);
    assert_eq!(
        per_pair, 0,
        "every (credential, workflow) pair was used equally often"
    );
    w.assert_chain_verifies().await;
}

// --- Resolve one field as text (`field` in the body, for CI scripts) -------------------------

impl World {
    /// A resolve of one field by the engine, for workflow "wf" and execution "run-f".
    async fn resolve_field(&self, field: Value) -> reqwest::Response {
        self.app
            .post_as(
                &self.engine,
                &format!("/v1/credentials/{}/resolve", self.cred),
                &json!({"workflow_id": "wf", "execution_id": "run-f", "field": field}),
            )
            .await
    }

    /// The details of the newest `credential.used` event.
    async fn last_used_details(&self) -> Value {
        self.app
            .db
            .client()
            .await
            .query_one(
                "SELECT details FROM audit_events WHERE action = 'credential.used' ORDER BY at DESC, seq DESC LIMIT 1",
                &[],
            )
            .await
            .expect("event")
            .get(0)
    }
}

#[tokio::test]
async fn a_field_resolve_answers_that_value_alone_as_text_and_is_recorded_like_any_resolve() {
    let w = world_with_member_workflow().await;
    let res = w.resolve_field(json!("key")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-type"],
        "text/plain; charset=utf-8",
        "the value as text"
    );
    assert_eq!(res.headers()["cache-control"], "no-store");
    let body = res.bytes().await.expect("body");
    assert_eq!(
        &body[..],
        b"sk_live_resolve_me_123456",
        "the value alone, no quotes, no newline"
    );
    // A config field too, its trailing space kept: the value is exactly what was stored.
    let res = w.resolve_field(json!("prefix")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(&res.bytes().await.expect("body")[..], b"Bearer ");
    // Both are `credential.used` events naming the run and the field, and both are counted.
    assert_eq!(w.used_events().await, 2);
    let details = w.last_used_details().await;
    assert_eq!(
        (
            details["workflow_id"].as_str(),
            details["execution_id"].as_str(),
            details["field"].as_str(),
            details["version"].as_i64()
        ),
        (Some("wf"), Some("run-f"), Some("prefix"), Some(1)),
        "{details}"
    );
    let usage = w.owner_get("/usage?days=7").await;
    assert_eq!(usage["total"], 2, "{usage}");
    assert_eq!(usage["by_workflow"][0]["workflow_id"], "wf");
    // Without `field`, the same resolve answers JSON as before, and its event names no field.
    let res = w.resolve("wf").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/json");
    assert!(w.last_used_details().await.get("field").is_none());
    w.assert_chain_verifies().await;
}

#[tokio::test]
async fn a_field_the_credential_lacks_is_422_on_field_and_echoes_nothing_sent() {
    let w = world_with_member_workflow().await;
    // A field of another type, a made-up one, and a secret pasted where the name belongs: the
    // answer names `field` and repeats none of what was sent.
    for sent in ["password", "no_such_field", "sk_live_resolve_me_123456"] {
        let (status, body) = problem(w.resolve_field(json!(sent)).await).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (422, Some("validation_failed")),
            "{sent}: {body}"
        );
        assert_eq!(body["errors"][0]["field"], "field", "{body}");
        assert!(!body.to_string().contains(sent), "{sent} echoed: {body}");
    }
    // Not a field name at all (empty, too long, spaces, control characters): 422 on `field`.
    let long = "k".repeat(65);
    for sent in ["", long.as_str(), "key ", "a b", "key\n"] {
        let (status, body) = problem(w.resolve_field(json!(sent)).await).await;
        assert_eq!(
            (status, body["errors"][0]["field"].as_str()),
            (422, Some("field"))
        );
        assert!(sent.trim().is_empty() || !body.to_string().contains(sent.trim()));
    }
    // Not a string: 400 like any wrong JSON type.
    let (status, body) = problem(w.resolve_field(json!(["key"])).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("invalid_request"))
    );
    // Nothing was handed out: no `credential.used` event, no usage.
    assert_eq!(w.used_events().await, 0);
    assert_eq!(w.owner_get("/usage?days=7").await["total"], 0);
    // A missing `workflow_id` is reported beside a bad `field`, all at once.
    let (status, body) = problem(
        w.app
            .post_as(
                &w.engine,
                &format!("/v1/credentials/{}/resolve", w.cred),
                &json!({"field": "a b"}),
            )
            .await,
    )
    .await;
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!((status, fields), (422, vec!["workflow_id", "field"]));
}

#[tokio::test]
async fn a_field_resolve_is_refused_as_any_resolve_is() {
    let w = world().await;
    w.workflow("wf", &w.member_id).await;
    // The workflow's owner has no access: 403, recorded as a denial, nothing used.
    let (status, body) = problem(w.resolve_field(json!("key")).await).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("forbidden")));
    assert!(!body.to_string().contains("sk_live_resolve_me"));
    // Even for a field the credential lacks: access is decided first, so a caller without it
    // learns nothing about the credential's fields.
    let (status, _) = problem(w.resolve_field(json!("no_such_field")).await).await;
    assert_eq!(status, 403);
    // With a `use` share the engine gets the value; the member (a `use`-only workflow owner)
    // still cannot resolve with their own token: only engine tokens resolve.
    assert_eq!(
        w.share(json!([{"principal_type": "user", "principal_id": w.member_id, "access": "use"}]))
            .await,
        200
    );
    assert_eq!(w.resolve_field(json!("key")).await.status(), 200);
    let (status, body) = problem(
        w.app
            .post_as(
                &w.member,
                &format!("/v1/credentials/{}/resolve", w.cred),
                &json!({"workflow_id": "wf", "field": "key"}),
            )
            .await,
    )
    .await;
    assert_eq!((status, body["code"].as_str()), (403, Some("forbidden")));
    let denied: i64 = w
        .app
        .db
        .client()
        .await
        .query_one(
            "SELECT count(*) FROM audit_events WHERE action = 'credential.access_denied'",
            &[],
        )
        .await
        .expect("count")
        .get(0);
    assert_eq!(denied, 2);
    assert_eq!(w.used_events().await, 1);
    // Deleted: 410 as problem+json, never text.
    w.app
        .delete_as(&w.owner, &format!("/v1/credentials/{}", w.cred))
        .await;
    let (status, body) = problem(w.resolve_field(json!("key")).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (410, Some("credential_deleted"))
    );
}

/// Cache invalidations are announced by the audit sequencer (migration 0018), not by the changing
/// transaction. While one waits unannounced, every other instance stops trusting its cache: a
/// change that announced nothing at all is then seen there within a second or so.
#[tokio::test]
async fn an_invalidation_left_unannounced_turns_the_other_instances_cache_off() {
    let w = world_with_member_workflow().await;
    let b = crate::helpers::spawn_on(&w.app.db).await;
    let resolve_on_b = || async {
        b.client
            .post(b.url(&format!("/v1/credentials/{}/resolve", w.cred)))
            .bearer_auth(&w.engine)
            .json(&json!({"workflow_id": "wf"}))
            .send()
            .await
            .expect("resolve")
            .status()
            .as_u16()
    };
    assert_eq!(resolve_on_b().await, 200);
    assert_eq!(resolve_on_b().await, 200);
    let mut db = w.app.db.client().await;
    let cred: uuid::Uuid = w.cred.parse().expect("uuid");
    // A change that tells no cache (its trigger off): B, trusting its cache, still resolves.
    db.batch_execute("ALTER TABLE shares DISABLE TRIGGER shares_cache")
        .await
        .expect("trigger off");
    db.execute("DELETE FROM shares WHERE credential_id = $1", &[&cred])
        .await
        .expect("silent unshare");
    for _ in 0..3 {
        assert_eq!(resolve_on_b().await, 200, "B serves its cached row");
    }
    // An invalidation the sequencer cannot take (another transaction holds its row): it waits
    // unannounced, B stops caching, reads the database and refuses.
    // (The sequencer may announce it between its insert and its lock: then again.)
    let holder = loop {
        db.execute(
            "INSERT INTO cache_changes (payload) VALUES ('c:00000000-0000-0000-0000-000000000000')",
            &[],
        )
        .await
        .expect("invalidation");
        let holder = db.transaction().await.expect("begin");
        let locked = holder
            .query("SELECT 1 FROM cache_changes FOR UPDATE", &[])
            .await
            .expect("hold");
        if !locked.is_empty() {
            break holder;
        }
        holder.rollback().await.expect("again");
    };
    let held = std::time::Instant::now();
    loop {
        if resolve_on_b().await == 403 {
            break;
        }
        assert!(
            held.elapsed() < std::time::Duration::from_secs(5),
            "B still trusts its cache 5 s after an invalidation was left unannounced"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        held.elapsed() > std::time::Duration::from_millis(500),
        "not before it waited"
    );
    holder.rollback().await.expect("release");
    // Released, it is announced and the table empties.
    assert!(
        within_a_second(|| async {
            let left: i64 = db
                .query_one("SELECT count(*) FROM cache_changes", &[])
                .await
                .expect("count")
                .get(0);
            left == 0
        })
        .await,
        "the held invalidation was relayed once released"
    );
    db.batch_execute("ALTER TABLE shares ENABLE TRIGGER shares_cache")
        .await
        .expect("trigger on");
}
