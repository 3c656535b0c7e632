//! How long the oldest cache invalidation not yet announced by the audit sequencer has waited, as
//! one listener sees it (checked at every heartbeat; see `cache::listen`).

use std::time::{Duration, Instant};

/// How long a committed change may wait to be announced before caching stops.
pub const RELAY_LAG: Duration = Duration::from_millis(750);

#[derive(Default)]
pub struct RelayLag {
    /// The oldest unannounced change seen, and since when.
    waiting: Option<(i64, Instant)>,
}

impl RelayLag {
    /// Notes the oldest unannounced change now (`None`: there is none) and says whether it has
    /// waited too long. With `fresh` (caching is off and nothing was seen yet: a new connection),
    /// a change already there may have waited long, and counts as late until it goes.
    pub fn lagging(&mut self, oldest: Option<i64>, fresh: bool) -> bool {
        let now = Instant::now();
        self.waiting = match (oldest, self.waiting) {
            (Some(id), Some((seen, since))) if seen == id => Some((seen, since)),
            (Some(id), None) if fresh => Some((id, now.checked_sub(RELAY_LAG * 2).unwrap_or(now))),
            (Some(id), _) => Some((id, now)),
            (None, _) => None,
        };
        self.waiting
            .is_some_and(|(_, since)| since.elapsed() > RELAY_LAG)
    }

    pub fn tracking(&self) -> bool {
        self.waiting.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_is_late_once_the_same_one_stays_past_the_limit() {
        let mut lag = RelayLag::default();
        assert!(!lag.lagging(None, false));
        assert!(!lag.lagging(Some(7), false), "just seen");
        lag.waiting = lag.waiting.map(|(id, t)| (id, t - RELAY_LAG * 2));
        assert!(lag.lagging(Some(7), false), "the same one, past the limit");
        assert!(
            !lag.lagging(Some(8), false),
            "announced: the next one starts afresh"
        );
        assert!(!lag.lagging(None, false));
    }

    #[test]
    fn on_a_new_connection_a_change_already_waiting_is_late_until_it_goes() {
        let mut lag = RelayLag::default();
        assert!(lag.lagging(Some(3), true));
        assert!(lag.lagging(Some(3), false));
        assert!(!lag.lagging(Some(4), false));
    }
}
