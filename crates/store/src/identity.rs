//! Workspaces, users, teams, sessions, refresh tokens and API tokens.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;
use uuid::Uuid;

use crate::StoreError;

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
    c.execute("SELECT pg_advisory_xact_lock(7243001)", &[])
        .await?;
    Ok(())
}

pub async fn workspace_count(c: &impl GenericClient) -> Result<i64, StoreError> {
    Ok(c.query_one("SELECT count(*) FROM workspaces", &[])
        .await?
        .get(0))
}

pub async fn insert_workspace(
    c: &impl GenericClient,
    id: Uuid,
    name: &str,
) -> Result<DateTime<Utc>, StoreError> {
    Ok(c.query_one(
        "INSERT INTO workspaces (id, name) VALUES ($1, $2) RETURNING created_at",
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
            &format!(
                "INSERT INTO users (workspace_id, id, email, display_name, role, password_hash)
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING {USER_COLS}"
            ),
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
            &format!("SELECT {USER_COLS}, password_hash FROM users WHERE lower(email) = lower($1)"),
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
            &format!("SELECT {USER_COLS} FROM users WHERE workspace_id = $1 AND id = $2 {lock}"),
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
            "SELECT password_hash FROM users WHERE workspace_id = $1 AND id = $2",
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
        "UPDATE users SET password_hash = $3, updated_at = now() WHERE workspace_id = $1 AND id = $2",
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
            &format!(
                "SELECT {USER_COLS} FROM users WHERE workspace_id = $1 AND ($2::uuid IS NULL OR id > $2)
                 ORDER BY id LIMIT $3"
            ),
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
            "SELECT id FROM users WHERE workspace_id = $1 AND role = 'owner' AND NOT disabled FOR NO KEY UPDATE",
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
            &format!(
                "UPDATE users SET display_name = coalesce($3, display_name), role = coalesce($4, role),
                        disabled = coalesce($5, disabled), updated_at = now()
                 WHERE workspace_id = $1 AND id = $2 RETURNING {USER_COLS}"
            ),
            &[&ws, &id, &display_name, &role, &disabled],
        )
        .await?;
    Ok(row.as_ref().map(user))
}

// ---- sessions and refresh tokens ----

pub async fn insert_session(
    c: &impl GenericClient,
    ws: Uuid,
    id: Uuid,
    user_id: Uuid,
    ip: Option<&str>,
    user_agent: Option<&str>,
) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO sessions (workspace_id, id, user_id, ip, user_agent) VALUES ($1, $2, $3, $4, $5)",
        &[&ws, &id, &user_id, &ip, &user_agent],
    )
    .await?;
    Ok(())
}

pub async fn insert_refresh_token(
    c: &impl GenericClient,
    ws: Uuid,
    session_id: Uuid,
    hash: &[u8],
) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO refresh_tokens (token_hash, workspace_id, session_id) VALUES ($1, $2, $3)",
        &[&hash, &ws, &session_id],
    )
    .await?;
    Ok(())
}

pub struct RefreshLookup {
    pub workspace_id: Uuid,
    pub session_id: Uuid,
    pub user_id: Uuid,
    pub already_used: bool,
    pub session_revoked: bool,
    pub user_disabled: bool,
    pub session_created_at: DateTime<Utc>,
    pub session_last_seen_at: DateTime<Utc>,
}

/// Finds a refresh token and locks it, so that two concurrent uses cannot both rotate it.
pub async fn lock_refresh_token(
    c: &impl GenericClient,
    hash: &[u8],
) -> Result<Option<RefreshLookup>, StoreError> {
    let row = c
        .query_opt(
            "SELECT r.workspace_id, r.session_id, s.user_id, r.used_at IS NOT NULL, s.revoked_at IS NOT NULL, u.disabled,
                    s.created_at, s.last_seen_at
             FROM refresh_tokens r
             JOIN sessions s ON s.workspace_id = r.workspace_id AND s.id = r.session_id
             JOIN users u ON u.workspace_id = s.workspace_id AND u.id = s.user_id
             WHERE r.token_hash = $1 FOR UPDATE OF r",
            &[&hash],
        )
        .await?;
    Ok(row.map(|r| RefreshLookup {
        workspace_id: r.get(0),
        session_id: r.get(1),
        user_id: r.get(2),
        already_used: r.get(3),
        session_revoked: r.get(4),
        user_disabled: r.get(5),
        session_created_at: r.get(6),
        session_last_seen_at: r.get(7),
    }))
}

pub async fn mark_refresh_used(c: &impl GenericClient, hash: &[u8]) -> Result<(), StoreError> {
    c.execute(
        "UPDATE refresh_tokens SET used_at = now() WHERE token_hash = $1",
        &[&hash],
    )
    .await?;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct SessionRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

fn session(r: &Row) -> SessionRow {
    SessionRow {
        id: r.get(0),
        user_id: r.get(1),
        created_at: r.get(2),
        last_seen_at: r.get(3),
        revoked_at: r.get(4),
        ip: r.get(5),
        user_agent: r.get(6),
    }
}

const SESSION_COLS: &str = "id, user_id, created_at, last_seen_at, revoked_at, ip, user_agent";

/// What a request needs to know about its session: is it live, and who is its user now.
pub struct SessionAuth {
    pub revoked: bool,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub user: UserRow,
}

pub async fn session_auth(
    c: &impl GenericClient,
    ws: Uuid,
    session_id: Uuid,
) -> Result<Option<SessionAuth>, StoreError> {
    let stmt = c
        .prepare_cached(
            "SELECT s.revoked_at IS NOT NULL, s.created_at, s.last_seen_at,
                    u.workspace_id, u.id, u.email, u.display_name, u.role, u.disabled, u.created_at
             FROM sessions s JOIN users u ON u.workspace_id = s.workspace_id AND u.id = s.user_id
             WHERE s.workspace_id = $1 AND s.id = $2",
        )
        .await?;
    let row = c.query_opt(&stmt, &[&ws, &session_id]).await?;
    Ok(row.map(|r| SessionAuth {
        revoked: r.get(0),
        created_at: r.get(1),
        last_seen_at: r.get(2),
        user: UserRow {
            workspace_id: r.get(3),
            id: r.get(4),
            email: r.get(5),
            display_name: r.get(6),
            role: r.get(7),
            disabled: r.get(8),
            created_at: r.get(9),
        },
    }))
}

pub async fn touch_session(c: &impl GenericClient, ws: Uuid, id: Uuid) -> Result<(), StoreError> {
    c.execute(
        "UPDATE sessions SET last_seen_at = now() WHERE workspace_id = $1 AND id = $2",
        &[&ws, &id],
    )
    .await?;
    Ok(())
}

pub async fn list_sessions(
    c: &impl GenericClient,
    ws: Uuid,
    user_id: Uuid,
) -> Result<Vec<SessionRow>, StoreError> {
    let rows = c
        .query(
            &format!(
                "SELECT {SESSION_COLS} FROM sessions WHERE workspace_id = $1 AND user_id = $2 AND revoked_at IS NULL
                 ORDER BY created_at DESC"
            ),
            &[&ws, &user_id],
        )
        .await?;
    Ok(rows.iter().map(session).collect())
}

/// Revokes one session of this user; false when there is no such live session.
pub async fn revoke_session(
    c: &impl GenericClient,
    ws: Uuid,
    user_id: Uuid,
    id: Uuid,
) -> Result<bool, StoreError> {
    Ok(c.execute(
        "UPDATE sessions SET revoked_at = now() WHERE workspace_id = $1 AND user_id = $2 AND id = $3 AND revoked_at IS NULL",
        &[&ws, &user_id, &id],
    )
    .await?
        == 1)
}

/// Revokes every live session of the user except `keep`; returns their ids.
pub async fn revoke_sessions_except(
    c: &impl GenericClient,
    ws: Uuid,
    user_id: Uuid,
    keep: Option<Uuid>,
) -> Result<Vec<Uuid>, StoreError> {
    let rows = c
        .query(
            "UPDATE sessions SET revoked_at = now()
             WHERE workspace_id = $1 AND user_id = $2 AND revoked_at IS NULL AND ($3::uuid IS NULL OR id <> $3)
             RETURNING id",
            &[&ws, &user_id, &keep],
        )
        .await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

// ---- API tokens ----

#[derive(Debug, Clone)]
pub struct TokenRow {
    pub workspace_id: Uuid,
    pub id: Uuid,
    pub name: String,
    pub kind: String,
    pub user_id: Option<Uuid>,
    pub scopes: Vec<String>,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    /// Who made it (for an engine token, the owner whose standing it depends on).
    pub created_by: Uuid,
}

const TOKEN_COLS: &str =
    "workspace_id, id, name, kind, user_id, scopes, prefix, created_at, expires_at, last_used_at, created_by";

fn token(r: &Row) -> TokenRow {
    TokenRow {
        workspace_id: r.get(0),
        id: r.get(1),
        name: r.get(2),
        kind: r.get(3),
        user_id: r.get(4),
        scopes: r.get(5),
        prefix: r.get(6),
        created_at: r.get(7),
        expires_at: r.get(8),
        last_used_at: r.get(9),
        created_by: r.get(10),
    }
}

pub struct NewToken<'a> {
    pub workspace_id: Uuid,
    pub id: Uuid,
    pub hash: &'a [u8],
    pub name: &'a str,
    pub kind: &'a str,
    pub user_id: Option<Uuid>,
    pub created_by: Uuid,
    pub scopes: &'a [String],
    pub prefix: &'a str,
    pub expires_at: Option<DateTime<Utc>>,
}

pub async fn insert_token(
    c: &impl GenericClient,
    t: &NewToken<'_>,
) -> Result<TokenRow, StoreError> {
    let row = c
        .query_one(
            &format!(
                "INSERT INTO api_tokens (workspace_id, id, token_hash, name, kind, user_id, created_by, scopes, prefix, expires_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING {TOKEN_COLS}"
            ),
            &[&t.workspace_id, &t.id, &t.hash, &t.name, &t.kind, &t.user_id, &t.created_by, &t.scopes, &t.prefix, &t.expires_at],
        )
        .await?;
    Ok(token(&row))
}

/// A live token by its hash, with its user (for personal tokens) when that user is enabled.
pub async fn token_auth(
    c: &impl GenericClient,
    hash: &[u8],
) -> Result<Option<(TokenRow, Option<UserRow>)>, StoreError> {
    let stmt = c
        .prepare_cached(
            "SELECT t.workspace_id, t.id, t.name, t.kind, t.user_id, t.scopes, t.prefix, t.created_at, t.expires_at, t.last_used_at, t.created_by,
                    u.workspace_id, u.id, u.email, u.display_name, u.role, u.disabled, u.created_at
             FROM api_tokens t LEFT JOIN users u ON u.workspace_id = t.workspace_id AND u.id = t.user_id
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())
               AND (t.kind <> 'engine' OR EXISTS (
                    SELECT 1 FROM users c WHERE c.workspace_id = t.workspace_id AND c.id = t.created_by
                       AND c.role = 'owner' AND NOT c.disabled))",
        )
        .await?;
    let row = c.query_opt(&stmt, &[&hash]).await?;
    Ok(row.map(|r| {
        let t = token(&r);
        let u: Option<Uuid> = r.get(12);
        let user = u.map(|id| UserRow {
            workspace_id: r.get(11),
            id,
            email: r.get(13),
            display_name: r.get(14),
            role: r.get(15),
            disabled: r.get(16),
            created_at: r.get(17),
        });
        (t, user)
    }))
}

/// Live tokens: personal ones of `user_id`, plus the workspace's engine tokens when asked.
pub async fn list_tokens(
    c: &impl GenericClient,
    ws: Uuid,
    user_id: Option<Uuid>,
    with_engines: bool,
) -> Result<Vec<TokenRow>, StoreError> {
    let rows = c
        .query(
            &format!(
                "SELECT {TOKEN_COLS} FROM api_tokens WHERE workspace_id = $1 AND revoked_at IS NULL
                   AND ((kind = 'personal' AND user_id = $2) OR (kind = 'engine' AND $3))
                 ORDER BY created_at DESC, id"
            ),
            &[&ws, &user_id, &with_engines],
        )
        .await?;
    Ok(rows.iter().map(token).collect())
}

pub async fn token_by_id(
    c: &impl GenericClient,
    ws: Uuid,
    id: Uuid,
) -> Result<Option<TokenRow>, StoreError> {
    let row = c
        .query_opt(
            &format!("SELECT {TOKEN_COLS} FROM api_tokens WHERE workspace_id = $1 AND id = $2 AND revoked_at IS NULL"),
            &[&ws, &id],
        )
        .await?;
    Ok(row.as_ref().map(token))
}

pub async fn revoke_token(c: &impl GenericClient, ws: Uuid, id: Uuid) -> Result<bool, StoreError> {
    Ok(c.execute(
        "UPDATE api_tokens SET revoked_at = now() WHERE workspace_id = $1 AND id = $2 AND revoked_at IS NULL",
        &[&ws, &id],
    )
    .await?
        == 1)
}

/// Revokes the user's live tokens; returns (id, name) of each.
pub async fn revoke_user_tokens(
    c: &impl GenericClient,
    ws: Uuid,
    user_id: Uuid,
) -> Result<Vec<(Uuid, String)>, StoreError> {
    revoke_tokens_where(c, ws, user_id, "user_id = $2").await
}

/// Revokes the live engine tokens `user_id` created (their creator was disabled, erased or is no
/// longer an owner); returns (id, name) of each.
pub async fn revoke_engine_tokens_of_creator(
    c: &impl GenericClient,
    ws: Uuid,
    user_id: Uuid,
) -> Result<Vec<(Uuid, String)>, StoreError> {
    revoke_tokens_where(c, ws, user_id, "kind = 'engine' AND created_by = $2").await
}

/// Revokes the live tokens of `ws` that `condition` (on `$2` = `user_id`) picks.
async fn revoke_tokens_where(
    c: &impl GenericClient,
    ws: Uuid,
    user_id: Uuid,
    condition: &str,
) -> Result<Vec<(Uuid, String)>, StoreError> {
    let rows = c
        .query(
            &format!(
                "UPDATE api_tokens SET revoked_at = now()
                 WHERE workspace_id = $1 AND {condition} AND revoked_at IS NULL RETURNING id, name"
            ),
            &[&ws, &user_id],
        )
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// Writes batched `last_used_at` stamps (kept in memory between flushes).
pub async fn record_token_use(
    c: &impl GenericClient,
    uses: &[(Uuid, Uuid, DateTime<Utc>)],
) -> Result<(), StoreError> {
    let ws: Vec<Uuid> = uses.iter().map(|u| u.0).collect();
    let ids: Vec<Uuid> = uses.iter().map(|u| u.1).collect();
    let at: Vec<DateTime<Utc>> = uses.iter().map(|u| u.2).collect();
    c.execute(
        "UPDATE api_tokens t SET last_used_at = greatest(t.last_used_at, u.at)
         FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[]) AS u(ws, id, at)
         WHERE t.workspace_id = u.ws AND t.id = u.id",
        &[&ws, &ids, &at],
    )
    .await?;
    Ok(())
}

// ---- sign-in rate limits ----

/// Failed sign-ins in the last 15 minutes for this email and for this IP, and the age in seconds
/// of the oldest counted one of each (for Retry-After).
pub async fn recent_login_failures(
    c: &impl GenericClient,
    email: &str,
    ip: &str,
) -> Result<((i64, f64), (i64, f64)), StoreError> {
    let row = c
        .query_one(
            "SELECT
               (SELECT count(*) FROM login_failures WHERE lower(email) = lower($1) AND at > now() - interval '15 minutes'),
               (SELECT coalesce(extract(epoch FROM now() - min(at))::float8, 0) FROM (SELECT at FROM login_failures WHERE lower(email) = lower($1) AND at > now() - interval '15 minutes' ORDER BY at DESC LIMIT 10) a),
               (SELECT count(*) FROM login_failures WHERE ip = $2 AND at > now() - interval '15 minutes'),
               (SELECT coalesce(extract(epoch FROM now() - min(at))::float8, 0) FROM (SELECT at FROM login_failures WHERE ip = $2 AND at > now() - interval '15 minutes' ORDER BY at DESC LIMIT 100) b)",
            &[&email, &ip],
        )
        .await?;
    Ok(((row.get(0), row.get(1)), (row.get(2), row.get(3))))
}

/// Counts a sign-in attempt as a failure; returns its id, so that an attempt that turns out right
/// can take it back with [`forget_login_failure`]. Counted before the password is checked, so
/// parallel guesses cannot all pass the limit before any of them is recorded.
pub async fn record_login_failure(
    c: &impl GenericClient,
    email: &str,
    ip: &str,
) -> Result<i64, StoreError> {
    let row = c
        .query_one(
            "INSERT INTO login_failures (email, ip) VALUES ($1, $2) RETURNING id",
            &[&email, &ip],
        )
        .await?;
    c.execute(
        "DELETE FROM login_failures WHERE at < now() - interval '1 day'",
        &[],
    )
    .await?;
    Ok(row.get(0))
}

/// Takes back an attempt counted by [`record_login_failure`] (the password was right).
pub async fn forget_login_failure(c: &impl GenericClient, id: i64) -> Result<(), StoreError> {
    c.execute("DELETE FROM login_failures WHERE id = $1", &[&id])
        .await?;
    Ok(())
}

// ---- teams ----

#[derive(Debug, Clone)]
pub struct TeamRow {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct MemberRow {
    pub team_id: Uuid,
    pub user_id: Uuid,
    pub email: String,
    pub display_name: String,
}

fn team(r: &Row) -> TeamRow {
    TeamRow {
        id: r.get(0),
        name: r.get(1),
        created_at: r.get(2),
    }
}

/// Inserts a team; `Ok(None)` when the name is taken in the workspace.
pub async fn insert_team(
    c: &impl GenericClient,
    ws: Uuid,
    id: Uuid,
    name: &str,
) -> Result<Option<TeamRow>, StoreError> {
    let row = c
        .query_opt(
            "INSERT INTO teams (workspace_id, id, name) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING id, name, created_at",
            &[&ws, &id, &name],
        )
        .await?;
    Ok(row.as_ref().map(team))
}

pub async fn list_teams(
    c: &impl GenericClient,
    ws: Uuid,
    ids: Option<&[Uuid]>,
) -> Result<Vec<TeamRow>, StoreError> {
    let ids: Option<Vec<Uuid>> = ids.map(<[Uuid]>::to_vec);
    let rows = c
        .query(
            "SELECT id, name, created_at FROM teams WHERE workspace_id = $1 AND ($2::uuid[] IS NULL OR id = ANY($2)) ORDER BY lower(name), id",
            &[&ws, &ids],
        )
        .await?;
    Ok(rows.iter().map(team).collect())
}

/// Members of the given teams.
pub async fn team_members(
    c: &impl GenericClient,
    ws: Uuid,
    team_ids: &[Uuid],
) -> Result<Vec<MemberRow>, StoreError> {
    let rows = c
        .query(
            "SELECT m.team_id, u.id, u.email, u.display_name FROM team_members m
             JOIN users u ON u.workspace_id = m.workspace_id AND u.id = m.user_id
             WHERE m.workspace_id = $1 AND m.team_id = ANY($2) ORDER BY lower(u.display_name), u.id",
            &[&ws, &team_ids],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| MemberRow {
            team_id: r.get(0),
            user_id: r.get(1),
            email: r.get(2),
            display_name: r.get(3),
        })
        .collect())
}

/// Teams a user belongs to.
pub async fn teams_of(
    c: &impl GenericClient,
    ws: Uuid,
    user_id: Uuid,
) -> Result<Vec<TeamRow>, StoreError> {
    let rows = c
        .query(
            "SELECT t.id, t.name, t.created_at FROM team_members m JOIN teams t ON t.workspace_id = m.workspace_id AND t.id = m.team_id
             WHERE m.workspace_id = $1 AND m.user_id = $2 ORDER BY lower(t.name), t.id",
            &[&ws, &user_id],
        )
        .await?;
    Ok(rows.iter().map(team).collect())
}

/// Renames a team; `Ok(None)` if absent, `Err` with a unique violation if the name is taken.
pub async fn rename_team(
    c: &impl GenericClient,
    ws: Uuid,
    id: Uuid,
    name: &str,
) -> Result<Option<TeamRow>, StoreError> {
    let row = c
        .query_opt(
            "UPDATE teams SET name = $3 WHERE workspace_id = $1 AND id = $2 RETURNING id, name, created_at",
            &[&ws, &id, &name],
        )
        .await?;
    Ok(row.as_ref().map(team))
}

/// Locks a team for its deletion; false when there is no such team.
pub async fn lock_team(c: &impl GenericClient, ws: Uuid, id: Uuid) -> Result<bool, StoreError> {
    Ok(c.query_opt(
        "SELECT 1 FROM teams WHERE workspace_id = $1 AND id = $2 FOR UPDATE",
        &[&ws, &id],
    )
    .await?
    .is_some())
}

/// Deletes a team (its memberships go with it); returns its name and who its members were.
pub async fn delete_team(
    c: &impl GenericClient,
    ws: Uuid,
    id: Uuid,
) -> Result<Option<(String, Vec<Uuid>)>, StoreError> {
    let row = c
        .query_opt(
            "WITH members AS (
                 SELECT coalesce(array_agg(user_id ORDER BY user_id), '{}') AS ids
                 FROM team_members WHERE workspace_id = $1 AND team_id = $2)
             DELETE FROM teams WHERE workspace_id = $1 AND id = $2
             RETURNING name, (SELECT ids FROM members)",
            &[&ws, &id],
        )
        .await?;
    Ok(row.map(|r| (r.get(0), r.get(1))))
}

/// Adds a member; true when they were not in the team before.
pub async fn add_member(
    c: &impl GenericClient,
    ws: Uuid,
    team: Uuid,
    user: Uuid,
) -> Result<bool, StoreError> {
    Ok(c.execute(
        "INSERT INTO team_members (workspace_id, team_id, user_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        &[&ws, &team, &user],
    )
    .await?
        == 1)
}

pub async fn remove_member(
    c: &impl GenericClient,
    ws: Uuid,
    team: Uuid,
    user: Uuid,
) -> Result<bool, StoreError> {
    Ok(c.execute(
        "DELETE FROM team_members WHERE workspace_id = $1 AND team_id = $2 AND user_id = $3",
        &[&ws, &team, &user],
    )
    .await?
        == 1)
}

// ---- everything about one user (GDPR access) ----

/// Every session of the user, revoked ones included.
pub async fn all_sessions(
    c: &impl GenericClient,
    ws: Uuid,
    user_id: Uuid,
) -> Result<Vec<SessionRow>, StoreError> {
    let rows = c
        .query(
            &format!("SELECT {SESSION_COLS} FROM sessions WHERE workspace_id = $1 AND user_id = $2 ORDER BY created_at"),
            &[&ws, &user_id],
        )
        .await?;
    Ok(rows.iter().map(session).collect())
}

/// Every personal token of the user, revoked ones included, with when they were revoked.
pub async fn all_tokens(
    c: &impl GenericClient,
    ws: Uuid,
    user_id: Uuid,
) -> Result<Vec<(TokenRow, Option<DateTime<Utc>>)>, StoreError> {
    let rows = c
        .query(
            &format!("SELECT {TOKEN_COLS}, revoked_at FROM api_tokens WHERE workspace_id = $1 AND user_id = $2 ORDER BY created_at"),
            &[&ws, &user_id],
        )
        .await?;
    Ok(rows.iter().map(|r| (token(r), r.get(11))).collect())
}

/// Ids of every token the user ever held (to find the events they acted in).
pub async fn token_ids_of(
    c: &impl GenericClient,
    ws: Uuid,
    user_id: Uuid,
) -> Result<Vec<Uuid>, StoreError> {
    let rows = c
        .query(
            "SELECT id FROM api_tokens WHERE workspace_id = $1 AND user_id = $2",
            &[&ws, &user_id],
        )
        .await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

// ---- erasure (GDPR) ----

/// Replaces the personal data of a user in audit events with `pseudonym`: the display name where
/// they (or one of their tokens) acted, their name where they were the target, and the IP and
/// user agent of those events. The hash chain does not cover these fields.
pub async fn pseudonymise_audit(
    c: &impl GenericClient,
    ws: Uuid,
    user_id: Uuid,
    actor_ids: &[Uuid],
    pseudonym: &str,
) -> Result<u64, StoreError> {
    let a = c
        .execute(
            "UPDATE audit_events SET actor_display = $3, ip = NULL, user_agent = NULL WHERE workspace_id = $1 AND actor_id = ANY($2)",
            &[&ws, &actor_ids, &pseudonym],
        )
        .await?;
    let b = c
        .execute(
            "UPDATE audit_events SET target_name = $3, ip = NULL, user_agent = NULL
             WHERE workspace_id = $1 AND target_type = 'user' AND target_id = $2::text",
            &[&ws, &user_id.to_string(), &pseudonym],
        )
        .await?;
    Ok(a + b)
}

/// Removes the user and everything that is theirs alone: sessions (and refresh tokens), tokens,
/// team memberships, shares to them, and their failed sign-in records.
pub async fn delete_user(
    c: &impl GenericClient,
    ws: Uuid,
    user_id: Uuid,
    email: &str,
) -> Result<(), StoreError> {
    c.execute(
        "DELETE FROM api_tokens WHERE workspace_id = $1 AND user_id = $2",
        &[&ws, &user_id],
    )
    .await?;
    c.execute("DELETE FROM shares WHERE workspace_id = $1 AND principal_type = 'user' AND principal_id = $2", &[&ws, &user_id]).await?;
    c.execute(
        "DELETE FROM login_failures WHERE lower(email) = lower($1)",
        &[&email],
    )
    .await?;
    c.execute(
        "DELETE FROM users WHERE workspace_id = $1 AND id = $2",
        &[&ws, &user_id],
    )
    .await?;
    Ok(())
}

/// Locks, in key order, every credential the user owns or has a share of (an erasure changes
/// them all), in one ordered pass. FOR NO KEY UPDATE, like the resolve writer's own locks: the
/// writer's second pass (the key-share locks of new usage rows' foreign keys) never waits for it,
/// so the two never deadlock.
pub async fn lock_credentials_of(
    c: &impl GenericClient,
    ws: Uuid,
    user_id: Uuid,
) -> Result<(), StoreError> {
    c.execute(
        "SELECT 1 FROM credentials c WHERE c.workspace_id = $1 AND (c.owner_id = $2 OR EXISTS (
             SELECT 1 FROM shares s WHERE s.workspace_id = c.workspace_id AND s.credential_id = c.id
                AND s.principal_type = 'user' AND s.principal_id = $2))
         ORDER BY c.id FOR NO KEY UPDATE OF c",
        &[&ws, &user_id],
    )
    .await?;
    Ok(())
}

/// Ids of credentials the user owns (deleted ones included).
pub async fn owned_credentials(
    c: &impl GenericClient,
    ws: Uuid,
    user_id: Uuid,
) -> Result<Vec<(Uuid, String)>, StoreError> {
    let rows = c
        .query("SELECT id, name FROM credentials WHERE workspace_id = $1 AND owner_id = $2 ORDER BY id FOR NO KEY UPDATE", &[&ws, &user_id])
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// Locks the owner's workflows in key order: the order the resolve writer locks them in (it
/// stamps `last_used_at`), so the two never deadlock when several rows are locked at once.
async fn lock_workflows_of(
    c: &impl GenericClient,
    ws: Uuid,
    owner: Uuid,
) -> Result<(), StoreError> {
    c.execute(
        "SELECT 1 FROM workflows WHERE workspace_id = $1 AND owner_id = $2 ORDER BY id FOR UPDATE",
        &[&ws, &owner],
    )
    .await?;
    Ok(())
}

/// Gives everything `from` owns (credentials, workflows) to `to`; returns (id, name) of each
/// workflow given.
pub async fn transfer_owned(
    c: &impl GenericClient,
    ws: Uuid,
    from: Uuid,
    to: Uuid,
) -> Result<Vec<(String, String)>, StoreError> {
    c.execute(
        "UPDATE credentials SET owner_id = $3, updated_at = now(), row_version = row_version + 1 WHERE workspace_id = $1 AND owner_id = $2",
        &[&ws, &from, &to],
    )
    .await?;
    lock_workflows_of(c, ws, from).await?;
    let rows = c
        .query(
            "UPDATE workflows SET owner_id = $3, updated_at = now() WHERE workspace_id = $1 AND owner_id = $2 RETURNING id, name",
            &[&ws, &from, &to],
        )
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// Deletes the user's workflows; returns (id, name) of each.
pub async fn delete_workflows_of(
    c: &impl GenericClient,
    ws: Uuid,
    owner: Uuid,
) -> Result<Vec<(String, String)>, StoreError> {
    lock_workflows_of(c, ws, owner).await?;
    let rows = c
        .query(
            "DELETE FROM workflows WHERE workspace_id = $1 AND owner_id = $2 RETURNING id, name",
            &[&ws, &owner],
        )
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}
