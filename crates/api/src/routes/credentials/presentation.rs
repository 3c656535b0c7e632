//! A credential as the API shows it: the service's view turned into the response bodies, secrets
//! masked. Masking happens here and nowhere else.

use actix_web::http::{header, StatusCode};
use actix_web::HttpResponse;
use credvault_domain::credential as rules;
use credvault_domain::credential_access::Access;
use credvault_service::credentials::{etag, status_of, CredentialView, Detail};
use credvault_store::credentials::CredentialRow;
use serde_json::Value;

use crate::error::ApiError;
use crate::routes::credential_dto::{
    ConnectedWorkflow, Credential, CredentialDetails, CredentialSummary, OwnerRef, Share, Usage,
};

/// What lists show, and all a `use`-only caller sees.
pub fn summary(cred: &CredentialRow, access: Access) -> CredentialSummary {
    CredentialSummary {
        id: cred.id,
        name: cred.name.clone(),
        service: cred.service.clone(),
        kind: cred.kind.clone(),
        status: status_of(cred).as_str().to_string(),
        last_used_at: cred.last_used_at,
        shared: cred.shared,
        owner: OwnerRef {
            id: cred.owner_id,
            display_name: cred.owner_display.clone(),
        },
        access: access.as_str().to_string(),
        environment: cred.environment.clone(),
        tags: cred.tags.clone(),
        version: cred.current_version,
        created_at: cred.created_at,
        updated_at: cred.updated_at,
    }
}

/// Everything a `view` caller sees, secrets masked.
fn full(cred: &CredentialRow, access: Access, detail: &Detail) -> Credential {
    let [total, last_24h, last_7d, last_30d] = detail.usage;
    let details = CredentialDetails {
        description: cred.description.clone(),
        status_detail: cred.status_detail.clone(),
        expires_at: cred.expires_at,
        rotation_period_days: cred.rotation_period_days,
        rotated_at: cred.rotated_at,
        rotation_due_at: rules::rotation_due_at(
            cred.created_at,
            cred.rotated_at,
            cred.rotation_period_days,
        ),
        test: cred.test.clone(),
        secret_fields: cred.secret_fields.clone(),
        usage: Some(Usage {
            total,
            last_24h,
            last_7d,
            last_30d,
            last_used_at: cred.last_used_at,
        }),
        connected_workflows: Some(
            (detail.workflows.iter())
                .map(|(id, name, last_used_at)| ConnectedWorkflow {
                    id: id.clone(),
                    name: name.clone(),
                    last_used_at: *last_used_at,
                })
                .collect(),
        ),
        shares: Some(detail.shares.iter().cloned().map(Share::from).collect()),
    };
    Credential {
        summary: summary(cred, access),
        details,
        data: rules::masked_view(&detail.data),
    }
}

/// The body for a view: the summary for `use`, the full credential from `view` up.
pub fn body(view: &CredentialView) -> Result<Value, serde_json::Error> {
    match &view.detail {
        None => serde_json::to_value(summary(&view.cred, view.access)),
        Some(d) => serde_json::to_value(full(&view.cred, view.access, d)),
    }
}

/// The answer for a single credential: its body with its ETag (and the body, for an idempotency
/// record).
pub fn respond(
    view: &CredentialView,
    status: StatusCode,
) -> Result<(HttpResponse, Value), ApiError> {
    let tag = etag(&view.cred);
    let body = body(view).map_err(ApiError::internal)?;
    let res = HttpResponse::build(status)
        .insert_header((header::ETAG, tag))
        .json(&body);
    Ok((res, body))
}
