//! Cache invalidations waiting to be announced (migration 0018): the triggers write them in the
//! changing transaction; the audit sequencer moves them to `NOTIFY` in its own transaction.

use deadpool_postgres::GenericClient;

use crate::StoreError;

/// Past this many distinct invalidations in one relay, a single `all` is sent instead.
const MAX_NAMED: i64 = 1000;

/// Deletes the committed invalidations (skipping rows another transaction holds: the sequencer
/// never waits here, and a row left behind turns the caches off, see `OldestChange`) and notifies `channel` of each distinct one (or of `all`
/// past `MAX_NAMED`), delivered when the caller's transaction commits; returns how many
/// notifications it sent.
pub async fn relay(c: &impl GenericClient, channel: &str) -> Result<i64, StoreError> {
    let stmt = c
        .prepare_cached(
            "WITH gone AS (DELETE FROM cache_changes WHERE id IN
                               (SELECT id FROM cache_changes FOR UPDATE SKIP LOCKED)
                           RETURNING payload),
                  named AS (SELECT DISTINCT payload FROM gone),
                  n AS (SELECT count(*) AS k FROM named)
             SELECT count(pg_notify($1, x.p)) FROM (
                 SELECT payload AS p FROM named, n WHERE n.k <= $2
                 UNION ALL SELECT 'all' FROM n WHERE n.k > $2
             ) x",
        )
        .await?;
    Ok(c.query_one(&stmt, &[&channel, &MAX_NAMED]).await?.get(0))
}

/// Announces (`NOTIFY channel`, one per distinct payload) and deletes the invalidations written
/// by these committed transactions (`xids`, from `pg_current_xact_id()`), in a transaction of
/// its own that does not wait for a flush: PostgreSQL takes its notify lock for the commit, and
/// a lost deletion only means the sequencer announces them again. Rows the sequencer is
/// announcing meanwhile are waited for (its commit announces them). Returns how many it sent.
pub async fn announce(
    c: &deadpool_postgres::Client,
    channel: &str,
    xids: &[i64],
) -> Result<u64, StoreError> {
    if xids.is_empty() {
        return Ok(0);
    }
    // Prepared first (once per connection), so that the three requests below go out together,
    // in order, in one round trip; the statement is not planned again each time.
    let stmt = c
        .prepare_cached(
            "WITH gone AS (DELETE FROM cache_changes WHERE xid = ANY($1::bigint[]) RETURNING payload)
             SELECT pg_notify($2, p) FROM (SELECT DISTINCT payload AS p FROM gone) d",
        )
        .await?;
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 2] = [&xids, &channel];
    let ((), rows, ()) = tokio::try_join!(
        c.batch_execute("BEGIN; SET LOCAL synchronous_commit TO off"),
        c.query(&stmt, &params),
        c.batch_execute("COMMIT"),
    )?;
    Ok(rows.len() as u64)
}

/// The oldest invalidation not yet relayed, asked on a listening connection (outside any
/// pool), prepared once per connection.
pub struct OldestChange(tokio_postgres::Statement);

impl OldestChange {
    pub async fn prepare(c: &tokio_postgres::Client) -> Result<OldestChange, StoreError> {
        Ok(OldestChange(
            c.prepare("SELECT id FROM cache_changes ORDER BY id LIMIT 1")
                .await?,
        ))
    }

    pub async fn get(&self, c: &tokio_postgres::Client) -> Result<Option<i64>, StoreError> {
        Ok(c.query_opt(&self.0, &[]).await?.map(|r| r.get(0)))
    }
}
