//! Webhooks: configuration (workspace owners and admins), deliveries and retries.

use std::sync::Arc;

use actix_web::{delete, get, patch, post, web, HttpResponse};
use credvault_domain::policy::Action;
use credvault_service::webhooks;
use secrecy::ExposeSecret;
use uuid::Uuid;

use super::page::PageQuery;
use super::webhook_dto::{
    CreateWebhook, CreatedWebhook, Delivery, DeliveryPage, UpdateWebhook, Webhook, WebhookList,
    WebhookSecret,
};
use crate::auth::{need, Authorized};
use crate::error::ApiError;
use crate::openapi::rights::Doc;
use crate::state::AppState;

type State = web::Data<Arc<AppState>>;
type Caller = Authorized<need::ManageWebhooks>;

/// Create a webhook; its secret is shown this once.
#[utoipa::path(tag = "webhooks", operation_id = "create_webhook", description = Doc::of(Action::ManageWebhooks).audits("records `webhook.created`"), summary = "Create a webhook", request_body = CreateWebhook,
    responses((status = 201, description = "The webhook, with its signing secret shown this once", body = CreatedWebhook)))]
#[post("/webhooks")]
pub async fn create_webhook(
    state: State,
    caller: Caller,
    body: web::Json<CreateWebhook>,
) -> Result<HttpResponse, ApiError> {
    let created = webhooks::create(&state, &caller, body.parse()?).await?;
    Ok(HttpResponse::Created().json(CreatedWebhook {
        secret: created.secret.expose_secret().to_string(),
        webhook: created.row.into(),
    }))
}

/// The workspace's webhooks.
#[utoipa::path(tag = "webhooks", operation_id = "list_webhooks", description = Doc::of(Action::ManageWebhooks).reads(), summary = "List webhooks", responses((status = 200, description = "Every webhook of the workspace", body = WebhookList)))]
#[get("/webhooks")]
pub async fn list_webhooks(
    state: State,
    caller: Caller,
) -> Result<web::Json<WebhookList>, ApiError> {
    let rows = webhooks::list(&state, &caller).await?;
    Ok(web::Json(WebhookList {
        items: rows.into_iter().map(Webhook::from).collect(),
        next_cursor: None,
    }))
}

/// One webhook.
#[utoipa::path(tag = "webhooks", operation_id = "get_webhook", description = Doc::of(Action::ManageWebhooks).reads(), summary = "Get a webhook", params(("id" = Uuid, Path, description = "Webhook id")), responses((status = 200, description = "The webhook", body = Webhook)))]
#[get("/webhooks/{id}")]
pub async fn get_webhook(
    state: State,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<web::Json<Webhook>, ApiError> {
    Ok(web::Json(webhooks::get(&state, &caller, *id).await?.into()))
}

/// Change a webhook's URL, events, description, or disable/enable it.
#[utoipa::path(tag = "webhooks", operation_id = "update_webhook", description = Doc::of(Action::ManageWebhooks).audits("records `webhook.updated`"), summary = "Update a webhook", params(("id" = Uuid, Path, description = "Webhook id")), request_body = UpdateWebhook, responses((status = 200, description = "The webhook", body = Webhook)))]
#[patch("/webhooks/{id}")]
pub async fn update_webhook(
    state: State,
    caller: Caller,
    id: web::Path<Uuid>,
    body: web::Json<UpdateWebhook>,
) -> Result<web::Json<Webhook>, ApiError> {
    let row = webhooks::update(&state, &caller, *id, body.parse()?).await?;
    Ok(web::Json(row.into()))
}

/// Delete a webhook and its deliveries.
#[utoipa::path(tag = "webhooks", operation_id = "delete_webhook", description = Doc::of(Action::ManageWebhooks).audits("records `webhook.deleted`"), summary = "Delete a webhook", params(("id" = Uuid, Path, description = "Webhook id")), responses((status = 204, description = "Deleted")))]
#[delete("/webhooks/{id}")]
pub async fn delete_webhook(
    state: State,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    webhooks::delete(&state, &caller, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A new signing secret, shown this once; the old one stops at once.
#[utoipa::path(tag = "webhooks", operation_id = "rotate_webhook_secret", description = Doc::of(Action::ManageWebhooks).audits("records `webhook.secret_rotated`"), summary = "Rotate a webhook's secret", params(("id" = Uuid, Path, description = "Webhook id")), responses((status = 200, description = "The new secret, shown this once", body = WebhookSecret)))]
#[post("/webhooks/{id}/rotate-secret")]
pub async fn rotate_webhook_secret(
    state: State,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<web::Json<WebhookSecret>, ApiError> {
    let secret = webhooks::rotate_secret(&state, &caller, *id).await?;
    Ok(web::Json(WebhookSecret {
        secret: secret.expose_secret().to_string(),
    }))
}

/// A webhook's deliveries, newest first.
#[utoipa::path(tag = "webhooks", operation_id = "list_webhook_deliveries", description = Doc::of(Action::ManageWebhooks).reads(), summary = "List a webhook's deliveries", params(("id" = Uuid, Path, description = "Webhook id"), PageQuery), responses((status = 200, description = "A page of deliveries", body = DeliveryPage)))]
#[get("/webhooks/{id}/deliveries")]
pub async fn list_deliveries(
    state: State,
    caller: Caller,
    id: web::Path<Uuid>,
    page: web::Query<PageQuery>,
) -> Result<web::Json<DeliveryPage>, ApiError> {
    let page = page.into_inner();
    let page = webhooks::deliveries(&state, &caller, *id, page.limit, page.cursor).await?;
    let page = page.map(Delivery::from);
    Ok(web::Json(DeliveryPage {
        items: page.items,
        next_cursor: page.next_cursor,
    }))
}

/// Try a delivery again now (a failed one too).
#[utoipa::path(tag = "webhooks", operation_id = "retry_webhook_delivery", description = Doc::of(Action::ManageWebhooks).reads(), summary = "Retry a delivery", params(("id" = Uuid, Path, description = "Webhook id"), ("delivery_id" = Uuid, Path, description = "Delivery id")), responses((status = 202, description = "It will be tried again now")))]
#[post("/webhooks/{id}/deliveries/{delivery_id}/retry")]
pub async fn retry_delivery(
    state: State,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (id, delivery) = path.into_inner();
    webhooks::retry(&state, &caller, id, delivery).await?;
    Ok(HttpResponse::Accepted().finish())
}
