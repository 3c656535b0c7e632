//! The key-encryption key in a PKCS#11 token, against SoftHSM2 (`make test` installs it): every
//! use of the token here is a `credvault` process, each test with a token directory of its own
//! (SoftHSM2 reads SOFTHSM2_CONF once per process), so the tests run side by side.

use std::time::Duration;

use credvault_crypto::{Envelope, Keyring, MasterKey, Sealed};
use credvault_domain::sealing::secret_aad;
use credvault_tests::softhsm::SoftHsm;
use serde_json::{json, Value};

use crate::commands::status_lines;
use crate::helpers::{ServeProcess, TestApp, TestDb, TEST_MASTER_KEY};
use crate::promise_support::{run_credvault, stderr_of, stdout_of};

const TOKEN_KEK: &str = "pkcs11:credvault:kek";
const JWT: &str = "a-jwt-secret-for-the-hsm-tests-0123456789";

/// `credvault keys init-pkcs11`: the key generated in the token.
pub fn init_key(hsm: &SoftHsm, db: &TestDb) {
    let out = run_credvault(db, &["keys", "init-pkcs11"], &hsm.env(&[]), &[], 30);
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(
        stdout_of(&out).starts_with(&format!("created {TOKEN_KEK}")),
        "{}",
        stdout_of(&out)
    );
}

fn token() -> SoftHsm {
    SoftHsm::new().expect("a SoftHSM2 token")
}

fn app_on(address: &str, db: &TestDb) -> TestApp {
    TestApp {
        address: address.to_string(),
        client: reqwest::Client::new(),
        db: TestDb {
            name: String::new(),
            url: db.url.clone(),
        },
    }
}

/// A credential the workspace owner's workflow `wf` may resolve, created through `app`;
/// returns (engine token, credential id).
async fn resolvable_credential(app: &TestApp, secret: &str) -> (String, String) {
    let (signup, owner) = app.signup("ada@example.com").await;
    let owner_id = signup["user"]["id"].as_str().expect("owner id").to_string();
    let engine = app.engine_token(&owner).await;
    let created: Value = app
        .post_as(&owner, "/v1/credentials", &json!({"name": "Stripe", "service": "stripe", "type": "api_key", "data": {"key": secret}}))
        .await
        .json()
        .await
        .expect("json");
    let cred = created["id"].as_str().expect("credential id").to_string();
    let res = app
        .put_json_as(
            &engine,
            "/v1/workflows/wf",
            &json!({"name": "flow", "owner_id": owner_id, "credential_ids": [cred]}),
        )
        .await;
    assert_eq!(res.status(), 201);
    (engine, cred)
}

/// The secret that resolving `cred` through `address` hands out.
async fn resolved(address: &str, engine: &str, cred: &str) -> Value {
    let res = reqwest::Client::new()
        .post(format!("{address}/v1/credentials/{cred}/resolve"))
        .bearer_auth(engine)
        .json(&json!({"workflow_id": "wf"}))
        .send()
        .await
        .expect("resolve");
    assert_eq!(res.status(), 200);
    res.json::<Value>().await.expect("json")["data"]["key"].clone()
}

async fn kek_ids(db: &TestDb) -> Vec<(String, i64)> {
    db.client()
        .await
        .query(
            "SELECT kek_id, count(*) FROM credential_versions WHERE wrapped_dek IS NOT NULL
             GROUP BY kek_id ORDER BY kek_id",
            &[],
        )
        .await
        .expect("kek ids")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

fn master() -> MasterKey {
    MasterKey::from_base64(TEST_MASTER_KEY).expect("the test master key")
}

/// A server whose key-encryption key is in the token, started without any master key, seals
/// new credentials under the token's key and resolves them; someone with the database and the
/// master key (an old backup, a leaked environment) opens none of them: the master key knows
/// nothing of the token's id, and relabelling the row as the master key's own does not help.
#[tokio::test]
async fn a_pkcs11_server_seals_in_the_token_and_the_master_key_cannot_open_its_data_keys() {
    let db = TestDb::migrated().await;
    let hsm = token();
    init_key(&hsm, &db);
    let server = ServeProcess::start_with_env_unset(
        &db,
        &hsm.env(&[
            ("CREDVAULT_KEK_PROVIDER", "pkcs11"),
            ("CREDVAULT_JWT_SECRET", JWT),
        ]),
        &["CREDVAULT_MASTER_KEY"],
    );
    assert!(server.ready(30).await, "{}", server.logs());
    let app = app_on(&server.address, &db);
    let (engine, cred) = resolvable_credential(&app, "sk_live_sealed_in_the_token_01").await;
    assert_eq!(
        resolved(&server.address, &engine, &cred).await,
        "sk_live_sealed_in_the_token_01"
    );
    assert_eq!(kek_ids(&db).await, vec![(TOKEN_KEK.to_string(), 1)]);
    chain_keyed_and_signed_by_the_token(&app).await;

    // The attacker: every row of the database, and the master key.
    let client = db.client().await;
    let row = client
        .query_one(
            "SELECT workspace_id, credential_id, version, kek_id, wrapped_dek, nonce, ciphertext
             FROM credential_versions",
            &[],
        )
        .await
        .expect("the version");
    let sealed = Sealed {
        kek_id: row.get(3),
        wrapped_dek: row.get(4),
        nonce: row.get(5),
        ciphertext: row.get(6),
    };
    let aad = secret_aad(row.get(0), row.get(1), row.get(2));
    let with_master = Envelope::new(Keyring::new(master(), vec![]));
    assert!(matches!(
        with_master.open(&sealed, &aad),
        Err(credvault_crypto::CryptoError::UnknownKek(id)) if id == TOKEN_KEK
    ));
    let relabelled = Sealed {
        kek_id: master().id().to_string(),
        ..sealed
    };
    assert!(matches!(
        with_master.open(&relabelled, &aad),
        Err(credvault_crypto::CryptoError::Decrypt)
    ));
}

/// Without a master key the audit chain is keyed, and its checkpoints signed, by keys the token
/// derives: the chain verifies, and the checkpoint verifies under the published key, whose id
/// is the token key's.
async fn chain_keyed_and_signed_by_the_token(app: &TestApp) {
    let login: Value = app
        .login("ada@example.com", crate::helpers::PASSWORD)
        .await
        .json()
        .await
        .expect("json");
    let owner = login["access_token"]
        .as_str()
        .or(login["tokens"]["access_token"].as_str())
        .expect("access token");
    let v: Value = app
        .get_as(owner, "/v1/audit/verify")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(v["ok"], true, "{v}");
    assert!(v["events_checked"].as_i64() > Some(2), "{v}");
    let cp: Value = app
        .get_as(owner, "/v1/audit/checkpoint")
        .await
        .json()
        .await
        .expect("json");
    let pk: Value = app
        .get_as(owner, "/v1/audit/public-key")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(pk["key_id"], TOKEN_KEK, "{pk}");
    let b64 = |v: &Value| {
        base64::Engine::decode(
            &base64::engine::general_purpose::STANDARD,
            v.as_str().expect("base64"),
        )
        .expect("base64")
    };
    let msg = format!(
        "credvault-audit-checkpoint:v1:{}:{}:{}:{}",
        cp["workspace_id"].as_str().expect("ws"),
        cp["seq"],
        cp["hash"].as_str().expect("hash"),
        cp["at"].as_str().expect("at")
    );
    assert!(credvault_crypto::verify_ed25519(
        &b64(&pk["public_key"]),
        msg.as_bytes(),
        &b64(&cp["signature"])
    ));
}

/// A wrong PIN, a key label the token lacks, a module that is not there, a missing JWT secret
/// and an unknown provider each stop `serve` before it listens: a non-zero exit and one line
/// naming the variable at fault, no panic.
#[tokio::test]
async fn a_wrong_pin_key_label_or_module_stops_start_up_with_one_line_naming_the_variable() {
    let db = TestDb::migrated().await;
    let hsm = token();
    init_key(&hsm, &db);
    let pkcs11 = ("CREDVAULT_KEK_PROVIDER", "pkcs11");
    let jwt = ("CREDVAULT_JWT_SECRET", JWT);
    let cases: [(Vec<(&str, &str)>, &str); 5] = [
        (
            hsm.env(&[pkcs11, jwt, ("CREDVAULT_PKCS11_PIN", "9999")]),
            "CREDVAULT_PKCS11_PIN: the token refused the PIN",
        ),
        (
            hsm.env(&[pkcs11, jwt, ("CREDVAULT_PKCS11_KEY_LABEL", "no-such-key")]),
            "CREDVAULT_PKCS11_KEY_LABEL: no AES key labelled \"no-such-key\"",
        ),
        (
            hsm.env(&[
                pkcs11,
                jwt,
                ("CREDVAULT_PKCS11_MODULE", "/nonexistent/libpkcs11.so"),
            ]),
            "CREDVAULT_PKCS11_MODULE: cannot load the PKCS#11 module /nonexistent/libpkcs11.so",
        ),
        (hsm.env(&[pkcs11]), "CREDVAULT_JWT_SECRET: not set"),
        (
            hsm.env(&[("CREDVAULT_KEK_PROVIDER", "kms"), jwt]),
            "CREDVAULT_KEK_PROVIDER: must be local or pkcs11",
        ),
    ];
    for (env, expected) in cases {
        let out = run_credvault(
            &db,
            &["serve", "--bind", "127.0.0.1:0"],
            &env,
            &["CREDVAULT_MASTER_KEY"],
            30,
        );
        let stderr = stderr_of(&out);
        assert!(!out.status.success(), "{expected}: it started");
        assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
        assert!(stderr.contains(expected), "{expected:?} in {stderr}");
        assert!(
            !stderr.contains("panicked") && !stderr.contains("1234"),
            "{stderr}"
        );
    }
}

/// Data keys wrapped by the master key of `credvault keys rotate`, from one to the other.
fn rotate(db: &TestDb, env: &[(&str, &str)]) -> std::process::Output {
    let out = run_credvault(
        db,
        &["keys", "rotate", "--batch-size", "500"],
        env,
        &[],
        120,
    );
    assert!(out.status.success(), "{}", stderr_of(&out));
    out
}

/// `keys rotate` moves every data key from the master key into the token (resuming after the
/// process is killed in the middle), a pkcs11 server without the master key resolves what was
/// sealed before, `keys status` counts the keys per provider, and rotating back with the local
/// provider leaves everything opening with the master key alone.
#[tokio::test]
async fn rotate_moves_data_keys_into_the_token_and_back_resumably_and_status_counts_them() {
    let db = TestDb::migrated().await;
    let hsm = token();
    init_key(&hsm, &db);
    let local = ServeProcess::start(&db);
    assert!(local.ready(30).await, "{}", local.logs());
    let (engine, cred) =
        resolvable_credential(&app_on(&local.address, &db), "sk_live_moved_to_the_token").await;
    drop(local);
    let client = db.client().await;
    credvault_tests::seed_sealed_credentials(
        &client,
        &Envelope::new(Keyring::new(master(), vec![])),
        1200,
    )
    .await
    .expect("seed");
    let master_id = master().id().to_string();
    assert_eq!(kek_ids(&db).await, vec![(master_id.clone(), 1201)]);

    // Into the token, killed after its first batch of 500: the 701st key is held, so the
    // second batch waits there.
    let mut holder = db.client().await;
    let hold = holder.transaction().await.expect("begin");
    crate::keys::hold_data_key(&hold, 700).await;
    let into_token = hsm.env(&[("CREDVAULT_KEK_PROVIDER", "pkcs11")]);
    let mut first = std::process::Command::new(crate::helpers::credvault_bin());
    first
        .args(["keys", "rotate", "--batch-size", "500"])
        .env("DATABASE_URL", &db.url)
        .env("CREDVAULT_MASTER_KEY", TEST_MASTER_KEY)
        .envs(into_token.iter().copied())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut first = first.spawn().expect("start keys rotate");
    let mut moved = 0;
    for _ in 0..300 {
        moved = kek_ids(&db)
            .await
            .iter()
            .find(|(k, _)| k == TOKEN_KEK)
            .map_or(0, |(_, n)| *n);
        if moved == 500 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(moved, 500, "the first batch committed");
    tokio::time::sleep(Duration::from_millis(300)).await;
    first.kill().expect("kill");
    first.wait().expect("wait");
    hold.rollback().await.expect("release");
    let second = rotate(&db, &into_token);
    assert!(
        stderr_of(&second).contains("done: 701 data keys re-wrapped"),
        "the second run re-wraps only what is left: {}",
        stderr_of(&second)
    );
    assert_eq!(kek_ids(&db).await, vec![(TOKEN_KEK.to_string(), 1201)]);

    // Status, both keys configured: per key and per provider.
    let status = run_credvault(&db, &["keys", "status"], &into_token, &[], 30);
    assert!(status.status.success(), "{}", stderr_of(&status));
    let text = stdout_of(&status);
    let mut lines = status_lines(&text);
    lines.sort();
    assert_eq!(
        lines,
        vec![
            (
                master_id.clone(),
                0,
                "retired (wraps nothing: safe to remove)".to_string()
            ),
            (TOKEN_KEK.to_string(), 1201, "active".to_string()),
        ],
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("pkcs11   pkcs11:credvault:kek")),
        "{text}"
    );
    assert!(
        text.trim_end()
            .ends_with("local: 0 data keys, pkcs11: 1201 data keys"),
        "{text}"
    );
    // Without the token's settings, its keys are named as missing, with what to set.
    let blind = run_credvault(&db, &["keys", "status"], &[], &[], 30);
    assert!(!blind.status.success());
    assert!(
        stdout_of(&blind).contains("NOT IN THE KEYRING: set CREDVAULT_PKCS11_MODULE"),
        "{}",
        stdout_of(&blind)
    );

    // A pkcs11 server without the master key resolves the credential sealed before.
    let token_only = ServeProcess::start_with_env_unset(
        &db,
        &hsm.env(&[
            ("CREDVAULT_KEK_PROVIDER", "pkcs11"),
            ("CREDVAULT_JWT_SECRET", JWT),
        ]),
        &["CREDVAULT_MASTER_KEY"],
    );
    assert!(token_only.ready(30).await, "{}", token_only.logs());
    assert_eq!(
        resolved(&token_only.address, &engine, &cred).await,
        "sk_live_moved_to_the_token"
    );
    drop(token_only);

    // And back: the local provider with the token kept for unwrapping.
    let back = rotate(&db, &hsm.env(&[]));
    assert!(
        stderr_of(&back).contains("done: 1201 data keys re-wrapped"),
        "{}",
        stderr_of(&back)
    );
    assert_eq!(kek_ids(&db).await, vec![(master_id, 1201)]);
    let (ok, bad) =
        credvault_tests::open_all(&client, &Envelope::new(Keyring::new(master(), vec![])))
            .await
            .expect("open all");
    assert_eq!((ok, bad), (1201, 0));
    let local = ServeProcess::start(&db);
    assert!(local.ready(30).await, "{}", local.logs());
    assert_eq!(
        resolved(&local.address, &engine, &cred).await,
        "sk_live_moved_to_the_token"
    );
}
