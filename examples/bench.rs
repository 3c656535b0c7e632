//! `make bench`: release-build figures against the private PostgreSQL, each next to a baseline
//! measured in the same run (the machine is shared and noisy, so ratios matter more than
//! absolute numbers).

use std::time::Instant;

use credvault_crypto::{Envelope, Keyring, MasterKey};
use tokio_postgres::NoTls;

const ROTATE_ROWS: usize = 100_000;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let base = std::env::var("DATABASE_URL")
        .map_err(|_| anyhow::anyhow!("DATABASE_URL is not set: run `make bench`"))?;
    let db = "credvault_bench";
    let url = with_db(&base, db);
    let (admin, conn) = tokio_postgres::connect(&with_db(&base, "postgres"), NoTls).await?;
    tokio::spawn(conn);
    admin
        .execute(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"), &[])
        .await?;
    admin.execute(&format!("CREATE DATABASE {db}"), &[]).await?;
    let pool = credvault_store::connect(&url, 4)?;
    credvault_store::migrate::run(&pool).await?;
    let (client, conn) = tokio_postgres::connect(&url, NoTls).await?;
    tokio::spawn(conn);

    println!("== key rotation ({ROTATE_ROWS} sealed credential versions, batches of 1000)");
    let old = MasterKey::generate()?;
    let new = MasterKey::generate()?;
    let seeding = Envelope::new(Keyring::new(
        MasterKey::from_base64(secrecy::ExposeSecret::expose_secret(&old.to_base64()))?,
        vec![],
    ));
    let t = Instant::now();
    credvault_tests::seed_sealed_credentials(&client, &seeding, ROTATE_ROWS).await?;
    eprintln!("seeded in {:.1} s", t.elapsed().as_secs_f64());

    // Baseline: the database rewriting the same rows without any cryptography.
    let t = Instant::now();
    client
        .execute("UPDATE credential_versions SET kek_id = kek_id", &[])
        .await?;
    let floor = ROTATE_ROWS as f64 / t.elapsed().as_secs_f64();
    client.batch_execute("VACUUM credential_versions").await?;

    let both = Envelope::new(Keyring::new(new, vec![old]));
    let t = Instant::now();
    let done = credvault_api::keys::rotate(&pool, &both, 1000, |_| {}).await?;
    let rate = done as f64 / t.elapsed().as_secs_f64();
    println!(
        "rotate: {done} DEKs re-wrapped in {:.2} s = {rate:.0} DEK/s (target >= 10000)",
        t.elapsed().as_secs_f64()
    );
    println!("baseline: one UPDATE of the same rows, no crypto = {floor:.0} rows/s; rotate/baseline = {:.2}", rate / floor);
    let (ok, bad) = credvault_tests::open_all(
        &client,
        &Envelope::new(Keyring::new(
            MasterKey::from_base64(secrecy::ExposeSecret::expose_secret(
                &both.provider().active().to_base64(),
            ))?,
            vec![],
        )),
    )
    .await?;
    println!("afterwards {ok} versions open with the new key alone, {bad} do not");

    pool.close();
    drop(client);
    admin
        .execute(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"), &[])
        .await?;
    Ok(())
}

fn with_db(base: &str, db: &str) -> String {
    let (main, query) = base
        .split_once('?')
        .map_or((base, String::new()), |(m, q)| (m, format!("?{q}")));
    let prefix = main.rsplit_once('/').map_or(main, |(p, _)| p);
    format!("{prefix}/{db}{query}")
}
