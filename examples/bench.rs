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

    session_check(&pool).await?;

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

/// What checking the session on every request costs: the alternative (caching sessions and
/// invalidating them through LISTEN/NOTIFY) could save at most the query, and would add a window
/// in which a revoked session still works on another instance.
async fn session_check(pool: &deadpool_postgres::Pool) -> anyhow::Result<()> {
    use credvault_store::identity as store;
    const N: usize = 5000;
    println!("== per-request session check ({N} sequential requests' worth, one connection)");
    let client = pool.get().await?;
    let (ws, user, session) = (
        uuid::Uuid::now_v7(),
        uuid::Uuid::now_v7(),
        uuid::Uuid::now_v7(),
    );
    store::insert_workspace(&client, ws, "bench").await?;
    let new = store::NewUser {
        workspace_id: ws,
        id: user,
        email: "bench@example.com",
        display_name: "Bench",
        role: "owner",
        password_hash: "x",
    };
    store::insert_user(&client, &new).await?;
    store::insert_session(&client, ws, session, user, None, None).await?;
    let jwt = credvault_api::auth::Jwt::new(&[7u8; 32]);
    let token = jwt
        .issue(ws, user, session)
        .map_err(|e| anyhow::anyhow!("{e}"))?;

    let t = Instant::now();
    for _ in 0..N {
        std::hint::black_box(jwt.verify_token(&token));
    }
    let verify = N as f64 / t.elapsed().as_secs_f64();
    let t = Instant::now();
    for _ in 0..N {
        client.query_one("SELECT 1", &[]).await?;
    }
    let round_trip = N as f64 / t.elapsed().as_secs_f64();
    let t = Instant::now();
    for _ in 0..N {
        std::hint::black_box(jwt.verify_token(&token));
        std::hint::black_box(store::session_auth(&client, ws, session).await?);
    }
    let checked = N as f64 / t.elapsed().as_secs_f64();
    println!("JWT verify alone: {verify:.0}/s; baseline SELECT 1 round trip: {round_trip:.0}/s");
    println!(
        "JWT verify + session/user lookup: {checked:.0}/s = {:.0} us per request, {:.2}x the bare round trip",
        1e6 / checked,
        round_trip / checked
    );
    Ok(())
}
