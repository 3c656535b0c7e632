//! Operations endpoints: liveness, readiness, metrics.

use std::sync::Arc;

use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorCode};
use crate::metrics::Metrics;
use crate::openapi::rights::Doc;
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(value_type = crate::openapi::enums::edge::HealthStatus)]
    pub status: String,
}

/// Liveness: the process is up.
#[utoipa::path(
    tag = "operations",
    operation_id = "healthz", description = Doc::public().reads(),
    summary = "Liveness probe",
    security(()),
    responses(
        (status = 200, description = "The process is up", body = Health),
        (status = 431, description = "Request headers over 16 KiB in all (`request_header_fields_too_large`)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "ok".into(),
    })
}

/// Readiness: the database answers and every migration is applied.
#[utoipa::path(
    tag = "operations",
    operation_id = "readyz", description = Doc::public().reads(),
    summary = "Readiness probe",
    security(()),
    responses(
        (status = 200, description = "Ready to serve", body = Health),
        (status = 431, description = "Request headers over 16 KiB in all (`request_header_fields_too_large`)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Database unreachable, migrations pending or shutting down (`unavailable`)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<Arc<AppState>>) -> Result<HttpResponse, ApiError> {
    if state.draining.load(std::sync::atomic::Ordering::SeqCst) {
        return Err(ApiError::new(ErrorCode::Unavailable, "shutting down"));
    }
    let client = state.pool.get().await?;
    let version = credvault_store::migrate::current_version(&client).await?;
    let latest = credvault_store::migrate::latest_version();
    if version < latest {
        return Err(ApiError::new(
            ErrorCode::Unavailable,
            format!("database schema is at version {version}, this build needs {latest}: run `credvault migrate`"),
        ));
    }
    Ok(HttpResponse::Ok().json(Health {
        status: "ready".into(),
    }))
}

/// Prometheus metrics: request counts and latency per route and status, pool usage.
#[utoipa::path(
    tag = "operations",
    operation_id = "metrics", description = Doc::public().reads(),
    summary = "Prometheus metrics",
    security(()),
    responses(
        (status = 200, description = "Prometheus text exposition", body = String, content_type = "text/plain"),
        (status = 431, description = "Request headers over 16 KiB in all (`request_header_fields_too_large`)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/metrics")]
pub async fn metrics(state: web::Data<Arc<AppState>>, metrics: web::Data<Metrics>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(metrics.render(&state))
}
