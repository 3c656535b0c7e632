//! The errors of the layers below, each as the contract's problem: the service layer's, and the
//! store's (an outage is 503, input the database cannot hold is 400, a reference removed by a
//! concurrent change is 409, anything else a 500 whose cause is logged).

use super::{ApiError, ErrorCode, FieldError};

impl From<credvault_store::StoreError> for ApiError {
    fn from(e: credvault_store::StoreError) -> Self {
        if e.is_unavailable() {
            return ApiError::unavailable(e);
        }
        // Data exceptions (class 22) are input the database cannot hold, such as a NUL
        // character in text: the client's to fix, not a server fault.
        if e.sqlstate().is_some_and(|c| c.starts_with("22")) {
            return ApiError::invalid("a value cannot be stored (for example it contains a NUL character or is out of range)");
        }
        // One of these foreign keys found its row gone: checked first, then removed by a
        // concurrent change (a user erased, a credential purged, while something was being
        // given to them or pointed at it). Any other violation is a bug: a 500, logged.
        const RACES: [&str; 3] = [
            "credentials_owner_fkey",
            "workflows_owner_fkey",
            "workflow_credentials_workspace_id_credential_id_fkey",
        ];
        if e.sqlstate() == Some("23503") {
            if let Some(c) = e.constraint().filter(|c| RACES.contains(c)) {
                tracing::warn!(
                    constraint = c,
                    "a reference was removed by a concurrent change; answered 409"
                );
                return ApiError::new(
                    ErrorCode::Conflict,
                    "something this change refers to was removed at the same moment: reload it and retry",
                );
            }
        }
        ApiError::internal(e)
    }
}

/// The service layer's errors, each as the contract's problem.
impl From<credvault_service::ServiceError> for ApiError {
    fn from(e: credvault_service::ServiceError) -> Self {
        use credvault_service::ServiceError as S;
        let retry = |err: ApiError, after: Option<u64>| match after {
            Some(s) => err.with_retry_after(s),
            None => err,
        };
        match e {
            S::Unauthenticated(d) => ApiError::new(ErrorCode::Unauthenticated, d),
            S::Invalid(d) => ApiError::invalid(d),
            S::InvalidState(d) => ApiError::new(ErrorCode::InvalidState, d),
            S::InvalidCredentials(d) => ApiError::new(ErrorCode::InvalidCredentials, d),
            S::AccountDisabled(d) => ApiError::new(ErrorCode::AccountDisabled, d),
            S::SsoRefused(d) => ApiError::new(ErrorCode::SsoRefused, d),
            S::SsoRequired(d) => ApiError::new(ErrorCode::SsoRequired, d),
            S::RateLimited {
                detail,
                retry_after,
            } => ApiError::new(ErrorCode::RateLimited, detail).with_retry_after(retry_after),
            S::IdempotencyKeyReused(d) => ApiError::new(ErrorCode::IdempotencyKeyReused, d),
            S::Fault(d) => ApiError::new(ErrorCode::Internal, d),
            S::NotFound(what) => ApiError::not_found(what),
            S::Forbidden(d) => ApiError::new(ErrorCode::Forbidden, d),
            S::Deleted(d) => ApiError::new(ErrorCode::CredentialDeleted, d),
            S::Expired(d) => ApiError::new(ErrorCode::CredentialExpired, d),
            S::PreconditionFailed(d) => ApiError::new(ErrorCode::PreconditionFailed, d),
            S::Conflict(d) => ApiError::new(ErrorCode::Conflict, d),
            S::Validation(fields) => ApiError::validation(
                fields
                    .into_iter()
                    .map(|f| FieldError {
                        field: f.field,
                        message: f.message,
                    })
                    .collect(),
            ),
            S::ReauthorizationRequired {
                detail,
                authorization_url,
            } => {
                let mut err = ApiError::new(ErrorCode::ReauthorizationRequired, detail);
                err.authorization_url = authorization_url;
                err
            }
            S::Upstream {
                detail,
                retry_after,
            } => retry(
                ApiError::new(ErrorCode::UpstreamUnavailable, detail),
                retry_after,
            ),
            S::Unavailable {
                detail,
                retry_after,
            } => retry(ApiError::new(ErrorCode::Unavailable, detail), retry_after),
            S::Store(e) => e.into(),
            S::Internal(e) => ApiError::internal(e),
        }
    }
}

impl From<deadpool_postgres::PoolError> for ApiError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        ApiError::unavailable(e)
    }
}

impl From<tokio_postgres::Error> for ApiError {
    fn from(e: tokio_postgres::Error) -> Self {
        credvault_store::StoreError::from(e).into()
    }
}
