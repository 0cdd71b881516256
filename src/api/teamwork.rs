//! Team work on one conversation: its status, who it is assigned to, its labels and the team's private
//! notes; and the counts the inbox's views show (by status, mine, unassigned, per team and label).
//!
//! Each change is a `WorkflowCommand` the conversation's actor decides on (see
//! `actors::conversation::workflow`); the handlers only check what the actor cannot know: that a label
//! or team exists, and that an assignee may read the conversation's number.

use super::auth::{ApiAuth, Caller};
use super::conversations::{load_conversation, record_fact, CommandResponse};
use super::error::ApiError;
use super::models::Message;
use super::Tag;
use crate::http::AppState;
use actors::conversation::workflow::{ConversationStatus, WorkflowAction, WorkflowCommand};
use actors::conversation::ConversationFact;
use actors::event::StreamId;
use actors::identity::Permission;
use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use projections::inbox::queries;
use std::collections::BTreeSet;
use std::sync::Arc;
use uuid::Uuid;

/// The most users one note may name.
const MAX_MENTIONS: usize = 20;

pub struct TeamworkApi;

/// A conversation's new status.
#[derive(Debug, Clone, Object)]
pub struct StatusChange {
    pub status: ConversationStatus,
    /// Only with `snoozed`: when the conversation reopens (in the future). Absent: it stays snoozed until
    /// the customer writes.
    pub snoozed_until: Option<DateTime<Utc>>,
}

/// Who the conversation is assigned to. Both absent (or null): unassigned.
#[derive(Debug, Clone, Object)]
pub struct AssigneeChange {
    /// A user id (see `GET /api/v1/agents`). The user must be active and allowed to read the
    /// conversation's number.
    #[oai(validator(max_length = 200))]
    pub agent: Option<String>,
    /// A team id (see `GET /api/v1/teams`).
    #[oai(validator(max_length = 200))]
    pub team: Option<String>,
}

/// A private note: shown to the team in the conversation's timeline, never sent to the customer.
#[derive(Debug, Clone, Object)]
pub struct NewNote {
    /// 1 to 10,000 characters.
    pub text: String,
    /// Users the note names (`@`): they are told in the app. Each must be active and allowed to read the
    /// conversation's number.
    #[oai(default)]
    pub mentions: Vec<String>,
}

#[derive(ApiResponse)]
pub enum NoteResponse {
    /// The note, as the timeline shows it.
    #[oai(status = 201)]
    Added(Json<Box<Message>>),
    /// Recorded; the timeline has not caught up yet.
    #[oai(status = 202)]
    Accepted(Json<NoteAccepted>),
}

/// A note that is recorded but not yet shown.
#[derive(Debug, Clone, Object)]
pub struct NoteAccepted {
    pub message_id: String,
    pub conversation_id: String,
}

/// How many conversations each view of the inbox holds, among those the caller may see.
#[derive(Debug, Clone, Object)]
pub struct ConversationCounts {
    /// Per status, every conversation.
    pub open: i64,
    pub pending: i64,
    pub snoozed: i64,
    pub resolved: i64,
    /// With the `status` asked for: assigned to the caller, to nobody, and all of them.
    pub mine: i64,
    pub unassigned: i64,
    pub all: i64,
    /// With the `status` asked for, per team id and per label id (those with none are left out).
    pub teams: Vec<Count>,
    pub labels: Vec<Count>,
}

/// A count of conversations for one team or label.
#[derive(Debug, Clone, Object)]
pub struct Count {
    pub id: String,
    pub count: i64,
}

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Conversations")]
impl TeamworkApi {
    /// Change a conversation's status: `open`, `pending` (waiting on something else), `snoozed` (until
    /// `snoozed_until`, or until the customer writes) or `resolved`. A customer's message reopens a
    /// resolved or snoozed conversation. A snooze time in the past, or a time with another status, is
    /// refused (400 `invalid_snooze`).
    #[oai(
        path = "/conversations/:id/status",
        method = "put",
        operation_id = "setConversationStatus"
    )]
    async fn set_status(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        id: Path<String>,
        body: Json<StatusChange>,
        /// As for `markRead`.
        #[oai(name = "Idempotency-Key", validator(min_length = 1, max_length = 200))]
        key: Header<Option<String>>,
    ) -> Result<CommandResponse, ApiError> {
        let action = WorkflowAction::Status {
            status: body.0.status,
            snoozed_until: body.0.snoozed_until,
        };
        workflow(&state, &caller, &id.0, key.0, action).await
    }

    /// Assign a conversation to an agent and/or a team, reassign it, or (with neither) unassign it. The
    /// agent must be an active user who may read the conversation's number: assigning never shows a
    /// conversation to someone who may not read it (422 `invalid_assignee`). An unknown team is refused
    /// (422 `unknown_team`).
    #[oai(
        path = "/conversations/:id/assignee",
        method = "put",
        operation_id = "assignConversation"
    )]
    async fn assign(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        id: Path<String>,
        body: Json<AssigneeChange>,
        /// As for `markRead`.
        #[oai(name = "Idempotency-Key", validator(min_length = 1, max_length = 200))]
        key: Header<Option<String>>,
    ) -> Result<CommandResponse, ApiError> {
        let row = load_conversation(&state, &caller.accounts(), &id.0).await?;
        let agent = body.0.agent.filter(|a| !a.is_empty());
        let team = body.0.team.filter(|t| !t.is_empty());
        if let Some(agent) = &agent {
            reader(&caller, agent, &row.account_id, "invalid_assignee")?;
        }
        if let Some(team) = &team {
            let (workspace, _) = state.workspace.inspect(StreamId::workspace()).await?;
            if !team
                .parse::<Uuid>()
                .is_ok_and(|t| workspace.team(&t).is_some())
            {
                return Err(ApiError::unprocessable(
                    "unknown_team",
                    format!("there is no team {team}"),
                ));
            }
        }
        let action = WorkflowAction::Assign {
            agent,
            team,
            auto: false,
        };
        workflow(&state, &caller, &id.0, key.0, action).await
    }

    /// Apply a label (see `GET /api/v1/labels`) to a conversation. An unknown label is refused (422
    /// `unknown_label`); a conversation holds at most 50 (409 `too_many_labels`).
    #[oai(
        path = "/conversations/:id/labels/:label",
        method = "put",
        operation_id = "applyLabel"
    )]
    async fn apply_label(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        id: Path<String>,
        label: Path<String>,
        /// As for `markRead`.
        #[oai(name = "Idempotency-Key", validator(min_length = 1, max_length = 200))]
        key: Header<Option<String>>,
    ) -> Result<CommandResponse, ApiError> {
        let (workspace, _) = state.workspace.inspect(StreamId::workspace()).await?;
        let known = label
            .0
            .parse::<Uuid>()
            .ok()
            .filter(|l| workspace.label(l).is_some());
        let Some(label) = known else {
            load_conversation(&state, &caller.accounts(), &id.0).await?;
            return Err(ApiError::unprocessable(
                "unknown_label",
                format!("there is no label {}", label.0),
            ));
        };
        let action = WorkflowAction::Label {
            label: label.to_string(),
            applied: true,
        };
        workflow(&state, &caller, &id.0, key.0, action).await
    }

    /// Take a label off a conversation (also one deleted from the catalogue since).
    #[oai(
        path = "/conversations/:id/labels/:label",
        method = "delete",
        operation_id = "removeLabel"
    )]
    async fn remove_label(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        id: Path<String>,
        label: Path<String>,
        /// As for `markRead`.
        #[oai(name = "Idempotency-Key", validator(min_length = 1, max_length = 200))]
        key: Header<Option<String>>,
    ) -> Result<CommandResponse, ApiError> {
        let action = WorkflowAction::Label {
            label: label.0,
            applied: false,
        };
        workflow(&state, &caller, &id.0, key.0, action).await
    }

    /// Leave a private note in the conversation's timeline: the team sees it, the customer never does
    /// (it is never sent to WhatsApp). Users it names in `mentions` are told in the app. Empty or longer
    /// than 10,000 characters: 400 `invalid_note`; a mention of someone who may not read the number: 422
    /// `invalid_mention`.
    #[oai(
        path = "/conversations/:id/notes",
        method = "post",
        operation_id = "addNote"
    )]
    async fn add_note(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        id: Path<String>,
        body: Json<NewNote>,
        /// Retrying with the same key adds the note once.
        #[oai(name = "Idempotency-Key", validator(min_length = 1, max_length = 200))]
        key: Header<Option<String>>,
    ) -> Result<NoteResponse, ApiError> {
        let row = load_conversation(&state, &caller.accounts(), &id.0).await?;
        let NewNote { text, mentions } = body.0;
        let mentions: BTreeSet<String> = mentions.into_iter().collect();
        if mentions.len() > MAX_MENTIONS {
            return Err(ApiError::unprocessable(
                "invalid_mention",
                format!("a note names at most {MAX_MENTIONS} users"),
            ));
        }
        for user in &mentions {
            reader(&caller, user, &row.account_id, "invalid_mention")?;
        }
        let action = WorkflowAction::Note {
            text,
            mentions: mentions.into_iter().collect(),
        };
        let mut note_id = None;
        let answer = record_fact(&state, &caller, &id.0, key.0, |command_id, at, _| {
            note_id = Some(command_id);
            ConversationFact::Workflow(WorkflowCommand {
                command_id,
                at,
                by: Some(caller.user_id.clone()),
                action,
            })
        })
        .await?;
        let note_id = note_id.map(|n| n.to_string()).unwrap_or_default();
        let shown = match answer {
            CommandResponse::Applied(_) => {
                queries::message(&state.pool, &id.0, &note_id, &caller.accounts()).await?
            }
            CommandResponse::Accepted(_) => None,
        };
        Ok(match shown {
            Some(m) => NoteResponse::Added(Json(Box::new(Message::from(m)))),
            None => NoteResponse::Accepted(Json(NoteAccepted {
                message_id: note_id,
                conversation_id: id.0,
            })),
        })
    }

    /// How many conversations each inbox view holds: per status; and, for `status` (default `open`),
    /// those assigned to the caller, those assigned to nobody, all of them, and per team and label.
    #[oai(
        path = "/conversation-counts",
        method = "get",
        operation_id = "conversationCounts"
    )]
    async fn counts(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        /// Only this business number (phone number id).
        account: Query<Option<String>>,
        /// The status `mine`, `unassigned`, `all`, `teams` and `labels` count (default `open`).
        status: Query<Option<ConversationStatus>>,
    ) -> Result<Json<ConversationCounts>, ApiError> {
        let status = status.0.unwrap_or(ConversationStatus::Open);
        let c = queries::counts(
            &state.pool,
            account.0.as_deref(),
            status,
            &caller.user_id,
            &caller.accounts(),
        )
        .await?;
        let count = |(id, count): (String, i64)| Count { id, count };
        Ok(Json(ConversationCounts {
            open: c.open,
            pending: c.pending,
            snoozed: c.snoozed,
            resolved: c.resolved,
            mine: c.mine,
            unassigned: c.unassigned,
            all: c.all,
            teams: c.teams.into_iter().map(count).collect(),
            labels: c.labels.into_iter().map(count).collect(),
        }))
    }
}

/// Records a team-work action by the caller on the conversation.
async fn workflow(
    state: &AppState,
    caller: &Caller,
    id: &str,
    key: Option<String>,
    action: WorkflowAction,
) -> Result<CommandResponse, ApiError> {
    let by = Some(caller.user_id.clone());
    record_fact(state, caller, id, key, |command_id, at, _| {
        ConversationFact::Workflow(WorkflowCommand {
            command_id,
            at,
            by,
            action,
        })
    })
    .await
}

/// Refuses a user who is not active or may not read conversations of `account` (`code` says for what).
fn reader(caller: &Caller, user: &str, account: &str, code: &str) -> Result<(), ApiError> {
    let rbac = &caller.snapshot().rbac;
    match rbac.allows(user, Permission::ConversationsView, Some(account)) {
        true => Ok(()),
        false => Err(ApiError::unprocessable(
            code,
            format!("{user} is not an active user who may read this number's conversations"),
        )),
    }
}
