//! Resolve beside RustyVault's KV GET (issue #28's comparison): the resolve section's rig (the
//! same credvault process, workspace, credentials and wrk load) and a RustyVault server on the
//! same machine holding one secret per credential id in its `secret/` mount (file storage, no
//! audit device: RustyVault writes nothing per read), in turns back to back (resolve,
//! RustyVault, resolve, ..., resolve) so that the machine's drift cancels out of the ratio.
//! Target: resolve (durably audited) >= 1.2 x RustyVault's unaudited GET.
//!
//! The binary comes from RUSTY_VAULT_BIN, else `target/rusty_vault/bin/rvault`, which
//! `make rustyvault` installs (the newest release the registry holds; the issue measured 0.3.1).

use std::time::Duration;

use super::{bench_rounds, compare, find_wrk, run_wrk, skipped, target, Rig, Via, WARM_UP_SECS};
use super::{CONCURRENCY, RESOLVE_CREDENTIALS};

/// The ratio the issue asks for ("on the way to 2x").
const TARGET: f64 = 1.2;

fn find_rustyvault() -> Option<String> {
    if let Ok(p) = std::env::var("RUSTY_VAULT_BIN") {
        return Some(p);
    }
    let dir = std::env::var("CREDVAULT_BIN").ok()?;
    // CREDVAULT_BIN is <target>/release/credvault.
    let target = std::path::Path::new(&dir).parent()?.parent()?;
    let p = target.join("rusty_vault/bin/rvault");
    p.exists().then(|| p.to_string_lossy().into_owned())
}

/// A RustyVault server, stopped (and its data removed) when dropped.
struct RustyVault {
    child: std::process::Child,
    dir: std::path::PathBuf,
    addr: String,
    token: String,
}

impl Drop for RustyVault {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl RustyVault {
    /// Starts, initialises (one key share) and unseals a server on `port`.
    async fn start(bin: &str, port: u16, http: &reqwest::Client) -> anyhow::Result<RustyVault> {
        let dir = std::env::temp_dir().join(format!("credvault-bench-rv-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("data"))?;
        let config = dir.join("config.hcl");
        std::fs::write(
            &config,
            format!(
                "storage \"file\" {{\n  path = \"{}\"\n}}\nlistener \"tcp\" {{\n  address = \"127.0.0.1:{port}\"\n  tls_disable = true\n}}\napi_addr = \"http://127.0.0.1:{port}\"\nlog_level = \"warn\"\n",
                dir.join("data").display()
            ),
        )?;
        let log = std::fs::File::create(dir.join("server.log"))?;
        let child = std::process::Command::new(bin)
            .arg("server")
            .arg(format!("--config={}", config.display()))
            .current_dir(&dir)
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()?;
        let mut rv = RustyVault {
            child,
            dir,
            addr: format!("http://127.0.0.1:{port}"),
            token: String::new(),
        };
        let mut ready = false;
        for _ in 0..100 {
            if let Ok(r) = http.get(format!("{}/v1/sys/init", rv.addr)).send().await {
                ready = r.status().is_success();
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        anyhow::ensure!(
            ready,
            "RustyVault did not start: see {}",
            rv.dir.join("server.log").display()
        );
        let init: serde_json::Value = http
            .put(format!("{}/v1/sys/init", rv.addr))
            .json(&serde_json::json!({"secret_shares": 1, "secret_threshold": 1}))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let key = init["keys"][0].as_str().unwrap_or_default().to_owned();
        rv.token = init["root_token"].as_str().unwrap_or_default().to_owned();
        http.put(format!("{}/v1/sys/unseal", rv.addr))
            .json(&serde_json::json!({ "key": key }))
            .send()
            .await?
            .error_for_status()?;
        Ok(rv)
    }

    /// Writes one secret per id under `secret/{id}`, 16 at a time.
    async fn seed(&self, http: &reqwest::Client, ids: &[uuid::Uuid]) -> anyhow::Result<()> {
        use futures_util::StreamExt;
        let writes = futures_util::stream::iter(ids.iter().enumerate().map(|(n, id)| {
            http.post(format!("{}/v1/secret/{id}", self.addr))
                .header("X-Vault-Token", &self.token)
                .json(&serde_json::json!({"key": format!("sk_test_{n:024}")}))
                .send()
        }))
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
        for w in writes {
            w?.error_for_status()?;
        }
        // One read back, as wrk will make them: a 200 with the value.
        let back: serde_json::Value = http
            .get(format!("{}/v1/secret/{}", self.addr, ids[0]))
            .header("X-Vault-Token", &self.token)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        anyhow::ensure!(
            back["data"]["key"].as_str() == Some(&format!("sk_test_{:024}", 0)),
            "RustyVault read back {back}"
        );
        Ok(())
    }
}

pub async fn rustyvault_load(base: &str) -> anyhow::Result<()> {
    let secs: u64 = std::env::var("BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let rounds = bench_rounds(3);
    let Ok(bin) = std::env::var("CREDVAULT_BIN") else {
        skipped(
            "rustyvault",
            "CREDVAULT_BIN not set; run through `make bench`",
        );
        return Ok(());
    };
    let Some(rv_bin) = find_rustyvault() else {
        skipped(
            "rustyvault",
            "no RustyVault binary: `make rustyvault` installs one, or set RUSTY_VAULT_BIN",
        );
        return Ok(());
    };
    let Some(wrk) = find_wrk() else {
        skipped("rustyvault", "wrk is not installed (apt-get install wrk)");
        return Ok(());
    };
    let port = 19500 + (std::process::id() % 400) as u16;
    let rig = Rig::start(base, &bin, "credvault_bench_rv", port).await?;
    let rv = RustyVault::start(&rv_bin, port + 400, &rig.http).await?;
    rv.seed(&rig.http, &rig.ids).await?;
    println!("== resolve beside RustyVault ({rv_bin}) KV GET: {RESOLVE_CREDENTIALS} credentials and as many secrets, {CONCURRENCY} connections, {rounds} rounds of a {secs} s turn each; RustyVault with file storage and no audit device");
    let rv_reads = |secs: u64, walk: bool| {
        run_wrk(
            &wrk,
            Via::RustyVault,
            &rv.addr,
            &rv.token,
            &rig.ids,
            secs,
            walk,
        )
    };
    drop(rig.resolves(Some(&wrk), WARM_UP_SECS, true).await?);
    drop(rv_reads(WARM_UP_SECS, true)?);
    let (mut resolve, mut rusty, mut failures) = (Vec::new(), Vec::new(), 0u64);
    for turn in 0..2 * rounds + 1 {
        let (name, load) = if turn % 2 == 0 {
            ("resolve", rig.resolves(Some(&wrk), secs, false).await?)
        } else {
            ("RustyVault GET", rv_reads(secs, false)?)
        };
        let rate = load.ok as f64 / secs as f64;
        println!(
            "turn {turn}, {name}: {rate:.0}/s, p50 {:.2} ms, p99 {:.2} ms, {} failed",
            load.p50(),
            load.p99(),
            load.failures
        );
        failures += load.failures;
        if turn % 2 == 0 {
            resolve.push(rate);
        } else {
            rusty.push(rate);
        }
    }
    let ratio = compare(
        "reads per second, resolve (current) against RustyVault's KV GET (baseline)",
        "/s",
        &resolve,
        &rusty,
        &format!("; target >= {TARGET}"),
    );
    target(
        &format!("resolve >= {TARGET} x RustyVault's KV GET (got {ratio:.3})"),
        ratio >= TARGET,
    );
    target(
        &format!("no read failed on either side ({failures} did)"),
        failures == 0,
    );
    drop(rv);
    rig.close().await
}
