//! A conversation's messages: reading them page by page, and sending every kind Meta offers (checked and
//! queued by the conversation's actor, sent by the number's sender). Both live on one path, so they are
//! one API: the spec keeps one entry per path.

use super::auth::{ApiAuth, Caller};
use super::conversations::{idempotency_id, idempotency_key, load_conversation};
use super::cursor::{self, Cursor};
use super::error::ApiError;
use super::models::{Message, MessagePage};
use super::Tag;
use crate::http::AppState;
use actors::conversation::id::ConversationId;
use actors::conversation::outbound::SendCommand;
use actors::conversation::status::MessageStatus;
use actors::conversation::ConversationFact;
use actors::event::EventMetadata;
use actors::graph::management::TemplateQuery;
use actors::graph::media::limit_for;
use actors::graph::{OutboundContent, OutboundMessage};
use actors::outbound::sender::Job;
use chrono::{SubsecRound, Utc};
use poem::web::Data;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use projections::inbox::queries;
use projections::inbox::view::MessageRow;
use std::sync::Arc;

pub struct MessagesApi;

/// A message to send in a conversation: its `content`, whose `kind` says which (`text`, `image`, `audio`,
/// `video`, `document`, `sticker`, `location`, `contacts`, `reaction`, `template`, `buttons`, `list` or
/// `cta_url`).
#[derive(Debug, Clone, Object)]
pub struct SendMessage {
    // Left undocumented here: a documented field wraps the union in `allOf`, and generated clients lose
    // the union's variants. The struct's documentation says what it is.
    pub content: OutboundContent,
    /// Quote this message of the conversation (its wamid).
    pub reply_to: Option<String>,
}

/// The message is queued; its status follows in the conversation's messages and the live stream.
#[derive(Debug, Clone, Object)]
pub struct Queued {
    /// The message's id in this conversation's messages.
    pub message_id: String,
    pub conversation_id: String,
    /// `queued`.
    pub status: MessageStatus,
}

#[derive(ApiResponse)]
pub enum SendResponse {
    /// Queued; it is sent as soon as the number's limits allow.
    #[oai(status = 202)]
    Queued(Json<Queued>),
}

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Conversations")]
impl MessagesApi {
    /// A page of a conversation's messages, oldest first within the page.
    ///
    /// Without a cursor: the newest messages. `before`: older ones than that cursor. `after`: newer ones
    /// (poll it, or follow `/api/v1/stream`, for messages that arrive later).
    #[oai(
        path = "/conversations/:id/messages",
        method = "get",
        operation_id = "listMessages"
    )]
    async fn messages(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        id: Path<String>,
        before: Query<Option<String>>,
        after: Query<Option<String>>,
        /// 1 to 200 (default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<u32>>,
    ) -> Result<Json<MessagePage>, ApiError> {
        let limit = cursor::limit(limit.0, 50, 200)?;
        if before.0.is_some() && after.0.is_some() {
            return Err(ApiError::bad_request(
                "invalid_cursor",
                "give before or after, not both",
            ));
        }
        load_conversation(&state, &caller.accounts(), &id.0).await?;
        let (rows, older, has_newer) = match after.0.as_deref() {
            Some(raw) => {
                let c = Cursor::decode(raw)?;
                let seq = cursor_seq(&c)?;
                let page = queries::messages_after(&state.pool, &id.0, (c.at, seq), limit).await?;
                (page.rows, true, page.more)
            }
            None => {
                let c = before.0.as_deref().map(Cursor::decode).transpose()?;
                let keyset = c
                    .map(|c| cursor_seq(&c).map(|seq| (c.at, seq)))
                    .transpose()?;
                let page = queries::messages_before(&state.pool, &id.0, keyset, limit).await?;
                (page.rows, page.more, keyset.is_some())
            }
        };
        let cursor_of = |m: &MessageRow| Cursor::new(m.sort_at, m.seq.to_string()).encode();
        let older_cursor = if older {
            rows.first().map(cursor_of)
        } else {
            None
        };
        let newer_cursor = rows.last().map(cursor_of).or(after.0.clone());
        Ok(Json(MessagePage {
            messages: rows.into_iter().map(Message::from).collect(),
            older_cursor,
            newer_cursor,
            has_newer,
        }))
    }

    /// Send a message to the conversation's customer (or group).
    ///
    /// Free-form messages (anything but a template) can only be sent within 24 hours of the customer's
    /// last message; outside that window the answer is 422 `window_closed`, and a template must be sent.
    /// A reaction or a reply must name a message of this conversation. Files are referred to by the id
    /// `POST /api/v1/media` returned (uploaded to Meta when the message is sent), or by a public link.
    /// With an `Idempotency-Key`, a retried request queues the message once.
    #[oai(
        path = "/conversations/:id/messages",
        method = "post",
        operation_id = "sendMessage"
    )]
    async fn send(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        id: Path<String>,
        body: Json<SendMessage>,
        /// Retrying with the same key queues the message once; the key used before for another
        /// request of this conversation is refused (422 `idempotency_key_reused`), and nothing is queued.
        #[oai(name = "Idempotency-Key", validator(min_length = 1, max_length = 200))]
        key: Header<Option<String>>,
    ) -> Result<SendResponse, ApiError> {
        let conversation = load_conversation(&state, &caller.accounts(), &id.0).await?;
        let SendMessage { content, reply_to } = body.0;
        let target = Target {
            id: super::conversations::conversation_id(&id.0)?,
            // Messages go to the customer's WhatsApp id, or the group.
            to: conversation
                .contact_wa_id
                .clone()
                .unwrap_or_else(|| conversation.contact_id.clone()),
            group: conversation.is_group,
        };
        queue(&state, &caller, target, content, reply_to, key.0).await
    }
}

/// Where a message goes: its conversation, and the WhatsApp id (or group) Meta delivers it to.
pub(super) struct Target {
    pub(super) id: ConversationId,
    pub(super) to: String,
    pub(super) group: bool,
}

/// Queues a message in a conversation (the conversation's aggregate decides whether it may be sent),
/// and hands it to the number's sender.
pub(super) async fn queue(
    state: &AppState,
    caller: &Caller,
    target: Target,
    content: OutboundContent,
    reply_to: Option<String>,
    key: Option<String>,
) -> Result<SendResponse, ApiError> {
    let account_id = target.id.account().to_owned();
    content
        .validate()
        .map_err(|reason| ApiError::bad_request("invalid_message", reason))?;
    check_media(state, caller, &content).await?;
    if !state.outbox.can_send(&account_id) {
        return Err(ApiError::conflict(
            "account_not_connected",
            format!(
                "number {account_id} has no access token, so nothing can be sent from it: set WHATSAPP_TOKEN"
            ),
        ));
    }
    let message_id = match idempotency_key(key)? {
        Some(key) => idempotency_id(&caller.user_id, target.id.as_str(), &key),
        None => uuid::Uuid::new_v4(),
    };
    let template_text = template_text(state, &account_id, &content).await;
    let command = SendCommand {
        message_id,
        at: Utc::now().trunc_subsecs(6),
        message: OutboundMessage {
            to: target.to,
            group: target.group,
            reply_to,
            content,
            callback_data: None,
            template_text,
        },
        by: Some(caller.user_id.clone()),
    };
    let stream = target.id.stream();
    state
        .streams
        .conversations
        .record(
            stream.clone(),
            vec![ConversationFact::Send(command)],
            EventMetadata::user(&caller.user_id, message_id),
        )
        .await?;
    // The dispatcher would find it too (through the inbox view); handing it over now saves that trip.
    let job = Job {
        conversation: stream,
        message_id,
    };
    if let Err(e) = state.outbox.enqueue(&account_id, job).await {
        tracing::warn!(error = %e, "queued message not handed to a sender");
    }
    Ok(SendResponse::Queued(Json(Queued {
        message_id: message_id.to_string(),
        conversation_id: target.id.as_str().to_owned(),
        status: MessageStatus::Queued,
    })))
}

/// How long a send waits for Meta's copy of a template before showing the template by its name instead.
const TEMPLATE_LOOKUP: std::time::Duration = std::time::Duration::from_secs(2);

/// A template's text as the customer will read it, from the business account's templates at Meta; only
/// for the inbox to show. Without it (no business account, Meta slow or failing, a template Meta does not
/// list in that language) the inbox shows the template's name, and the message is sent all the same.
async fn template_text(
    state: &AppState,
    account_id: &str,
    content: &OutboundContent,
) -> Option<String> {
    let OutboundContent::Template(message) = content else {
        return None;
    };
    let account = state.registry.get(account_id)?;
    let (token, business_account) = (account.access_token?, account.business_account_id?);
    let query = TemplateQuery {
        name: Some(message.name.clone()),
        ..TemplateQuery::default()
    };
    let lookup = state
        .outbox
        .graph()
        .templates(&token, &business_account, &query);
    let templates = match tokio::time::timeout(TEMPLATE_LOOKUP, lookup).await {
        Ok(Ok(page)) => page.data,
        Ok(Err(e)) => {
            tracing::info!(error = %e, template = %message.name, "template text not known; showing its name");
            return None;
        }
        Err(_) => {
            tracing::info!(template = %message.name, "Meta did not list the template in time; showing its name");
            return None;
        }
    };
    templates
        .iter()
        .find(|t| t.name == message.name && t.language.as_deref() == Some(&message.language))
        .and_then(|t| message.text_of(&t.components))
}

/// A file from the media store must be there, and of a type and size Meta accepts for the message's kind.
async fn check_media(
    state: &AppState,
    caller: &Caller,
    content: &OutboundContent,
) -> Result<(), ApiError> {
    let Some(media_id) = content.media().and_then(|m| m.media_id.as_deref()) else {
        return Ok(());
    };
    let unknown = || {
        ApiError::unprocessable(
            "unknown_media",
            format!("no uploaded file {media_id:?}: upload it with POST /api/v1/media first"),
        )
    };
    // A file of another account's conversation is as unknown as one never uploaded.
    if !super::media::visible(state, caller, media_id).await? {
        return Err(unknown());
    }
    let media = state
        .media
        .describe(media_id)
        .await
        .map_err(|e| ApiError::dependency_failed("its media store", e))?
        .ok_or_else(unknown)?;
    let kind = content.kind();
    let max = limit_for(kind, &media.mime_type)
        .map_err(|reason| ApiError::unprocessable("media_not_allowed", reason))?;
    if media.size > max {
        return Err(ApiError::unprocessable(
            "media_too_large",
            format!(
                "{kind} messages accept files up to {max} bytes; this one has {}",
                media.size
            ),
        ));
    }
    Ok(())
}

fn cursor_seq(c: &Cursor) -> Result<i64, ApiError> {
    c.key.parse().map_err(|_| super::cursor::invalid())
}
