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
        let open = (name == "type" && (at.ends_with("/Problem") || at.ends_with("/AuditTarget")))
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
    for union in ["Credential", "CreateCredential", "Resolved"] {
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
            // A `default` makes openapi-typescript require the property, even in a create body.
            for (field, schema) in data["properties"].as_object().into_iter().flatten() {
                assert!(
                    schema["default"].is_null(),
                    "{target}: data.{field} has a default"
                );
            }
        }
    }
}

/// The integer bounds of every query parameter are the server's: the ends answer, one past
/// either end is a 400 `invalid_request`.
#[tokio::test]
async fn query_bounds_in_the_document_are_the_ones_the_server_enforces() {
    let app = crate::helpers::TestApp::spawn().await;
    let (_, owner) = app.signup("bounds@example.com").await;
    let body = serde_json::json!({"name": "k", "service": "s", "type": "api_key", "data": {"key": "k-123"}});
    let res = app.post_as(&owner, "/v1/credentials", &body).await;
    assert_eq!(res.status(), 201);
    let id = crate::helpers::uuid_at(&res.json::<Value>().await.expect("json")["id"]);
    // A webhook's paths take a webhook's id (its host need not resolve here).
    let hook = serde_json::json!({"url": "https://hooks.example.invalid/x", "events": ["*"]});
    let res = app.post_as(&owner, "/v1/webhooks", &hook).await;
    assert_eq!(res.status(), 201);
    let hook_id = crate::helpers::uuid_at(&res.json::<Value>().await.expect("json")["id"]);
    let spec = document();
    let mut checked = 0;
    for (path, item) in spec["paths"].as_object().expect("paths") {
        let Some(params) = item["get"]["parameters"].as_array() else {
            continue;
        };
        let path = match path.starts_with("/v1/webhooks/") {
            true => path.replace("{id}", &hook_id.to_string()),
            false => path.replace("{id}", &id.to_string()),
        };
        for p in params.iter().filter(|p| p["in"] == "query") {
            let (Some(min), Some(max)) = (
                p["schema"]["minimum"].as_i64(),
                p["schema"]["maximum"].as_i64(),
            ) else {
                continue;
            };
            let name = p["name"].as_str().expect("name");
            for (value, ok) in [(min, true), (max, true), (min - 1, false), (max + 1, false)] {
                let res = app.get_as(&owner, &format!("{path}?{name}={value}")).await;
                let want = if ok { 200 } else { 400 };
                assert_eq!(res.status(), want, "GET {path}?{name}={value}");
            }
            checked += 1;
        }
    }
    assert!(checked >= 7, "only {checked} bounded query parameters");
}

/// A string of `n` characters that the field's parser would take but for its length.
fn of_len(field: &str, n: usize) -> String {
    match field {
        "email" => format!("{}@example.com", "a".repeat(n.saturating_sub(12))),
        "url" => format!("https://example.com/{}", "a".repeat(n.saturating_sub(20))),
        _ => "a".repeat(n),
    }
}

/// The length and range bounds of request bodies are the ones validation enforces: the ends
/// pass, one past either end fails.
#[test]
fn body_bounds_in_the_document_are_the_ones_validation_enforces() {
    use credvault_domain::credential as rules;
    use credvault_domain::validate::{DisplayName, Email, Name, Password};
    type Check = fn(&str) -> bool;
    let table: [(&str, &str, Check); 14] = [
        ("CreateCredentialFields", "name", |s| {
            rules::parse_name(s).is_ok()
        }),
        ("CreateCredentialFields", "service", |s| {
            rules::parse_service(s).is_ok()
        }),
        ("CreateCredentialFields", "description", |s| {
            rules::parse_description(s).is_ok()
        }),
        ("CreateCredentialFields", "environment", |s| {
            rules::parse_environment(s).is_ok()
        }),
        ("UpdateCredential", "name", |s| rules::parse_name(s).is_ok()),
        ("TestRequest", "url", |s| rules::http_url(s).is_ok()),
        ("SignupRequest", "workspace_name", |s| {
            Name::parse(s).is_ok()
        }),
        ("SignupRequest", "display_name", |s| {
            DisplayName::parse(s).is_ok()
        }),
        ("SignupRequest", "email", |s| Email::parse(s).is_ok()),
        ("SignupRequest", "password", |s| Password::parse(s).is_ok()),
        ("PasswordChange", "new_password", |s| {
            Password::parse(s).is_ok()
        }),
        ("TeamBody", "name", |s| Name::parse(s).is_ok()),
        ("CreateToken", "name", |s| Name::parse(s).is_ok()),
        ("PutWorkflow", "name", |s| Name::parse(s).is_ok()),
    ];
    let spec = document();
    for (schema, field, accepts) in table {
        let p = deref(
            &spec,
            &spec["components"]["schemas"][schema]["properties"][field],
        );
        let at = format!("{schema}.{field}");
        let max = p["maxLength"]
            .as_u64()
            .unwrap_or_else(|| panic!("{at}: no maxLength")) as usize;
        assert!(
            accepts(&of_len(field, max)),
            "{at}: {max} characters refused"
        );
        assert!(
            !accepts(&of_len(field, max + 1)),
            "{at}: {} characters accepted",
            max + 1
        );
        if let Some(min) = p["minLength"].as_u64().map(|m| m as usize) {
            assert!(
                accepts(&of_len(field, min)),
                "{at}: {min} characters refused"
            );
            assert!(
                min == 0 || !accepts(&of_len(field, min - 1)),
                "{at}: {} accepted",
                min - 1
            );
        }
    }
    let fields = &spec["components"]["schemas"]["CreateCredentialFields"]["properties"];
    let days = &fields["rotation_period_days"];
    let (min, max) = (
        days["minimum"].as_i64().expect("min"),
        days["maximum"].as_i64().expect("max"),
    );
    for (d, ok) in [(min, true), (max, true), (min - 1, false), (max + 1, false)] {
        assert_eq!(
            rules::parse_rotation_period_days(d).is_ok(),
            ok,
            "rotation_period_days {d}"
        );
    }
    let most = fields["tags"]["maxItems"].as_u64().expect("maxItems") as usize;
    let tags = |n: usize| (0..n).map(|i| format!("t{i}")).collect::<Vec<_>>();
    assert!(rules::parse_tags(&tags(most)).is_ok() && rules::parse_tags(&tags(most + 1)).is_err());
}

/// Every field of the domain's table is described in the document.
#[test]
fn every_data_field_is_described() {
    use credvault_api::openapi::credential_data::field_doc;
    use credvault_domain::credential::{data::fields_of, CredentialType};
    for kind in CredentialType::ALL {
        for f in fields_of(kind).unwrap_or_default() {
            assert!(
                field_doc(f.name).is_some(),
                "{kind}.{}: no description",
                f.name
            );
        }
    }
}

/// Every operation says who may call it and what it records in the audit log.
#[test]
fn every_operation_says_who_may_call_it_and_what_it_records() {
    let spec = document();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let at = format!("{method} {path}");
            let d = op["description"]
                .as_str()
                .unwrap_or_else(|| panic!("{at}: no description"));
            assert!(d.starts_with("**Who:**"), "{at}: who may call it? {d}");
            assert!(
                d.contains("**Audit log:**"),
                "{at}: what does it record? {d}"
            );
            if path.contains("/credentials/{id}") {
                assert!(d.contains("**Credential access"), "{at}: which access? {d}");
            }
        }
    }
}

/// Every response of an operation, shared ones followed, as (where, status, response).
fn responses(spec: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            for (status, r) in op["responses"].as_object().expect("responses") {
                let r = match r["$ref"].as_str() {
                    Some(name) => {
                        &spec["components"]["responses"]
                            [name.rsplit('/').next().unwrap_or_default()]
                    }
                    None => r,
                };
                out.push((format!("{method} {path}"), status.clone(), r.clone()));
            }
        }
    }
    out
}

/// The headers a client reads are declared where the server sends them.
#[test]
fn response_headers_are_declared() {
    let spec = document();
    let mut etags = 0;
    for (at, status, r) in responses(&spec) {
        let h = &r["headers"];
        assert!(
            h["X-Request-Id"].is_object(),
            "{at} {status}: no X-Request-Id"
        );
        if status == "429" || status == "503" {
            assert!(
                h["Retry-After"].is_object(),
                "{at} {status}: no Retry-After"
            );
        }
        let body = &r["content"]["application/json"]["schema"]["$ref"];
        if status.starts_with('2') && body == "#/components/schemas/Credential" {
            assert!(
                h["ETag"].is_object(),
                "{at} {status}: a credential without its ETag"
            );
            etags += 1;
        }
    }
    assert!(etags >= 7, "only {etags} credential answers");
    let created = &spec["paths"]["/v1/credentials"]["post"]["responses"]["201"]["headers"];
    assert!(created["Location"].is_object() && created["Idempotent-Replayed"].is_object());
}

/// The export is NDJSON text, not the array of integers a `Vec<u8>` body documents.
#[test]
fn the_audit_export_is_ndjson_text() {
    let spec = document();
    let ok = &spec["paths"]["/v1/audit/export"]["get"]["responses"]["200"]["content"];
    assert_eq!(ok["application/x-ndjson"]["schema"]["type"], "string");
    for (media, content) in ok.as_object().expect("content") {
        assert_eq!(content["schema"]["type"], "string", "{media}");
        assert!(content["schema"]["items"].is_null(), "{media}");
    }
}

/// The browser-only callback is tagged so that SDK generators can leave it out.
#[test]
fn the_browser_only_callback_is_marked_for_sdks_to_leave_out() {
    let spec = document();
    let mut browser = Vec::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let tagged = op["tags"]
                .as_array()
                .is_some_and(|t| t.iter().any(|t| t == "browser"));
            let excluded = op["x-sdk-exclude"] == true;
            assert_eq!(
                tagged, excluded,
                "{method} {path}: tag `browser` and `x-sdk-exclude` go together"
            );
            if tagged {
                browser.push(format!("{method} {path}"));
            }
        }
    }
    assert_eq!(
        browser,
        [
            "get /v1/auth/sso/callback",
            "get /v1/auth/sso/start",
            "get /v1/oauth/callback"
        ]
    );
    let tags = spec["tags"].as_array().expect("tags");
    assert!(tags
        .iter()
        .any(|t| t["name"] == "browser" && t["description"].is_string()));
}

/// Every request body has an example, and so do the main answers: a credential, a page of
/// credentials, and every problem (its code one the response's status answers with).
#[test]
fn request_bodies_and_main_answers_have_examples() {
    let spec = document();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let Some(content) = op["requestBody"]["content"].as_object() else {
                continue;
            };
            for (media, c) in content {
                let has = c["example"].is_object() || c["examples"].is_object();
                assert!(has, "{method} {path}: the {media} body has no example");
            }
        }
    }
    let mut credentials = 0;
    for (at, status, r) in responses(&spec) {
        let json = &r["content"]["application/json"];
        let body = json["schema"]["$ref"].as_str().unwrap_or_default();
        if status.starts_with('2') && body.ends_with("/Credential")
            || body.ends_with("/CredentialList")
        {
            assert!(json["example"].is_object(), "{at} {status}: no example");
            credentials += 1;
        }
        if let Some(problem) = r["content"].get("application/problem+json") {
            let example = &problem["example"];
            assert_eq!(
                example["status"].to_string(),
                status,
                "{at} {status}: {example}"
            );
            let code = example["code"]
                .as_str()
                .unwrap_or_else(|| panic!("{at} {status}: no example"));
            assert!(r["description"]
                .as_str()
                .is_some_and(|d| d.contains(&format!("`{code}`"))));
        }
    }
    assert!(credentials >= 8, "only {credentials} credential answers");
}

/// The create examples are credentials the server takes, and it answers in the read example's
/// shape.
#[tokio::test]
async fn the_create_examples_are_accepted_and_read_back_like_the_read_example() {
    let app = crate::helpers::TestApp::spawn().await;
    let (_, owner) = app.signup("examples@example.com").await;
    let spec = document();
    let create = &spec["paths"]["/v1/credentials"]["post"];
    let examples = create["requestBody"]["content"]["application/json"]["examples"]
        .as_object()
        .expect("examples");
    assert_eq!(examples.len(), 4);
    let read = &create["responses"]["201"]["content"]["application/json"]["example"];
    let mut keys: Vec<&String> = read.as_object().expect("read example").keys().collect();
    keys.sort();
    for (name, example) in examples {
        let res = app
            .post_as(&owner, "/v1/credentials", &example["value"])
            .await;
        assert_eq!(
            res.status(),
            201,
            "{name}: {}",
            res.text().await.unwrap_or_default()
        );
        let body: Value = res.json().await.expect("json");
        let mut got: Vec<&String> = body.as_object().expect("object").keys().collect();
        got.sort();
        assert_eq!(got, keys, "{name}");
        assert_eq!(body["type"], example["value"]["type"]);
    }
}
