//! The credential service: access decisions, sealing and opening secrets, what a caller sees, and
//! removal.

mod access;
pub mod change;
pub mod create;
pub mod lifecycle;
pub mod list;
mod removal;
mod sealing;
mod view;

pub use access::*;
pub use removal::*;
pub use sealing::*;
pub use view::*;
