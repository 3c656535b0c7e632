//! The `credvault` subcommands as processes: `migrate`, `openapi -o`, `keys generate|status|
//! rotate` (under resolve traffic, killed with SIGKILL and resumed, one `keys.rewrapped` event
//! per batch and workspace, in the batch's transaction), and the `*_FILE` variants of the secret
//! settings other than the master key.

use std::io::BufRead;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use credvault_crypto::{Envelope, Keyring, MasterKey};
use credvault_store::migrate::{latest_version, MIGRATIONS};
use credvault_tests::{open_all, seed_sealed_credentials, seed_sealed_into};
use serde_json::{json, Value};

use crate::helpers::{credvault_bin, ServeProcess, TestApp, TestDb, TEST_MASTER_KEY};
use crate::promise_support::{accept_audit, refuse_audit, run_credvault, stderr_of, stdout_of};

/// A master key made of one repeated byte, and its base64.
fn key(seed: u8) -> (MasterKey, String) {
    let b64 = base64::engine::general_purpose::STANDARD.encode([seed; 32]);
    (MasterKey::from_base64(&b64).expect("key"), b64)
}

async fn migrations_applied(db: &TestDb) -> Vec<(i32, i64)> {
    db.client()
        .await
        .query(
            "SELECT version, count(*) FROM schema_migrations GROUP BY version ORDER BY version",
            &[],
        )
        .await
        .expect("schema_migrations")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

#[tokio::test]
async fn migrate_applies_every_migration_to_an_empty_database_and_again_changes_nothing() {
    let db = TestDb::empty().await;
    let first = run_credvault(&db, &["migrate"], &[], &[], 60);
    assert!(first.status.success(), "{}", stderr_of(&first));
    assert!(
        stderr_of(&first).contains(&format!(
            "{} migration(s) applied; schema at version {}",
            MIGRATIONS.len(),
            latest_version()
        )),
        "{}",
        stderr_of(&first)
    );
    let applied = migrations_applied(&db).await;
    assert_eq!(applied.len(), MIGRATIONS.len());
    assert!(applied.iter().all(|(_, n)| *n == 1), "{applied:?}");
    assert_eq!(applied.last().map(|a| a.0), Some(latest_version()));

    let second = run_credvault(&db, &["migrate"], &[], &[], 60);
    assert!(second.status.success(), "{}", stderr_of(&second));
    assert!(
        stderr_of(&second).contains("0 migration(s) applied"),
        "{}",
        stderr_of(&second)
    );
    assert_eq!(migrations_applied(&db).await, applied, "nothing changed");
}

#[tokio::test]
async fn openapi_o_writes_the_committed_document() {
    let db = TestDb::empty().await;
    let dir = std::env::temp_dir().join(format!("credvault-openapi-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("openapi.json");
    let out = run_credvault(
        &db,
        &["openapi", "-o", file.to_str().expect("path")],
        &[],
        &[],
        30,
    );
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(stdout_of(&out).is_empty(), "the document goes to the file");
    let written = std::fs::read(&file).expect("written");
    let committed = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json"))
        .expect("committed");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        written == committed,
        "`credvault openapi -o` differs from openapi/openapi.json (run `make openapi`)"
    );
}

#[tokio::test]
async fn keys_generate_prints_a_new_usable_master_key() {
    let db = TestDb::migrated().await;
    let generate = || {
        let out = run_credvault(&db, &["keys", "generate"], &[], &[], 30);
        assert!(out.status.success(), "{}", stderr_of(&out));
        stdout_of(&out).trim().to_string()
    };
    let (a, b) = (generate(), generate());
    assert_ne!(a, b, "random each time");
    for k in [&a, &b] {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(k)
            .expect("base64");
        assert_eq!(bytes.len(), 32, "{k}");
    }
    // Usable: a command takes it as its master key.
    let id = MasterKey::from_base64(&a)
        .expect("a master key")
        .id()
        .to_string();
    let out = run_credvault(
        &db,
        &["keys", "status"],
        &[("CREDVAULT_MASTER_KEY", &a)],
        &[],
        30,
    );
    assert!(out.status.success(), "{}", stderr_of(&out));
    let line = stdout_of(&out)
        .lines()
        .find(|l| l.split_whitespace().nth(1) == Some(id.as_str()))
        .map(str::to_string);
    assert!(
        line.as_deref().is_some_and(|l| l.ends_with("active")),
        "{}",
        stdout_of(&out)
    );
}

/// `keys status` output as (key id, data keys, role): the lines between the header and the
/// blank line before the totals per provider (the provider column is left out).
pub fn status_lines(out: &str) -> Vec<(String, i64, String)> {
    out.lines()
        .skip(1)
        .take_while(|l| !l.is_empty())
        .map(|l| {
            let mut parts = l.split_whitespace().skip(1);
            let id = parts.next().expect("id").to_string();
            let n = parts.next().expect("count").parse().expect("a number");
            (id, n, parts.collect::<Vec<_>>().join(" "))
        })
        .collect()
}

#[tokio::test]
async fn keys_status_lists_the_data_keys_each_master_key_wraps() {
    let db = TestDb::migrated().await;
    let client = db.client().await;
    let (k1, b1) = key(11);
    let (k2, b2) = key(12);
    let (k3, b3) = key(13);
    for (seed, n) in [(11, 7), (12, 3)] {
        let ring = Keyring::new(key(seed).0, vec![]);
        seed_sealed_credentials(&client, &Envelope::new(ring), n)
            .await
            .expect("seed");
    }
    let retired = format!("{b1},{b2}");
    let out = run_credvault(
        &db,
        &["keys", "status"],
        &[
            ("CREDVAULT_MASTER_KEY", &b3),
            ("CREDVAULT_RETIRED_KEYS", &retired),
        ],
        &[],
        30,
    );
    assert!(out.status.success(), "{}", stderr_of(&out));
    let mut lines = status_lines(&stdout_of(&out));
    lines.sort();
    let mut expected = vec![
        (
            k1.id().to_string(),
            7,
            "retired (run `credvault keys rotate`)".to_string(),
        ),
        (
            k2.id().to_string(),
            3,
            "retired (run `credvault keys rotate`)".to_string(),
        ),
        (k3.id().to_string(), 0, "active".to_string()),
    ];
    expected.sort();
    assert_eq!(lines, expected, "{}", stdout_of(&out));

    // The same keys from CREDVAULT_RETIRED_KEYS_FILE (one a line).
    let file = std::env::temp_dir().join(format!("credvault-retired-{}", uuid::Uuid::now_v7()));
    std::fs::write(&file, format!("{b1}\n{b2}\n")).expect("write");
    let from_file = run_credvault(
        &db,
        &["keys", "status"],
        &[
            ("CREDVAULT_MASTER_KEY", &b3),
            ("CREDVAULT_RETIRED_KEYS_FILE", file.to_str().expect("path")),
        ],
        &["CREDVAULT_RETIRED_KEYS"],
        30,
    );
    let _ = std::fs::remove_file(&file);
    assert!(from_file.status.success(), "{}", stderr_of(&from_file));
    assert_eq!(stdout_of(&from_file), stdout_of(&out));

    // Without the retired keys, the keys they wrap are named as missing, and it fails.
    let missing = run_credvault(
        &db,
        &["keys", "status"],
        &[("CREDVAULT_MASTER_KEY", &b3)],
        &["CREDVAULT_RETIRED_KEYS"],
        30,
    );
    assert!(!missing.status.success());
    let lines = status_lines(&stdout_of(&missing));
    assert!(
        lines.contains(&(
            k1.id().to_string(),
            7,
            "NOT IN THE KEYRING: add it to CREDVAULT_RETIRED_KEYS".to_string()
        )),
        "{}",
        stdout_of(&missing)
    );
}

/// Every data key re-wrapped under `active` was re-wrapped in a transaction that recorded
/// exactly one `keys.rewrapped` event per workspace it touched, counting that workspace's keys
/// (rows written by one transaction share its `xmin`).
async fn one_event_per_batch_and_workspace(client: &tokio_postgres::Client, active: &str) {
    // (workspace, keys) per batch: the events' transaction cannot be compared by xmin, as the
    // sequencer's linking rewrites the event rows (the refused-audit test shows they commit
    // together).
    let rows = |sql: &'static str| async move {
        let mut v: Vec<(uuid::Uuid, i64)> = client
            .query(sql, &[&active])
            .await
            .expect("query")
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        v.sort();
        v
    };
    let rewrapped = rows(
        "SELECT workspace_id, count(*) FROM credential_versions
          WHERE kek_id = $1 GROUP BY xmin::text, workspace_id",
    )
    .await;
    let events = rows(
        "SELECT workspace_id, (details->>'data_keys')::int8 FROM audit_events
          WHERE action = 'keys.rewrapped' AND details->>'to_kek_id' = $1",
    )
    .await;
    assert!(!rewrapped.is_empty());
    assert_eq!(
        events, rewrapped,
        "(workspace, keys) of the events and of each transaction's re-wrapped rows"
    );
}

/// Reads a running `keys rotate`'s progress lines until `done` keys are re-wrapped.
fn wait_for_progress(stderr: &mut impl BufRead, done: u64) -> u64 {
    let mut line = String::new();
    loop {
        line.clear();
        let n = stderr.read_line(&mut line).expect("read progress");
        assert!(n > 0, "the rotation ended before {done} keys");
        if let Some(progress) = line
            .strip_prefix("credvault: ")
            .and_then(|l| l.split_once('/'))
            .and_then(|(d, _)| d.parse::<u64>().ok())
        {
            if progress >= done {
                return progress;
            }
        }
    }
}

async fn keys_under(client: &tokio_postgres::Client, kek: &str) -> i64 {
    client
        .query_one(
            "SELECT count(*) FROM credential_versions WHERE kek_id = $1 AND wrapped_dek IS NOT NULL",
            &[&kek],
        )
        .await
        .expect("count")
        .get(0)
}

/// A `keys rotate` process killed (SIGKILL) after a few batches leaves those batches done; the
/// next run re-wraps exactly the rest, every version then opens with the new key alone, and
/// each batch of both runs left one event per workspace it touched.
#[tokio::test]
async fn keys_rotate_killed_mid_way_resumes_and_records_one_event_per_batch_and_workspace() {
    let db = TestDb::migrated().await;
    let client = db.client().await;
    for _ in 0..2 {
        seed_sealed_credentials(
            &client,
            &Envelope::new(Keyring::new(key(21).0, vec![])),
            1500,
        )
        .await
        .expect("seed");
    }
    let ((new, new_b64), (old, old_b64)) = (key(22), key(21));
    let env = [
        ("CREDVAULT_MASTER_KEY", new_b64.as_str()),
        ("CREDVAULT_RETIRED_KEYS", old_b64.as_str()),
    ];
    let mut first = Command::new(credvault_bin())
        .args(["keys", "rotate", "--batch-size", "70"])
        .env("DATABASE_URL", &db.url)
        .envs(env)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start keys rotate");
    let mut progress = std::io::BufReader::new(first.stderr.take().expect("stderr"));
    let seen = wait_for_progress(&mut progress, 700);
    first.kill().expect("SIGKILL");
    let status = first.wait().expect("wait");
    assert!(!status.success(), "killed, not finished ({seen} seen)");
    let left = keys_under(&client, old.id()).await;
    assert!(
        left > 0 && left <= 3000 - seen as i64,
        "the committed batches stay done: {left} left after {seen}"
    );

    let second = run_credvault(
        &db,
        &["keys", "rotate", "--batch-size", "70"],
        &env,
        &[],
        120,
    );
    assert!(second.status.success(), "{}", stderr_of(&second));
    assert!(
        stderr_of(&second).contains(&format!("done: {left} data keys re-wrapped")),
        "the second run re-wraps the rest: {}",
        stderr_of(&second)
    );
    assert_eq!(keys_under(&client, old.id()).await, 0);
    assert_eq!(keys_under(&client, new.id()).await, 3000);
    let new_only = Envelope::new(Keyring::new(key(22).0, vec![]));
    assert_eq!(open_all(&client, &new_only).await.expect("open"), (3000, 0));
    one_event_per_batch_and_workspace(&client, new.id()).await;
}

/// With the audit log refusing `keys.rewrapped`, `keys rotate` fails and re-wraps nothing;
/// with it writable again, it re-wraps everything.
#[tokio::test]
async fn keys_rotate_whose_audit_event_cannot_be_written_rewraps_nothing() {
    let db = TestDb::migrated().await;
    let client = db.client().await;
    seed_sealed_credentials(
        &client,
        &Envelope::new(Keyring::new(key(31).0, vec![])),
        120,
    )
    .await
    .expect("seed");
    let ((new, new_b64), (old, old_b64)) = (key(32), key(31));
    let env = [
        ("CREDVAULT_MASTER_KEY", new_b64.as_str()),
        ("CREDVAULT_RETIRED_KEYS", old_b64.as_str()),
    ];
    let args = ["keys", "rotate", "--batch-size", "50"];
    refuse_audit(&client, "keys.rewrapped").await;
    let refused = run_credvault(&db, &args, &env, &[], 60);
    assert!(!refused.status.success(), "{}", stderr_of(&refused));
    assert!(
        stderr_of(&refused).contains("audit log"),
        "{}",
        stderr_of(&refused)
    );
    assert_eq!(
        keys_under(&client, old.id()).await,
        120,
        "nothing re-wrapped"
    );
    accept_audit(&client).await;
    let done = run_credvault(&db, &args, &env, &[], 60);
    assert!(done.status.success(), "{}", stderr_of(&done));
    assert_eq!(keys_under(&client, new.id()).await, 120);
    one_event_per_batch_and_workspace(&client, new.id()).await;
}

/// Resolves served by a running server keep answering the right secrets while `keys rotate`
/// re-wraps the keys under them.
#[tokio::test]
async fn keys_rotate_under_resolve_traffic_keeps_every_resolve_right() {
    let db = TestDb::migrated().await;
    let ((new, new_b64), (old, old_b64)) = (key(42), key(41));
    let env = [
        ("CREDVAULT_MASTER_KEY", new_b64.as_str()),
        ("CREDVAULT_RETIRED_KEYS", old_b64.as_str()),
    ];
    let server = ServeProcess::start_with_env(&db, &env);
    assert!(server.ready(30).await, "the server starts");
    let app = TestApp {
        address: server.address.clone(),
        client: reqwest::Client::new(),
        db: TestDb {
            name: String::new(),
            url: db.url.clone(),
        },
    };
    let (signup, owner) = app.signup("ada@example.com").await;
    let ws = crate::helpers::uuid_at(&signup["workspace"]["id"]);
    let owner_id = crate::helpers::uuid_at(&signup["user"]["id"]);
    let engine = app.engine_token(&owner).await;
    let res = app
        .put_json_as(
            &engine,
            "/v1/workflows/wf-1",
            &json!({"name": "flow", "owner_id": owner_id, "credential_ids": []}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let client = db.client().await;
    let old_env = Envelope::new(Keyring::new(key(41).0, vec![]));
    let ids = seed_sealed_into(&client, &old_env, ws, owner_id, 2000)
        .await
        .expect("seed");
    let sample: Vec<(usize, uuid::Uuid)> = ids.iter().copied().enumerate().step_by(97).collect();

    let resolve = |i: usize, id: uuid::Uuid| {
        let (client, url, engine) = (app.client.clone(), app.address.clone(), engine.clone());
        async move {
            let res = client
                .post(format!("{url}/v1/credentials/{id}/resolve"))
                .bearer_auth(&engine)
                .json(&json!({"workflow_id": "wf-1"}))
                .send()
                .await
                .expect("resolve");
            let status = res.status();
            let body: Value = res.json().await.unwrap_or_default();
            assert_eq!(status, 200, "{body}");
            assert_eq!(body["data"]["key"], format!("seeded-secret-{i}"), "{body}");
        }
    };
    for &(i, id) in &sample {
        resolve(i, id).await;
    }

    let mut rotation = Command::new(credvault_bin())
        .args(["keys", "rotate", "--batch-size", "20"])
        .env("DATABASE_URL", &db.url)
        .envs(env)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start keys rotate");
    let started = Instant::now();
    let mut during = 0;
    let status = loop {
        let (i, id) = sample[during % sample.len()];
        resolve(i, id).await;
        during += 1;
        if let Some(status) = rotation.try_wait().expect("wait") {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the rotation finishes"
        );
    };
    let mut err = String::new();
    std::io::Read::read_to_string(&mut rotation.stderr.take().expect("stderr"), &mut err)
        .expect("stderr");
    assert!(status.success(), "{err}");
    let batches = err
        .lines()
        .filter(|l| l.contains("data keys re-wrapped ("))
        .count();
    assert!(
        during >= 5 && batches >= 50,
        "resolves ran throughout the rotation ({during} during {batches} batches)"
    );
    assert_eq!(keys_under(&client, old.id()).await, 0);
    for &(i, id) in &sample {
        resolve(i, id).await;
    }
    one_event_per_batch_and_workspace(&client, new.id()).await;
}

/// A `credvault serve` process with `env`, without the variables in `unset`.
fn serve_with(env: &[(&str, &str)], unset: &[&str]) -> (std::process::Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port");
    let mut cmd = Command::new(credvault_bin());
    cmd.arg("serve")
        .env("CREDVAULT_MASTER_KEY", TEST_MASTER_KEY)
        .env("CREDVAULT_BIND", format!("127.0.0.1:{port}"))
        .env("CREDVAULT_LOG_FORMAT", "json")
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for var in unset {
        cmd.env_remove(var);
    }
    (
        cmd.spawn().expect("start serve"),
        format!("http://127.0.0.1:{port}"),
    )
}

/// DATABASE_URL_FILE and CREDVAULT_JWT_SECRET_FILE are read from their files: the server
/// reaches the database the file names and signs sessions with the file's secret.
#[tokio::test]
async fn database_url_and_jwt_secret_are_read_from_their_files() {
    let db = TestDb::migrated().await;
    let dir = std::env::temp_dir().join(format!("credvault-files-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).expect("dir");
    let (url_file, jwt_file) = (dir.join("database-url"), dir.join("jwt-secret"));
    let secret = "a-jwt-secret-from-a-file-of-40-characters";
    std::fs::write(&url_file, format!("{}\n", db.url)).expect("write");
    std::fs::write(&jwt_file, format!("{secret}\n")).expect("write");
    let (child, address) = serve_with(
        &[
            ("DATABASE_URL_FILE", url_file.to_str().expect("path")),
            (
                "CREDVAULT_JWT_SECRET_FILE",
                jwt_file.to_str().expect("path"),
            ),
        ],
        &["DATABASE_URL", "CREDVAULT_JWT_SECRET"],
    );
    let server = ServeProcess {
        child,
        address,
        // Its output goes where `serve_with` sends it; there is no log file of its own.
        log: std::path::PathBuf::new(),
    };
    let ready = server.ready(30).await;
    let _ = std::fs::remove_dir_all(&dir);
    assert!(ready, "the server starts with its URL from the file");
    let app = TestApp {
        address: server.address.clone(),
        client: reqwest::Client::new(),
        db: TestDb {
            name: String::new(),
            url: db.url.clone(),
        },
    };
    let (_, token) = app.signup("ada@example.com").await;
    assert_eq!(app.get_as(&token, "/v1/me").await.status(), 200);
    let (signed, signature) = token.rsplit_once('.').expect("a JWT");
    let expected = credvault_crypto::hmac_sha256(secret.as_bytes(), signed.as_bytes());
    assert_eq!(
        signature,
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(*expected),
        "the session is signed with the file's secret"
    );
}

/// A `*_FILE` setting naming a missing or unreadable file stops start-up with one line that
/// names the variable.
#[tokio::test]
async fn a_missing_or_unreadable_secret_file_fails_start_up_with_one_line_naming_it() {
    let dir = std::env::temp_dir().join(format!("credvault-nofile-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).expect("dir");
    let missing = dir.join("missing");
    let db = TestDb::migrated().await;
    for var in [
        "DATABASE_URL_FILE",
        "CREDVAULT_JWT_SECRET_FILE",
        "CREDVAULT_RETIRED_KEYS_FILE",
    ] {
        let plain = var.trim_end_matches("_FILE");
        // A directory stands for an unreadable file: root reads any file, whatever its mode.
        for path in [&missing, &dir] {
            let (mut child, _) = serve_with(
                &[
                    ("DATABASE_URL", db.url.as_str()),
                    (var, path.to_str().expect("path")),
                ],
                &[plain],
            );
            let deadline = Instant::now() + Duration::from_secs(20);
            let status = loop {
                if let Some(s) = child.try_wait().expect("wait") {
                    break s;
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    panic!("serve with {var}={} did not stop", path.display());
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            };
            let mut err = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut err)
                .expect("stderr");
            assert!(!status.success(), "{var}: {err}");
            let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
            assert_eq!(lines.len(), 1, "{var}: one line: {err}");
            assert!(lines[0].contains(var), "{var}: named: {err}");
            assert!(
                lines[0].contains(&path.display().to_string()),
                "{var}: the file is named: {err}"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
