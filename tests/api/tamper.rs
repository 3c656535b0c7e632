//! Stored secrets altered in the database: a flipped byte of the ciphertext, the wrapped data
//! key or the nonce, or a sealed secret moved to another credential (its AAD binds the
//! credential id). The credential answers a clear problem+json, the operator is told in an error
//! log line naming the credential and no secret, and every other credential still resolves.

use serde_json::{json, Value};

use crate::helpers::{captured_logs, problem, TestApp};

async fn create(app: &TestApp, token: &str, name: &str, key: &str) -> String {
    let res = app
        .post_as(
            token,
            "/v1/credentials",
            &json!({"name": name, "service": "s", "type": "api_key", "data": {"key": key}}),
        )
        .await;
    assert_eq!(res.status(), 201);
    res.json::<Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .to_string()
}

/// The answer of a credential whose secret does not open: 500 problem+json saying so, no
/// internals.
async fn refuses(res: reqwest::Response, what: &str, secrets: &[&str]) {
    let (status, body) = problem(res).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (500, Some("internal_error")),
        "{what}: {body}"
    );
    let detail = body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("cannot be decrypted"), "{what}: {body}");
    let text = body.to_string();
    for s in secrets {
        assert!(!text.contains(s), "{what} shows a secret");
    }
    for internal in ["panicked", "aead", "Decrypt", "src/", "tokio_postgres"] {
        assert!(!text.contains(internal), "{what} shows internals: {body}");
    }
}

#[tokio::test]
async fn a_tampered_secret_is_refused_clearly_reported_and_harms_no_other_credential() {
    let app = TestApp::spawn().await;
    let (signup, owner) = app.signup("ada@example.com").await;
    let owner_id = signup["user"]["id"].as_str().expect("id").to_string();
    let engine = app.engine_token(&owner).await;
    // (name, column or "moved", the secret it held)
    let cases = [
        ("ciphertext", "sk_live_tamper_ct_0000001"),
        ("wrapped_dek", "sk_live_tamper_dek_000001"),
        ("nonce", "sk_live_tamper_nonce_00001"),
        ("moved", "sk_live_tamper_moved_00001"),
    ];
    let mut tampered = Vec::new();
    for (what, secret) in cases {
        tampered.push((what, create(&app, &owner, what, secret).await, secret));
    }
    let bystander_secret = "sk_live_tamper_bystander_01";
    let bystander = create(&app, &owner, "bystander", bystander_secret).await;
    let donor = create(&app, &owner, "donor", "sk_live_tamper_donor_00001").await;
    let mut all: Vec<String> = tampered.iter().map(|(_, id, _)| id.clone()).collect();
    all.extend([bystander.clone(), donor.clone()]);
    let res = app
        .put_json_as(
            &engine,
            "/v1/workflows/wf",
            &json!({"name": "wf", "owner_id": owner_id, "credential_ids": all}),
        )
        .await;
    assert_eq!(res.status(), 201);

    let db = app.db.client().await;
    for (what, id, _) in &tampered {
        let sql = match *what {
            "moved" => "UPDATE credential_versions v SET kek_id = d.kek_id, wrapped_dek = d.wrapped_dek, nonce = d.nonce, ciphertext = d.ciphertext
                        FROM credential_versions d
                        WHERE v.credential_id = $1::text::uuid AND d.credential_id = $2::text::uuid".to_string(),
            column => format!(
                "UPDATE credential_versions SET {column} = set_byte({column}, 2, get_byte({column}, 2) # 1)
                 WHERE credential_id = $1::text::uuid AND $2::text IS NOT NULL"
            ),
        };
        let n = db.execute(&sql, &[id, &donor]).await.expect("tamper");
        assert_eq!(n, 1, "{what}: one version altered");
    }

    let secrets: Vec<&str> = cases.iter().map(|(_, s)| *s).collect();
    for (what, id, _) in &tampered {
        let path = format!("/v1/credentials/{id}");
        refuses(
            app.post_as(
                &engine,
                &format!("{path}/resolve"),
                &json!({"workflow_id": "wf", "execution_id": "x"}),
            )
            .await,
            &format!("resolve of the {what}-tampered credential"),
            &secrets,
        )
        .await;
        refuses(
            app.get_as(&owner, &path).await,
            &format!("GET of the {what}-tampered credential"),
            &secrets,
        )
        .await;
        refuses(
            app.post_as(
                &owner,
                &format!("{path}/rotate"),
                &json!({"data": {"key": "sk_live_after_tamper_0001"}}),
            )
            .await,
            &format!("rotation of the {what}-tampered credential"),
            &secrets,
        )
        .await;
        // Reads that need no secret still answer: the credential can be found and replaced.
        assert_eq!(
            app.get_as(&owner, &format!("{path}/versions"))
                .await
                .status(),
            200
        );
    }
    assert_eq!(app.get_as(&owner, "/v1/credentials").await.status(), 200);

    // Reported: an error line per tampered credential, naming it, with no secret in any line.
    let logs = captured_logs();
    for (what, id, _) in &tampered {
        let line = logs
            .lines()
            .find(|l| l.contains("a stored secret does not open") && l.contains(id.as_str()))
            .unwrap_or_else(|| panic!("no log line reports the {what}-tampered credential {id}"));
        assert!(line.contains("\"ERROR\""), "{line}");
    }
    for s in secrets.iter().chain([&bystander_secret]) {
        assert!(!logs.contains(s), "a secret is in the logs");
    }

    // Nothing else is affected: the others resolve, in full, and a rotation of one works.
    for (other, secret) in [
        (&bystander, bystander_secret),
        (&donor, "sk_live_tamper_donor_00001"),
    ] {
        let res = app
            .post_as(
                &engine,
                &format!("/v1/credentials/{other}/resolve"),
                &json!({"workflow_id": "wf"}),
            )
            .await;
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.expect("json");
        assert_eq!(body["data"]["key"], secret);
    }
    let res = app
        .post_as(
            &owner,
            &format!("/v1/credentials/{bystander}/rotate"),
            &json!({"data": {"key": "sk_live_tamper_bystander_02"}}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let v: Value = app
        .get_as(&owner, "/v1/audit/verify")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(v["ok"], true, "the audit chain is untouched: {v}");
}
