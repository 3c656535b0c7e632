//! Latency histograms for the benchmarks, and wrk's correction for coordinated omission.

/// A latency histogram in whole microseconds: `counts[us]` requests took `us`.
#[derive(Clone, Debug, PartialEq)]
pub struct Latencies {
    pub counts: Vec<u64>,
}

impl Latencies {
    pub fn from_micros(micros: impl IntoIterator<Item = u64>) -> Latencies {
        let mut counts = Vec::new();
        for us in micros {
            let us = us as usize;
            if us >= counts.len() {
                counts.resize(us + 1, 0);
            }
            counts[us] += 1;
        }
        Latencies { counts }
    }

    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// In ms, by the rule of `percentile`: the value at rank round((n - 1) p).
    pub fn percentile(&self, p: f64) -> f64 {
        let rank = ((self.total().max(1) - 1) as f64 * p).round() as u64;
        let mut seen = 0;
        for (us, n) in self.counts.iter().enumerate() {
            seen += n;
            if seen > rank {
                return us as f64 / 1000.0;
            }
        }
        0.0
    }

    /// wrk's coordinated-omission correction (its `stats_correct`), given the mean interval
    /// between one connection's requests: a request that took `n` > 2 intervals adds one at
    /// `n - k * interval` for every k while that is still over an interval, as if the requests
    /// a steady client would have sent during the wait had waited too. Floor (a) gets the same,
    /// so that both p99s can be read either way.
    pub fn corrected(&self, interval: u64) -> Latencies {
        let mut counts = self.counts.clone();
        let e = interval as usize;
        if e == 0 {
            return self.clone();
        }
        for n in 2 * e..self.counts.len() {
            let count = self.counts[n];
            let mut m = n - e;
            while count > 0 && m > e {
                counts[m] += count;
                m -= e;
            }
        }
        Latencies { counts }
    }

    /// Undoes `corrected`: wrk hands its script the corrected histogram. None when `self` is not
    /// the correction of any histogram (it would need a negative count).
    pub fn uncorrected(&self, interval: u64) -> Option<Latencies> {
        let e = interval as usize;
        if e == 0 {
            return Some(self.clone());
        }
        let len = self.counts.len();
        let mut raw = vec![0u64; len];
        // added[m]: what the correction added at m, the raw counts at m + e, m + 2e, ...
        let mut added = vec![0u64; len];
        for m in (0..len).rev() {
            if m > e && m + e < len {
                added[m] = raw[m + e] + added[m + e];
            }
            raw[m] = self.counts[m].checked_sub(added[m])?;
        }
        let raw = Latencies { counts: raw };
        (raw.corrected(interval) == *self).then_some(raw)
    }
}

#[cfg(test)]
mod tests {
    use super::Latencies;

    fn hist(values: &[(usize, u64)]) -> Latencies {
        let mut counts = vec![0; values.iter().map(|v| v.0 + 1).max().unwrap_or(0)];
        for &(us, n) in values {
            counts[us] += n;
        }
        Latencies { counts }
    }

    #[test]
    fn the_correction_adds_what_wrk_adds() {
        // 100 µs at a 20 µs interval: wrk adds 80, 60 and 40 (not 20: only values over the
        // interval); 10 µs is under two intervals and adds nothing.
        let raw = hist(&[(10, 1), (100, 2)]);
        assert_eq!(
            raw.corrected(20),
            hist(&[(10, 1), (40, 2), (60, 2), (80, 2), (100, 2)])
        );
    }

    #[test]
    fn uncorrecting_gives_back_the_histogram_measured() {
        let mut seed: u64 = 42;
        let mut next = |m: u64| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (seed >> 33) % m
        };
        for _ in 0..200 {
            let interval = 1 + next(50);
            let values: Vec<(usize, u64)> = (0..1 + next(40))
                .map(|_| (next(2_000) as usize, 1 + next(5)))
                .collect();
            let raw = hist(&values);
            let corrected = raw.corrected(interval);
            assert_eq!(corrected.uncorrected(interval), Some(raw));
        }
    }

    #[test]
    fn a_histogram_no_correction_could_give_is_refused() {
        // A correction of 100 µs at 20 µs would have put one at 80, 60 and 40.
        assert!(hist(&[(100, 1)]).uncorrected(20).is_none());
        assert!(hist(&[(60, 1), (100, 1)]).uncorrected(20).is_none());
    }

    #[test]
    fn percentiles_follow_the_rank_rule_of_a_sorted_list() {
        // 1..=100 ms once each: rank round(99 p).
        let l = Latencies::from_micros((1..=100).map(|ms| ms * 1000));
        assert_eq!(l.total(), 100);
        assert_eq!(l.percentile(0.5), 51.0);
        assert_eq!(l.percentile(0.99), 99.0);
        assert_eq!(l.percentile(0.0), 1.0);
        assert_eq!(l.percentile(1.0), 100.0);
    }
}
