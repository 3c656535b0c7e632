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
use serde_json::Value;
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
    let [head, middle, tail] = canonical_parts(f);
    let at = at_text(f.at);
    let seq = f.seq.to_string();
    let mut out =
        Vec::with_capacity(head.len() + at.len() + middle.len() + seq.len() + tail.len() + 2);
    out.extend_from_slice(&head);
    write_str(&mut out, &at);
    out.extend_from_slice(&middle);
    out.extend_from_slice(seq.as_bytes());
    out.extend_from_slice(&tail);
    out
}

/// `at` as the encoding writes it (inside quotes): `2025-03-04T05:06:07.123456Z`.
pub fn at_text(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// The encoding with its two chain-assigned fields left open, for appends that take `at` and
/// `seq` from the chain head (PostgreSQL's `audit_append`, under the head's lock):
/// `canonical_bytes(f) = head ‖ "at_text(at)" ‖ middle ‖ seq ‖ tail`. The parts do not depend on
/// `f.at` or `f.seq`.
pub fn canonical_parts(f: &ChainedFields) -> [Vec<u8>; 3] {
    // Written field by field in sorted key order, with no intermediate JSON tree: this runs for
    // every event on the resolve path. `tests::reference_encoding` is the plain definition (build
    // the object, print it sorted) and a property test holds the two equal.
    let uuid = |out: &mut Vec<u8>, u: Uuid| {
        out.push(b'"');
        out.extend_from_slice(
            u.hyphenated()
                .encode_lower(&mut Uuid::encode_buffer())
                .as_bytes(),
        );
        out.push(b'"');
    };
    let mut head = Vec::with_capacity(128);
    head.extend_from_slice(b"{\"action\":");
    write_str(&mut head, f.action);
    head.extend_from_slice(b",\"actor_id\":");
    match f.actor_id {
        Some(u) => uuid(&mut head, u),
        None => head.extend_from_slice(b"null"),
    }
    head.extend_from_slice(b",\"actor_type\":");
    write_str(&mut head, f.actor_type);
    head.extend_from_slice(b",\"at\":");
    let mut middle = Vec::with_capacity(256);
    middle.extend_from_slice(b",\"details\":");
    write_sorted(f.details, &mut middle);
    middle.extend_from_slice(b",\"id\":");
    uuid(&mut middle, f.id);
    middle.extend_from_slice(b",\"outcome\":");
    write_str(&mut middle, f.outcome);
    middle.extend_from_slice(b",\"request_id\":");
    write_opt_str(&mut middle, f.request_id);
    middle.extend_from_slice(b",\"seq\":");
    let mut tail = Vec::with_capacity(128);
    tail.extend_from_slice(b",\"target_id\":");
    write_opt_str(&mut tail, f.target_id);
    tail.extend_from_slice(b",\"target_type\":");
    write_opt_str(&mut tail, f.target_type);
    tail.extend_from_slice(b",\"workspace_id\":");
    uuid(&mut tail, f.workspace_id);
    tail.push(b'}');
    [head, middle, tail]
}

/// A JSON string literal, escaped exactly as serde_json escapes it.
fn write_str(out: &mut Vec<u8>, s: &str) {
    // Writing into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

fn write_opt_str(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => write_str(out, s),
        None => out.extend_from_slice(b"null"),
    }
}

/// Writes compact JSON with object keys sorted at every depth. Sorting is explicit rather than
/// left to serde_json's map type, so enabling its `preserve_order` feature anywhere in the
/// build cannot silently change the chain.
fn write_sorted(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push(b'{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_str(out, key);
                out.push(b':');
                write_sorted(item, out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_sorted(item, out);
            }
            out.push(b']');
        }
        // Scalars: serde_json's own compact form.
        scalar => {
            let _ = serde_json::to_writer(&mut *out, scalar);
        }
    }
}

#[cfg(test)]
mod tests;
