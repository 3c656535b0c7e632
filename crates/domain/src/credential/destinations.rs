//! Where a secret may go (API.md, "Where a secret may go"): a credential's secrets are sent only
//! to the origins that were configured when they were last set. Each version records those
//! origins (its [`Destinations`]); a change that moves a destination to another origin, or that
//! puts a secret field's `{{placeholder}}` into the test, must carry the secrets sent there again.
//!
//! Without this rule anyone who may manage a credential, without ever seeing its secrets, could
//! point its test or token endpoint at a server of theirs and press "test".

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{CredentialData, CredentialType, FieldError};

/// The origins a credential's secrets go to, as `scheme://host:port` (the port always written),
/// and the secret fields its test URL names. Stored with every version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Destinations {
    /// The origin of `test.url`: every type's secrets go there when the connection is tested.
    #[serde(default)]
    pub test: Option<String>,
    /// oauth2: where the client secret and the refresh token go.
    #[serde(default)]
    pub token_url: Option<String>,
    /// oauth2: where a person is sent to authorize.
    #[serde(default)]
    pub authorization_url: Option<String>,
    /// custom: the secret fields whose `{{placeholder}}` is in the test URL, sorted.
    #[serde(default)]
    pub test_secrets: Vec<String>,
}

/// Reads one destination's origin.
type Getter = fn(&Destinations) -> &Option<String>;

/// The destination fields, with the path a 422 entry names and how to read them.
const FIELDS: [(&str, Getter); 3] = [
    ("test.url", |d| &d.test),
    ("data.token_url", |d| &d.token_url),
    ("data.authorization_url", |d| &d.authorization_url),
];

/// oauth2 tokens come from the provider they were obtained at; a credential that moves any of
/// its destinations drops them unless they are sent again.
pub const OAUTH_TOKENS: [&str; 2] = ["access_token", "refresh_token"];

/// The origin of an absolute http(s) URL, as `scheme://host:port`; `None` when it is not one.
pub fn origin(url: &str) -> Option<String> {
    let u = url::Url::parse(url).ok()?;
    if !matches!(u.scheme(), "http" | "https") {
        return None;
    }
    let host = u.host_str()?;
    let port = u.port_or_known_default()?;
    Some(format!("{}://{}:{port}", u.scheme(), host))
}

/// The placeholder of a field: `{{name}}`, as the connection test substitutes it.
pub fn placeholder(name: &str) -> String {
    format!("{{{{{name}}}}}")
}

impl Destinations {
    /// The destinations of a credential whose test URL is `test_url` and whose data is `data`.
    pub fn of(kind: CredentialType, test_url: Option<&str>, data: &CredentialData) -> Self {
        let config = |k: &str| data.config.get(k).and_then(Value::as_str).and_then(origin);
        let oauth = kind == CredentialType::Oauth2;
        // Exactly what the connection test substitutes: every secret field `k` whose `{{k}}`
        // appears anywhere in the URL (also inside more braces, as in `{{{k}}}`).
        let mut test_secrets: Vec<String> = match (kind, test_url) {
            (CredentialType::Custom, Some(url)) => data
                .secrets
                .keys()
                .filter(|k| url.contains(&placeholder(k)))
                .cloned()
                .collect(),
            _ => Vec::new(),
        };
        test_secrets.sort();
        Destinations {
            test: test_url.and_then(origin),
            token_url: if oauth { config("token_url") } else { None },
            authorization_url: if oauth {
                config("authorization_url")
            } else {
                None
            },
            test_secrets,
        }
    }

    /// The destination fields whose origin in `self` is set and differs from `bound`'s.
    pub fn moved_from(&self, bound: &Destinations) -> Vec<&'static str> {
        FIELDS
            .iter()
            .filter(|(_, get)| get(self).is_some() && get(self) != get(bound))
            .map(|(field, _)| *field)
            .collect()
    }
}

/// The secret fields a destination of `kind` receives that a person can send again: `key`,
/// `password`, `client_secret`; for custom, the secret fields the test names.
fn secrets_sent_to(kind: CredentialType, next: &Destinations) -> Vec<String> {
    match kind {
        CredentialType::ApiKey => vec!["key".into()],
        CredentialType::BasicAuth => vec!["password".into()],
        CredentialType::Oauth2 => vec!["client_secret".into()],
        CredentialType::Custom => next.test_secrets.clone(),
    }
}

/// What a change does to the destinations, once it is allowed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DestinationChange {
    /// The destination fields moved to another origin than the secrets were set for.
    pub moved: Vec<&'static str>,
}

/// The one check of every change that can move a destination (update, rotate): `bound` is what
/// the current secrets were set for, `next` what the change leaves, and `sent` the `data` of the
/// request (a secret counts as sent again when it has a non-null value there). A destination that
/// moved to another origin, or a secret placeholder new in the test, needs the secrets that go
/// there in `sent`; else one 422 entry per destination field, naming the secrets to send again.
pub fn check_change(
    kind: CredentialType,
    bound: &Destinations,
    next: &Destinations,
    sent: &Map<String, Value>,
) -> Result<DestinationChange, Vec<FieldError>> {
    let is_sent = |name: &str| sent.get(name).is_some_and(|v| !v.is_null());
    let missing_of =
        |names: Vec<String>| -> Vec<String> { names.into_iter().filter(|n| !is_sent(n)).collect() };
    let moved = next.moved_from(bound);
    let mut errors = Vec::new();
    for field in &moved {
        let missing = missing_of(secrets_sent_to(kind, next));
        if !missing.is_empty() {
            errors.push(FieldError::new(
                *field,
                format!(
                    "moves the credential's secrets to another origin ({}) than they were set for ({}): send {} again in this request",
                    shown(next, field),
                    shown(bound, field),
                    list(&missing),
                ),
            ));
        }
    }
    if !moved.contains(&"test.url") {
        let known: BTreeSet<&String> = bound.test_secrets.iter().collect();
        let added: Vec<String> = next
            .test_secrets
            .iter()
            .filter(|n| !known.contains(n))
            .cloned()
            .collect();
        let missing = missing_of(added);
        if !missing.is_empty() {
            errors.push(FieldError::new(
                "test.url",
                format!(
                    "puts the secret field{} {} into the test request: send {} again in this request",
                    if missing.len() == 1 { "" } else { "s" },
                    missing.join(", "),
                    list(&missing),
                ),
            ));
        }
    }
    if errors.is_empty() {
        Ok(DestinationChange { moved })
    } else {
        Err(errors)
    }
}

/// The check of a version restore: the restored secrets were set for `bound` (the old version's
/// destinations), and nobody can send them again, so every destination must still be where it
/// was (a placeholder of a secret the old version did not name in its test is refused too).
pub fn check_restore(
    version: i32,
    bound: &Destinations,
    next: &Destinations,
) -> Result<(), Vec<FieldError>> {
    let mut errors: Vec<FieldError> = next
        .moved_from(bound)
        .into_iter()
        .map(|field| {
            FieldError::new(
                field,
                format!(
                    "is on another origin ({}) than version {version}'s secrets were set for ({}): move it back first, or rotate the secret instead of restoring it",
                    shown(next, field),
                    shown(bound, field),
                ),
            )
        })
        .collect();
    let added: Vec<&String> = next
        .test_secrets
        .iter()
        .filter(|n| !bound.test_secrets.contains(n))
        .collect();
    if !added.is_empty() && errors.iter().all(|e| e.field != "test.url") {
        errors.push(FieldError::new(
            "test.url",
            format!(
                "names secret fields version {version} did not send there ({}): change the test first, or rotate instead",
                added.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            ),
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// An oauth2 credential whose destinations moved keeps no token that was not sent again: those
/// tokens were issued by the provider it was connected to before. Returns whether any went.
pub fn drop_unsent_tokens(
    kind: CredentialType,
    change: &DestinationChange,
    sent: &Map<String, Value>,
    data: &mut CredentialData,
) -> bool {
    if kind != CredentialType::Oauth2 || change.moved.is_empty() {
        return false;
    }
    let mut dropped = false;
    for t in OAUTH_TOKENS {
        if sent.get(t).is_none_or(Value::is_null) && data.secrets.remove(t).is_some() {
            dropped = true;
        }
    }
    if dropped && sent.get("token_expires_at").is_none_or(Value::is_null) {
        data.config.remove("token_expires_at");
    }
    dropped
}

fn shown(d: &Destinations, field: &str) -> String {
    FIELDS
        .iter()
        .find(|(f, _)| *f == field)
        .and_then(|(_, get)| get(d).clone())
        .unwrap_or_else(|| "none".to_owned())
}

fn list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("data.{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests;
