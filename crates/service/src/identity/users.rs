//! The users of a workspace: everyone reads, owners and admins add and change them (only an owner
//! touches an owner, and the last owner stays one).

use credvault_domain::identity::Role;
use credvault_domain::validate::{DisplayName, Email, Password};
use credvault_store::identity::{self as store, NewUser, TeamRow, UserRow};
use uuid::Uuid;

use crate::audit::Event;
use crate::error::ServiceError;
use crate::principal::Principal;
use crate::services::Services;

/// A user with the teams they are in.
pub struct Profile {
    pub user: UserRow,
    pub teams: Vec<TeamRow>,
}

/// A new user, its fields already valid.
pub struct NewMember {
    pub email: Email,
    pub display_name: DisplayName,
    pub role: Role,
    pub password: Password,
}

/// What an update changes; `None` leaves a field as it is.
pub struct UserChange {
    pub display_name: Option<DisplayName>,
    pub role: Option<Role>,
    /// Disabling ends the user's sessions and tokens.
    pub disabled: Option<bool>,
}

/// The caller as a person, with their teams.
pub async fn me(services: &Services, principal: &Principal) -> Result<Profile, ServiceError> {
    let user = principal.person()?.clone();
    let client = services.pool.get().await?;
    let teams = store::teams_of(&client, principal.workspace_id, user.id).await?;
    Ok(Profile { user, teams })
}

/// A page of the workspace's users after `after`, and whether more follow.
pub async fn list(
    services: &Services,
    principal: &Principal,
    after: Option<Uuid>,
    limit: i64,
) -> Result<(Vec<Profile>, bool), ServiceError> {
    let ws = principal.workspace_id;
    let client = services.pool.get().await?;
    let rows = store::list_users(&client, ws, after, limit + 1).await?;
    let more = rows.len() as i64 > limit;
    let mut items = Vec::new();
    for user in rows.into_iter().take(limit as usize) {
        let teams = store::teams_of(&client, ws, user.id).await?;
        items.push(Profile { user, teams });
    }
    Ok((items, more))
}

/// One user of the workspace.
pub async fn get(
    services: &Services,
    principal: &Principal,
    id: Uuid,
) -> Result<Profile, ServiceError> {
    let client = services.pool.get().await?;
    let user = store::user_by_id(&client, principal.workspace_id, id)
        .await?
        .ok_or(ServiceError::NotFound("user"))?;
    let teams = store::teams_of(&client, principal.workspace_id, user.id).await?;
    Ok(Profile { user, teams })
}

/// Adds a user to the caller's workspace.
pub async fn create(
    services: &Services,
    principal: &Principal,
    new: NewMember,
) -> Result<UserRow, ServiceError> {
    if new.role == Role::Owner && principal.role() != Some(Role::Owner) {
        return Err(ServiceError::Forbidden(
            "only an owner can make another owner".into(),
        ));
    }
    let hash = super::hash_password(&new.password).await?;
    let mut client = services.pool.get().await?;
    let tx = client.transaction().await?;
    let row = NewUser {
        workspace_id: principal.workspace_id,
        id: Uuid::now_v7(),
        email: new.email.as_str(),
        display_name: new.display_name.as_str(),
        role: new.role.as_str(),
        password_hash: &hash,
    };
    let user = store::insert_user(&tx, &row)
        .await?
        .ok_or_else(|| ServiceError::Conflict("a user with this email already exists".into()))?;
    let ev = Event::new("user.created")
        .target("user", user.id, Some(user.display_name.clone()))
        .detail("role", new.role.as_str());
    principal.record(&tx, [ev]).await?;
    tx.commit().await?;
    Ok(user)
}

/// Changes a user's name, role or disabled flag. Disabling ends their sessions and tokens, each
/// on the record like any revocation; the engine tokens an owner made end when they are disabled
/// or stop being an owner.
pub async fn update(
    services: &Services,
    principal: &Principal,
    id: Uuid,
    change: UserChange,
) -> Result<Profile, ServiceError> {
    let ws = principal.workspace_id;
    let UserChange {
        display_name: display,
        role,
        disabled,
    } = change;
    let mut client = services.pool.get().await?;
    let tx = client.transaction().await?;
    let owners = store::lock_active_owners(&tx, ws).await?;
    let before = store::lock_user(&tx, ws, id)
        .await?
        .ok_or(ServiceError::NotFound("user"))?;
    let touches_owner = before.role == "owner" || role == Some(Role::Owner);
    if touches_owner && principal.role() != Some(Role::Owner) {
        return Err(ServiceError::Forbidden(
            "only an owner can change an owner or make one".into(),
        ));
    }
    let loses_owner = before.role == "owner"
        && !before.disabled
        && (role.is_some_and(|r| r != Role::Owner) || disabled == Some(true));
    if loses_owner && owners <= 1 {
        return Err(ServiceError::Conflict(
            "this is the workspace's last owner: make someone else owner first".into(),
        ));
    }
    let user = store::update_user(
        &tx,
        ws,
        id,
        display.as_ref().map(|d| d.as_str()),
        role.map(|r| r.as_str()),
        disabled,
    )
    .await?
    .ok_or(ServiceError::NotFound("user"))?;
    let mut revoked = Vec::new();
    let disabled_now = disabled == Some(true) && !before.disabled;
    if disabled_now {
        for sid in store::revoke_sessions_except(&tx, ws, user.id, None).await? {
            revoked.push(
                Event::new("session.revoked")
                    .target("session", sid, None)
                    .detail("reason", "user disabled"),
            );
        }
        for (tid, name) in store::revoke_user_tokens(&tx, ws, user.id).await? {
            revoked.push(
                Event::new("token.revoked")
                    .target("token", tid, Some(name))
                    .detail("reason", "user disabled"),
            );
        }
    }
    let demoted = before.role == "owner" && user.role != "owner";
    if disabled_now || demoted {
        let reason = if disabled_now {
            "creator disabled"
        } else {
            "creator no longer an owner"
        };
        for (tid, name) in store::revoke_engine_tokens_of_creator(&tx, ws, user.id).await? {
            revoked.push(
                Event::new("token.revoked")
                    .target("token", tid, Some(name))
                    .detail("kind", "engine")
                    .detail("reason", reason),
            );
        }
    }
    let mut ev =
        Event::new("user.updated").target("user", user.id, Some(user.display_name.clone()));
    if let Some(r) = role {
        ev = ev.detail("role", r.as_str());
    }
    if let Some(d) = disabled {
        ev = ev.detail("disabled", d);
    }
    if display.is_some() {
        ev = ev.detail("display_name_changed", true);
    }
    principal
        .record(&tx, std::iter::once(ev).chain(revoked))
        .await?;
    tx.commit().await?;
    let teams = store::teams_of(&client, ws, user.id).await?;
    Ok(Profile { user, teams })
}
