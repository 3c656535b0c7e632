//! A change tells every instance's cache what it changed before it answers, by itself: not
//! through the audit sequencer's next batch (which may be held up), and not through the lag
//! rule that turns a cache off once a change has waited unannounced for 750 ms.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::{cache_counts, hold_the_chain_head, uuid_at, ServeProcess, TestDb};
use crate::process::client_of;

#[tokio::test]
async fn a_revoked_share_is_refused_on_another_instance_at_once_even_with_the_chain_held() {
    let db = TestDb::migrated().await;
    let a = ServeProcess::start(&db);
    let b = ServeProcess::start(&db);
    assert!(a.ready(30).await && b.ready(30).await, "both serve");
    let app = client_of(&a, &db);
    let (body, owner) = app.signup("ada@example.com").await;
    let ws = uuid_at(&body["workspace"]["id"]);
    let (member_id, _) = app.user_with_role(&owner, "m@example.com", "member").await;
    let res = app.post_as(&owner, "/v1/tokens", &json!({"name": "engine", "kind": "engine", "scopes": ["credentials:resolve", "workflows:write"]})).await;
    let engine = res.json::<Value>().await.expect("json")["token"]
        .as_str()
        .expect("token")
        .to_string();
    let c: Value = app
        .post_as(&owner, "/v1/credentials", &json!({"name": "Stripe", "service": "stripe", "type": "api_key", "data": {"key": "sk_live_announced_00001"}}))
        .await
        .json()
        .await
        .expect("json");
    let cred = c["id"].as_str().expect("id").to_string();
    let flow = json!({"name": "flow", "owner_id": member_id, "credential_ids": [cred]});
    assert_eq!(
        app.put_json_as(&engine, "/v1/workflows/wf", &flow)
            .await
            .status(),
        201
    );
    let shares = format!("/v1/credentials/{cred}/shares");
    let used =
        json!({"shares": [{"principal_type": "user", "principal_id": member_id, "access": "use"}]});
    assert_eq!(app.put_json_as(&owner, &shares, &used).await.status(), 200);
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
                .status()
        }
    };
    // B serves the resolve from its cache (else the rest proves nothing).
    let started = Instant::now();
    loop {
        assert_eq!(resolve_on_b().await, 200);
        let before = cache_counts(&b.address).await;
        assert_eq!(resolve_on_b().await, 200);
        if cache_counts(&b.address).await.resolve_hits > before.resolve_hits {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "B never served from its cache"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let cached = cache_counts(&b.address).await;

    // The chain head is held: no batch of the sequencer can commit, so none can announce.
    let mut holder = app.db.client().await;
    let hold = hold_the_chain_head(&mut holder, ws).await;
    let removed = tokio::time::timeout(
        Duration::from_secs(4),
        app.put_json_as(&owner, &shares, &json!({"shares": []})),
    )
    .await
    .expect("the change answers while the chain is held");
    assert_eq!(removed.status(), 200);
    let answered = Instant::now();
    let mut refused = false;
    // Well inside the 750 ms after which B would stop caching for a change left unannounced.
    while answered.elapsed() < Duration::from_millis(300) {
        if resolve_on_b().await == 403 {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let heard = cache_counts(&b.address).await;
    assert!(
        refused,
        "B still resolved 300 ms after the share was removed"
    );
    assert!(
        heard.invalidations > cached.invalidations,
        "B was told by A's announcement ({cached:?} -> {heard:?})"
    );
    hold.rollback().await.expect("release");
    let v: Value = app
        .get_as(&owner, "/v1/audit/verify")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        (v["ok"].clone(), v["pending"].clone()),
        (json!(true), json!(0)),
        "{v}"
    );
}
