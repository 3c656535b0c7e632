//! `make bench`, section `events` (#27): webhook deliveries per second to a local receiver and the
//! p99 from commit to delivery; the audit stream's lag p99 with 10 followers while resolves run;
//! resolve throughput with and without the dispatcher and the followers (at most 5 % lower).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpResponse, HttpServer};
use futures_util::StreamExt;
use serde_json::{json, Value};

use super::{find_wrk, percentile, skipped, target, Rig};

const FOLLOWERS: usize = 10;
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
fn follow(rig: &Rig, lags: Arc<Mutex<Vec<f64>>>) -> Vec<tokio::task::JoinHandle<()>> {
    (0..FOLLOWERS)
        .map(|_| {
            let (http, addr, token, lags) = (
                reqwest::Client::new(),
                rig.addr.clone(),
                rig.owner_token.clone(),
                lags.clone(),
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
                let mut body = res.bytes_stream();
                let mut buf = Vec::new();
                while let Some(Ok(chunk)) = body.next().await {
                    buf.extend_from_slice(&chunk);
                    while let Some(i) = buf.iter().position(|b| *b == b'\n') {
                        let line: Vec<u8> = buf.drain(..=i).collect();
                        let Ok(v) = serde_json::from_slice::<Value>(&line[..i]) else {
                            continue;
                        };
                        let at = v["at"]
                            .as_str()
                            .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok());
                        if let Some(at) = at {
                            let lag = (chrono::Utc::now() - at.with_timezone(&chrono::Utc))
                                .num_microseconds()
                                .unwrap_or(0);
                            if let Ok(mut l) = lags.lock() {
                                l.push(lag as f64 / 1000.0);
                            }
                        }
                    }
                }
            })
        })
        .collect()
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
    println!("== events: webhook deliveries, the audit stream with {FOLLOWERS} followers, resolve with and without them ({secs} s each)");
    drop(
        rig.resolves(wrk.as_deref(), super::WARM_UP_SECS, true)
            .await?,
    );
    let before = rig.resolves(wrk.as_deref(), secs, false).await?.ok as f64 / secs as f64;

    let (url, arrivals) = receiver().await?;
    let res = rig
        .http
        .post(format!("{}/v1/webhooks", rig.addr))
        .bearer_auth(&rig.owner_token)
        .json(&json!({"url": url, "events": ["*"]}))
        .send()
        .await?;
    anyhow::ensure!(res.status() == 201, "webhook: {}", res.status());
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

    // The webhook alone (its dispatcher reads on during resolves; resolves are never delivered).
    let hook_only = rig.resolves(wrk.as_deref(), secs, false).await?.ok as f64 / secs as f64;
    let lags = Arc::new(Mutex::new(Vec::new()));
    let followers = follow(&rig, lags.clone());
    tokio::time::sleep(Duration::from_millis(500)).await;
    let with = rig.resolves(wrk.as_deref(), secs, false).await?.ok as f64 / secs as f64;
    tokio::time::sleep(Duration::from_millis(500)).await;
    followers.iter().for_each(|f| f.abort());
    let after = rig.resolves(wrk.as_deref(), secs, false).await?.ok as f64 / secs as f64;
    let mut lags = lags.lock().map(|l| l.clone()).unwrap_or_default();
    lags.sort_by(f64::total_cmp);
    println!(
        "audit stream: {} event lines to {FOLLOWERS} followers during resolves; lag from `at` p50 {:.1} ms, p99 {:.1} ms",
        lags.len(), percentile(&lags, 0.5), percentile(&lags, 0.99)
    );
    let baseline = (before + after) / 2.0;
    let drop = 1.0 - with / baseline;
    println!("resolve: {before:.0}/s before, {hook_only:.0}/s with the dispatcher (a webhook on *), {with:.0}/s with it and {FOLLOWERS} followers (read by this process, on the same machine), {after:.0}/s after them; change with both {:+.1} %, with the dispatcher alone {:+.1} % (target: no more than 5 % lower)", -drop * 100.0, (hook_only / baseline - 1.0) * 100.0);
    target(
        &format!(
            "resolve with webhooks and followers at most 5 % lower (got {:.1} % lower)",
            drop * 100.0
        ),
        drop <= 0.05,
    );
    rig.close().await
}
