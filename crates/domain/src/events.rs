//! Webhook event types, which audit events become which, and the retry schedule of deliveries.

use std::fmt;
use std::str::FromStr;

use serde_json::Value;

/// A type of event a webhook can subscribe to (`*` subscribes to all).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    CredentialCreated,
    CredentialUpdated,
    CredentialRotated,
    CredentialDeleted,
    CredentialRestored,
    CredentialPurged,
    CredentialSharesChanged,
    CredentialStatusChanged,
    CredentialExpiring,
    CredentialRotationDue,
    CredentialRefreshFailed,
    TokenCreated,
    TokenRevoked,
    UserDisabled,
}

impl EventType {
    /// Every type, in the order the contract lists them.
    pub const ALL: [EventType; 14] = [
        EventType::CredentialCreated,
        EventType::CredentialUpdated,
        EventType::CredentialRotated,
        EventType::CredentialDeleted,
        EventType::CredentialRestored,
        EventType::CredentialPurged,
        EventType::CredentialSharesChanged,
        EventType::CredentialStatusChanged,
        EventType::CredentialExpiring,
        EventType::CredentialRotationDue,
        EventType::CredentialRefreshFailed,
        EventType::TokenCreated,
        EventType::TokenRevoked,
        EventType::UserDisabled,
    ];

    /// The wire name (also the audit action it comes from, but for `user.disabled`).
    pub const fn as_str(self) -> &'static str {
        use EventType::*;
        match self {
            CredentialCreated => "credential.created",
            CredentialUpdated => "credential.updated",
            CredentialRotated => "credential.rotated",
            CredentialDeleted => "credential.deleted",
            CredentialRestored => "credential.restored",
            CredentialPurged => "credential.purged",
            CredentialSharesChanged => "credential.shares_changed",
            CredentialStatusChanged => "credential.status_changed",
            CredentialExpiring => "credential.expiring",
            CredentialRotationDue => "credential.rotation_due",
            CredentialRefreshFailed => "credential.refresh_failed",
            TokenCreated => "token.created",
            TokenRevoked => "token.revoked",
            UserDisabled => "user.disabled",
        }
    }

    /// The audit action an event of this type is recorded as.
    pub const fn audit_action(self) -> &'static str {
        match self {
            EventType::UserDisabled => "user.updated",
            other => other.as_str(),
        }
    }

    /// The type of an audit event, if webhooks hear of it: a successful event of a listed action
    /// (`credential.refresh_failed` is a failure by nature), `user.updated` only when it disabled
    /// the user. `credential.used` never is one.
    pub fn of_audit(action: &str, outcome: &str, details: &Value) -> Option<EventType> {
        if action == "user.updated" {
            let disabled = details.get("disabled").and_then(Value::as_bool) == Some(true);
            return (disabled && outcome == "success").then_some(EventType::UserDisabled);
        }
        let t = action.parse::<EventType>().ok()?;
        let expected = if t == EventType::CredentialRefreshFailed {
            "failure"
        } else {
            "success"
        };
        (outcome == expected).then_some(t)
    }

    /// The audit actions webhooks hear of, each once.
    pub fn audit_actions() -> Vec<&'static str> {
        let mut v: Vec<&'static str> = EventType::ALL.iter().map(|t| t.audit_action()).collect();
        v.dedup();
        v
    }

    /// What the subject of an event of this type is: `credential`, `token` or `user`.
    pub fn subject(self) -> &'static str {
        match self {
            EventType::TokenCreated | EventType::TokenRevoked => "token",
            EventType::UserDisabled => "user",
            _ => "credential",
        }
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A value that is not an event type; its message lists the allowed ones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an event type; allowed: *, {list}", list = allowed())]
pub struct UnknownEventType(pub String);

fn allowed() -> String {
    EventType::ALL.map(EventType::as_str).join(", ")
}

impl FromStr for EventType {
    type Err = UnknownEventType;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EventType::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| UnknownEventType(s.to_owned()))
    }
}

/// Whether a webhook subscribed to `events` (wire names, `*` for all) hears of `t`.
pub fn subscribed(events: &[String], t: EventType) -> bool {
    events.iter().any(|e| e == "*" || e == t.as_str())
}

/// Why a credential's status changed (`credential.status_changed`'s `reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusChangeReason {
    /// A connection test passed (back to `active`).
    TestPassed,
    /// A connection test failed (`error`).
    TestFailed,
    /// An OAuth2 refresh failed (`error`, or `expired` when refused for good).
    RefreshFailed,
    /// An OAuth2 refresh succeeded after a failed one (back to `active`).
    RefreshSucceeded,
    /// `expires_at` passed.
    ExpiresAtPassed,
}

impl StatusChangeReason {
    pub const ALL: [StatusChangeReason; 5] = [
        StatusChangeReason::TestPassed,
        StatusChangeReason::TestFailed,
        StatusChangeReason::RefreshFailed,
        StatusChangeReason::RefreshSucceeded,
        StatusChangeReason::ExpiresAtPassed,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            StatusChangeReason::TestPassed => "test_passed",
            StatusChangeReason::TestFailed => "test_failed",
            StatusChangeReason::RefreshFailed => "refresh_failed",
            StatusChangeReason::RefreshSucceeded => "refresh_succeeded",
            StatusChangeReason::ExpiresAtPassed => "expires_at_passed",
        }
    }
}

/// Seconds to wait before each retry: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h; then the delivery has
/// failed.
pub const RETRY_SCHEDULE_SECS: [u64; 6] = [5, 300, 1800, 7200, 18000, 36000];

/// Days of failures in a row after which a webhook is disabled.
pub const DISABLE_AFTER_DAYS: i64 = 5;

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn wire_names_parse_back_and_unknown_ones_list_the_allowed() {
        for t in EventType::ALL {
            assert_eq!(t.as_str().parse::<EventType>(), Ok(t));
        }
        let e = "credential.used"
            .parse::<EventType>()
            .expect_err("not a type");
        assert!(e.to_string().contains("credential.rotation_due"), "{e}");
    }

    #[test]
    fn audit_events_map_to_types_and_resolves_never_do() {
        let none = json!({});
        assert_eq!(
            EventType::of_audit("credential.used", "success", &none),
            None
        );
        assert_eq!(
            EventType::of_audit("credential.rotated", "success", &none),
            Some(EventType::CredentialRotated)
        );
        assert_eq!(
            EventType::of_audit("credential.rotated", "denied", &none),
            None
        );
        assert_eq!(
            EventType::of_audit("credential.refresh_failed", "failure", &none),
            Some(EventType::CredentialRefreshFailed)
        );
        assert_eq!(EventType::of_audit("user.updated", "success", &none), None);
        assert_eq!(
            EventType::of_audit("user.updated", "success", &json!({"disabled": true})),
            Some(EventType::UserDisabled)
        );
        assert!(!EventType::audit_actions().contains(&"credential.used"));
        assert!(subscribed(&["*".into()], EventType::TokenCreated));
        assert!(!subscribed(
            &["token.revoked".into()],
            EventType::TokenCreated
        ));
    }
}
