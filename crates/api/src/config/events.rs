//! Settings of webhook deliveries and the audit stream (shortened in tests, never slept through).

use std::time::Duration;

use credvault_service::webhooks::EventSettings;

use super::{bad, whole, ConfigError};

#[derive(clap::Args, Clone, Debug)]
pub struct EventFlags {
    /// Seconds before each retry of a failed webhook delivery, comma-separated (fractions
    /// allowed); after the last the delivery has failed
    #[arg(
        long,
        env = "CREDVAULT_WEBHOOK_RETRY_SCHEDULE",
        default_value = "5,300,1800,7200,18000,36000"
    )]
    pub webhook_retry_schedule: String,
    /// Seconds of failed deliveries in a row after which a webhook is disabled (5 days)
    #[arg(
        long,
        env = "CREDVAULT_WEBHOOK_DISABLE_AFTER_SECS",
        default_value = "432000"
    )]
    pub webhook_disable_after_secs: String,
    /// Seconds a workspace's dispatcher lease lasts unrenewed: another instance takes over a
    /// stopped one's workspaces after it
    #[arg(long, env = "CREDVAULT_WEBHOOK_LEASE_SECS", default_value = "30")]
    pub webhook_lease_secs: String,
    /// Seconds between looks for expiring and rotation-due credentials
    #[arg(long, env = "CREDVAULT_EVENTS_INTERVAL_SECS", default_value = "60")]
    pub events_interval_secs: String,
    /// Milliseconds between the empty lines a followed audit stream writes while idle
    #[arg(
        long,
        env = "CREDVAULT_AUDIT_STREAM_HEARTBEAT_MS",
        default_value = "15000"
    )]
    pub audit_stream_heartbeat_ms: String,
    /// Audit stream followers per workspace on one instance (429 beyond)
    #[arg(
        long,
        env = "CREDVAULT_AUDIT_STREAM_MAX_FOLLOWERS",
        default_value = "20"
    )]
    pub audit_stream_max_followers: String,
}

impl Default for EventFlags {
    fn default() -> Self {
        EventFlags {
            webhook_retry_schedule: "5,300,1800,7200,18000,36000".into(),
            webhook_disable_after_secs: "432000".into(),
            webhook_lease_secs: "30".into(),
            events_interval_secs: "60".into(),
            audit_stream_heartbeat_ms: "15000".into(),
            audit_stream_max_followers: "20".into(),
        }
    }
}

impl EventFlags {
    pub fn settings(&self) -> Result<EventSettings, ConfigError> {
        const SCHEDULE: &str = "CREDVAULT_WEBHOOK_RETRY_SCHEDULE";
        let mut retry_schedule = Vec::new();
        for part in self.webhook_retry_schedule.split(',') {
            let secs = part
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|s| s.is_finite() && (0.0..=86_400.0).contains(s))
                .ok_or_else(|| {
                    bad(
                        SCHEDULE,
                        format!("must be seconds (0 to 86400) separated by commas, not {part:?}"),
                    )
                })?;
            retry_schedule.push(Duration::from_secs_f64(secs));
        }
        let secs = |v: &str, range, var| whole(v, range, var, "seconds").map(Duration::from_secs);
        Ok(EventSettings {
            retry_schedule,
            disable_after: secs(
                &self.webhook_disable_after_secs,
                1..=31_536_000,
                "CREDVAULT_WEBHOOK_DISABLE_AFTER_SECS",
            )?,
            lease: secs(
                &self.webhook_lease_secs,
                1..=3600,
                "CREDVAULT_WEBHOOK_LEASE_SECS",
            )?,
            tick: Duration::from_secs(1),
            timed_interval: secs(
                &self.events_interval_secs,
                1..=86_400,
                "CREDVAULT_EVENTS_INTERVAL_SECS",
            )?,
            heartbeat: Duration::from_millis(whole(
                &self.audit_stream_heartbeat_ms,
                10..=3_600_000,
                "CREDVAULT_AUDIT_STREAM_HEARTBEAT_MS",
                "milliseconds",
            )?),
            max_followers: whole(
                &self.audit_stream_max_followers,
                1..=10_000,
                "CREDVAULT_AUDIT_STREAM_MAX_FOLLOWERS",
                "followers",
            )? as usize,
        })
    }
}
