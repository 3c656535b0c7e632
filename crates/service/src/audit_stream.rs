//! The audit stream: an export that, once through the backlog, follows the chain — woken by the
//! instance's LISTEN connection (`audit_hub`), never by polling — and says it is alive with an
//! idle beat. It reads the log by seq after the last event it wrote, so a slow follower costs no
//! buffer (it reads on from the database) and a client reconnecting with the last seq it saw
//! loses and repeats nothing. Followers of a workspace woken together share one read
//! (`audit_tail`).

use std::time::{Duration, Instant};

use crate::audit_hub::Follower;
use crate::audit_log::Export;
use crate::audit_tail::Rows;
use crate::{Principal, ServiceError, Services};

/// What the stream writes next.
pub enum Next {
    /// Events after the last written, oldest first (shared by followers woken together).
    Events(Rows),
    /// Nothing for a heartbeat interval.
    Idle,
    /// The export is complete (not following).
    End,
}

pub struct AuditStream {
    export: Export,
    /// What the export selects, as followers sharing a read compare it.
    key: String,
    after: i64,
    follower: Option<Follower>,
    heartbeat: Duration,
    /// When the log was last read for this follower.
    read_at: Option<Instant>,
}

/// A follower woken more often reads at most once per this (events chained meanwhile come in
/// one page), so a workspace busy with resolves costs each follower a bounded number of reads.
const READ_EVERY: Duration = Duration::from_millis(50);

/// A stream of the events `export` matches after `after_seq`; following the chain when asked
/// (within the per-workspace limit of followers: 429 beyond it).
pub fn open(
    services: &Services,
    caller: &Principal,
    export: Export,
    after_seq: Option<i64>,
    follow: bool,
) -> Result<AuditStream, ServiceError> {
    if after_seq.is_some_and(|s| s < 0) {
        return Err(ServiceError::invalid("after_seq must be 0 or more"));
    }
    // Following starts before the backlog is read, so nothing chained meanwhile is missed.
    let follower = match follow {
        true => Some(services.hub.follow(caller.workspace_id)?),
        false => None,
    };
    Ok(AuditStream {
        key: export.key(),
        export,
        after: after_seq.unwrap_or(0),
        follower,
        heartbeat: services.events.heartbeat,
        read_at: None,
    })
}

impl AuditStream {
    /// The next thing to write.
    pub async fn next(&mut self, services: &Services) -> Result<Next, ServiceError> {
        loop {
            if let Some(wait) = self
                .read_at
                .map(|at| READ_EVERY.saturating_sub(at.elapsed()))
            {
                tokio::time::sleep(wait).await;
            }
            self.read_at = Some(Instant::now());
            let rows = match &self.follower {
                // Shared with the workspace's other followers woken for the same events.
                Some(f) => {
                    let (export, after) = (&self.export, self.after);
                    f.page(&self.key, after, || export.page(services, after))
                        .await?
                }
                None => Rows::new(self.export.page(services, self.after).await?),
            };
            if let Some(last) = rows.events().last() {
                self.after = last.seq;
                return Ok(Next::Events(rows));
            }
            let Some(follower) = self.follower.as_mut() else {
                return Ok(Next::End);
            };
            if tokio::time::timeout(self.heartbeat, follower.woken())
                .await
                .is_err()
            {
                return Ok(Next::Idle);
            }
        }
    }
}
