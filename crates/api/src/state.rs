//! What every handler can reach.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use chrono::Utc;
use credvault_crypto::{Envelope, Keyring};
use deadpool_postgres::Pool;
use uuid::Uuid;

use crate::auth::{Jwt, TokenUses};
use crate::config::Settings;
use crate::net::Cidr;

pub struct AppState {
    pub pool: Pool,
    pub settings: Settings,
    pub envelope: Envelope<Arc<Keyring>>,
    pub jwt: Jwt,
    pub trusted_proxies: Vec<Cidr>,
    /// The group-commit writer of `credential.used` events and usage counters.
    pub usage: crate::usage::UsageWriter,
    token_uses: Mutex<TokenUses>,
    draining: AtomicBool,
}

impl AppState {
    pub fn new(
        pool: Pool,
        settings: Settings,
        envelope: Envelope<Arc<Keyring>>,
        usage: crate::usage::UsageWriter,
    ) -> Arc<Self> {
        let jwt = Jwt::new(&settings.jwt_secret);
        let trusted_proxies = settings
            .trusted_proxies
            .iter()
            .filter_map(|p| Cidr::parse(p))
            .collect();
        Arc::new(AppState {
            pool,
            settings,
            envelope,
            jwt,
            trusted_proxies,
            usage,
            token_uses: Mutex::new(TokenUses::new()),
            draining: AtomicBool::new(false),
        })
    }

    /// Remembers that a token was used; `flush_token_uses` writes the stamps in one batch, so an
    /// API-token request costs no write of its own.
    pub fn note_token_use(&self, ws: Uuid, id: Uuid) {
        if let Ok(mut m) = self.token_uses.lock() {
            m.insert((ws, id), Utc::now());
        }
    }

    /// Writes the pending `last_used_at` stamps (every 2 s, and at shutdown).
    pub async fn flush_token_uses(&self) {
        let batch: Vec<_> = match self.token_uses.lock() {
            Ok(mut m) => m.drain().map(|((ws, id), at)| (ws, id, at)).collect(),
            Err(_) => return,
        };
        if batch.is_empty() {
            return;
        }
        let result = async {
            let client = self.pool.get().await?;
            credvault_store::identity::record_token_use(&client, &batch).await?;
            Ok::<_, anyhow::Error>(())
        }
        .await;
        if let Err(e) = result {
            tracing::warn!(error = %e, "could not record API token use; will retry");
            if let Ok(mut m) = self.token_uses.lock() {
                for (ws, id, at) in batch {
                    m.entry((ws, id)).or_insert(at);
                }
            }
        }
    }

    /// Set when shutdown starts: `/readyz` then answers 503 so load balancers stop sending.
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }
}
