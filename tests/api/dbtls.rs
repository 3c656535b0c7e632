//! TLS to PostgreSQL: a private PostgreSQL cluster with `ssl = on` and a certificate from a test
//! CA made here, reached with libpq's `sslmode` values. Every connection the server holds must be
//! encrypted (`pg_stat_ssl`), a server whose certificate does not verify stops start-up with one
//! line naming DATABASE_URL, and `require` encrypts without a CA.

use std::path::{Path, PathBuf};
use std::process::Command;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use serde_json::json;

use crate::helpers::{settings, TestApp, TestDb};

/// A CA: its certificate (PEM) and what signs with it.
struct Ca {
    pem: String,
    cert: rcgen::Certificate,
    key: KeyPair,
}

fn make_ca(name: &str) -> Ca {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    let key = KeyPair::generate().expect("key");
    let cert = params.self_signed(&key).expect("CA");
    Ca {
        pem: cert.pem(),
        cert,
        key,
    }
}

/// The PostgreSQL server binaries, where `scripts/dev-db.sh` finds them.
fn bindir() -> PathBuf {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.path().join("bin"))
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
        .into_iter()
        .rev()
        .find(|b| b.join("initdb").exists())
        .expect(
        "PostgreSQL's server binaries under /usr/lib/postgresql (scripts/dev-db.sh installs them)",
    )
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Runs a server binary, as the `postgres` user when we are root (PostgreSQL refuses root).
fn pg(bin: &Path, args: &[&str]) -> std::process::Output {
    let mut cmd = if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin);
        c
    } else {
        Command::new(bin)
    };
    cmd.args(args).output().expect("run a PostgreSQL binary")
}

/// A private cluster with TLS on, its server certificate (for 127.0.0.1 only) signed by `ca`;
/// stopped and removed on drop.
struct SslCluster {
    dir: PathBuf,
    port: u16,
}

impl SslCluster {
    fn start(ca: &Ca) -> SslCluster {
        // Under /var/tmp: the postgres user must reach it when we are root.
        let dir = PathBuf::from(format!(
            "/var/tmp/credvault-ssl-{}",
            uuid::Uuid::now_v7().simple()
        ));
        std::fs::create_dir_all(&dir).expect("dir");
        let data = dir.join("data");
        if is_root() {
            let ok = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&dir)
                .status()
                .expect("chown");
            assert!(ok.success());
        }
        let bin = bindir();
        let out = pg(
            &bin.join("initdb"),
            &[
                "-D",
                data.to_str().expect("path"),
                "-U",
                "postgres",
                "--auth=trust",
                "--no-locale",
                "-E",
                "UTF8",
            ],
        );
        assert!(
            out.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let server_key = KeyPair::generate().expect("key");
        let mut params = CertificateParams::new(vec!["127.0.0.1".to_string()]).expect("params");
        params.distinguished_name.push(DnType::CommonName, "db");
        let server = params
            .signed_by(&server_key, &ca.cert, &ca.key)
            .expect("server certificate");
        std::fs::write(data.join("server.crt"), server.pem()).expect("cert");
        std::fs::write(data.join("server.key"), server_key.serialize_pem()).expect("key");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("free port");
        let conf = format!(
            "listen_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = ''\nssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\nfsync = off\n"
        );
        let mut existing = std::fs::read_to_string(data.join("postgresql.conf")).expect("conf");
        existing.push_str(&conf);
        std::fs::write(data.join("postgresql.conf"), existing).expect("conf");
        if is_root() {
            for f in ["server.crt", "server.key", "postgresql.conf"] {
                let ok = Command::new("chown")
                    .arg("postgres:postgres")
                    .arg(data.join(f))
                    .status()
                    .expect("chown");
                assert!(ok.success());
            }
        }
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            data.join("server.key"),
            std::fs::Permissions::from_mode(0o600),
        )
        .expect("chmod");
        let log = dir.join("log");
        let out = pg(
            &bin.join("pg_ctl"),
            &[
                "-D",
                data.to_str().expect("path"),
                "-l",
                log.to_str().expect("path"),
                "-w",
                "-t",
                "60",
                "start",
            ],
        );
        assert!(
            out.status.success(),
            "pg_ctl start: {}{}",
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        SslCluster { dir, port }
    }

    /// A database URL on this cluster with these extra parameters.
    fn url(&self, host: &str, db: &str, params: &str) -> String {
        format!("postgres://postgres@{host}:{}/{db}?{params}", self.port)
    }
}

impl Drop for SslCluster {
    fn drop(&mut self) {
        let data = self.dir.join("data");
        let _ = pg(
            &bindir().join("pg_ctl"),
            &[
                "-D",
                data.to_str().unwrap_or_default(),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
        );
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One query over a pool built from `url`, or the connection error as one line.
async fn query_one(url: &str, sql: &str) -> Result<String, String> {
    let pool = credvault_store::connect(url, 1).map_err(|e| e.to_string())?;
    let client = pool.get().await.map_err(|e| {
        let mut text = e.to_string();
        let mut cause = std::error::Error::source(&e);
        while let Some(c) = cause {
            text.push_str(&format!(": {c}"));
            cause = c.source();
        }
        text
    })?;
    let row = client
        .query_one(sql, &[])
        .await
        .map_err(|e| e.to_string())?;
    Ok(row.get::<_, String>(0))
}

#[tokio::test]
async fn the_database_is_reached_over_verified_tls_and_a_wrong_ca_stops_start_up() {
    let ca = make_ca("credvault test CA");
    let other = make_ca("someone else's CA");
    let cluster = SslCluster::start(&ca);
    let dir = cluster.dir.clone();
    let ca_file = dir.join("ca.pem");
    let other_file = dir.join("other.pem");
    std::fs::write(&ca_file, &ca.pem).expect("ca");
    std::fs::write(&other_file, &other.pem).expect("other");
    let root = |f: &Path| format!("sslrootcert={}", f.display());
    let ssl_of_me = "SELECT ssl::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()";

    // verify-full against the right CA, by the address in the certificate.
    let full = cluster.url(
        "127.0.0.1",
        "postgres",
        &format!("sslmode=verify-full&{}", root(&ca_file)),
    );
    assert_eq!(query_one(&full, ssl_of_me).await.as_deref(), Ok("true"));
    // verify-full by a name the certificate does not carry is refused; verify-ca accepts it.
    let by_name = cluster.url(
        "localhost",
        "postgres",
        &format!("sslmode=verify-full&{}", root(&ca_file)),
    );
    let err = query_one(&by_name, ssl_of_me)
        .await
        .expect_err("name not in the certificate");
    assert!(err.to_lowercase().contains("certificate"), "{err}");
    let ca_only = cluster.url(
        "localhost",
        "postgres",
        &format!("sslmode=verify-ca&{}", root(&ca_file)),
    );
    assert_eq!(query_one(&ca_only, ssl_of_me).await.as_deref(), Ok("true"));
    // Another CA: refused, whatever the mode that verifies.
    for mode in ["verify-full", "verify-ca", "require"] {
        let wrong = cluster.url(
            "127.0.0.1",
            "postgres",
            &format!("sslmode={mode}&{}", root(&other_file)),
        );
        let err = query_one(&wrong, ssl_of_me).await.expect_err("another CA");
        assert!(err.to_lowercase().contains("certificate"), "{mode}: {err}");
    }
    // require without a CA encrypts without checking; prefer (the default) encrypts too.
    for params in ["sslmode=require", ""] {
        let url = cluster.url("127.0.0.1", "postgres", params);
        assert_eq!(
            query_one(&url, ssl_of_me).await.as_deref(),
            Ok("true"),
            "{params}"
        );
    }
    // The key/value form works the same.
    let kv = format!(
        "host=127.0.0.1 port={} user=postgres dbname=postgres sslmode=verify-full sslrootcert='{}'",
        cluster.port,
        ca_file.display()
    );
    assert_eq!(query_one(&kv, ssl_of_me).await.as_deref(), Ok("true"));

    // The whole service on it: pool, resolve writer and cache listener all encrypted.
    let admin = cluster.url(
        "127.0.0.1",
        "postgres",
        &format!("sslmode=verify-full&{}", root(&ca_file)),
    );
    query_one(&admin, "SELECT 'x'").await.expect("admin");
    {
        let pool = credvault_store::connect(&admin, 1).expect("pool");
        let c = pool.get().await.expect("conn");
        c.batch_execute("CREATE DATABASE credvault")
            .await
            .expect("create db");
    }
    let url = cluster.url(
        "127.0.0.1",
        "credvault",
        &format!("sslmode=verify-full&{}", root(&ca_file)),
    );
    let db = TestDb {
        name: String::new(),
        url: url.clone(),
    };
    let app = credvault_api::startup::Application::build(settings(&db, |_| {}))
        .await
        .expect("starts over verified TLS");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let app = TestApp {
        address,
        client: reqwest::Client::new(),
        db,
    };
    let (signup, owner) = app.signup("ada@example.com").await;
    let owner_id = signup["user"]["id"].as_str().expect("id").to_string();
    let res = app
        .post_as(&owner, "/v1/credentials", &json!({"name": "K", "service": "s", "type": "api_key", "data": {"key": "sk_over_tls_000001"}}))
        .await;
    assert_eq!(res.status(), 201);
    let cred = res.json::<serde_json::Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .to_string();
    let engine = app.engine_token(&owner).await;
    let res = app
        .put_json_as(
            &engine,
            "/v1/workflows/wf",
            &json!({"name": "f", "owner_id": owner_id, "credential_ids": [cred]}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let res = app
        .post_as(
            &engine,
            &format!("/v1/credentials/{cred}/resolve"),
            &json!({"workflow_id": "wf"}),
        )
        .await;
    assert_eq!(
        res.status(),
        200,
        "resolves over TLS (the resolve writer's commit included)"
    );
    let counts = query_one(
        &admin,
        "SELECT count(*) FILTER (WHERE s.ssl)::text || '/' || count(*)::text
           FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid)
          WHERE a.datname = 'credvault' AND a.application_name = 'credvault'",
    )
    .await
    .expect("counts");
    let (encrypted, all) = counts.split_once('/').expect("n/m");
    assert_eq!(
        encrypted, all,
        "every connection of the service is encrypted ({counts})"
    );
    assert!(
        all.parse::<u32>().expect("n") >= 2,
        "the pool and the cache listener at least ({counts})"
    );

    // Start-up against another CA: one line naming DATABASE_URL and the reason.
    let wrong = cluster.url(
        "127.0.0.1",
        "credvault",
        &format!("sslmode=verify-full&{}", root(&other_file)),
    );
    let db = TestDb {
        name: String::new(),
        url: wrong,
    };
    let err = match credvault_api::startup::Application::build(settings(&db, |_| {})).await {
        Ok(_) => panic!("started against a certificate it cannot verify"),
        Err(e) => format!("{e:#}"),
    };
    assert!(err.starts_with("DATABASE_URL"), "{err}");
    assert!(err.to_lowercase().contains("certificate"), "{err}");
    assert!(!err.contains('\n'), "one line: {err}");
    println!("start-up against another CA: {err}");
}
