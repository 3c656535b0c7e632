//! Integration tests for credvault live in `tests/api`; this crate has no code of its own.
