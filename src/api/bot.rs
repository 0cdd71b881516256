//! The bot: each number's settings (versioned: every save is a `bot.configured` event), the exact prompt a
//! turn would send, a "try it" that asks the model without sending anything, and each conversation's bot
//! state and turns.

use super::auth::{ApiAuth, Caller, Permission};
use super::conversations::{command, load_conversation, CommandResponse};
use super::error::ApiError;
use super::Tag;
use crate::http::AppState;
use actors::account::AccountFact;
use actors::bot::prompt::{HistoryMessage, KnownAnswer, PromptTurn};
use actors::bot::settings::BotSettings;
use actors::bot::Verdict;
use actors::conversation::ConversationAction;
use actors::event::{EventMetadata, StreamId};
use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::param::Header;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use std::sync::Arc;
use std::time::Duration;

/// `/accounts/{id}/bot…` and `/conversations/{id}/bot`.
pub struct BotApi;

/// A number's bot settings.
#[derive(Debug, Clone, Object)]
pub struct BotConfig {
    /// How many times the settings were saved (0: never, these are the defaults). Each bot turn names
    /// the version it used.
    pub version: u64,
    pub settings: BotSettings,
    pub saved_at: Option<DateTime<Utc>>,
    /// The model this server asks (`provider:model`), or none when no model is configured: then the bot
    /// hands every conversation over.
    pub server_model: Option<String>,
    /// Who gets hand-over summaries when the settings name no one (`HUMAN_BACKUP_NUMBER`).
    pub server_escalation_number: Option<String>,
}

/// A save of a number's bot settings.
#[derive(Debug, Clone, Object)]
pub struct BotConfigChange {
    /// The whole settings (what `GET` returned, changed).
    pub settings: BotSettings,
    /// The version these settings were read at: when someone saved since, the save is refused (409
    /// `stale_settings`) instead of overwriting their change.
    pub version: Option<u64>,
}

/// What a turn would send to the model.
#[derive(Debug, Clone, Object)]
pub struct BotPreview {
    /// The system instruction: the rules, then every filled-in part of the profile and playbook.
    pub system: String,
    /// The conversation as the model reads it, ending with the customer.
    pub turns: Vec<PreviewTurn>,
    /// The JSON Schema the answer must follow.
    pub schema: serde_json::Value,
    /// The titles of the sections the prompt holds.
    pub sections: Vec<String>,
    pub version: u64,
    pub server_model: Option<String>,
}

#[derive(Debug, Clone, Object)]
pub struct PreviewTurn {
    /// `customer` or `business`.
    pub from: String,
    pub text: String,
}

impl From<&PromptTurn> for PreviewTurn {
    fn from(t: &PromptTurn) -> Self {
        PreviewTurn {
            from: if t.from_customer {
                "customer"
            } else {
                "business"
            }
            .to_owned(),
            text: t.text.clone(),
        }
    }
}

/// A sample question for "try it".
#[derive(Debug, Clone, Object)]
pub struct BotTry {
    /// What the customer writes.
    #[oai(validator(min_length = 1, max_length = 4096))]
    pub message: String,
    /// Answer it as the next message of this conversation (its history goes with it).
    pub conversation_id: Option<String>,
    /// Settings to try instead of the saved ones (nothing is saved).
    pub settings: Option<BotSettings>,
}

/// What the bot would do, without sending anything.
#[derive(Debug, Clone, Object)]
pub struct BotTryResult {
    /// `reply` (the reply would be sent) or `escalate` (the fallback phrase would be sent and the
    /// conversation handed over).
    pub outcome: String,
    /// The reply that would be sent: the model's, or the fallback phrase.
    pub reply: String,
    /// What the model answered, when it answered.
    pub model_reply: Option<String>,
    pub confidence: Option<f64>,
    pub needs_human: Option<bool>,
    pub reasons: Vec<String>,
    /// Why it would hand over (`low_confidence`, `needs_human`, `model_failed`, `blocked`).
    pub escalation_reason: Option<String>,
    /// The model's or the provider's error.
    pub error: Option<String>,
    pub model: Option<String>,
    pub latency_ms: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub preview: BotPreview,
}

/// Whether the bot answers in a conversation.
#[derive(Debug, Clone, Object)]
pub struct BotSwitch {
    pub enabled: bool,
}

/// A conversation's bot: on or off, what waits, and its turns.
#[derive(Debug, Clone, Object)]
pub struct ConversationBot {
    pub enabled: bool,
    /// Why it is off, when the bot or an agent switched it off: `agent_replied` or `escalated`.
    pub off_reason: Option<String>,
    /// The customer message the bot has not answered yet, if any.
    pub waiting_message_id: Option<String>,
    pub replies: i32,
    pub escalations: i32,
    pub last_escalated_at: Option<DateTime<Utc>>,
    pub last_escalation_reason: Option<String>,
    /// The latest turns, newest first.
    pub turns: Vec<BotTurn>,
    /// Voice notes' words.
    pub transcripts: Vec<Transcript>,
}

/// One bot turn.
#[derive(Debug, Clone, Object)]
pub struct BotTurn {
    pub turn_id: String,
    /// The customer's latest message the turn answered.
    pub through: String,
    /// `claimed` (under way), `replied` or `escalated`.
    pub outcome: String,
    /// For replies `answer` or `attachment`; for hand-overs the reason.
    pub kind: Option<String>,
    /// The message the bot sent (its reply or the fallback phrase).
    pub message_id: Option<String>,
    pub model: Option<String>,
    pub playbook_version: Option<i64>,
    pub confidence: Option<f64>,
    pub reasons: Vec<String>,
    pub input_tokens: Option<i64>,
    pub output_tokens: Option<i64>,
    pub latency_ms: Option<i64>,
    pub would_have_replied: Option<String>,
    pub error: Option<String>,
    pub escalation_number: Option<String>,
    pub claimed_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Object)]
pub struct Transcript {
    pub message_id: String,
    pub text: String,
    pub model: String,
    pub transcribed_at: DateTime<Utc>,
}

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Bot")]
impl BotApi {
    /// A number's bot settings (the defaults until first saved).
    #[oai(path = "/accounts/:id/bot", method = "get", operation_id = "getBot")]
    async fn get(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        id: Path<String>,
    ) -> Result<Json<BotConfig>, ApiError> {
        let (version, settings, saved_at) = load(&state, &caller, &id.0).await?;
        Ok(Json(config(&state, version, settings, saved_at)))
    }

    /// Save a number's bot settings, whole. Each save is versioned and attributed; an unchanged save
    /// records nothing.
    #[oai(path = "/accounts/:id/bot", method = "put", operation_id = "setBot")]
    async fn put(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        id: Path<String>,
        body: Json<BotConfigChange>,
    ) -> Result<Json<BotConfig>, ApiError> {
        let (_, _, _) = load(&state, &caller, &id.0).await?;
        let home = home_number(&state, &id.0).await?;
        let BotConfigChange { settings, version } = body.0;
        let settings = settings.validated(home.as_deref()).map_err(|e| {
            ApiError::bad_request_with(
                "invalid_bot_settings",
                e.to_string(),
                serde_json::json!({ "field": e.field }),
            )
        })?;
        let outcome = state
            .streams
            .accounts
            .record(
                StreamId::account(&id.0),
                vec![AccountFact::ConfigureBot {
                    save_id: uuid::Uuid::new_v4(),
                    settings,
                    based_on: version,
                    at: Utc::now(),
                }],
                EventMetadata::user(&caller.user_id, uuid::Uuid::new_v4()),
            )
            .await?;
        settle(&state, outcome.last_position).await;
        let (version, settings, saved_at) = load(&state, &caller, &id.0).await?;
        Ok(Json(config(&state, version, settings, saved_at)))
    }

    /// The exact prompt a turn would send: with a sample customer message, or as the next turn of a
    /// real conversation of this number.
    #[oai(
        path = "/accounts/:id/bot/preview",
        method = "get",
        operation_id = "previewBot"
    )]
    async fn preview(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        id: Path<String>,
        /// The customer's message (default: "Bonjour").
        #[oai(validator(max_length = 4096))]
        message: Query<Option<String>>,
        /// Use this conversation's history.
        conversation: Query<Option<String>>,
    ) -> Result<Json<BotPreview>, ApiError> {
        let (version, settings, _) = load(&state, &caller, &id.0).await?;
        let message = message.0.unwrap_or_else(|| "Bonjour".to_owned());
        let history = history(&state, &caller, &id.0, conversation.0.as_deref(), &message).await?;
        let known = known(&state, &id.0, &message).await;
        Ok(Json(preview(&state, &settings, version, &history, &known)))
    }

    /// Ask the model as a turn would, and say what the bot would do, without sending or recording
    /// anything. Unsaved settings can be tried.
    #[oai(
        path = "/accounts/:id/bot/try",
        method = "post",
        operation_id = "tryBot"
    )]
    async fn try_it(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        id: Path<String>,
        body: Json<BotTry>,
    ) -> Result<Json<BotTryResult>, ApiError> {
        let (version, saved, _) = load(&state, &caller, &id.0).await?;
        let BotTry {
            message,
            conversation_id,
            settings,
        } = body.0;
        let settings = match settings {
            None => saved,
            Some(s) => {
                let home = home_number(&state, &id.0).await?;
                s.validated(home.as_deref()).map_err(|e| {
                    ApiError::bad_request_with(
                        "invalid_bot_settings",
                        e.to_string(),
                        serde_json::json!({ "field": e.field }),
                    )
                })?
            }
        };
        let history = history(&state, &caller, &id.0, conversation_id.as_deref(), &message).await?;
        let known = known(&state, &id.0, &message).await;
        let judged = state.bot.answer(&settings, version, &history, &known).await;
        let (outcome, reply, escalation_reason) = match &judged.verdict {
            Verdict::Reply(text) => ("reply", text.clone(), None),
            Verdict::Escalate(reason) => (
                "escalate",
                settings.fallback_phrase.clone(),
                Some(reason.as_str().to_owned()),
            ),
        };
        Ok(Json(BotTryResult {
            outcome: outcome.to_owned(),
            reply,
            model_reply: judged.answer.as_ref().map(|a| a.reply.clone()),
            confidence: judged.answer.as_ref().map(|a| a.confidence),
            needs_human: judged.answer.as_ref().map(|a| a.needs_human),
            reasons: judged.details.reasons.clone(),
            escalation_reason,
            error: judged.error.clone(),
            model: Some(judged.details.model.clone()).filter(|m| !m.is_empty()),
            latency_ms: judged.details.latency_ms,
            input_tokens: judged.details.input_tokens,
            output_tokens: judged.details.output_tokens,
            preview: preview(&state, &settings, version, &history, &known),
        }))
    }

    /// A number's knowledge base: questions and answers the bot retrieves by similarity.
    #[oai(
        path = "/accounts/:id/bot/qa",
        method = "get",
        operation_id = "listBotQa"
    )]
    async fn qa_list(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        id: Path<String>,
    ) -> Result<Json<Vec<QaEntry>>, ApiError> {
        load(&state, &caller, &id.0).await?;
        let rows = projections::bot::queries::qa(&state.pool, &id.0).await?;
        Ok(Json(rows.into_iter().map(QaEntry::from).collect()))
    }

    /// Add a question and its answer to the knowledge base.
    #[oai(
        path = "/accounts/:id/bot/qa",
        method = "post",
        operation_id = "addBotQa"
    )]
    async fn qa_add(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        id: Path<String>,
        body: Json<QaChange>,
    ) -> Result<QaCreated, ApiError> {
        load(&state, &caller, &id.0).await?;
        let qa_id = uuid::Uuid::new_v4();
        let entry = save_qa(&state, &caller, &id.0, qa_id, body.0).await?;
        Ok(QaCreated::Created(Json(entry)))
    }

    /// Change a question and answer of the knowledge base.
    #[oai(
        path = "/accounts/:id/bot/qa/:qa_id",
        method = "put",
        operation_id = "setBotQa"
    )]
    async fn qa_set(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        id: Path<String>,
        qa_id: Path<String>,
        body: Json<QaChange>,
    ) -> Result<Json<QaEntry>, ApiError> {
        load(&state, &caller, &id.0).await?;
        let qa_id = qa_id_of(&id.0, &qa_id.0, &state).await?;
        Ok(Json(save_qa(&state, &caller, &id.0, qa_id, body.0).await?))
    }

    /// Remove a question and answer from the knowledge base.
    #[oai(
        path = "/accounts/:id/bot/qa/:qa_id",
        method = "delete",
        operation_id = "removeBotQa"
    )]
    async fn qa_remove(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        id: Path<String>,
        qa_id: Path<String>,
    ) -> Result<QaRemoved, ApiError> {
        load(&state, &caller, &id.0).await?;
        let qa_id = qa_id_of(&id.0, &qa_id.0, &state).await?;
        let outcome = state
            .streams
            .accounts
            .record(
                StreamId::account(&id.0),
                vec![AccountFact::RemoveQa {
                    qa_id,
                    at: Utc::now(),
                }],
                EventMetadata::user(&caller.user_id, uuid::Uuid::new_v4()),
            )
            .await?;
        settle(&state, outcome.last_position).await;
        Ok(QaRemoved::Removed)
    }

    /// Questions customers asked and the answers people gave next: entries worth adding to the
    /// knowledge base (those already in it are left out), newest first.
    #[oai(
        path = "/accounts/:id/bot/qa-suggestions",
        method = "get",
        operation_id = "suggestBotQa"
    )]
    async fn qa_suggestions(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        id: Path<String>,
    ) -> Result<Json<Vec<QaSuggestion>>, ApiError> {
        load(&state, &caller, &id.0).await?;
        caller.require(Permission::MessagesView, Some(&id.0))?;
        let rows = projections::bot::queries::suggestions(&state.pool, &id.0, 50).await?;
        Ok(Json(
            rows.into_iter()
                .map(|s| QaSuggestion {
                    conversation_id: s.conversation_id,
                    question_message_id: s.question_id,
                    question: s.question,
                    answer: s.answer,
                    answered_at: s.answered_at,
                })
                .collect(),
        ))
    }

    /// Switch the bot on in this conversation (it answers again, after a person took over or after it
    /// handed over) or off (a person takes over). Recorded as `conversation.bot_set`, with who and when.
    #[oai(
        path = "/conversations/:id/bot",
        method = "put",
        operation_id = "switchConversationBot"
    )]
    async fn switch(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        id: Path<String>,
        body: Json<BotSwitch>,
        /// Retrying with the same key records the command once.
        #[oai(name = "Idempotency-Key", validator(min_length = 1, max_length = 200))]
        key: Header<Option<String>>,
    ) -> Result<CommandResponse, ApiError> {
        let action = ConversationAction::Bot(body.0.enabled);
        command(&state, &caller, &id.0, key.0, action).await
    }

    /// A conversation's bot: whether it answers, why it stopped, and its turns with their model,
    /// playbook version, confidence and reasons.
    #[oai(
        path = "/conversations/:id/bot",
        method = "get",
        operation_id = "getConversationBot"
    )]
    async fn conversation(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        id: Path<String>,
    ) -> Result<Json<ConversationBot>, ApiError> {
        let conversation = load_conversation(&state, &caller.accounts(), &id.0).await?;
        let row = projections::bot::queries::conversation(&state.pool, &id.0).await?;
        let turns = projections::bot::queries::turns(&state.pool, &id.0, 50).await?;
        let transcripts = projections::bot::queries::transcripts(&state.pool, &id.0).await?;
        let waiting = row.as_ref().and_then(|r| {
            r.latest_message_id
                .clone()
                .filter(|m| r.answered_through.as_ref() != Some(m))
        });
        Ok(Json(ConversationBot {
            enabled: row.as_ref().map_or(conversation.bot_enabled, |r| r.enabled),
            off_reason: row.as_ref().and_then(|r| r.off_reason.clone()),
            waiting_message_id: waiting,
            replies: row.as_ref().map_or(0, |r| r.replies),
            escalations: row.as_ref().map_or(0, |r| r.escalations),
            last_escalated_at: row.as_ref().and_then(|r| r.last_escalated_at),
            last_escalation_reason: row.as_ref().and_then(|r| r.last_escalation_reason.clone()),
            turns: turns
                .into_iter()
                .map(|t| BotTurn {
                    turn_id: t.turn_id.to_string(),
                    through: t.through,
                    outcome: t.outcome,
                    kind: t.kind,
                    message_id: t.message_id,
                    model: t.model,
                    playbook_version: t.playbook_version,
                    confidence: t.confidence,
                    reasons: serde_json::from_value(t.reasons).unwrap_or_default(),
                    input_tokens: t.input_tokens,
                    output_tokens: t.output_tokens,
                    latency_ms: t.latency_ms,
                    would_have_replied: t.would_have_replied,
                    error: t.error,
                    escalation_number: t.escalation_number,
                    claimed_at: t.claimed_at,
                    finished_at: t.finished_at,
                })
                .collect(),
            transcripts: transcripts
                .into_iter()
                .map(|t| Transcript {
                    message_id: t.message_id,
                    text: t.text,
                    model: t.model,
                    transcribed_at: t.transcribed_at,
                })
                .collect(),
        }))
    }
}

/// A question and answer of the knowledge base.
#[derive(Debug, Clone, Object)]
pub struct QaEntry {
    pub id: String,
    pub question: String,
    pub answer: String,
    /// The conversation it was taken from, if it was.
    pub source_conversation: Option<String>,
    pub saved_at: DateTime<Utc>,
}

impl From<projections::bot::view::QaRow> for QaEntry {
    fn from(r: projections::bot::view::QaRow) -> Self {
        QaEntry {
            id: r.qa_id.to_string(),
            question: r.question,
            answer: r.answer,
            source_conversation: r.source_conversation,
            saved_at: r.saved_at,
        }
    }
}

/// A question and answer to save.
#[derive(Debug, Clone, Object)]
pub struct QaChange {
    #[oai(validator(min_length = 1, max_length = 1000))]
    pub question: String,
    #[oai(validator(min_length = 1, max_length = 4000))]
    pub answer: String,
    pub source_conversation: Option<String>,
}

/// A question a customer asked and the answer a person gave.
#[derive(Debug, Clone, Object)]
pub struct QaSuggestion {
    pub conversation_id: String,
    pub question_message_id: String,
    pub question: String,
    pub answer: String,
    pub answered_at: DateTime<Utc>,
}

#[derive(poem_openapi::ApiResponse)]
pub enum QaCreated {
    #[oai(status = 201)]
    Created(Json<QaEntry>),
}

#[derive(poem_openapi::ApiResponse)]
pub enum QaRemoved {
    #[oai(status = 204)]
    Removed,
}

/// An entry's id, when the number's knowledge base holds it (404 otherwise).
async fn qa_id_of(account: &str, id: &str, state: &AppState) -> Result<uuid::Uuid, ApiError> {
    let not_found = || ApiError::not_found("knowledge-base entry", id);
    let qa_id: uuid::Uuid = id.parse().map_err(|_| not_found())?;
    let (current, _) = state
        .streams
        .accounts
        .inspect(StreamId::account(account))
        .await?;
    match current.has_qa(&qa_id) {
        true => Ok(qa_id),
        false => Err(not_found()),
    }
}

async fn save_qa(
    state: &AppState,
    caller: &Caller,
    account: &str,
    qa_id: uuid::Uuid,
    change: QaChange,
) -> Result<QaEntry, ApiError> {
    let (question, answer) = (change.question.trim(), change.answer.trim());
    for (field, value) in [("question", question), ("answer", answer)] {
        if value.is_empty()
            || value
                .chars()
                .any(|c| c.is_control() && !matches!(c, '\n' | '\t'))
        {
            return Err(ApiError::bad_request_with(
                "invalid_entry",
                format!("{field} must hold words and no control characters"),
                serde_json::json!({ "field": field }),
            ));
        }
    }
    if let Some(source) = &change.source_conversation {
        let row = load_conversation(state, &caller.accounts(), source).await?;
        if row.account_id != account {
            return Err(ApiError::bad_request(
                "invalid_conversation",
                format!("conversation {source} is not a conversation of number {account}"),
            ));
        }
    }
    let saved = actors::account::events::BotQaSaved {
        qa_id,
        question: question.to_owned(),
        answer: answer.to_owned(),
        source_conversation: change.source_conversation.clone(),
        at: Utc::now(),
        save_id: uuid::Uuid::new_v4(),
    };
    let outcome = state
        .streams
        .accounts
        .record(
            StreamId::account(account),
            vec![AccountFact::SaveQa(saved.clone())],
            EventMetadata::user(&caller.user_id, uuid::Uuid::new_v4()),
        )
        .await?;
    settle(state, outcome.last_position).await;
    Ok(QaEntry {
        id: qa_id.to_string(),
        question: saved.question,
        answer: saved.answer,
        source_conversation: saved.source_conversation,
        saved_at: saved.at,
    })
}

/// Waits (briefly) until the bot view holds what was just recorded, so a read right after sees it.
async fn settle(state: &AppState, position: Option<u64>) {
    if let Some(position) = position {
        state
            .checkpoints
            .wait_for(
                projections::bot::BotProjection::NAME,
                position,
                Duration::from_secs(5),
            )
            .await;
    }
}

/// The number's saved settings (or the defaults), when the caller manages its bot.
async fn load(
    state: &AppState,
    caller: &Caller,
    account: &str,
) -> Result<(u64, BotSettings, Option<DateTime<Utc>>), ApiError> {
    caller.require_account(account, "account", account)?;
    projections::accounts::queries::account(&state.pool, account, &caller.accounts())
        .await?
        .ok_or_else(|| ApiError::not_found("account", account))?;
    let row = projections::bot::queries::settings(&state.pool, account).await?;
    Ok(match row {
        None => (0, BotSettings::default(), None),
        Some(row) => (
            u64::try_from(row.version).unwrap_or(0),
            serde_json::from_value(row.settings).unwrap_or_default(),
            Some(row.saved_at),
        ),
    })
}

/// The business's own number (its country is where numbers written without one are read).
async fn home_number(state: &AppState, account: &str) -> Result<Option<String>, ApiError> {
    let (current, _) = state
        .streams
        .accounts
        .inspect(StreamId::account(account))
        .await?;
    Ok(current.configuration().and_then(|c| c.phone_number.clone()))
}

fn config(
    state: &AppState,
    version: u64,
    settings: BotSettings,
    saved_at: Option<DateTime<Utc>>,
) -> BotConfig {
    BotConfig {
        version,
        settings,
        saved_at,
        server_model: state.bot.model_name(),
        server_escalation_number: state.bot.settings.backup_number.clone(),
    }
}

/// The history a preview or a try answers: a conversation's latest messages (when named), then the
/// sample message.
async fn history(
    state: &AppState,
    caller: &Caller,
    account: &str,
    conversation: Option<&str>,
    message: &str,
) -> Result<Vec<HistoryMessage>, ApiError> {
    let mut history = Vec::new();
    if let Some(id) = conversation {
        let row = load_conversation(state, &caller.accounts(), id).await?;
        if row.account_id != account {
            return Err(ApiError::bad_request(
                "invalid_conversation",
                format!("conversation {id} is not a conversation of number {account}"),
            ));
        }
        caller.require(Permission::MessagesView, Some(account))?;
        let page = projections::inbox::queries::messages_before(&state.pool, id, None, 20).await?;
        let transcripts = projections::bot::queries::transcripts(&state.pool, id).await?;
        for m in page.rows.iter().filter(|m| !crate::bot::is_note(m)) {
            let transcript = transcripts
                .iter()
                .find(|t| t.message_id == m.message_id)
                .map(|t| t.text.as_str());
            history.push(crate::bot::history_message(m, transcript));
        }
    }
    history.push(HistoryMessage {
        from_customer: true,
        text: message.to_owned(),
    });
    Ok(history)
}

/// The knowledge base's entries for `message` (none when it cannot be read: the prompt goes without).
async fn known(state: &AppState, account: &str, message: &str) -> Vec<KnownAnswer> {
    crate::bot::knowledge::retrieve(
        &state.pool,
        state.search.embedder.as_ref(),
        account,
        message,
    )
    .await
    .unwrap_or_default()
}

fn preview(
    state: &AppState,
    settings: &BotSettings,
    version: u64,
    history: &[HistoryMessage],
    known: &[KnownAnswer],
) -> BotPreview {
    let prompt = actors::bot::prompt::build(settings, history, known);
    let mut sections: Vec<String> = Vec::new();
    let p = &settings.profile;
    if [&p.name, &p.description, &p.address, &p.opening_hours]
        .iter()
        .any(|v| !v.is_empty())
    {
        sections.push("Business".to_owned());
    }
    sections.extend(
        settings
            .playbook
            .sections()
            .iter()
            .filter(|(_, text)| !text.is_empty())
            .map(|(title, _)| (*title).to_owned()),
    );
    if !settings.knowledge.is_empty() {
        sections.push("Knowledge".to_owned());
    }
    if !settings.custom_fields.is_empty() {
        sections.push("Details".to_owned());
    }
    if !known.is_empty() {
        sections.push("Answers given before to similar questions".to_owned());
    }
    BotPreview {
        system: prompt.system,
        turns: prompt.turns.iter().map(PreviewTurn::from).collect(),
        schema: prompt.schema,
        sections,
        version,
        server_model: state.bot.model_name(),
    }
}
