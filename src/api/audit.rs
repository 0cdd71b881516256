//! The audit trail: a conversation's immutable events, and the conversation as it stood at any moment.

use super::auth::ApiAuth;
use super::cursor;
use super::error::ApiError;
use super::models::{
    AuditEvent, AuditPerson, AuditTrail, Conversation, ConversationState, Message,
};
use super::Tag;
use crate::http::AppState;

use actors::store::{chain, read_whole_stream};
use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::OpenApi;
use std::sync::Arc;

pub struct AuditApi;

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Audit")]
impl AuditApi {
    /// The conversation's stored events in order, with versions, global positions, both timestamps,
    /// who caused each, and its hash-chain link.
    ///
    /// With `as_of` (RFC 3339): only the events recorded until then, and `state`: the conversation and its
    /// messages as they stood at that moment, rebuilt from those events.
    #[oai(
        path = "/conversations/:id/events",
        method = "get",
        operation_id = "conversationEvents"
    )]
    async fn events(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        id: Path<String>,
        /// Events after this stream version (default 0: from the start).
        after_version: Query<Option<u64>>,
        /// 1 to 1000 (default 500).
        #[oai(validator(minimum(value = "1"), maximum(value = "1000")))]
        limit: Query<Option<u32>>,
        as_of: Query<Option<DateTime<Utc>>>,
    ) -> Result<Json<AuditTrail>, ApiError> {
        // A conversation id starts with its account: conversations of other accounts do not exist here.
        let conversation = super::conversations::conversation_id(&id.0)?;
        caller.require_account(conversation.account(), "conversation", &id.0)?;
        let stream = conversation.stream();
        let limit = cursor::limit(limit.0, 500, 1000)?;
        let as_of = as_of
            .0
            .map(|t| cursor::storable_time(t, "as_of"))
            .transpose()?;
        let after = i64::try_from(after_version.0.unwrap_or(0))
            .map_err(|_| ApiError::bad_request("invalid_version", "after_version is too large"))?;
        let rows = chain::stream_trail(&state.pool, stream.as_str(), after, as_of, limit + 1)
            .await?
            .ok_or_else(|| ApiError::not_found("conversation", &id.0))?;
        let more = rows.len() as i64 > limit;
        let events: Vec<AuditEvent> = rows
            .into_iter()
            .take(limit as usize)
            .map(|r| -> Result<AuditEvent, ApiError> {
                Ok(AuditEvent {
                    event_id: r.event_id.to_string(),
                    stream_id: stream.to_string(),
                    stream_version: u64::try_from(r.stream_version).unwrap_or(0),
                    global_position: u64::try_from(r.global_position).unwrap_or(0),
                    event_type: r.event_type,
                    schema_version: u32::try_from(r.schema_version).unwrap_or(0),
                    // Read without serde_json's depth limit, like every reader of stored payloads.
                    payload: actors::json::from_stored_str(&r.payload).map_err(|e| {
                        ApiError::unavailable(format!("stored payload unreadable: {e}"))
                    })?,
                    metadata: r.metadata,
                    occurred_at: r.occurred_at,
                    recorded_at: r.recorded_at,
                    hash: chain::hex(&r.hash),
                })
            })
            .collect::<Result<_, _>>()?;
        let next_after_version = more
            .then(|| events.last().map(|e| e.stream_version))
            .flatten();

        let state_then = match as_of {
            None => None,
            Some(moment) => {
                let all = read_whole_stream(state.store.as_ref(), &stream)
                    .await
                    .map_err(|e| ApiError::unavailable(format!("{:#}", e.0)))?;
                let until: Vec<_> = all
                    .into_iter()
                    .filter(|e| e.recorded_at <= moment)
                    .collect();
                let view = projections::inbox::replay(&until)?;
                let conversation = view
                    .conversations
                    .into_values()
                    .next()
                    .map(|c| Conversation::from_row(c, moment));
                let mut messages: Vec<_> =
                    view.messages.into_values().filter(|m| m.present).collect();
                messages.sort_by_key(|a| (a.sort_at, a.seq));
                conversation.map(|conversation| ConversationState {
                    conversation,
                    messages: messages.into_iter().map(Message::from).collect(),
                })
            }
        };
        let people = people(&caller.snapshot().rbac, &events);
        Ok(Json(AuditTrail {
            people,
            conversation_id: id.0,
            stream_id: stream.to_string(),
            events,
            next_after_version,
            as_of,
            state: state_then,
        }))
    }
}

/// The users named as `caused_by` in `events`, with the names the install knows them by.
fn people(rbac: &actors::identity::Rbac, events: &[AuditEvent]) -> Vec<AuditPerson> {
    let ids: std::collections::BTreeSet<&str> = events
        .iter()
        .filter(|e| e.metadata["caused_by"]["kind"] == "user")
        .filter_map(|e| e.metadata["caused_by"]["user_id"].as_str())
        .collect();
    ids.into_iter()
        .filter_map(|id| {
            let user = rbac.users.get(id)?;
            Some(AuditPerson {
                user_id: id.to_owned(),
                name: user.name.clone().unwrap_or_else(|| user.email.clone()),
            })
        })
        .collect()
}
