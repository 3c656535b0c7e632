//! Workspaces, users, teams, sessions, refresh tokens and API tokens.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;
use uuid::Uuid;

use crate::StoreError;

mod gdpr;
mod sessions;
mod signin;
mod teams;
mod tokens;

pub use gdpr::*;
pub use sessions::*;
pub use signin::*;
pub use teams::*;
pub use tokens::*;

#[derive(Debug, Clone)]
pub struct UserRow {
    pub workspace_id: Uuid,
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
}

const USER_COLS: &str = "workspace_id, id, email, display_name, role, disabled, created_at";

fn user(r: &Row) -> UserRow {
    UserRow {
        workspace_id: r.get(0),
        id: r.get(1),
        email: r.get(2),
        display_name: r.get(3),
        role: r.get(4),
        disabled: r.get(5),
        created_at: r.get(6),
    }
}

/// Serialises sign-ups so that `CREDVAULT_SIGNUP=first` admits exactly one workspace.
pub async fn lock_signups(c: &impl GenericClient) -> Result<(), StoreError> {
    c.execute(
        &c.prepare_cached("SELECT pg_advisory_xact_lock(7243001)")
            .await?,
        &[],
    )
    .await?;
    Ok(())
}

pub async fn workspace_count(c: &impl GenericClient) -> Result<i64, StoreError> {
    Ok(c.query_one(
        &c.prepare_cached("SELECT count(*) FROM workspaces").await?,
        &[],
    )
    .await?
    .get(0))
}

pub async fn insert_workspace(
    c: &impl GenericClient,
    id: Uuid,
    name: &str,
) -> Result<DateTime<Utc>, StoreError> {
    Ok(c.query_one(
        &c.prepare_cached("INSERT INTO workspaces (id, name) VALUES ($1, $2) RETURNING created_at")
            .await?,
        &[&id, &name],
    )
    .await?
    .get(0))
}

pub struct NewUser<'a> {
    pub workspace_id: Uuid,
    pub id: Uuid,
    pub email: &'a str,
    pub display_name: &'a str,
    pub role: &'a str,
    pub password_hash: &'a str,
}

/// Inserts a user; `Ok(None)` when the email is taken (anywhere in the deployment).
pub async fn insert_user(
    c: &impl GenericClient,
    u: &NewUser<'_>,
) -> Result<Option<UserRow>, StoreError> {
    let row = c
        .query_opt(
            &c.prepare_cached(&format!(
                "INSERT INTO users (workspace_id, id, email, display_name, role, password_hash)
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING {USER_COLS}"
            ))
            .await?,
            &[
                &u.workspace_id,
                &u.id,
                &u.email,
                &u.display_name,
                &u.role,
                &u.password_hash,
            ],
        )
        .await?;
    Ok(row.as_ref().map(user))
}

/// The user with this email (case-insensitive) and their password hash, for sign-in.
pub async fn user_by_email(
    c: &impl GenericClient,
    email: &str,
) -> Result<Option<(UserRow, String)>, StoreError> {
    let row = c
        .query_opt(
            &c.prepare_cached(&format!(
                "SELECT {USER_COLS}, password_hash FROM users WHERE lower(email) = lower($1)"
            ))
            .await?,
            &[&email],
        )
        .await?;
    Ok(row.map(|r| (user(&r), r.get(7))))
}

pub async fn user_by_id(
    c: &impl GenericClient,
    ws: Uuid,
    id: Uuid,
) -> Result<Option<UserRow>, StoreError> {
    user_with_lock(c, ws, id, "").await
}

/// One user, read with `lock` (a locking clause, or nothing).
async fn user_with_lock(
    c: &impl GenericClient,
    ws: Uuid,
    id: Uuid,
    lock: &str,
) -> Result<Option<UserRow>, StoreError> {
    let row = c
        .query_opt(
            &c.prepare_cached(&format!(
                "SELECT {USER_COLS} FROM users WHERE workspace_id = $1 AND id = $2 {lock}"
            ))
            .await?,
            &[&ws, &id],
        )
        .await?;
    Ok(row.as_ref().map(user))
}

/// A user about to be referenced (a credential's or workflow's new owner), locked FOR KEY SHARE
/// before the thing that will refer to them: their erasure locks them first, then what they own,
/// so it either finishes before this reads them or waits for this change (no deadlock, no
/// reference to someone erased).
pub async fn user_for_reference(
    c: &impl GenericClient,
    ws: Uuid,
    id: Uuid,
) -> Result<Option<UserRow>, StoreError> {
    user_with_lock(c, ws, id, "FOR KEY SHARE").await
}

pub async fn password_hash(
    c: &impl GenericClient,
    ws: Uuid,
    id: Uuid,
) -> Result<Option<String>, StoreError> {
    let row = c
        .query_opt(
            &c.prepare_cached(
                "SELECT password_hash FROM users WHERE workspace_id = $1 AND id = $2",
            )
            .await?,
            &[&ws, &id],
        )
        .await?;
    Ok(row.map(|r| r.get(0)))
}

pub async fn set_password(
    c: &impl GenericClient,
    ws: Uuid,
    id: Uuid,
    hash: &str,
) -> Result<(), StoreError> {
    c.execute(
        &c.prepare_cached("UPDATE users SET password_hash = $3, updated_at = now() WHERE workspace_id = $1 AND id = $2").await?,
        &[&ws, &id, &hash],
    )
    .await?;
    Ok(())
}

/// Users of a workspace after `after` (by id), up to `limit`.
pub async fn list_users(
    c: &impl GenericClient,
    ws: Uuid,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<UserRow>, StoreError> {
    let rows = c
        .query(
            &c.prepare_cached(&format!(
                "SELECT {USER_COLS} FROM users WHERE workspace_id = $1 AND ($2::uuid IS NULL OR id > $2)
                 ORDER BY id LIMIT $3"
            )).await?,
            &[&ws, &after, &limit],
        )
        .await?;
    Ok(rows.iter().map(user).collect())
}

/// Locks the user's row and returns it, for changes that check invariants (the last owner).
pub async fn lock_user(
    c: &impl GenericClient,
    ws: Uuid,
    id: Uuid,
) -> Result<Option<UserRow>, StoreError> {
    user_with_lock(c, ws, id, "FOR UPDATE").await
}

/// Active owners of the workspace, locked, so two demotions cannot both pass the check. FOR NO
/// KEY UPDATE: it keeps other changes to those users out, but not the key-share lock a
/// credential's owner check takes (a transfer to an owner waits for nothing here).
pub async fn lock_active_owners(c: &impl GenericClient, ws: Uuid) -> Result<i64, StoreError> {
    let rows = c
        .query(
            &c.prepare_cached("SELECT id FROM users WHERE workspace_id = $1 AND role = 'owner' AND NOT disabled FOR NO KEY UPDATE").await?,
            &[&ws],
        )
        .await?;
    Ok(rows.len() as i64)
}

pub async fn update_user(
    c: &impl GenericClient,
    ws: Uuid,
    id: Uuid,
    display_name: Option<&str>,
    role: Option<&str>,
    disabled: Option<bool>,
) -> Result<Option<UserRow>, StoreError> {
    let row = c
        .query_opt(
            &c.prepare_cached(&format!(
                "UPDATE users SET display_name = coalesce($3, display_name), role = coalesce($4, role),
                        disabled = coalesce($5, disabled), updated_at = now()
                 WHERE workspace_id = $1 AND id = $2 RETURNING {USER_COLS}"
            )).await?,
            &[&ws, &id, &display_name, &role, &disabled],
        )
        .await?;
    Ok(row.as_ref().map(user))
}
