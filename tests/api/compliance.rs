//! The credential review report and GDPR erasure.

use serde_json::{json, Value};

use crate::helpers::{problem, uuid_at, waiting_on_locks, TestApp};

fn names(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("list")
        .iter()
        .filter_map(|c| c["name"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn the_review_finds_each_rule_with_its_boundaries() {
    let app = TestApp::spawn().await;
    let (_, owner) = app.signup("ada@example.com").await;
    let (member_id, member) = app.user_with_role(&owner, "m@example.com", "member").await;
    let (_, auditor) = app
        .user_with_role(&owner, "au@example.com", "auditor")
        .await;
    let make = |token: String, name: &'static str, extra: Value| {
        let app = &app;
        async move {
            let mut body = json!({"name": name, "service": "s", "type": "api_key", "data": {"key": "sk_live_review_0000001"}});
            body.as_object_mut()
                .expect("obj")
                .extend(extra.as_object().cloned().unwrap_or_default());
            let res = app.post_as(&token, "/v1/credentials", &body).await;
            assert_eq!(res.status(), 201, "{name}");
            res.json::<Value>().await.expect("json")["id"]
                .as_str()
                .expect("id")
                .to_string()
        }
    };
    let fresh = make(owner.clone(), "fresh", json!({})).await;
    let old_use = make(owner.clone(), "used long ago", json!({})).await;
    let overdue = make(
        owner.clone(),
        "rotation overdue",
        json!({"rotation_period_days": 30}),
    )
    .await;
    let _expiring = make(
        owner.clone(),
        "expiring",
        json!({"expires_at": (chrono_like_now_plus_days(3))}),
    )
    .await;
    let _later = make(
        owner.clone(),
        "expiring later",
        json!({"expires_at": (chrono_like_now_plus_days(30))}),
    )
    .await;
    let broken = make(owner.clone(), "in error", json!({})).await;
    let broad = make(owner.clone(), "broadly shared", json!({})).await;
    let _orphan = make(member.clone(), "orphaned", json!({})).await;
    let db = app.db.client().await;
    db.execute(
        "UPDATE credentials SET last_used_at = now() WHERE id = $1::text::uuid",
        &[&fresh],
    )
    .await
    .expect("use");
    db.execute("UPDATE credentials SET last_used_at = now() - interval '91 days' WHERE id = $1::text::uuid", &[&old_use]).await.expect("use");
    db.execute(
        "UPDATE credentials SET created_at = now() - interval '31 days' WHERE id = $1::text::uuid",
        &[&overdue],
    )
    .await
    .expect("age");
    db.execute("UPDATE credentials SET status = 'error', status_detail = '401 from api.example.com' WHERE id = $1::text::uuid", &[&broken]).await.expect("error");
    let res = app
        .put_json_as(
            &owner,
            &format!("/v1/credentials/{broad}/shares"),
            &json!({"shares": [{"principal_type": "workspace", "access": "manage"}]}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        app.patch_as(
            &owner,
            &format!("/v1/users/{member_id}"),
            &json!({"disabled": true})
        )
        .await
        .status(),
        200
    );
    let r: Value = app
        .get_as(&auditor, "/v1/reports/credential-review")
        .await
        .json()
        .await
        .expect("json");
    assert!(r["unused"].is_array(), "{r}");
    let unused = names(&r["unused"]);
    assert!(
        unused.contains(&"used long ago".to_string()) && unused.contains(&"in error".to_string()),
        "never-used count: {unused:?}"
    );
    assert!(!unused.contains(&"fresh".to_string()));
    assert_eq!(names(&r["rotation_overdue"]), ["rotation overdue"]);
    assert_eq!(names(&r["expiring_soon"]), ["expiring"]);
    assert_eq!(names(&r["in_error"]), ["in error"]);
    assert_eq!(names(&r["broadly_shared"]), ["broadly shared"]);
    assert_eq!(names(&r["orphaned"]), ["orphaned"]);
    let wider: Value = app
        .get_as(
            &owner,
            "/v1/reports/credential-review?unused_days=0&expiring_days=31",
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        names(&wider["expiring_soon"]),
        ["expiring", "expiring later"]
    );
    let (status, _) = problem(app.get_as(&member, "/v1/reports/credential-review").await).await;
    assert_eq!(status, 401, "the disabled member is signed out");
    let (status, _) = problem(
        app.get_as(&owner, "/v1/reports/credential-review?unused_days=-1")
            .await,
    )
    .await;
    assert_eq!(status, 400);
}

fn chrono_like_now_plus_days(days: u64) -> String {
    let t = std::time::SystemTime::now() + std::time::Duration::from_secs(days * 86_400);
    let secs = t
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_secs() as i64;
    // Civil date from days since the epoch (Howard Hinnant's algorithm).
    let (z, rem) = (secs.div_euclid(86_400) + 719_468, secs.rem_euclid(86_400));
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// A workspace, its owner's sign-up answer and token, and the id of a member to hand things to.
async fn workspace_with_keeper() -> (TestApp, Value, String, String) {
    let app = TestApp::spawn().await;
    let (body, owner) = app.signup("ada@example.com").await;
    let (keep_id, _) = app
        .user_with_role(&owner, "keeper@example.com", "member")
        .await;
    (app, body, owner, keep_id)
}

#[tokio::test]
async fn erasure_transfers_or_destroys_and_pseudonymises_without_breaking_the_chain() {
    let (app, body, owner, keep_id) = workspace_with_keeper().await;
    let ws = uuid_at(&body["workspace"]["id"]);
    let engine = app.engine_token(&owner).await;
    for (email, transfer) in [("leaver@example.com", true), ("gone@example.com", false)] {
        let (uid, token) = app.user_with_role(&owner, email, "member").await;
        let c: Value = app.post_as(&token, "/v1/credentials", &json!({"name": format!("of {email}"), "service": "s", "type": "api_key", "data": {"key": "sk_live_erasure_00000001"}})).await.json().await.expect("json");
        let cid = c["id"].as_str().expect("id").to_string();
        let wf = format!("/v1/workflows/flow-of-{uid}");
        let res = app
            .put_json_as(
                &engine,
                &wf,
                &json!({"name": "their flow", "owner_id": uid, "credential_ids": [cid]}),
            )
            .await;
        assert_eq!(res.status(), 201);
        let declared: Value = app
            .db
            .client()
            .await
            .query_one(
                "SELECT details->'credential_ids' FROM audit_events WHERE action = 'workflow.upserted' AND target_id = $1",
                &[&format!("flow-of-{uid}")],
            )
            .await
            .expect("the workflow's event")
            .get(0);
        assert_eq!(declared, json!([cid]), "the event names what it declares");
        app.login(email, "wrong password!!").await;
        let path = if transfer {
            format!("/v1/users/{uid}?transfer_to={keep_id}")
        } else {
            format!("/v1/users/{uid}")
        };
        assert_eq!(app.delete_as(&owner, &path).await.status(), 204);
        assert_eq!(
            app.get_as(&token, "/v1/me").await.status(),
            401,
            "their session is gone"
        );
        assert_eq!(
            app.get_as(&owner, &format!("/v1/users/{uid}"))
                .await
                .status(),
            404
        );
        let cred = app.get_as(&owner, &format!("/v1/credentials/{cid}")).await;
        if transfer {
            let v: Value = cred.json().await.expect("json");
            assert_eq!(v["owner"]["id"].as_str(), Some(keep_id.as_str()));
        } else {
            assert_eq!(cred.status(), 404, "destroyed");
        }
        // Their workflow went with their credentials, and the audit log says so.
        let res = app.get_as(&owner, &wf).await;
        let db = app.db.client().await;
        let event = db
            .query_one(
                "SELECT action, details FROM audit_events WHERE target_type = 'workflow' AND target_id = $1 ORDER BY seq DESC LIMIT 1",
                &[&format!("flow-of-{uid}")],
            )
            .await
            .expect("an event about the workflow");
        let (action, details): (String, Value) = (event.get(0), event.get(1));
        assert_eq!(details["reason"], "owner erased");
        let erasure_events: i64 = db
            .query_one(
                "SELECT count(*) FROM audit_events WHERE target_type = 'workflow' AND target_id = $1 AND details->>'reason' = 'owner erased'",
                &[&format!("flow-of-{uid}")],
            )
            .await
            .expect("count")
            .get(0);
        assert_eq!(erasure_events, 1, "one event for the workflow");
        if transfer {
            let v: Value = res.json().await.expect("json");
            assert_eq!(v["owner"]["id"].as_str(), Some(keep_id.as_str()));
            assert_eq!(action, "workflow.upserted");
            assert_eq!(details["owner_id"].as_str(), Some(keep_id.as_str()));
            assert_eq!(details["created"], false);
        } else {
            assert_eq!(res.status(), 404, "deleted");
            assert_eq!(action, "workflow.deleted");
            let purged: Value = db
                .query_one(
                    "SELECT details FROM audit_events WHERE action = 'credential.purged' AND target_id = $1",
                    &[&cid],
                )
                .await
                .expect("the credential's purge is on the record")
                .get(0);
            assert_eq!(
                (
                    &purged["reason"],
                    &purged["versions_shredded"],
                    &purged["workflow_ids"]
                ),
                (
                    &json!("owner erased"),
                    &json!(1),
                    &json!([format!("flow-of-{uid}")])
                ),
                "the purge says what went with the credential"
            );
        }
        let leaks: i64 = db
            .query_one("SELECT count(*) FROM audit_events WHERE actor_display ILIKE '%' || $1 || '%' OR target_name = 'member' AND target_id = $2 OR (target_id = $2 AND ip IS NOT NULL AND action <> 'user.erased')", &[&email, &uid])
            .await
            .expect("count")
            .get(0);
        assert_eq!(leaks, 0, "no personal data of {email} left in audit events");
        let named: i64 = db.query_one("SELECT count(*) FROM audit_events WHERE target_id = $1 AND target_name LIKE 'erased user %'", &[&uid]).await.expect("count").get(0);
        assert!(named >= 2, "events about the user carry the pseudonym");
    }
    let pool = credvault_store::connect(&app.db.url, 1).expect("pool");
    let v = credvault_api::audit::verify(
        &pool.get().await.expect("conn"),
        &crate::helpers::chain_keys(),
        ws,
    )
    .await
    .expect("verify");
    assert!(v.ok, "the chain still verifies after erasure: {v:?}");
    let (_, owner_id) = (0, body["user"]["id"].as_str().expect("id").to_string());
    let (status, _) = problem(
        app.delete_as(&owner, &format!("/v1/users/{owner_id}"))
            .await,
    )
    .await;
    assert_eq!(status, 409, "the last owner cannot be erased");
    let (status, _) = problem(
        app.delete_as(&owner, &format!("/v1/users/{keep_id}?transfer_to=nope"))
            .await,
    )
    .await;
    assert_eq!(status, 422);
}

/// A credential created by a user while they are being erased goes where the rest of theirs go,
/// or is refused, instead of being left to a user who no longer exists.
#[tokio::test]
async fn a_credential_created_during_its_owners_erasure_is_handed_over_or_refused() {
    let (app, body, owner, keep_id) = workspace_with_keeper().await;
    let ws = uuid_at(&body["workspace"]["id"]);
    let watch = app.db.client().await;
    for create_first in [true, false] {
        let email = format!("leaver-{create_first}@example.com");
        let (uid, token) = app.user_with_role(&owner, &email, "member").await;
        // Audit inserts, held here, stop both requests at their audit record, by which time
        // each has done its other work: the creation inserted its row, the erasure locked the
        // user and (before owners were checked) listed what they owned.
        let mut hold = app.db.client().await;
        let (hold, _) = crate::helpers::hold_audit_inserts(&mut hold).await;
        let (client, url) = (app.client.clone(), app.url("/v1/credentials"));
        let create = async move {
            client
                .post(url)
                .bearer_auth(token)
                .json(&json!({"name": "made meanwhile", "service": "s", "type": "api_key", "data": {"key": "sk_live_meanwhile_0001"}}))
                .send()
                .await
                .expect("request")
        };
        let (client, url) = (
            app.client.clone(),
            app.url(&format!("/v1/users/{uid}?transfer_to={keep_id}")),
        );
        let owner = owner.clone();
        let erase = async move {
            client
                .delete(url)
                .bearer_auth(owner)
                .send()
                .await
                .expect("request")
        };
        let (create, erase) = if create_first {
            let create = tokio::spawn(create);
            waiting_on_locks(&watch, 1).await;
            (create, tokio::spawn(erase))
        } else {
            let erase = tokio::spawn(erase);
            waiting_on_locks(&watch, 1).await;
            (tokio::spawn(create), erase)
        };
        waiting_on_locks(&watch, 2).await;
        hold.rollback().await.expect("release");
        let created = create.await.expect("create");
        assert_eq!(erase.await.expect("erase").status(), 204);
        let orphans: i64 = watch
            .query_one(
                "SELECT count(*) FROM credentials c WHERE c.workspace_id = $1
                   AND NOT EXISTS (SELECT 1 FROM users u WHERE u.workspace_id = c.workspace_id AND u.id = c.owner_id)",
                &[&ws],
            )
            .await
            .expect("count")
            .get(0);
        assert_eq!(orphans, 0, "every credential has an owner who exists");
        if create_first {
            assert_eq!(created.status(), 201, "created first, then handed over");
            let id = uuid_at(&created.json::<Value>().await.expect("json")["id"]);
            let owner_id: uuid::Uuid = watch
                .query_one(
                    "SELECT owner_id FROM credentials WHERE workspace_id = $1 AND id = $2",
                    &[&ws, &id],
                )
                .await
                .expect("row")
                .get(0);
            assert_eq!(owner_id.to_string(), keep_id);
        } else {
            let (status, body) = problem(created).await;
            assert_eq!((status, body["code"].as_str()), (409, Some("conflict")));
        }
    }
}

/// A transfer to an owner while another user's erasure takes that user's credential: both finish
/// (the transfer waits for the erasure), neither dies in a deadlock. Before, the transfer locked
/// the credential and then the new owner, the erasure the owners and then the credential.
#[tokio::test]
async fn a_transfer_during_an_erasure_waits_instead_of_deadlocking() {
    let (app, body, owner, keep_id) = workspace_with_keeper().await;
    let owner_id = uuid_at(&body["user"]["id"]);
    let (uid, token) = app
        .user_with_role(&owner, "leaver@example.com", "member")
        .await;
    let c: Value = app.post_as(&token, "/v1/credentials", &json!({"name": "theirs", "service": "s", "type": "api_key", "data": {"key": "sk_live_transfer_00001"}})).await.json().await.expect("json");
    let cid = c["id"].as_str().expect("id").to_string();
    // The owner's row, held here, stops the erasure first (it locks the owners), then the transfer.
    let [erase, transfer] = app
        .queued_behind(
            "SELECT 1 FROM users WHERE id = $1 FOR UPDATE",
            &owner_id,
            app.client
                .delete(app.url(&format!("/v1/users/{uid}?transfer_to={keep_id}")))
                .bearer_auth(&owner),
            app.client
                .post(app.url(&format!("/v1/credentials/{cid}/transfer")))
                .bearer_auth(&owner)
                .json(&json!({"owner_id": owner_id})),
        )
        .await;
    let (transfer, erase) = (transfer.status(), erase.status());
    assert_eq!((transfer.as_u16(), erase.as_u16()), (200, 204));
}

/// A workflow registered for a user while they are being erased waits for the erasure (it locks
/// its owner first) and is refused with a 422 that names `owner_id`: no workflow is left to an
/// owner who no longer exists. (Without the lock, the foreign key would refuse it with a 409.)
#[tokio::test]
async fn a_workflow_registered_during_its_owners_erasure_is_refused() {
    let (app, _, owner, _) = workspace_with_keeper().await;
    let (uid, _) = app
        .user_with_role(&owner, "leaver@example.com", "member")
        .await;
    let engine = app.engine_token(&owner).await;
    // The user's row, held here, stops the erasure first, then the registration.
    let flow = json!({"name": "their flow", "owner_id": uid, "credential_ids": []});
    let [erase, register] = app
        .queued_behind(
            "SELECT 1 FROM users WHERE id = $1::text::uuid FOR UPDATE",
            &uid,
            app.client
                .delete(app.url(&format!("/v1/users/{uid}")))
                .bearer_auth(&owner),
            app.client
                .put(app.url("/v1/workflows/wf-theirs"))
                .bearer_auth(&engine)
                .json(&flow),
        )
        .await;
    let erase = erase.status();
    let (status, body) = problem(register).await;
    assert_eq!((erase.as_u16(), status), (204, 422));
    assert!(body.to_string().contains("owner_id"), "{body}");
    assert_eq!(
        app.get_as(&owner, "/v1/workflows/wf-theirs").await.status(),
        404
    );
}

/// An erasure purging two credentials while a workflow registration drops the first and declares
/// the second. The registration key-share locks both (what it declares now and what it will)
/// before it touches a declaration, so it never waits on a declaration the erasure has deleted
/// while holding a credential the erasure has yet to lock (a deadlock, and a 500, when it locked
/// only the second).
#[tokio::test]
async fn an_erasure_and_a_registration_redeclaring_its_credentials_do_not_deadlock() {
    let (app, _, owner, keep_id) = workspace_with_keeper().await;
    let (uid, token) = app
        .user_with_role(&owner, "leaver@example.com", "member")
        .await;
    let mut ids = Vec::new();
    for n in 1..=2 {
        let body = json!({"name": format!("theirs {n}"), "service": "s", "type": "api_key", "data": {"key": format!("sk_live_erase_race_0000{n}")}});
        let c: Value = app
            .post_as(&token, "/v1/credentials", &body)
            .await
            .json()
            .await
            .expect("json");
        ids.push(uuid_at(&c["id"]));
    }
    ids.sort();
    let (low, high) = (ids[0], ids[1]);
    let engine = app.engine_token(&owner).await;
    let declare = |id: uuid::Uuid| json!({"name": "shared flow", "owner_id": keep_id, "credential_ids": [id]});
    let res = app
        .put_json_as(&engine, "/v1/workflows/wf-shared", &declare(low))
        .await;
    assert_eq!(res.status(), 201);
    // The workflow's row, held here, stops the registration (after its credential locks) first;
    // the erasure then comes to purge the first credential.
    let [register, erase] = app
        .queued_behind(
            "SELECT 1 FROM workflows WHERE id = $1 FOR UPDATE",
            &"wf-shared",
            app.client
                .put(app.url("/v1/workflows/wf-shared"))
                .bearer_auth(&engine)
                .json(&declare(high)),
            app.client
                .delete(app.url(&format!("/v1/users/{uid}")))
                .bearer_auth(&owner),
        )
        .await;
    assert_eq!(
        (register.status().as_u16(), erase.status().as_u16()),
        (200, 204)
    );
    let purged = app.purged_workflow_ids(&high.to_string()).await;
    assert_eq!(purged, json!(["wf-shared"]), "the new declaration is named");
}

#[tokio::test]
async fn an_admin_erasing_themselves_leaves_no_name_in_the_event() {
    let app = TestApp::spawn().await;
    let (_, owner) = app.signup("ada@example.com").await;
    let (admin_id, admin) = app
        .user_with_role(&owner, "self@example.com", "admin")
        .await;
    assert_eq!(
        app.delete_as(&admin, &format!("/v1/users/{admin_id}"))
            .await
            .status(),
        204
    );
    let db = app.db.client().await;
    let row = db
        .query_one(
            "SELECT actor_display, ip FROM audit_events WHERE action = 'user.erased'",
            &[],
        )
        .await
        .expect("event");
    let display: Option<String> = row.get(0);
    let ip: Option<String> = row.get(1);
    assert!(
        display.is_some_and(|d| d.starts_with("erased user ")),
        "pseudonymous actor"
    );
    assert!(ip.is_none());
}
