//! `sqlx::migrate!` (the store's `MIGRATOR`) embeds `migrations/` at compile time but does not tell cargo
//! to watch it: without this, a new migration is missing from an incremental build until some Rust
//! file of this crate changes.
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
