//! Support shared by the integration tests (`tests/api`) and the benchmarks (`examples/bench.rs`):
//! seeding data through the real crypto and schema.

pub mod latency;
pub mod softhsm;

use credvault_crypto::{Envelope, KekProvider};
use credvault_domain::sealing::secret_aad;
use tokio_postgres::Client;
use uuid::Uuid;

/// Creates a workspace holding `n` api_key credentials, each with one version sealed by
/// `envelope` under the AAD the service uses. Returns the workspace id.
pub async fn seed_sealed_credentials<P: KekProvider>(
    client: &Client,
    envelope: &Envelope<P>,
    n: usize,
) -> anyhow::Result<Uuid> {
    let ws = Uuid::now_v7();
    client
        .execute(
            "INSERT INTO workspaces (id, name) VALUES ($1, 'seeded')",
            &[&ws],
        )
        .await?;
    let owner = Uuid::now_v7();
    client
        .execute(
            "INSERT INTO users (workspace_id, id, email, display_name, role, password_hash)
             VALUES ($1, $2, $3, 'seeded owner', 'owner', 'not a hash')",
            &[&ws, &owner, &format!("seed-{owner}@example.com")],
        )
        .await?;
    seed_sealed_into(client, envelope, ws, owner, n).await?;
    Ok(ws)
}

/// Adds `n` sealed api_key credentials owned by `owner` to an existing workspace; returns their
/// ids.
pub async fn seed_sealed_into<P: KekProvider>(
    client: &Client,
    envelope: &Envelope<P>,
    ws: Uuid,
    owner: Uuid,
    n: usize,
) -> anyhow::Result<Vec<Uuid>> {
    let mut all = Vec::with_capacity(n);
    for chunk_start in (0..n).step_by(1000) {
        let count = 1000.min(n - chunk_start);
        let mut ids = Vec::with_capacity(count);
        let (mut keks, mut wrapped, mut nonces, mut cts) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for i in 0..count {
            let id = Uuid::now_v7();
            let secret = format!("{{\"key\":\"seeded-secret-{}\"}}", chunk_start + i);
            let sealed = envelope.seal(secret.as_bytes(), &secret_aad(ws, id, 1))?;
            ids.push(id);
            keks.push(sealed.kek_id);
            wrapped.push(sealed.wrapped_dek);
            nonces.push(sealed.nonce);
            cts.push(sealed.ciphertext);
        }
        client
            .execute(
                "INSERT INTO credentials (workspace_id, id, name, service, type, owner_id, current_version, config)
                 SELECT $1, id, 'seeded ' || id, 'seed', 'api_key', $2, 1,
                        '{\"placement\": \"header\", \"name\": \"Authorization\", \"prefix\": \"\"}'
                 FROM unnest($3::uuid[]) AS id",
                &[&ws, &owner, &ids],
            )
            .await?;
        client
            .execute(
                "INSERT INTO credential_versions (workspace_id, credential_id, version, kek_id, wrapped_dek, nonce, ciphertext, reason)
                 SELECT $1, id, 1, kek, w, nonce, ct, 'created'
                 FROM unnest($2::uuid[], $3::text[], $4::bytea[], $5::bytea[], $6::bytea[]) AS u(id, kek, w, nonce, ct)",
                &[&ws, &ids, &keks, &wrapped, &nonces, &cts],
            )
            .await?;
        all.extend(ids);
    }
    Ok(all)
}

/// Opens every live sealed version in the database with `envelope`; returns how many opened and
/// how many failed.
pub async fn open_all<P: KekProvider>(
    client: &Client,
    envelope: &Envelope<P>,
) -> anyhow::Result<(usize, usize)> {
    let rows = client
        .query(
            "SELECT workspace_id, credential_id, version, kek_id, wrapped_dek, nonce, ciphertext
             FROM credential_versions WHERE wrapped_dek IS NOT NULL",
            &[],
        )
        .await?;
    let (mut ok, mut bad) = (0, 0);
    for r in rows {
        let sealed = credvault_crypto::Sealed {
            kek_id: r.get(3),
            wrapped_dek: r.get(4),
            nonce: r.get(5),
            ciphertext: r.get(6),
        };
        match envelope.open(&sealed, &secret_aad(r.get(0), r.get(1), r.get(2))) {
            Ok(_) => ok += 1,
            Err(_) => bad += 1,
        }
    }
    Ok((ok, bad))
}

/// The PostgreSQL URL `base` with its database name replaced by `db` (query parameters kept).
pub fn with_db(base: &str, db: &str) -> String {
    let (main, query) = base
        .split_once('?')
        .map_or((base, String::new()), |(m, q)| (m, format!("?{q}")));
    let prefix = main.rsplit_once('/').map_or(main, |(p, _)| p);
    format!("{prefix}/{db}{query}")
}
