//! HTTPS: real rustls on both ends, self-signed certificates made per test, and a real
//! `credvault serve` process for start-up checks and SIGHUP reloads.

use std::path::{Path, PathBuf};
use std::time::Duration;

use credvault_api::startup::Application;

use crate::helpers::{credvault_bin, problem, settings, ServeProcess, TestDb, TEST_MASTER_KEY};

/// A self-signed certificate for 127.0.0.1 and localhost, and its key.
struct Pair {
    cert_pem: String,
    key_pem: String,
    der: Vec<u8>,
}

fn pair() -> Pair {
    let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()])
        .expect("a self-signed certificate");
    Pair {
        cert_pem: made.cert.pem(),
        key_pem: made.key_pair.serialize_pem(),
        der: made.cert.der().to_vec(),
    }
}

/// A directory of certificate files, removed afterwards.
struct TlsDir {
    dir: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

impl TlsDir {
    fn new() -> TlsDir {
        let dir = std::env::temp_dir().join(format!("credvault-tls-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        TlsDir {
            cert: dir.join("cert.pem"),
            key: dir.join("key.pem"),
            dir,
        }
    }

    /// Writes `p`'s files, the key with `key_mode`.
    fn write(&self, p: &Pair, key_mode: u32) {
        std::fs::write(&self.cert, &p.cert_pem).expect("write cert");
        write_mode(&self.key, &p.key_pem, key_mode);
    }
}

impl Drop for TlsDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn write_mode(path: &Path, contents: &str, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, contents).expect("write");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// A client that trusts exactly these certificates and reports the certificate the server
/// presented. Each client has its own TLS session cache: a resumed session would report the
/// certificate of the session it resumes, so checks of the served certificate use a new one.
fn client_trusting(pairs: &[&Pair]) -> reqwest::Client {
    let mut b = reqwest::Client::builder()
        .tls_info(true)
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(5));
    for p in pairs {
        b = b.add_root_certificate(
            reqwest::Certificate::from_pem(p.cert_pem.as_bytes()).expect("certificate"),
        );
    }
    b.build().expect("client")
}

fn served_cert(res: &reqwest::Response) -> Vec<u8> {
    res.extensions()
        .get::<reqwest::tls::TlsInfo>()
        .and_then(|i| i.peer_certificate())
        .expect("the TLS peer certificate")
        .to_vec()
}

#[tokio::test]
async fn https_answers_with_hsts_and_plain_http_to_its_port_gets_nothing() {
    let tls = TlsDir::new();
    let p = pair();
    tls.write(&p, 0o600);
    let db = TestDb::migrated().await;
    let app = Application::build(settings(&db, |s| {
        s.tls_cert = Some(tls.cert.clone());
        s.tls_key = Some(tls.key.clone());
    }))
    .await
    .expect("the app starts over HTTPS");
    let port = app.port();
    tokio::spawn(app.run_until_stopped());
    let client = client_trusting(&[&p]);

    let res = client
        .get(format!("https://127.0.0.1:{port}/healthz"))
        .send()
        .await
        .expect("an HTTPS answer");
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["strict-transport-security"],
        "max-age=31536000"
    );
    assert_eq!(served_cert(&res), p.der);
    // Errors carry it too.
    let res = client
        .get(format!("https://127.0.0.1:{port}/nope"))
        .send()
        .await
        .expect("an HTTPS answer");
    assert_eq!(
        res.headers()["strict-transport-security"],
        "max-age=31536000"
    );
    assert_eq!(problem(res).await.0, 404);

    let plain = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client");
    let res = plain
        .get(format!("http://127.0.0.1:{port}/healthz"))
        .send()
        .await;
    assert!(
        res.is_err(),
        "plain HTTP to the TLS port must not be served: {res:?}"
    );
    // A client that does not trust the certificate is refused by its own TLS stack.
    assert!(reqwest::Client::new()
        .get(format!("https://127.0.0.1:{port}/healthz"))
        .send()
        .await
        .is_err());
}

#[tokio::test]
async fn plain_http_answers_carry_no_hsts() {
    let app = crate::helpers::TestApp::spawn().await;
    let res = app.get("/healthz").await;
    assert!(res.headers().get("strict-transport-security").is_none());
}

/// `credvault serve` with these TLS files; returns (exit success, stderr). It stops at the
/// configuration check, before any database connection.
fn serve_with(cert: &Path, key: &Path) -> (bool, String) {
    let out = std::process::Command::new(credvault_bin())
        .arg("serve")
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
        .env("CREDVAULT_MASTER_KEY", TEST_MASTER_KEY)
        .env("CREDVAULT_BIND", "127.0.0.1:0")
        .env("CREDVAULT_TLS_CERT", cert)
        .env("CREDVAULT_TLS_KEY", key)
        .output()
        .expect("run credvault serve");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn unsafe_or_wrong_tls_files_stop_start_up_with_one_line_naming_the_variable() {
    let tls = TlsDir::new();
    let p = pair();
    tls.write(&p, 0o644);
    let key_body: String = p.key_pem.lines().nth(1).expect("a key line").into();
    let shown = tls.key.display().to_string();
    type Case<'a> = (Box<dyn Fn() + 'a>, &'static str, String);
    let cases: Vec<Case> = vec![
        (
            Box::new(|| {}),
            "CREDVAULT_TLS_KEY",
            format!("run `chmod 600 {shown}`"),
        ),
        (
            Box::new(|| write_mode(&tls.key, &p.key_pem, 0o640)),
            "CREDVAULT_TLS_KEY",
            "readable by group or others".into(),
        ),
        (
            Box::new(|| write_mode(&tls.key, &pair().key_pem, 0o600)),
            "CREDVAULT_TLS_KEY",
            "is not the key of the certificate".into(),
        ),
        (
            Box::new(|| write_mode(&tls.key, "not a key\n", 0o600)),
            "CREDVAULT_TLS_KEY",
            "is not a PEM private key".into(),
        ),
        (
            Box::new(|| {
                write_mode(&tls.key, &p.key_pem, 0o600);
                std::fs::write(&tls.cert, "garbage\n").expect("write");
            }),
            "CREDVAULT_TLS_CERT",
            "holds no PEM certificate".into(),
        ),
        (
            Box::new(|| {
                std::fs::remove_file(&tls.cert).expect("rm");
            }),
            "CREDVAULT_TLS_CERT",
            "cannot read".into(),
        ),
    ];
    for (prepare, var, expected) in cases {
        prepare();
        let (ok, stderr) = serve_with(&tls.cert, &tls.key);
        assert!(!ok, "start-up must fail: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
        assert!(
            stderr.contains(&format!("configuration error: {var}: ")),
            "{stderr}"
        );
        assert!(stderr.contains(&expected), "{expected:?} in {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(!stderr.contains(&key_body), "the key leaked: {stderr}");
    }
}

async fn wait_https(client: &reqwest::Client, url: &str) -> reqwest::Response {
    for _ in 0..150 {
        if let Ok(res) = client.get(url).send().await {
            return res;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{url} did not answer over HTTPS within 15 s");
}

fn sighup(pid: u32) {
    let ok = std::process::Command::new("kill")
        .args(["-HUP", &pid.to_string()])
        .status()
        .expect("run kill")
        .success();
    assert!(ok, "kill -HUP {pid}");
}

#[tokio::test]
async fn sighup_reloads_the_certificate_and_a_bad_one_keeps_the_served_one() {
    let tls = TlsDir::new();
    let (a, b) = (pair(), pair());
    tls.write(&a, 0o600);
    let db = TestDb::migrated().await;
    let cert = tls.cert.display().to_string();
    let key = tls.key.display().to_string();
    let mut serve = ServeProcess::start_with_env(
        &db,
        &[("CREDVAULT_TLS_CERT", &cert), ("CREDVAULT_TLS_KEY", &key)],
    );
    let url = format!(
        "{}/healthz",
        serve.address.replacen("http://", "https://", 1)
    );
    let fresh = || client_trusting(&[&a, &b]);
    let res = wait_https(&fresh(), &url).await;
    assert_eq!(served_cert(&res), a.der, "serves the first certificate");

    tls.write(&b, 0o600);
    sighup(serve.child.id());
    let mut swapped = false;
    for _ in 0..50 {
        let res = fresh().get(&url).send().await.expect("HTTPS");
        if served_cert(&res) == b.der {
            swapped = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(swapped, "after SIGHUP the new certificate is served");

    // A broken certificate file: the process stays up and keeps serving the last good one. The
    // failed reload is waited for (it is counted in /metrics), so the check below cannot pass
    // by looking before the reload was tried.
    let failed_reloads = || async {
        let text = fresh()
            .get(url.replace("/healthz", "/metrics"))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text");
        text.lines()
            .find_map(|l| l.strip_prefix("credvault_tls_reloads_total{outcome=\"failed\"} "))
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or(0)
    };
    assert_eq!(failed_reloads().await, 0);
    std::fs::write(&tls.cert, "-----BEGIN CERTIFICATE-----\nbroken\n").expect("write");
    sighup(serve.child.id());
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while failed_reloads().await == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the reload after SIGHUP was not tried within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        serve.child.try_wait().expect("status").is_none(),
        "still running"
    );
    let res = fresh().get(&url).send().await.expect("HTTPS");
    assert_eq!(res.status(), 200);
    assert_eq!(served_cert(&res), b.der, "the previous certificate stays");
}
