//! Listing credentials: what a viewer may see, filtered, searched and sorted, a page at a time.

use super::*;

/// Who is asking, for the list's access computation.
pub struct Viewer<'a> {
    pub user: Option<Uuid>,
    pub teams: &'a [Uuid],
    /// Owners/admins see everything at `manage`, auditors at `view`, engines at `use`.
    pub role_rank: Option<i32>,
}

#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub kind: Option<String>,
    /// `active`, `expired`, `error`, `deleted`; None = all but deleted.
    pub status: Option<String>,
    pub service: Option<String>,
    pub environment: Option<String>,
    pub tag: Option<String>,
    pub shared: Option<bool>,
    pub owner_id: Option<Uuid>,
    pub q: Option<String>,
}

/// The sort orders of the list; the cursor is the last row's sort key and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Name,
    NameDesc,
    Updated,
    UpdatedDesc,
    LastUsed,
    LastUsedDesc,
}

/// Where the previous page ended.
#[derive(Debug, Clone)]
pub enum After {
    Text(String, Uuid),
    Time(Option<DateTime<Utc>>, Uuid),
}

/// One page of credentials the viewer has any access to, with that access as a rank
/// (1 use, 2 view, 3 manage, 4 owner) and the name-sort key as the database computes it. Answered from indexes: keyset pagination on the sort key.
pub async fn list(
    c: &impl GenericClient,
    ws: Uuid,
    viewer: &Viewer<'_>,
    f: &ListFilter,
    sort: Sort,
    after: Option<&After>,
    limit: i64,
) -> Result<Vec<(CredentialRow, i32, String)>, StoreError> {
    let mut params: Vec<Box<dyn ToSql + Sync + Send>> = vec![
        Box::new(ws),
        Box::new(viewer.user),
        Box::new(viewer.teams.to_vec()),
        Box::new(viewer.role_rank),
    ];
    let mut wh = vec!["c.workspace_id = $1".to_string()];
    let p = |v: Box<dyn ToSql + Sync + Send>, params: &mut Vec<Box<dyn ToSql + Sync + Send>>| {
        params.push(v);
        format!("${}", params.len())
    };
    match f.status.as_deref() {
        None => wh.push("c.deleted_at IS NULL".into()),
        Some("deleted") => wh.push("c.deleted_at IS NOT NULL".into()),
        Some("expired") => wh.push(
            "c.deleted_at IS NULL AND (c.status = 'expired' OR c.expires_at <= now())".into(),
        ),
        Some(s) => {
            let n = p(Box::new(s.to_string()), &mut params);
            wh.push(format!("c.deleted_at IS NULL AND c.status = {n} AND (c.expires_at IS NULL OR c.expires_at > now())"));
        }
    }
    if let Some(v) = &f.kind {
        let n = p(Box::new(v.clone()), &mut params);
        wh.push(format!("c.type = {n}"));
    }
    if let Some(v) = &f.service {
        let n = p(Box::new(v.clone()), &mut params);
        wh.push(format!("c.service = {n}"));
    }
    if let Some(v) = &f.environment {
        let n = p(Box::new(v.clone()), &mut params);
        wh.push(format!("c.environment = {n}"));
    }
    if let Some(v) = &f.tag {
        let n = p(Box::new(vec![v.to_lowercase()]), &mut params);
        wh.push(format!("c.tags @> {n}::text[]"));
    }
    if let Some(v) = f.owner_id {
        let n = p(Box::new(v), &mut params);
        wh.push(format!("c.owner_id = {n}"));
    }
    if let Some(v) = f.shared {
        wh.push(format!("{}EXISTS (SELECT 1 FROM shares s WHERE s.workspace_id = c.workspace_id AND s.credential_id = c.id)", if v { "" } else { "NOT " }));
    }
    let mut q_param = None;
    if let Some(q) = &f.q {
        let escaped = q
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let n = p(Box::new(format!("%{escaped}%")), &mut params);
        q_param = Some(n);
    }
    let (order, key_expr, asc) = match sort {
        Sort::Name => ("lower(c.name) ASC, c.id ASC", "lower(c.name)", true),
        Sort::NameDesc => ("lower(c.name) DESC, c.id DESC", "lower(c.name)", false),
        Sort::Updated => ("c.updated_at ASC, c.id ASC", "c.updated_at", true),
        Sort::UpdatedDesc => ("c.updated_at DESC, c.id DESC", "c.updated_at", false),
        Sort::LastUsed => (
            "c.last_used_at ASC NULLS LAST, c.id ASC",
            "c.last_used_at",
            true,
        ),
        Sort::LastUsedDesc => (
            "c.last_used_at DESC NULLS LAST, c.id DESC",
            "c.last_used_at",
            false,
        ),
    };
    let cmp = if asc { ">" } else { "<" };
    match after {
        None => {}
        Some(After::Text(k, id)) => {
            let (nk, ni) = (
                p(Box::new(k.clone()), &mut params),
                p(Box::new(*id), &mut params),
            );
            wh.push(format!("({key_expr}, c.id) {cmp} ({nk}, {ni})"));
        }
        Some(After::Time(Some(t), id)) => {
            let (nk, ni) = (p(Box::new(*t), &mut params), p(Box::new(*id), &mut params));
            let nulls_after = matches!(sort, Sort::LastUsed | Sort::LastUsedDesc);
            wh.push(format!(
                "(({key_expr}, c.id) {cmp} ({nk}, {ni}){})",
                if nulls_after {
                    format!(" OR {key_expr} IS NULL")
                } else {
                    String::new()
                }
            ));
        }
        Some(After::Time(None, id)) => {
            let ni = p(Box::new(*id), &mut params);
            wh.push(format!("{key_expr} IS NULL AND c.id {cmp} {ni}"));
        }
    }
    let lim = p(Box::new(limit), &mut params);
    let access = "greatest(
               CASE WHEN c.owner_id = $2 THEN 4 END,
               $4::int4,
               (SELECT max(CASE s.access WHEN 'manage' THEN 3 WHEN 'view' THEN 2 ELSE 1 END) FROM shares s
                 WHERE s.workspace_id = c.workspace_id AND s.credential_id = c.id
                   AND (s.principal_type = 'workspace' OR (s.principal_type = 'user' AND s.principal_id = $2)
                        OR (s.principal_type = 'team' AND s.principal_id = ANY($3::uuid[])))))";
    // A role that sees every credential needs no access filter; leaving it out also keeps the
    // planner walking the sort index for a common `q` word instead of sorting every match.
    if viewer.role_rank.is_none() {
        wh.push(format!("{access} IS NOT NULL"));
    }
    // Two steps: the page's ids, then their rows. For the default order and a common `q` word
    // the first is an index-only walk of `credentials_by_name`, which carries the first 400
    // characters of the searched text; longer texts are searched in full by a second branch.
    let wh = wh.join(" AND ");
    let ids = match &q_param {
        None => format!("SELECT c.id FROM credentials c WHERE {wh} ORDER BY {order} LIMIT {lim}"),
        Some(q) => format!(
            "(SELECT c.id FROM credentials c WHERE {wh} AND c.search_short LIKE {q} ORDER BY {order} LIMIT {lim})
             UNION
             (SELECT c.id FROM credentials c WHERE {wh} AND c.search_long AND c.search_text LIKE {q} ORDER BY {order} LIMIT {lim})"
        ),
    };
    let sql = format!(
        "WITH page AS ({ids})
         SELECT {COLS}, {access}, lower(c.name)
           FROM page p JOIN credentials c ON c.workspace_id = $1 AND c.id = p.id
           LEFT JOIN users u ON u.workspace_id = c.workspace_id AND u.id = c.owner_id
          ORDER BY {order} LIMIT {lim}"
    );
    let refs: Vec<&(dyn ToSql + Sync)> = params
        .iter()
        .map(|b| b.as_ref() as &(dyn ToSql + Sync))
        .collect();
    let rows = c.query(&sql, &refs).await?;
    Ok(rows
        .iter()
        .map(|r| (row(r), r.get::<_, i32>(26), r.get::<_, String>(27)))
        .collect())
}
