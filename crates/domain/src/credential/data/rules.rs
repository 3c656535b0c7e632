//! Each fixed type's fields as a table (name, secret or not, required or defaulted, rule), and
//! the rules that check one value. The table is public so that the API's description of `data`
//! is read from it rather than written a second time.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;

use crate::credential::fields::http_url;
use crate::credential::CredentialType;

/// Longest header or query parameter name.
pub const PARAM_NAME_MAX: usize = 128;

/// How one field's value is checked; a check returns the value to store or the rule broken.
#[derive(Debug, Clone, Copy)]
pub enum Rule {
    /// Any string, even empty.
    Text,
    /// A string with something in it and no control characters (it ends up in a header or form).
    Token,
    /// One of a fixed set of strings.
    OneOf(&'static [&'static str]),
    /// A header or query parameter name: 1..128 RFC 9110 token characters.
    ParamName,
    /// Text placed before a key in a header: no control characters.
    Prefix,
    /// A Basic auth user name: RFC 7617 forbids a colon in it.
    UserName,
    /// An absolute http(s) URL.
    Url,
    /// OAuth scopes: strings without spaces.
    Scopes,
    /// An RFC 3339 time, stored in UTC.
    Time,
}

/// Whether a field must be sent, and what fills it when it is not.
#[derive(Debug, Clone, Copy)]
pub enum Presence {
    Required,
    Optional,
    DefaultText(&'static str),
    DefaultEmptyList,
}

/// One field of a type's `data`.
#[derive(Debug)]
pub struct Field {
    pub name: &'static str,
    /// Sealed, and shown masked everywhere but resolve.
    pub secret: bool,
    pub presence: Presence,
    pub rule: Rule,
}

const fn field(name: &'static str, secret: bool, presence: Presence, rule: Rule) -> Field {
    Field {
        name,
        secret,
        presence,
        rule,
    }
}

use Presence::{DefaultEmptyList, DefaultText, Optional, Required};

#[rustfmt::skip]
const API_KEY: [Field; 4] = [
    field("key",       true,  Required,                     Rule::Token),
    field("placement", false, DefaultText("header"),        Rule::OneOf(&["header", "query"])),
    field("name",      false, DefaultText("Authorization"), Rule::ParamName),
    field("prefix",    false, DefaultText(""),              Rule::Prefix),
];

#[rustfmt::skip]
const BASIC_AUTH: [Field; 2] = [
    field("username", false, Required, Rule::UserName),
    field("password", true,  Required, Rule::Text),
];

pub const AUTHORIZATION_CODE: &str = "authorization_code";

#[rustfmt::skip]
const OAUTH2: [Field; 9] = [
    field("grant_type",        false, Required,         Rule::OneOf(&[AUTHORIZATION_CODE, "client_credentials"])),
    field("client_id",         false, Required,         Rule::Token),
    field("client_secret",     true,  Required,         Rule::Token),
    field("authorization_url", false, Optional,         Rule::Url), // required for authorization_code
    field("token_url",         false, Required,         Rule::Url),
    field("scopes",            false, DefaultEmptyList, Rule::Scopes),
    field("access_token",      true,  Optional,         Rule::Token),
    field("refresh_token",     true,  Optional,         Rule::Token),
    field("token_expires_at",  false, Optional,         Rule::Time),
];

/// The fixed fields of a type; `None` for `custom`, whose fields are the caller's.
pub fn fields_of(kind: CredentialType) -> Option<&'static [Field]> {
    match kind {
        CredentialType::ApiKey => Some(&API_KEY),
        CredentialType::BasicAuth => Some(&BASIC_AUTH),
        CredentialType::Oauth2 => Some(&OAUTH2),
        CredentialType::Custom => None,
    }
}

/// Checks one present, non-null value against its rule.
pub(super) fn check(rule: Rule, value: &Value) -> Result<Value, String> {
    if let Rule::Scopes = rule {
        return check_scopes(value);
    }
    let Some(s) = value.as_str() else {
        return Err("must be a string".to_owned());
    };
    let no_control = || !s.chars().any(char::is_control);
    let ok = match rule {
        Rule::Text => true,
        Rule::Token if s.trim().is_empty() => return Err("must not be empty".to_owned()),
        Rule::Token | Rule::Prefix => no_control(),
        Rule::OneOf(allowed) if allowed.contains(&s) => true,
        Rule::OneOf(allowed) => return Err(format!("must be one of {}", allowed.join(", "))),
        Rule::ParamName => {
            let len = s.chars().count();
            if !(1..=PARAM_NAME_MAX).contains(&len) || !s.chars().all(is_tchar) {
                return Err(
                    "must be 1 to 128 letters, digits or !#$%&'*+-.^_`|~ (a header or query parameter name)"
                        .to_owned(),
                );
            }
            true
        }
        Rule::UserName if s.contains(':') => return Err("must not contain ':'".to_owned()),
        Rule::UserName => no_control(),
        Rule::Url => return http_url(s).map(Value::String).map_err(|p| p.message),
        Rule::Time => {
            return DateTime::parse_from_rfc3339(s)
                .map(|t| {
                    let utc = t.with_timezone(&Utc);
                    Value::String(utc.to_rfc3339_opts(SecondsFormat::AutoSi, true))
                })
                .map_err(|_| "must be an RFC 3339 time, like 2030-01-31T12:00:00Z".to_owned());
        }
        Rule::Scopes => true,
    };
    if ok {
        Ok(Value::String(s.to_owned()))
    } else {
        Err("must not contain control characters such as line breaks or tabs".to_owned())
    }
}

fn check_scopes(value: &Value) -> Result<Value, String> {
    let Some(items) = value.as_array() else {
        return Err("must be an array of strings".to_owned());
    };
    for item in items {
        let Some(scope) = item.as_str() else {
            return Err("must be an array of strings".to_owned());
        };
        if scope.is_empty() || scope.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("each scope must be non-empty and contain no spaces".to_owned());
        }
    }
    Ok(value.clone())
}

/// RFC 9110 `tchar`: what a header field name (and a safe query parameter name) is made of.
fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}
