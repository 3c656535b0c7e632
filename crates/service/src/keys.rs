//! Key management over the stored data keys: `credvault keys rotate` and `keys status`.
//!
//! Rotation re-wraps every live DEK under the active KEK, in batches of its own transaction each,
//! walking the rows in primary-key order. It is online (each batch is short and only touches rows
//! whose wrapped key is unchanged since it was read) and resumable: a run that dies leaves every
//! committed batch done, and the next run skips rows already under the active key.

use std::time::Instant;

use anyhow::Context;
use credvault_crypto::{Envelope, KekProvider};
use credvault_store::keys::{self, VersionKey};
use deadpool_postgres::Pool;

/// What one DEK count line of `keys status` says about a KEK.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KekCount {
    /// `local` (a master key) or `pkcs11` (a key in a token), read from the id.
    pub provider: &'static str,
    pub kek_id: String,
    pub deks: i64,
    pub role: KekRole,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KekRole {
    Active,
    Retired,
    /// Wraps stored keys but is not in the keyring: those secrets cannot be opened.
    Missing,
}

/// Which provider a KEK id names: a token key's id is `pkcs11:<token>:<key>`, a master key's
/// `kek_<hex>`.
pub fn provider_of(kek_id: &str) -> &'static str {
    if kek_id.starts_with("pkcs11:") {
        "pkcs11"
    } else {
        "local"
    }
}

/// What to configure so that the keyring holds `kek_id`.
pub fn how_to_add(kek_id: &str) -> &'static str {
    match provider_of(kek_id) {
        "pkcs11" => "set CREDVAULT_PKCS11_MODULE, _TOKEN_LABEL, _PIN and _KEY_LABEL for its token",
        _ => "add it to CREDVAULT_RETIRED_KEYS",
    }
}

/// DEK counts per KEK: every key of the keyring (zero when it wraps nothing) and any stored KEK
/// id the keyring lacks.
pub async fn status<P: KekProvider>(
    pool: &Pool,
    envelope: &Envelope<P>,
) -> anyhow::Result<Vec<KekCount>> {
    let client = pool.get().await.context("cannot reach the database")?;
    let counts = keys::count_by_kek(&client).await?;
    let provider = envelope.provider();
    let active = provider.active_kek_id().to_string();
    let mut out: Vec<KekCount> = provider
        .kek_ids()
        .into_iter()
        .map(|id| KekCount {
            provider: provider_of(&id),
            deks: counts.iter().find(|(k, _)| *k == id).map_or(0, |(_, n)| *n),
            role: if id == active {
                KekRole::Active
            } else {
                KekRole::Retired
            },
            kek_id: id,
        })
        .collect();
    for (id, n) in counts {
        if !out.iter().any(|c| c.kek_id == id) {
            out.push(KekCount {
                provider: provider_of(&id),
                kek_id: id,
                deks: n,
                role: KekRole::Missing,
            });
        }
    }
    Ok(out)
}

/// Each batch leaves, in every workspace it touched, a `keys.rewrapped` event in the same
/// transaction: how many data keys, from which KEKs, to which. KEK ids are names, not key
/// material.
async fn record_rewrapped(
    tx: &impl deadpool_postgres::GenericClient,
    active: &str,
    replaced: &[(uuid::Uuid, String)],
) -> anyhow::Result<()> {
    use std::collections::{BTreeMap, BTreeSet};
    let mut by_ws: BTreeMap<uuid::Uuid, (u64, BTreeSet<&str>)> = BTreeMap::new();
    for (ws, from) in replaced {
        let e = by_ws.entry(*ws).or_default();
        e.0 += 1;
        e.1.insert(from);
    }
    let actor = crate::audit::Actor {
        kind: "system",
        id: None,
        display: Some("credvault keys rotate".into()),
        user_id: None,
    };
    for (ws, (n, from)) in by_ws {
        let ev = crate::audit::Event::new("keys.rewrapped")
            .target("workspace", ws, None)
            .detail("data_keys", n)
            .detail("from_kek_ids", from.into_iter().collect::<Vec<_>>())
            .detail("to_kek_id", active);
        crate::audit::record(tx, ws, &actor, &crate::audit::Origin::default(), ev)
            .await
            .map_err(|e| anyhow::anyhow!("cannot record the rotation in the audit log: {e}"))?;
    }
    Ok(())
}

/// Progress of a rotation, reported after every batch.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub done: u64,
    pub total: u64,
    pub per_second: f64,
}

/// Re-wraps every DEK not under the active KEK. Returns how many were re-wrapped.
pub async fn rotate<P: KekProvider>(
    pool: &Pool,
    envelope: &Envelope<P>,
    batch_size: i64,
    mut progress: impl FnMut(Progress),
) -> anyhow::Result<u64> {
    let before = status(pool, envelope).await?;
    if let Some(missing) = before.iter().find(|c| c.role == KekRole::Missing) {
        anyhow::bail!(
            "{} data keys are wrapped by {}, which is not in the keyring: {} and run again",
            missing.deks,
            missing.kek_id,
            how_to_add(&missing.kek_id)
        );
    }
    let total: u64 = before
        .iter()
        .filter(|c| c.role == KekRole::Retired)
        .map(|c| c.deks as u64)
        .sum();
    let active = envelope.provider().active_kek_id().to_string();
    let started = Instant::now();
    let mut after = VersionKey::START;
    let mut done = 0u64;
    loop {
        let mut client = pool.get().await.context("cannot reach the database")?;
        let batch = keys::next_not_under(&client, &active, after, batch_size).await?;
        let Some(last) = batch.last() else { break };
        after = last.at;
        let mut rewrapped = Vec::with_capacity(batch.len());
        for k in batch {
            let (kek, wrapped) = envelope
                .rewrap_key(&k.kek_id, &k.wrapped_dek)
                .with_context(|| {
                    format!(
                        "cannot re-wrap the data key of credential {} version {}",
                        k.at.credential_id, k.at.version
                    )
                })?;
            debug_assert_eq!(kek, active);
            rewrapped.push((k, wrapped));
        }
        let tx = client.transaction().await?;
        let replaced = keys::replace_wrapped(&tx, &active, &rewrapped).await?;
        done += replaced.len() as u64;
        record_rewrapped(&tx, &active, &replaced).await?;
        tx.commit().await?;
        let secs = started.elapsed().as_secs_f64().max(1e-9);
        progress(Progress {
            done,
            total: total.max(done),
            per_second: done as f64 / secs,
        });
    }
    // The sealed settings follow: the SSO client secrets and the webhooks' secrets.
    for setting in keys::SealedSetting::ALL {
        done += rewrap_settings(pool, envelope, &active, setting).await?;
    }
    Ok(done)
}

/// Re-wraps the data keys of one kind of sealed setting not under `active`, each in a
/// transaction with its `keys.rewrapped` event; how many.
async fn rewrap_settings<P: KekProvider>(
    pool: &Pool,
    envelope: &Envelope<P>,
    active: &str,
    setting: keys::SealedSetting,
) -> anyhow::Result<u64> {
    let mut client = pool.get().await.context("cannot reach the database")?;
    let mut done = 0;
    for (ws, kek, old) in keys::settings_not_under(&client, setting, active).await? {
        let (to, wrapped) = envelope
            .rewrap_key(&kek, &old)
            .with_context(|| format!("cannot re-wrap a {} of workspace {ws}", setting.what()))?;
        let tx = client.transaction().await?;
        if keys::replace_setting_wrapped(&tx, setting, ws, &old, &to, &wrapped).await? {
            record_rewrapped(&tx, &to, &[(ws, kek)]).await?;
            done += 1;
        }
        tx.commit().await?;
    }
    Ok(done)
}
