use std::process::ExitCode;

use clap::Parser;
use credvault_api::cli::{Cli, Command};
use credvault_api::config::Settings;
use credvault_api::startup::Application;
use credvault_api::telemetry::{self, LogFormat};

#[tokio::main]
async fn main() -> ExitCode {
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
