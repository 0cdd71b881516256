//! The inbox through its HTTP API, against a real PostgreSQL (a database per test).

mod fixtures;
mod health;
mod helpers;
mod webhook;
