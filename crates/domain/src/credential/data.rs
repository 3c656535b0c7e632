//! A credential's `data`: each type's fields as a table, checked all at once (every problem is
//! reported, one entry per field), split into config and secrets, and merged field by field on
//! update.

use serde_json::{Map, Value};

use super::{CredentialData, CredentialType, FieldError};

mod rules;

use rules::check;
pub use rules::{fields_of, Field, Presence, Rule, AUTHORIZATION_CODE, PARAM_NAME_MAX};

/// Longest name of a `custom` field.
pub const CUSTOM_KEY_MAX: usize = 64;

/// Checks `data` for a new credential of `kind` and splits it. `secret_fields` is only accepted
/// for `custom` (omitted: every field is secret). Every problem is reported at once.
pub fn validate_new(
    kind: CredentialType,
    data: &Value,
    secret_fields: Option<&[String]>,
) -> Result<CredentialData, Vec<FieldError>> {
    let mut errors = secret_fields_allowed(kind, secret_fields);
    let Value::Object(obj) = data else {
        errors.push(FieldError::new("data", "must be an object"));
        return Err(errors);
    };
    let result = match fields_of(kind) {
        Some(fields) => validate_fixed(kind, fields, obj),
        None => validate_custom(obj, secret_fields.unwrap_or(&[]), secret_fields.is_none()),
    };
    finish(result, errors)
}

/// Applies a `PATCH`'s `data` to `current`: fields present replace stored ones, absent fields
/// keep theirs, `null` removes an optional field (a required one then fails validation). The
/// merged data is validated like a new one. `Value::Null` means the patch sends no `data`.
///
/// For `custom`, new fields are secret unless `secret_fields` is sent, which re-splits all of
/// them. The flag says whether any secret value, or the set of secret fields, changed: that
/// makes a new version.
pub fn merge_update(
    kind: CredentialType,
    current: &CredentialData,
    patch: &Value,
    secret_fields: Option<&[String]>,
) -> Result<(CredentialData, bool), Vec<FieldError>> {
    let mut errors = secret_fields_allowed(kind, secret_fields);
    let empty = Map::new();
    let patch = match patch {
        Value::Null => &empty,
        Value::Object(obj) => obj,
        _ => {
            errors.push(FieldError::new("data", "must be an object"));
            return Err(errors);
        }
    };
    let mut merged = current.config.clone();
    merged.extend(current.secrets.clone());
    let before = merged.clone();
    for (name, value) in patch {
        if value.is_null() {
            if merged.remove(name).is_none() {
                errors.extend(unknown_field(kind, name));
            }
        } else {
            merged.insert(name.clone(), value.clone());
        }
    }
    let result = match fields_of(kind) {
        Some(fields) => validate_fixed(kind, fields, &merged),
        None => {
            let names: Vec<String> = match secret_fields {
                Some(list) => list.to_vec(),
                None => merged
                    .keys()
                    .filter(|k| current.secrets.contains_key(*k) || !before.contains_key(*k))
                    .cloned()
                    .collect(),
            };
            validate_custom(&merged, &names, false)
        }
    };
    let new = finish(result, errors)?;
    let changed = new.secrets != current.secrets || new.secret_fields != current.secret_fields;
    Ok((new, changed))
}

fn finish(
    result: Result<CredentialData, Vec<FieldError>>,
    mut errors: Vec<FieldError>,
) -> Result<CredentialData, Vec<FieldError>> {
    match result {
        Ok(d) if errors.is_empty() => Ok(d),
        Ok(_) => Err(errors),
        Err(more) => {
            errors.extend(more);
            Err(errors)
        }
    }
}

fn secret_fields_allowed(
    kind: CredentialType,
    secret_fields: Option<&[String]>,
) -> Vec<FieldError> {
    if kind == CredentialType::Custom || secret_fields.is_none() {
        return Vec::new();
    }
    vec![FieldError::new(
        "secret_fields",
        format!("is only accepted for type custom; the secret fields of {kind} are fixed"),
    )]
}

/// The error for a field the type does not have; `custom` has no unknown fields.
fn unknown_field(kind: CredentialType, name: &str) -> Option<FieldError> {
    let fields = fields_of(kind)?;
    (!fields.iter().any(|f| f.name == name)).then(|| {
        FieldError::new(
            format!("data.{name}"),
            format!("unknown field for type {kind}"),
        )
    })
}

fn validate_fixed(
    kind: CredentialType,
    fields: &[Field],
    obj: &Map<String, Value>,
) -> Result<CredentialData, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut config = Map::new();
    let mut secrets = Map::new();
    for f in fields {
        let value = match (obj.get(f.name).filter(|v| !v.is_null()), f.presence) {
            (Some(v), _) => match check(f.rule, v) {
                Ok(v) => v,
                Err(message) => {
                    errors.push(FieldError::new(format!("data.{}", f.name), message));
                    continue;
                }
            },
            (None, Presence::Required) => {
                errors.push(FieldError::new(format!("data.{}", f.name), "is required"));
                continue;
            }
            (None, Presence::Optional) => continue,
            (None, Presence::DefaultText(text)) => Value::from(text),
            (None, Presence::DefaultEmptyList) => Value::Array(Vec::new()),
        };
        let target = if f.secret { &mut secrets } else { &mut config };
        target.insert(f.name.to_owned(), value);
    }
    errors.extend(obj.keys().filter_map(|name| unknown_field(kind, name)));
    let grant = obj.get("grant_type").and_then(Value::as_str);
    if kind == CredentialType::Oauth2
        && grant == Some(AUTHORIZATION_CODE)
        && obj.get("authorization_url").is_none_or(Value::is_null)
    {
        errors.push(FieldError::new(
            "data.authorization_url",
            "is required when grant_type is authorization_code",
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(CredentialData {
        config,
        secrets,
        secret_fields: None,
    })
}

/// Whether `name` can be the name of a field of `data`: every fixed type's names are, and a
/// `custom` field's name must be (`[A-Za-z0-9_.-]{1,64}`).
pub fn is_field_name(name: &str) -> bool {
    (1..=CUSTOM_KEY_MAX).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// `custom` data: string values under `[A-Za-z0-9_.-]{1,64}` names. `all_secret` (the create
/// body omitted `secret_fields`) makes every field secret; else `secret_names` lists them.
fn validate_custom(
    obj: &Map<String, Value>,
    secret_names: &[String],
    all_secret: bool,
) -> Result<CredentialData, Vec<FieldError>> {
    let mut errors = Vec::new();
    if obj.is_empty() {
        errors.push(FieldError::new("data", "must have at least one field"));
    }
    for (name, value) in obj {
        if !is_field_name(name) {
            errors.push(FieldError::new(
                format!("data.{name}"),
                "field names must be 1 to 64 characters of letters, digits, '_', '.' and '-'",
            ));
        } else if !value.is_string() {
            errors.push(FieldError::new(format!("data.{name}"), "must be a string"));
        }
    }
    let mut listed: Vec<String> = if all_secret {
        obj.keys().cloned().collect()
    } else {
        secret_names.to_vec()
    };
    listed.sort();
    listed.dedup();
    let missing: Vec<&str> = listed
        .iter()
        .filter(|n| !obj.contains_key(*n))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        errors.push(FieldError::new(
            "secret_fields",
            format!(
                "must name only fields of data; not in data: {}",
                missing.join(", ")
            ),
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let (secrets, config) = obj
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .partition(|(k, _)| listed.binary_search(k).is_ok());
    Ok(CredentialData {
        config,
        secrets,
        secret_fields: Some(listed),
    })
}

#[cfg(test)]
mod tests;
