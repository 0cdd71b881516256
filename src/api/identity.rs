//! How the identity routes (`session`, `users`, `roles`, `tokens`) change the identity aggregate: every
//! change goes through the identity actor as an event that names who made it, and the answer waits until
//! this node's snapshot holds it.

use super::auth::Caller;
use super::error::ApiError;
use crate::http::AppState;
use actors::event::EventMetadata;
use actors::identity::access::UserAccess;
use actors::identity::aggregate::stream;
use actors::identity::{IdentityEvent, IdentityFact, Rbac};
use chrono::{DateTime, SubsecRound, Utc};
use poem_openapi::ApiResponse;
use std::time::Duration;
use uuid::Uuid;

/// How long a change waits for this node's snapshot to hold it, so the caller's next request sees it.
const SNAPSHOT_WAIT: Duration = Duration::from_secs(5);

#[derive(ApiResponse)]
pub enum Done {
    #[oai(status = 204)]
    NoContent,
}

/// Stored times have microsecond precision; keep the event's time exactly as it will read back.
pub(super) fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// Records facts on the identity stream and waits until this node's snapshot holds them; the answer is
/// the aggregate's state afterwards.
pub(super) async fn change(
    state: &AppState,
    caller: &Caller,
    facts: Vec<IdentityFact>,
) -> Result<Rbac, ApiError> {
    let metadata = EventMetadata::user(&caller.user_id, Uuid::new_v4());
    record(state, facts, metadata).await
}

/// Several changes, checked in order and recorded together (or not at all).
pub(super) async fn change_all(
    state: &AppState,
    caller: &Caller,
    events: Vec<IdentityEvent>,
) -> Result<Rbac, ApiError> {
    change(state, caller, vec![IdentityFact::All(events)]).await
}

pub(super) async fn record(
    state: &AppState,
    facts: Vec<IdentityFact>,
    metadata: EventMetadata,
) -> Result<Rbac, ApiError> {
    let outcome = state.identity.record(stream(), facts, metadata).await?;
    if let Some(position) = outcome.last_position {
        if !state.access.wait_for(position, SNAPSHOT_WAIT).await {
            tracing::warn!(
                position,
                "the RBAC snapshot has not caught up with a change yet"
            );
        }
    }
    let (identity, _) = state.identity.inspect(stream()).await?;
    Ok(identity.access().clone())
}

/// The user as the identity aggregate holds them now (not as this node's snapshot last saw them).
pub(super) async fn current_user(state: &AppState, user_id: &str) -> Result<UserAccess, ApiError> {
    let (identity, _) = state.identity.inspect(stream()).await?;
    identity
        .access()
        .users
        .get(user_id)
        .filter(|u| u.registered)
        .cloned()
        .ok_or_else(|| ApiError::not_found("user", user_id))
}

/// What was just recorded is missing from the state read right after: the store or the actor failed.
pub(super) fn gone(what: &str, id: &str) -> ApiError {
    ApiError::unavailable(format!("{what} {id} missing right after it was recorded"))
}
