//! `make reliability`: proves that credvault keeps working and loses nothing under bad input and
//! faults, against real `credvault serve` processes and the private PostgreSQL:
//!
//! 1. contract fuzzing: schemathesis against `openapi/openapi.json` (no 5xx, every answer as
//!    documented), in rounds on fresh workspaces until the wanted number of cases ran;
//! 2. PostgreSQL killed (`pg_ctl stop -m immediate`) and started again under a load of creates,
//!    rotations and resolves;
//! 3. the server killed (SIGKILL) and started again under the same load.
//!
//! After each fault: every request answered 2xx is in the database with its audit event, no
//! request left a partial change, errored creates and rotations retried with their
//! Idempotency-Key take effect exactly once, the audit chain verifies, and requests succeed again
//! within seconds. Prints a table of (check, cases run, failures); exits non-zero on any failure.
//!
//! Environment (the Makefile sets it): DATABASE_URL (the private cluster), CREDVAULT_BIN,
//! SCHEMATHESIS (the CLI in .venv), DEV_DB (scripts/dev-db.sh, to kill and start PostgreSQL);
//! optional RELIABILITY_FUZZ_CASES (default 10000) and RELIABILITY_ONLY (fuzz, postgres, server).

use credvault_tests::with_db;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use serde_json::{json, Value};
use tokio::sync::Mutex;
use tokio_postgres::NoTls;
use uuid::Uuid;

const MASTER_KEY: &str = "cmVsaWFiaWxpdHktc3VpdGUtbWFzdGVyLWtleS0zMmI="; // "reliability-suite-master-key-32b"
const PASSWORD: &str = "reliability password 1";
/// The schemathesis checks the contract run uses (the names of the pinned version).
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance";
/// Concurrent clients of the fault runs, when the fault hits, how long the outage lasts, and
/// how long the load goes on after the repair (PostgreSQL's crash recovery may take a while, so
/// the load ends relative to the repair, not at a fixed time).
const CLIENTS: usize = 6;
const FAULT_AT: Duration = Duration::from_secs(4);
const OUTAGE: Duration = Duration::from_secs(3);
const AFTER_REPAIR: Duration = Duration::from_secs(10);
/// The load ends by then whatever happens.
const LOAD_LIMIT: Duration = Duration::from_secs(120);
/// How soon after the fault is repaired requests must succeed again.
const RECOVERY_LIMIT: Duration = Duration::from_secs(20);

struct Row {
    check: String,
    cases: u64,
    failures: u64,
    secs: f64,
}

struct Env {
    base_url: String,
    bin: PathBuf,
    schemathesis: PathBuf,
    dev_db: PathBuf,
    root: PathBuf,
    out: PathBuf,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let var = |k: &str| {
        std::env::var(k).map_err(|_| anyhow!("{k} is not set: run this through `make reliability`"))
    };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let env = Env {
        base_url: var("DATABASE_URL")?,
        bin: var("CREDVAULT_BIN")?.into(),
        schemathesis: var("SCHEMATHESIS")?.into(),
        dev_db: var("DEV_DB")?.into(),
        out: root.join(".data/reliability"),
        root,
    };
    std::fs::create_dir_all(&env.out)?;
    let only = std::env::var("RELIABILITY_ONLY").unwrap_or_default();
    if !["", "fuzz", "postgres", "server"].contains(&only.as_str()) {
        bail!("RELIABILITY_ONLY={only} names no check: use fuzz, postgres or server (or leave it unset for all three)");
    }
    let started = Instant::now();
    let mut rows = Vec::new();
    if only.is_empty() || only == "fuzz" {
        rows.push(timed("contract fuzzing (schemathesis)", fuzz(&env)).await);
    }
    if only.is_empty() || only == "postgres" {
        rows.push(timed("PostgreSQL killed under load", fault(&env, Fault::Postgres)).await);
    }
    if only.is_empty() || only == "server" {
        rows.push(
            timed(
                "server killed (SIGKILL) under load",
                fault(&env, Fault::Server),
            )
            .await,
        );
    }
    println!();
    println!(
        "{:<40} {:>10} {:>9} {:>8}",
        "check", "cases", "failures", "seconds"
    );
    for r in &rows {
        println!(
            "{:<40} {:>10} {:>9} {:>8.0}",
            r.check, r.cases, r.failures, r.secs
        );
    }
    let failed = rows.iter().filter(|r| r.failures > 0).count();
    println!(
        "reliability: {} passed, {failed} failed (in {:.0} s; logs in {})",
        rows.len() - failed,
        started.elapsed().as_secs_f64(),
        env.out.display()
    );
    if failed > 0 {
        std::process::exit(1);
    }
    Ok(())
}

/// Runs one check; an error that stops it counts as one more failure.
async fn timed(
    check: &str,
    run: impl std::future::Future<Output = anyhow::Result<(u64, u64)>>,
) -> Row {
    println!("== {check}");
    let t = Instant::now();
    let (cases, failures) = match run.await {
        Ok(r) => r,
        Err(e) => {
            println!("FAIL: {check} could not complete: {e:#}");
            (0, 1)
        }
    };
    Row {
        check: check.to_string(),
        cases,
        failures,
        secs: t.elapsed().as_secs_f64(),
    }
}

/// A fresh, empty database (`credvault serve` migrates it).
async fn fresh_db(env: &Env, name: &str) -> anyhow::Result<String> {
    let (admin, conn) = tokio_postgres::connect(&with_db(&env.base_url, "postgres"), NoTls)
        .await
        .context("connect to PostgreSQL")?;
    tokio::spawn(conn);
    admin
        .execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"), &[])
        .await?;
    admin
        .execute(&format!("CREATE DATABASE {name}"), &[])
        .await?;
    Ok(with_db(&env.base_url, name))
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// A `credvault serve` process; killed (SIGKILL) when dropped.
struct Server {
    child: Child,
    addr: String,
}

impl Server {
    fn start(
        env: &Env,
        db_url: &str,
        port: u16,
        log: &Path,
        extra: &[(&str, &str)],
    ) -> anyhow::Result<Server> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)?;
        let child = Command::new(&env.bin)
            .arg("serve")
            .env("DATABASE_URL", db_url)
            .env("CREDVAULT_MASTER_KEY", MASTER_KEY)
            .env("CREDVAULT_BIND", format!("127.0.0.1:{port}"))
            .env("CREDVAULT_LOG_FORMAT", "json")
            .env("CREDVAULT_DB_POOL_SIZE", "8")
            .env("RUST_LOG", "warn")
            .envs(extra.iter().copied())
            .stdout(file.try_clone()?)
            .stderr(file)
            .spawn()
            .with_context(|| format!("start {}", env.bin.display()))?;
        Ok(Server {
            child,
            addr: format!("http://127.0.0.1:{port}"),
        })
    }

    async fn ready(&self, limit: Duration) -> anyhow::Result<()> {
        let http = reqwest::Client::new();
        let t = Instant::now();
        while t.elapsed() < limit {
            if http
                .get(format!("{}/readyz", self.addr))
                .send()
                .await
                .is_ok_and(|r| r.status() == 200)
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("credvault serve was not ready within {limit:?}")
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A JSON request that must answer `want`; returns the body.
async fn call(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: &str,
    body: Option<Value>,
    want: u16,
) -> anyhow::Result<Value> {
    let mut req = http.request(method.clone(), &url).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await?;
    let status = res.status().as_u16();
    let text = res.text().await?;
    if status != want {
        bail!("{method} {url}: {status} (wanted {want}): {text}");
    }
    Ok(if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text)?
    })
}

fn id_of(v: &Value) -> anyhow::Result<String> {
    v["id"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| anyhow!("no id in {v}"))
}

/// A workspace signed up on `addr`: (owner's session token, owner id).
async fn signup(
    http: &reqwest::Client,
    addr: &str,
    email: &str,
) -> anyhow::Result<(String, String)> {
    let body = json!({"workspace_name": "Reliability", "email": email, "password": PASSWORD, "display_name": "Rel Owner"});
    let v = call(
        http,
        reqwest::Method::POST,
        format!("{addr}/v1/workspaces"),
        "",
        Some(body),
        201,
    )
    .await?;
    let token = v["tokens"]["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    Ok((token, id_of(&v["user"])?))
}

// ---------------------------------------------------------------------------------------------
// 1. Contract fuzzing
// ---------------------------------------------------------------------------------------------

/// Schemathesis in rounds, each on a workspace of its own with every kind of object seeded (a
/// round's fuzzing may erase users, revoke tokens or delete credentials, so the next starts
/// afresh), until the wanted number of cases ran.
async fn fuzz(env: &Env) -> anyhow::Result<(u64, u64)> {
    let target: u64 = std::env::var("RELIABILITY_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let version = Command::new(&env.schemathesis)
        .arg("--version")
        .output()
        .with_context(|| format!("run {}", env.schemathesis.display()))?;
    println!("{}", String::from_utf8_lossy(&version.stdout).trim());
    let db = fresh_db(env, "credvault_rel_fuzz").await?;
    let log = env.out.join("fuzz-server.log");
    let _ = std::fs::remove_file(&log);
    // Open sign-up: every round signs up a workspace of its own, and the fuzzer's sign-ups
    // really create workspaces instead of all being refused.
    // The seeded OAuth credentials talk to a local provider, so that a code exchange or a
    // refresh the fuzzer reaches succeeds or fails as the provider says, never because a made-up
    // host does not resolve (a 503 `upstream_unavailable` that is right, but not the API's fault).
    let provider = local_provider()?;
    // Fuzzer-made OAuth2 credentials can still point at made-up hosts: their documented 503
    // `upstream_unavailable` is told apart from a server error by these hooks.
    let hooks = env.root.join("examples/reliability_hooks.py");
    anyhow::ensure!(hooks.is_file(), "{} is missing", hooks.display());
    let server = Server::start(
        env,
        &db,
        free_port()?,
        &log,
        &[
            ("CREDVAULT_SIGNUP", "open"),
            ("CREDVAULT_OUTBOUND_ALLOW", "127.0.0.1/32"),
        ],
    )?;
    server.ready(Duration::from_secs(60)).await?;
    let http = reqwest::Client::new();
    let (mut cases, mut failures) = (0u64, 0u64);
    for round in 1..=MAX_ROUNDS {
        if cases >= target {
            break;
        }
        let seeded = seed_workspace(&http, &server.addr, round, &provider).await?;
        let dir = env.out.join(format!("fuzz-round-{round}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        let config = dir.join("schemathesis.toml");
        std::fs::write(&config, seeded.config(&hooks))?;
        let output = dir.join("output.txt");
        let status = Command::new(&env.schemathesis)
            // Its own cache directory (.schemathesis) goes there too, not into the checkout.
            .current_dir(&dir)
            .arg("--config-file")
            .arg(&config)
            .arg("run")
            .arg(env.root.join("openapi/openapi.json"))
            .args(["--url", &server.addr])
            .args([
                "--header",
                &format!("Authorization: Bearer {}", seeded.token),
            ])
            .args(["--checks", CHECKS])
            // One worker: with several, hypothesis' shared caches race inside schemathesis
            // ("AST constructor recursion depth mismatch"), an error of the fuzzer, not the API.
            .args(["--max-examples", "50", "--workers", "1"])
            .args([
                "--continue-on-failure",
                "--no-color",
                "--request-timeout",
                "30",
            ])
            .args(["--report", "json", "--report-dir"])
            .arg(&dir)
            .stdout(std::fs::File::create(&output)?)
            .stderr(Stdio::inherit())
            .status()?;
        let report = std::fs::read_dir(&dir)?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|x| x == "json"))
            .ok_or_else(|| {
                anyhow!(
                    "schemathesis wrote no report (exit {status}); see {}",
                    output.display()
                )
            })?;
        let report: Value = serde_json::from_str(&std::fs::read_to_string(&report)?)?;
        let ran = report["test_cases"]["generated"].as_u64().unwrap_or(0);
        let failed = report["test_cases"]["with_failures"].as_u64().unwrap_or(0)
            + report["errors"].as_array().map_or(0, |e| e.len() as u64);
        cases += ran;
        failures += failed;
        // The seed is too large for a JSON number read as f64: take it from the text output.
        let text = std::fs::read_to_string(&output).unwrap_or_default();
        let seed = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("Seed: "))
            .unwrap_or("?");
        // Failures the hooks dropped: documented 503 `upstream_unavailable` answers.
        let upstream = report["filtered"].as_u64().unwrap_or(0);
        println!(
            "round {round}: {ran} cases, {failed} failures, {upstream} documented 503 upstream_unavailable accepted (seed {seed}){}",
            if failed > 0 {
                format!("; see {}", output.display())
            } else {
                String::new()
            }
        );
        if failed > 0 {
            for f in report["failures"].as_array().into_iter().flatten() {
                println!("  {} {}: {}", f["code"], f["title"], f["operations"]);
            }
            for e in report["errors"].as_array().into_iter().flatten() {
                println!("  error: {e}");
            }
        }
        if ran == 0 {
            bail!(
                "schemathesis ran no case (exit {status}); see {}",
                output.display()
            );
        }
    }
    if cases < target {
        println!("FAIL: {MAX_ROUNDS} rounds ran {cases} cases, fewer than the {target} asked for (RELIABILITY_FUZZ_CASES)");
        failures += 1;
    }
    Ok((cases, failures))
}

/// How many fuzzing rounds may run to reach the wanted number of cases.
const MAX_ROUNDS: u32 = 10;

/// A local OAuth provider for the seeded credentials: `/token` grants a token (and a refresh
/// token), anything else answers 200. Returns its base URL.
fn local_provider() -> anyhow::Result<String> {
    use actix_web::{web, App, HttpResponse, HttpServer};
    let server = HttpServer::new(|| {
        App::new()
            .route(
                "/token",
                web::post().to(|| async {
                    HttpResponse::Ok().json(json!({"access_token": "fuzz-access-token-0001",
                        "refresh_token": "fuzz-refresh-token-0001", "token_type": "Bearer", "expires_in": 3600}))
                }),
            )
            .default_service(web::to(HttpResponse::Ok))
    })
    .workers(1)
    .disable_signals()
    .bind("127.0.0.1:0")?;
    let port = server.addrs()[0].port();
    tokio::spawn(server.run());
    Ok(format!("http://127.0.0.1:{port}"))
}

struct Seeded {
    token: String,
    ids: Vec<String>,
    users: Vec<String>,
    shares: Vec<String>,
}

impl Seeded {
    /// Dictionaries of real ids, used for path parameters most of the time (the rest random),
    /// and the hooks file that tells the documented 503 `upstream_unavailable` from a failure.
    fn config(&self, hooks: &Path) -> String {
        let list = |v: &[String]| serde_json::to_string(v).unwrap_or_default();
        format!(
            "hooks = {}\n\n[dictionaries]\nids = {{ values = {} }}\nusers = {{ values = {} }}\nshares = {{ values = {} }}\n\
             workflows = {{ values = [\"fuzz-wf\", \"fuzz:wf.2\"] }}\nversions = {{ values = [1, 2, 3] }}\n\n\
             [parameters]\n\"path.id\" = {{ dictionary = \"ids\", probability = 0.7 }}\n\
             \"path.user_id\" = {{ dictionary = \"users\", probability = 0.7 }}\n\
             \"path.share_id\" = {{ dictionary = \"shares\", probability = 0.7 }}\n\
             \"path.workflow_id\" = {{ dictionary = \"workflows\", probability = 0.7 }}\n\
             \"path.version\" = {{ dictionary = \"versions\", probability = 0.7 }}\n",
            serde_json::to_string(&hooks.display().to_string()).unwrap_or_default(),
            list(&self.ids),
            list(&self.users),
            list(&self.shares),
        )
    }
}

/// A workspace with an owner, a member in a team, credentials of every type (one rotated and
/// shared), an engine token, workflows that used a credential, and a personal token with every
/// scope for the fuzzer. The fuzzer's own user and token are left out of the id dictionaries,
/// so it rarely erases itself (it still may, through ids it finds in lists).
async fn seed_workspace(
    http: &reqwest::Client,
    addr: &str,
    round: u32,
    provider: &str,
) -> anyhow::Result<Seeded> {
    use reqwest::Method as M;
    let (owner, _owner_id) = signup(
        http,
        addr,
        &format!("fuzz-{round}-{}@example.com", Uuid::now_v7().simple()),
    )
    .await?;
    let u = |p: &str| format!("{addr}{p}");
    let member = id_of(&call(http, M::POST, u("/v1/users"), &owner, Some(json!({"email": format!("m-{}@example.com", Uuid::now_v7().simple()), "display_name": "Member", "role": "member", "password": PASSWORD})), 201).await?)?;
    let admin = id_of(&call(http, M::POST, u("/v1/users"), &owner, Some(json!({"email": format!("a-{}@example.com", Uuid::now_v7().simple()), "display_name": "Admin", "role": "admin", "password": PASSWORD})), 201).await?)?;
    let team = id_of(
        &call(
            http,
            M::POST,
            u("/v1/teams"),
            &owner,
            Some(json!({"name": "Platform"})),
            201,
        )
        .await?,
    )?;
    call(
        http,
        M::PUT,
        u(&format!("/v1/teams/{team}/members/{member}")),
        &owner,
        None,
        204,
    )
    .await?;
    let bodies = [
        json!({"name": "stripe", "service": "stripe", "type": "api_key", "data": {"key": "sk_live_fuzz_000000001"}}),
        json!({"name": "basic", "service": "s", "type": "basic_auth", "data": {"username": "u", "password": "fuzz-password-0001"}}),
        json!({"name": "oauth", "service": "s", "type": "oauth2", "data": {"grant_type": "authorization_code", "client_id": "c", "client_secret": "fuzz-client-secret", "authorization_url": format!("{provider}/authorize"), "token_url": format!("{provider}/token")}}),
        json!({"name": "custom", "service": "s", "type": "custom", "data": {"user": "u", "token": "fuzz-custom-secret"}, "secret_fields": ["token"]}),
    ];
    let mut creds = Vec::new();
    for b in bodies {
        creds.push(id_of(
            &call(http, M::POST, u("/v1/credentials"), &owner, Some(b), 201).await?,
        )?);
    }
    call(
        http,
        M::POST,
        u(&format!("/v1/credentials/{}/rotate", creds[0])),
        &owner,
        Some(json!({"data": {"key": "sk_live_fuzz_000000002"}})),
        200,
    )
    .await?;
    let shares = call(http, M::PUT, u(&format!("/v1/credentials/{}/shares", creds[0])), &owner,
        Some(json!({"shares": [{"principal_type": "team", "principal_id": team, "access": "use"}, {"principal_type": "user", "principal_id": member, "access": "view"}]})), 200).await?;
    let shares: Vec<String> = shares["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["id"].as_str().map(str::to_string))
        .collect();
    let me = call(http, M::GET, u("/v1/me"), &owner, None, 200).await?;
    let engine = call(http, M::POST, u("/v1/tokens"), &owner, Some(json!({"name": "engine", "kind": "engine", "scopes": ["credentials:resolve", "workflows:write"]})), 201).await?;
    let engine_token = engine["token"].as_str().unwrap_or_default().to_string();
    for wf in ["fuzz-wf", "fuzz:wf.2"] {
        call(
            http,
            M::PUT,
            u(&format!("/v1/workflows/{wf}")),
            &engine_token,
            Some(json!({"name": wf, "owner_id": me["id"], "credential_ids": creds})),
            201,
        )
        .await?;
    }
    call(
        http,
        M::POST,
        u(&format!("/v1/credentials/{}/resolve", creds[0])),
        &engine_token,
        Some(json!({"workflow_id": "fuzz-wf", "execution_id": "seed-1"})),
        200,
    )
    .await?;
    let fuzzer = call(http, M::POST, u("/v1/tokens"), &owner, Some(json!({"name": "fuzzer", "kind": "personal", "scopes": ["credentials:read", "credentials:write", "workflows:write", "audit:read", "admin"]})), 201).await?;
    let mut ids = creds;
    ids.extend([member.clone(), admin.clone(), team, id_of(&engine)?]);
    ids.extend(shares.iter().cloned());
    Ok(Seeded {
        token: fuzzer["token"].as_str().unwrap_or_default().to_string(),
        ids,
        users: vec![member, admin],
        shares,
    })
}

// ---------------------------------------------------------------------------------------------
// 2 and 3. Faults under load
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq)]
enum Fault {
    Postgres,
    Server,
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Op {
    Create,
    Rotate,
    Resolve,
}

/// What a request got: a status, or no answer at all (connection refused, reset, timed out).
#[derive(Clone, Debug)]
struct Outcome {
    op: Op,
    /// The credential rotated or resolved (for creates: the one created, when answered).
    credential: Option<String>,
    /// The create's name, or the resolve's execution id.
    key: String,
    idempotency_key: String,
    body: Value,
    status: Option<u16>,
    /// The version a rotation answered with.
    version: Option<i64>,
    at: Duration,
}

struct Load {
    addr: String,
    owner: String,
    engine: String,
    creds: Vec<String>,
}

async fn fault(env: &Env, kind: Fault) -> anyhow::Result<(u64, u64)> {
    let name = match kind {
        Fault::Postgres => "postgres",
        Fault::Server => "server",
    };
    let db = fresh_db(env, &format!("credvault_rel_{name}")).await?;
    let port = free_port()?;
    let log = env.out.join(format!("{name}-kill-server.log"));
    let _ = std::fs::remove_file(&log);
    let mut server = Server::start(env, &db, port, &log, &[])?;
    server.ready(Duration::from_secs(60)).await?;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?;
    let (owner, owner_id) = signup(&http, &server.addr, "owner@example.com").await?;
    let engine = call(&http, reqwest::Method::POST, format!("{}/v1/tokens", server.addr), &owner,
        Some(json!({"name": "engine", "kind": "engine", "scopes": ["credentials:resolve", "workflows:write"]})), 201).await?;
    let engine = engine["token"].as_str().unwrap_or_default().to_string();
    let mut creds = Vec::new();
    for i in 0..8 {
        let body = json!({"name": format!("pre-{i}"), "service": "rel", "type": "api_key", "data": {"key": format!("sk_rel_pre_{}", Uuid::now_v7().simple())}});
        creds.push(id_of(
            &call(
                &http,
                reqwest::Method::POST,
                format!("{}/v1/credentials", server.addr),
                &owner,
                Some(body),
                201,
            )
            .await?,
        )?);
    }
    call(
        &http,
        reqwest::Method::PUT,
        format!("{}/v1/workflows/rel-wf", server.addr),
        &engine,
        Some(json!({"name": "reliability", "owner_id": owner_id, "credential_ids": creds})),
        201,
    )
    .await?;
    let load = Arc::new(Load {
        addr: server.addr.clone(),
        owner: owner.clone(),
        engine,
        creds,
    });

    let start = Instant::now();
    let outcomes = Arc::new(Mutex::new(Vec::new()));
    let stop_ms = Arc::new(AtomicU64::new(LOAD_LIMIT.as_millis() as u64));
    let mut clients = Vec::new();
    for c in 0..CLIENTS {
        let (load, outcomes, stop_ms) = (load.clone(), outcomes.clone(), stop_ms.clone());
        clients.push(tokio::spawn(async move {
            client(c, &load, start, &stop_ms, &outcomes).await
        }));
    }
    let mut failures = 0u64;
    tokio::time::sleep(FAULT_AT).await;
    let repaired_at;
    match kind {
        Fault::Postgres => {
            run_dev_db(env, "kill")?;
            println!(
                "PostgreSQL killed at {:.1} s",
                start.elapsed().as_secs_f64()
            );
            tokio::time::sleep(OUTAGE).await;
            let url = run_dev_db(env, "start")?;
            repaired_at = start.elapsed();
            println!(
                "PostgreSQL started again at {:.1} s",
                repaired_at.as_secs_f64()
            );
            if with_db(&url, "x") != with_db(&env.base_url, "x") {
                println!(
                    "FAIL: PostgreSQL came back at {url}, not at {}",
                    env.base_url
                );
                failures += 1;
            }
        }
        Fault::Server => {
            server.kill();
            println!(
                "server killed (SIGKILL) at {:.1} s",
                start.elapsed().as_secs_f64()
            );
            tokio::time::sleep(Duration::from_secs(1)).await;
            server = Server::start(env, &db, port, &log, &[])?;
            repaired_at = start.elapsed();
            println!("server started again at {:.1} s", repaired_at.as_secs_f64());
        }
    }
    let stop = repaired_at + AFTER_REPAIR;
    stop_ms.store(stop.as_millis() as u64, Ordering::Relaxed);
    for c in clients {
        c.await?;
    }
    let outcomes = std::mem::take(&mut *outcomes.lock().await);
    let sent = outcomes.len() as u64;
    let count = |f: &dyn Fn(&Outcome) -> bool| outcomes.iter().filter(|o| f(o)).count();
    println!(
        "{sent} requests: {} answered 2xx, {} 5xx, {} other statuses, {} no answer",
        count(&|o| o.status.is_some_and(|s| (200..300).contains(&s))),
        count(&|o| o.status.is_some_and(|s| s >= 500)),
        count(&|o| o
            .status
            .is_some_and(|s| !(200..300).contains(&s) && s < 500)),
        count(&|o| o.status.is_none()),
    );

    // Answers per second of the load (2xx/other/none), to see the outage and the recovery.
    let secs = outcomes.iter().map(|o| o.at.as_secs()).max().unwrap_or(0);
    let per_second: Vec<String> = (0..=secs)
        .map(|s| {
            let in_s = |f: &dyn Fn(&Outcome) -> bool| count(&|o| o.at.as_secs() == s && f(o));
            format!(
                "{}/{}/{}",
                in_s(&|o| o.status.is_some_and(|s| (200..300).contains(&s))),
                in_s(&|o| o.status.is_some_and(|s| !(200..300).contains(&s))),
                in_s(&|o| o.status.is_none())
            )
        })
        .collect();
    println!("per second (2xx/error/no answer): {}", per_second.join(" "));
    // Recovery: the first success after the repair, and a clean tail of the load.
    let first_ok = outcomes
        .iter()
        .filter(|o| o.at >= repaired_at && o.status.is_some_and(|s| (200..300).contains(&s)))
        .map(|o| o.at)
        .min();
    match first_ok {
        Some(t) if t - repaired_at <= RECOVERY_LIMIT => {
            println!(
                "requests succeeded again {:.1} s after the repair",
                (t - repaired_at).as_secs_f64()
            )
        }
        Some(t) => {
            println!(
                "FAIL: requests succeeded again only {:.1} s after the repair",
                (t - repaired_at).as_secs_f64()
            );
            failures += 1;
        }
        None => {
            println!("FAIL: no request succeeded after the repair");
            failures += 1;
        }
    }
    let tail = stop.saturating_sub(Duration::from_secs(3));
    let tail_errors =
        count(&|o| o.at >= tail && !o.status.is_some_and(|s| (200..300).contains(&s)));
    if tail_errors > 0 {
        println!("FAIL: {tail_errors} requests of the last 3 s of load failed (the service did not recover)");
        failures += 1;
    }
    if kind == Fault::Postgres && !server.running() {
        println!("FAIL: the server exited while PostgreSQL was down");
        failures += 1;
    }
    server.ready(Duration::from_secs(30)).await?;

    failures += verify(&http, &load, &db, &outcomes).await?;
    Ok((sent, failures))
}

fn run_dev_db(env: &Env, what: &str) -> anyhow::Result<String> {
    let out = Command::new(&env.dev_db).arg(what).output()?;
    if !out.status.success() {
        bail!(
            "{} {what}: {}",
            env.dev_db.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// One client: creates, rotations and resolves in turn until the load ends, each with unique
/// names, secrets, execution ids and idempotency keys.
async fn client(
    c: usize,
    load: &Load,
    start: Instant,
    stop_ms: &AtomicU64,
    outcomes: &Mutex<Vec<Outcome>>,
) {
    let http = match reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
    {
        Ok(h) => h,
        Err(_) => return,
    };
    let mut n = 0usize;
    while start.elapsed() < Duration::from_millis(stop_ms.load(Ordering::Relaxed)) {
        n += 1;
        let op = [Op::Create, Op::Rotate, Op::Resolve][(n + c) % 3];
        let cred = load.creds[(n * 7 + c) % load.creds.len()].clone();
        let idem = format!("rel-{c}-{n}-{}", Uuid::now_v7().simple());
        let (url, token, body, key, credential) = match op {
            Op::Create => {
                let name = format!("load-{c}-{n}");
                let body = json!({"name": name, "service": "rel", "type": "api_key", "data": {"key": format!("sk_rel_{}", Uuid::now_v7().simple())}});
                (
                    format!("{}/v1/credentials", load.addr),
                    &load.owner,
                    body,
                    name,
                    None,
                )
            }
            Op::Rotate => {
                let body =
                    json!({"data": {"key": format!("sk_rel_rot_{}", Uuid::now_v7().simple())}});
                (
                    format!("{}/v1/credentials/{cred}/rotate", load.addr),
                    &load.owner,
                    body,
                    String::new(),
                    Some(cred),
                )
            }
            Op::Resolve => {
                let exec = format!("exec-{c}-{n}-{}", Uuid::now_v7().simple());
                let body = json!({"workflow_id": "rel-wf", "execution_id": exec});
                (
                    format!("{}/v1/credentials/{cred}/resolve", load.addr),
                    &load.engine,
                    body,
                    exec,
                    Some(cred),
                )
            }
        };
        let mut req = http.post(&url).bearer_auth(token).json(&body);
        if op != Op::Resolve {
            req = req.header("Idempotency-Key", &idem);
        }
        let at = start.elapsed();
        let (status, answer) = match req.send().await {
            Ok(res) => {
                let s = res.status().as_u16();
                (Some(s), res.json::<Value>().await.unwrap_or(Value::Null))
            }
            Err(_) => (None, Value::Null),
        };
        let ok = status.is_some_and(|s| (200..300).contains(&s));
        let outcome = Outcome {
            op,
            credential: if op == Op::Create {
                answer["id"].as_str().map(str::to_string)
            } else {
                credential
            },
            key,
            idempotency_key: idem,
            body,
            status,
            version: answer["version"].as_i64(),
            at,
        };
        outcomes.lock().await.push(outcome);
        if !ok {
            // Do not spin while the service is down.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Everything answered 2xx is stored with its audit event; nothing is half-done; errored
/// creates and rotations, retried with their key, take effect exactly once; the chain verifies.
async fn verify(
    http: &reqwest::Client,
    load: &Load,
    db_url: &str,
    outcomes: &[Outcome],
) -> anyhow::Result<u64> {
    let (db, conn) = tokio_postgres::connect(db_url, NoTls).await?;
    tokio::spawn(conn);
    let ws: Uuid = db.query_one("SELECT id FROM workspaces", &[]).await?.get(0);
    let mut failures = 0u64;
    let mut fail = |msg: String| {
        if failures < 20 {
            println!("FAIL: {msg}");
        }
        failures += 1;
    };
    let ok = |o: &Outcome| o.status.is_some_and(|s| (200..300).contains(&s));
    let events = |action: &'static str| {
        let db = &db;
        async move {
            let rows = db
                .query(
                    "SELECT target_id, details FROM audit_events WHERE workspace_id = $1 AND action = $2",
                    &[&ws, &action],
                )
                .await?;
            anyhow::Ok(
                rows.iter()
                    .map(|r| {
                        (
                            r.get::<_, Option<String>>(0).unwrap_or_default(),
                            r.get::<_, Value>(1),
                        )
                    })
                    .collect::<Vec<_>>(),
            )
        }
    };
    let created = events("credential.created").await?;
    let rotated = events("credential.rotated").await?;
    let used = events("credential.used").await?;
    let used_execs: std::collections::HashSet<String> = used
        .iter()
        .filter_map(|(_, d)| d["execution_id"].as_str().map(str::to_string))
        .collect();
    let names: std::collections::HashMap<String, (String, i32)> = db
        .query(
            "SELECT name, id::text, current_version FROM credentials WHERE workspace_id = $1",
            &[&ws],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), (r.get(1), r.get(2))))
        .collect();
    let versions: std::collections::HashSet<(String, i32)> = db
        .query(
            "SELECT credential_id::text, version FROM credential_versions WHERE workspace_id = $1",
            &[&ws],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();

    // Every 2xx is stored, with its event.
    for o in outcomes.iter().filter(|o| ok(o)) {
        match o.op {
            Op::Create => {
                let id = o.credential.clone().unwrap_or_default();
                if names.get(&o.key).map(|(i, _)| i) != Some(&id) {
                    fail(format!(
                        "create {} answered {:?} but the credential {id} is not stored",
                        o.key, o.status
                    ));
                }
                if !created.iter().any(|(t, _)| *t == id) {
                    fail(format!(
                        "create {} answered {:?} but has no credential.created event",
                        o.key, o.status
                    ));
                }
            }
            Op::Rotate => {
                let (id, v) = (
                    o.credential.clone().unwrap_or_default(),
                    o.version.unwrap_or(-1),
                );
                if !versions.contains(&(id.clone(), v as i32)) {
                    fail(format!(
                        "rotation of {id} answered version {v} but it is not stored"
                    ));
                }
                if !rotated
                    .iter()
                    .any(|(t, d)| *t == id && d["version"].as_i64() == Some(v))
                {
                    fail(format!(
                        "rotation of {id} to version {v} has no credential.rotated event"
                    ));
                }
            }
            Op::Resolve => {
                if !used_execs.contains(&o.key) {
                    fail(format!(
                        "resolve {} answered {:?} but has no credential.used event",
                        o.key, o.status
                    ));
                }
            }
        }
    }
    // Nothing is half-done: each credential has its created event and its current version, each
    // version above 1 its rotated event, and no event names what does not exist.
    let by_id: std::collections::HashMap<&String, i32> =
        names.values().map(|(i, v)| (i, *v)).collect();
    for (id, current) in &by_id {
        if created.iter().filter(|(t, _)| t == *id).count() != 1 {
            fail(format!(
                "credential {id} does not have exactly one credential.created event"
            ));
        }
        for v in 1..=*current {
            if !versions.contains(&((*id).clone(), v)) {
                fail(format!("credential {id} lacks version {v} of {current}"));
            }
            if v > 1
                && rotated
                    .iter()
                    .filter(|(t, d)| t == *id && d["version"].as_i64() == Some(v as i64))
                    .count()
                    != 1
            {
                fail(format!(
                    "version {v} of {id} does not have exactly one credential.rotated event"
                ));
            }
        }
    }
    for (t, _) in &created {
        if !by_id.contains_key(t) {
            fail(format!(
                "a credential.created event names {t}, which is not stored"
            ));
        }
    }
    for (t, d) in &rotated {
        let v = d["version"].as_i64().unwrap_or(-1) as i32;
        if !versions.contains(&(t.clone(), v)) {
            fail(format!(
                "a credential.rotated event names version {v} of {t}, which is not stored"
            ));
        }
    }
    // Errored creates and rotations, retried with the same Idempotency-Key, take effect once.
    let mut retried = 0;
    let mut rotations_done: std::collections::HashMap<String, i32> =
        std::collections::HashMap::new();
    for o in outcomes.iter().filter(|o| o.op == Op::Rotate && ok(o)) {
        *rotations_done
            .entry(o.credential.clone().unwrap_or_default())
            .or_default() += 1;
    }
    for o in outcomes.iter().filter(|o| !ok(o) && o.op != Op::Resolve) {
        let url = match o.op {
            Op::Create => format!("{}/v1/credentials", load.addr),
            _ => format!(
                "{}/v1/credentials/{}/rotate",
                load.addr,
                o.credential.clone().unwrap_or_default()
            ),
        };
        let res = http
            .post(&url)
            .bearer_auth(&load.owner)
            .header("Idempotency-Key", &o.idempotency_key)
            .json(&o.body)
            .send()
            .await?;
        retried += 1;
        let status = res.status().as_u16();
        if !(200..300).contains(&status) {
            fail(format!(
                "the retry of a {:?} that got {:?} answered {status}: {}",
                o.op,
                o.status,
                res.text().await.unwrap_or_default()
            ));
            continue;
        }
        if o.op == Op::Rotate {
            *rotations_done
                .entry(o.credential.clone().unwrap_or_default())
                .or_default() += 1;
        }
    }
    let stored: std::collections::HashMap<String, i32> = db
        .query(
            "SELECT name, count(*)::int4 FROM credentials WHERE workspace_id = $1 GROUP BY name",
            &[&ws],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    for o in outcomes.iter().filter(|o| o.op == Op::Create) {
        if stored.get(&o.key).copied().unwrap_or(0) != 1 {
            fail(format!(
                "create {} (answered {:?}, then retried) left {} credentials",
                o.key,
                o.status,
                stored.get(&o.key).copied().unwrap_or(0)
            ));
        }
    }
    for id in &load.creds {
        let current: i32 = db
            .query_one(
                "SELECT current_version FROM credentials WHERE workspace_id = $1 AND id = $2::text::uuid",
                &[&ws, id],
            )
            .await?
            .get(0);
        let done = rotations_done.get(id).copied().unwrap_or(0);
        if current != 1 + done {
            fail(format!(
                "credential {id} is at version {current} after {done} acknowledged rotations"
            ));
        }
    }
    println!("{retried} errored creates and rotations retried with their Idempotency-Key");
    // The audit chain verifies.
    let v = call(
        http,
        reqwest::Method::GET,
        format!("{}/v1/audit/verify", load.addr),
        &load.owner,
        None,
        200,
    )
    .await?;
    if v["ok"] != json!(true) {
        fail(format!("the audit chain does not verify: {v}"));
    } else {
        println!("audit chain verified: {} events", v["events_checked"]);
    }
    Ok(failures)
}
