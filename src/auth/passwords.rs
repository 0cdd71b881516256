//! Passwords: argon2id with the crate's defaults (OWASP's recommended minimum: 19 MiB, 2 passes), run
//! off the async threads because each hash takes tens of milliseconds on purpose. Their hashes live in
//! `user_credentials`, outside the event log, so they can be replaced and erased.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use sqlx::PgPool;

pub const MIN_LENGTH: usize = 10;
pub const MAX_LENGTH: usize = 512;

/// Why a new password is refused.
pub fn weakness(password: &str) -> Option<String> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Some(format!("a password has at least {MIN_LENGTH} characters"));
    }
    if password.len() > MAX_LENGTH {
        return Some(format!("a password has at most {MAX_LENGTH} bytes"));
    }
    if password
        .chars()
        .all(|c| c == password.chars().next().unwrap_or(' '))
    {
        return Some("a password of one repeated character is too easy to guess".into());
    }
    None
}

pub async fn hash(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
    })
    .await?
}

/// Whether `password` matches `stored`. With no stored hash (unknown user), a hash is still computed, so
/// the answer takes as long and does not tell which emails exist.
pub async fn verify(password: String, stored: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || {
        let argon = Argon2::default();
        match stored.as_deref().map(PasswordHash::new) {
            Some(Ok(parsed)) => argon.verify_password(password.as_bytes(), &parsed).is_ok(),
            _ => {
                let salt = SaltString::generate(&mut rand::rngs::OsRng);
                let _ = argon.hash_password(password.as_bytes(), &salt);
                false
            }
        }
    })
    .await
    .unwrap_or(false)
}

/// The stored hash of `user_id`'s password, if they have one.
pub async fn stored(pool: &PgPool, user_id: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!(
        "select password_hash from user_credentials where user_id = $1",
        user_id
    )
    .fetch_optional(pool)
    .await
}

/// Keeps `hash` as `user_id`'s password, replacing any before it.
pub async fn save(pool: &PgPool, user_id: &str, hash: &str) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into user_credentials (user_id, password_hash) values ($1, $2)
         on conflict (user_id) do update set password_hash = excluded.password_hash, updated_at = now()",
        user_id,
        hash
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Removes `user_id`'s password.
pub async fn forget(pool: &PgPool, user_id: &str) -> sqlx::Result<()> {
    sqlx::query!("delete from user_credentials where user_id = $1", user_id)
        .execute(pool)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only_and_is_argon2id() {
        let stored = hash("correct horse battery".into()).await.unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("correct horse battery".into(), Some(stored.clone())).await);
        assert!(!verify("correct horse battery!".into(), Some(stored)).await);
        assert!(!verify("anything".into(), None).await);
        assert!(!verify("anything".into(), Some("not a hash".into())).await);
    }

    #[test]
    fn short_and_trivial_passwords_are_refused() {
        assert!(weakness("short").is_some());
        assert!(weakness("aaaaaaaaaaaaaa").is_some());
        assert!(weakness("a fine long passphrase").is_none());
    }
}
