use super::*;

fn problem<T>(r: Result<T, FieldProblem>) -> String {
    match r {
        Ok(_) => panic!("expected a problem"),
        Err(p) => p.message,
    }
}

#[test]
fn emails_keep_case_but_normalize_for_uniqueness() {
    let e = Email::parse("  Ada.Lovelace@Example.COM \n").unwrap();
    assert_eq!(e.as_str(), "Ada.Lovelace@Example.COM");
    assert_eq!(e.normalized(), "ada.lovelace@example.com");
    assert_eq!(
        serde_json::to_string(&e).unwrap(),
        "\"Ada.Lovelace@Example.COM\""
    );
    assert!(Email::parse("a+tag@sub.example.org").is_ok());
}

#[test]
fn bad_emails_name_the_rule() {
    assert_eq!(problem(Email::parse("   ")), "must not be empty");
    assert!(problem(Email::parse("ada.example.com")).contains("@"));
    assert_eq!(
        problem(Email::parse("a@b@example.com")),
        "must contain exactly one @"
    );
    assert_eq!(
        problem(Email::parse("@example.com")),
        "must have a name before the @"
    );
    for bad in [
        "ada@localhost",
        "ada@",
        "ada@example.",
        "ada@.com",
        "ada@example..com",
    ] {
        assert!(problem(Email::parse(bad)).contains("domain"), "{bad}");
    }
    assert!(problem(Email::parse("ada lovelace@example.com")).contains("spaces"));
    assert!(problem(Email::parse("ada\u{7}@example.com")).contains("control"));
}

#[test]
fn email_length_limit_is_254() {
    let at_limit = format!("{}@example.com", "a".repeat(254 - 12));
    assert_eq!(at_limit.len(), 254);
    assert!(Email::parse(&at_limit).is_ok());
    let over = format!("a{at_limit}");
    assert_eq!(
        problem(Email::parse(&over)),
        "must be at most 254 characters"
    );
}

#[test]
fn password_length_boundaries_count_characters() {
    assert_eq!(
        problem(Password::parse(&"x".repeat(11))),
        "must be at least 12 characters"
    );
    assert!(Password::parse(&"x".repeat(12)).is_ok());
    // 11 two-byte characters are 22 bytes but still too short.
    assert!(Password::parse(&"é".repeat(11)).is_err());
    assert!(Password::parse(&"é".repeat(12)).is_ok());
    assert!(Password::parse(&"🔑".repeat(12)).is_ok());
    assert!(Password::parse(&"x".repeat(1024)).is_ok());
    assert_eq!(
        problem(Password::parse(&"x".repeat(1025))),
        "must be at most 1024 characters"
    );
    // Spaces are part of a password, not trimmed away.
    assert_eq!(
        Password::parse("  twelve chr ").unwrap().expose(),
        "  twelve chr "
    );
    assert!(Password::parse("     short  ").is_ok());
}

#[test]
fn passwords_never_show_their_value() {
    let p = Password::new("correct horse battery".to_owned()).unwrap();
    assert_eq!(format!("{p:?}"), "[REDACTED]");
    assert_eq!(p.expose(), "correct horse battery");
    let err = Password::parse("hunter2").unwrap_err();
    assert!(!err.to_string().contains("hunter2"));
    assert!(!format!("{err:?}").contains("hunter2"));
}

#[test]
fn name_length_boundaries_count_characters() {
    assert!(Name::parse(&"n".repeat(128)).is_ok());
    assert_eq!(
        problem(Name::parse(&"n".repeat(129))),
        "must be at most 128 characters"
    );
    assert!(Name::parse(&"ü".repeat(128)).is_ok());
    assert!(Name::parse(&"ü".repeat(129)).is_err());
    assert!(DisplayName::parse(&"名".repeat(128)).is_ok());
    assert!(DisplayName::parse(&"名".repeat(129)).is_err());
    // Surrounding whitespace does not count towards the limit.
    assert!(Name::parse(&format!("  {}  ", "n".repeat(128))).is_ok());
}

#[test]
fn names_are_trimmed_non_empty_and_free_of_control_characters() {
    assert_eq!(
        Name::parse("  Platform team ").unwrap().as_str(),
        "Platform team"
    );
    assert_eq!(DisplayName::parse(" Ada ").unwrap().as_str(), "Ada");
    assert_eq!(problem(Name::parse(" \t ")), "must not be empty");
    assert_eq!(problem(DisplayName::parse("")), "must not be empty");
    assert!(problem(Name::parse("line\nbreak")).contains("control"));
    assert!(problem(DisplayName::parse("tab\there")).contains("control"));
    assert_eq!(
        serde_json::to_string(&Name::parse("ci").unwrap()).unwrap(),
        "\"ci\""
    );
    assert_eq!(
        serde_json::to_string(&DisplayName::parse("Ada").unwrap()).unwrap(),
        "\"Ada\""
    );
}
