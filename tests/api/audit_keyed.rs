//! The keyed audit chain (issue #28): links are HMAC-SHA256 under a per-workspace key derived
//! from the master keyring, so someone who can only write to the database cannot produce a
//! chain that verifies; the switch from a plain chain is an event; checkpoints are signed.

use base64::Engine;
use credvault_domain::audit::{canonical_bytes, ChainedFields};
use serde_json::{json, Value};

use crate::audit_chain::verify_of;
use crate::helpers::{uuid_at, ServeProcess, TestApp, TestDb, TEST_MASTER_KEY};
use crate::process::client_of;

/// What a database-only attacker does: rewrite every event from `from_seq` on with hashes made
/// by `link` (prev, canonical), and move the head to match (keyed with `head_key`).
pub async fn rewrite_with_key(
    db: &tokio_postgres::Client,
    ws: uuid::Uuid,
    from_seq: i64,
    link: impl Fn(&[u8], &[u8]) -> [u8; 32],
    head_key: Option<&str>,
) {
    db.batch_execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only")
        .await
        .expect("disable");
    let rows = db
        .query(
            "SELECT seq, id, at, actor_type, actor_id, action, target_type, target_id, outcome, request_id, details, prev_hash
             FROM audit_events WHERE workspace_id = $1 AND seq IS NOT NULL ORDER BY seq",
            &[&ws],
        )
        .await
        .expect("events");
    let mut prev: Option<Vec<u8>> = None;
    for r in rows {
        let seq: i64 = r.get(0);
        let stored_prev: Vec<u8> = r.get(11);
        if seq < from_seq {
            continue;
        }
        let prev_hash = prev.clone().unwrap_or(stored_prev);
        let details: Value = r.get(10);
        let canonical = canonical_bytes(&ChainedFields {
            workspace_id: ws,
            seq,
            id: r.get(1),
            at: r.get(2),
            actor_type: r.get(3),
            actor_id: r.get(4),
            action: r.get(5),
            target_type: r.get(6),
            target_id: r.get(7),
            outcome: r.get(8),
            request_id: r.get(9),
            details: &details,
        });
        let hash = link(&prev_hash, &canonical).to_vec();
        db.execute(
            "UPDATE audit_events SET prev_hash = $3, hash = $4 WHERE workspace_id = $1 AND seq = $2",
            &[&ws, &seq, &prev_hash, &hash],
        )
        .await
        .expect("rewrite");
        prev = Some(hash);
    }
    if let Some(h) = prev {
        db.execute(
            "UPDATE audit_heads SET hash = $2, key_id = $3 WHERE workspace_id = $1",
            &[&ws, &h, &head_key],
        )
        .await
        .expect("head");
    }
    db.batch_execute("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only")
        .await
        .expect("enable");
}

async fn rewrite(
    db: &tokio_postgres::Client,
    ws: uuid::Uuid,
    from_seq: i64,
    link: impl Fn(&[u8], &[u8]) -> [u8; 32],
) {
    rewrite_with_key(db, ws, from_seq, link, None).await
}

fn plain(prev: &[u8], canonical: &[u8]) -> [u8; 32] {
    credvault_crypto::sha256(&[prev, canonical].concat())
}

/// A workspace with a few changes, its id, and a database connection.
async fn workspace() -> (TestApp, String, uuid::Uuid, tokio_postgres::Client) {
    let app = TestApp::spawn().await;
    let (body, owner) = app.signup("ada@example.com").await;
    for i in 0..4 {
        let res = app
            .post_as(&owner, "/v1/teams", &json!({"name": format!("t{i}")}))
            .await;
        assert_eq!(res.status(), 201);
    }
    let ws = uuid_at(&body["workspace"]["id"]);
    let db = app.db.client().await;
    // Changes answer at their commit: the rewrites below need the chain as linked.
    crate::helpers::chained(&db, ws).await;
    (app, owner, ws, db)
}

#[tokio::test]
async fn a_database_only_attacker_cannot_rewrite_the_keyed_chain() {
    // Editing an event and recomputing plain SHA-256 links from there on.
    let (app, owner, ws, db) = workspace().await;
    let v = verify_of(&app, &owner).await;
    assert_eq!(v["ok"], true, "{v}");
    db.batch_execute(
        "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only;
         UPDATE audit_events SET details = '{\"forged\": true}' WHERE seq = 3;
         ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only;",
    )
    .await
    .expect("forge");
    rewrite(&db, ws, 3, plain).await;
    let v = verify_of(&app, &owner).await;
    assert_eq!(
        (v["ok"].clone(), v["first_bad_seq"].clone()),
        (json!(false), json!(3)),
        "{v}"
    );

    // The whole chain recomputed with plain SHA-256, as before migration 0016: nothing in it is
    // keyed, so nothing proves it.
    rewrite(&db, ws, 1, plain).await;
    let v = verify_of(&app, &owner).await;
    assert_eq!(
        v["ok"], false,
        "a chain rewritten to plain SHA-256 is refused: {v}"
    );

    // Recomputed with HMAC under a key of the attacker's own.
    let wrong = credvault_crypto::MasterKey::from_base64(
        &base64::engine::general_purpose::STANDARD.encode([7u8; 32]),
    )
    .expect("key");
    let wrong_id = wrong.id().to_owned();
    let keys = credvault_api::chain_keys::ChainKeys::new(std::sync::Arc::new(
        credvault_crypto::Keyring::new(wrong, vec![]),
    ));
    rewrite(&db, ws, 1, |p, c| {
        keys.keyed_hash(&wrong_id, ws, p, c).expect("key")
    })
    .await;
    let v = verify_of(&app, &owner).await;
    assert_eq!(
        (v["ok"].clone(), v["first_bad_seq"].clone()),
        (json!(false), json!(1)),
        "{v}"
    );
}

#[tokio::test]
async fn a_plain_chain_switches_to_the_key_with_an_event_and_still_verifies() {
    let (app, owner, ws, db) = workspace().await;
    // The chain as it was before migration 0016: plain SHA-256, its head keyed with nothing.
    rewrite(&db, ws, 1, plain).await;
    let before: i64 = db
        .query_one(
            "SELECT seq FROM audit_heads WHERE workspace_id = $1",
            &[&ws],
        )
        .await
        .expect("head")
        .get(0);
    let res = app
        .post_as(&owner, "/v1/teams", &json!({"name": "after"}))
        .await;
    assert_eq!(res.status(), 201);
    crate::helpers::chained(&db, ws).await;
    let rows = db
        .query(
            "SELECT seq, action, actor_type, details FROM audit_events WHERE workspace_id = $1 AND seq > $2 ORDER BY seq",
            &[&ws, &before],
        )
        .await
        .expect("events");
    let switch: Vec<(i64, String, String, Value)> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();
    let active = crate::helpers::chain_keys().active_id().to_owned();
    assert_eq!(switch.len(), 2, "{switch:?}");
    assert_eq!(
        (switch[0].1.as_str(), switch[0].2.as_str()),
        ("audit.chain_keyed", "system")
    );
    assert_eq!(
        switch[0].3,
        json!({"key_id": active, "previous_key_id": null})
    );
    assert_eq!(switch[1].1, "team.created");
    let v = verify_of(&app, &owner).await;
    assert_eq!(
        v,
        json!({"ok": true, "events_checked": before + 2, "first_bad_seq": null, "pending": 0})
    );
    // The plain part can no longer be rewritten either: the keyed switch links to its end.
    db.batch_execute(
        "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only;
         UPDATE audit_events SET details = '{\"forged\": true}' WHERE seq = 2;
         ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only;",
    )
    .await
    .expect("forge");
    rewrite(&db, ws, 2, plain).await;
    let v = verify_of(&app, &owner).await;
    assert_eq!(v["ok"], false, "{v}");
}

#[tokio::test]
async fn a_checkpoint_is_the_head_signed_with_the_published_key() {
    let (app, owner, ws, db) = workspace().await;
    let cp: Value = app
        .get_as(&owner, "/v1/audit/checkpoint")
        .await
        .json()
        .await
        .expect("json");
    let pk: Value = app
        .get_as(&owner, "/v1/audit/public-key")
        .await
        .json()
        .await
        .expect("json");
    let (seq, hash): (i64, Vec<u8>) = {
        let r = db
            .query_one(
                "SELECT seq, hash FROM audit_heads WHERE workspace_id = $1",
                &[&ws],
            )
            .await
            .expect("head");
        (r.get(0), r.get(1))
    };
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(cp["workspace_id"], ws.to_string());
    assert_eq!(
        (cp["seq"].as_i64(), cp["hash"].as_str()),
        (Some(seq), Some(hex.as_str()))
    );
    let at = cp["at"].as_str().expect("at");
    assert!(at.ends_with('Z') && at.len() == 27, "{at}");
    assert_eq!(pk["key_id"], crate::helpers::chain_keys().active_id());
    let b64 = |v: &Value| {
        base64::engine::general_purpose::STANDARD
            .decode(v.as_str().expect("base64"))
            .expect("base64")
    };
    let (public, signature) = (b64(&pk["public_key"]), b64(&cp["signature"]));
    assert_eq!(public.len(), 32);
    let msg = format!("credvault-audit-checkpoint:v1:{ws}:{seq}:{hex}:{at}");
    assert!(credvault_crypto::verify_ed25519(
        &public,
        msg.as_bytes(),
        &signature
    ));
    let forged = format!("credvault-audit-checkpoint:v1:{ws}:{}:{hex}:{at}", seq + 1);
    assert!(!credvault_crypto::verify_ed25519(
        &public,
        forged.as_bytes(),
        &signature
    ));
    // Rights as /v1/audit: a member may not.
    let (_, member) = app
        .user_with_role(&owner, "bob@example.com", "member")
        .await;
    assert_eq!(
        app.get_as(&member, "/v1/audit/checkpoint").await.status(),
        403
    );
    assert_eq!(
        app.get_as(&member, "/v1/audit/public-key").await.status(),
        403
    );
    // A head rewritten without the key is not signed.
    rewrite(&db, ws, seq, plain).await;
    assert_eq!(
        app.get_as(&owner, "/v1/audit/checkpoint").await.status(),
        409
    );
}

/// After `keys rotate` (a new master key, the old one retired), each chain switches to the new
/// key with an event linked under it, and verifies with both keys in the keyring.
#[tokio::test]
async fn a_rotated_master_key_switches_each_chain_with_an_event() {
    let db = TestDb::migrated().await;
    let mut first = ServeProcess::start(&db);
    assert!(first.ready(30).await, "the first server starts");
    let app = client_of(&first, &db);
    let (body, _) = app.signup("ada@example.com").await;
    let ws = uuid_at(&body["workspace"]["id"]);
    // Linked under the first key before that server stops (changes answer at their commit).
    crate::helpers::chained(&db.client().await, ws).await;
    first.child.kill().expect("stop");
    let _ = first.child.wait();
    let new_key = base64::engine::general_purpose::STANDARD.encode([9u8; 32]);
    let second = ServeProcess::start_with_env(
        &db,
        &[
            ("CREDVAULT_MASTER_KEY", &new_key),
            ("CREDVAULT_RETIRED_KEYS", TEST_MASTER_KEY),
        ],
    );
    assert!(second.ready(30).await, "the second server starts");
    let app = client_of(&second, &db);
    // Sessions are signed with a key derived from the master key: sign in again.
    let login: Value = app
        .login("ada@example.com", crate::helpers::PASSWORD)
        .await
        .json()
        .await
        .expect("json");
    let owner = login["access_token"].as_str().expect("token").to_string();
    let res = app
        .post_as(&owner, "/v1/teams", &json!({"name": "after"}))
        .await;
    assert_eq!(res.status(), 201);
    let client = db.client().await;
    crate::helpers::chained(&client, ws).await;
    let details: Value = client
        .query_one(
            "SELECT details FROM audit_events WHERE workspace_id = $1 AND action = 'audit.chain_keyed'",
            &[&ws],
        )
        .await
        .expect("one switch")
        .get(0);
    let old_id = crate::helpers::chain_keys().active_id().to_owned();
    assert_eq!(details["previous_key_id"], json!(old_id));
    assert_ne!(details["key_id"], json!(old_id));
    let v = verify_of(&app, &owner).await;
    assert_eq!(
        (v["ok"].clone(), v["pending"].clone()),
        (json!(true), json!(0)),
        "{v}"
    );
}
