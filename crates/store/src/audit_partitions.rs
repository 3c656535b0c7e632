//! The audit log's month partitions (migration 0016): created ahead, dropped whole by retention.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use deadpool_postgres::GenericClient;
use uuid::Uuid;

use crate::StoreError;

/// Creates the missing month partitions from the month of `from` up to `to`; returns how many.
pub async fn ensure(
    c: &impl GenericClient,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<i32, StoreError> {
    Ok(
        c.query_one("SELECT audit_ensure_partitions($1, $2)", &[&from, &to])
            .await?
            .get(0),
    )
}

/// A month partition: its table and the months it holds, `[from, to)`.
#[derive(Debug, Clone)]
pub struct Month {
    pub table: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// The month partitions, oldest first.
pub async fn months(c: &impl GenericClient) -> Result<Vec<Month>, StoreError> {
    let rows = c
        .query(
            "SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
             WHERE i.inhparent = 'audit_events'::regclass AND c.relname ~ '^audit_events_p[0-9]{6}$'
             ORDER BY 1",
            &[],
        )
        .await?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            let table: String = r.get(0);
            let ym = table.strip_prefix("audit_events_p")?;
            let (y, m) = (ym.get(..4)?.parse().ok()?, ym.get(4..)?.parse().ok()?);
            let from = NaiveDate::from_ymd_opt(y, m, 1)?;
            let to = if m == 12 {
                NaiveDate::from_ymd_opt(y + 1, 1, 1)?
            } else {
                NaiveDate::from_ymd_opt(y, m + 1, 1)?
            };
            let at =
                |d: NaiveDate| Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default());
            Some(Month {
                from: at(from),
                to: at(to),
                table,
            })
        })
        .collect())
}

/// The last chained event of each workspace in a month (seq, hash), and how many of its events
/// are not chained yet.
pub async fn last_of_each(
    c: &impl GenericClient,
    month: &Month,
) -> Result<(Vec<(Uuid, i64, Vec<u8>)>, i64), StoreError> {
    let t = &month.table;
    let rows = c
        .query(
            &format!(
                "SELECT DISTINCT ON (workspace_id) workspace_id, seq, hash FROM {t}
                 WHERE seq IS NOT NULL ORDER BY workspace_id, seq DESC"
            ),
            &[],
        )
        .await?;
    let unchained: i64 = c
        .query_one(&format!("SELECT count(*) FROM {t} WHERE seq IS NULL"), &[])
        .await?
        .get(0);
    Ok((
        rows.iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect(),
        unchained,
    ))
}

/// Drops a month's partition with its events.
pub async fn drop(c: &impl GenericClient, month: &Month) -> Result<(), StoreError> {
    c.batch_execute(&format!("DROP TABLE {}", month.table))
        .await?;
    Ok(())
}

/// Every event of a month, chained ones in chain order per workspace, for an archive.
pub async fn events(
    c: &impl GenericClient,
    month: &Month,
) -> Result<Vec<crate::audit::StoredEvent>, StoreError> {
    let rows = c
        .query(
            &format!(
                "SELECT {} FROM {} WHERE seq IS NOT NULL ORDER BY workspace_id, seq",
                crate::audit::EVENT_COLS,
                month.table
            ),
            &[],
        )
        .await?;
    Ok(rows.iter().map(crate::audit::event).collect())
}
