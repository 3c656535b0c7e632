//! Failed sign-ins, counted per account and per client address.

use super::*;

/// Takes the sign-in lock of an account (by its email, whether or not it exists) until the
/// transaction ends, so parallel guesses at one account are counted one after another.
pub async fn lock_sign_ins(c: &impl GenericClient, email: &str) -> Result<(), StoreError> {
    c.execute(
        &c.prepare_cached("SELECT pg_advisory_xact_lock(hashtext(lower($1)))")
            .await?,
        &[&email],
    )
    .await?;
    Ok(())
}

/// Failed sign-ins in the last 15 minutes for this email and for this IP, and the age in seconds
/// of the oldest counted one of each (for Retry-After).
pub async fn recent_login_failures(
    c: &impl GenericClient,
    email: &str,
    ip: &str,
) -> Result<((i64, f64), (i64, f64)), StoreError> {
    let row = c
        .query_one(
            &c.prepare_cached("SELECT
               (SELECT count(*) FROM login_failures WHERE lower(email) = lower($1) AND at > now() - interval '15 minutes'),
               (SELECT coalesce(extract(epoch FROM now() - min(at))::float8, 0) FROM (SELECT at FROM login_failures WHERE lower(email) = lower($1) AND at > now() - interval '15 minutes' ORDER BY at DESC LIMIT 10) a),
               (SELECT count(*) FROM login_failures WHERE ip = $2 AND at > now() - interval '15 minutes'),
               (SELECT coalesce(extract(epoch FROM now() - min(at))::float8, 0) FROM (SELECT at FROM login_failures WHERE ip = $2 AND at > now() - interval '15 minutes' ORDER BY at DESC LIMIT 100) b)").await?,
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
            &c.prepare_cached(
                "INSERT INTO login_failures (email, ip) VALUES ($1, $2) RETURNING id",
            )
            .await?,
            &[&email, &ip],
        )
        .await?;
    c.execute(
        &c.prepare_cached("DELETE FROM login_failures WHERE at < now() - interval '1 day'")
            .await?,
        &[],
    )
    .await?;
    Ok(row.get(0))
}

/// Takes back an attempt counted by [`record_login_failure`] (the password was right).
pub async fn forget_login_failure(c: &impl GenericClient, id: i64) -> Result<(), StoreError> {
    c.execute(
        &c.prepare_cached("DELETE FROM login_failures WHERE id = $1")
            .await?,
        &[&id],
    )
    .await?;
    Ok(())
}
