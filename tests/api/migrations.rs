use credvault_api::startup::Application;
use credvault_store::migrate::{latest_version, MIGRATIONS};

use crate::helpers::{settings, TestDb};

/// Two servers starting at the same moment on an empty database both come up, and each
/// migration is applied exactly once.
#[tokio::test]
async fn two_servers_starting_at_once_apply_each_migration_once() {
    let db = TestDb::empty().await;
    let (a, b) = tokio::join!(
        Application::build(settings(&db, |_| {})),
        Application::build(settings(&db, |_| {}))
    );
    let (a, b) = (
        a.expect("first server starts"),
        b.expect("second server starts"),
    );
    assert_ne!(a.port(), b.port());
    let client = db.client().await;
    let rows = client
        .query(
            "SELECT version, count(*) FROM schema_migrations GROUP BY version ORDER BY version",
            &[],
        )
        .await
        .expect("query");
    assert_eq!(rows.len(), MIGRATIONS.len());
    for row in rows {
        assert_eq!(
            row.get::<_, i64>(1),
            1,
            "migration {} applied once",
            row.get::<_, i32>(0)
        );
    }
    let pool = credvault_store::connect(&db.url, 1).expect("pool");
    let conn = pool.get().await.expect("connection");
    assert_eq!(
        credvault_store::migrate::current_version(&conn)
            .await
            .expect("version"),
        latest_version()
    );
}

/// Running the migrations again changes nothing.
#[tokio::test]
async fn migrating_twice_is_a_no_op() {
    let db = TestDb::empty().await;
    let pool = credvault_store::connect(&db.url, 2).expect("pool");
    assert_eq!(
        credvault_store::migrate::run(&pool)
            .await
            .expect("first")
            .len(),
        MIGRATIONS.len()
    );
    assert!(credvault_store::migrate::run(&pool)
        .await
        .expect("second")
        .is_empty());
}

/// The same with two real `credvault serve` processes started at the same moment.
#[tokio::test]
async fn two_serve_processes_on_an_empty_database_both_come_up_and_migrate_once() {
    let db = TestDb::empty().await;
    let (a, b) = (
        crate::helpers::ServeProcess::start(&db),
        crate::helpers::ServeProcess::start(&db),
    );
    let (ra, rb) = tokio::join!(a.ready(30), b.ready(30));
    assert!(ra && rb, "both processes become ready");
    let client = db.client().await;
    let rows = client
        .query(
            "SELECT version, count(*) FROM schema_migrations GROUP BY version",
            &[],
        )
        .await
        .expect("query");
    assert_eq!(rows.len(), MIGRATIONS.len());
    assert!(rows.iter().all(|r| r.get::<_, i64>(1) == 1));
}
