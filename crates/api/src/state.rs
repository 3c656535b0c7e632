//! What every handler can reach: the services, and the settings only the HTTP layer uses.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use credvault_service::Services;

use crate::config::Settings;
use crate::net::Cidr;

pub struct AppState {
    pub services: Arc<Services>,
    pub settings: Settings,
    pub trusted_proxies: Vec<Cidr>,
    /// Set when shutdown starts: `/readyz` then answers 503 so load balancers stop sending.
    pub draining: AtomicBool,
}

/// A handler reaches the services through the state: `state.pool`, `state.cache`, and passes
/// `&state` where a service takes `&Services`.
impl std::ops::Deref for AppState {
    type Target = Services;
    fn deref(&self) -> &Services {
        &self.services
    }
}

impl AppState {
    pub fn new(services: Arc<Services>, settings: Settings) -> Arc<Self> {
        let trusted_proxies = settings
            .trusted_proxies
            .iter()
            .filter_map(|p| Cidr::parse(p))
            .collect();
        Arc::new(AppState {
            services,
            settings,
            trusted_proxies,
            draining: AtomicBool::new(false),
        })
    }
}
