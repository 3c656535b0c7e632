use std::process::ExitCode;

use clap::Parser;
use credvault_api::cli::{AuditCommand, Cli, Command, KeysCommand};
use credvault_api::config::Settings;
use credvault_api::keys::KekRole;
use credvault_api::startup::Application;
use credvault_api::telemetry::{self, LogFormat};
use credvault_crypto::{Envelope, MasterKey};
use secrecy::ExposeSecret;

// glibc's malloc spent about a seventh of the server's CPU on the resolve path (a large
// allocation per request consolidates its fast bins each time); mimalloc does not. Built with
// `no_thp` (Cargo.toml): mimalloc otherwise asks for transparent huge pages on its arena, and a
// kernel that honours `madvise` backs each 2 MiB it touches with a whole huge page (32 MiB of
// the resolve bench's 72 MiB peak RSS were huge pages; 46-48 MiB without). Where THP is set to
// `always` system-wide, MIMALLOC_ALLOW_THP=0 in the environment does the same.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (the same in its v2 and v3 headers).
const MI_OPTION_PURGE_DELAY: std::os::raw::c_int = 15;

#[allow(unsafe_code)]
mod allocator {
    extern "C" {
        /// mimalloc's own setter (linked with the allocator above).
        pub fn mi_option_set(option: std::os::raw::c_int, value: std::os::raw::c_long);
    }
}

/// Memory freed is given back to the system at once instead of 10 ms later (mimalloc's default):
/// under the resolve load the delayed pages added up to a third of the server's peak RSS
/// (73.9 MiB with the delay, 56.6 MiB without, at the same rate). MIMALLOC_PURGE_DELAY in the
/// environment still overrides it.
fn purge_freed_memory_at_once() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: a plain setter of an integer option in mimalloc, which is linked in as the
        // global allocator; it takes no pointers and is safe to call at any time.
        #[allow(unsafe_code)]
        unsafe {
            allocator::mi_option_set(MI_OPTION_PURGE_DELAY, 0);
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    purge_freed_memory_at_once();
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("credvault: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Openapi { output } => {
            let spec = credvault_api::openapi::spec_json();
            match output {
                Some(path) => std::fs::write(&path, spec)?,
                None => print!("{spec}"),
            }
            Ok(())
        }
        Command::Keys { command } => keys(command).await,
        Command::Audit {
            command:
                AuditCommand::Verify {
                    keys,
                    archive: Some(dir),
                    ..
                },
        } => credvault_api::audit_cli::verify_archive(keys, &dir),
        Command::Audit {
            command:
                AuditCommand::Verify {
                    db,
                    keys,
                    workspace,
                    archive: None,
                },
        } => audit_verify(db, keys, workspace).await,
        Command::Audit {
            command:
                AuditCommand::Archive {
                    db,
                    keys,
                    before,
                    out,
                },
        } => credvault_api::audit_cli::archive(db, keys, before, &out).await,
        Command::Migrate { db } => {
            telemetry::init(LogFormat::from_env()?);
            let pool = credvault_store::connect(&db.database_url()?, 2)?;
            let applied = credvault_store::migrate::run(&pool).await?;
            eprintln!(
                "credvault: {} migration(s) applied; schema at version {}",
                applied.len(),
                credvault_store::migrate::latest_version()
            );
            Ok(())
        }
        Command::Serve { db, keys, serve } => {
            let settings = Settings::load(&db, &keys, &serve)?;
            telemetry::init(LogFormat::from_env()?);
            let public_url = settings.public_url.clone();
            let app = Application::build(settings).await?;
            tracing::info!(url = %public_url, docs = %format!("{public_url}/docs"), "credvault is serving");
            app.run_until_stopped().await?;
            Ok(())
        }
    }
}

async fn keys(command: KeysCommand) -> anyhow::Result<()> {
    match command {
        KeysCommand::Generate => {
            println!("{}", MasterKey::generate()?.to_base64().expose_secret());
            Ok(())
        }
        KeysCommand::Status { db, keys } => {
            let envelope = Envelope::new(keys.keys()?);
            let pool = credvault_store::connect(&db.database_url()?, 1)?;
            println!("{:<8} {:<40} {:>10}  role", "provider", "key", "data keys");
            let mut missing = false;
            let mut totals = std::collections::BTreeMap::new();
            for c in credvault_api::keys::status(&pool, &envelope).await? {
                let how = credvault_api::keys::how_to_add(&c.kek_id);
                let role = match c.role {
                    KekRole::Active => "active".to_string(),
                    KekRole::Retired if c.deks == 0 => {
                        "retired (wraps nothing: safe to remove)".to_string()
                    }
                    KekRole::Retired => "retired (run `credvault keys rotate`)".to_string(),
                    KekRole::Missing => format!("NOT IN THE KEYRING: {how}"),
                };
                missing |= c.role == KekRole::Missing;
                *totals.entry(c.provider).or_insert(0i64) += c.deks;
                println!("{:<8} {:<40} {:>10}  {role}", c.provider, c.kek_id, c.deks);
            }
            let totals: Vec<String> = totals
                .iter()
                .map(|(p, n)| format!("{p}: {n} data keys"))
                .collect();
            println!("\n{}", totals.join(", "));
            if missing {
                anyhow::bail!("some data keys are wrapped by a key the keyring lacks");
            }
            Ok(())
        }
        KeysCommand::InitPkcs11 { pkcs11 } => {
            let (kek, created) = pkcs11.create()?;
            if created {
                println!("created {}: an AES-256 key generated in the token, sensitive and not extractable", kek.id());
            } else {
                println!("{} exists already: left as it is", kek.id());
            }
            Ok(())
        }
        KeysCommand::Rotate {
            db,
            keys,
            batch_size,
        } => {
            let envelope = Envelope::new(keys.keys()?);
            let pool = credvault_store::connect(&db.database_url()?, 2)?;
            eprintln!(
                "credvault: re-wrapping data keys under {}",
                credvault_crypto::KekProvider::active_kek_id(envelope.provider())
            );
            let done = credvault_api::keys::rotate(&pool, &envelope, batch_size, |p| {
                let pct = if p.total == 0 {
                    100.0
                } else {
                    100.0 * p.done as f64 / p.total as f64
                };
                eprintln!(
                    "credvault: {}/{} data keys re-wrapped ({pct:.0}%), {:.0}/s",
                    p.done, p.total, p.per_second
                );
            })
            .await?;
            eprintln!("credvault: done: {done} data keys re-wrapped; `credvault keys status` shows what each key wraps");
            Ok(())
        }
    }
}

async fn audit_verify(
    db: credvault_api::config::DbFlags,
    keys: credvault_api::config::KeyFlags,
    workspace: Option<uuid::Uuid>,
) -> anyhow::Result<()> {
    let keys = credvault_service::chain_keys::ChainKeys::new(std::sync::Arc::new(keys.keys()?));
    let pool = credvault_store::connect(&db.database_url()?, 1)?;
    let client = pool.get().await?;
    let workspaces = match workspace {
        Some(ws) => vec![ws],
        None => credvault_store::audit::workspaces(&client).await?,
    };
    let mut broken = 0;
    for ws in workspaces {
        let v = credvault_api::audit::verify_with_progress(&client, &keys, ws, |n| {
            if n > 0 && n % 100_000 == 0 {
                eprintln!("credvault: workspace {ws}: {n} events checked");
            }
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        match v.first_bad_seq {
            None => println!("workspace {ws}: ok, {} events", v.events_checked),
            Some(seq) => {
                broken += 1;
                println!(
                    "workspace {ws}: BROKEN at seq {seq} ({} events verified before it)",
                    v.events_checked
                );
            }
        }
    }
    if broken > 0 {
        anyhow::bail!("{broken} audit chain(s) broken");
    }
    Ok(())
}
