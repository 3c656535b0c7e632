//! API tokens for CI scripts (personal) and workflow engines (engine).

use std::sync::Arc;

use actix_web::{delete, get, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use credvault_domain::identity::{validate_token_scopes, Role, Scope, TokenKind};
use credvault_domain::policy::{self, Action, Decision};
use credvault_domain::validate::Name;
use credvault_store::identity::{self as store, NewToken, TokenRow};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::fields::Fields;
use crate::audit::{self, Event};
use crate::auth::{need, Authorized};
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

type State = web::Data<Arc<AppState>>;

#[derive(Deserialize, ToSchema)]
pub struct CreateToken {
    pub name: Option<String>,
    /// `personal` or `engine`.
    pub kind: Option<String>,
    /// Any of `credentials:read`, `credentials:write`, `credentials:resolve`, `workflows:write`, `audit:read`, `admin`.
    pub scopes: Option<Vec<String>>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// A token as listed (never its value).
#[derive(Serialize, ToSchema)]
pub struct ApiToken {
    pub id: Uuid,
    pub name: String,
    pub kind: String,
    pub scopes: Vec<String>,
    /// The first characters of the token, to recognise it.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    /// For an engine token, the workspace owner who created it (it stops working when they are
    /// disabled, erased or no longer an owner); null for a personal token.
    pub created_by: Option<Uuid>,
}

impl From<TokenRow> for ApiToken {
    fn from(t: TokenRow) -> Self {
        ApiToken {
            created_by: (t.kind == "engine").then_some(t.created_by),
            id: t.id,
            name: t.name,
            kind: t.kind,
            scopes: t.scopes,
            prefix: t.prefix,
            created_at: t.created_at,
            expires_at: t.expires_at,
            last_used_at: t.last_used_at,
        }
    }
}

/// A new token, with its value shown this once.
#[derive(Serialize, ToSchema)]
pub struct CreatedToken {
    pub id: Uuid,
    pub name: String,
    pub kind: String,
    pub scopes: Vec<String>,
    /// The token: store it now, it is never shown again.
    pub token: String,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(Serialize, ToSchema)]
pub struct TokenList {
    pub items: Vec<ApiToken>,
}

/// Create an API token.
#[utoipa::path(
    tag = "tokens", operation_id = "create_token", summary = "Create an API token", request_body = CreateToken,
    responses(
        (status = 201, description = "The token, shown this once", body = CreatedToken),
        (status = 403, description = "An engine token asked for by anyone but a workspace owner, or a scope the calling token does not hold (`forbidden`)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/tokens")]
pub async fn create_token(
    state: State,
    caller: Authorized<need::CreatePersonalToken>,
    body: web::Json<CreateToken>,
) -> Result<HttpResponse, ApiError> {
    let user = caller.person()?.clone();
    let role: Role = user.role.parse().map_err(ApiError::internal)?;
    let mut f = Fields::default();
    let name = f.required("name", body.name.as_deref(), Name::parse);
    let kind = f.required("kind", body.kind.as_deref(), |s| s.parse::<TokenKind>());
    let mut scopes = Vec::new();
    match &body.scopes {
        None => f.push("scopes", "is required"),
        Some(list) => {
            for s in list {
                match s.parse::<Scope>() {
                    Ok(sc) => scopes.push(sc),
                    Err(e) => f.push("scopes", e.to_string()),
                }
            }
        }
    }
    if body.expires_at.is_some_and(|e| e <= Utc::now()) {
        f.push("expires_at", "must be in the future");
    }
    let (Some(name), Some(kind)) = (name, kind) else {
        return Err(f.into_error());
    };
    if !f.is_empty() {
        return Err(f.into_error());
    }
    if kind == TokenKind::Engine
        && policy::authorize(&caller.policy, Action::CreateEngineToken) != Decision::Allow
    {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "only workspace owners create engine tokens: an engine token can act for every workflow owner of the workspace",
        ));
    }
    // A token narrowed to some scopes cannot mint a token with more.
    if let Some(own) = &caller.token {
        if let Some(extra) = scopes
            .iter()
            .find(|s| !own.scopes.iter().any(|o| o == s.as_str()))
        {
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                format!(
                    "this token cannot create a token with the {} scope it does not hold",
                    extra.as_str()
                ),
            ));
        }
    }
    if let Err(e) = validate_token_scopes(kind, role, &scopes) {
        return Err(ApiError::field(e.field(), e.to_string()));
    }
    let secret = credvault_crypto::generate_token("cvt_").map_err(ApiError::internal)?;
    let value = secret.expose_secret();
    let prefix: String = value.chars().take(10).collect();
    let scope_names: Vec<String> = scopes.iter().map(|s| s.as_str().to_string()).collect();
    let id = Uuid::now_v7();
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    let row = store::insert_token(
        &tx,
        &NewToken {
            workspace_id: caller.workspace_id,
            id,
            hash: &credvault_crypto::hash_token(value),
            name: name.as_str(),
            kind: kind.as_str(),
            user_id: (kind == TokenKind::Personal).then_some(user.id),
            created_by: user.id,
            scopes: &scope_names,
            prefix: &prefix,
            expires_at: body.expires_at,
        },
    )
    .await?;
    let ev = Event::new("token.created")
        .target("token", id, Some(row.name.clone()))
        .detail("kind", kind.as_str())
        .detail("scopes", scope_names.clone());
    audit::record(&tx, caller.workspace_id, &caller.actor, &caller.origin, ev).await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(CreatedToken {
        id,
        name: row.name,
        kind: row.kind,
        scopes: row.scopes,
        token: value.to_string(),
        prefix: row.prefix,
        created_at: row.created_at,
        expires_at: row.expires_at,
    }))
}

fn sees_engine_tokens(caller: &crate::auth::Caller) -> bool {
    matches!(caller.role(), Some(Role::Owner | Role::Admin))
}

/// Your personal tokens, and the workspace's engine tokens for owners and admins.
#[utoipa::path(tag = "tokens", operation_id = "list_tokens", summary = "List API tokens", responses((status = 200, description = "Live tokens", body = TokenList)))]
#[get("/tokens")]
pub async fn list_tokens(
    state: State,
    caller: Authorized<need::ListTokens>,
) -> Result<web::Json<TokenList>, ApiError> {
    let client = state.pool.get().await?;
    let rows = store::list_tokens(
        &client,
        caller.workspace_id,
        caller.user_id(),
        sees_engine_tokens(&caller),
    )
    .await?;
    Ok(web::Json(TokenList {
        items: rows.into_iter().map(ApiToken::from).collect(),
    }))
}

/// Revoke a token; it stops working at once.
#[utoipa::path(tag = "tokens", operation_id = "revoke_token", summary = "Revoke an API token", params(("id" = Uuid, Path, description = "Token id")), responses((status = 204, description = "Revoked")))]
#[delete("/tokens/{id}")]
pub async fn revoke_token(
    state: State,
    caller: Authorized<need::RevokeToken>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    let token = store::token_by_id(&tx, caller.workspace_id, *id)
        .await?
        .ok_or_else(|| ApiError::not_found("token"))?;
    let mine = token.user_id.is_some() && token.user_id == caller.user_id();
    if !(mine || (token.kind == "engine" && sees_engine_tokens(&caller))) {
        return Err(ApiError::not_found("token"));
    }
    // Revoking a revoked token changes nothing, and records nothing.
    if store::revoke_token(&tx, caller.workspace_id, *id).await? {
        audit::record(
            &tx,
            caller.workspace_id,
            &caller.actor,
            &caller.origin,
            Event::new("token.revoked").target("token", *id, Some(token.name)),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}
