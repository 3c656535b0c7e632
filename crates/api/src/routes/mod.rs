//! Every route, registered with its OpenAPI entry in one place.

pub mod audit;
pub mod audit_checkpoint;
pub mod auth;
pub mod authorize;
pub mod connect;
pub mod credential_dto;
pub mod credential_types;
pub mod credentials;
pub mod dto;
pub mod erasure;
pub mod fields;
pub mod me;
pub mod ops;
pub mod page;
pub mod reports;
pub mod resolve;
pub mod sessions;
pub mod shares;
pub mod signup;
pub mod sso;
pub mod sso_signin;
pub mod teams;
pub mod tokens;
pub mod users;
pub mod vault;
pub mod webhook_dto;
pub mod webhooks;
pub mod workflows;

use utoipa_actix_web::{scope, service_config::ServiceConfig};

/// Registers every route. The server and `credvault openapi` both go through this function, so a
/// route cannot exist without its spec entry.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(ops::healthz)
        .service(ops::readyz)
        .service(ops::metrics);
    cfg.service(
        scope::scope("/v1")
            // The runtime paths first (resolve, the Vault read): routes are tried in order, each one a
            // pattern match.
            .service(resolve::resolve)
            .service(vault::kv_read)
            .service(signup::create_workspace)
            .service(auth::login)
            .service(auth::refresh)
            .service(auth::logout)
            .service(sso_signin::sso_start)
            .service(sso_signin::sso_callback)
            .service(sso_signin::sso_exchange)
            .service(sso::put_sso)
            .service(sso::get_sso)
            .service(sso::delete_sso)
            .service(sessions::list_sessions)
            .service(sessions::revoke_other_sessions)
            .service(sessions::revoke_session)
            .service(sessions::change_password)
            .service(me::me)
            .service(me::export)
            .service(users::list_users)
            .service(users::create_user)
            .service(users::get_user)
            .service(users::update_user)
            .service(erasure::erase_user)
            .service(teams::list_teams)
            .service(teams::create_team)
            .service(teams::get_team)
            .service(teams::update_team)
            .service(teams::delete_team)
            .service(teams::add_member)
            .service(teams::remove_member)
            .service(tokens::create_token)
            .service(tokens::list_tokens)
            .service(tokens::revoke_token)
            .service(credentials::create_credential)
            .service(credentials::list_credentials)
            .service(credentials::get_credential)
            .service(credentials::update_credential)
            .service(credentials::rotate_credential)
            .service(credentials::list_versions)
            .service(credentials::restore_version)
            .service(credentials::delete_credential)
            .service(credentials::restore_credential)
            .service(credentials::transfer_credential)
            .service(connect::test_credential)
            .service(authorize::refresh_credential)
            .service(authorize::authorize_credential)
            .service(authorize::oauth_callback)
            .service(workflows::usage)
            .service(audit::credential_events)
            .service(audit::list_events)
            .service(audit::export)
            .service(audit::verify)
            .service(audit_checkpoint::checkpoint)
            .service(audit_checkpoint::public_key)
            .service(reports::credential_review)
            .service(shares::list_shares)
            .service(shares::replace_shares)
            .service(shares::delete_share)
            .service(workflows::put_workflow)
            .service(workflows::list_workflows)
            .service(workflows::get_workflow)
            .service(workflows::delete_workflow)
            .service(vault::lookup_self)
            .service(vault::kv_list)
            .service(webhooks::create_webhook)
            .service(webhooks::list_webhooks)
            .service(webhooks::get_webhook)
            .service(webhooks::update_webhook)
            .service(webhooks::delete_webhook)
            .service(webhooks::rotate_webhook_secret)
            .service(webhooks::list_deliveries)
            .service(webhooks::retry_delivery)
            .route("/kv/metadata/{workflow_id}", vault::list_method()),
    );
}

/// A JSON body already read as a value, into its request type; type errors are 400s that
/// never quote the input.
pub fn parse_body<T: serde::de::DeserializeOwned>(
    raw: &serde_json::Value,
) -> Result<T, crate::error::ApiError> {
    T::deserialize(raw).map_err(|e| {
        crate::error::ApiError::invalid(format!(
            "the body is not valid for this endpoint: {}",
            crate::error::redact_serde_message(&e.to_string())
        ))
    })
}
