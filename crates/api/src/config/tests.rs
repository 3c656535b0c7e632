use super::*;

const KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="; // 32 ASCII bytes

fn flags() -> (DbFlags, KeyFlags, ServeFlags) {
    (
        DbFlags {
            database_url: Some("postgres://u@localhost/db".into()),
            db_pool_size: 4,
            ..Default::default()
        },
        KeyFlags {
            master_key: Some(KEY.into()),
            ..Default::default()
        },
        ServeFlags::default(),
    )
}

fn err_of(db: DbFlags, k: KeyFlags, s: ServeFlags) -> String {
    match Settings::load(&db, &k, &s) {
        Ok(_) => panic!("expected a configuration error"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_pool_must_leave_a_connection_beside_the_resolve_writer() {
    for bad_size in [0, 1, 1001] {
        let (mut d, k, s) = flags();
        d.db_pool_size = bad_size;
        let e = err_of(d, k, s);
        assert!(
            e.contains("CREDVAULT_DB_POOL_SIZE") && e.contains("between 2 and 1000"),
            "{e}"
        );
    }
    let (mut d, k, s) = flags();
    d.db_pool_size = 2;
    assert!(Settings::load(&d, &k, &s).is_ok());
}

#[test]
fn defaults_load() {
    let (d, k, s) = flags();
    let settings = Settings::load(&d, &k, &s).expect("valid");
    assert_eq!(settings.public_url, "http://127.0.0.1:8080");
    assert_eq!(settings.signup, Signup::First);
    assert_eq!(settings.recovery_days, 30);
    assert_eq!(settings.jwt_secret.len(), 32);
    assert_eq!(settings.request_timeout.as_secs(), 30);
    assert_eq!(settings.client_timeout.as_secs(), 10);
    assert_eq!(settings.max_connections, 10_000);
    assert!(settings.tls.is_none());
}

/// `ServeFlags::default()` is what clap gives with no flag and no variable set.
#[test]
fn serve_flag_defaults_match_the_command_line() {
    use clap::{CommandFactory, FromArgMatches};
    #[derive(clap::Parser)]
    struct Cmd {
        #[command(flatten)]
        serve: ServeFlags,
    }
    // The defaults as the command line has them, with the environment taken out of the
    // parser (so a CREDVAULT_* set where the tests run cannot stand in for a default).
    let matches = Cmd::command()
        .mut_args(|a| a.env(None::<&'static str>))
        .get_matches_from(["serve"]);
    let parsed = Cmd::from_arg_matches(&matches).expect("parses").serve;
    assert_eq!(
        format!("{parsed:?}"),
        format!("{:?}", ServeFlags::default())
    );
}

#[test]
fn secret_settings_print_redacted() {
    let db = DbFlags {
        database_url: Some("postgres://app:hunter2-db-password@db/credvault".into()),
        ..Default::default()
    };
    let keys = KeyFlags {
        master_key: Some("bWFzdGVyLWtleS1zZWNyZXQtdmFsdWUtMzItYnl0ZXM=".into()),
        retired_keys: Some("cmV0aXJlZC1rZXktc2VjcmV0LXZhbHVlLTMyLWJ5dGU=".into()),
        ..Default::default()
    };
    let serve = ServeFlags {
        jwt_secret: Some("jwt-secret-value-of-forty-characters-xx".into()),
        ..Default::default()
    };
    let text = format!("{db:?} {keys:?} {serve:?}");
    for secret in [
        "hunter2-db-password",
        "bWFzdGVyLWtleS1zZWNyZXQt",
        "cmV0aXJlZC1rZXkt",
        "jwt-secret-value",
    ] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    assert!(text.contains("[REDACTED]") && text.contains("db_pool_size"));
    let settings = Settings::load(&db, &keys, &serve);
    assert!(!format!("{:?}", settings.err()).contains("hunter2"));
}

#[test]
fn each_bad_setting_names_its_variable() {
    let (d, k, s) = flags();
    assert!(err_of(
        DbFlags {
            database_url: None,
            ..d.clone()
        },
        k.clone(),
        s.clone()
    )
    .contains("DATABASE_URL: not set"));
    assert!(
        err_of(d.clone(), KeyFlags::default(), s.clone()).contains("CREDVAULT_MASTER_KEY: not set")
    );
    let short = err_of(
        d.clone(),
        KeyFlags {
            master_key: Some("c2hvcnQ=".into()),
            ..Default::default()
        },
        s.clone(),
    );
    assert!(short.contains("CREDVAULT_MASTER_KEY") && !short.contains("c2hvcnQ"));
    assert!(err_of(
        d.clone(),
        k.clone(),
        ServeFlags {
            signup: "maybe".into(),
            ..s.clone()
        }
    )
    .contains("CREDVAULT_SIGNUP"));
    assert!(err_of(
        d.clone(),
        k.clone(),
        ServeFlags {
            bind: "nowhere".into(),
            ..s.clone()
        }
    )
    .contains("CREDVAULT_BIND"));
    assert!(err_of(
        d.clone(),
        k.clone(),
        ServeFlags {
            recovery_days: "0".into(),
            ..s.clone()
        }
    )
    .contains("CREDVAULT_RECOVERY_DAYS"));
    assert!(err_of(
        d.clone(),
        k.clone(),
        ServeFlags {
            trusted_proxies: "10.0.0.0/33".into(),
            ..s.clone()
        }
    )
    .contains("CREDVAULT_TRUSTED_PROXIES"));
    assert!(err_of(
        d.clone(),
        k.clone(),
        ServeFlags {
            cors_origins: "*".into(),
            ..s.clone()
        }
    )
    .contains("CREDVAULT_CORS_ORIGINS"));
    assert!(err_of(
        d.clone(),
        k.clone(),
        ServeFlags {
            jwt_secret: Some("short".into()),
            ..s.clone()
        }
    )
    .contains("CREDVAULT_JWT_SECRET"));
    for (flags, var) in [
        (
            ServeFlags {
                request_timeout_secs: "0".into(),
                ..s.clone()
            },
            "CREDVAULT_REQUEST_TIMEOUT_SECS",
        ),
        (
            ServeFlags {
                client_timeout_secs: "ten".into(),
                ..s.clone()
            },
            "CREDVAULT_CLIENT_TIMEOUT_SECS",
        ),
        (
            ServeFlags {
                max_connections: "0".into(),
                ..s.clone()
            },
            "CREDVAULT_MAX_CONNECTIONS",
        ),
        (
            ServeFlags {
                tls_key: Some("/nonexistent/key.pem".into()),
                ..s.clone()
            },
            "CREDVAULT_TLS_CERT",
        ),
    ] {
        let e = err_of(d.clone(), k.clone(), flags);
        assert!(
            e.starts_with(&format!("configuration error: {var}: ")),
            "{e}"
        );
        assert_eq!(e.lines().count(), 1, "{e}");
    }
    assert!(err_of(
        d,
        k,
        ServeFlags {
            tls_cert: Some("c.pem".into()),
            ..s
        }
    )
    .contains("CREDVAULT_TLS_KEY"));
}

#[test]
fn secrets_can_come_from_files() {
    let dir = std::env::temp_dir().join(format!("credvault-cfg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp");
    let path = dir.join("key");
    std::fs::write(&path, format!("{KEY}\n")).expect("write");
    let (d, _, s) = flags();
    let k = KeyFlags {
        master_key_file: Some(path.clone()),
        ..Default::default()
    };
    assert!(Settings::load(&d, &k, &s).is_ok());
    let both = KeyFlags {
        master_key: Some(KEY.into()),
        master_key_file: Some(path),
        ..Default::default()
    };
    assert!(err_of(d, both, s).contains("not both"));
    let _ = std::fs::remove_dir_all(dir);
}

/// The key provider's settings, checked before any module is loaded: each missing one is named,
/// the PIN is never echoed, and an unknown provider is refused.
#[test]
fn the_pkcs11_provider_names_each_missing_setting_and_never_echoes_the_pin() {
    let (d, _, s) = flags();
    let full = Pkcs11Flags {
        pkcs11_module: Some("/nonexistent/libpkcs11.so".into()),
        pkcs11_token_label: Some("credvault".into()),
        pkcs11_pin: Some("pin-4711".into()),
        pkcs11_pin_file: None,
        pkcs11_key_label: Some("kek".into()),
    };
    let with = |pkcs11: Pkcs11Flags| KeyFlags {
        kek_provider: Some("pkcs11".into()),
        pkcs11,
        ..Default::default()
    };
    let cases = [
        (
            Pkcs11Flags {
                pkcs11_module: None,
                ..full.clone()
            },
            "CREDVAULT_PKCS11_MODULE: not set",
        ),
        (
            Pkcs11Flags {
                pkcs11_token_label: None,
                ..full.clone()
            },
            "CREDVAULT_PKCS11_TOKEN_LABEL: not set",
        ),
        (
            Pkcs11Flags {
                pkcs11_pin: None,
                ..full.clone()
            },
            "CREDVAULT_PKCS11_PIN: not set",
        ),
        (
            Pkcs11Flags {
                pkcs11_key_label: None,
                ..full.clone()
            },
            "CREDVAULT_PKCS11_KEY_LABEL: not set",
        ),
        (
            Pkcs11Flags {
                pkcs11_key_label: Some("a:b".into()),
                ..full.clone()
            },
            "CREDVAULT_PKCS11_KEY_LABEL: must be a non-empty label without ':'",
        ),
        (
            Pkcs11Flags {
                pkcs11_pin_file: Some("/nonexistent/pin".into()),
                ..full.clone()
            },
            "CREDVAULT_PKCS11_PIN: set either",
        ),
        (
            full.clone(),
            "CREDVAULT_PKCS11_MODULE: cannot load the PKCS#11 module /nonexistent/libpkcs11.so",
        ),
    ];
    for (pkcs11, expected) in cases {
        let err = err_of(d.clone(), with(pkcs11), s.clone());
        assert!(err.contains(expected), "{expected:?} in {err}");
        assert!(!err.contains("pin-4711"), "{err}");
    }
    // With the local provider, a token's settings only add a key for unwrapping: given in part,
    // the missing one is named all the same.
    let partial = KeyFlags {
        master_key: Some(KEY.into()),
        pkcs11: Pkcs11Flags {
            pkcs11_module: None,
            ..full
        },
        ..Default::default()
    };
    assert!(err_of(d.clone(), partial, s.clone()).contains("CREDVAULT_PKCS11_MODULE: not set"));
    let unknown = KeyFlags {
        master_key: Some(KEY.into()),
        kek_provider: Some("kms".into()),
        ..Default::default()
    };
    assert!(err_of(d, unknown, s)
        .contains("CREDVAULT_KEK_PROVIDER: must be local or pkcs11, not \"kms\""));
}
