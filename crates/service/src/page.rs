//! A page of a list read with one row more than asked for, so that it knows whether a next page
//! exists without counting.

use crate::ServiceError;

/// A page size as asked: 1..200, 50 when not asked.
pub fn limit(asked: Option<i64>) -> Result<i64, ServiceError> {
    let limit = asked.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ServiceError::invalid("limit must be between 1 and 200"));
    }
    Ok(limit)
}

/// Up to `limit` items, and the cursor of the next page when there is one.
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// `rows` as read with a limit of `limit + 1`; the cursor names the last item shown.
    pub fn of(rows: Vec<T>, limit: i64, cursor: impl FnOnce(&T) -> String) -> Page<T> {
        let more = rows.len() as i64 > limit;
        let items: Vec<T> = rows.into_iter().take(limit as usize).collect();
        let next_cursor = if more { items.last().map(cursor) } else { None };
        Page { items, next_cursor }
    }

    /// The same page with each item presented as `f` makes it.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}
