use super::*;
use chrono::TimeZone;

/// A former with one batch of `running` events in flight, and its channel.
async fn busy_former(
    running: usize,
) -> (
    Former,
    tokio::sync::OwnedSemaphorePermit,
    mpsc::Sender<usize>,
    mpsc::Receiver<usize>,
) {
    let former = Former::default();
    let (tx, mut rx) = mpsc::channel(1024);
    for i in 0..running {
        tx.send(i).await.unwrap();
    }
    let (slot, batch) = former.next(&mut rx).await.unwrap();
    assert_eq!(
        batch.len(),
        running,
        "nothing else ran: the first batch goes at once"
    );
    (former, slot, tx, rx)
}

#[tokio::test]
async fn a_batch_goes_at_once_when_the_connection_is_idle() {
    let (former, slot, tx, mut rx) = busy_former(8).await;
    former.finished(slot, 8);
    // Fewer requests wait than the last batch released, but nothing runs: no waiting.
    tx.send(1).await.unwrap();
    tx.send(2).await.unwrap();
    let (_, batch) = tokio::time::timeout(Duration::from_secs(5), former.next(&mut rx))
        .await
        .expect("an idle connection takes the batch at once")
        .unwrap();
    assert_eq!(batch, [1, 2]);
}

#[tokio::test]
async fn while_a_batch_runs_the_next_fills_with_the_requests_coming_back() {
    let (former, running, tx, mut rx) = busy_former(3).await;
    former.last_size.store(4, Ordering::Relaxed);
    tx.send(1).await.unwrap();
    let late = tokio::spawn(async move {
        for i in 2..=5 {
            tokio::time::sleep(Duration::from_millis(20)).await;
            tx.send(i).await.unwrap();
        }
    });
    let (_, batch) = former.next(&mut rx).await.unwrap();
    assert_eq!(
        batch,
        [1, 2, 3, 4],
        "it waited for as many as the last batch released"
    );
    late.await.unwrap();
    drop(running);
}

#[tokio::test]
async fn a_batch_waits_no_longer_than_the_running_one() {
    let (former, running, tx, mut rx) = busy_former(1).await;
    former.last_size.store(50, Ordering::Relaxed);
    tx.send(7).await.unwrap();
    let former = std::sync::Arc::new(former);
    let finish = {
        let former = former.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            former.finished(running, 1);
        })
    };
    let (_, batch) = tokio::time::timeout(Duration::from_secs(5), former.next(&mut rx))
        .await
        .expect("the batch goes when the running one finishes")
        .unwrap();
    assert_eq!(batch, [7]);
    finish.await.unwrap();
    drop(tx);
}

#[test]
fn a_stamp_is_sent_again_only_after_a_minute_and_only_once_committed() {
    let stamps: Stamps<u32> = Stamps::new();
    let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let uses = |at| BTreeMap::from([(1, at), (2, at)]);
    // Nothing committed yet: everything is due, and stays due until a commit.
    assert_eq!(stamps.due(uses(t0)).len(), 2);
    assert_eq!(stamps.due(uses(t0)).len(), 2);
    stamps.committed(&BTreeMap::from([(1, t0)]));
    // Within the minute the SQL would skip key 1 too; key 2 was never stamped here.
    let within = t0 + chrono::Duration::seconds(60);
    assert_eq!(
        stamps.due(uses(within)).into_keys().collect::<Vec<_>>(),
        [2]
    );
    let after = t0 + chrono::Duration::seconds(61);
    assert_eq!(stamps.due(uses(after)).len(), 2);
}
