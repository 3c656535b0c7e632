//! The audit log's months: partitions created ahead, and retention, which drops whole months
//! past `CREDVAULT_AUDIT_RETENTION_DAYS` after recording, in each workspace's chain, a
//! checkpoint event naming the last event dropped (its seq and hash), from which `verify` starts.

use chrono::{DateTime, Duration, Utc};
use credvault_domain::audit::at_text;
use credvault_store::audit_partitions::{self as store, Month};

use crate::audit::{Actor, Event, Origin};
use crate::audit_checkpoint::hex;
use crate::{ServiceError, Services};

/// The action of a retention checkpoint.
pub const CHECKPOINT_ACTION: &str = "audit.retention_checkpoint";
/// Months created ahead of now.
const MONTHS_AHEAD: i64 = 3;

/// What one run did.
#[derive(Debug, Default)]
pub struct Maintained {
    pub created: i32,
    pub dropped: Vec<String>,
}

fn system() -> Actor {
    Actor {
        kind: "system",
        id: None,
        display: Some("credvault".into()),
        user_id: None,
    }
}

/// Creates the coming months' partitions and, with `retention_days`, drops the months that
/// ended more than that many days before `now`, oldest first.
pub async fn maintain(
    services: &Services,
    retention_days: Option<u32>,
    now: DateTime<Utc>,
) -> Result<Maintained, ServiceError> {
    let client = services.pool.get().await?;
    let mut done = Maintained {
        created: store::ensure(
            &client,
            now - Duration::days(31),
            now + Duration::days(31 * MONTHS_AHEAD),
        )
        .await?,
        ..Default::default()
    };
    let Some(days) = retention_days else {
        return Ok(done);
    };
    let cutoff = now - Duration::days(i64::from(days));
    for month in store::months(&client).await? {
        if month.to > cutoff {
            break;
        }
        if !checkpoint(services, &month).await? {
            break;
        }
        store::drop(&client, &month).await?;
        tracing::info!(partition = %month.table, "dropped a month of audit events past retention");
        done.dropped.push(month.table);
    }
    Ok(done)
}

/// Records a checkpoint in every workspace with events in `month` and waits until they are
/// chained; false (drop nothing) while some of the month's events are not chained yet.
async fn checkpoint(services: &Services, month: &Month) -> Result<bool, ServiceError> {
    let mut client = services.pool.get().await?;
    let (lasts, unchained) = store::last_of_each(&client, month).await?;
    if unchained > 0 {
        return Ok(false);
    }
    let (written, ords) = services
        .chain
        .collect(async {
            let tx = client.transaction().await?;
            for (ws, seq, hash) in &lasts {
                let event = Event::new(CHECKPOINT_ACTION)
                    .detail("through_seq", *seq)
                    .detail("through_hash", hex(hash))
                    .detail("partition", month.table.clone())
                    .detail("before", at_text(month.to));
                crate::audit::record(&tx, *ws, &system(), &Origin::default(), event).await?;
            }
            tx.commit().await?;
            Ok::<_, ServiceError>(())
        })
        .await;
    written?;
    Ok(services.chain.wait(&ords).await)
}
