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
