//! The create/update body's other fields, each checked on its own so a handler can collect one
//! 422 entry per field: name, service, description, environment, tags, rotation period, expiry,
//! and the connection `test`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::validate::{FieldProblem, Name};

fn problem(message: impl Into<String>) -> FieldProblem {
    FieldProblem {
        message: message.into(),
    }
}

const DESCRIPTION_MAX: usize = 2000;
const ENVIRONMENT_MAX: usize = 64;
const TAGS_MAX: usize = 32;
const TAG_MAX: usize = 64;
const ROTATION_DAYS_MAX: i64 = 3650;
const URL_MAX: usize = 2048;
/// The methods a connection test may use.
pub const TEST_METHODS: [&str; 3] = ["GET", "HEAD", "POST"];

/// A credential's `name`: trimmed, 1..128 characters, no control characters.
pub fn parse_name(s: &str) -> Result<String, FieldProblem> {
    Name::parse(s).map(|n| n.as_str().to_owned())
}

/// A credential's `service` (e.g. "Stripe"): same rules as its name.
pub fn parse_service(s: &str) -> Result<String, FieldProblem> {
    parse_name(s)
}

/// A `description`: trimmed, up to 2000 characters; line breaks and tabs are allowed, other
/// control characters are not. May be empty.
pub fn parse_description(s: &str) -> Result<String, FieldProblem> {
    let s = s.trim();
    if s.chars().count() > DESCRIPTION_MAX {
        return Err(problem(format!(
            "must be at most {DESCRIPTION_MAX} characters"
        )));
    }
    if s.chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(problem(
            "must not contain control characters other than line breaks and tabs",
        ));
    }
    Ok(s.to_owned())
}

/// An `environment` (e.g. "production"): trimmed, 1..64 characters of `[A-Za-z0-9_.-]`.
pub fn parse_environment(s: &str) -> Result<String, FieldProblem> {
    let s = s.trim();
    let len = s.chars().count();
    if len == 0 {
        return Err(problem("must not be empty"));
    }
    if len > ENVIRONMENT_MAX
        || !s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
    {
        return Err(problem(format!(
            "must be 1 to {ENVIRONMENT_MAX} letters, digits, '_', '.' or '-'"
        )));
    }
    Ok(s.to_owned())
}

/// `tags`: each trimmed and lowercased, 1..64 characters without control characters; duplicates
/// are dropped (first one kept, order kept) and at most 32 distinct tags remain.
pub fn parse_tags(tags: &[String]) -> Result<Vec<String>, FieldProblem> {
    let mut out: Vec<String> = Vec::new();
    for (i, tag) in tags.iter().enumerate() {
        let tag = tag.trim().to_lowercase();
        let len = tag.chars().count();
        if len == 0 || len > TAG_MAX || tag.chars().any(char::is_control) {
            return Err(problem(format!(
                "each tag must be 1 to {TAG_MAX} characters without control characters; tag {} is not",
                i + 1
            )));
        }
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    if out.len() > TAGS_MAX {
        return Err(problem(format!(
            "must hold at most {TAGS_MAX} distinct tags"
        )));
    }
    Ok(out)
}

/// `rotation_period_days`: 1..3650. Takes an `i64` so a huge number is a 422, not a 400.
pub fn parse_rotation_period_days(days: i64) -> Result<i32, FieldProblem> {
    if !(1..=ROTATION_DAYS_MAX).contains(&days) {
        return Err(problem(format!(
            "must be between 1 and {ROTATION_DAYS_MAX} days"
        )));
    }
    i32::try_from(days).map_err(|_| problem("must be between 1 and 3650 days"))
}

/// `expires_at`: must be in the future at `now`.
pub fn parse_expires_at(
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, FieldProblem> {
    if at <= now {
        return Err(problem("must be in the future"));
    }
    Ok(at)
}

/// An absolute `http` or `https` URL with a host, as sent (not normalized). User info in the URL
/// is refused: credentials belong in the credential's data, where they are sealed and masked.
/// Private addresses are accepted; the outbound rules decide at call time.
pub fn http_url(s: &str) -> Result<String, FieldProblem> {
    const SHAPE: &str = "must be an absolute http or https URL, like https://api.example.com/path";
    if s.chars().count() > URL_MAX {
        return Err(problem(format!("must be at most {URL_MAX} characters")));
    }
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(problem(
            "must not contain spaces or control characters; percent-encode them",
        ));
    }
    let lower = s.to_ascii_lowercase();
    let Some(scheme_len) = ["https://", "http://"]
        .into_iter()
        .find(|p| lower.starts_with(p))
        .map(str::len)
    else {
        return Err(problem(SHAPE));
    };
    let rest = &s[scheme_len..];
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err(problem(
            "must not contain a user name or password; put them in the credential's data",
        ));
    }
    let (host_ok, port) = match authority.strip_prefix('[') {
        Some(v6) => {
            let Some((addr, after)) = v6.split_once(']') else {
                return Err(problem(SHAPE));
            };
            let port = match after {
                "" => None,
                p => Some(p.strip_prefix(':').ok_or_else(|| problem(SHAPE))?),
            };
            let ok = addr.contains(':')
                && addr
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() || matches!(c, ':' | '.'));
            (ok, port)
        }
        None => {
            let (host, port) = match authority.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            };
            let ok = !host.is_empty()
                && host
                    .chars()
                    .all(|c| c.is_alphanumeric() || matches!(c, '-' | '.' | '_' | '%' | '~'));
            (ok, port)
        }
    };
    let port_ok = port.is_none_or(|p| {
        !p.is_empty()
            && p.chars().all(|c| c.is_ascii_digit())
            && p.parse::<u16>().is_ok_and(|n| n > 0)
    });
    if !host_ok || !port_ok {
        return Err(problem(SHAPE));
    }
    Ok(s.to_owned())
}

/// The `test` object as sent; wrong JSON types are serde's 400, rule violations are
/// [`TestSpec::parse`]'s 422. `url` is optional here only so that leaving it out is a 422.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestInput {
    pub url: Option<String>,
    pub method: Option<String>,
    pub expected_status: Option<Vec<i64>>,
}

/// How "test the connection" calls the service with the credential applied, as stored and shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestSpec {
    /// Absolute http(s) URL.
    pub url: String,
    /// `GET`, `HEAD` or `POST`.
    pub method: String,
    /// Statuses that count as success, sorted and deduplicated; `None` means any 2xx.
    pub expected_status: Option<Vec<u16>>,
}

impl TestSpec {
    /// Checks a `test` object: `url` required, `method` defaults to `GET`, `expected_status`
    /// (codes 100..599, at least one) defaults to any 2xx. The message names the sub-field.
    pub fn parse(input: &TestInput) -> Result<TestSpec, FieldProblem> {
        let Some(url) = input.url.as_deref() else {
            return Err(problem("url is required"));
        };
        let url = http_url(url).map_err(|p| problem(format!("url {}", p.message)))?;
        let method = match input.method.as_deref() {
            None => "GET",
            Some(m) if TEST_METHODS.contains(&m) => m,
            Some(_) => return Err(problem("method must be GET, HEAD or POST")),
        };
        let expected_status = match &input.expected_status {
            None => None,
            Some(codes) if codes.is_empty() => {
                return Err(problem(
                    "expected_status must list at least one status, or be left out for any 2xx",
                ))
            }
            Some(codes) => {
                let mut out = codes
                    .iter()
                    .map(|c| u16::try_from(*c).ok().filter(|c| (100..=599).contains(c)))
                    .collect::<Option<Vec<u16>>>()
                    .ok_or_else(|| problem("expected_status must hold codes from 100 to 599"))?;
                out.sort_unstable();
                out.dedup();
                Some(out)
            }
        };
        Ok(TestSpec {
            url,
            method: method.to_owned(),
            expected_status,
        })
    }
}

#[cfg(test)]
mod tests;
