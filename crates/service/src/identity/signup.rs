//! Creating a workspace with its first owner (sign-up), as the deployment's sign-up setting
//! allows.

use credvault_domain::validate::{DisplayName, Email, Name, Password};
use credvault_store::identity::{self as store, NewUser, UserRow};
use uuid::Uuid;

use super::sessions::{self, Tokens};
use crate::audit::{Event, Origin};
use crate::error::ServiceError;
use crate::services::{Services, Signup};

/// A sign-up, its fields already valid.
pub struct NewWorkspace {
    pub workspace_name: Name,
    pub email: Email,
    pub password: Password,
    pub display_name: DisplayName,
}

/// The new workspace, its owner and their first session.
pub struct SignedUp {
    pub workspace_id: Uuid,
    pub workspace_name: Name,
    pub owner: UserRow,
    pub tokens: Tokens,
}

/// Creates a workspace with its first owner, signed in from `origin`.
pub async fn create_workspace(
    services: &Services,
    origin: Origin,
    new: NewWorkspace,
) -> Result<SignedUp, ServiceError> {
    let signup = services.settings.signup;
    if signup == Signup::Closed {
        return Err(ServiceError::Forbidden(
            "sign-up is closed on this deployment (CREDVAULT_SIGNUP=closed)".into(),
        ));
    }
    let hash = super::hash_password(&new.password).await?;
    let mut client = services.pool.get().await?;
    let tx = client.transaction().await?;
    store::lock_signups(&tx).await?;
    if signup == Signup::First && store::workspace_count(&tx).await? > 0 {
        return Err(ServiceError::Forbidden("sign-up is closed: this deployment already has a workspace (CREDVAULT_SIGNUP=first); ask its owner to invite you".into()));
    }
    let ws = Uuid::now_v7();
    store::insert_workspace(&tx, ws, new.workspace_name.as_str()).await?;
    let row = NewUser {
        workspace_id: ws,
        id: Uuid::now_v7(),
        email: new.email.as_str(),
        display_name: new.display_name.as_str(),
        role: "owner",
        password_hash: &hash,
    };
    let user = store::insert_user(&tx, &row)
        .await?
        .ok_or_else(|| ServiceError::Conflict("a user with this email already exists".into()))?;
    let created = Event::new("user.created")
        .target("user", user.id, Some(user.display_name.clone()))
        .detail("role", "owner");
    let tokens =
        sessions::sign_in(&tx, services, &user, &origin, vec![created], "password").await?;
    tx.commit().await?;
    Ok(SignedUp {
        workspace_id: ws,
        workspace_name: new.workspace_name,
        owner: user,
        tokens,
    })
}
