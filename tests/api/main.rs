//! The inbox through its HTTP API, against a real PostgreSQL (a database per test).

mod access;
mod accounts;
mod audit;
mod auth_hardening;
mod bot;
mod browser;
mod contract;
mod edge;
mod fixtures;
mod health;
mod helpers;
mod identity;
mod inbox;
mod listings;
mod live;
mod metrics;
mod poison;
mod search;
mod search_semantic;
mod sending;
mod shutdown;
mod teamwork;
mod webhook;
mod webhook_hostile;
mod whatsapp;
mod workspace;
