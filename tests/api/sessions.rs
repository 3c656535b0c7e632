//! Sessions end: an absolute lifetime from sign-in and an idle lifetime from the last refresh,
//! after which the refresh token (and the session's access tokens) are refused and the session is
//! listed as expired. The clock is moved through the database, not with sleeps.

use serde_json::{json, Value};

use crate::helpers::{problem, TestApp, PASSWORD};

/// Signs in once more; returns the token pair.
async fn sign_in(app: &TestApp) -> Value {
    let res = app.login("ada@example.com", PASSWORD).await;
    assert_eq!(res.status(), 200);
    res.json().await.expect("json")
}

/// Moves a session's sign-in and last refresh into the past by these many minutes.
async fn age(app: &TestApp, session: &str, created_min: i64, seen_min: i64) {
    let db = app.db.client().await;
    let n = db
        .execute(
            "UPDATE sessions SET created_at = now() - make_interval(mins => $2::int),
                                 last_seen_at = now() - make_interval(mins => $3::int)
             WHERE id = $1::text::uuid",
            &[&session, &(created_min as i32), &(seen_min as i32)],
        )
        .await
        .expect("age the session");
    assert_eq!(n, 1);
}

async fn refresh(app: &TestApp, pair: &Value) -> reqwest::Response {
    app.post_json(
        "/v1/auth/refresh",
        &json!({"refresh_token": pair["refresh_token"]}),
    )
    .await
}

fn listed<'a>(list: &'a Value, session: &str) -> &'a Value {
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|s| s["id"] == session)
        .unwrap_or_else(|| panic!("session {session} listed: {list}"))
}

#[tokio::test]
async fn a_session_ends_after_its_absolute_and_its_idle_lifetime() {
    let app = TestApp::spawn().await;
    app.signup("ada@example.com").await;
    let hour = 60;
    // Defaults: 720 hours from sign-in, 168 hours without a refresh.
    let cases = [
        // (minutes since sign-in, since the last refresh, still usable)
        (700 * hour, 100 * hour, true),
        (721 * hour, hour, false),
        (200 * hour, 167 * hour, true),
        (200 * hour, 169 * hour, false),
    ];
    for (created, seen, usable) in cases {
        let pair = sign_in(&app).await;
        let session = pair["session_id"].as_str().expect("session").to_string();
        let access = pair["access_token"].as_str().expect("access").to_string();
        age(&app, &session, created, seen).await;
        // Listed by another, live session, with when it ends.
        let other = sign_in(&app).await;
        let other_access = other["access_token"].as_str().expect("access");
        let list: Value = app
            .get_as(other_access, "/v1/auth/sessions")
            .await
            .json()
            .await
            .expect("json");
        assert_eq!(
            listed(&list, &session)["expired"],
            !usable,
            "{created} {seen}: {list}"
        );
        assert!(listed(&list, &session)["expires_at"].is_string());
        assert_eq!(
            listed(&list, other["session_id"].as_str().expect("id"))["expired"],
            false
        );
        let me = app.get_as(&access, "/v1/me").await.status();
        let res = refresh(&app, &pair).await;
        if usable {
            assert_eq!(me, 200, "{created} {seen}");
            assert_eq!(res.status(), 200, "{created} {seen}");
        } else {
            assert_eq!(me, 401, "its access tokens end with it ({created} {seen})");
            let (status, p) = problem(res).await;
            assert_eq!(status, 401, "{created} {seen}");
            assert_eq!(p["code"], "unauthenticated");
            assert!(
                p["detail"].as_str().expect("detail").contains("expired"),
                "{p}"
            );
        }
    }
}

#[tokio::test]
async fn the_lifetimes_are_configurable() {
    let app = TestApp::spawn_with(|s| {
        s.session_max_age_hours = "2".into();
        s.session_idle_hours = "1".into();
    })
    .await;
    app.signup("ada@example.com").await;
    let pair = sign_in(&app).await;
    let session = pair["session_id"].as_str().expect("session").to_string();
    age(&app, &session, 90, 59).await;
    let pair = refresh(&app, &pair)
        .await
        .json::<Value>()
        .await
        .expect("fresh pair");
    assert!(
        pair["refresh_token"].is_string(),
        "within both limits: {pair}"
    );
    age(&app, &session, 90, 61).await;
    assert_eq!(
        refresh(&app, &pair).await.status(),
        401,
        "idle for over an hour"
    );
    let pair = sign_in(&app).await;
    let session = pair["session_id"].as_str().expect("session").to_string();
    age(&app, &session, 121, 1).await;
    assert_eq!(
        refresh(&app, &pair).await.status(),
        401,
        "over two hours old"
    );
    // Out of range: start-up refuses it, naming the variable.
    let err = credvault_api::config::Settings::load(
        &credvault_api::config::DbFlags {
            database_url: Some(app.db.url.clone()),
            database_url_file: None,
            db_pool_size: 4,
        },
        &credvault_api::config::KeyFlags {
            master_key: Some(crate::helpers::TEST_MASTER_KEY.into()),
            ..Default::default()
        },
        &credvault_api::config::ServeFlags {
            session_idle_hours: "0".into(),
            ..Default::default()
        },
    )
    .err()
    .expect("refused");
    assert!(
        err.to_string().contains("CREDVAULT_SESSION_IDLE_HOURS"),
        "{err}"
    );
}
