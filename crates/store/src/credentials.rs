//! Credentials and their sealed versions.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use uuid::Uuid;

use crate::StoreError;

/// The metadata of a credential, without any secret.
#[derive(Debug, Clone)]
pub struct OwnedCredential {
    pub id: Uuid,
    pub name: String,
    pub service: String,
    pub kind: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
}

/// Credentials a user owns (deleted ones included), for their data export.
pub async fn owned_by(
    c: &impl GenericClient,
    ws: Uuid,
    owner: Uuid,
) -> Result<Vec<OwnedCredential>, StoreError> {
    let rows = c
        .query(
            "SELECT id, name, service, type, created_at, updated_at, deleted_at FROM credentials
             WHERE workspace_id = $1 AND owner_id = $2 ORDER BY created_at, id",
            &[&ws, &owner],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| OwnedCredential {
            id: r.get(0),
            name: r.get(1),
            service: r.get(2),
            kind: r.get(3),
            created_at: r.get(4),
            updated_at: r.get(5),
            deleted_at: r.get(6),
        })
        .collect())
}
