//! Sign-in sessions: a random token, stored as its SHA-256 with an expiry; revoked on sign-out, on a
//! password change, and when the user is disabled. Every revocation is announced through the access
//! snapshot, so open live streams re-check their session at once.

use super::snapshot::AccessSnapshot;
use super::{hash_secret, new_secret, SESSION_PREFIX};
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use std::time::Duration;
use uuid::Uuid;

pub struct NewSession {
    pub token: String,
    pub session_id: Uuid,
    pub expires_at: DateTime<Utc>,
}

pub async fn create(
    pool: &PgPool,
    user_id: &str,
    ttl: Duration,
    user_agent: Option<&str>,
    address: Option<&str>,
) -> sqlx::Result<NewSession> {
    let (token, hash) = new_secret(SESSION_PREFIX);
    let session_id = Uuid::new_v4();
    let expires_at = Utc::now() + ttl;
    sqlx::query!(
        "insert into auth_sessions (session_id, token_hash, user_id, expires_at, user_agent, address)
         values ($1, $2, $3, $4, $5, $6)",
        session_id,
        hash,
        user_id,
        expires_at,
        user_agent.map(|s| s.chars().take(300).collect::<String>()),
        address,
    )
    .execute(pool)
    .await?;
    Ok(NewSession {
        token,
        session_id,
        expires_at,
    })
}

pub enum Lookup {
    Valid {
        session_id: Uuid,
        user_id: String,
        expires_at: DateTime<Utc>,
    },
    Expired,
    Revoked,
    Unknown,
}

pub async fn find(pool: &PgPool, token: &str) -> sqlx::Result<Lookup> {
    let row = sqlx::query!(
        "select session_id, user_id, expires_at, revoked_at from auth_sessions where token_hash = $1",
        hash_secret(token),
    )
    .fetch_optional(pool)
    .await?;
    Ok(match row {
        None => Lookup::Unknown,
        Some(r) if r.revoked_at.is_some() => Lookup::Revoked,
        Some(r) if r.expires_at <= Utc::now() => Lookup::Expired,
        Some(r) => Lookup::Valid {
            session_id: r.session_id,
            user_id: r.user_id,
            expires_at: r.expires_at,
        },
    })
}

pub async fn revoke(pool: &PgPool, access: &AccessSnapshot, session_id: Uuid) -> sqlx::Result<()> {
    sqlx::query!(
        "update auth_sessions set revoked_at = now() where session_id = $1 and revoked_at is null",
        session_id
    )
    .execute(pool)
    .await?;
    access.sessions_ended();
    Ok(())
}

/// Revokes every session of `user_id` except `keep`.
pub async fn revoke_all(
    pool: &PgPool,
    access: &AccessSnapshot,
    user_id: &str,
    keep: Option<Uuid>,
) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "update auth_sessions set revoked_at = now()
         where user_id = $1 and revoked_at is null and ($2::uuid is null or session_id <> $2)",
        user_id,
        keep,
    )
    .execute(pool)
    .await?;
    access.sessions_ended();
    Ok(done.rows_affected())
}
