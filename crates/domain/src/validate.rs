//! Request fields parsed into types that can only hold valid values, so a handler that has an
//! `Email` or a `Password` never re-checks it and the store never sees an unchecked string.
//!
//! These types deliberately do not implement `Deserialize`: a rule violation is a 422 with one
//! entry per field, while serde failures become 400s. Deserialize a `String`, then `parse` it.

use std::fmt;

use serde::Serialize;

/// Why one request field was refused; the message names the rule broken and never repeats the
/// value (it may be a password), so it is safe for problem bodies and logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FieldProblem {
    /// The rule that was broken, e.g. "must be at least 12 characters".
    pub message: String,
}

impl FieldProblem {
    fn new(message: impl Into<String>) -> Self {
        FieldProblem {
            message: message.into(),
        }
    }
}

/// The longest email address SMTP can carry (RFC 5321 path limit).
const EMAIL_MAX: usize = 254;
/// Passwords shorter than this are refused, per API.md.
const PASSWORD_MIN: usize = 12;
/// Bounds the work the password hash does on hostile input.
const PASSWORD_MAX: usize = 1024;
/// Names and display names, per API.md's 1..128 characters.
const NAME_MAX: usize = 128;

/// An email address as the user typed it (trimmed); compare and look up by `normalized()`, since
/// emails are unique across the deployment regardless of case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    /// Accepts `local@domain.tld` shapes without attempting full RFC 5322, which no user needs.
    pub fn parse(s: &str) -> Result<Self, FieldProblem> {
        let s = s.trim();
        if s.is_empty() {
            return Err(FieldProblem::new("must not be empty"));
        }
        if s.chars().count() > EMAIL_MAX {
            return Err(FieldProblem::new(format!(
                "must be at most {EMAIL_MAX} characters"
            )));
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(FieldProblem::new(
                "must not contain spaces or control characters",
            ));
        }
        let Some((local, domain)) = s.split_once('@') else {
            return Err(FieldProblem::new(
                "must contain an @, like name@example.com",
            ));
        };
        if domain.contains('@') {
            return Err(FieldProblem::new("must contain exactly one @"));
        }
        if local.is_empty() {
            return Err(FieldProblem::new("must have a name before the @"));
        }
        if !domain.contains('.') || domain.split('.').any(str::is_empty) {
            return Err(FieldProblem::new(
                "must have a domain with a dot after the @, like example.com",
            ));
        }
        Ok(Email(s.to_owned()))
    }

    /// The address as typed, for display and for mail.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The lowercase form, the key for uniqueness and sign-in lookups.
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A password that meets the length rules. It prints as `[REDACTED]` and is not `Serialize`, so
/// it cannot leak through logs, errors or responses; only `expose()` gives the text, for hashing.
pub struct Password(String);

impl Password {
    /// Takes ownership, so the secret is not copied; counts characters, not bytes, so a
    /// passphrase in any script is measured as its user sees it. Not trimmed: spaces count.
    pub fn new(s: String) -> Result<Self, FieldProblem> {
        let len = s.chars().count();
        if len < PASSWORD_MIN {
            return Err(FieldProblem::new(format!(
                "must be at least {PASSWORD_MIN} characters"
            )));
        }
        if len > PASSWORD_MAX {
            return Err(FieldProblem::new(format!(
                "must be at most {PASSWORD_MAX} characters"
            )));
        }
        Ok(Password(s))
    }

    /// Same rules as [`Password::new`], for callers holding a borrowed string.
    pub fn parse(s: &str) -> Result<Self, FieldProblem> {
        Password::new(s.to_owned())
    }

    /// The plaintext, named so every use stands out in review; only the password hasher needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[REDACTED]")
    }
}

/// Trims and checks a short human-facing label: 1..=128 characters, no control characters
/// (line breaks and tabs would garble lists, logs and CSV exports).
fn label(s: &str) -> Result<String, FieldProblem> {
    let s = s.trim();
    if s.is_empty() {
        return Err(FieldProblem::new("must not be empty"));
    }
    if s.chars().count() > NAME_MAX {
        return Err(FieldProblem::new(format!(
            "must be at most {NAME_MAX} characters"
        )));
    }
    if s.chars().any(char::is_control) {
        return Err(FieldProblem::new(
            "must not contain control characters such as line breaks or tabs",
        ));
    }
    Ok(s.to_owned())
}

/// A person's display name; separate from [`Name`] so a user's name and a team name cannot be
/// swapped by accident.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct DisplayName(String);

impl DisplayName {
    /// Trimmed, 1..=128 characters, no control characters.
    pub fn parse(s: &str) -> Result<Self, FieldProblem> {
        label(s).map(DisplayName)
    }

    /// The name as stored and shown.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The name of a team, token or workspace.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Name(String);

impl Name {
    /// Trimmed, 1..=128 characters, no control characters.
    pub fn parse(s: &str) -> Result<Self, FieldProblem> {
        label(s).map(Name)
    }

    /// The name as stored and shown.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests;
