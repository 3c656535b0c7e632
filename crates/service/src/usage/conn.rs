//! The group-commit writer's connection.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::Poll;

use deadpool_postgres::Pool;

use crate::error::ServiceError;

/// The writer's connection, shared by the batches in flight on it. One that saw a batch fail is
/// closed rather than returned to the pool: a transaction left open on it must not reach anyone.
pub(super) struct Conn {
    client: Option<deadpool_postgres::Client>,
    poisoned: AtomicBool,
    /// Held while a transaction's requests are sent (see `send_whole`).
    sending: std::sync::Mutex<()>,
}

impl Conn {
    pub(super) fn client(&self) -> &deadpool_postgres::Client {
        self.client.as_ref().expect("present until dropped")
    }

    pub(super) fn poison(&self) {
        self.poisoned.store(true, Ordering::Relaxed);
    }

    pub(super) fn usable(&self) -> bool {
        !self.poisoned.load(Ordering::Relaxed) && !self.client().is_closed()
    }

    /// Polls `write` once, alone on this connection. A write's first poll sends its whole
    /// transaction (every statement is prepared here, so nothing waits before its request is
    /// queued); sent one at a time, the transactions pipelined on the connection never
    /// interleave, whichever task sends them (the writer's loop, or a batch that comes back from
    /// the sequencer later, see `direct`).
    pub(super) async fn send_whole<F: Future>(&self, mut write: Pin<&mut F>) -> Poll<F::Output> {
        std::future::poll_fn(|cx| {
            let _alone = self.sending.lock().unwrap_or_else(|e| e.into_inner());
            Poll::Ready(write.as_mut().poll(cx))
        })
        .await
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        if let Some(c) = self.client.take() {
            if self.poisoned.load(Ordering::Relaxed) {
                drop(deadpool_postgres::Object::take(c));
            }
        }
    }
}

/// A pooled connection with the group commit's statements prepared. Until it is ready it counts
/// as poisoned, so one abandoned half-way (a timeout) is closed rather than pooled again.
pub(super) async fn connect(pool: &Pool) -> Result<std::sync::Arc<Conn>, ServiceError> {
    let client = pool.get().await?;
    let conn = std::sync::Arc::new(Conn {
        client: Some(client),
        poisoned: AtomicBool::new(true),
        sending: std::sync::Mutex::new(()),
    });
    credvault_store::workflows::prepare_group_commit(conn.client()).await?;
    // A transaction cut off half-way (its COMMIT lost with the network) would hold its chain
    // head, and with it every audited change in the workspace, until TCP noticed, hours later.
    // The writer's transactions arrive whole, so none idles that long unless it was cut off.
    conn.client()
        .batch_execute("SET idle_in_transaction_session_timeout = '5s'")
        .await?;
    conn.poisoned.store(false, Ordering::Relaxed);
    Ok(conn)
}
