//! `BENCH_ONLY=audit_scale`: the figures of issue #28 on one `credvault serve` process (the
//! resolve section's rig): (a) create, update and rotate per second in one workspace at
//! CREATE_CONCURRENCY in flight, beside floor (a) measured by pgbench in the same rounds; (b) the
//! audit log read, exported and verified at 100,000 events and at `BENCH_AUDIT_EVENTS` (default
//! 10,000,000), seeded by SQL `generate_series` and chained by the server's own sequencer.

use std::time::Instant;

use super::changes::{drive, Change};
use super::{
    bench_rounds, find_wrk, floor_a_script, median, pgbench, skipped, target, time_pages, Rig,
    CREATE_CONCURRENCY, CREATE_SECS, RESOLVE_CREDENTIALS,
};

/// The smaller audit log of (b).
const SMALL: i64 = 100_000;
/// Events inserted per seeding statement.
const SEED_CHUNK: i64 = 250_000;
/// The backlog whose catch-up is timed apart: events committed in one transaction at once.
const BACKLOG: i64 = 1_000_000;
/// How long the chain may not grow before the seeding gives up.
const STALLED: std::time::Duration = std::time::Duration::from_secs(120);

pub async fn figures(base: &str) -> anyhow::Result<()> {
    let Ok(bin) = std::env::var("CREDVAULT_BIN") else {
        skipped(
            "audit_scale",
            "CREDVAULT_BIN not set; run through `make bench`",
        );
        return Ok(());
    };
    let port = 16000 + (std::process::id() % 1000) as u16;
    // `GET /v1/audit/verify` walks the whole chain in one request: 10M events take about 50 s
    // at the rate verify keeps, past the default 30 s request timeout.
    let env = [("CREDVAULT_REQUEST_TIMEOUT_SECS", "900")];
    let rig = Rig::start_with(base, &bin, "credvault_bench_audit_scale", port, &env).await?;
    let run = async {
        changes(&rig).await?;
        scale(&rig).await
    }
    .await;
    rig.close().await?;
    run
}

/// (a): rounds of create, update, rotate and floor (a), one after the other; the median round.
async fn changes(rig: &Rig) -> anyhow::Result<()> {
    let rounds = bench_rounds(3);
    let script = floor_a_script(&rig.client, RESOLVE_CREDENTIALS).await?;
    let wrk = find_wrk();
    let client = match &wrk {
        Some(_) => format!("wrk, 2 threads, {CREATE_CONCURRENCY} connections"),
        None => "in-process (wrk is not installed)".to_string(),
    };
    println!("== audit at scale (a): create, update (PATCH) and rotate in one workspace, {CREATE_CONCURRENCY} in flight ({client}), {rounds} rounds of {CREATE_SECS} s each, beside floor (a) (pgbench, SELECT + audit INSERT per transaction)");
    let (mut rates, mut failures) = (vec![Vec::new(); 4], 0);
    let mut run = 0;
    for round in 1..=rounds {
        let mut row = Vec::new();
        for (change, secs) in [
            (Change::Create, 1),
            (Change::Create, CREATE_SECS),
            (Change::Update, CREATE_SECS),
            (Change::Rotate, CREATE_SECS),
        ] {
            run += 1;
            let (done, failed, took) = drive(rig, wrk.as_deref(), change, secs, run).await?;
            failures += failed;
            if secs == CREATE_SECS {
                row.push(done as f64 / took);
            }
        }
        row.push(pgbench(&rig.url, &script, CREATE_SECS)?.tps);
        println!(
            "round {round}: create {:.0}/s, update {:.0}/s, rotate {:.0}/s, {failures} failed so far | floor (a) {:.0}/s",
            row[0], row[1], row[2], row[3]
        );
        for (r, v) in rates.iter_mut().zip(row) {
            r.push(v);
        }
    }
    let floor = median(&rates[3]);
    println!(
        "floor (a) (median round): {floor:.0}/s; target for each: >= 0.25 x floor (a) = {:.0}/s",
        floor / 4.0
    );
    for (i, what) in ["create", "update", "rotate"].iter().enumerate() {
        let rate = median(&rates[i]);
        println!(
            "{what} (median round): {rate:.0}/s = {:.3} x floor (a)",
            rate / floor
        );
        target(
            &format!(
                "{what} in one workspace at {CREATE_CONCURRENCY} in flight >= 0.25 x floor (a) (got {:.3})",
                rate / floor
            ),
            rate >= 0.25 * floor,
        );
    }
    target(
        &format!("no create, update or rotate failed ({failures} did)"),
        failures == 0,
    );
    Ok(())
}

/// (b): the audit log's reads, export and verify at SMALL events and at BENCH_AUDIT_EVENTS.
async fn scale(rig: &Rig) -> anyhow::Result<()> {
    let big: i64 = std::env::var("BENCH_AUDIT_EVENTS")
        .ok()
        .and_then(|s| s.replace('_', "").parse().ok())
        .unwrap_or(10_000_000)
        .max(SMALL * 2);
    let ws: uuid::Uuid = rig
        .client
        .query_one("SELECT workspace_id FROM credentials LIMIT 1", &[])
        .await?
        .get(0);
    let targets: Vec<String> = rig.ids.iter().take(50).map(|c| c.to_string()).collect();
    let paths = [
        ("first page", "/v1/audit?limit=50".to_string()),
        (
            "filtered page (rotated)",
            "/v1/audit?limit=50&action=credential.rotated".to_string(),
        ),
        (
            "a credential's history",
            format!("/v1/credentials/{}/audit?limit=50", targets[3]),
        ),
    ];
    println!("== audit at scale (b): {SMALL} and {big} events seeded (generate_series, chained by the server's sequencer): p50/p95 of 100 sequential pages of 50, export and verify");
    let mut rows = Vec::new();
    let mut seeded = 0;
    for size in [SMALL, big] {
        seed(rig, ws, &targets, seeded, size).await?;
        seeded = size;
        rig.client.batch_execute("ANALYZE audit_events").await?;
        let path_refs: Vec<&str> = paths.iter().map(|(_, p)| p.as_str()).collect();
        // Seeding millions outlasts the owner's access token (15 minutes): a fresh one.
        let token = login(rig).await?;
        let pages = time_pages(&rig.http, &rig.addr, &token, &path_refs, 100).await?;
        let (exported, export_rate) = export(rig, &token).await?;
        let (v, checked, verify_rate) = verify(&rig.http, &rig.addr, &token).await?;
        println!("at {size} seeded: export {exported} events at {export_rate:.0} events/s; verify (the whole chain) {checked} events at {verify_rate:.0} events/s, ok = {}, pending = {}", v["ok"], v["pending"]);
        target(
            &format!("the chain of {size} seeded events verifies"),
            v["ok"] == true,
        );
        rows.push((pages, export_rate, verify_rate));
    }
    let (small, large) = (&rows[0], &rows[1]);
    println!(
        "{:<26} {:>18} {:>18} {:>10}",
        "figure",
        format!("{SMALL}"),
        format!("{big}"),
        "big/small"
    );
    let check = |name: &str, a: f64, b: f64, worse: f64, unit: &str| {
        println!("{name:<26} {a:>15.2}{unit} {b:>15.2}{unit} {worse:>9.2}x");
        target(
            &format!("{name} at {big} events within 2x of at {SMALL} (got {worse:.2}x)"),
            worse <= 2.0,
        );
    };
    for (i, (name, _)) in paths.iter().enumerate() {
        let (a, b) = (small.0[i].1, large.0[i].1);
        check(&format!("{name} p95"), a, b, b / a, " ms");
    }
    // For rates the slowdown is small/big, so that each ratio reads "how many times worse".
    check("export rate", small.1, large.1, small.1 / large.1, " /s");
    check("verify rate", small.2, large.2, small.2 / large.2, " /s");
    Ok(())
}

/// Inserts events `from..to` of `ws` unchained (mostly `credential.used`, one in ten rotated, one
/// in ten updated, of 50 credentials) and waits until the server's sequencer has chained them,
/// printing its progress. Past SMALL, the first BACKLOG events go in one transaction, as the
/// backlog an outage of the sequencer leaves, and the time to chain them is printed apart.
async fn seed(
    rig: &Rig,
    ws: uuid::Uuid,
    targets: &[String],
    from: i64,
    to: i64,
) -> anyhow::Result<()> {
    let t = Instant::now();
    let head = || async move {
        let seq: i64 = rig
            .client
            .query_one(
                "SELECT coalesce((SELECT seq FROM audit_heads WHERE workspace_id = $1), 0)",
                &[&ws],
            )
            .await?
            .get(0);
        anyhow::Ok(seq)
    };
    let base = head().await?;
    let mut at = from;
    if from > 0 {
        let end = (from + BACKLOG).min(to);
        insert(rig, ws, targets, at, end).await?;
        at = end;
        let start = Instant::now();
        let mut progress = Progress::new(base, end - from);
        while progress.chained < end - from {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            progress.at(head().await?)?;
        }
        println!(
            "catch-up of a backlog of {} events committed at once: chained in {:.1} s ({:.0} events/s)",
            end - from,
            start.elapsed().as_secs_f64(),
            (end - from) as f64 / start.elapsed().as_secs_f64()
        );
    }
    let mut progress = Progress::new(head().await?, to - at);
    while at < to {
        let end = (at + SEED_CHUNK).min(to);
        insert(rig, ws, targets, at, end).await?;
        at = end;
        progress.at(head().await?)?;
        eprintln!(
            "seeding: {at} of {to} events inserted ({:.0} s)",
            t.elapsed().as_secs_f64()
        );
    }
    while progress.chained < progress.of {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        progress.at(head().await?)?;
    }
    // Anything else the server recorded meanwhile moved the head too.
    while rig
        .client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM audit_events WHERE seq IS NULL)",
            &[],
        )
        .await?
        .get(0)
    {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    println!(
        "seeded and chained {} events in {:.0} s ({:.0} events/s)",
        to - from,
        t.elapsed().as_secs_f64(),
        (to - from) as f64 / t.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Inserts events `from..to` in one statement.
async fn insert(
    rig: &Rig,
    ws: uuid::Uuid,
    targets: &[String],
    from: i64,
    to: i64,
) -> anyhow::Result<()> {
    rig.client
        .execute(
            "INSERT INTO audit_events (workspace_id, id, actor_type, actor_display, action, target_type,
                                       target_id, target_name, outcome, ip, user_agent, details)
             SELECT $1, gen_random_uuid(), 'system', 'bench',
                    CASE k % 10 WHEN 0 THEN 'credential.rotated' WHEN 1 THEN 'credential.updated'
                                ELSE 'credential.used' END,
                    'credential', ($2::text[])[1 + k % cardinality($2::text[])], 'bench', 'success',
                    '127.0.0.1', 'bench', jsonb_build_object('workflow_id', 'wf-' || (k % 20))
             FROM generate_series($3::bigint, $4::bigint - 1) AS k",
            &[&ws, &targets, &from, &to],
        )
        .await?;
    Ok(())
}

/// The sequencer's progress through `of` events from a chain head at `base`, printed every
/// 10 s with its rate since the last line (read from the head: counting the unchained events of
/// a large backlog would take the sequencer's CPU).
struct Progress {
    base: i64,
    of: i64,
    chained: i64,
    start: Instant,
    last: (Instant, i64),
    moved: Instant,
}

impl Progress {
    fn new(base: i64, of: i64) -> Progress {
        Progress {
            base,
            of,
            chained: 0,
            start: Instant::now(),
            last: (Instant::now(), 0),
            moved: Instant::now(),
        }
    }

    /// Takes the head's seq; an error once the chain has not grown for STALLED.
    fn at(&mut self, head: i64) -> anyhow::Result<()> {
        if head - self.base > self.chained {
            self.moved = Instant::now();
        }
        anyhow::ensure!(
            self.moved.elapsed() < STALLED,
            "the sequencer has chained nothing for {} s ({} of {} chained): did the server stop?",
            STALLED.as_secs(),
            self.chained,
            self.of
        );
        self.chained = head - self.base;
        let secs = self.last.0.elapsed().as_secs_f64();
        if secs >= 10.0 {
            eprintln!(
                "chaining: {} of {} chained ({:.0} s), {:.0} events/s over the last {secs:.0} s",
                self.chained,
                self.of,
                self.start.elapsed().as_secs_f64(),
                (self.chained - self.last.1) as f64 / secs
            );
            self.last = (Instant::now(), self.chained);
        }
        Ok(())
    }
}

/// A fresh access token of the rig's owner.
async fn login(rig: &Rig) -> anyhow::Result<String> {
    let res: serde_json::Value = rig
        .http
        .post(format!("{}/v1/auth/login", rig.addr))
        .json(
            &serde_json::json!({"email": "resolve@example.com", "password": "bench password 123"}),
        )
        .send()
        .await?
        .json()
        .await?;
    res["access_token"]
        .as_str()
        .or(res["tokens"]["access_token"].as_str())
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("/v1/auth/login: {res}"))
}

/// The whole workspace's export: lines and lines per second.
async fn export(rig: &Rig, token: &str) -> anyhow::Result<(usize, f64)> {
    use futures_util::StreamExt;
    let t = Instant::now();
    let res = rig
        .http
        .get(format!("{}/v1/audit/export", rig.addr))
        .bearer_auth(token)
        .send()
        .await?;
    anyhow::ensure!(res.status() == 200, "/v1/audit/export: {}", res.status());
    let mut lines = 0usize;
    let mut stream = res.bytes_stream();
    while let Some(chunk) = stream.next().await {
        lines += chunk?.iter().filter(|b| **b == b'\n').count();
    }
    Ok((lines, lines as f64 / t.elapsed().as_secs_f64()))
}

/// `/v1/audit/verify` of the caller's workspace: the answer, events checked and events per second.
pub(super) async fn verify(
    http: &reqwest::Client,
    addr: &str,
    token: &str,
) -> anyhow::Result<(serde_json::Value, i64, f64)> {
    let t = Instant::now();
    let res = http
        .get(format!("{addr}/v1/audit/verify"))
        .bearer_auth(token)
        .send()
        .await?;
    anyhow::ensure!(res.status() == 200, "/v1/audit/verify: {}", res.status());
    let v: serde_json::Value = res.json().await?;
    let checked = v["events_checked"].as_i64().unwrap_or(0);
    Ok((v, checked, checked as f64 / t.elapsed().as_secs_f64()))
}
