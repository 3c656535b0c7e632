use serde_json::Value;

/// The committed spec is what the code generates; regenerate it with `make openapi`.
#[test]
fn committed_openapi_json_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    let generated = credvault_api::openapi::spec_json();
    assert!(
        committed == generated,
        "openapi/openapi.json is stale: run `make openapi` (cargo run -p credvault-api -- openapi -o openapi/openapi.json) and commit it"
    );
}

/// What SDK generators and the linter need of every operation.
#[test]
fn every_operation_has_an_id_summary_tag_and_error_responses() {
    let spec: Value = serde_json::from_str(&credvault_api::openapi::spec_json()).expect("json");
    assert_eq!(spec["openapi"], "3.1.0");
    assert!(spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer");
    assert!(spec["servers"].as_array().is_some_and(|s| !s.is_empty()));
    let mut ids = std::collections::HashSet::new();
    let paths = spec["paths"].as_object().expect("paths");
    assert!(!paths.is_empty());
    for (path, item) in paths {
        for (method, op) in item.as_object().expect("path item") {
            let at = format!("{method} {path}");
            let id = op["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{at}: no operationId"));
            assert!(
                ids.insert(id.to_string()),
                "{at}: duplicate operationId {id}"
            );
            assert!(
                op["summary"].as_str().is_some_and(|s| !s.is_empty()),
                "{at}: no summary"
            );
            assert!(
                op["tags"].as_array().is_some_and(|t| !t.is_empty()),
                "{at}: no tag"
            );
            let responses = op["responses"].as_object().expect("responses");
            let is_public_probe = ["/healthz", "/metrics"].contains(&path.as_str());
            assert!(
                is_public_probe
                    || responses
                        .keys()
                        .any(|k| k.starts_with('4') || k.starts_with('5')),
                "{at}: no error response"
            );
        }
    }
}

fn document() -> Value {
    serde_json::from_str(&credvault_api::openapi::spec_json()).expect("json")
}

/// `v` with its `$ref` followed (once per level, as often as it takes).
fn deref<'a>(spec: &'a Value, mut v: &'a Value) -> &'a Value {
    while let Some(r) = v["$ref"].as_str() {
        let name = r.rsplit('/').next().unwrap_or_default();
        v = &spec["components"]["schemas"][name];
        assert!(!v.is_null(), "unresolved {r}");
    }
    v
}

/// The values a schema allows, looking through a `$ref`, a nullable `oneOf` and array items.
fn enum_values(spec: &Value, schema: &Value) -> Option<Vec<String>> {
    let s = deref(spec, schema);
    if let Some(values) = s["enum"].as_array() {
        return Some(
            values
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
        );
    }
    if s["type"] == "array" || s["type"][0] == "array" {
        return enum_values(spec, &s["items"]);
    }
    let options = s["oneOf"].as_array()?;
    let typed: Vec<&Value> = options.iter().filter(|o| o["type"] != "null").collect();
    match typed.as_slice() {
        [one] => enum_values(spec, one),
        _ => None,
    }
}

/// Every object property of the document (components and inline), as (where, name, schema).
fn properties(spec: &Value) -> Vec<(String, String, Value)> {
    fn walk(at: &str, v: &Value, out: &mut Vec<(String, String, Value)>) {
        match v {
            Value::Object(map) => {
                if let Some(Value::Object(props)) = map.get("properties") {
                    for (name, schema) in props {
                        out.push((at.to_string(), name.clone(), schema.clone()));
                    }
                }
                for (k, child) in map {
                    walk(&format!("{at}/{k}"), child, out);
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    walk(&format!("{at}/{i}"), child, out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk("", spec, &mut out);
    out
}

/// Every enumerated string of the contract is an `enum` in the document, wherever it appears.
#[test]
fn every_enumerated_string_is_an_enum() {
    let spec = document();
    const ENUMERATED: [&str; 13] = [
        "type",
        "status",
        "access",
        "kind",
        "scopes",
        "role",
        "code",
        "outcome",
        "principal_type",
        "method",
        "reason",
        "placement",
        "grant_type",
    ];
    let mut seen = 0;
    for (at, name, schema) in properties(&spec) {
        // Open by nature: a problem's `type` (a URI), an audit target's type, an OAuth
        // provider's scopes.
        let open = (name == "type"
            && (at.ends_with("/Problem")
                || at.ends_with("/AuditTarget")
                || at.ends_with("/Resolved")))
            || (name == "scopes"
                && (at.ends_with("/OAuth2Data") || at.ends_with("/OAuth2DataInput")));
        let s = deref(&spec, &schema);
        let numeric = ["integer", "number", "boolean"].contains(&s["type"].as_str().unwrap_or(""));
        if ENUMERATED.contains(&name.as_str()) && !open && !numeric {
            seen += 1;
            assert!(
                enum_values(&spec, &schema).is_some_and(|v| !v.is_empty()),
                "{at}: `{name}` is not an enum: {schema}"
            );
        }
    }
    assert!(seen > 20, "only {seen} enumerated properties found");
    let list = &spec["paths"]["/v1/credentials"]["get"]["parameters"];
    for name in ["type", "status", "sort"] {
        let p = list
            .as_array()
            .and_then(|ps| ps.iter().find(|p| p["name"] == name))
            .unwrap_or_else(|| panic!("no {name} parameter"));
        assert!(
            enum_values(&spec, &p["schema"]).is_some(),
            "list `{name}`: {p}"
        );
    }
}

/// The enums are the code's own values: the error table, the domain's enums.
#[test]
fn enums_hold_exactly_the_values_of_the_code() {
    use credvault_domain::credential::{CredentialType, Status};
    use credvault_domain::identity::{Role, Scope, TokenKind};
    let spec = document();
    let values = |name: &str| enum_values(&spec, &spec["components"]["schemas"][name]);
    let codes: Vec<String> = credvault_api::error::ErrorCode::ALL
        .iter()
        .map(|c| c.as_str().to_string())
        .collect();
    assert_eq!(values("ErrorCode"), Some(codes));
    let problem_code = &spec["components"]["schemas"]["Problem"]["properties"]["code"];
    assert_eq!(enum_values(&spec, problem_code), values("ErrorCode"));
    let own = |v: &[&str]| Some(v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    assert_eq!(
        values("CredentialType"),
        own(&CredentialType::ALL.map(CredentialType::as_str))
    );
    assert_eq!(
        values("CredentialStatus"),
        own(&Status::ALL.map(Status::as_str))
    );
    assert_eq!(values("Role"), own(&Role::ALL.map(Role::as_str)));
    assert_eq!(values("Scope"), own(&Scope::ALL.map(Scope::as_str)));
    assert_eq!(
        values("TokenKind"),
        own(&TokenKind::ALL.map(TokenKind::as_str))
    );
    assert_eq!(values("ShareAccess"), own(&["use", "view", "manage"]));
    let sorts = credvault_api::routes::credentials::SORTS.map(|(name, _)| name);
    assert_eq!(values("CredentialSort"), own(&sorts));
}

/// `data` is typed by `type`: create and read are a `oneOf` of one schema per type with `type` as
/// the discriminator, and each type's `data` lists the domain's fields for it.
#[test]
fn credential_data_is_a_one_of_by_type() {
    use credvault_domain::credential::{data::fields_of, CredentialType};
    let spec = document();
    let schemas = &spec["components"]["schemas"];
    for union in ["Credential", "CreateCredential"] {
        let u = &schemas[union];
        assert_eq!(u["discriminator"]["propertyName"], "type", "{union}");
        let members = u["oneOf"].as_array().expect("oneOf");
        assert_eq!(members.len(), CredentialType::ALL.len(), "{union}");
        for kind in CredentialType::ALL {
            let target = u["discriminator"]["mapping"][kind.as_str()]
                .as_str()
                .unwrap_or_else(|| panic!("{union}: no mapping for {kind}"));
            assert!(
                members.iter().any(|m| m["$ref"] == target),
                "{union}: {target}"
            );
            let target_ref = serde_json::json!({ "$ref": target });
            let member = deref(&spec, &target_ref);
            let own = member["allOf"]
                .as_array()
                .and_then(|parts| parts.iter().find(|p| !p["properties"]["type"].is_null()))
                .unwrap_or_else(|| panic!("{target}: no part with `type`"));
            let type_values = enum_values(&spec, &own["properties"]["type"]);
            assert_eq!(type_values, Some(vec![kind.to_string()]), "{target}");
            let data = deref(&spec, &own["properties"]["data"]);
            assert_eq!(
                data["type"], "object",
                "{target}: data is not an object: {data}"
            );
            match fields_of(kind) {
                Some(fields) => {
                    let mut names: Vec<&str> = data["properties"]
                        .as_object()
                        .map(|p| p.keys().map(String::as_str).collect())
                        .unwrap_or_default();
                    let mut want: Vec<&str> = fields.iter().map(|f| f.name).collect();
                    names.sort_unstable();
                    want.sort_unstable();
                    assert_eq!(names, want, "{target}: data fields");
                    assert_eq!(data["additionalProperties"], false, "{target}");
                }
                None => assert_eq!(data["additionalProperties"]["type"], "string", "{target}"),
            }
        }
    }
}
