use credvault_api::keys::{rotate, status, KekRole};
use credvault_crypto::{Envelope, Keyring, MasterKey};
use credvault_tests::{open_all, seed_sealed_credentials};

use crate::helpers::TestDb;

fn key(seed: u8) -> MasterKey {
    use base64::Engine;
    MasterKey::from_base64(&base64::engine::general_purpose::STANDARD.encode([seed; 32]))
        .expect("key")
}

fn b64(k: u8) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode([k; 32])
}

/// Locks the data key at `offset` (in the key order rotation walks) until `tx` ends: a rotation
/// reaching it waits there.
pub async fn hold_data_key(tx: &tokio_postgres::Transaction<'_>, offset: i64) {
    let held = tx
        .execute(
            "SELECT 1 FROM credential_versions WHERE (workspace_id, credential_id, version) =
               (SELECT workspace_id, credential_id, version FROM credential_versions
                 ORDER BY workspace_id, credential_id, version OFFSET $1 LIMIT 1) FOR UPDATE",
            &[&offset],
        )
        .await
        .expect("hold");
    assert_eq!(held, 1);
}

/// `credvault keys rotate` as a process, re-wrapping under key 2 with key 1 retired; its stderr
/// goes to `log`.
fn rotate_process(db: &TestDb, log: &std::path::Path) -> std::process::Child {
    std::process::Command::new(crate::helpers::credvault_bin())
        .args(["keys", "rotate", "--batch-size", "500"])
        .env("DATABASE_URL", &db.url)
        .env("CREDVAULT_MASTER_KEY", b64(2))
        .env("CREDVAULT_RETIRED_KEYS", b64(1))
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(log).expect("log file"))
        .spawn()
        .expect("start credvault keys rotate")
}

/// Rotation re-wraps every data key under the new key; a `credvault keys rotate` killed (SIGKILL)
/// in the middle of a batch leaves the batches before it done and that one undone, a second run
/// re-wraps only what is left, and afterwards everything opens with the new key alone.
#[tokio::test]
async fn rotate_rewraps_everything_and_resumes_after_the_process_is_killed() {
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

    // Rotation goes in key order, 500 a batch: holding the 1201st data key stops the process in
    // its third batch, after two have committed, where it is killed.
    let mut holder = db.client().await;
    let hold = holder.transaction().await.expect("begin");
    hold_data_key(&hold, 1200).await;
    let log = std::env::temp_dir().join(format!(
        "credvault-rotate-{}.log",
        uuid::Uuid::now_v7().simple()
    ));
    let mut first = rotate_process(&db, &log);
    crate::helpers::waiting_on_locks(&client, 1).await;
    first.kill().expect("SIGKILL");
    let killed = first.wait().expect("wait");
    assert!(!killed.success(), "killed, not finished: {killed}");
    let progress = std::fs::read_to_string(&log).expect("log");
    assert!(
        progress.contains("1000/2500 data keys re-wrapped") && !progress.contains("done:"),
        "two batches reported, then killed:\n{progress}"
    );
    hold.rollback().await.expect("release");
    let mid = status(&pool, &both).await.expect("status");
    let left = mid
        .iter()
        .find(|c| c.kek_id == old_id)
        .map_or(0, |c| c.deks);
    assert_eq!(left, 1500, "the killed batch left nothing half done");

    let second = rotate_process(&db, &log).wait().expect("second run");
    let progress = std::fs::read_to_string(&log).expect("log");
    let _ = std::fs::remove_file(&log);
    assert!(second.success(), "the second run finishes:\n{progress}");
    assert!(
        progress.contains("1500/1500 data keys re-wrapped")
            && progress.contains("done: 1500 data keys re-wrapped"),
        "the second run re-wraps only what was left:\n{progress}"
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
    let v = credvault_api::audit::verify(
        &pool.get().await.expect("conn"),
        &crate::helpers::chain_keys(),
        ws,
    )
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
