use super::*;
use chrono::TimeZone;
use serde_json::json;

#[test]
fn types_and_statuses_round_trip_through_every_spelling() {
    for t in CredentialType::ALL {
        let wire = serde_json::to_value(t).unwrap();
        assert_eq!(wire, json!(t.as_str()));
        assert_eq!(t.as_str().parse::<CredentialType>().unwrap(), t);
        assert_eq!(serde_json::from_value::<CredentialType>(wire).unwrap(), t);
        assert_eq!(t.to_string(), t.as_str());
    }
    for s in Status::ALL {
        assert_eq!(serde_json::to_value(s).unwrap(), json!(s.as_str()));
        assert_eq!(s.as_str().parse::<Status>().unwrap(), s);
    }
    let err = "oauth".parse::<CredentialType>().unwrap_err();
    assert_eq!(err.value, "oauth");
    assert_eq!(err.expected, "api_key, basic_auth, oauth2, custom");
    assert!("Active".parse::<Status>().is_err());
}

#[test]
fn mask_reveals_the_last_four_only_from_twelve_characters() {
    let cases: [(&str, &str); 9] = [
        ("", "••••"),
        ("abc", "••••"),
        ("abcdefghijk", "••••"),              // 11
        ("abcdefghijkl", "••••ijkl"),         // 12
        ("abcdefghijklm", "••••jklm"),        // 13
        ("ééééééééééé", "••••"),              // 11 characters, 22 bytes
        ("éééééééé🔑🔑🔑🔑", "••••🔑🔑🔑🔑"), // 12 characters, 32 bytes
        ("ab€€€€€€€€€€€", "••••€€€€"),        // 13 characters
        ("sk_live_0123456789abcdef", "••••cdef"),
    ];
    for (secret, expected) in cases {
        assert_eq!(mask(secret), expected, "{secret:?}");
    }
    // Bytes would have said 12+ for the 11-character value above.
    assert!("ééééééééééé".len() >= 12);
}

/// One stored credential per type, each with secrets long enough to show a tail.
fn samples() -> Vec<(CredentialType, CredentialData, Vec<&'static str>)> {
    let secrets = [
        "sk_live_AAAAAAAAAAAA1111",
        "hunter2-but-longer-2222",
        "client-secret-XXXXXX3333",
        "access-token-YYYYYYY4444",
        "refresh-token-ZZZZZZ5555",
        "short",
    ];
    let data = [
        (
            CredentialType::ApiKey,
            json!({"key": secrets[0], "prefix": "Bearer "}),
            None,
        ),
        (
            CredentialType::BasicAuth,
            json!({"username": "ada", "password": secrets[1]}),
            None,
        ),
        (
            CredentialType::Oauth2,
            json!({"grant_type": "client_credentials", "client_id": "cid",
                "client_secret": secrets[2], "token_url": "https://auth.example.com/token",
                "access_token": secrets[3], "refresh_token": secrets[4]}),
            None,
        ),
        (
            CredentialType::Custom,
            json!({"host": "db.internal", "password": secrets[1], "pin": secrets[5]}),
            Some(vec!["password".to_owned(), "pin".to_owned()]),
        ),
    ];
    data.into_iter()
        .map(|(t, d, sf)| {
            let stored = validate_new(t, &d, sf.as_deref()).unwrap();
            (t, stored, secrets.to_vec())
        })
        .collect()
}

#[test]
fn masked_view_never_contains_a_secret_value() {
    for (t, stored, secrets) in samples() {
        let view = masked_view(&stored);
        let text = serde_json::to_string(&view).unwrap();
        for s in &secrets {
            assert!(!text.contains(s), "{t}: {s} leaked in {text}");
        }
        let debug = format!("{stored:?}");
        for s in &secrets {
            assert!(!debug.contains(s), "{t}: {s} leaked through Debug");
        }
        // Every field is still there: config as is, secrets as masks.
        assert_eq!(view.len(), stored.config.len() + stored.secrets.len());
        for (k, v) in &stored.config {
            assert_eq!(view.get(k), Some(v), "{t}.{k}");
        }
        for k in stored.secrets.keys() {
            let shown = view[k].as_str().unwrap();
            assert!(shown.starts_with(MASK), "{t}.{k}: {shown}");
        }
    }
}

#[test]
fn masked_view_shows_tails_and_masks_non_strings_fully() {
    let d = CredentialData {
        config: serde_json::Map::from_iter([("host".to_owned(), json!("db"))]),
        secrets: serde_json::Map::from_iter([
            ("long".to_owned(), json!("0123456789ab")),
            ("odd".to_owned(), json!(123456789012345_u64)),
        ]),
        secret_fields: None,
    };
    assert_eq!(
        Value::Object(masked_view(&d)),
        json!({"host": "db", "long": "••••89ab", "odd": "••••"})
    );
}

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, day, hour, 0, 0).unwrap()
}

#[test]
fn effective_status_table() {
    let now = at(10, 12);
    let cases = [
        // stored, expires_at, deleted, expected
        (Status::Active, None, false, Status::Active),
        (Status::Error, None, false, Status::Error),
        (Status::Expired, None, false, Status::Expired),
        (Status::Active, Some(at(11, 0)), false, Status::Active),
        (Status::Active, Some(now), false, Status::Expired),
        (Status::Active, Some(at(9, 0)), false, Status::Expired),
        (Status::Error, Some(at(9, 0)), false, Status::Expired),
        (Status::Error, Some(at(11, 0)), false, Status::Error),
        (Status::Active, None, true, Status::Deleted),
        (Status::Expired, Some(at(9, 0)), true, Status::Deleted),
    ];
    for (stored, expires, deleted, expected) in cases {
        assert_eq!(
            effective_status(stored, expires, deleted, now),
            expected,
            "{stored} {expires:?} deleted={deleted}"
        );
    }
}

#[test]
fn rotation_is_due_a_period_after_the_last_rotation_or_creation() {
    let created = at(1, 0);
    assert_eq!(rotation_due_at(created, None, None), None);
    assert_eq!(rotation_due_at(created, Some(at(5, 0)), None), None);
    assert_eq!(rotation_due_at(created, None, Some(7)), Some(at(8, 0)));
    assert_eq!(
        rotation_due_at(created, Some(at(5, 6)), Some(7)),
        Some(at(12, 6))
    );
    assert_eq!(rotation_due_at(created, None, Some(0)), None);
    assert_eq!(rotation_due_at(created, None, Some(-3)), None);
    assert_eq!(
        rotation_due_at(DateTime::<Utc>::MAX_UTC, None, Some(1)),
        None
    );
}

#[test]
fn secret_documents_print_their_names_only_and_are_emptied_when_zeroized() {
    let mut map = Map::new();
    map.insert("key".into(), Value::from("sk_live_secret_value_0001"));
    map.insert(
        "nested".into(),
        serde_json::json!({"inner": ["sk_live_in_a_list_0002"]}),
    );
    let doc = SecretDoc::new(map.clone());
    let shown = format!("{doc:?}");
    assert!(
        shown.contains("key") && !shown.contains("sk_live"),
        "{shown}"
    );
    assert_eq!(
        serde_json::to_value(&doc).expect("json"),
        Value::Object(map.clone())
    );
    zeroize_values(&mut map);
    assert!(map.is_empty());
}

#[test]
fn a_field_as_text_is_the_string_itself_or_a_spelled_out_value() {
    let mut doc = SecretDoc::new(
        json!({"key": "sk_live_secret_value_0001", "prefix": "Bearer ", "scopes": ["read", "write"],
               "none": [], "count": 3, "gone": null})
        .as_object()
        .cloned()
        .unwrap(),
    );
    let text = |doc: &mut SecretDoc, name: &str| doc.take_text(name).map(|t| t.to_string());
    assert_eq!(
        text(&mut doc, "key").as_deref(),
        Some("sk_live_secret_value_0001")
    );
    // Moved out, not copied: the document no longer holds the value.
    assert_eq!(doc["key"], "");
    assert_eq!(text(&mut doc, "prefix").as_deref(), Some("Bearer "));
    assert_eq!(text(&mut doc, "scopes").as_deref(), Some("read write"));
    assert_eq!(text(&mut doc, "none").as_deref(), Some(""));
    assert_eq!(text(&mut doc, "count").as_deref(), Some("3"));
    assert_eq!(text(&mut doc, "gone"), None);
    assert_eq!(text(&mut doc, "missing"), None);
}
