//! The test harness: `TestApp` starts the app in-process on a random port against its own fresh
//! database (created from a migrated template and dropped afterwards), with typed request helpers.

#![allow(dead_code)]

use std::process::Command;
use std::sync::OnceLock;

use credvault_api::config::{DbFlags, KeyFlags, ServeFlags, Settings};
use credvault_api::startup::Application;
use serde_json::Value;
use tokio::sync::OnceCell;
use tokio_postgres::NoTls;

/// The server's base URL (DATABASE_URL, or the private cluster `scripts/dev-db.sh` starts).
/// Tests never skip when PostgreSQL is missing: they fail and say what to do.
fn base_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        if let Ok(url) = std::env::var("DATABASE_URL") {
            if !url.is_empty() {
                return url;
            }
        }
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/dev-db.sh");
        let out = Command::new(script).arg("start").output().unwrap_or_else(|e| {
            panic!("DATABASE_URL is not set and {script} could not run ({e}); run the tests with `make test`")
        });
        assert!(
            out.status.success(),
            "DATABASE_URL is not set and the private PostgreSQL did not start:\n{}\nrun the tests with `make test`",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    })
}

/// The same server, another database.
pub fn url_for(db: &str) -> String {
    credvault_tests::with_db(base_url(), db)
}

async fn admin() -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(&url_for("postgres"), NoTls)
        .await
        .unwrap_or_else(|e| {
            panic!(
                "cannot connect to PostgreSQL at {}: {e}",
                url_for("postgres")
            )
        });
    tokio::spawn(conn);
    client
}

fn template_name() -> String {
    // FNV-1a over the migrations: a schema change makes a new template.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for m in credvault_store::migrate::MIGRATIONS {
        for b in m.sql.bytes() {
            h = (h ^ b as u64).wrapping_mul(0x100_0000_01b3);
        }
    }
    format!("credvault_tpl_{h:016x}")
}

/// Creates the migrated template once per run (under a lock, as test binaries may run at once).
async fn template() -> &'static str {
    static TEMPLATE: OnceCell<String> = OnceCell::const_new();
    TEMPLATE
        .get_or_init(|| async {
            let name = template_name();
            let admin = admin().await;
            admin
                .execute("SELECT pg_advisory_lock(7243)", &[])
                .await
                .expect("lock");
            let exists = admin
                .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
                .await
                .expect("query")
                .is_some();
            if !exists {
                for row in admin
                    .query(
                        "SELECT datname FROM pg_database WHERE datname LIKE 'credvault_tpl_%'",
                        &[],
                    )
                    .await
                    .expect("list")
                {
                    let old: String = row.get(0);
                    let _ = admin
                        .execute(
                            &format!("DROP DATABASE IF EXISTS \"{old}\" WITH (FORCE)"),
                            &[],
                        )
                        .await;
                }
                admin
                    .execute(&format!("CREATE DATABASE \"{name}\""), &[])
                    .await
                    .expect("create template");
                let pool = credvault_store::connect(&url_for(&name), 1).expect("pool");
                credvault_store::migrate::run(&pool)
                    .await
                    .expect("migrate template");
                pool.close();
            }
            admin
                .execute("SELECT pg_advisory_unlock(7243)", &[])
                .await
                .expect("unlock");
            name
        })
        .await
}

/// A database of its own for one test; dropped when this value is.
pub struct TestDb {
    pub name: String,
    pub url: String,
}

impl TestDb {
    /// A fresh, migrated database.
    pub async fn migrated() -> TestDb {
        let template = template().await;
        Self::create(Some(template)).await
    }

    /// A fresh database with nothing in it.
    pub async fn empty() -> TestDb {
        Self::create(None).await
    }

    async fn create(template: Option<&str>) -> TestDb {
        let name = format!("credvault_test_{}", uuid::Uuid::now_v7().simple());
        let sql = match template {
            Some(t) => format!("CREATE DATABASE \"{name}\" TEMPLATE \"{t}\""),
            None => format!("CREATE DATABASE \"{name}\""),
        };
        let admin = admin().await;
        let mut tries = 0;
        while let Err(e) = admin.execute(&sql, &[]).await {
            // Two copies of one template at the same instant can collide; try again.
            tries += 1;
            assert!(tries < 20, "cannot create test database: {e}");
            tokio::time::sleep(std::time::Duration::from_millis(50 * tries)).await;
        }
        TestDb {
            url: url_for(&name),
            name,
        }
    }

    pub async fn client(&self) -> tokio_postgres::Client {
        let (client, conn) = tokio_postgres::connect(&self.url, NoTls)
            .await
            .expect("connect test db");
        tokio::spawn(conn);
        client
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if self.name.is_empty() {
            return;
        }
        let name = self.name.clone();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                let admin = admin().await;
                let _ = admin
                    .execute(
                        &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
                        &[],
                    )
                    .await;
            });
        })
        .join();
    }
}

pub const TEST_MASTER_KEY: &str = "dGVzdC1tYXN0ZXIta2V5LWZvci1jcmVkdmF1bHQtMzI="; // "test-master-key-for-credvault-32"

/// Settings for a test server on `db`, with `configure` applied to the serve flags.
pub fn settings(db: &TestDb, configure: impl FnOnce(&mut ServeFlags)) -> Settings {
    let dbf = DbFlags {
        database_url: Some(db.url.clone()),
        database_url_file: None,
        db_pool_size: 8,
    };
    let keys = KeyFlags {
        master_key: Some(TEST_MASTER_KEY.into()),
        ..Default::default()
    };
    let mut serve = ServeFlags {
        bind: "127.0.0.1:0".into(),
        ..Default::default()
    };
    configure(&mut serve);
    Settings::load(&dbf, &keys, &serve).expect("test settings are valid")
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub db: TestDb,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(configure: impl FnOnce(&mut ServeFlags)) -> TestApp {
        capture_logs();
        let db = TestDb::migrated().await;
        let app = Application::build(settings(&db, configure))
            .await
            .expect("the app starts");
        let address = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        TestApp {
            address,
            client,
            db,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// A POST with a raw body and an optional content type, for malformed input.
    pub async fn post_raw(
        &self,
        path: &str,
        body: impl Into<reqwest::Body>,
        content_type: Option<&str>,
    ) -> reqwest::Response {
        let mut req = self.client.post(self.url(path)).body(body);
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        req.send().await.expect("request")
    }
}

/// A uuid in a JSON answer (`body["workspace"]["id"]`, say).
pub fn uuid_at(v: &Value) -> uuid::Uuid {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("a uuid, not {v}"))
}

/// Reads a problem+json answer, checking its shape, and returns (status, body).
pub async fn problem(res: reqwest::Response) -> (u16, Value) {
    let status = res.status().as_u16();
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let rid = res
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let body: Value = res.json().await.expect("a JSON body");
    assert_eq!(
        ct, "application/problem+json",
        "errors are problem+json: {body}"
    );
    assert_eq!(body["status"], status);
    assert_eq!(
        body["request_id"],
        Value::String(rid),
        "the body names the request id of the header"
    );
    let code = body["code"].as_str().expect("a code");
    assert_eq!(
        body["type"],
        format!("https://credvault.dev/problems/{code}")
    );
    assert!(body["title"].is_string() && body["detail"].is_string());
    (status, body)
}

pub const PASSWORD: &str = "correct horse battery";

impl TestApp {
    /// Signs up the first workspace; returns (body, access token).
    pub async fn signup(&self, email: &str) -> (Value, String) {
        let res = self
            .post_json(
                "/v1/workspaces",
                &serde_json::json!({"workspace_name": "Acme", "email": email, "password": PASSWORD, "display_name": "Ada Owner"}),
            )
            .await;
        assert_eq!(res.status(), 201, "sign-up");
        let body: Value = res.json().await.expect("json");
        let token = body["tokens"]["access_token"]
            .as_str()
            .expect("token")
            .to_string();
        (body, token)
    }

    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.post_json(
            "/v1/auth/login",
            &serde_json::json!({"email": email, "password": password}),
        )
        .await
    }

    pub async fn get_as(&self, token: &str, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }

    pub async fn post_as(&self, token: &str, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn patch_as(&self, token: &str, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .patch(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn put_as(&self, token: &str, path: &str) -> reqwest::Response {
        self.client
            .put(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }

    pub async fn put_json_as(&self, token: &str, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .put(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// Creates an engine token (resolve credentials, register workflows) as the owner `owner`;
    /// returns the token.
    pub async fn engine_token(&self, owner: &str) -> String {
        let body = serde_json::json!({"name": "engine", "kind": "engine", "scopes": ["credentials:resolve", "workflows:write"]});
        let res = self.post_as(owner, "/v1/tokens", &body).await;
        assert_eq!(res.status(), 201, "an engine token");
        let token: Value = res.json().await.expect("json");
        token["token"].as_str().expect("token").to_string()
    }

    pub async fn delete_as(&self, token: &str, path: &str) -> reqwest::Response {
        self.client
            .delete(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }

    /// Creates a user with `role` as the owner `owner` and signs them in; returns (id, token).
    pub async fn user_with_role(&self, owner: &str, email: &str, role: &str) -> (String, String) {
        let res = self
            .post_as(owner, "/v1/users", &serde_json::json!({"email": email, "display_name": role, "role": role, "password": PASSWORD}))
            .await;
        assert_eq!(res.status(), 201, "create {role}");
        let id = res.json::<Value>().await.expect("json")["id"]
            .as_str()
            .expect("id")
            .to_string();
        let login: Value = self
            .login(email, PASSWORD)
            .await
            .json()
            .await
            .expect("json");
        (
            id,
            login["access_token"].as_str().expect("token").to_string(),
        )
    }
}

/// A second server on the same database (another instance of the deployment).
pub async fn spawn_on(db: &TestDb) -> TestApp {
    let app = Application::build(settings(db, |_| {}))
        .await
        .expect("the app starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();
    // The second instance does not own the database: give it a handle that drops nothing.
    TestApp {
        address,
        client,
        db: TestDb {
            name: String::new(),
            url: db.url.clone(),
        },
    }
}

/// Every log line of this test run, as the server would print it (JSON, debug level for our
/// crates), so tests can check that no secret ever reaches one.
pub fn captured_logs() -> String {
    LOGS.lock()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

static LOGS: std::sync::Mutex<Vec<u8>> = std::sync::Mutex::new(Vec::new());

struct LogSink;

impl std::io::Write for LogSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut b) = LOGS.lock() {
            b.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_logs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = tracing_subscriber::fmt()
            .json()
            .with_current_span(true)
            .with_env_filter(tracing_subscriber::EnvFilter::new(
                "info,credvault_api=debug,credvault_service=debug,credvault_store=debug",
            ))
            .with_writer(|| LogSink)
            .try_init();
    });
}

/// The `credvault` binary of this build (`make test` builds it before the tests).
pub fn credvault_bin() -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    // target/<profile>/deps/api-<hash> -> target/<profile>/credvault
    let bin = exe
        .parent()
        .and_then(|deps| deps.parent())
        .map(|dir| dir.join("credvault"))
        .expect("target dir");
    assert!(bin.exists(), "{} is missing: run the tests with `make test`, which builds it first (or `cargo build -p credvault-api --bin credvault`)", bin.display());
    bin
}

/// A `credvault serve` process on `db`, listening on a free port; killed when dropped. It logs
/// (JSON, debug for our crates) to a file of its own, `log`, kept when the test fails.
pub struct ServeProcess {
    pub child: std::process::Child,
    pub address: String,
    pub log: std::path::PathBuf,
}

impl ServeProcess {
    pub fn start(db: &TestDb) -> ServeProcess {
        Self::start_with_env(db, &[])
    }

    /// A serve process with extra environment variables.
    pub fn start_with_env(db: &TestDb, env: &[(&str, &str)]) -> ServeProcess {
        Self::start_with_env_unset(db, env, &[])
    }

    /// A serve process with extra environment variables and without those of `unset` (e.g.
    /// the master key the others get).
    pub fn start_with_env_unset(db: &TestDb, env: &[(&str, &str)], unset: &[&str]) -> ServeProcess {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("free port");
        let log = std::env::temp_dir().join(format!(
            "credvault-serve-{}.log",
            uuid::Uuid::now_v7().simple()
        ));
        let stderr = std::fs::File::create(&log).expect("the serve process's log file");
        let mut command = std::process::Command::new(credvault_bin());
        command
            .arg("serve")
            .env("DATABASE_URL", &db.url)
            .env("CREDVAULT_MASTER_KEY", TEST_MASTER_KEY)
            .env("CREDVAULT_BIND", format!("127.0.0.1:{port}"))
            .env("CREDVAULT_LOG_FORMAT", "json")
            .env(
                "RUST_LOG",
                "info,credvault_api=debug,credvault_service=debug,credvault_store=debug",
            )
            .envs(env.iter().copied())
            .stdout(std::process::Stdio::null())
            .stderr(stderr);
        for var in unset {
            command.env_remove(var);
        }
        let child = command.spawn().expect("start credvault serve");
        ServeProcess {
            child,
            address: format!("http://127.0.0.1:{port}"),
            log,
        }
    }

    /// Everything the process has logged so far.
    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until `/readyz` answers 200; false after `secs`.
    pub async fn ready(&self, secs: u64) -> bool {
        let client = reqwest::Client::new();
        for _ in 0..secs * 10 {
            if client
                .get(format!("{}/readyz", self.address))
                .send()
                .await
                .is_ok_and(|r| r.status() == 200)
            {
                return true;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        false
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("the serve process's log: {}", self.log.display());
        } else {
            let _ = std::fs::remove_file(&self.log);
        }
    }
}

/// A TCP proxy in front of a test database whose connections can be frozen: after `freeze`, the
/// connections open at that moment stop forwarding in both directions yet stay open, as in a
/// network partition that resets nothing. Connections opened later pass.
pub struct FreezingProxy {
    /// The database's URL through the proxy.
    pub url: String,
    next: std::sync::Arc<std::sync::atomic::AtomicU64>,
    frozen_below: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

trait Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> Io for T {}

impl FreezingProxy {
    pub async fn to(db: &TestDb) -> FreezingProxy {
        use std::sync::atomic::{AtomicU64, Ordering};
        use std::sync::Arc;
        use tokio_postgres::config::Host;
        let config: tokio_postgres::Config = db.url.parse().expect("the test database URL parses");
        let port = config.get_ports().first().copied().unwrap_or(5432);
        let host = config.get_hosts().first().cloned();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("proxy port");
        let address = listener.local_addr().expect("proxy address");
        let (next, frozen_below) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
        let (n, f) = (next.clone(), frozen_below.clone());
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let id = n.fetch_add(1, Ordering::SeqCst);
                let upstream: Box<dyn Io> = match &host {
                    Some(Host::Unix(dir)) => Box::new(
                        tokio::net::UnixStream::connect(dir.join(format!(".s.PGSQL.{port}")))
                            .await
                            .expect("proxy reaches the database"),
                    ),
                    Some(Host::Tcp(h)) => Box::new(
                        tokio::net::TcpStream::connect((h.as_str(), port))
                            .await
                            .expect("proxy reaches the database"),
                    ),
                    None => Box::new(
                        tokio::net::TcpStream::connect(("localhost", port))
                            .await
                            .expect("proxy reaches the database"),
                    ),
                };
                let (cr, cw) = tokio::io::split(Box::new(client) as Box<dyn Io>);
                let (ur, uw) = tokio::io::split(upstream);
                tokio::spawn(Self::pipe(cr, uw, id, f.clone()));
                tokio::spawn(Self::pipe(ur, cw, id, f.clone()));
            }
        });
        let user = config.get_user().unwrap_or("postgres");
        let password = config
            .get_password()
            .map(|p| format!(":{}", String::from_utf8_lossy(p)))
            .unwrap_or_default();
        FreezingProxy {
            url: format!("postgres://{user}{password}@{address}/{}", db.name),
            next,
            frozen_below,
        }
    }

    async fn pipe(
        mut from: impl tokio::io::AsyncRead + Unpin,
        mut to: impl tokio::io::AsyncWrite + Unpin,
        id: u64,
        frozen_below: std::sync::Arc<std::sync::atomic::AtomicU64>,
    ) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match from.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            if id < frozen_below.load(std::sync::atomic::Ordering::SeqCst) {
                // Frozen: hold both ends open and forward nothing, ever.
                std::future::pending::<()>().await;
            }
            if to.write_all(&buf[..n]).await.is_err() {
                return;
            }
        }
    }

    /// Freezes every connection open now.
    pub fn freeze(&self) {
        use std::sync::atomic::Ordering;
        self.frozen_below
            .store(self.next.load(Ordering::SeqCst), Ordering::SeqCst);
    }
}

/// Waits until `n` backends of the test database wait on a lock (up to 20 s: on 2 busy cores a
/// request can take seconds to reach its lock).
pub async fn waiting_on_locks(db: &tokio_postgres::Client, n: i64) {
    for _ in 0..800 {
        let waiting: i64 = db
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
                &[],
            )
            .await
            .expect("count")
            .get(0);
        if waiting >= n {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("{n} backends never waited on a lock");
}

impl TestApp {
    /// Sends `first`, then `second`, while `lock` (a `SELECT ... FOR UPDATE` with `key` as $1)
    /// holds a row both need: each is sent once the one before waits on a lock, so they queue in
    /// that order. Releases the row and returns both answers, in the order sent.
    pub async fn queued_behind(
        &self,
        lock: &str,
        key: &(dyn tokio_postgres::types::ToSql + Sync),
        first: reqwest::RequestBuilder,
        second: reqwest::RequestBuilder,
    ) -> [reqwest::Response; 2] {
        let mut hold = self.db.client().await;
        let hold = hold.transaction().await.expect("begin");
        assert_eq!(
            hold.execute(lock, &[key]).await.expect("lock"),
            1,
            "the row to hold"
        );
        let watch = self.db.client().await;
        let first = tokio::spawn(first.send());
        waiting_on_locks(&watch, 1).await;
        let second = tokio::spawn(second.send());
        waiting_on_locks(&watch, 2).await;
        hold.rollback().await.expect("release");
        let answer = |sent: Result<reqwest::Result<reqwest::Response>, _>| {
            sent.expect("task").expect("request")
        };
        [answer(first.await), answer(second.await)]
    }

    /// The workflows a credential's `credential.purged` event names.
    pub async fn purged_workflow_ids(&self, credential: &str) -> Value {
        self.db
            .client()
            .await
            .query_one(
                "SELECT details->'workflow_ids' FROM audit_events WHERE action = 'credential.purged' AND target_id = $1",
                &[&credential],
            )
            .await
            .expect("the credential's purge event")
            .get(0)
    }

    /// The same request twice, both queued behind `lock` (see `queued_behind`), so that both
    /// have read what they change before either writes; returns both statuses, sorted.
    pub async fn twice_at_once(
        &self,
        lock: &str,
        key: &(dyn tokio_postgres::types::ToSql + Sync),
        request: impl Fn() -> reqwest::RequestBuilder,
    ) -> [u16; 2] {
        let mut statuses = self
            .queued_behind(lock, key, request(), request())
            .await
            .map(|r| r.status().as_u16());
        statuses.sort_unstable();
        statuses
    }
}

/// Whether `check` comes true within the contract's second. The second is counted to the start
/// of the check that sees the change: a check's own round trip (long in a debug build on a busy
/// machine) is not the propagation being measured, and is given its own allowance this way
/// instead of a longer bound that would hide a slow notification.
pub async fn within_a_second<F, Fut>(mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = std::time::Instant::now();
    let poll = std::time::Duration::from_millis(20);
    loop {
        if start.elapsed() > std::time::Duration::from_secs(1) + poll {
            return false;
        }
        if check().await {
            return true;
        }
        tokio::time::sleep(poll).await;
    }
}

/// One instance's runtime-cache counters, as its `/metrics` shows them.
#[derive(Debug, Clone, Copy, Default)]
pub struct CacheCounts {
    pub token_hits: u64,
    pub resolve_hits: u64,
    pub resolve_misses: u64,
    pub invalidations: u64,
}

/// An instance's `/metrics`, and a reader of one series' value in it (0 when absent).
pub async fn metrics(address: &str) -> impl Fn(&str) -> u64 {
    let text = reqwest::get(format!("{address}/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    move |series: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(series))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    }
}

pub async fn cache_counts(address: &str) -> CacheCounts {
    let value = metrics(address).await;
    CacheCounts {
        token_hits: value("credvault_cache_lookups_total{cache=\"token\",result=\"hit\"}"),
        resolve_hits: value("credvault_cache_lookups_total{cache=\"resolve\",result=\"hit\"}"),
        resolve_misses: value("credvault_cache_lookups_total{cache=\"resolve\",result=\"miss\"}"),
        invalidations: value("credvault_cache_invalidations_total"),
    }
}

/// Waits until the sequencer has linked every committed event of workspace `ws`.
pub async fn chained(db: &tokio_postgres::Client, ws: uuid::Uuid) {
    for _ in 0..500 {
        let pending: i64 = db
            .query_one(
                "SELECT count(*) FROM audit_events WHERE workspace_id = $1 AND seq IS NULL",
                &[&ws],
            )
            .await
            .expect("count")
            .get(0);
        if pending == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the audit events of {ws} were never chained");
}

/// Locks workspace `ws`'s chain head (made when its first events are linked, waited for here)
/// until the returned transaction ends: the sequencer can commit no batch of that workspace.
pub async fn hold_the_chain_head(
    holder: &mut tokio_postgres::Client,
    ws: uuid::Uuid,
) -> tokio_postgres::Transaction<'_> {
    chained(holder, ws).await;
    let hold = holder.transaction().await.expect("begin");
    hold.execute(
        "SELECT 1 FROM audit_heads WHERE workspace_id = $1 FOR UPDATE",
        &[&ws],
    )
    .await
    .expect("lock the head");
    hold
}

/// Makes every later insert of audit events wait while the returned transaction is open (a
/// trigger takes the lock it holds, shared, first): a change then stops at its audit record,
/// and the sequencer, which inserts nothing, goes on. Also returns the holder's backend pid.
pub async fn hold_audit_inserts(
    c: &mut tokio_postgres::Client,
) -> (tokio_postgres::Transaction<'_>, i32) {
    c.batch_execute(
        "CREATE OR REPLACE FUNCTION test_hold_audit() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN PERFORM pg_advisory_xact_lock_shared(742874); RETURN NULL; END $$;
         CREATE OR REPLACE TRIGGER test_hold_audit BEFORE INSERT ON audit_events
             FOR EACH STATEMENT EXECUTE FUNCTION test_hold_audit();",
    )
    .await
    .expect("trigger");
    let holder = c.transaction().await.expect("begin");
    let pid: i32 = holder
        .query_one(
            "SELECT pg_backend_pid(), pg_advisory_xact_lock(742874)::text",
            &[],
        )
        .await
        .expect("the lock to hold")
        .get(0);
    (holder, pid)
}

/// The audit chain's keys of a server run with `TEST_MASTER_KEY`.
pub fn chain_keys() -> std::sync::Arc<credvault_api::chain_keys::ChainKeys> {
    let key = credvault_crypto::MasterKey::from_base64(TEST_MASTER_KEY).expect("test key");
    credvault_api::chain_keys::ChainKeys::new(std::sync::Arc::new(credvault_crypto::Keyring::new(
        key,
        vec![],
    )))
}
