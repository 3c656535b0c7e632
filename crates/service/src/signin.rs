//! Sign-in under attack. Argon2 is slow on purpose, so a flood of sign-ins must not take the
//! database or the CPUs from everything else: the password is checked holding no database
//! connection, at most one check per CPU runs at once (a bounded queue waits; beyond it the answer
//! is 503 with Retry-After), and an address or account this instance already knows to be over its
//! limit is refused before any hashing or database round trip.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use secrecy::SecretString;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::ServiceError;

/// Past this many keys known to be limited, the oldest are forgotten (bounded memory; the
/// database's counts still apply to them).
const MAX_BLOCKED: usize = 100_000;

pub struct SignInGuard {
    argon: Arc<Semaphore>,
    waiting: AtomicUsize,
    queue: usize,
    /// Rate-limit keys (an account, an address) over their limit, and until when.
    blocked: Mutex<HashMap<String, Instant>>,
}

impl Default for SignInGuard {
    fn default() -> Self {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        SignInGuard::new(cpus, 8 * cpus)
    }
}

impl SignInGuard {
    /// `checks` password checks at once, `queue` more waiting.
    pub fn new(checks: usize, queue: usize) -> SignInGuard {
        SignInGuard {
            argon: Arc::new(Semaphore::new(checks.max(1))),
            waiting: AtomicUsize::new(0),
            queue,
            blocked: Mutex::new(HashMap::new()),
        }
    }

    /// Seconds to wait when one of `keys` is known here to be over its limit.
    pub fn blocked(&self, keys: &[&str]) -> Option<u64> {
        let now = Instant::now();
        let m = self.blocked.lock().ok()?;
        keys.iter()
            .filter_map(|k| m.get(*k))
            .filter(|until| **until > now)
            .map(|until| until.duration_since(now).as_secs().max(1))
            .max()
    }

    /// Remembers that `key` is over its limit for `secs`.
    pub fn block(&self, key: &str, secs: u64) {
        if let Ok(mut m) = self.blocked.lock() {
            let now = Instant::now();
            if m.len() >= MAX_BLOCKED {
                m.retain(|_, until| *until > now);
                if m.len() >= MAX_BLOCKED {
                    m.clear();
                }
            }
            m.insert(key.to_string(), now + Duration::from_secs(secs));
        }
    }

    /// A turn to check a password: at once, after waiting in the queue, or 503 when the queue
    /// is full. The turn is owned: handed to [`verify`], it lasts as long as the check runs,
    /// even if the request that asked for it is cancelled meanwhile.
    pub async fn turn(&self) -> Result<OwnedSemaphorePermit, ServiceError> {
        if let Ok(p) = self.argon.clone().try_acquire_owned() {
            return Ok(p);
        }
        // Counted out again however the wait ends (a cancelled request included).
        let waiting =
            Waiting::join(&self.waiting, self.queue).ok_or_else(|| ServiceError::Unavailable {
                detail: "too many sign-ins at once: try again in a moment".into(),
                retry_after: Some(1),
            })?;
        let permit = self.argon.clone().acquire_owned().await;
        drop(waiting);
        permit.map_err(ServiceError::internal)
    }
}

/// A place in the queue, given back when dropped.
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn join(count: &'a AtomicUsize, limit: usize) -> Option<Waiting<'a>> {
        if count.fetch_add(1, Ordering::SeqCst) >= limit {
            count.fetch_sub(1, Ordering::SeqCst);
            return None;
        }
        Some(Waiting(count))
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Checks a password against its stored hash, or against a dummy hash when there is none or it
/// is no password at all (a user made by single sign-on: `!`), so such accounts and unknown
/// emails cost the same, off the async workers, holding `turn` until the check is done.
pub async fn verify(
    turn: OwnedSemaphorePermit,
    password: SecretString,
    hash: Option<String>,
) -> Result<bool, ServiceError> {
    tokio::task::spawn_blocking(move || {
        let ok = match hash.filter(|h| !h.starts_with('!')) {
            Some(h) => credvault_crypto::verify_password(&password, &h),
            None => {
                credvault_crypto::dummy_verify(&password);
                false
            }
        };
        drop(turn);
        ok
    })
    .await
    .map_err(ServiceError::internal)
}

/// The address a rate limit counts: an IPv4 address, or an IPv6 address's /64 (one host or
/// network gets a whole /64, so counting single IPv6 addresses would count nothing).
pub fn rate_key(ip: &str) -> String {
    match ip.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Err(_) => ip.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_addresses_count_per_64() {
        assert_eq!(rate_key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(rate_key("2001:db8:1:2:bbbb::9"), "2001:db8:1:2::/64");
        assert_ne!(rate_key("2001:db8:1:3::1"), rate_key("2001:db8:1:2::1"));
        assert_eq!(rate_key("203.0.113.7"), "203.0.113.7");
        assert_eq!(rate_key("::ffff:203.0.113.7"), "203.0.113.7");
        assert_eq!(rate_key(""), "");
    }

    #[test]
    fn a_blocked_key_is_refused_until_its_time() {
        let g = SignInGuard::new(1, 1);
        assert_eq!(g.blocked(&["ip:1", "email:a"]), None);
        g.block("email:a", 30);
        let left = g.blocked(&["ip:1", "email:a"]).expect("blocked");
        assert!((29..=30).contains(&left), "{left}");
        assert_eq!(g.blocked(&["ip:1"]), None);
        g.block("ip:1", 0);
        assert_eq!(g.blocked(&["ip:1"]), None, "expired at once");
    }

    #[tokio::test]
    async fn checks_beyond_the_queue_are_refused_not_queued() {
        let g = SignInGuard::new(1, 1);
        let first = g.turn().await.expect("a turn");
        // One waits in the queue; the next is refused at once with 503.
        let waiting = g.turn();
        tokio::pin!(waiting);
        assert!(
            tokio::time::timeout(Duration::from_millis(50), &mut waiting)
                .await
                .is_err(),
            "waits while the only turn is taken"
        );
        let refused = g.turn().await.expect_err("queue full");
        assert!(
            matches!(
                refused,
                ServiceError::Unavailable {
                    retry_after: Some(1),
                    ..
                }
            ),
            "{refused:?}"
        );
        drop(first);
        let second = waiting.await.expect("its turn came");
        drop(second);
        assert!(g.turn().await.is_ok(), "the queue emptied");
    }

    #[tokio::test]
    async fn a_cancelled_wait_gives_its_place_back() {
        let g = SignInGuard::new(1, 1);
        let first = g.turn().await.expect("a turn");
        // The one place in the queue is taken, then its request goes away.
        let cancelled = tokio::time::timeout(Duration::from_millis(20), g.turn()).await;
        assert!(cancelled.is_err(), "it was waiting");
        drop(first);
        // Its place is free again: a new request waits (and gets its turn) instead of a 503.
        let next = tokio::time::timeout(Duration::from_secs(1), g.turn())
            .await
            .expect("not refused")
            .expect("a turn");
        drop(next);
    }

    #[tokio::test]
    async fn the_turn_lasts_as_long_as_the_check() {
        let g = SignInGuard::new(1, 0);
        let turn = g.turn().await.expect("a turn");
        let check = verify(turn, SecretString::from("x".to_string()), None);
        // The request is dropped right away; the check goes on, and holds the only turn.
        drop(tokio::time::timeout(Duration::from_millis(1), check).await);
        assert!(
            g.turn().await.is_err(),
            "still checking: no turn and no queue, so 503"
        );
    }
}
