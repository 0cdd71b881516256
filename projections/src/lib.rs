//! The read side: projections fold the global event log into read models in PostgreSQL.
//!
//! Layout:
//! - [`projection`]: what a projection is, and the list this build runs;
//! - [`runner`]: follows the log from a checkpoint, one runner per projection across all nodes;
//! - [`inbox`]: conversations and messages (its pure fold is [`inbox::view`]);
//! - [`contacts`], [`accounts`]: customers across accounts, and the business numbers;
//! - [`rbac`]: the RBAC snapshot, folded from the identity stream;
//! - [`rows`]: how view rows are read and written;
//! - [`live`]: each node's view of where the projections stand (for live streams and read-your-writes);
//! - [`rebuild`]: rebuilding a projection into fresh tables and swapping them in.
#![forbid(unsafe_code)]

pub mod accounts;
pub mod contacts;
pub mod inbox;
pub mod live;
pub mod projection;
pub mod rbac;
pub mod rebuild;
pub mod rows;
pub mod runner;

pub use actors;
