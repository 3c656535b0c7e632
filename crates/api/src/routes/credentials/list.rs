//! Listing credentials: filters, search, sorting and opaque cursors.

use super::*;
use base64::Engine;
use chrono::{DateTime, Utc};
use credvault_domain::credential::{self as rules, CredentialType};
use credvault_domain::credential_access::Access;
use credvault_service::credentials::list;
use credvault_store::credentials::{After, CredentialRow, ListFilter, Sort};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

use crate::openapi::enums::{CredentialTypeSchema, StatusSchema};
use crate::openapi::rights::Doc;
use credvault_domain::policy::Action;

/// The list's sort orders by their query names.
pub const SORTS: [(&str, Sort); 6] = [
    ("name", Sort::Name),
    ("-name", Sort::NameDesc),
    ("updated_at", Sort::Updated),
    ("-updated_at", Sort::UpdatedDesc),
    ("last_used_at", Sort::LastUsed),
    ("-last_used_at", Sort::LastUsedDesc),
];

crate::wire_enum!(
    /// The order of the credential list (default `name`); `-` sorts descending. Never-used
    /// credentials sort last.
    SortSchema = "CredentialSort",
    SORTS.map(|(name, _)| name)
);

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    #[serde(rename = "type")]
    #[param(rename = "type", value_type = Option<CredentialTypeSchema>)]
    pub kind: Option<String>,
    /// Default: all but `deleted`.
    #[param(value_type = Option<StatusSchema>)]
    pub status: Option<String>,
    pub service: Option<String>,
    pub environment: Option<String>,
    pub tag: Option<String>,
    pub shared: Option<bool>,
    pub owner_id: Option<Uuid>,
    /// Case-insensitive search in name, service, description and tags.
    pub q: Option<String>,
    #[param(value_type = Option<SortSchema>)]
    pub sort: Option<String>,
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct Cursor {
    s: String,
    k: Option<String>,
    t: Option<DateTime<Utc>>,
    id: Uuid,
}

fn parse_sort(s: Option<&str>) -> Result<Sort, ApiError> {
    let s = s.unwrap_or("name");
    SORTS
        .iter()
        .find(|(name, _)| *name == s)
        .map(|(_, sort)| *sort)
        .ok_or_else(|| {
            let names: Vec<&str> = SORTS.iter().map(|(name, _)| *name).collect();
            ApiError::invalid(format!(
                "sort must be one of {}, not {s:?}",
                names.join(", ")
            ))
        })
}

fn bad_cursor() -> ApiError {
    ApiError::invalid("cursor is not one this list gave out (cursors belong to one sort order)")
}

/// Credentials you can see, filtered, searched and sorted, a page at a time.
#[utoipa::path(tag = "credentials", operation_id = "list_credentials", description = Doc::of(Action::ReadCredentials).note("Lists the credentials you have any access to, with that access.").reads(), summary = "List credentials", params(ListQuery), responses((status = 200, description = "A page of credentials", body = CredentialList)))]
#[get("/credentials")]
pub async fn list_credentials(
    state: State,
    caller: Authorized<need::ReadCredentials>,
    query: web::Query<ListQuery>,
) -> Result<web::Json<CredentialList>, ApiError> {
    let (filter, sort_name, after, limit) = parse(query.into_inner())?;
    let sort = parse_sort(Some(&sort_name))?;
    let rows = list::list(&state, &caller, &filter, sort, after.as_ref(), limit + 1).await?;
    let more = rows.len() as i64 > limit;
    let page: Vec<(CredentialRow, i32, String)> = rows.into_iter().take(limit as usize).collect();
    let next_cursor = match (more, page.last()) {
        (true, Some(last)) => Some(cursor_after(last, sort_name, sort)?),
        _ => None,
    };
    let items = page
        .iter()
        .map(|(c, rank, _)| presentation::summary(c, Access::from_rank(*rank)))
        .collect();
    Ok(web::Json(CredentialList { items, next_cursor }))
}

/// The query as the store's filter, with the sort's name, where the page starts and its size.
fn parse(q: ListQuery) -> Result<(ListFilter, String, Option<After>, i64), ApiError> {
    let limit = credvault_service::page::limit(q.limit)?;
    if let Some(k) = &q.kind {
        k.parse::<CredentialType>()
            .map_err(|e| ApiError::invalid(format!("type: {e}")))?;
    }
    if let Some(s) = &q.status {
        s.parse::<rules::Status>()
            .map_err(|e| ApiError::invalid(format!("status: {e}")))?;
    }
    let sort_name = q.sort.clone().unwrap_or_else(|| "name".into());
    let sort = parse_sort(Some(&sort_name))?;
    let after = match &q.cursor {
        None => None,
        Some(c) => Some(cursor_from(c, &sort_name, sort)?),
    };
    let filter = ListFilter {
        kind: q.kind,
        status: q.status,
        service: q.service,
        environment: q.environment,
        tag: q.tag,
        shared: q.shared,
        owner_id: q.owner_id,
        q: q.q
            .filter(|s| !s.trim().is_empty())
            .map(|s| s.trim().to_string()),
    };
    Ok((filter, sort_name, after, limit))
}

/// Where a page starts, from the cursor the previous page gave out.
fn cursor_from(c: &str, sort_name: &str, sort: Sort) -> Result<After, ApiError> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(c)
        .map_err(|_| bad_cursor())?;
    let cur: Cursor = serde_json::from_slice(&bytes).map_err(|_| bad_cursor())?;
    if cur.s != sort_name {
        return Err(bad_cursor());
    }
    Ok(match sort {
        Sort::Name | Sort::NameDesc => After::Text(cur.k.ok_or_else(bad_cursor)?, cur.id),
        _ => After::Time(cur.t, cur.id),
    })
}

/// The cursor of the page after the one ending at `last`.
fn cursor_after(
    last: &(CredentialRow, i32, String),
    sort_name: String,
    sort: Sort,
) -> Result<String, ApiError> {
    let (last, _, name_key) = last;
    let cur = Cursor {
        s: sort_name,
        // The database's lower(), not Rust's: they differ for some non-ASCII names.
        k: Some(name_key.clone()),
        t: match sort {
            Sort::Updated | Sort::UpdatedDesc => Some(last.updated_at),
            _ => last.last_used_at,
        },
        id: last.id,
    };
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(serde_json::to_vec(&cur).map_err(ApiError::internal)?))
}
