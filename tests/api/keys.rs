use credvault_api::keys::{rotate, status, KekRole};
use credvault_crypto::{Envelope, Keyring, MasterKey};
use credvault_tests::{open_all, seed_sealed_credentials};

use crate::helpers::TestDb;

fn key(seed: u8) -> MasterKey {
    use base64::Engine;
    MasterKey::from_base64(&base64::engine::general_purpose::STANDARD.encode([seed; 32]))
        .expect("key")
}

/// Rotation re-wraps every data key under the new key, survives being stopped in the middle, and
/// afterwards everything opens with the new key alone.
#[tokio::test]
async fn rotate_rewraps_everything_and_resumes_after_an_interruption() {
    let db = TestDb::migrated().await;
    let client = db.client().await;
    let old = Envelope::new(Keyring::new(key(1), vec![]));
    seed_sealed_credentials(&client, &old, 2500)
        .await
        .expect("seed");
    let pool = credvault_store::connect(&db.url, 2).expect("pool");
    let both = Envelope::new(Keyring::new(key(2), vec![key(1)]));
    let (new_id, old_id) = (key(2).id().to_string(), key(1).id().to_string());

    let before = status(&pool, &both).await.expect("status");
    assert_eq!(
        before
            .iter()
            .find(|c| c.kek_id == old_id)
            .map(|c| (c.deks, c.role)),
        Some((2500, KekRole::Retired))
    );
    assert_eq!(
        before
            .iter()
            .find(|c| c.kek_id == new_id)
            .map(|c| (c.deks, c.role)),
        Some((0, KekRole::Active))
    );

    // Interrupt after the second batch: drop the rotation future the way a kill would stop it.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let run = rotate(&pool, &both, 500, move |p| {
        let _ = tx.send(p.done);
    });
    tokio::select! {
        _ = run => panic!("rotation should have been interrupted"),
        _ = async { while let Some(done) = rx.recv().await { if done >= 1000 { break; } } } => {}
    }
    let mid = status(&pool, &both).await.expect("status");
    let left = mid
        .iter()
        .find(|c| c.kek_id == old_id)
        .map_or(0, |c| c.deks);
    assert!(left > 0 && left < 2500, "half done: {left} left");

    let mut reports = Vec::new();
    let done = rotate(&pool, &both, 500, |p| reports.push(p))
        .await
        .expect("resume");
    assert_eq!(
        done as i64, left,
        "the second run re-wraps only what was left"
    );
    assert_eq!(
        reports.last().map(|p| (p.done, p.total)),
        Some((done, done))
    );

    let after = status(&pool, &both).await.expect("status");
    assert_eq!(
        after.iter().find(|c| c.kek_id == old_id).map(|c| c.deks),
        Some(0)
    );
    assert_eq!(
        after.iter().find(|c| c.kek_id == new_id).map(|c| c.deks),
        Some(2500)
    );
    let new_only = Envelope::new(Keyring::new(key(2), vec![]));
    assert_eq!(open_all(&client, &new_only).await.expect("open"), (2500, 0));
    // Every committed batch is on the record, in its own transaction: the events count exactly
    // the keys re-wrapped, across the interruption, and the chain verifies.
    let (ws, events, keys, from, to): (uuid::Uuid, i64, i64, String, String) = {
        let r = client
            .query_one(
                "SELECT workspace_id, count(*), sum((details->>'data_keys')::int8)::int8,
                        string_agg(DISTINCT details->>'from_kek_ids', ','), string_agg(DISTINCT details->>'to_kek_id', ',')
                 FROM audit_events WHERE action = 'keys.rewrapped' GROUP BY workspace_id",
                &[],
            )
            .await
            .expect("events");
        (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4))
    };
    assert!(events >= 5, "one per batch: {events}");
    assert_eq!(keys, 2500);
    assert_eq!((from, to), (format!("[\"{old_id}\"]"), new_id.clone()));
    let v = credvault_api::audit::verify(&pool.get().await.expect("conn"), ws)
        .await
        .expect("verify");
    assert!(v.ok, "{v:?}");
    assert_eq!(
        rotate(&pool, &both, 500, |_| {}).await.expect("again"),
        0,
        "nothing left to do"
    );
}

/// A stored data key wrapped by a key the keyring lacks stops rotation with a message naming it.
#[tokio::test]
async fn rotate_refuses_when_a_wrapping_key_is_missing() {
    let db = TestDb::migrated().await;
    let client = db.client().await;
    seed_sealed_credentials(&client, &Envelope::new(Keyring::new(key(3), vec![])), 10)
        .await
        .expect("seed");
    let pool = credvault_store::connect(&db.url, 2).expect("pool");
    let without = Envelope::new(Keyring::new(key(4), vec![]));
    let st = status(&pool, &without).await.expect("status");
    assert!(st
        .iter()
        .any(|c| c.role == KekRole::Missing && c.deks == 10));
    let err = rotate(&pool, &without, 100, |_| {})
        .await
        .expect_err("refused")
        .to_string();
    assert!(
        err.contains(key(3).id()) && err.contains("CREDVAULT_RETIRED_KEYS"),
        "{err}"
    );
}
