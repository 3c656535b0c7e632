//! What every handler can reach.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use chrono::Utc;
use credvault_crypto::{Envelope, Keyring};
use deadpool_postgres::Pool;
use uuid::Uuid;

use crate::config::Settings;
use crate::jwt::Jwt;
use crate::net::Cidr;

/// `last_used_at` stamps waiting to be written in one batch.
type TokenUses = std::collections::HashMap<(Uuid, Uuid), chrono::DateTime<Utc>>;

pub struct AppState {
    pub pool: Pool,
    pub settings: Settings,
    pub envelope: Envelope<Arc<Keyring>>,
    pub jwt: Jwt,
    pub trusted_proxies: Vec<Cidr>,
    /// The group-commit writer of `credential.used` events and usage counters.
    pub usage: crate::usage::UsageWriter,
    /// Token lookups and resolve rows, dropped on NOTIFY (see `cache`).
    pub cache: Arc<crate::cache::Cache>,
    /// The one client for calls to other services, with the outbound rules.
    pub outbound: crate::outbound::Outbound,
    /// Derives each authorization state's PKCE verifier.
    pub pkce_key: zeroize::Zeroizing<[u8; 32]>,
    /// Bounds password checks and remembers who is over a sign-in limit.
    pub signin: crate::signin::SignInGuard,
    token_uses: Mutex<TokenUses>,
    /// Resolve-time refreshes in progress on this instance: later requests wait for the first.
    pub inflight_refreshes: Mutex<
        std::collections::HashMap<
            Uuid,
            tokio::sync::watch::Sender<Option<crate::token_refresh::Outcome>>,
        >,
    >,
    /// Credentials this instance is refreshing in the background (at most one task each).
    refreshing: Mutex<std::collections::HashSet<Uuid>>,
    draining: AtomicBool,
}

impl AppState {
    pub fn new(
        pool: Pool,
        settings: Settings,
        envelope: Envelope<Arc<Keyring>>,
        usage: crate::usage::UsageWriter,
        outbound: crate::outbound::Outbound,
    ) -> Arc<Self> {
        let jwt = Jwt::new(&settings.jwt_secret);
        let pkce_key = {
            let mut k = zeroize::Zeroizing::new(settings.jwt_secret.to_vec());
            k.extend_from_slice(b"credvault oauth pkce");
            zeroize::Zeroizing::new(credvault_crypto::sha256(&k))
        };
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
            outbound,
            cache: Arc::new(crate::cache::Cache::new()),
            pkce_key,
            signin: crate::signin::SignInGuard::default(),
            token_uses: Mutex::new(TokenUses::new()),
            refreshing: Mutex::new(std::collections::HashSet::new()),
            inflight_refreshes: Mutex::new(std::collections::HashMap::new()),
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

    /// Claims the background refresh of a credential for this instance; false when one is
    /// already running here.
    pub fn claim_background_refresh(&self, id: Uuid) -> bool {
        self.refreshing.lock().is_ok_and(|mut set| set.insert(id))
    }

    /// Ends this instance's background refresh of a credential.
    pub fn release_background_refresh(&self, id: Uuid) {
        if let Ok(mut set) = self.refreshing.lock() {
            set.remove(&id);
        }
    }
}
