//! Credentials: the four types and their `data` (validation and the config/secret split, in
//! [`data`]), the one masking rule, status and rotation rules, and the request-field checks (in
//! [`fields`]), all as API.md's "Credentials" section states them.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::identity::UnknownValue;
use crate::validate::FieldProblem;

pub mod data;
pub mod destinations;
pub mod fields;

pub use data::{is_field_name, merge_update, validate_new};
pub use fields::{
    http_url, parse_description, parse_environment, parse_expires_at, parse_name,
    parse_rotation_period_days, parse_service, parse_tags, TestInput, TestSpec,
};

/// What kind of secret a credential holds; it fixes the shape of `data` and which of its fields
/// are secret (for `custom`, the caller says which).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialType {
    ApiKey,
    BasicAuth,
    Oauth2,
    Custom,
}

impl CredentialType {
    /// Every type, so tables and tests can iterate without missing one.
    pub const ALL: [CredentialType; 4] = [
        CredentialType::ApiKey,
        CredentialType::BasicAuth,
        CredentialType::Oauth2,
        CredentialType::Custom,
    ];

    /// The wire spelling, as stored in the database and sent in JSON.
    pub const fn as_str(self) -> &'static str {
        match self {
            CredentialType::ApiKey => "api_key",
            CredentialType::BasicAuth => "basic_auth",
            CredentialType::Oauth2 => "oauth2",
            CredentialType::Custom => "custom",
        }
    }
}

impl fmt::Display for CredentialType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CredentialType {
    type Err = UnknownValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CredentialType::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| UnknownValue {
                value: s.to_owned(),
                expected: "api_key, basic_auth, oauth2, custom",
            })
    }
}

/// One entry of a 422 problem body's `errors`: `field` is a JSON path such as `data.key`, and
/// `message` names the rule broken without ever repeating a value (it may be a secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }

    /// Attaches a request-field helper's refusal to the field it was about.
    pub fn from_problem(field: impl Into<String>, problem: FieldProblem) -> Self {
        FieldError::new(field, problem.message)
    }
}

/// A credential's validated `data`, split into what may be shown (`config`) and what is sealed
/// and only ever shown masked (`secrets`). The two maps never share a key.
///
/// Not `Serialize`, and its `Debug` prints secret names only, so the secrets cannot leak through
/// a response or a log line by accident; serialize `secrets` explicitly to seal it.
#[derive(Clone, PartialEq)]
pub struct CredentialData {
    /// Non-secret fields, with the type's defaults filled in.
    pub config: Map<String, Value>,
    /// Secret fields; optional secrets that are absent are not here.
    pub secrets: Map<String, Value>,
    /// For `custom` only: the stored list of secret field names, sorted and deduplicated.
    pub secret_fields: Option<Vec<String>>,
}

impl fmt::Debug for CredentialData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialData")
            .field("config", &self.config)
            .field("secrets", &self.secrets.keys().collect::<Vec<_>>())
            .field("secret_fields", &self.secret_fields)
            .finish()
    }
}

impl Drop for CredentialData {
    /// Opened secrets are overwritten before their memory is freed.
    fn drop(&mut self) {
        zeroize_values(&mut self.secrets);
    }
}

/// Overwrites every string in `map` (and in what it nests) with zeros, and empties it.
pub fn zeroize_values(map: &mut Map<String, Value>) {
    fn zeroize_value(v: &mut Value) {
        match v {
            Value::String(s) => zeroize::Zeroize::zeroize(s),
            Value::Array(items) => items.iter_mut().for_each(zeroize_value),
            Value::Object(o) => zeroize_values(o),
            _ => {}
        }
    }
    map.values_mut().for_each(zeroize_value);
    map.clear();
}

/// A document holding secret values in full (a resolve's `data`): serialized as the map it
/// holds, overwritten when dropped, and its `Debug` names the fields only.
#[derive(Default, Serialize)]
#[serde(transparent)]
pub struct SecretDoc(Map<String, Value>);

impl SecretDoc {
    pub fn new(map: Map<String, Value>) -> SecretDoc {
        SecretDoc(map)
    }

    /// Field `name` as the text of a resolve with `field`: a string as it is, moved out (not
    /// copied) into a buffer overwritten when dropped; a list of strings (oauth2 `scopes`) joined
    /// by spaces, as OAuth's `scope` parameter writes them; any other value as its JSON. `None`
    /// when the document has no such field, or holds `null` there.
    pub fn take_text(&mut self, name: &str) -> Option<zeroize::Zeroizing<String>> {
        let text = match self.0.get_mut(name)? {
            Value::Null => return None,
            Value::String(s) => std::mem::take(s),
            Value::Array(items) if items.iter().all(Value::is_string) => {
                let words: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
                words.join(" ")
            }
            other => other.to_string(),
        };
        Some(zeroize::Zeroizing::new(text))
    }
}

impl std::ops::Deref for SecretDoc {
    type Target = Map<String, Value>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for SecretDoc {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl Drop for SecretDoc {
    fn drop(&mut self) {
        zeroize_values(&mut self.0);
    }
}

impl fmt::Debug for SecretDoc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SecretDoc")
            .field(&self.0.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// What every secret shows as, alone or before its last four characters.
pub const MASK: &str = "••••";
/// Values shorter than this show no characters at all: four of eleven would give away too much.
const MASK_REVEAL_MIN: usize = 12;
/// How many trailing characters a long enough value shows.
const MASK_REVEAL: usize = 4;

/// API.md's mask: `"••••"` plus the last 4 characters when the value is at least 12 characters
/// long, else `"••••"`. Counts characters, not bytes, and never splits one.
pub fn mask(secret: &str) -> String {
    let len = secret.chars().count();
    if len < MASK_REVEAL_MIN {
        return MASK.to_owned();
    }
    let tail: String = secret.chars().skip(len - MASK_REVEAL).collect();
    format!("{MASK}{tail}")
}

/// The `data` a `view` caller sees: the config as it is and every secret masked (a secret that is
/// not a string shows as `"••••"`).
pub fn masked_view(d: &CredentialData) -> Map<String, Value> {
    let mut view = d.config.clone();
    for (name, value) in &d.secrets {
        let masked = match value {
            Value::String(s) => mask(s),
            _ => MASK.to_owned(),
        };
        view.insert(name.clone(), Value::String(masked));
    }
    view
}

/// A credential's status as the API shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Usable.
    Active,
    /// Past `expires_at`, or an OAuth refresh was refused.
    Expired,
    /// The last test or refresh failed.
    Error,
    /// Soft-deleted, restorable until purged.
    Deleted,
}

impl Status {
    /// Every status, so tables and tests can iterate without missing one.
    pub const ALL: [Status; 4] = [
        Status::Active,
        Status::Expired,
        Status::Error,
        Status::Deleted,
    ];

    /// The wire spelling, as stored in the database and sent in JSON.
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Expired => "expired",
            Status::Error => "error",
            Status::Deleted => "deleted",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Status {
    type Err = UnknownValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Status::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| UnknownValue {
                value: s.to_owned(),
                expected: "active, expired, error, deleted",
            })
    }
}

/// The status to show and enforce now: deletion wins; else a credential at or past its
/// `expires_at` is expired, whatever was stored; else the stored status (`active`, `expired`
/// after a refused refresh, or `error` after a failed test or refresh).
pub fn effective_status(
    stored: Status,
    expires_at: Option<DateTime<Utc>>,
    deleted: bool,
    now: DateTime<Utc>,
) -> Status {
    if deleted {
        Status::Deleted
    } else if expires_at.is_some_and(|at| at <= now) {
        Status::Expired
    } else {
        stored
    }
}

/// When the next rotation is due: the last rotation (or else creation) plus the period; `None`
/// without a period, for a period that is not positive, or past chrono's range.
pub fn rotation_due_at(
    created_at: DateTime<Utc>,
    rotated_at: Option<DateTime<Utc>>,
    period_days: Option<i32>,
) -> Option<DateTime<Utc>> {
    let days = period_days.filter(|d| *d > 0)?;
    let period = TimeDelta::try_days(i64::from(days))?;
    rotated_at.unwrap_or(created_at).checked_add_signed(period)
}

#[cfg(test)]
mod tests;
