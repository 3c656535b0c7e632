//! What every handler can reach.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use credvault_crypto::{Envelope, Keyring};
use deadpool_postgres::Pool;

use crate::config::Settings;

pub struct AppState {
    pub pool: Pool,
    pub settings: Settings,
    pub envelope: Envelope<Arc<Keyring>>,
    draining: AtomicBool,
}

impl AppState {
    pub fn new(pool: Pool, settings: Settings, envelope: Envelope<Arc<Keyring>>) -> Arc<Self> {
        Arc::new(AppState {
            pool,
            settings,
            envelope,
            draining: AtomicBool::new(false),
        })
    }

    /// Set when shutdown starts: `/readyz` then answers 503 so load balancers stop sending.
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }
}
