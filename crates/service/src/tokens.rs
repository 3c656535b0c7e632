//! API tokens for CI scripts (personal) and workflow engines (engine): minted within what the
//! caller may give, listed to whoever may see them, revoked at once.

use chrono::{DateTime, Utc};
use credvault_domain::identity::{validate_token_scopes, Role, Scope, TokenKind};
use credvault_domain::policy::{self, Action, Decision};
use credvault_domain::validate::Name;
use credvault_store::identity::{self as store, NewToken, TokenRow};
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

use crate::audit::Event;
use crate::error::ServiceError;
use crate::principal::Principal;
use crate::services::Services;

/// A token to mint, its fields already valid.
pub struct TokenSpec {
    pub name: Name,
    pub kind: TokenKind,
    pub scopes: Vec<Scope>,
    /// In the future.
    pub expires_at: Option<DateTime<Utc>>,
}

/// A new token and its value, which is shown this once.
pub struct Minted {
    pub row: TokenRow,
    pub value: SecretString,
}

/// Owners and admins see (and revoke) the workspace's engine tokens.
fn sees_engine_tokens(principal: &Principal) -> bool {
    matches!(principal.role(), Some(Role::Owner | Role::Admin))
}

/// Mints a token for the caller: an engine token only for an owner, and never with a scope the
/// calling token does not hold.
pub async fn create(
    services: &Services,
    principal: &Principal,
    spec: TokenSpec,
) -> Result<Minted, ServiceError> {
    let user = principal.person()?;
    let role: Role = user.role.parse().map_err(ServiceError::internal)?;
    let TokenSpec {
        name,
        kind,
        scopes,
        expires_at,
    } = spec;
    if kind == TokenKind::Engine
        && policy::authorize(&principal.policy, Action::CreateEngineToken) != Decision::Allow
    {
        return Err(ServiceError::Forbidden(
            "only workspace owners create engine tokens: an engine token can act for every workflow owner of the workspace".into(),
        ));
    }
    // A token narrowed to some scopes cannot mint a token with more.
    if let Some(own) = &principal.token {
        if let Some(extra) = scopes
            .iter()
            .find(|s| !own.scopes.iter().any(|o| o == s.as_str()))
        {
            return Err(ServiceError::Forbidden(format!(
                "this token cannot create a token with the {} scope it does not hold",
                extra.as_str()
            )));
        }
    }
    if let Err(e) = validate_token_scopes(kind, role, &scopes) {
        return Err(ServiceError::field(e.field(), e.to_string()));
    }
    let secret = credvault_crypto::generate_token("cvt_").map_err(ServiceError::internal)?;
    let value = secret.expose_secret();
    let prefix: String = value.chars().take(10).collect();
    let scope_names: Vec<String> = scopes.iter().map(|s| s.as_str().to_string()).collect();
    let id = Uuid::now_v7();
    let mut client = services.pool.get().await?;
    let tx = client.transaction().await?;
    let row = store::insert_token(
        &tx,
        &NewToken {
            workspace_id: principal.workspace_id,
            id,
            hash: &credvault_crypto::hash_token(value),
            name: name.as_str(),
            kind: kind.as_str(),
            user_id: (kind == TokenKind::Personal).then_some(user.id),
            created_by: user.id,
            scopes: &scope_names,
            prefix: &prefix,
            expires_at,
        },
    )
    .await?;
    let ev = Event::new("token.created")
        .target("token", id, Some(row.name.clone()))
        .detail("kind", kind.as_str())
        .detail("scopes", scope_names);
    principal.record(&tx, [ev]).await?;
    tx.commit().await?;
    Ok(Minted { row, value: secret })
}

/// The caller's personal tokens, and the workspace's engine tokens for owners and admins.
pub async fn list(
    services: &Services,
    principal: &Principal,
) -> Result<Vec<TokenRow>, ServiceError> {
    let client = services.pool.get().await?;
    Ok(store::list_tokens(
        &client,
        principal.workspace_id,
        principal.user_id(),
        sees_engine_tokens(principal),
    )
    .await?)
}

/// Revokes a token the caller may see; it stops working at once. Revoking a revoked token
/// changes nothing, and records nothing.
pub async fn revoke(
    services: &Services,
    principal: &Principal,
    id: Uuid,
) -> Result<(), ServiceError> {
    let ws = principal.workspace_id;
    let mut client = services.pool.get().await?;
    let tx = client.transaction().await?;
    let token = store::token_by_id(&tx, ws, id)
        .await?
        .ok_or(ServiceError::NotFound("token"))?;
    let mine = token.user_id.is_some() && token.user_id == principal.user_id();
    if !(mine || (token.kind == "engine" && sees_engine_tokens(principal))) {
        return Err(ServiceError::NotFound("token"));
    }
    if store::revoke_token(&tx, ws, id).await? {
        let ev = Event::new("token.revoked").target("token", id, Some(token.name));
        principal.record(&tx, [ev]).await?;
    }
    tx.commit().await?;
    Ok(())
}
