use super::*;
use chrono::TimeZone;
use serde_json::{json, Map};

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 4, 5, 6, 7).unwrap() + chrono::Duration::nanoseconds(123_456_789)
}

fn base(details: &Value) -> ChainedFields<'_> {
    ChainedFields {
        workspace_id: Uuid::parse_str("0195a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b").unwrap(),
        seq: 42,
        id: Uuid::parse_str("0195A1B2-C3D4-7E5F-8A9B-000000000001").unwrap(),
        at: at(),
        actor_type: "user",
        actor_id: Some(Uuid::parse_str("0195a1b2-c3d4-7e5f-8a9b-000000000002").unwrap()),
        action: "credential.used",
        target_type: Some("credential"),
        target_id: Some("0195a1b2-c3d4-7e5f-8a9b-000000000003"),
        outcome: "success",
        request_id: Some("req-1"),
        details,
    }
}

#[test]
fn golden_encoding() {
    let details = json!({"workflow_id": "wf:1", "version": 3});
    let bytes = canonical_bytes(&base(&details));
    let expected = concat!(
        r#"{"action":"credential.used","actor_id":"0195a1b2-c3d4-7e5f-8a9b-000000000002","#,
        r#""actor_type":"user","at":"2025-03-04T05:06:07.123456Z","#,
        r#""details":{"version":3,"workflow_id":"wf:1"},"#,
        r#""id":"0195a1b2-c3d4-7e5f-8a9b-000000000001","outcome":"success","#,
        r#""request_id":"req-1","seq":42,"target_id":"0195a1b2-c3d4-7e5f-8a9b-000000000003","#,
        r#""target_type":"credential","workspace_id":"0195a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"}"#,
    );
    assert_eq!(String::from_utf8(bytes).unwrap(), expected);
}

#[test]
fn absent_values_are_null_and_whole_seconds_keep_six_digits() {
    let details = Value::Null;
    let mut f = base(&details);
    f.actor_id = None;
    f.target_type = None;
    f.target_id = None;
    f.request_id = None;
    f.at = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    let text = String::from_utf8(canonical_bytes(&f)).unwrap();
    assert!(text.contains(r#""actor_id":null"#), "{text}");
    assert!(
        text.contains(r#""target_id":null,"target_type":null"#),
        "{text}"
    );
    assert!(text.contains(r#""request_id":null"#), "{text}");
    assert!(
        text.contains(r#""at":"2025-01-01T00:00:00.000000Z""#),
        "{text}"
    );
    assert!(text.contains(r#""details":null"#), "{text}");
}

/// Nested objects come out sorted and strings escaped exactly so, every time: the expected text
/// is written out by hand (not produced by the code under test), so a change of key order,
/// escaping or number format in any run fails here.
#[test]
fn nested_details_and_escapes_encode_to_one_fixed_text() {
    let details = json!({"s": "é\"\n", "a": [1, {"z": true, "b": null}]});
    let expected = concat!(
        r#"{"action":"credential.used","actor_id":"0195a1b2-c3d4-7e5f-8a9b-000000000002","#,
        r#""actor_type":"user","at":"2025-03-04T05:06:07.123456Z","#,
        r#""details":{"a":[1,{"b":null,"z":true}],"s":"é\"\n"},"#,
        r#""id":"0195a1b2-c3d4-7e5f-8a9b-000000000001","outcome":"success","#,
        r#""request_id":"req-1","seq":42,"target_id":"0195a1b2-c3d4-7e5f-8a9b-000000000003","#,
        r#""target_type":"credential","workspace_id":"0195a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"}"#,
    );
    for _ in 0..3 {
        assert_eq!(
            String::from_utf8(canonical_bytes(&base(&details))).unwrap(),
            expected
        );
    }
}

#[test]
fn details_key_order_does_not_matter_at_any_depth() {
    let mut inner1 = Map::new();
    inner1.insert("y".into(), json!(1));
    inner1.insert("x".into(), json!([{"q": 1, "p": 2}]));
    let mut outer1 = Map::new();
    outer1.insert("zeta".into(), Value::Object(inner1));
    outer1.insert("alpha".into(), json!("a"));

    let mut inner2 = Map::new();
    inner2.insert("x".into(), json!([{"p": 2, "q": 1}]));
    inner2.insert("y".into(), json!(1));
    let mut outer2 = Map::new();
    outer2.insert("alpha".into(), json!("a"));
    outer2.insert("zeta".into(), Value::Object(inner2));

    let (d1, d2) = (Value::Object(outer1), Value::Object(outer2));
    assert_eq!(canonical_bytes(&base(&d1)), canonical_bytes(&base(&d2)));
    // As jsonb would hand them back: parsed from text in another order.
    let d3: Value =
        serde_json::from_str(r#"{"zeta":{"y":1,"x":[{"q":1,"p":2}]},"alpha":"a"}"#).unwrap();
    assert_eq!(canonical_bytes(&base(&d1)), canonical_bytes(&base(&d3)));
    // Array order is content, not formatting.
    let d4 = json!({"alpha": "a", "zeta": {"x": [{"p": 2, "q": 1}], "y": 1}, "extra": []});
    assert_ne!(canonical_bytes(&base(&d1)), canonical_bytes(&base(&d4)));
}

#[test]
fn every_chained_field_changes_the_bytes() {
    let details = json!({"k": "v"});
    let other_details = json!({"k": "w"});
    let original = canonical_bytes(&base(&details));
    let other = Uuid::parse_str("0195a1b2-c3d4-7e5f-8a9b-00000000ffff").unwrap();
    let b = base(&details);
    let changed = [
        (
            "workspace_id",
            ChainedFields {
                workspace_id: other,
                ..b
            },
        ),
        ("seq", ChainedFields { seq: 43, ..b }),
        ("id", ChainedFields { id: other, ..b }),
        (
            "at",
            ChainedFields {
                at: b.at + chrono::Duration::microseconds(1),
                ..b
            },
        ),
        (
            "actor_type",
            ChainedFields {
                actor_type: "token",
                ..b
            },
        ),
        (
            "actor_id",
            ChainedFields {
                actor_id: None,
                ..b
            },
        ),
        (
            "action",
            ChainedFields {
                action: "credential.updated",
                ..b
            },
        ),
        (
            "target_type",
            ChainedFields {
                target_type: Some("user"),
                ..b
            },
        ),
        (
            "target_id",
            ChainedFields {
                target_id: Some("null"),
                ..b
            },
        ),
        (
            "outcome",
            ChainedFields {
                outcome: "denied",
                ..b
            },
        ),
        (
            "request_id",
            ChainedFields {
                request_id: None,
                ..b
            },
        ),
        (
            "details",
            ChainedFields {
                details: &other_details,
                ..b
            },
        ),
    ];
    for (name, f) in changed {
        assert_ne!(
            canonical_bytes(&f),
            original,
            "changing {name} must change the bytes"
        );
    }
}

#[test]
fn sub_microsecond_differences_do_not_matter() {
    let details = json!({});
    let mut f = base(&details);
    f.at = Utc.with_ymd_and_hms(2025, 3, 4, 5, 6, 7).unwrap()
        + chrono::Duration::microseconds(123_456);
    let truncated = canonical_bytes(&f);
    for extra_ns in [1, 500, 999] {
        f.at = Utc.with_ymd_and_hms(2025, 3, 4, 5, 6, 7).unwrap()
            + chrono::Duration::nanoseconds(123_456_000 + extra_ns);
        assert_eq!(canonical_bytes(&f), truncated, "+{extra_ns} ns");
    }
    // Truncated, not rounded: .123456999 is .123456.
    let text = String::from_utf8(truncated).unwrap();
    assert!(text.contains("07.123456Z"), "{text}");
}

/// The plain definition of the encoding: build the object, print it with keys sorted at every
/// depth. `canonical_bytes` writes the same bytes without the intermediate tree.
fn reference_encoding(f: &ChainedFields) -> Vec<u8> {
    fn sorted(value: &Value, out: &mut String) {
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
                    sorted(item, out);
                }
                out.push('}');
            }
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    sorted(item, out);
                }
                out.push(']');
            }
            scalar => out.push_str(&scalar.to_string()),
        }
    }
    let uuid = |u: Uuid| Value::String(u.hyphenated().to_string());
    let opt_str = |s: Option<&str>| s.map_or(Value::Null, |s| Value::String(s.to_owned()));
    let mut event = serde_json::Map::new();
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
    sorted(&Value::Object(event), &mut out);
    out.into_bytes()
}

fn json_value() -> impl proptest::strategy::Strategy<Value = Value> {
    use proptest::prelude::*;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<String>().prop_map(Value::from),
        "[\\\\\"\\x00-\\x1f\\u{7f}-\\u{a0}\\u{2028}\\u{2029}a-z]{0,8}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 5, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            proptest::collection::btree_map(any::<String>(), inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest::proptest! {
    #[test]
    fn the_fast_encoding_is_the_reference_encoding(
        details in json_value(),
        seq in proptest::prelude::any::<i64>(),
        ns in 0i64..4_000_000_000_000_000_000,
        actor_id in proptest::option::of(proptest::prelude::any::<u128>()),
        texts in proptest::collection::vec(proptest::prelude::any::<String>(), 5),
        nones in proptest::prelude::any::<[bool; 3]>(),
    ) {
        let pick = |i: usize| (!nones[i]).then_some(texts[i].as_str());
        let f = ChainedFields {
            workspace_id: Uuid::from_u128(seq as u128 ^ 0x5555),
            seq,
            id: Uuid::from_u128(!(seq as u128)),
            at: DateTime::from_timestamp_nanos(ns),
            actor_type: &texts[3],
            actor_id: actor_id.map(Uuid::from_u128),
            action: &texts[4],
            target_type: pick(0),
            target_id: pick(1),
            outcome: "success",
            request_id: pick(2),
            details: &details,
        };
        proptest::prop_assert_eq!(canonical_bytes(&f), reference_encoding(&f));
    }
}
