use serde_json::json;

use super::*;
use crate::credential::validate_new;

fn data(kind: CredentialType, v: Value, secret_fields: Option<&[String]>) -> CredentialData {
    validate_new(kind, &v, secret_fields).expect("valid data")
}

fn sent(v: Value) -> Map<String, Value> {
    v.as_object().cloned().expect("object")
}

fn oauth(token_url: &str) -> CredentialData {
    data(
        CredentialType::Oauth2,
        json!({"grant_type": "authorization_code", "client_id": "c", "client_secret": "s3cr3t",
               "authorization_url": "https://auth.example.com/authorize", "token_url": token_url,
               "access_token": "at", "refresh_token": "rt", "token_expires_at": "2030-01-01T00:00:00Z"}),
        None,
    )
}

#[test]
fn origins_are_scheme_host_and_port_with_the_default_port_written() {
    let cases = [
        (
            "https://API.example.com/x?y=1",
            Some("https://api.example.com:443"),
        ),
        (
            "https://api.example.com:443/",
            Some("https://api.example.com:443"),
        ),
        ("http://api.example.com/", Some("http://api.example.com:80")),
        (
            "http://api.example.com:8080/{{k}}",
            Some("http://api.example.com:8080"),
        ),
        ("http://[::1]:9/", Some("http://[::1]:9")),
        ("ftp://example.com/", None),
        ("not a url", None),
    ];
    for (url, want) in cases {
        assert_eq!(origin(url).as_deref(), want, "{url}");
    }
}

#[test]
fn a_placeholder_is_the_name_in_double_braces() {
    assert_eq!(placeholder("token"), "{{token}}");
}

#[test]
fn a_move_to_another_origin_needs_the_secret_of_each_type_again() {
    let cases: [(CredentialType, Value, &str); 3] = [
        (
            CredentialType::ApiKey,
            json!({"key": "k-123456789012"}),
            "key",
        ),
        (
            CredentialType::BasicAuth,
            json!({"username": "u", "password": "p"}),
            "password",
        ),
        (CredentialType::Oauth2, json!({}), "client_secret"),
    ];
    for (kind, v, secret) in cases {
        let d = if kind == CredentialType::Oauth2 {
            oauth("https://idp.example.com/token")
        } else {
            data(kind, v, None)
        };
        let bound = Destinations::of(kind, Some("https://api.example.com/me"), &d);
        let next = Destinations::of(kind, Some("https://evil.example.net/me"), &d);
        let err = check_change(kind, &bound, &next, &Map::new()).expect_err("refused");
        assert_eq!(err.len(), 1, "{kind}");
        assert_eq!(err[0].field, "test.url");
        assert!(
            err[0].message.contains(&format!("data.{secret}")),
            "{}",
            err[0].message
        );
        assert!(err[0].message.contains("https://evil.example.net:443"));
        // Sent again: accepted, and reported as a move.
        let ok = check_change(kind, &bound, &next, &sent(json!({secret: "new"}))).expect("ok");
        assert_eq!(ok.moved, vec!["test.url"]);
        // null is not sending it.
        assert!(check_change(kind, &bound, &next, &sent(json!({secret: null}))).is_err());
    }
}

#[test]
fn the_same_origin_needs_nothing_and_a_new_test_is_a_move() {
    let kind = CredentialType::ApiKey;
    let d = data(kind, json!({"key": "k"}), None);
    let bound = Destinations::of(kind, Some("https://api.example.com/a"), &d);
    let same = Destinations::of(kind, Some("https://API.example.com:443/b?c=d"), &d);
    assert_eq!(
        check_change(kind, &bound, &same, &Map::new()),
        Ok(DestinationChange::default())
    );
    // Removing the test moves nothing; adding one where there was none is a move.
    let none = Destinations::of(kind, None, &d);
    assert!(check_change(kind, &bound, &none, &Map::new()).is_ok());
    assert!(check_change(kind, &none, &bound, &Map::new()).is_err());
    // Another scheme or port of the same host is another origin.
    for other in ["http://api.example.com/a", "https://api.example.com:8443/a"] {
        let next = Destinations::of(kind, Some(other), &d);
        assert!(
            check_change(kind, &bound, &next, &Map::new()).is_err(),
            "{other}"
        );
    }
}

#[test]
fn oauth2_token_and_authorization_urls_are_bound_too() {
    let kind = CredentialType::Oauth2;
    let before = oauth("https://idp.example.com/token");
    let bound = Destinations::of(kind, None, &before);
    let mut moved = before.clone();
    moved
        .config
        .insert("token_url".into(), json!("https://evil.example.net/token"));
    moved.config.insert(
        "authorization_url".into(),
        json!("https://evil.example.net/authorize"),
    );
    let next = Destinations::of(kind, None, &moved);
    let err = check_change(kind, &bound, &next, &Map::new()).expect_err("refused");
    let fields: Vec<&str> = err.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, vec!["data.token_url", "data.authorization_url"]);
    let change =
        check_change(kind, &bound, &next, &sent(json!({"client_secret": "x"}))).expect("ok");
    // The tokens of the old provider go, unless they were sent as well.
    let mut d = moved.clone();
    assert!(drop_unsent_tokens(
        kind,
        &change,
        &sent(json!({"client_secret": "x"})),
        &mut d
    ));
    assert!(!d.secrets.contains_key("access_token") && !d.secrets.contains_key("refresh_token"));
    assert!(!d.config.contains_key("token_expires_at"));
    let mut d = moved.clone();
    let with_rt = sent(json!({"client_secret": "x", "refresh_token": "rt2"}));
    assert!(drop_unsent_tokens(kind, &change, &with_rt, &mut d));
    assert!(d.secrets.contains_key("refresh_token") && !d.secrets.contains_key("access_token"));
    // Nothing moved: nothing dropped.
    let mut d = moved;
    assert!(!drop_unsent_tokens(
        kind,
        &DestinationChange::default(),
        &Map::new(),
        &mut d
    ));
    assert!(d.secrets.contains_key("access_token"));
}

#[test]
fn custom_placeholders_of_secret_fields_are_bound() {
    let kind = CredentialType::Custom;
    let d = data(
        kind,
        json!({"token": "t", "account": "acme", "other": "o"}),
        Some(&["token".to_string(), "other".to_string()]),
    );
    let plain = Destinations::of(kind, Some("https://api.example.com/{{account}}"), &d);
    assert!(plain.test_secrets.is_empty());
    let with_secret = Destinations::of(
        kind,
        Some("https://api.example.com/{{account}}?t={{token}}"),
        &d,
    );
    assert_eq!(with_secret.test_secrets, vec!["token"]);
    // Adding a secret placeholder on the same origin needs that secret.
    let err = check_change(kind, &plain, &with_secret, &Map::new()).expect_err("refused");
    assert_eq!(err[0].field, "test.url");
    assert!(err[0].message.contains("data.token"));
    assert!(check_change(kind, &plain, &with_secret, &sent(json!({"token": "t2"}))).is_ok());
    // Keeping one that was there already needs nothing.
    assert!(check_change(kind, &with_secret, &with_secret, &Map::new()).is_ok());
    // Moving a test that names no secret sends none: nothing to send again.
    let elsewhere = Destinations::of(kind, Some("https://evil.example.net/{{account}}"), &d);
    assert!(check_change(kind, &plain, &elsewhere, &Map::new()).is_ok());
    // Extra braces around a placeholder do not hide it: `{{{token}}}` sends the token too.
    for sneaky in [
        "https://evil.example.net/?t={{{token}}}",
        "https://evil.example.net/?t={{a{{token}}",
    ] {
        let next = Destinations::of(kind, Some(sneaky), &d);
        assert_eq!(next.test_secrets, vec!["token"], "{sneaky}");
        assert!(
            check_change(kind, &plain, &next, &Map::new()).is_err(),
            "{sneaky}"
        );
        let same_origin = sneaky.replace("evil.example.net", "api.example.com");
        let next = Destinations::of(kind, Some(&same_origin), &d);
        assert!(
            check_change(kind, &plain, &next, &Map::new()).is_err(),
            "{same_origin}"
        );
    }
    // Moving one that does needs exactly the secrets it names.
    let evil = Destinations::of(kind, Some("https://evil.example.net/?t={{token}}"), &d);
    let err =
        check_change(kind, &with_secret, &evil, &sent(json!({"other": "o"}))).expect_err("refused");
    assert!(err[0].message.contains("data.token") && !err[0].message.contains("data.other"));
}

#[test]
fn a_restore_refuses_destinations_its_secrets_were_not_set_for() {
    let kind = CredentialType::ApiKey;
    let d = data(kind, json!({"key": "k"}), None);
    let old = Destinations::of(kind, Some("https://api.example.com/"), &d);
    let now = Destinations::of(kind, Some("https://evil.example.net/"), &d);
    let err = check_restore(3, &old, &now).expect_err("refused");
    assert_eq!(err[0].field, "test.url");
    assert!(err[0].message.contains("version 3"));
    assert!(check_restore(3, &old, &old).is_ok());
    assert!(check_restore(3, &old, &Destinations::of(kind, None, &d)).is_ok());
}

#[test]
fn destinations_round_trip_through_json() {
    let d = oauth("https://idp.example.com/token");
    let dest = Destinations::of(CredentialType::Oauth2, Some("https://api.example.com/"), &d);
    let back: Destinations =
        serde_json::from_value(serde_json::to_value(&dest).expect("json")).expect("back");
    assert_eq!(back, dest);
    let empty: Destinations = serde_json::from_value(json!({})).expect("defaults");
    assert_eq!(empty, Destinations::default());
}
