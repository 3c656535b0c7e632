//! The paging query of the lists: `limit` and `cursor`, documented once.

use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::error::ApiError;

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<i64>,
    /// From the previous page's `next_cursor`.
    pub cursor: Option<String>,
}

impl PageQuery {
    /// The page size and, for a list whose cursor is the last item's id, where the page starts.
    pub fn parse(&self) -> Result<(i64, Option<Uuid>), ApiError> {
        let limit = credvault_service::page::limit(self.limit)?;
        let after = match &self.cursor {
            None => None,
            Some(c) => Some(
                Uuid::parse_str(c)
                    .map_err(|_| ApiError::invalid("cursor is not one this API gave out"))?,
            ),
        };
        Ok((limit, after))
    }
}
