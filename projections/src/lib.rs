//! The read side: projections fold the global event log into read models in PostgreSQL, and every read
//! the API and the workers make of those models is a typed query here.
//!
//! Layout:
//! - [`projection`]: what a projection is, and the list this build runs;
//! - [`runner`]: follows the log from a checkpoint, one runner per projection across all nodes;
//! - [`feed`]: the node's one reader of the log, whose pages every runner of the node shares;
//! - [`typed`]: the events of those pages, each decoded into its typed form once for all projections;
//! - [`inbox`]: conversations and messages (its pure fold is [`inbox::view`], its reads
//!   [`inbox::queries`]);
//! - [`contacts`], [`accounts`]: customers across accounts, and the business numbers (each with its
//!   `queries`);
//! - [`listings`]: the watch listings read in messages, their statistics and matches;
//! - [`search`]: one document per message with words, for full-text, semantic and hybrid search;
//! - [`bot`]: each number's bot settings, each conversation's bot state, its turns and transcripts;
//! - [`workspace`]: teams, labels, canned replies and agents' availability, from the `workspace` stream;
//! - [`reports`]: volumes, response and resolution times, per agent, per number, per label, bot and human;
//! - [`rbac`]: the RBAC snapshot, folded from the identity stream;
//! - [`uploads`]: who may see a stored media file;
//! - [`scope`]: the account scope every query that narrows rows to a caller's accounts applies;
//! - [`query`]: pages and search patterns the queries share;
//! - [`rows`]: view row types (checked against their tables), and how the folds write them;
//! - [`live`]: each node's view of where the projections stand (for live streams and read-your-writes);
//! - [`rebuild`]: rebuilding a projection into fresh tables and swapping them in.
#![forbid(unsafe_code)]

pub mod accounts;
pub mod bot;
pub mod contacts;
pub mod feed;
pub mod inbox;
pub mod listings;
pub mod live;
pub mod projection;
pub mod query;
pub mod rbac;
pub mod rebuild;
pub mod reports;
pub mod rows;
pub mod runner;
pub mod scope;
pub mod search;
pub mod typed;
pub mod uploads;
pub mod workspace;

pub use actors;
