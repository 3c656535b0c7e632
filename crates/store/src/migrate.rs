//! The migration runner: numbered SQL files from `migrations/`, each applied in its own
//! transaction together with its version row, under a PostgreSQL advisory lock so that several
//! instances starting at once apply each migration exactly once.

use deadpool_postgres::Pool;

use crate::StoreError;

/// One numbered migration.
pub struct Migration {
    pub version: i32,
    pub name: &'static str,
    pub sql: &'static str,
}

macro_rules! migrations {
    ($($version:literal => $file:literal),* $(,)?) => {
        &[$(Migration {
            version: $version,
            name: $file,
            sql: include_str!(concat!("../../../migrations/", $file)),
        }),*]
    };
}

/// Every migration, in order. A test checks that this list and the `migrations/` folder agree.
pub const MIGRATIONS: &[Migration] = migrations![
    1 => "0001_init.sql",
    2 => "0002_credentials.sql",
    3 => "0003_credential_access.sql",
    4 => "0004_workflows.sql",
    5 => "0005_audit_queries.sql",
    6 => "0006_audit_credential_action.sql",
    7 => "0007_oauth.sql",
    8 => "0008_list_by_name_covering.sql",
    9 => "0009_cache_notifications.sql",
    10 => "0010_search_statistics.sql",
    11 => "0011_audit_append.sql",
    12 => "0012_owner_references.sql",
    13 => "0013_version_destinations.sql",
    14 => "0014_events.sql",
    15 => "0015_audit_sequencer.sql",
    16 => "0016_audit_keyed_partitioned.sql",
    17 => "0017_sso.sql",
    18 => "0018_notify_after_commit.sql",
    19 => "0019_quiet_creates.sql",
    20 => "0020_cache_changes_by_transaction.sql",
];

/// The advisory-lock key taken while migrating ("credvaul" in ASCII).
const LOCK_KEY: i64 = 0x6372_6564_7661_756c;

/// The newest migration version this build knows.
pub fn latest_version() -> i32 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// Applies pending migrations; returns the versions this call applied (empty when another
/// instance got there first).
pub async fn run(pool: &Pool) -> Result<Vec<i32>, StoreError> {
    let mut client = pool.get().await?;
    // A session-level lock on one connection: whoever holds it migrates, the others wait and then
    // find nothing left to do.
    client
        .execute("SELECT pg_advisory_lock($1)", &[&LOCK_KEY])
        .await?;
    let result = apply_pending(&mut client).await;
    let unlock = client
        .execute("SELECT pg_advisory_unlock($1)", &[&LOCK_KEY])
        .await;
    let applied = result?;
    unlock?;
    Ok(applied)
}

async fn apply_pending(client: &mut deadpool_postgres::Object) -> Result<Vec<i32>, StoreError> {
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 version integer PRIMARY KEY,
                 name text NOT NULL,
                 applied_at timestamptz NOT NULL DEFAULT now()
             )",
        )
        .await?;
    // Every listed version not applied yet, in order: numbers are handed out to parallel work,
    // so a lower one may arrive in a later build than a higher one.
    let done: Vec<i32> = client
        .query("SELECT version FROM schema_migrations", &[])
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut applied = Vec::new();
    for m in MIGRATIONS.iter().filter(|m| !done.contains(&m.version)) {
        let tx = client.transaction().await?;
        let step = async {
            tx.batch_execute(m.sql).await?;
            tx.execute(
                "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                &[&m.version, &m.name],
            )
            .await?;
            tx.commit().await
        };
        step.await.map_err(|source| StoreError::Migration {
            version: m.version,
            name: m.name,
            source,
        })?;
        tracing::info!(version = m.version, name = m.name, "applied migration");
        applied.push(m.version);
    }
    Ok(applied)
}

/// The highest applied version, 0 on an empty database.
pub async fn current_version(
    client: &impl deadpool_postgres::GenericClient,
) -> Result<i32, StoreError> {
    let exists: bool = client
        .query_one("SELECT to_regclass('schema_migrations') IS NOT NULL", &[])
        .await?
        .get(0);
    if !exists {
        return Ok(0);
    }
    let row = client
        .query_one(
            "SELECT coalesce(max(version), 0) FROM schema_migrations",
            &[],
        )
        .await?;
    Ok(row.get(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migration_list_matches_the_migrations_folder() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../migrations");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n.ends_with(".sql"))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        let listed: Vec<String> = MIGRATIONS.iter().map(|m| m.name.to_string()).collect();
        assert_eq!(files, listed, "add new files in migrations/ to MIGRATIONS");
    }

    #[test]
    fn versions_are_increasing_and_match_file_numbers() {
        // Numbers are handed out to parallel branches ahead of time, so a branch may skip the
        // numbers of others not merged yet; once merged they are contiguous again.
        let mut last = 0;
        for m in MIGRATIONS {
            assert!(m.version > last, "{} after {last}", m.version);
            assert!(m.name.starts_with(&format!("{:04}_", m.version)));
            last = m.version;
        }
    }
}
