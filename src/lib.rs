//! The `inbox` server: configuration, CLI, HTTP edge, wiring, start-up and shutdown.
//!
//! - [`config`]: the one typed configuration, from environment variables;
//! - [`startup`]: `App::build` wires pool, migrations, event store, actors and HTTP; `run_until_stopped`;
//! - [`http`]: routes — Meta's webhook (`http::webhook`, `http::signature`) and `/health`;
//! - [`api`]: the inbox API under `/api/v1` (OpenAPI), live updates, audit;
//! - [`audit`]: `inbox audit verify` and `inbox projections rebuild` on the command line;
//! - [`bot`]: the bot's model and one turn's work (history → prompt → model → verdict);
//! - [`ingest`]: records a verified webhook body through the stream actors;
//! - [`search`]: the embedding model search uses (chosen by `INBOX_EMBEDDINGS`) and
//!   `inbox search reindex`;
//! - [`workers`]: slow work that follows the log (`policy`, `sending`, `media_fetch`, `embedding`, `bot`), reporting back
//!   through the actors;
//! - [`stats`]: runtime counters of the ingest path;
//! - [`tokens`]: `inbox token exchange` and `inbox token generate-verify`;
//! - [`listings`]: `inbox extract` (the watch-listing extractor over JSON lines) and
//!   `inbox listings redetect`.
//!
//! `wa-sim`, the local WhatsApp Cloud API emulator, is a crate of its own (`tests/wa-sim`), and so is
//! `inbox-load` (`bench/load`): neither is part of the server.
#![forbid(unsafe_code)]

pub mod account_registry;
pub mod api;
pub mod audit;
pub mod auth;
pub mod bot;
pub mod cli;
pub mod config;
pub mod http;
pub mod ingest;
pub mod listings;
pub mod search;
pub mod startup;
pub mod stats;
pub mod telemetry;
pub mod tokens;
pub mod workers;
