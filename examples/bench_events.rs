//! `make bench`, section `events` (#27): webhook deliveries per second to a local receiver and the
//! p99 from commit to delivery; then resolve throughput in alternating rounds without and with
//! the dispatcher (a webhook on `*`) and 10 followers of the audit stream (in a process of their
//! own: this binary run again with FOLLOWER_CHILD set), the median with both at most 5 % lower
//! than the median without; and the stream's lag p99 in those rounds.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpResponse, HttpServer};
use futures_util::StreamExt;
use serde_json::{json, Value};

use super::{bench_rounds, find_wrk, median, percentile, skipped, target, Rig};

const FOLLOWERS: usize = 10;
/// Set (to the server's address) in the followers' process; the owner's token in FOLLOWER_TOKEN.
pub const FOLLOWER_CHILD: &str = "BENCH_EVENTS_FOLLOWERS";
const FOLLOWER_TOKEN: &str = "BENCH_EVENTS_FOLLOWER_TOKEN";
const CREATORS: usize = 8;

/// Credential id -> when its `credential.created` reached the receiver.
type Arrivals = Arc<Mutex<HashMap<String, Instant>>>;

async fn receiver() -> anyhow::Result<(String, Arrivals)> {
    let arrivals: Arrivals = Arc::default();
    let data = web::Data::new(arrivals.clone());
    let server = HttpServer::new(move || {
        App::new().app_data(data.clone()).default_service(web::to(
            |body: web::Bytes, seen: web::Data<Arrivals>| async move {
                if let Ok(v) = serde_json::from_slice::<Value>(&body) {
                    if v["type"] == "credential.created" {
                        if let Some(id) = v["data"]["credential"]["id"].as_str() {
                            if let Ok(mut m) = seen.lock() {
                                m.entry(id.to_string()).or_insert_with(Instant::now);
                            }
                        }
                    }
                }
                HttpResponse::Ok().finish()
            },
        ))
    })
    .workers(2)
    .disable_signals()
    .bind(("127.0.0.1", 0))?;
    let port = server.addrs()[0].port();
    tokio::spawn(server.run());
    Ok((format!("http://127.0.0.1:{port}/hook"), arrivals))
}

/// Creates credentials from CREATORS clients for `secs`: each id with when its 201 arrived.
async fn creates(rig: &Rig, secs: u64) -> Vec<(String, Instant)> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let tasks: Vec<_> = (0..CREATORS)
        .map(|t| {
            let (http, url, token) = (rig.http.clone(), format!("{}/v1/credentials", rig.addr), rig.owner_token.clone());
            tokio::spawn(async move {
                let mut out = Vec::new();
                let mut n = 0u64;
                while Instant::now() < deadline {
                    n += 1;
                    let body = json!({"name": format!("ev-{t}-{n}"), "service": "s", "type": "api_key", "data": {"key": format!("sk_test_{t:02}{n:022}")}});
                    let Ok(res) = http.post(&url).bearer_auth(&token).json(&body).send().await else { continue };
                    let at = Instant::now();
                    if let Ok(v) = res.json::<Value>().await {
                        if let Some(id) = v["id"].as_str() {
                            out.push((id.to_string(), at));
                        }
                    }
                }
                out
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap_or_default());
    }
    all
}

/// FOLLOWERS followers of the stream from the head: every event line's lag (ms) from its `at`.
/// Each sends on `ready` once its stream is open.
fn follow(
    addr: &str,
    token: &str,
    lags: Arc<Mutex<Vec<f64>>>,
    ready: tokio::sync::mpsc::Sender<()>,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..FOLLOWERS)
        .map(|_| {
            let (http, addr, token, lags, ready) = (
                reqwest::Client::new(),
                addr.to_string(),
                token.to_string(),
                lags.clone(),
                ready.clone(),
            );
            tokio::spawn(async move {
                let head = http
                    .get(format!("{addr}/v1/audit?limit=1"))
                    .bearer_auth(&token)
                    .send()
                    .await;
                let after = match head {
                    Ok(r) => r
                        .json::<Value>()
                        .await
                        .ok()
                        .and_then(|v| v["items"][0]["seq"].as_i64())
                        .unwrap_or(0),
                    Err(_) => 0,
                };
                let Ok(res) = http
                    .get(format!(
                        "{addr}/v1/audit/export?follow=true&after_seq={after}"
                    ))
                    .bearer_auth(&token)
                    .send()
                    .await
                else {
                    return;
                };
                let _ = ready.send(()).await;
                // A shipper's cheapest work: split lines and read each one's time (a SIEM
                // shipper runs on a machine of its own; this one shares the server's 2 cores).
                let mut body = res.bytes_stream();
                let mut buf = Vec::new();
                while let Some(Ok(chunk)) = body.next().await {
                    buf.extend_from_slice(&chunk);
                    let now = chrono::Utc::now();
                    let mut start = 0;
                    let mut found = Vec::new();
                    while let Some(i) = buf[start..].iter().position(|b| *b == b'\n') {
                        if let Some(at) = time_of(&buf[start..start + i]) {
                            let lag = (now - at).num_microseconds().unwrap_or(0);
                            found.push(lag as f64 / 1000.0);
                        }
                        start += i + 1;
                    }
                    buf.drain(..start);
                    if let Ok(mut l) = lags.lock() {
                        l.extend(found);
                    }
                }
            })
        })
        .collect()
}

/// An NDJSON event line's `at` (its first member so named; heartbeats have none).
fn time_of(line: &[u8]) -> Option<chrono::DateTime<chrono::Utc>> {
    const KEY: &[u8] = b"\"at\":\"";
    let from = line.windows(KEY.len()).position(|w| w == KEY)? + KEY.len();
    let len = line[from..].iter().position(|b| *b == b'"')?;
    let text = std::str::from_utf8(&line[from..from + len]).ok()?;
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc))
}

pub async fn events_load(base: &str) -> anyhow::Result<()> {
    let secs: u64 = std::env::var("BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let Ok(bin) = std::env::var("CREDVAULT_BIN") else {
        skipped("events", "CREDVAULT_BIN not set; run through `make bench`");
        return Ok(());
    };
    let port = 19000 + (std::process::id() % 1000) as u16;
    let env = [("CREDVAULT_OUTBOUND_ALLOW", "127.0.0.1")];
    let rig = Rig::start_with(base, &bin, "credvault_bench_events", port, &env).await?;
    let wrk = find_wrk();
    println!("== events: webhook deliveries ({CREATORS} clients creating for {secs} s), then resolve without and with the dispatcher and the audit stream's {FOLLOWERS} followers");
    drop(
        rig.resolves(wrk.as_deref(), super::WARM_UP_SECS, true)
            .await?,
    );

    let (url, arrivals) = receiver().await?;
    let res = rig
        .http
        .post(format!("{}/v1/webhooks", rig.addr))
        .bearer_auth(&rig.owner_token)
        .json(&json!({"url": url, "events": ["*"]}))
        .send()
        .await?;
    anyhow::ensure!(res.status() == 201, "webhook: {}", res.status());
    let hook: Value = res.json().await?;
    let started = Instant::now();
    let created = creates(&rig, secs).await;
    let wait_until = Instant::now() + Duration::from_secs(60);
    while arrivals.lock().map(|a| a.len()).unwrap_or(0) < created.len()
        && Instant::now() < wait_until
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let seen = arrivals.lock().map(|a| a.clone()).unwrap_or_default();
    let last = seen.values().max().copied().unwrap_or(started);
    let mut delays: Vec<f64> = created
        .iter()
        .filter_map(|(id, at)| {
            seen.get(id)
                .map(|d| d.saturating_duration_since(*at).as_secs_f64() * 1000.0)
        })
        .collect();
    delays.sort_by(f64::total_cmp);
    let rate = seen.len() as f64 / last.duration_since(started).as_secs_f64().max(0.001);
    println!(
        "webhooks: {} created, {} delivered ({rate:.0}/s from the first create to the last delivery); commit to delivery p50 {:.1} ms, p99 {:.1} ms",
        created.len(), seen.len(), percentile(&delays, 0.5), percentile(&delays, 0.99)
    );
    target(
        &format!(
            "every created credential delivered ({} of {})",
            seen.len(),
            created.len()
        ),
        seen.len() == created.len(),
    );

    // Rounds without, then with, the dispatcher (the webhook enabled; resolves are never
    // delivered, but it reads on as they are chained) and the followers, one after the other:
    // the machine's speed drifts from minute to minute, so each median is of rounds spread over
    // the same minutes.
    // An odd number, so that each median is one round's figure.
    let rounds = bench_rounds(5);
    let hook = format!(
        "{}/v1/webhooks/{}",
        rig.addr,
        hook["id"]
            .as_str()
            .ok_or_else(|| anyhow::anyhow!("the webhook has no id"))?
    );
    let (mut without, mut with, mut p99s) = (Vec::new(), Vec::new(), Vec::new());
    let mut lines = 0;
    println!("resolve in {rounds} rounds of each, {secs} s: without the dispatcher and followers, then with both");
    for round in 1..=rounds {
        switch_hook(&rig, &hook, false).await?;
        let cpu = rig.ticks().await;
        let ok = rig.resolves(wrk.as_deref(), secs, false).await?.ok;
        let cpu = super::CpuPerRequest::between(&cpu, &rig.ticks().await, ok);
        without.push(ok as f64 / secs as f64);
        println!(
            "  round {round} without: {:.0}/s (CPU per resolve: {cpu})",
            ok as f64 / secs as f64
        );

        switch_hook(&rig, &hook, true).await?;
        let followers = Followers::start(&rig.addr, &rig.owner_token).await?;
        let cpu_before = rig.ticks().await;
        let theirs = super::cpu_ticks(&followers.pid());
        let ok = rig.resolves(wrk.as_deref(), secs, false).await?.ok;
        let cpu = super::CpuPerRequest::between(&cpu_before, &rig.ticks().await, ok);
        // The followers' own process shares the machine's 2 cores with the server and PostgreSQL.
        let theirs: u64 = super::cpu_ticks(&followers.pid())
            .iter()
            .filter_map(|(pid, t)| t.checked_sub(*theirs.get(pid)?))
            .sum();
        let theirs = theirs as f64 * 10_000.0 / ok.max(1) as f64;
        let (n, p50, p99) = followers.stop().await?;
        with.push(ok as f64 / secs as f64);
        lines += n;
        p99s.push(p99);
        println!(
            "  round {round} with:    {:.0}/s (CPU per resolve: {cpu}, the followers' process {theirs:.0} µs); {n} event lines to {FOLLOWERS} followers, lag p50 {p50:.1} ms, p99 {p99:.1} ms",
            ok as f64 / secs as f64
        );
    }
    let (m_without, m_with) = (median(&without), median(&with));
    let drop = 1.0 - m_with / m_without;
    println!(
        "audit stream: {lines} event lines to {FOLLOWERS} followers (another process) during resolves; lag p99 median of rounds {:.1} ms, worst {:.1} ms",
        median(&p99s),
        p99s.iter().copied().fold(0.0, f64::max)
    );
    println!(
        "resolve: median {m_without:.0}/s without, {m_with:.0}/s with the dispatcher and {FOLLOWERS} followers; change {:+.1} % (target: no more than 5 % lower)",
        -drop * 100.0
    );
    target(
        &format!(
            "resolve with webhooks and followers at most 5 % lower (got {:.1} % lower)",
            drop * 100.0
        ),
        drop <= 0.05,
    );
    rig.close().await
}

/// Enables or disables the bench's webhook (disabled, the dispatcher has no work in the workspace).
async fn switch_hook(rig: &Rig, hook: &str, on: bool) -> anyhow::Result<()> {
    let res = rig
        .http
        .patch(hook)
        .bearer_auth(&rig.owner_token)
        .json(&json!({"disabled": !on}))
        .send()
        .await?;
    anyhow::ensure!(
        res.status() == 200,
        "switching the webhook: {}",
        res.status()
    );
    Ok(())
}

/// The followers' process: this binary again, with FOLLOWER_CHILD set.
struct Followers {
    child: tokio::process::Child,
    out: tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>,
}

impl Followers {
    /// Starts the process; returns once its FOLLOWERS streams are open.
    async fn start(addr: &str, token: &str) -> anyhow::Result<Followers> {
        use tokio::io::AsyncBufReadExt;
        let mut child = tokio::process::Command::new(std::env::current_exe()?)
            .env(FOLLOWER_CHILD, addr)
            .env(FOLLOWER_TOKEN, token)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| anyhow::anyhow!("the followers' process has no stdout"))?;
        let mut out = tokio::io::BufReader::new(stdout).lines();
        let first = tokio::time::timeout(Duration::from_secs(30), out.next_line()).await;
        anyhow::ensure!(
            matches!(&first, Ok(Ok(Some(l))) if l == "ready"),
            "the followers' process did not start: {first:?}"
        );
        Ok(Followers { child, out })
    }

    /// The process's id (none once it exited).
    fn pid(&self) -> Vec<u32> {
        self.child.id().into_iter().collect()
    }

    /// Stops the followers (their process's stdin closes): (event lines, lag p50, lag p99).
    async fn stop(mut self) -> anyhow::Result<(usize, f64, f64)> {
        drop(self.child.stdin.take());
        let line = tokio::time::timeout(Duration::from_secs(30), self.out.next_line())
            .await??
            .unwrap_or_default();
        let _ = self.child.wait().await;
        let f: Vec<f64> = line
            .strip_prefix("lags ")
            .unwrap_or_default()
            .split(' ')
            .filter_map(|x| x.parse().ok())
            .collect();
        anyhow::ensure!(f.len() == 3, "the followers' process said {line:?}");
        Ok((f[0] as usize, f[1], f[2]))
    }
}

/// The followers' process: FOLLOWERS streams until stdin closes, then `lags <lines> <p50> <p99>`.
pub async fn follower_child(addr: &str) -> anyhow::Result<()> {
    let token = std::env::var(FOLLOWER_TOKEN)?;
    let lags = Arc::new(Mutex::new(Vec::new()));
    let (ready_tx, mut ready) = tokio::sync::mpsc::channel(FOLLOWERS);
    let followers = follow(addr, &token, lags.clone(), ready_tx);
    for _ in 0..FOLLOWERS {
        anyhow::ensure!(ready.recv().await.is_some(), "a follower could not connect");
    }
    println!("ready");
    // stdin is read on a thread of its own (blocking); its end is the signal to stop.
    let (done_tx, done) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
        let _ = done_tx.send(());
    });
    let _ = done.await;
    followers.iter().for_each(|f| f.abort());
    let mut lags = lags.lock().map(|l| l.clone()).unwrap_or_default();
    lags.sort_by(f64::total_cmp);
    if lags.is_empty() {
        lags.push(0.0);
    }
    println!(
        "lags {} {:.3} {:.3}",
        lags.len(),
        percentile(&lags, 0.5),
        percentile(&lags, 0.99)
    );
    Ok(())
}
