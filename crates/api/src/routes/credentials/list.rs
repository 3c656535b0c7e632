//! Listing credentials: filters, search, sorting and opaque cursors.

use super::*;

#[derive(Deserialize, IntoParams)]
pub struct ListQuery {
    /// `api_key`, `basic_auth`, `oauth2` or `custom`.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub kind: Option<String>,
    /// `active`, `expired`, `error` or `deleted` (default: all but deleted).
    pub status: Option<String>,
    pub service: Option<String>,
    pub environment: Option<String>,
    pub tag: Option<String>,
    pub shared: Option<bool>,
    pub owner_id: Option<Uuid>,
    /// Case-insensitive search in name, service, description and tags.
    pub q: Option<String>,
    /// `name` (default), `-name`, `updated_at`, `-updated_at`, `last_used_at`, `-last_used_at`; never-used sort last.
    pub sort: Option<String>,
    /// 1..200, default 50.
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
    Ok(match s.unwrap_or("name") {
        "name" => Sort::Name,
        "-name" => Sort::NameDesc,
        "updated_at" => Sort::Updated,
        "-updated_at" => Sort::UpdatedDesc,
        "last_used_at" => Sort::LastUsed,
        "-last_used_at" => Sort::LastUsedDesc,
        other => return Err(ApiError::invalid(format!("sort must be one of name, -name, updated_at, -updated_at, last_used_at, -last_used_at, not {other:?}"))),
    })
}

fn bad_cursor() -> ApiError {
    ApiError::invalid("cursor is not one this list gave out (cursors belong to one sort order)")
}

/// Credentials you can see, filtered, searched and sorted, a page at a time.
#[utoipa::path(tag = "credentials", operation_id = "list_credentials", summary = "List credentials", params(ListQuery), responses((status = 200, description = "A page of credentials", body = CredentialList)))]
#[get("/credentials")]
pub async fn list_credentials(
    state: State,
    caller: Authorized<need::ReadCredentials>,
    query: web::Query<ListQuery>,
) -> Result<web::Json<CredentialList>, ApiError> {
    let q = query.into_inner();
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::invalid("limit must be between 1 and 200"));
    }
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
        Some(c) => {
            let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(c)
                .map_err(|_| bad_cursor())?;
            let cur: Cursor = serde_json::from_slice(&bytes).map_err(|_| bad_cursor())?;
            if cur.s != sort_name {
                return Err(bad_cursor());
            }
            Some(match sort {
                Sort::Name | Sort::NameDesc => After::Text(cur.k.ok_or_else(bad_cursor)?, cur.id),
                _ => After::Time(cur.t, cur.id),
            })
        }
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
    let client = state.pool.get().await?;
    let teams = match caller.user_id() {
        Some(u) => store::team_ids_of(&client, caller.workspace_id, u).await?,
        None => Vec::new(),
    };
    let role_rank = match (caller.user.is_some(), caller.role()) {
        (false, _) => Some(1),
        (true, Some(Role::Owner | Role::Admin)) => Some(3),
        (true, Some(Role::Auditor)) => Some(2),
        _ => None,
    };
    let viewer = Viewer {
        user: caller.user_id(),
        teams: &teams,
        role_rank,
    };
    let rows = store::list(
        &client,
        caller.workspace_id,
        &viewer,
        &filter,
        sort,
        after.as_ref(),
        limit + 1,
    )
    .await?;
    let more = rows.len() as i64 > limit;
    let page: Vec<(CredentialRow, i32, String)> = rows.into_iter().take(limit as usize).collect();
    let next_cursor = match (more, page.last()) {
        (true, Some((last, _, name_key))) => {
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
            Some(
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .encode(serde_json::to_vec(&cur).map_err(ApiError::internal)?),
            )
        }
        _ => None,
    };
    let items = page
        .iter()
        .map(|(c, rank, _)| svc::summary(c, Access::from_rank(*rank)))
        .collect();
    Ok(web::Json(CredentialList { items, next_cursor }))
}
