//! API tokens for CI scripts (personal) and workflow engines (engine).

use std::sync::Arc;

use actix_web::{delete, get, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use credvault_domain::identity::{Scope, TokenKind};
use credvault_domain::validate::Name;
use credvault_service::tokens::{self, Minted, TokenSpec};
use credvault_store::identity::TokenRow;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::fields::Fields;
use crate::auth::{need, Authorized};
use crate::error::ApiError;
use crate::openapi::enums::{ScopeSchema, TokenKindSchema};
use crate::openapi::rights::Doc;
use crate::state::AppState;
use credvault_domain::policy::Action;

type State = web::Data<Arc<AppState>>;

#[derive(Deserialize, ToSchema)]
pub struct CreateToken {
    #[schema(value_type = String, min_length = 1, max_length = 128)]
    pub name: Option<String>,
    /// Only a workspace owner creates `engine` tokens.
    #[schema(value_type = TokenKindSchema)]
    pub kind: Option<String>,
    /// Each scope once; a personal token cannot hold `credentials:resolve`, nor a scope its
    /// user's role does not allow; an engine token holds only `credentials:resolve`,
    /// `workflows:write` and `credentials:read`.
    #[schema(value_type = Vec<ScopeSchema>, min_items = 1)]
    pub scopes: Option<Vec<String>>,
    /// In the future; without it the token does not expire.
    #[schema(value_type = DateTime<Utc>, required = false)]
    pub expires_at: Option<DateTime<Utc>>,
}

/// A token as listed (never its value).
#[derive(Serialize, ToSchema)]
pub struct ApiToken {
    pub id: Uuid,
    pub name: String,
    #[schema(value_type = TokenKindSchema)]
    pub kind: String,
    #[schema(value_type = Vec<ScopeSchema>)]
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
    #[schema(value_type = TokenKindSchema)]
    pub kind: String,
    #[schema(value_type = Vec<ScopeSchema>)]
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
    tag = "tokens", operation_id = "create_token", description = Doc::of(Action::CreatePersonalToken).and_for("an `engine` token", Action::CreateEngineToken).audits("records `token.created`"), summary = "Create an API token", request_body = CreateToken,
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
    // An engine is refused before its body is looked at.
    caller.person()?;
    let minted = tokens::create(&state, &caller, body.parse()?).await?;
    Ok(HttpResponse::Created().json(CreatedToken::from(minted)))
}

impl CreateToken {
    /// Every field's problem at once, or the token to mint.
    fn parse(&self) -> Result<TokenSpec, ApiError> {
        let mut f = Fields::default();
        let name = f.required("name", self.name.as_deref(), Name::parse);
        let kind = f.required("kind", self.kind.as_deref(), |s| s.parse::<TokenKind>());
        let mut scopes = Vec::new();
        match &self.scopes {
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
        if self.expires_at.is_some_and(|e| e <= Utc::now()) {
            f.push("expires_at", "must be in the future");
        }
        match (name, kind) {
            (Some(name), Some(kind)) if f.is_empty() => Ok(TokenSpec {
                name,
                kind,
                scopes,
                expires_at: self.expires_at,
            }),
            _ => Err(f.into_error()),
        }
    }
}

impl From<Minted> for CreatedToken {
    fn from(m: Minted) -> Self {
        CreatedToken {
            id: m.row.id,
            name: m.row.name,
            kind: m.row.kind,
            scopes: m.row.scopes,
            token: m.value.expose_secret().to_string(),
            prefix: m.row.prefix,
            created_at: m.row.created_at,
            expires_at: m.row.expires_at,
        }
    }
}

/// Your personal tokens, and the workspace's engine tokens for owners and admins.
#[utoipa::path(tag = "tokens", operation_id = "list_tokens", description = Doc::of(Action::ListTokens).note("Lists your personal tokens; workspace owners and admins also see the engine tokens.").reads(), summary = "List API tokens", responses((status = 200, description = "Live tokens", body = TokenList)))]
#[get("/tokens")]
pub async fn list_tokens(
    state: State,
    caller: Authorized<need::ListTokens>,
) -> Result<web::Json<TokenList>, ApiError> {
    let rows = tokens::list(&state, &caller).await?;
    Ok(web::Json(TokenList {
        items: rows.into_iter().map(ApiToken::from).collect(),
    }))
}

/// Revoke a token; it stops working at once.
#[utoipa::path(tag = "tokens", operation_id = "revoke_token", description = Doc::of(Action::RevokeToken).audits("records `token.revoked`"), summary = "Revoke an API token", params(("id" = Uuid, Path, description = "Token id")), responses((status = 204, description = "Revoked")))]
#[delete("/tokens/{id}")]
pub async fn revoke_token(
    state: State,
    caller: Authorized<need::RevokeToken>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    tokens::revoke(&state, &caller, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}
