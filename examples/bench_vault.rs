//! The Vault-compatible read path (`GET /v1/kv/data/{workflow}/{credential}`) beside resolve's,
//! on the resolve section's rig: the same server process, workspace, credentials and load
//! generator, turns of each back to back (resolve, Vault, resolve, ..., resolve) so that the
//! machine's drift cancels out of the ratio. Target: the Vault path within 10 % of resolve.

use super::{bench_rounds, compare, find_wrk, skipped, target, Rig, Via, CONCURRENCY};
use super::{RESOLVE_CREDENTIALS, WARM_UP_SECS};

pub async fn vault_load(base: &str) -> anyhow::Result<()> {
    let secs: u64 = std::env::var("BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(15);
    let rounds = bench_rounds(3);
    let Ok(bin) = std::env::var("CREDVAULT_BIN") else {
        skipped("vault", "CREDVAULT_BIN not set; run through `make bench`");
        return Ok(());
    };
    let port = 19000 + (std::process::id() % 1000) as u16;
    let rig = Rig::start(base, &bin, "credvault_bench_vault", port).await?;
    let wrk = find_wrk();
    println!("== Vault-path reads beside resolve: {RESOLVE_CREDENTIALS} credentials, {CONCURRENCY} concurrent clients, {rounds} rounds of a {secs} s turn each, server in its own process");
    drop(
        rig.reads(Via::Resolve, wrk.as_deref(), WARM_UP_SECS, true)
            .await?,
    );
    drop(
        rig.reads(Via::Vault, wrk.as_deref(), WARM_UP_SECS, true)
            .await?,
    );
    let used = || async {
        let row = rig
            .client
            .query_one(
                "SELECT count(*) FROM audit_events WHERE action = 'credential.used'",
                &[],
            )
            .await?;
        Ok::<i64, anyhow::Error>(row.get(0))
    };
    let (mut resolve, mut vault) = (Vec::new(), Vec::new());
    let (mut answered, mut failures, mut generator) = (0usize, 0u64, String::new());
    let before = used().await?;
    for turn in 0..2 * rounds + 1 {
        let via = if turn % 2 == 0 {
            Via::Resolve
        } else {
            Via::Vault
        };
        let load = rig.reads(via, wrk.as_deref(), secs, false).await?;
        let rate = load.ok as f64 / secs as f64;
        let name = if turn % 2 == 0 { "resolve" } else { "vault" };
        println!(
            "turn {turn}, {name}: {rate:.0}/s, p50 {:.2} ms, p99 {:.2} ms, {} failed",
            load.p50(),
            load.p99(),
            load.failures
        );
        answered += load.ok;
        failures += load.failures;
        generator = load.generator;
        match via {
            Via::Resolve => resolve.push(rate),
            Via::Vault | Via::RustyVault => vault.push(rate),
        }
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let events = (used().await? - before) as usize;
    println!("load: {generator}");
    let ratio = compare(
        "reads per second, Vault path (current) against resolve (baseline)",
        "/s",
        &vault,
        &resolve,
        "; target >= 0.90",
    );
    target(
        &format!("Vault-path reads within 10 % of resolve's rate (vault/resolve = {ratio:.3})"),
        ratio >= 0.90,
    );
    target(
        &format!("no read failed on either path ({failures} did)"),
        failures == 0,
    );
    // wrk stops with requests in flight: the server answers (and records) them after it has
    // stopped counting, at most one per connection and turn.
    let late = CONCURRENCY * (2 * rounds + 1);
    target(
        &format!("a credential.used event for every answered read ({events} events, {answered} answers; up to {late} may be answered after wrk stopped counting)"),
        events >= answered && events - answered <= late,
    );
    rig.close().await
}
