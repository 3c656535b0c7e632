//! The credential service: access decisions, sealing and opening secrets, what a caller sees,
//! sharing, and removal.

mod access;
pub mod change;
pub mod create;
pub mod lifecycle;
pub mod list;
mod removal;
mod sealing;
pub mod sharing;
mod view;

pub use access::*;
pub use removal::*;
pub use sealing::*;
pub use view::*;
