//! `credvault audit archive` and `credvault audit verify --archive`: the files of an archive.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use chrono::{NaiveDate, TimeZone, Utc};
use credvault_service::audit_archive::{self, Manifest};
use credvault_service::chain_keys::ChainKeys;

use crate::config::{DbFlags, KeyFlags};

/// Writes every month that ended by `before` to `out`.
pub async fn archive(
    db: DbFlags,
    keys: KeyFlags,
    before: NaiveDate,
    out: &Path,
) -> anyhow::Result<()> {
    let keys = ChainKeys::new(Arc::new(keys.keys()?));
    let pool = credvault_store::connect(&db.database_url()?, 1)?;
    let before = Utc.from_utc_datetime(&before.and_hms_opt(0, 0, 0).unwrap_or_default());
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let months = audit_archive::months_before(&pool, before)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    for month in &months {
        let (lines, manifest) = audit_archive::archive_month(&pool, &keys, month)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut body = lines.join("\n");
        if !body.is_empty() {
            body.push('\n');
        }
        std::fs::write(out.join(format!("{}.ndjson", month.table)), body)?;
        std::fs::write(
            out.join(format!("{}.checkpoint.json", month.table)),
            serde_json::to_vec_pretty(&manifest)?,
        )?;
        println!("{}: {} events", month.table, manifest.events);
    }
    println!("{} month(s) archived in {}", months.len(), out.display());
    Ok(())
}

/// Checks every archived month in `dir`; fails when any part does not verify.
pub fn verify_archive(keys: KeyFlags, dir: &Path) -> anyhow::Result<()> {
    let keys = ChainKeys::new(Arc::new(keys.keys()?));
    let mut manifests: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".checkpoint.json"))
        .collect();
    manifests.sort();
    if manifests.is_empty() {
        anyhow::bail!("no archive in {}", dir.display());
    }
    let mut broken = 0;
    for path in manifests {
        let manifest: Manifest = serde_json::from_slice(&std::fs::read(&path)?)
            .with_context(|| format!("{} is not an archive manifest", path.display()))?;
        let events = dir.join(format!("{}.ndjson", manifest.partition));
        let text = std::fs::read_to_string(&events)
            .with_context(|| format!("cannot read {}", events.display()))?;
        let lines: Vec<String> = text.lines().map(str::to_owned).collect();
        for v in audit_archive::verify_month(&keys, &manifest, &lines) {
            match v.first_bad_seq {
                None => println!(
                    "{} workspace {}: ok, {} events",
                    manifest.partition, v.workspace_id, v.events_checked
                ),
                Some(seq) => {
                    broken += 1;
                    println!(
                        "{} workspace {}: BROKEN at seq {seq} ({} events verified before it)",
                        manifest.partition, v.workspace_id, v.events_checked
                    );
                }
            }
        }
    }
    if broken > 0 {
        anyhow::bail!("{broken} archived chain part(s) broken");
    }
    Ok(())
}
