//! Collects every field problem of a request, so a validation error lists them all at once.

use std::fmt::Display;

use crate::error::FieldProblem;
use crate::ServiceError;

#[derive(Default)]
pub struct Fields {
    errors: Vec<FieldProblem>,
}

impl Fields {
    /// A required field, parsed; `None` (and a recorded problem) when missing or invalid.
    pub fn required<V: ?Sized, T, E: Display>(
        &mut self,
        name: &str,
        value: Option<&V>,
        parse: impl FnOnce(&V) -> Result<T, E>,
    ) -> Option<T> {
        match value {
            None => {
                self.push(name, "is required");
                None
            }
            Some(v) => self.optional(name, Some(v), parse).flatten(),
        }
    }

    /// An optional field: `Some(None)` when absent, `None` when present but invalid.
    pub fn optional<V: ?Sized, T, E: Display>(
        &mut self,
        name: &str,
        value: Option<&V>,
        parse: impl FnOnce(&V) -> Result<T, E>,
    ) -> Option<Option<T>> {
        match value.map(parse) {
            None => Some(None),
            Some(Ok(v)) => Some(Some(v)),
            Some(Err(e)) => {
                self.push(name, e.to_string());
                None
            }
        }
    }

    pub fn push(&mut self, name: &str, message: impl Into<String>) {
        self.errors.push(FieldProblem {
            field: name.to_string(),
            message: message.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    pub fn into_error(self) -> ServiceError {
        ServiceError::Validation(self.errors)
    }

    /// `Ok` when no problem was recorded, else every one of them.
    pub fn check(self) -> Result<(), ServiceError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(self.into_error())
        }
    }
}
