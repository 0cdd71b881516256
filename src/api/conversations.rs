//! Conversations, their messages, and the commands agents give on them.

use super::auth::{ApiAuth, Caller};
use super::cursor::{self, Cursor};
use super::error::ApiError;
use super::messages::{queue, SendResponse, Target};
use super::models::{Conversation, ConversationPage};
use super::Tag;
use crate::http::AppState;
use actors::conversation::id::ConversationId;
use actors::conversation::phone::whatsapp_id;
use actors::conversation::workflow::ConversationStatus;
use actors::conversation::{ConversationAction, ConversationCommand, ConversationFact};
use actors::event::{derived_event_id, EventMetadata};
use actors::graph::OutboundContent;
use chrono::{DateTime, SubsecRound, Utc};
use poem::web::Data;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use projections::inbox::queries::{self, ConversationFilter};
use projections::inbox::view::ConversationRow;
use projections::inbox::InboxProjection;
use projections::scope::AccountScope;
use std::sync::Arc;
use std::time::Duration;

/// How long a command waits for the inbox view to show its effect before answering 202.
const READ_YOUR_WRITE: Duration = Duration::from_secs(5);

/// A first message to a number, which may never have written: `content` is a template, unless the
/// customer wrote in the last 24 hours.
#[derive(Debug, Clone, Object)]
pub struct StartConversation {
    /// The business number to write from (its phone number id).
    pub account_id: String,
    /// The customer's number as typed: `+33 6 12 34 56 78`, `0033612345678`, or `06 12 34 56 78` for a
    /// number of the business number's own country.
    pub to: String,
    // Left undocumented: see `SendMessage::content`. The struct's documentation says what it holds.
    pub content: OutboundContent,
}

pub struct ConversationsApi;

#[derive(ApiResponse)]
pub enum CommandResponse {
    /// Done; the conversation as it now stands.
    #[oai(status = 200)]
    Applied(Json<Conversation>),
    /// Recorded, but the view has not caught up yet; the conversation as it stood.
    #[oai(status = 202)]
    Accepted(Json<Conversation>),
}

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Conversations")]
impl ConversationsApi {
    /// Write first to a number: an agent starts a conversation (a reminder, an order update) with a
    /// customer who may never have written. `to` is the number as typed: with its country code, or
    /// without it for a number of the business number's own country; an impossible number is refused
    /// (422 `invalid_phone_number`). Outside the 24-hour window, which a number that never wrote is
    /// always outside of, Meta only delivers templates: anything else is refused (422 `window_closed`).
    /// A conversation that already exists with that number gets the message. With an
    /// `Idempotency-Key`, a retried request queues the message once.
    #[oai(
        path = "/conversations",
        method = "post",
        operation_id = "startConversation"
    )]
    async fn start(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        body: Json<StartConversation>,
        /// Retrying with the same key queues the message once.
        #[oai(name = "Idempotency-Key", validator(min_length = 1, max_length = 200))]
        key: Header<Option<String>>,
    ) -> Result<SendResponse, ApiError> {
        let StartConversation {
            account_id,
            to,
            content,
        } = body.0;
        caller.require_account(&account_id, "account", &account_id)?;
        let account =
            projections::accounts::queries::account(&state.pool, &account_id, &caller.accounts())
                .await?
                .ok_or_else(|| ApiError::not_found("account", &account_id))?;
        let contact = whatsapp_id(&to, account.account.phone_number.as_deref())
            .map_err(|e| ApiError::unprocessable("invalid_phone_number", e.to_string()))?;
        let id = ConversationId::new(&account_id, &contact);
        let existing = queries::conversation(&state.pool, id.as_str(), &caller.accounts()).await?;
        let target = Target {
            to: existing
                .and_then(|c| c.contact_wa_id)
                .unwrap_or_else(|| contact.clone()),
            id,
            group: false,
        };
        queue(&state, &caller, target, content, None, key.0).await
    }

    /// List conversations, most recent first.
    ///
    /// Filters combine: `status=open&assignee=me` is "mine", `assignee=none` "unassigned",
    /// `team={id}` a team's. `q` matches the contact's name (case-insensitive) or number. Pages are keyset
    /// cursors: inserts and updates elsewhere never make a page repeat or skip a conversation that did not
    /// itself move.
    #[oai(
        path = "/conversations",
        method = "get",
        operation_id = "listConversations"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        /// Only this business number (phone number id).
        account: Query<Option<String>>,
        /// true: only conversations with unread messages; false: only those without.
        unread: Query<Option<bool>>,
        favourite: Query<Option<bool>>,
        archived: Query<Option<bool>>,
        /// true: only group conversations.
        group: Query<Option<bool>>,
        /// true: only conversations the bot answers; false: only those a human handles.
        bot: Query<Option<bool>>,
        /// Text to find in the contact's name or number.
        #[oai(validator(max_length = 100))]
        q: Query<Option<String>>,
        /// Only conversations with this status.
        status: Query<Option<ConversationStatus>>,
        /// `me` (assigned to the caller), `none` (to no agent), or a user id.
        #[oai(validator(max_length = 200))]
        assignee: Query<Option<String>>,
        /// `none` (assigned to no team) or a team id.
        #[oai(validator(max_length = 200))]
        team: Query<Option<String>>,
        /// A label id.
        #[oai(validator(max_length = 200))]
        label: Query<Option<String>>,
        /// 1 to 200 (default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<u32>>,
        cursor: Query<Option<String>>,
    ) -> Result<Json<ConversationPage>, ApiError> {
        let limit = cursor::limit(limit.0, 50, 200)?;
        let after = cursor.0.as_deref().map(Cursor::decode).transpose()?;
        let filter = ConversationFilter {
            account: account.0,
            unread: unread.0,
            favourite: favourite.0,
            archived: archived.0,
            group: group.0,
            bot: bot.0,
            text: search_text(q.0.as_deref())?.map(str::to_owned),
            status: status.0,
            assignee: assignee.0.map(|a| match a.as_str() {
                "me" => Some(caller.user_id.clone()),
                "none" => None,
                _ => Some(a),
            }),
            team: team.0.map(|t| (t != "none").then_some(t)),
            label: label.0,
            after: after.map(|c| (c.at, c.key)),
        };
        let page =
            queries::list_conversations(&state.pool, &filter, &caller.accounts(), limit).await?;
        let now = Utc::now();
        let conversations = page.rows;
        let next_cursor = page
            .more
            .then(|| conversations.last())
            .flatten()
            .map(|c| Cursor::new(c.sort_at, c.conversation_id.clone()).encode());
        Ok(Json(ConversationPage {
            conversations: conversations
                .into_iter()
                .map(|c| Conversation::from_row(c, now))
                .collect(),
            next_cursor,
        }))
    }

    /// One conversation.
    #[oai(
        path = "/conversations/:id",
        method = "get",
        operation_id = "getConversation"
    )]
    async fn get(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        id: Path<String>,
    ) -> Result<Json<Conversation>, ApiError> {
        let row = load_conversation(&state, &caller.accounts(), &id.0).await?;
        Ok(Json(Conversation::from_row(row, Utc::now())))
    }

    /// Mark the conversation read: its unread count goes back to zero.
    #[oai(
        path = "/conversations/:id/read",
        method = "post",
        operation_id = "markRead"
    )]
    async fn mark_read(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        id: Path<String>,
        /// Retrying with the same key records the command once; the key used before for another
        /// request of this conversation is refused (422 `idempotency_key_reused`).
        #[oai(name = "Idempotency-Key", validator(min_length = 1, max_length = 200))]
        key: Header<Option<String>>,
    ) -> Result<CommandResponse, ApiError> {
        let answer = command(&state, &caller, &id.0, key.0, ConversationAction::MarkRead).await?;
        send_read_receipt(&state, &id.0).await;
        Ok(answer)
    }

    /// Switch a conversation setting on: `favourite`, or `archive` (a new message from the customer brings
    /// the conversation back). The bot is switched with `PUT /conversations/{id}/bot`.
    #[oai(
        path = "/conversations/:id/:setting",
        method = "put",
        operation_id = "switchOn"
    )]
    async fn switch_on(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        id: Path<String>,
        setting: Path<Setting>,
        /// As for `markRead`.
        #[oai(name = "Idempotency-Key", validator(min_length = 1, max_length = 200))]
        key: Header<Option<String>>,
    ) -> Result<CommandResponse, ApiError> {
        let action = setting.0.action(true);
        command(&state, &caller, &id.0, key.0, action).await
    }

    /// Switch a conversation setting off: un-favourite, or take out of the archive.
    #[oai(
        path = "/conversations/:id/:setting",
        method = "delete",
        operation_id = "switchOff"
    )]
    async fn switch_off(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        id: Path<String>,
        setting: Path<Setting>,
        /// As for `markRead`.
        #[oai(name = "Idempotency-Key", validator(min_length = 1, max_length = 200))]
        key: Header<Option<String>>,
    ) -> Result<CommandResponse, ApiError> {
        let action = setting.0.action(false);
        command(&state, &caller, &id.0, key.0, action).await
    }
}

/// Tells Meta the customer's messages were read (their blue ticks), when the number can send. Best effort:
/// a receipt that does not reach Meta changes nothing in the inbox, so it is not retried.
async fn send_read_receipt(state: &Arc<AppState>, id: &str) {
    let Ok(id) = ConversationId::parse(id) else {
        return;
    };
    let account = id.account();
    let Some(token) = state.outbox.token(account) else {
        return;
    };
    let Ok((conversation, _)) = state.streams.conversations.inspect(id.stream()).await else {
        return;
    };
    let Some(wamid) = conversation.last_inbound_wamid().map(str::to_owned) else {
        return;
    };
    let graph = state.outbox.graph().clone();
    let account = account.to_owned();
    state.tasks.spawn("sending a read receipt", async move {
        if let Err(e) = graph.mark_read(&token, &account, &wamid, false).await {
            tracing::info!(error = %e, "read receipt not delivered to Meta");
        }
    });
}

/// A conversation setting that is switched on with `PUT` and off with `DELETE`.
#[derive(Debug, Clone, Copy, poem_openapi::Enum)]
#[oai(rename_all = "lowercase")]
pub enum Setting {
    Favourite,
    Archive,
}

impl Setting {
    fn action(self, on: bool) -> ConversationAction {
        match self {
            Setting::Favourite => ConversationAction::Favourite(on),
            Setting::Archive => ConversationAction::Archive(on),
        }
    }
}

/// The trimmed search text of a `q` parameter, refused when unreasonably long.
pub fn search_text(q: Option<&str>) -> Result<Option<&str>, ApiError> {
    let text = q.map(str::trim).filter(|s| !s.is_empty());
    if text.is_some_and(|t| t.chars().count() > 100) {
        return Err(ApiError::bad_request(
            "invalid_query",
            "q must be at most 100 characters",
        ));
    }
    Ok(text)
}

/// The conversation, if it is on an account in `scope` (else, as for one that does not exist, 404).
pub async fn load_conversation(
    state: &AppState,
    scope: &AccountScope,
    id: &str,
) -> Result<ConversationRow, ApiError> {
    queries::conversation(&state.pool, id, scope)
        .await?
        .ok_or_else(|| ApiError::not_found("conversation", id))
}

/// Records a command through the conversation's actor, then waits (briefly) until the inbox view shows it.
pub(super) async fn command(
    state: &AppState,
    caller: &Caller,
    id: &str,
    key: Option<String>,
    action: ConversationAction,
) -> Result<CommandResponse, ApiError> {
    record_fact(state, caller, id, key, |command_id, at, keyed| {
        ConversationFact::Command(ConversationCommand {
            command_id,
            at,
            action,
            keyed,
        })
    })
    .await
}

/// Records the fact `make` builds (from the command's id, its time, and whether the caller keyed it)
/// through the conversation's actor, then waits (briefly) until the inbox view shows it.
pub(super) async fn record_fact(
    state: &AppState,
    caller: &Caller,
    id: &str,
    key: Option<String>,
    make: impl FnOnce(uuid::Uuid, DateTime<Utc>, bool) -> ConversationFact,
) -> Result<CommandResponse, ApiError> {
    let scope = caller.accounts();
    let user_id = caller.user_id.as_str();
    load_conversation(state, &scope, id).await?;
    let key = idempotency_key(key)?;
    let command_id = match &key {
        Some(key) => idempotency_id(user_id, id, key),
        None => uuid::Uuid::new_v4(),
    };
    // Stored times have microsecond precision; keep the command's time exactly as it will read back.
    let at: DateTime<Utc> = Utc::now().trunc_subsecs(6);
    let fact = make(command_id, at, key.is_some());
    let outcome = state
        .streams
        .conversations
        .record(
            conversation_id(id)?.stream(),
            vec![fact],
            EventMetadata::user(user_id, command_id),
        )
        .await?;
    let caught_up = match outcome.last_position {
        Some(position) => {
            state
                .checkpoints
                .wait_for(InboxProjection::NAME, position, READ_YOUR_WRITE)
                .await
        }
        None => true,
    };
    let conversation =
        Conversation::from_row(load_conversation(state, &scope, id).await?, Utc::now());
    Ok(if caught_up {
        CommandResponse::Applied(Json(conversation))
    } else {
        CommandResponse::Accepted(Json(conversation))
    })
}

/// The id a request carrying an `Idempotency-Key` is recorded under: one per caller, conversation and
/// key, whatever the route, so the conversation recognises a retry, and refuses the key reused for
/// another request (422 `idempotency_key_reused`).
pub fn idempotency_id(user_id: &str, conversation: &str, key: &str) -> uuid::Uuid {
    derived_event_id("idempotency", &format!("{user_id}:{conversation}:{key}"))
}

/// An `Idempotency-Key` header's value: 1 to 200 characters.
pub fn idempotency_key(key: Option<String>) -> Result<Option<String>, ApiError> {
    match key {
        Some(k) if k.is_empty() || k.chars().count() > 200 => Err(ApiError::bad_request(
            "invalid_idempotency_key",
            "Idempotency-Key must be 1 to 200 characters",
        )),
        key => Ok(key),
    }
}

/// The conversation a path names; an id that cannot name one names nothing (404, as an unknown id).
pub(crate) fn conversation_id(id: &str) -> Result<ConversationId, ApiError> {
    ConversationId::parse(id).map_err(|_| ApiError::not_found("conversation", id))
}
