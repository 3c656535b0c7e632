use super::*;

#[test]
fn tls_parameters_are_taken_out_of_both_url_forms() {
    let (rest, p) = split("postgres://u:p@db.example.com:5432/app?sslmode=verify-full&sslrootcert=%2Fetc%2Fssl%2Fca.pem&application_name=x");
    assert_eq!(
        rest,
        "postgres://u:p@db.example.com:5432/app?application_name=x"
    );
    assert_eq!(p.sslmode.as_deref(), Some("verify-full"));
    assert_eq!(p.sslrootcert.as_deref(), Some("/etc/ssl/ca.pem"));
    let (rest, p) = split("postgresql://u@h/app?sslmode=require");
    assert_eq!(rest, "postgresql://u@h/app");
    assert_eq!(p.sslmode.as_deref(), Some("require"));
    let (rest, p) = split("host=db user=u password='a b\\'c' sslmode = verify-ca sslcert='/x y/c.pem' sslkey=/k.pem dbname=app");
    assert_eq!(rest, "host=db user=u password='a b\\'c' dbname=app");
    assert_eq!(p.sslmode.as_deref(), Some("verify-ca"));
    assert_eq!(p.sslcert.as_deref(), Some("/x y/c.pem"));
    assert_eq!(p.sslkey.as_deref(), Some("/k.pem"));
    let (rest, p) = split("postgres://u@h/app");
    assert_eq!(
        (rest.as_str(), p),
        ("postgres://u@h/app", TlsParams::default())
    );
}

#[test]
fn modes_map_to_what_tokio_postgres_does_and_verifying_ones_need_a_root() {
    let db = database("postgres://u@h/app").expect("prefer by default");
    assert_eq!(db.mode, SslMode::Prefer);
    assert_eq!(db.config.get_ssl_mode(), PgSslMode::Prefer);
    let db = database("postgres://u@h/app?sslmode=disable").expect("disable");
    assert_eq!(db.config.get_ssl_mode(), PgSslMode::Disable);
    let db = database("postgres://u@h/app?sslmode=require").expect("require");
    assert_eq!(db.config.get_ssl_mode(), PgSslMode::Require);
    let err = database("postgres://u@h/app?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem")
        .expect_err("missing file");
    assert!(err.to_string().contains("/nonexistent/ca.pem"), "{err}");
    let err = database("postgres://u@h/app?sslmode=sometimes").expect_err("bad mode");
    assert!(err.to_string().contains("verify-full"), "{err}");
    let err =
        database("postgres://u@h/app?sslmode=require&sslcert=/c.pem").expect_err("half a pair");
    assert!(err.to_string().contains("sslkey"), "{err}");
    // The Debug form carries no password.
    let db = database("postgres://u:hunter2-secret@h/app").expect("db");
    assert!(!format!("{db:?}").contains("hunter2"));
}
