use super::*;
use chrono::TimeZone;

fn problem_of<T: std::fmt::Debug>(r: Result<T, FieldProblem>) -> String {
    match r {
        Ok(v) => panic!("expected a problem, got {v:?}"),
        Err(p) => p.message,
    }
}

#[test]
fn names_services_and_descriptions() {
    assert_eq!(parse_name("  Stripe prod  ").unwrap(), "Stripe prod");
    assert_eq!(parse_name(&"é".repeat(128)).unwrap().chars().count(), 128);
    assert!(problem_of(parse_name(&"é".repeat(129))).contains("128"));
    assert_eq!(problem_of(parse_name(" \t ")), "must not be empty");
    assert!(problem_of(parse_service("a\u{7}b")).contains("control"));
    assert_eq!(parse_service("Stripe").unwrap(), "Stripe");

    assert_eq!(parse_description("").unwrap(), "");
    assert_eq!(
        parse_description(" line 1\n\tline 2 ").unwrap(),
        "line 1\n\tline 2"
    );
    assert!(parse_description(&"x".repeat(2000)).is_ok());
    assert!(problem_of(parse_description(&"x".repeat(2001))).contains("2000"));
    assert!(problem_of(parse_description("a\u{0}b")).contains("control"));
}

#[test]
fn environments_are_short_identifiers() {
    for ok in ["production", "eu-west.1", "DEV_2", &"e".repeat(64)] {
        assert_eq!(parse_environment(ok).unwrap(), ok);
    }
    assert_eq!(parse_environment(" prod ").unwrap(), "prod");
    assert_eq!(problem_of(parse_environment("")), "must not be empty");
    for bad in ["pro duction", "prod/eu", "prød", &"e".repeat(65)] {
        assert!(
            problem_of(parse_environment(bad)).contains("1 to 64"),
            "{bad}"
        );
    }
}

#[test]
fn tags_are_trimmed_lowercased_and_deduplicated() {
    let tags: Vec<String> = [" Payments ", "prod", "payments", "PROD", "eu"]
        .map(String::from)
        .to_vec();
    assert_eq!(parse_tags(&tags).unwrap(), ["payments", "prod", "eu"]);
    assert_eq!(parse_tags(&[]).unwrap(), Vec::<String>::new());

    let many: Vec<String> = (0..32).map(|i| format!("t{i}")).collect();
    assert_eq!(parse_tags(&many).unwrap().len(), 32);
    let mut dup = many.clone();
    dup.push("T0".to_owned());
    assert_eq!(
        parse_tags(&dup).unwrap().len(),
        32,
        "duplicates do not count"
    );
    let mut too_many = many;
    too_many.push("t32".to_owned());
    assert!(problem_of(parse_tags(&too_many)).contains("at most 32"));

    let bad = ["ok".to_owned(), "  ".to_owned()];
    assert!(problem_of(parse_tags(&bad)).ends_with("tag 2 is not"));
    assert!(parse_tags(&["x".repeat(64)]).is_ok());
    assert!(parse_tags(&["x".repeat(65)]).is_err());
}

#[test]
fn rotation_periods_and_expiry() {
    for (days, ok) in [
        (0, false),
        (1, true),
        (3650, true),
        (3651, false),
        (-1, false),
    ] {
        assert_eq!(parse_rotation_period_days(days).is_ok(), ok, "{days}");
    }
    assert!(parse_rotation_period_days(i64::MAX).is_err());
    assert_eq!(parse_rotation_period_days(90).unwrap(), 90);

    let now = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
    let later = now + chrono::TimeDelta::seconds(1);
    assert_eq!(parse_expires_at(later, now).unwrap(), later);
    assert_eq!(
        problem_of(parse_expires_at(now, now)),
        "must be in the future"
    );
}

#[test]
fn http_urls() {
    for ok in [
        "https://api.example.com",
        "HTTP://api.example.com:8080/v1/ping?x=1#frag",
        "http://10.0.0.1/health",
        "https://[::1]:8443/",
        "http://localhost",
        "https://bücher.example/",
    ] {
        assert_eq!(http_url(ok).unwrap(), ok);
    }
    for bad in [
        "",
        "api.example.com",
        "/relative",
        "ftp://example.com",
        "https://",
        "https:///path",
        "https://:443",
        "https://example.com:0",
        "https://example.com:99999",
        "https://example.com:",
        "https://[::1",
        "https://[zz]/",
        "http://::1/",
        "mailto:a@example.com",
    ] {
        assert!(problem_of(http_url(bad)).contains("http or https"), "{bad}");
    }
    assert!(problem_of(http_url("https://user:pw@example.com")).contains("user name"));
    assert!(problem_of(http_url("https://example.com/a b")).contains("spaces"));
    assert!(http_url(&format!("https://e.com/{}", "a".repeat(2100))).is_err());
}

fn input(url: Option<&str>, method: Option<&str>, expected: Option<Vec<i64>>) -> TestInput {
    TestInput {
        url: url.map(String::from),
        method: method.map(String::from),
        expected_status: expected,
    }
}

#[test]
fn test_specs() {
    let url = Some("https://api.example.com/me");
    let spec = TestSpec::parse(&input(url, None, None)).unwrap();
    assert_eq!(
        serde_json::to_value(&spec).unwrap(),
        serde_json::json!({"url": "https://api.example.com/me", "method": "GET", "expected_status": null})
    );
    let spec = TestSpec::parse(&input(url, Some("HEAD"), Some(vec![204, 200, 204]))).unwrap();
    assert_eq!(
        (spec.method.as_str(), spec.expected_status),
        ("HEAD", Some(vec![200, 204]))
    );

    let cases = [
        (input(None, None, None), "url is required"),
        (
            input(Some("example.com"), None, None),
            "url must be an absolute",
        ),
        (
            input(url, Some("get"), None),
            "method must be GET, HEAD or POST",
        ),
        (
            input(url, Some("PUT"), None),
            "method must be GET, HEAD or POST",
        ),
        (input(url, None, Some(vec![])), "at least one"),
        (input(url, None, Some(vec![200, 99])), "100 to 599"),
        (input(url, None, Some(vec![600])), "100 to 599"),
        (input(url, None, Some(vec![-200])), "100 to 599"),
    ];
    for (i, expected) in cases {
        assert!(problem_of(TestSpec::parse(&i)).contains(expected), "{i:?}");
    }

    let parsed: Result<TestInput, _> =
        serde_json::from_value(serde_json::json!({"url": "https://x.example", "headers": {}}));
    assert!(parsed.is_err(), "unknown test fields are refused");
}
