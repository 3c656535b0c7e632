//! A real webhook receiver for the tests: a small HTTP server on 127.0.0.1 that records every
//! request and answers with the statuses it is told to (200 once they run out), optionally after
//! a delay (and with a JSON body it is given, to stand in for a token endpoint).

#![allow(dead_code)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::Value;

/// One request as the receiver got it.
#[derive(Debug, Clone)]
pub struct Received {
    pub id: String,
    pub timestamp: String,
    pub signature: String,
    pub body: String,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("the body is JSON")
    }

    /// Verifies the signature as a receiver would: HMAC-SHA256 keyed with the secret's
    /// base64-decoded bytes over `id.timestamp.body`.
    pub fn signed_with(&self, secret: &str) -> bool {
        let key = STANDARD
            .decode(secret.strip_prefix("whsec_").expect("whsec_ prefix"))
            .expect("base64 secret");
        let msg = format!("{}.{}.{}", self.id, self.timestamp, self.body);
        let mac = credvault_crypto::hmac_sha256(&key, msg.as_bytes());
        let want = format!("v1,{}", STANDARD.encode(mac.as_ref()));
        self.signature.split(' ').any(|s| s == want)
    }
}

#[derive(Default)]
struct Inner {
    got: Vec<Received>,
    statuses: VecDeque<u16>,
    delay: Option<Duration>,
    /// The JSON body of a 2xx answer (none: empty).
    body: Option<Value>,
    /// Requests being answered now, and the most there were at once.
    in_flight: usize,
    max_in_flight: usize,
}

#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    inner: Arc<Mutex<Inner>>,
}

async fn receive(
    req: HttpRequest,
    body: web::Bytes,
    inner: web::Data<Arc<Mutex<Inner>>>,
) -> HttpResponse {
    let h = |n: &str| {
        req.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let (status, delay, reply) = {
        let mut i = inner.lock().expect("lock");
        i.got.push(Received {
            id: h("webhook-id"),
            timestamp: h("webhook-timestamp"),
            signature: h("webhook-signature"),
            body: String::from_utf8_lossy(&body).to_string(),
        });
        i.in_flight += 1;
        i.max_in_flight = i.max_in_flight.max(i.in_flight);
        (
            i.statuses.pop_front().unwrap_or(200),
            i.delay,
            i.body.clone(),
        )
    };
    if let Some(d) = delay {
        tokio::time::sleep(d).await;
    }
    inner.lock().expect("lock").in_flight -= 1;
    let mut res =
        HttpResponse::build(actix_web::http::StatusCode::from_u16(status).expect("status"));
    match reply {
        Some(b) if (200..300).contains(&status) => res.json(b),
        _ => res.finish(),
    }
}

impl Receiver {
    pub async fn start() -> Receiver {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let data = web::Data::new(inner.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(receive))
        })
        .workers(1)
        .disable_signals()
        .bind(("127.0.0.1", 0))
        .expect("bind");
        let port = server.addrs()[0].port();
        tokio::spawn(server.run());
        Receiver {
            url: format!("http://127.0.0.1:{port}/hook"),
            inner,
        }
    }

    /// Answers with these statuses first.
    pub fn answer(&self, statuses: &[u16]) {
        self.inner.lock().expect("lock").statuses.extend(statuses);
    }

    /// Answers 2xx with this JSON body (a stand-in for an OAuth2 token endpoint).
    pub fn reply_with(&self, body: Value) {
        self.inner.lock().expect("lock").body = Some(body);
    }

    pub fn delay(&self, d: Duration) {
        self.inner.lock().expect("lock").delay = Some(d);
    }

    /// The most requests it was answering at once.
    pub fn max_in_flight(&self) -> usize {
        self.inner.lock().expect("lock").max_in_flight
    }

    pub fn got(&self) -> Vec<Received> {
        self.inner.lock().expect("lock").got.clone()
    }

    /// Waits until `n` requests arrived (false after `secs`).
    pub async fn wait_for(&self, n: usize, secs: u64) -> bool {
        for _ in 0..secs * 20 {
            if self.got().len() >= n {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }
}
