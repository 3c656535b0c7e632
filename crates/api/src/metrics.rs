//! Prometheus metrics: request counts and latency per route and status, pool usage, and how long
//! the resolve path's audit batches take to commit.

use std::time::Duration;

use std::sync::atomic::Ordering;

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

use crate::state::AppState;

/// Histogram buckets for durations, from half a millisecond to the 5 s a batch is given.
const SECONDS: [f64; 13] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    pool: IntGaugeVec,
    commits: HistogramVec,
    chain_waits: Histogram,
    cache_lookups: IntCounterVec,
    cache_invalidations: IntCounter,
    secret_opens: IntCounter,
    tls_reloads: IntCounterVec,
}

impl Metrics {
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new_custom(Some("credvault".into()), None)?;
        let requests = IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "HTTP requests served, by route and status",
            ),
            &["method", "route", "status"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "HTTP request latency, by route and status",
            )
            .buckets(SECONDS.to_vec()),
            &["method", "route", "status"],
        )?;
        let pool = IntGaugeVec::new(
            Opts::new("db_pool_connections", "Database pool connections by state"),
            &["state"],
        )?;
        // A resolve answers only once its `credential.used` event has committed, so a commit that
        // stalls (a slow disk flush) shows here and in the resolve latency alike.
        let commits = HistogramVec::new(
            HistogramOpts::new(
                "audit_commit_duration_seconds",
                "Time from sending a batch of credential uses (audit events and usage counters) to its commit, by outcome",
            )
            .buckets(SECONDS.to_vec()),
            &["outcome"],
        )?;
        // After its commit, a resolve waits until the sequencer has linked its event into the
        // chain: the other half of its time in the audit log.
        let chain_waits = Histogram::with_opts(
            HistogramOpts::new(
                "audit_chain_wait_duration_seconds",
                "Time from a committed batch of credential uses to its events linked into the audit chain",
            )
            .buckets(SECONDS.to_vec()),
        )?;
        let cache_lookups = IntCounterVec::new(
            Opts::new(
                "cache_lookups_total",
                "Runtime cache lookups, by cache (token, resolve) and result (hit, miss)",
            ),
            &["cache", "result"],
        )?;
        let cache_invalidations = IntCounter::new(
            "cache_invalidations_total",
            "Cache notifications applied (changes made here or heard from other instances)",
        )?;
        let secret_opens = IntCounter::new(
            "secret_opens_total",
            "Stored secret versions decrypted (resolves, reads from `view` up, changes, refreshes)",
        )?;
        let tls_reloads = IntCounterVec::new(
            Opts::new(
                "tls_reloads_total",
                "Certificate reloads on SIGHUP, by outcome (a failed one keeps the served certificate)",
            ),
            &["outcome"],
        )?;
        registry.register(Box::new(tls_reloads.clone()))?;
        registry.register(Box::new(cache_lookups.clone()))?;
        registry.register(Box::new(cache_invalidations.clone()))?;
        registry.register(Box::new(secret_opens.clone()))?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        registry.register(Box::new(pool.clone()))?;
        registry.register(Box::new(commits.clone()))?;
        registry.register(Box::new(chain_waits.clone()))?;
        Ok(Metrics {
            registry,
            requests,
            latency,
            pool,
            commits,
            chain_waits,
            cache_lookups,
            cache_invalidations,
            secret_opens,
            tls_reloads,
        })
    }

    /// The audit-commit histogram, for the group-commit writer to observe into.
    pub fn commits(&self) -> HistogramVec {
        self.commits.clone()
    }

    /// The chain-wait histogram, for the group-commit writer too.
    pub fn chain_waits(&self) -> Histogram {
        self.chain_waits.clone()
    }

    /// Counts one request. `method` is reduced to the methods the API serves (else `other`) and
    /// `route` is a route template or `unmatched`, so whatever clients send, the number of series
    /// stays bounded.
    pub fn observe(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let status = status.to_string();
        let labels = [method_label(method), route, status.as_str()];
        self.requests.with_label_values(&labels).inc();
        self.latency
            .with_label_values(&labels)
            .observe(elapsed.as_secs_f64());
    }

    /// The text exposition, with the pool gauges, the cache's and the certificate's counters
    /// read now.
    pub fn render(&self, state: &AppState) -> String {
        let pool = &state.pool;
        if let Some(tls) = &state.settings.tls {
            for (outcome, n) in [("ok", &tls.reloaded), ("failed", &tls.reload_failed)] {
                catch_up(
                    &self.tls_reloads.with_label_values(&[outcome]),
                    n.load(Ordering::Relaxed),
                );
            }
        }
        let st = state.cache.stats();
        let counts = [
            ("token", "hit", &st.token_hits),
            ("token", "miss", &st.token_misses),
            ("resolve", "hit", &st.resolve_hits),
            ("resolve", "miss", &st.resolve_misses),
        ];
        for (name, result, n) in counts {
            catch_up(
                &self.cache_lookups.with_label_values(&[name, result]),
                n.load(Ordering::Relaxed),
            );
        }
        catch_up(
            &self.cache_invalidations,
            st.invalidations.load(Ordering::Relaxed),
        );
        catch_up(
            &self.secret_opens,
            state.secrets_opened.load(Ordering::Relaxed),
        );
        let s = pool.status();
        self.pool.with_label_values(&["max"]).set(s.max_size as i64);
        self.pool.with_label_values(&["open"]).set(s.size as i64);
        self.pool
            .with_label_values(&["idle"])
            .set(s.available as i64);
        self.pool
            .with_label_values(&["in_use"])
            .set(s.size as i64 - s.available as i64);
        self.pool
            .with_label_values(&["waiting"])
            .set(s.waiting as i64);
        let mut buf = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }
}

/// Brings a counter up to a total kept elsewhere (the cache counts with plain atomics on its hot
/// path; the exposition catches up when it is read).
fn catch_up(counter: &IntCounter, total: u64) {
    let seen = counter.get();
    if total > seen {
        counter.inc_by(total - seen);
    }
}

/// The methods the API answers; any other is counted as `other`.
const SERVED_METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

fn method_label(method: &str) -> &'static str {
    SERVED_METHODS
        .into_iter()
        .find(|m| *m == method)
        .unwrap_or("other")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_up_methods_share_one_label() {
        assert_eq!(method_label("GET"), "GET");
        assert_eq!(method_label("PATCH"), "PATCH");
        assert_eq!(method_label("get"), "other");
        assert_eq!(method_label("BREW"), "other");
        let m = Metrics::new().expect("metrics");
        for i in 0..50 {
            m.observe(&format!("X{i}"), "unmatched", 405, Duration::from_millis(1));
        }
        let requests = m
            .registry
            .gather()
            .into_iter()
            .find(|f| f.name() == "credvault_http_requests_total")
            .expect("family");
        assert_eq!(requests.get_metric().len(), 1);
    }
}
