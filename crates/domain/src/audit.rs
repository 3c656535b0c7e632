//! The canonical form of an audit event, the input of the per-workspace hash chain
//! (`hash = SHA-256(prev_hash ‖ canonical_bytes)`).
//!
//! It must come out byte-for-byte the same when an event is written and when it is read back
//! from PostgreSQL months later, so everything that storage may change is pinned here: times are
//! truncated to microseconds, object keys are sorted at every depth (jsonb returns them in its
//! own order), absent values are `null`. The personal-data fields (actor display, target name,
//! ip, user agent) are not part of it, so GDPR erasure can pseudonymize them without breaking
//! `verify`.
//!
//! Numbers in `details` are encoded as serde_json prints them. Keep `details` to strings,
//! integers, booleans, arrays and objects: a float may not parse back to the same bits.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value};
use uuid::Uuid;

/// The fields of an audit event that the hash chain covers, borrowed from the stored row or the
/// event being written.
#[derive(Debug, Clone, Copy)]
pub struct ChainedFields<'a> {
    pub workspace_id: Uuid,
    pub seq: i64,
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub actor_type: &'a str,
    pub actor_id: Option<Uuid>,
    pub action: &'a str,
    pub target_type: Option<&'a str>,
    pub target_id: Option<&'a str>,
    pub outcome: &'a str,
    pub request_id: Option<&'a str>,
    pub details: &'a Value,
}

/// The deterministic encoding hashed into the chain: compact JSON of an object with these
/// fields, keys sorted recursively, `at` as RFC 3339 UTC with exactly 6 fractional digits
/// (truncated, as PostgreSQL stores microseconds), uuids lowercase hyphenated, absent as `null`.
/// Changing this function invalidates every stored chain: pin it with the golden test.
pub fn canonical_bytes(f: &ChainedFields) -> Vec<u8> {
    let uuid = |u: Uuid| Value::String(u.hyphenated().to_string());
    let opt_str = |s: Option<&str>| s.map_or(Value::Null, |s| Value::String(s.to_owned()));

    let mut event = Map::new();
    event.insert("workspace_id".into(), uuid(f.workspace_id));
    event.insert("seq".into(), Value::from(f.seq));
    event.insert("id".into(), uuid(f.id));
    event.insert(
        "at".into(),
        Value::String(f.at.to_rfc3339_opts(SecondsFormat::Micros, true)),
    );
    event.insert("actor_type".into(), Value::String(f.actor_type.to_owned()));
    event.insert("actor_id".into(), f.actor_id.map_or(Value::Null, uuid));
    event.insert("action".into(), Value::String(f.action.to_owned()));
    event.insert("target_type".into(), opt_str(f.target_type));
    event.insert("target_id".into(), opt_str(f.target_id));
    event.insert("outcome".into(), Value::String(f.outcome.to_owned()));
    event.insert("request_id".into(), opt_str(f.request_id));
    event.insert("details".into(), f.details.clone());

    let mut out = String::new();
    write_sorted(&Value::Object(event), &mut out);
    out.into_bytes()
}

/// Writes compact JSON with object keys sorted at every depth. Sorting is explicit rather than
/// left to serde_json's map type, so enabling its `preserve_order` feature anywhere in the
/// build cannot silently change the chain.
fn write_sorted(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_sorted(item, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_sorted(item, out);
            }
            out.push(']');
        }
        // Scalars: serde_json's own (infallible) Display is the compact JSON form.
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests;
