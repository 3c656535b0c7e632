//! People and how they come in: sign-up, sign-in, sessions and the password, the users of a
//! workspace, their erasure (GDPR) and the export of what is stored about them.

use credvault_domain::validate::Password;
use secrecy::SecretString;

use crate::error::ServiceError;

pub mod erasure;
pub mod export;
pub mod sessions;
pub mod signin;
pub mod signup;
pub mod users;

/// Argon2 is slow on purpose: the hash is made off the async workers.
pub(crate) async fn hash_password(p: &Password) -> Result<String, ServiceError> {
    let secret = SecretString::from(p.expose().to_string());
    tokio::task::spawn_blocking(move || credvault_crypto::hash_password(&secret))
        .await
        .map_err(ServiceError::internal)?
        .map_err(ServiceError::internal)
}
