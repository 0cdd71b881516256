//! Slow work that follows the log: each worker looks at a view and reports back by recording facts
//! through the actors, never inside an actor handler or a fold, and is picked up again after a restart.
//!
//! - [`policy`]: how a worker follows a view (when its projection moves, at start-up, every 30 s);
//! - [`sending`]: hands queued messages to their numbers' senders;
//! - [`embedding`]: embeds the search index's new texts into the vector cache;
//! - [`bot`]: takes the bot's turns (one per burst of customer messages, exactly once);
//! - [`listing_reader`]: has the model read the watch listings the rules were unsure of;
//! - [`media_fetch`]: fetches the files of media messages from Meta into the media store;
//! - [`teamwork`]: ends snoozes, sends away messages, assigns conversations by round robin.

pub mod bot;
pub mod embedding;
pub mod listing_reader;
pub mod media_fetch;
pub mod policy;
pub mod sending;
pub mod teamwork;
