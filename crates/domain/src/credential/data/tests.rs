use super::*;
use serde_json::json;
use CredentialType::{ApiKey, BasicAuth, Custom, Oauth2};

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        other => panic!("not an object: {other}"),
    }
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

/// The fields reported, in order, or an empty list when the data is valid.
fn problems(kind: CredentialType, data: Value, secret_fields: Option<&[&str]>) -> Vec<String> {
    let sf = secret_fields.map(names);
    match validate_new(kind, &data, sf.as_deref()) {
        Ok(_) => Vec::new(),
        Err(errors) => errors.into_iter().map(|e| e.field).collect(),
    }
}

const OAUTH_CC: &str = r#"{"grant_type": "client_credentials", "client_id": "cid",
    "client_secret": "cs", "token_url": "https://auth.example.com/token"}"#;

fn oauth_cc() -> Value {
    serde_json::from_str(OAUTH_CC).unwrap()
}

fn with(mut base: Value, key: &str, value: Value) -> Value {
    base[key] = value;
    base
}

fn without(base: Value, key: &str) -> Value {
    let mut m = obj(base);
    m.remove(key);
    Value::Object(m)
}

/// kind, data, secret_fields; then the expected config, secrets and stored secret_fields.
type ValidCase = (
    CredentialType,
    Value,
    Option<&'static [&'static str]>,
    Value,
    Value,
    Option<Vec<&'static str>>,
);

#[test]
fn valid_data_is_split_into_config_and_secrets_with_defaults() {
    #[rustfmt::skip]
    let cases: Vec<ValidCase> = vec![
        (ApiKey, json!({"key": "k"}), None,
            json!({"placement": "header", "name": "Authorization", "prefix": ""}), json!({"key": "k"}), None),
        (ApiKey, json!({"key": "k", "placement": "query", "name": "api_key", "prefix": "Token "}), None,
            json!({"placement": "query", "name": "api_key", "prefix": "Token "}), json!({"key": "k"}), None),
        (BasicAuth, json!({"username": "ada", "password": ""}), None,
            json!({"username": "ada"}), json!({"password": ""}), None),
        (Oauth2, oauth_cc(), None,
            json!({"grant_type": "client_credentials", "client_id": "cid", "token_url": "https://auth.example.com/token", "scopes": []}),
            json!({"client_secret": "cs"}), None),
        (Oauth2, json!({"grant_type": "authorization_code", "client_id": "cid", "client_secret": "cs",
                "authorization_url": "https://auth.example.com/authorize", "token_url": "http://10.0.0.5:8080/token",
                "scopes": ["read", "write:all"], "access_token": "at", "refresh_token": "rt",
                "token_expires_at": "2030-01-01T01:00:00.5+01:00"}), None,
            json!({"grant_type": "authorization_code", "client_id": "cid",
                "authorization_url": "https://auth.example.com/authorize", "token_url": "http://10.0.0.5:8080/token",
                "scopes": ["read", "write:all"], "token_expires_at": "2030-01-01T00:00:00.500Z"}),
            json!({"client_secret": "cs", "access_token": "at", "refresh_token": "rt"}), None),
        (Custom, json!({"b": "2", "a.x-y_z": "1"}), None,
            json!({}), json!({"a.x-y_z": "1", "b": "2"}), Some(vec!["a.x-y_z", "b"])),
        (Custom, json!({"host": "db", "pw": "s", "pin": "1"}), Some(&["pw", "pin", "pw"]),
            json!({"host": "db"}), json!({"pw": "s", "pin": "1"}), Some(vec!["pin", "pw"])),
        (Custom, json!({"host": "db"}), Some(&[]),
            json!({"host": "db"}), json!({}), Some(vec![])),
    ];
    for (kind, data, sf, config, secrets, stored) in cases {
        let sf = sf.map(names);
        let d = validate_new(kind, &data, sf.as_deref())
            .unwrap_or_else(|e| panic!("{kind} {data}: {e:?}"));
        assert_eq!(Value::Object(d.config.clone()), config, "{kind} {data}");
        assert_eq!(Value::Object(d.secrets.clone()), secrets, "{kind} {data}");
        assert_eq!(d.secret_fields, stored.map(|s| names(&s)), "{kind} {data}");
    }
}

#[test]
fn every_missing_required_field_is_reported() {
    #[rustfmt::skip]
    let cases = [
        (ApiKey, json!({}), vec!["data.key"]),
        (ApiKey, json!({"key": null}), vec!["data.key"]),
        (BasicAuth, json!({"password": "p"}), vec!["data.username"]),
        (BasicAuth, json!({"username": "u"}), vec!["data.password"]),
        (BasicAuth, json!({}), vec!["data.username", "data.password"]),
        (Oauth2, without(oauth_cc(), "grant_type"), vec!["data.grant_type"]),
        (Oauth2, without(oauth_cc(), "client_id"), vec!["data.client_id"]),
        (Oauth2, without(oauth_cc(), "client_secret"), vec!["data.client_secret"]),
        (Oauth2, without(oauth_cc(), "token_url"), vec!["data.token_url"]),
        (Oauth2, with(oauth_cc(), "grant_type", json!("authorization_code")), vec!["data.authorization_url"]),
        (Custom, json!({}), vec!["data"]),
    ];
    for (kind, data, expected) in cases {
        assert_eq!(
            problems(kind, data.clone(), None),
            expected,
            "{kind} {data}"
        );
    }
}

#[test]
fn wrong_types_and_broken_rules_are_422s_on_the_field() {
    let long = "x".repeat(65);
    let long_field = format!("data.{long}");
    #[rustfmt::skip]
    let cases: Vec<(CredentialType, Value, &str, &str)> = vec![
        (ApiKey, json!({"key": 42}), "data.key", "must be a string"),
        (ApiKey, json!({"key": " "}), "data.key", "must not be empty"),
        (ApiKey, json!({"key": "k\n"}), "data.key", "control characters"),
        (ApiKey, json!({"key": "k", "placement": true}), "data.placement", "must be a string"),
        (ApiKey, json!({"key": "k", "placement": "body"}), "data.placement", "must be one of header, query"),
        (ApiKey, json!({"key": "k", "name": ["x"]}), "data.name", "must be a string"),
        (ApiKey, json!({"key": "k", "name": "X Api Key"}), "data.name", "header or query parameter name"),
        (ApiKey, json!({"key": "k", "name": ""}), "data.name", "1 to 128"),
        (ApiKey, json!({"key": "k", "name": "x".repeat(129)}), "data.name", "1 to 128"),
        (ApiKey, json!({"key": "k", "prefix": {}}), "data.prefix", "must be a string"),
        (ApiKey, json!({"key": "k", "prefix": "Bearer\r\n"}), "data.prefix", "control characters"),
        (BasicAuth, json!({"username": 1, "password": "p"}), "data.username", "must be a string"),
        (BasicAuth, json!({"username": "a:b", "password": "p"}), "data.username", "':'"),
        (BasicAuth, json!({"username": "u", "password": false}), "data.password", "must be a string"),
        (Oauth2, with(oauth_cc(), "grant_type", json!("password")), "data.grant_type", "must be one of"),
        (Oauth2, with(oauth_cc(), "client_id", json!(7)), "data.client_id", "must be a string"),
        (Oauth2, with(oauth_cc(), "client_secret", json!("")), "data.client_secret", "must not be empty"),
        (Oauth2, with(oauth_cc(), "token_url", json!("ftp://x.example.com")), "data.token_url", "http or https"),
        (Oauth2, with(oauth_cc(), "authorization_url", json!("/authorize")), "data.authorization_url", "http or https"),
        (Oauth2, with(oauth_cc(), "scopes", json!("read write")), "data.scopes", "array of strings"),
        (Oauth2, with(oauth_cc(), "scopes", json!(["read", 1])), "data.scopes", "array of strings"),
        (Oauth2, with(oauth_cc(), "scopes", json!(["read write"])), "data.scopes", "no spaces"),
        (Oauth2, with(oauth_cc(), "access_token", json!(1)), "data.access_token", "must be a string"),
        (Oauth2, with(oauth_cc(), "token_expires_at", json!("tomorrow")), "data.token_expires_at", "RFC 3339"),
        (ApiKey, json!({"key": "k", "header": "X"}), "data.header", "unknown field for type api_key"),
        (Oauth2, with(oauth_cc(), "redirect_uri", json!(null)), "data.redirect_uri", "unknown field for type oauth2"),
        (ApiKey, json!("k"), "data", "must be an object"),
        (Custom, json!(["k"]), "data", "must be an object"),
        (Custom, json!({"a": 1}), "data.a", "must be a string"),
        (Custom, json!({"a b": "1"}), "data.a b", "field names"),
        (Custom, json!({"": "1"}), "data.", "field names"),
        (Custom, Value::Object(Map::from_iter([(long.clone(), json!("1"))])), &long_field, "field names"),
    ];
    for (kind, data, field, message) in cases {
        let errors = validate_new(kind, &data, None).unwrap_err();
        assert_eq!(errors.len(), 1, "{kind} {data}: {errors:?}");
        assert_eq!(errors[0].field, field, "{kind} {data}");
        assert!(
            errors[0].message.contains(message),
            "{kind} {data}: {errors:?}"
        );
    }
}

#[test]
fn secret_fields_must_name_keys_of_custom_data_and_only_custom_accepts_them() {
    let data = json!({"a": "1", "b": "2"});
    let errors = validate_new(Custom, &data, Some(&names(&["a", "zz", "c"]))).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].field, "secret_fields");
    assert!(
        errors[0].message.ends_with("not in data: c, zz"),
        "{errors:?}"
    );

    let errors = validate_new(ApiKey, &json!({"key": "k"}), Some(&names(&["key"]))).unwrap_err();
    assert_eq!(errors[0].field, "secret_fields");
    assert!(errors[0].message.contains("fixed"));
}

#[test]
fn several_problems_are_reported_together() {
    let data = json!({"placement": "body", "name": 3, "extra": 1, "other": "x"});
    let fields = problems(ApiKey, data, None);
    assert_eq!(
        fields,
        [
            "data.key",
            "data.placement",
            "data.name",
            "data.extra",
            "data.other"
        ]
    );
    let data = json!({"grant_type": "authorization_code", "client_id": 1, "token_url": "nope"});
    assert_eq!(
        problems(Oauth2, data, None),
        [
            "data.client_id",
            "data.client_secret",
            "data.token_url",
            "data.authorization_url"
        ]
    );
    assert_eq!(
        problems(Custom, json!({"a": 1, "b c": "x"}), Some(&["q"])),
        ["data.a", "data.b c", "secret_fields"]
    );
    assert_eq!(
        problems(BasicAuth, json!(null), Some(&["password"])),
        ["secret_fields", "data"]
    );
}

fn stored(kind: CredentialType, data: Value, sf: Option<&[&str]>) -> CredentialData {
    let sf = sf.map(names);
    validate_new(kind, &data, sf.as_deref()).unwrap()
}

/// Merges and returns the merged data as one object, and the "secrets changed" flag.
fn merge(
    current: &CredentialData,
    kind: CredentialType,
    patch: Value,
    sf: Option<&[&str]>,
) -> (Value, Value, bool) {
    let sf = sf.map(names);
    let (d, changed) = merge_update(kind, current, &patch, sf.as_deref())
        .unwrap_or_else(|e| panic!("{kind} {patch}: {e:?}"));
    (
        Value::Object(d.config.clone()),
        Value::Object(d.secrets.clone()),
        changed,
    )
}

#[test]
fn merge_keeps_absent_fields_replaces_present_ones_and_flags_secret_changes() {
    let key = stored(ApiKey, json!({"key": "old", "prefix": "Bearer "}), None);
    let cfg = json!({"placement": "query", "name": "Authorization", "prefix": "Bearer "});
    assert_eq!(
        merge(&key, ApiKey, json!({"placement": "query"}), None),
        (cfg, json!({"key": "old"}), false)
    );
    let (config, secrets, changed) = merge(&key, ApiKey, json!({"key": "new"}), None);
    assert_eq!(
        (config, secrets, changed),
        (
            Value::Object(key.config.clone()),
            json!({"key": "new"}),
            true
        )
    );
    assert!(
        !merge(&key, ApiKey, json!({"key": "old"}), None).2,
        "same value"
    );
    assert!(!merge(&key, ApiKey, Value::Null, None).2, "no data sent");
    // null on a defaulted field brings the default back; on an optional secret, removes it.
    assert_eq!(
        merge(&key, ApiKey, json!({"prefix": null}), None).0["prefix"],
        ""
    );
    let oauth = stored(Oauth2, with(oauth_cc(), "refresh_token", json!("rt")), None);
    let (_, secrets, changed) = merge(&oauth, Oauth2, json!({"refresh_token": null}), None);
    assert_eq!((secrets, changed), (json!({"client_secret": "cs"}), true));
    let (config, _, changed) = merge(
        &oauth,
        Oauth2,
        json!({"scopes": ["a"], "access_token": null}),
        None,
    );
    assert_eq!((config["scopes"].clone(), changed), (json!(["a"]), false));
}

#[test]
fn merge_refuses_what_a_new_credential_would_refuse() {
    let key = stored(ApiKey, json!({"key": "k"}), None);
    let oauth = stored(Oauth2, oauth_cc(), None);
    #[rustfmt::skip]
    let cases = [
        (ApiKey, &key, json!({"key": null}), vec!["data.key"]),
        (ApiKey, &key, json!({"key": 1, "nope": null, "also": 2}), vec!["data.nope", "data.key", "data.also"]),
        (ApiKey, &key, json!([]), vec!["data"]),
        (Oauth2, &oauth, json!({"grant_type": "authorization_code"}), vec!["data.authorization_url"]),
        (Oauth2, &oauth, json!({"token_url": null}), vec!["data.token_url"]),
    ];
    for (kind, current, patch, expected) in cases {
        let errors = merge_update(kind, current, &patch, None).unwrap_err();
        let fields: Vec<_> = errors.into_iter().map(|e| e.field).collect();
        assert_eq!(fields, expected, "{kind} {patch}");
    }
    let errors = merge_update(ApiKey, &key, &json!({}), Some(&names(&["key"]))).unwrap_err();
    assert_eq!(errors[0].field, "secret_fields");
}

#[test]
fn custom_merges_add_remove_and_re_split_fields() {
    let current = stored(Custom, json!({"host": "db", "pw": "s"}), Some(&["pw"]));
    // A config-only change is no new version.
    let (config, secrets, changed) = merge(&current, Custom, json!({"host": "db2"}), None);
    assert_eq!(
        (config, secrets, changed),
        (json!({"host": "db2"}), json!({"pw": "s"}), false)
    );
    // A new field is secret unless secret_fields says otherwise.
    let (config, secrets, changed) = merge(&current, Custom, json!({"token": "t"}), None);
    assert_eq!(
        (config, secrets, changed),
        (
            json!({"host": "db"}),
            json!({"pw": "s", "token": "t"}),
            true
        )
    );
    // Re-splitting alone changes the secret set.
    let (config, secrets, changed) = merge(&current, Custom, Value::Null, Some(&["host", "pw"]));
    assert_eq!(
        (config, secrets, changed),
        (json!({}), json!({"host": "db", "pw": "s"}), true)
    );
    // null removes a field, secret or not; its name leaves the stored list.
    let (d, changed) = merge_update(Custom, &current, &json!({"pw": null}), None).unwrap();
    assert_eq!(
        (d.secrets.len(), d.secret_fields.clone(), changed),
        (0, Some(vec![]), true)
    );
    let errors = merge_update(
        Custom,
        &current,
        &json!({"pw": null}),
        Some(&names(&["pw"])),
    )
    .unwrap_err();
    assert_eq!(errors[0].field, "secret_fields");
    let errors =
        merge_update(Custom, &current, &json!({"pw": null, "host": null}), None).unwrap_err();
    assert_eq!(errors[0].field, "data");
}

#[test]
fn every_fixed_field_has_a_field_name_and_odd_names_are_refused() {
    for kind in CredentialType::ALL {
        for f in rules::fields_of(kind).unwrap_or(&[]) {
            assert!(is_field_name(f.name), "{kind}: {}", f.name);
        }
    }
    let long = "k".repeat(65);
    for bad in ["", "a b", "key\n", "ключ", "a/b", "{{key}}", long.as_str()] {
        assert!(!is_field_name(bad), "{bad:?}");
    }
    assert!(is_field_name(&"k".repeat(64)) && is_field_name("api.key-2_x"));
}
