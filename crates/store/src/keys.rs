//! The wrapped data keys of credential versions, for key rotation and `keys status`.

use deadpool_postgres::GenericClient;
use uuid::Uuid;

use crate::StoreError;

/// Where one wrapped DEK lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct VersionKey {
    pub workspace_id: Uuid,
    pub credential_id: Uuid,
    pub version: i32,
}

impl VersionKey {
    /// Before every real key, to start a walk.
    pub const START: VersionKey = VersionKey {
        workspace_id: Uuid::nil(),
        credential_id: Uuid::nil(),
        version: i32::MIN,
    };
}

pub struct WrappedKey {
    pub at: VersionKey,
    pub kek_id: String,
    pub wrapped_dek: Vec<u8>,
}

/// How many live (not shredded) DEKs each KEK wraps.
pub async fn count_by_kek(client: &impl GenericClient) -> Result<Vec<(String, i64)>, StoreError> {
    let rows = client
        .query(
            "SELECT kek_id, count(*) FROM (
               SELECT kek_id FROM credential_versions WHERE wrapped_dek IS NOT NULL
               UNION ALL SELECT kek_id FROM sso_configs
               UNION ALL SELECT kek_id FROM webhooks) k
             GROUP BY kek_id ORDER BY kek_id",
            &[],
        )
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// The next `limit` wrapped DEKs after `after` (in primary-key order) not under `active`.
pub async fn next_not_under(
    client: &impl GenericClient,
    active: &str,
    after: VersionKey,
    limit: i64,
) -> Result<Vec<WrappedKey>, StoreError> {
    let stmt = client
        .prepare_cached(
            "SELECT workspace_id, credential_id, version, kek_id, wrapped_dek FROM credential_versions
             WHERE (workspace_id, credential_id, version) > ($2, $3, $4)
               AND kek_id <> $1 AND wrapped_dek IS NOT NULL
             ORDER BY workspace_id, credential_id, version
             LIMIT $5",
        )
        .await?;
    let rows = client
        .query(
            &stmt,
            &[
                &active,
                &after.workspace_id,
                &after.credential_id,
                &after.version,
                &limit,
            ],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| WrappedKey {
            at: VersionKey {
                workspace_id: r.get(0),
                credential_id: r.get(1),
                version: r.get(2),
            },
            kek_id: r.get(3),
            wrapped_dek: r.get(4),
        })
        .collect())
}

/// Stores re-wrapped DEKs under `new_kek`, each only if its row still holds the DEK it was read
/// with (a concurrent purge or rotation wins). Returns (workspace, the KEK that wrapped it
/// before) for each row changed.
pub async fn replace_wrapped(
    client: &impl GenericClient,
    new_kek: &str,
    rewrapped: &[(WrappedKey, Vec<u8>)],
) -> Result<Vec<(Uuid, String)>, StoreError> {
    let mut ws = Vec::with_capacity(rewrapped.len());
    let mut ids = Vec::with_capacity(rewrapped.len());
    let mut versions = Vec::with_capacity(rewrapped.len());
    let mut old = Vec::with_capacity(rewrapped.len());
    let mut old_kek = Vec::with_capacity(rewrapped.len());
    let mut new = Vec::with_capacity(rewrapped.len());
    for (k, w) in rewrapped {
        ws.push(k.at.workspace_id);
        ids.push(k.at.credential_id);
        versions.push(k.at.version);
        old.push(k.wrapped_dek.as_slice());
        old_kek.push(k.kek_id.as_str());
        new.push(w.as_slice());
    }
    let stmt = client
        .prepare_cached(
            "UPDATE credential_versions v SET kek_id = $1, wrapped_dek = u.new
             FROM unnest($2::uuid[], $3::uuid[], $4::int4[], $5::bytea[], $6::bytea[], $7::text[])
                  AS u(ws, id, ver, old, new, old_kek)
             WHERE v.workspace_id = u.ws AND v.credential_id = u.id AND v.version = u.ver
               AND v.wrapped_dek = u.old
             RETURNING u.ws, u.old_kek",
        )
        .await?;
    let rows = client
        .query(
            &stmt,
            &[&new_kek, &ws, &ids, &versions, &old, &new, &old_kek],
        )
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// A table whose rows each hold one sealed secret beside the credentials: the SSO client secret
/// (one per workspace) and the webhooks' signing secrets. `keys rotate` re-wraps them after the
/// credential versions.
#[derive(Clone, Copy, Debug)]
pub enum SealedSetting {
    SsoClientSecret,
    WebhookSecret,
}

impl SealedSetting {
    pub const ALL: [SealedSetting; 2] =
        [SealedSetting::SsoClientSecret, SealedSetting::WebhookSecret];

    /// What it is, for messages.
    pub fn what(self) -> &'static str {
        match self {
            SealedSetting::SsoClientSecret => "SSO client secret",
            SealedSetting::WebhookSecret => "webhook secret",
        }
    }

    fn table(self) -> &'static str {
        match self {
            SealedSetting::SsoClientSecret => "sso_configs",
            SealedSetting::WebhookSecret => "webhooks",
        }
    }
}

/// The (workspace, wrapped key's id, wrapped key) of every `setting` row not under `active`.
pub async fn settings_not_under(
    c: &impl GenericClient,
    setting: SealedSetting,
    active: &str,
) -> Result<Vec<(Uuid, String, Vec<u8>)>, StoreError> {
    let sql = format!(
        "SELECT workspace_id, kek_id, wrapped_dek FROM {} WHERE kek_id <> $1",
        setting.table()
    );
    let rows = c.query(&sql, &[&active]).await?;
    Ok(rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect())
}

/// Stores a re-wrapped data key in place of `old` (its wrapped bytes identify the row), unless
/// the row changed since `old` was read.
pub async fn replace_setting_wrapped(
    c: &impl GenericClient,
    setting: SealedSetting,
    ws: Uuid,
    old: &[u8],
    kek_id: &str,
    wrapped: &[u8],
) -> Result<bool, StoreError> {
    let sql = format!(
        "UPDATE {} SET kek_id = $3, wrapped_dek = $4 WHERE workspace_id = $1 AND wrapped_dek = $2",
        setting.table()
    );
    Ok(c.execute(&sql, &[&ws, &old, &kek_id, &wrapped]).await? > 0)
}
