//! Where the sequencer's next batch looks for unchained events.

use credvault_store::audit_chain::{self as store, Unchained};

use super::{BACKLOG_BATCH, BATCH};

/// How far behind the last event linked a backlog's next look starts.
const LATE_COMMITS: i64 = 20_000;

/// Where the next batch looks for unchained events: after the last one linked while the
/// sequencer is behind (its last batch was full), from the start once it has caught up (see
/// `store::unchained`).
#[derive(Default)]
pub(super) struct Backlog {
    after: i64,
}

impl Backlog {
    pub(super) fn behind(&self) -> bool {
        self.after > 0
    }

    /// The batch's events, and where the next one starts.
    pub(super) async fn next(
        &mut self,
        tx: &impl deadpool_postgres::GenericClient,
    ) -> anyhow::Result<Vec<Unchained>> {
        let limit = if self.behind() { BACKLOG_BATCH } else { BATCH };
        // A little before the last event linked: one whose transaction inserted it earlier but
        // committed later is linked in its place, not after the backlog (the entries walked again
        // are few: rows linked in the last batches).
        let from = (self.after - LATE_COMMITS).max(0);
        let mut rows = store::unchained(tx, from, limit).await?;
        if self.behind() && (rows.len() as i64) < limit {
            rows = store::unchained(tx, 0, limit).await?;
        }
        self.after = match rows.last() {
            Some(last) if rows.len() as i64 == limit => last.ord,
            _ => 0,
        };
        Ok(rows)
    }
}
