//! Collects every field problem of a request body, so a 422 lists them all at once: the service
//! layer's collector, answering with the API's error.

use std::ops::{Deref, DerefMut};

use crate::error::ApiError;

#[derive(Default)]
pub struct Fields(credvault_service::fields::Fields);

impl Fields {
    pub fn into_error(self) -> ApiError {
        self.0.into_error().into()
    }
}

impl Deref for Fields {
    type Target = credvault_service::fields::Fields;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl DerefMut for Fields {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}
