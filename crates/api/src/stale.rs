//! What a change through this instance makes stale in its own runtime cache, dropped before the
//! answer goes out so the caller reads its own writes (`middleware`); other instances hear of
//! every change from the database (`credvault_service::cache`).

/// What a request may make stale in the runtime cache if it succeeds.
#[derive(Debug, PartialEq)]
pub enum Stale {
    Nothing,
    /// One credential's resolve rows (its data, status, owner, shares).
    Credential(uuid::Uuid),
    /// Anything: tokens, users, teams and workflows feed the cached rows too.
    Everything,
}

/// Reads and sign-in or session calls touch nothing cached, nor do resolves (which only record);
/// a new credential is in no cache yet; a call under `/v1/credentials/{id}` changes that
/// credential alone; any other change may touch what the cache holds, so it clears it all.
pub fn stale_after(method: &str, path: &str) -> Stale {
    if matches!(method, "GET" | "HEAD" | "OPTIONS")
        || !path.starts_with("/v1/")
        || path.starts_with("/v1/auth/")
        || path.ends_with("/resolve")
        || crate::routes::vault::in_vault_shape(path)
    {
        return Stale::Nothing;
    }
    match path.strip_prefix("/v1/credentials") {
        Some("" | "/") if method == "POST" => Stale::Nothing,
        Some(rest) => match rest
            .strip_prefix('/')
            .and_then(|r| r.split('/').next())
            .and_then(|id| id.parse().ok())
        {
            Some(id) => Stale::Credential(id),
            None => Stale::Everything,
        },
        None => Stale::Everything,
    }
}

/// Whether a request's cache invalidations are announced before it answers: all but a create's
/// (inserting a credential writes none, migration 0019).
pub fn announces(method: &str, path: &str) -> bool {
    !(method == "POST" && matches!(path, "/v1/credentials" | "/v1/credentials/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_drops_what_it_touched_and_nothing_else() {
        let id = uuid::Uuid::now_v7();
        for (method, path) in [
            ("GET", format!("/v1/credentials/{id}")),
            ("POST", "/v1/credentials".to_string()),
            ("POST", format!("/v1/credentials/{id}/resolve")),
            ("POST", "/v1/auth/login".to_string()),
            ("POST", "/healthz".to_string()),
        ] {
            assert_eq!(
                stale_after(method, &path),
                Stale::Nothing,
                "{method} {path}"
            );
        }
        for (method, path) in [
            ("PATCH", format!("/v1/credentials/{id}")),
            ("POST", format!("/v1/credentials/{id}/rotate")),
            ("PUT", format!("/v1/credentials/{id}/shares")),
            (
                "DELETE",
                format!("/v1/credentials/{id}/shares/{}", uuid::Uuid::now_v7()),
            ),
            ("DELETE", format!("/v1/credentials/{id}")),
        ] {
            assert_eq!(
                stale_after(method, &path),
                Stale::Credential(id),
                "{method} {path}"
            );
        }
        for (method, path) in [
            ("DELETE", format!("/v1/tokens/{id}")),
            ("PATCH", format!("/v1/users/{id}")),
            ("PUT", "/v1/workflows/wf-1".to_string()),
            ("POST", "/v1/teams".to_string()),
            ("POST", "/v1/credentials/not-an-id/rotate".to_string()),
            ("POST", "/v1/credentials-import".to_string()),
        ] {
            assert_eq!(
                stale_after(method, &path),
                Stale::Everything,
                "{method} {path}"
            );
        }
    }
}
