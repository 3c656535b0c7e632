//! Every route, registered with its OpenAPI entry in one place.

pub mod ops;

use utoipa_actix_web::service_config::ServiceConfig;

/// Registers every route. The server and `credvault openapi` both go through this function, so a
/// route cannot exist without its spec entry.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(ops::healthz)
        .service(ops::readyz)
        .service(ops::metrics);
}
