//! Prometheus metrics: request counts and latency per route and status, pool usage, and how long
//! the resolve path's audit batches take to commit.

use std::time::Duration;

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder,
};

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
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        registry.register(Box::new(pool.clone()))?;
        registry.register(Box::new(commits.clone()))?;
        Ok(Metrics {
            registry,
            requests,
            latency,
            pool,
            commits,
        })
    }

    /// The audit-commit histogram, for the group-commit writer to observe into.
    pub fn commits(&self) -> HistogramVec {
        self.commits.clone()
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

    /// The text exposition, with the pool gauges read now.
    pub fn render(&self, pool: &deadpool_postgres::Pool) -> String {
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
