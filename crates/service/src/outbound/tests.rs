use super::*;

#[test]
fn allow_list_takes_hosts_and_blocks() {
    let a = Allow::new(&["127.0.0.1/32".into(), "Internal.Example.".into()]);
    let lo: IpAddr = "127.0.0.1".parse().expect("ip");
    let lo2: IpAddr = "127.0.0.2".parse().expect("ip");
    assert!(a.refusal("x", lo).is_none());
    assert!(a.refusal("x", lo2).is_some());
    assert!(a.refusal("internal.example", lo2).is_none());
    let public: IpAddr = "8.8.8.8".parse().expect("ip");
    assert!(Allow::default().refusal("dns.google", public).is_none());
}

#[test]
fn redirects_stay_at_the_origin_or_upgrade_to_https_on_the_same_host() {
    let u = |s: &str| Url::parse(s).expect("url");
    let cases = [
        ("https://a.example/x", "https://a.example/y", true),
        ("https://a.example/x", "https://A.EXAMPLE:443/y", true),
        ("http://a.example/x", "https://a.example/y", true),
        ("http://a.example:8080/x", "https://a.example:8080/y", true),
        ("http://a.example:8080/x", "https://a.example:8443/y", false),
        ("https://a.example/x", "http://a.example/y", false),
        ("https://a.example/x", "https://b.example/y", false),
        ("https://a.example/x", "https://a.example:8443/y", false),
        (
            "https://a.example/x",
            "https://a.example.evil.test/y",
            false,
        ),
        ("http://127.0.0.1:1000/x", "http://127.0.0.1:1001/y", false),
    ];
    for (from, to, want) in cases {
        assert_eq!(same_destination(&u(from), &u(to)), want, "{from} -> {to}");
    }
}

#[test]
fn literal_addresses_are_checked_before_any_connection() {
    let a = Allow::default();
    for u in [
        "http://127.0.0.1:9/",
        "http://[::1]/",
        "http://[::ffff:10.0.0.1]/x",
        "http://169.254.169.254/latest",
    ] {
        let url = Url::parse(u).expect("url");
        assert!(literal_refusal(&a, &url).is_some(), "{u}");
    }
    assert!(literal_refusal(&a, &Url::parse("http://example.com/").expect("url")).is_none());
}
