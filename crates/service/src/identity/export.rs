//! Everything credvault stores about a person (GDPR access): read at once but for their audit
//! events, which are read a page at a time (a personal token a CI script has used for a year may
//! be the actor of millions), up to the chain head as it was when the export began.

use chrono::{DateTime, Utc};
use credvault_store::audit::{self as audit_store, StoredEvent};
use credvault_store::credentials::OwnedCredential;
use credvault_store::identity::{self as store, TokenRow};
use uuid::Uuid;

use super::sessions::SessionView;
use super::users::Profile;
use crate::error::ServiceError;
use crate::principal::Principal;
use crate::services::Services;

/// Events per page of an export's audit events.
const EXPORT_PAGE: i64 = 1000;

/// What is stored about a person, their audit events still to be read.
pub struct PersonalData {
    pub profile: Profile,
    /// Ended ones too.
    pub sessions: Vec<SessionView>,
    /// Revoked ones too, with when they were revoked.
    pub tokens: Vec<(TokenRow, Option<DateTime<Utc>>)>,
    /// Deleted ones too.
    pub credentials: Vec<OwnedCredential>,
    pub events: PersonalEvents,
}

/// The audit events a person (or one of their tokens) is the actor of, up to a fixed head.
#[derive(Clone)]
pub struct PersonalEvents {
    workspace_id: Uuid,
    actors: Vec<Uuid>,
    upto: i64,
}

impl PersonalEvents {
    /// The next page of events after `after` (a seq), oldest first; empty at the end.
    pub async fn page(
        &self,
        services: &Services,
        after: i64,
    ) -> Result<Vec<StoredEvent>, ServiceError> {
        let client = services.pool.get().await?;
        Ok(audit_store::events_by_actors(
            &client,
            self.workspace_id,
            &self.actors,
            after,
            self.upto,
            EXPORT_PAGE,
        )
        .await?)
    }
}

/// What is stored about the caller.
pub async fn personal_data(
    services: &Services,
    principal: &Principal,
) -> Result<PersonalData, ServiceError> {
    let user = principal.person()?.clone();
    let ws = principal.workspace_id;
    services.chain.settle(ws).await;
    let client = services.pool.get().await?;
    let teams = store::teams_of(&client, ws, user.id).await?;
    let sessions = store::all_sessions(&client, ws, user.id)
        .await?
        .into_iter()
        .map(|s| SessionView::of(s, &services.settings.sessions, principal.session_id))
        .collect();
    let tokens = store::all_tokens(&client, ws, user.id).await?;
    let credentials = credvault_store::credentials::owned_by(&client, ws, user.id).await?;
    let mut actors = store::token_ids_of(&client, ws, user.id).await?;
    actors.push(user.id);
    let upto = audit_store::head(&client, ws)
        .await?
        .map_or(0, |(seq, _)| seq);
    Ok(PersonalData {
        profile: Profile { user, teams },
        sessions,
        tokens,
        credentials,
        events: PersonalEvents {
            workspace_id: ws,
            actors,
            upto,
        },
    })
}
