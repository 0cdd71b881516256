//! Who is calling: built-in users (argon2id passwords, sessions), API tokens, tokens of an external
//! identity provider, and the operator token from `INBOX_API_TOKEN`; and the in-memory RBAC snapshot
//! every permission check reads.
//!
//! Secrets handed out (session and API tokens) are 256 random bits with a recognisable prefix; only
//! their SHA-256 is stored, so a database dump does not let anyone in.

pub mod client;
pub mod idp;
pub mod passwords;
pub mod sessions;
pub mod snapshot;
pub mod throttle;

use rand::RngCore;
use sha2::{Digest, Sha256};

/// Prefix of session tokens.
pub const SESSION_PREFIX: &str = "inbox_ses_";
/// Prefix of API tokens.
pub const API_TOKEN_PREFIX: &str = "inbox_pat_";

/// A new secret with `prefix`, and the hash to store.
pub fn new_secret(prefix: &str) -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = format!("{prefix}{}", hex::encode(bytes));
    let hash = hash_secret(&token);
    (token, hash)
}

/// The stored form of a secret: SHA-256, hex. The secrets are random, so no salt or slow hash is needed.
pub fn hash_secret(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}
