//! `Services`: everything the service layer works with, built once at start-up and shared by
//! every request and background job.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use credvault_crypto::{Envelope, Keyring};
use credvault_domain::identity::SessionLimits;
use deadpool_postgres::Pool;
use uuid::Uuid;

use crate::cache::Cache;
use crate::jwt::Jwt;
use crate::outbound::Outbound;
use crate::signin::SignInGuard;
use crate::token_refresh::Outcome;
use crate::usage::UsageWriter;

/// Who may create a workspace by signing up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signup {
    Open,
    First,
    Closed,
}

/// The settings the services act on (the server's other settings stay with the API).
pub struct ServiceSettings {
    /// Where this service is reached from outside (OAuth redirect URIs are built from it).
    pub public_url: String,
    pub signup: Signup,
    /// Days a deleted credential can be restored before it is purged.
    pub recovery_days: u32,
    pub sessions: SessionLimits,
}

/// `last_used_at` stamps waiting to be written in one batch.
type TokenUses = HashMap<(Uuid, Uuid), DateTime<Utc>>;

pub struct Services {
    pub pool: Pool,
    pub envelope: Envelope<Arc<Keyring>>,
    pub settings: ServiceSettings,
    pub jwt: Jwt,
    /// The group-commit writer of `credential.used` events and usage counters.
    pub usage: UsageWriter,
    /// Where requests wait for their audit events to be chained (see `audit_chain`).
    pub chain: Arc<crate::audit_chain::ChainWatch>,
    /// The audit chain's keys and the checkpoint signer, from the keyring.
    pub chain_keys: Arc<crate::chain_keys::ChainKeys>,
    /// Token lookups and resolve rows, dropped on NOTIFY (see `cache`).
    pub cache: Arc<Cache>,
    /// The one client for calls to other services, with the outbound rules.
    pub outbound: Outbound,
    /// Derives each authorization state's PKCE verifier.
    pub pkce_key: zeroize::Zeroizing<[u8; 32]>,
    /// Bounds password checks and remembers who is over a sign-in limit.
    pub signin: SignInGuard,
    token_uses: Mutex<TokenUses>,
    /// Resolve-time refreshes in progress on this instance: later requests wait for the first.
    pub inflight_refreshes: Mutex<HashMap<Uuid, tokio::sync::watch::Sender<Option<Outcome>>>>,
    /// Credentials this instance is refreshing in the background (at most one task each).
    refreshing: Mutex<HashSet<Uuid>>,
    /// Stored secret versions decrypted so far (shown in `/metrics`).
    pub secrets_opened: AtomicU64,
    /// The OpenID providers' signing keys fetched so far.
    pub sso_jwks: crate::sso::JwksCache,
    /// Wakes audit stream followers and the webhook dispatcher when events are chained.
    pub hub: Arc<crate::audit_hub::AuditHub>,
    /// Webhook deliveries and the audit stream.
    pub events: crate::webhooks::EventSettings,
}

impl Services {
    pub fn new(
        pool: Pool,
        envelope: Envelope<Arc<Keyring>>,
        settings: ServiceSettings,
        jwt_secret: &[u8],
        usage: UsageWriter,
        outbound: Outbound,
        events: crate::webhooks::EventSettings,
    ) -> Arc<Self> {
        let pkce_key = {
            let mut k = zeroize::Zeroizing::new(jwt_secret.to_vec());
            k.extend_from_slice(b"credvault oauth pkce");
            zeroize::Zeroizing::new(credvault_crypto::sha256(&k))
        };
        let chain_keys = crate::chain_keys::ChainKeys::new(Arc::clone(envelope.provider()));
        Arc::new(Services {
            chain_keys,
            pool,
            envelope,
            settings,
            jwt: Jwt::new(jwt_secret),
            chain: usage.chain.clone(),
            usage,
            outbound,
            cache: Arc::new(Cache::new()),
            pkce_key,
            signin: SignInGuard::default(),
            token_uses: Mutex::new(TokenUses::new()),
            inflight_refreshes: Mutex::new(HashMap::new()),
            refreshing: Mutex::new(HashSet::new()),
            secrets_opened: AtomicU64::new(0),
            sso_jwks: Default::default(),
            hub: crate::audit_hub::AuditHub::new(events.max_followers),
            events,
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
