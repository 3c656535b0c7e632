//! Every route, registered with its OpenAPI entry in one place.

pub mod auth;
pub mod dto;
pub mod fields;
pub mod me;
pub mod ops;
pub mod teams;
pub mod tokens;
pub mod users;

use utoipa_actix_web::{scope, service_config::ServiceConfig};

/// Registers every route. The server and `credvault openapi` both go through this function, so a
/// route cannot exist without its spec entry.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(ops::healthz)
        .service(ops::readyz)
        .service(ops::metrics);
    cfg.service(
        scope::scope("/v1")
            .service(auth::create_workspace)
            .service(auth::login)
            .service(auth::refresh)
            .service(auth::logout)
            .service(auth::list_sessions)
            .service(auth::revoke_other_sessions)
            .service(auth::revoke_session)
            .service(auth::change_password)
            .service(me::me)
            .service(me::export)
            .service(users::list_users)
            .service(users::create_user)
            .service(users::get_user)
            .service(users::update_user)
            .service(teams::list_teams)
            .service(teams::create_team)
            .service(teams::get_team)
            .service(teams::update_team)
            .service(teams::delete_team)
            .service(teams::add_member)
            .service(teams::remove_member)
            .service(tokens::create_token)
            .service(tokens::list_tokens)
            .service(tokens::revoke_token),
    );
}
