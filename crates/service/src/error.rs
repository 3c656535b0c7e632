//! The service layer's one error: what went wrong in the terms of the contract, never in HTTP's.
//! The API maps each variant to its status and problem code, next to its error-code table.

use credvault_store::StoreError;

/// A field a request got wrong: a path such as `data.key`, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// No valid credentials came with the request: what to send instead.
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// The request cannot be understood as sent (not a field's value: its form).
    #[error("{0}")]
    Invalid(String),
    /// An OAuth authorization state that is unknown, used or expired.
    #[error("{0}")]
    InvalidState(String),
    /// A sign-in with a wrong email or password.
    #[error("{0}")]
    InvalidCredentials(String),
    /// A sign-in to a disabled account.
    #[error("{0}")]
    AccountDisabled(String),
    /// A single sign-on that cannot be accepted (the ID token, the email): why.
    #[error("{0}")]
    SsoRefused(String),
    /// Password sign-in where the workspace requires single sign-on.
    #[error("{0}")]
    SsoRequired(String),
    /// Too many attempts: wait `retry_after` seconds.
    #[error("{detail}")]
    RateLimited { detail: String, retry_after: u64 },
    /// An `Idempotency-Key` sent again with another request.
    #[error("{0}")]
    IdempotencyKeyReused(String),
    /// No such thing, or not one the caller may know of.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The caller may see it but not do this.
    #[error("{0}")]
    Forbidden(String),
    /// The credential is soft-deleted (or its keys were destroyed).
    #[error("{0}")]
    Deleted(String),
    /// The credential has expired.
    #[error("{0}")]
    Expired(String),
    /// `If-Match` named another version.
    #[error("{0}")]
    PreconditionFailed(String),
    /// A change that collides with another, or with the state of things.
    #[error("{0}")]
    Conflict(String),
    /// The request's fields break the rules, one entry each.
    #[error("invalid fields")]
    Validation(Vec<FieldProblem>),
    /// The provider refused the grant: a person must authorize again.
    #[error("{detail}")]
    ReauthorizationRequired {
        detail: String,
        authorization_url: Option<String>,
    },
    /// Another service (a token endpoint) cannot be reached now.
    #[error("{detail}")]
    Upstream {
        detail: String,
        retry_after: Option<u64>,
    },
    /// This service cannot take the request now (a queue is full, the audit log cannot be
    /// written).
    #[error("{detail}")]
    Unavailable {
        detail: String,
        retry_after: Option<u64>,
    },
    /// The database said no; the API decides what the client is told (see its mapping).
    #[error("database: {0}")]
    Store(#[from] StoreError),
    /// A fault of ours already logged with its cause, answered with what the client may know.
    #[error("{0}")]
    Fault(String),
    /// A fault of ours: logged with its cause, answered without it.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ServiceError {
    pub fn internal(e: impl Into<anyhow::Error>) -> ServiceError {
        ServiceError::Internal(e.into())
    }

    pub fn invalid(detail: impl Into<String>) -> ServiceError {
        ServiceError::Invalid(detail.into())
    }

    pub fn field(field: &str, message: impl Into<String>) -> ServiceError {
        ServiceError::Validation(vec![FieldProblem {
            field: field.to_owned(),
            message: message.into(),
        }])
    }
}

impl From<deadpool_postgres::PoolError> for ServiceError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        ServiceError::Store(StoreError::Unavailable(e))
    }
}

impl From<tokio_postgres::Error> for ServiceError {
    fn from(e: tokio_postgres::Error) -> Self {
        ServiceError::Store(StoreError::Db(e))
    }
}
