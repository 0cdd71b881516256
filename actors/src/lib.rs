//! The write side of the inbox: events, the event store, and the actors that decide what gets appended.
//!
//! Layout:
//! - [`event`]: the envelope every stored event travels in (ids, stream, versions, times, causes);
//! - [`json`]: how deep JSON may nest on the way in and out of the store;
//! - [`store`]: the event-store contract and its PostgreSQL and in-memory backends;
//! - [`webhook`]: turns a verified Meta webhook body into facts addressed to streams;
//! - [`graph`]: a typed client for Meta's Graph API, its error object and whether an error is worth retrying;
//! - [`embeddings`]: sentence vectors for search and the bot (a local model, OpenAI-compatible, Gemini, none);
//! - [`outbound`]: one sender per business number, sending queued messages under the number's limits;
//! - [`media_store`]: media files on local disk, by their SHA-256;
//! - [`identity`]: the permission catalogue, default roles, identity events, the identity aggregate and
//!   the pure RBAC fold;
//! - [`conversation`]: one actor per conversation stream and its domain rules (duplicates, status order);
//! - [`bot`]: what the bot answers and when it hands over (settings, prompt, verdicts, its events);
//! - [`listings`]: watch listings read from a message's text (brand, family, reference, price, ...);
//! - [`teamwork`]: business hours and round-robin assignment (a conversation's own team work is in
//!   `conversation::workflow`);
//! - [`account`]: one actor per WhatsApp business number (and per business account) for account facts;
//! - [`directory`]: spawns stream actors on first use, passivates idle ones, restarts failed ones lazily;
//! - [`workspace`]: the install-wide catalogue of team work (teams, labels, canned replies, agents'
//!   availability) on one stream, and how a canned reply's placeholders are filled;
//! - [`tasks`]: the tasks that run beside the actors (sends, downloads), tracked so shutdown waits for them.
#![forbid(unsafe_code)]

pub mod account;
pub mod aggregate;
pub mod bot;
pub mod conversation;
pub mod directory;
pub mod embeddings;
pub mod event;
pub mod graph;
pub mod identity;
pub mod json;
pub mod listings;
pub mod llm;
pub mod media_store;
pub mod outbound;
pub mod store;
pub mod stream_actor;
pub mod tasks;
pub mod teamwork;
#[cfg(feature = "testing")]
pub mod testing;
pub mod text_enum;
pub mod webhook;
pub mod workspace;
