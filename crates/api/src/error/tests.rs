use super::*;

#[test]
fn every_code_is_snake_case_and_unique() {
    let mut seen = std::collections::HashSet::new();
    for c in ErrorCode::ALL {
        assert!(c
            .as_str()
            .chars()
            .all(|ch| ch.is_ascii_lowercase() || ch == '_'));
        assert!(seen.insert(c.as_str()), "duplicate code {}", c.as_str());
        assert!(c.status().is_client_error() || c.status().is_server_error());
    }
}

#[test]
fn serde_messages_lose_their_quoted_values() {
    let m = redact_serde_message(
        "invalid type: string \"hunter2-secret\", expected u32 at line 1 column 20",
    );
    assert!(!m.contains("hunter2"));
    assert!(m.contains("expected u32"));
    let m = redact_serde_message(r#"invalid type: string "a\"b-secret-tail", expected u32"#);
    assert!(!m.contains("secret-tail"), "{m}");
    let m = redact_serde_message("invalid value: integer `123456`, expected a PIN");
    assert!(!m.contains("123456") && m.contains("expected a PIN"), "{m}");
}

#[test]
fn framework_statuses_map_to_codes() {
    assert_eq!(
        ErrorCode::for_status(StatusCode::NOT_FOUND),
        ErrorCode::NotFound
    );
    assert_eq!(
        ErrorCode::for_status(StatusCode::METHOD_NOT_ALLOWED),
        ErrorCode::MethodNotAllowed
    );
    assert_eq!(
        ErrorCode::for_status(StatusCode::BAD_GATEWAY),
        ErrorCode::Internal
    );
    assert_eq!(
        ErrorCode::for_status(StatusCode::IM_A_TEAPOT),
        ErrorCode::InvalidRequest
    );
}
