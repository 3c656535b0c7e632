//! The pure rules of credvault: types, validation, masking, the access policy and status rules.
//!
//! This crate never sees SQL, HTTP or async, and holds no secrets of its own: everything here is
//! a function of its inputs, tested as tables.

pub mod audit;
pub mod credential;
pub mod credential_access;
pub mod events;
pub mod identity;
pub mod outbound;
pub mod policy;
pub mod sealing;
pub mod validate;
