//! The install-wide catalogue of team work: teams, labels, canned replies, and the agents with their
//! availability. Every change is a fact on the `workspace` stream ([`actors::workspace`]); lists are
//! read from the workspace view.

use super::auth::{ApiAuth, Caller, Permission};
use super::error::ApiError;
use super::identity::now;
use super::Tag;
use crate::http::AppState;
use actors::event::{EventMetadata, StreamId};
use actors::workspace::events::{
    AvailabilitySet, LabelDeleted, LabelSaved, ReplyDeleted, ReplySaved, TeamDeleted, TeamSaved,
};
use actors::workspace::{Workspace, WorkspaceFact};
use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use projections::workspace::queries;
use projections::workspace::view::{LabelRow, ReplyRow, TeamRow};
use projections::workspace::WorkspaceProjection;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// `/teams`, `/labels`, `/replies`, `/agents` and `/me/availability`.
pub struct WorkspaceApi;

/// A team: its members (user ids) and the numbers it serves.
#[derive(Debug, Clone, Object)]
pub struct Team {
    pub id: String,
    pub name: String,
    pub members: Vec<String>,
    /// The numbers it serves (phone-number ids), those the caller may see.
    pub accounts: Vec<String>,
    pub saved_at: DateTime<Utc>,
    pub saved_by: Option<String>,
}

/// A team as it should be, whole.
#[derive(Debug, Clone, Object)]
pub struct TeamChange {
    /// Unique among teams, ignoring case.
    pub name: String,
    /// User ids, at most 100.
    #[oai(default)]
    pub members: Vec<String>,
    /// Phone-number ids of the numbers it serves.
    #[oai(default)]
    pub accounts: Vec<String>,
}

/// A conversation label.
#[derive(Debug, Clone, Object)]
pub struct Label {
    pub id: String,
    pub name: String,
    /// `#rrggbb`.
    pub colour: String,
    pub saved_at: DateTime<Utc>,
    pub saved_by: Option<String>,
}

#[derive(Debug, Clone, Object)]
pub struct LabelChange {
    /// Unique among labels, ignoring case.
    pub name: String,
    /// `#rrggbb`.
    pub colour: String,
}

/// A canned reply: agents type `/` and its shortcut in the composer.
#[derive(Debug, Clone, Object)]
pub struct Reply {
    pub id: String,
    pub shortcut: String,
    /// May hold `{{contact_name}}`, `{{agent_name}}` and `{{number_name}}`.
    pub text: String,
    /// The number it belongs to; absent: every number.
    pub account: Option<String>,
    pub saved_at: DateTime<Utc>,
    pub saved_by: Option<String>,
}

#[derive(Debug, Clone, Object)]
pub struct ReplyChange {
    /// 1 to 32 of `a-z`, `0-9`, `_` and `-`; unique among the replies of its number (or of every number).
    pub shortcut: String,
    /// 1 to 4096 characters.
    pub text: String,
    /// The number it belongs to (writing it needs `replies.manage` on that number); absent: every
    /// number (needs `replies.manage` install-wide).
    pub account: Option<String>,
}

/// A user, whether they take conversations, and their teams.
#[derive(Debug, Clone, Object)]
pub struct Agent {
    pub id: String,
    pub email: String,
    pub name: Option<String>,
    pub active: bool,
    /// Whether they set themselves available; a user who never said counts as away.
    pub available: bool,
    pub available_since: Option<DateTime<Utc>>,
    pub teams: Vec<AgentTeam>,
}

#[derive(Debug, Clone, Object)]
pub struct AgentTeam {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Object)]
pub struct Availability {
    pub available: bool,
}

#[derive(ApiResponse)]
pub enum TeamCreated {
    #[oai(status = 201)]
    Created(Json<Team>),
}

#[derive(ApiResponse)]
pub enum LabelCreated {
    #[oai(status = 201)]
    Created(Json<Label>),
}

#[derive(ApiResponse)]
pub enum ReplyCreated {
    #[oai(status = 201)]
    Created(Json<Reply>),
}

#[derive(ApiResponse)]
pub enum Deleted {
    #[oai(status = 204)]
    Deleted,
}

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Workspace")]
impl WorkspaceApi {
    /// Every team, by name.
    #[oai(path = "/teams", method = "get", operation_id = "listTeams")]
    async fn teams(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
    ) -> Result<Json<Vec<Team>>, ApiError> {
        let rows = queries::teams(&state.pool).await?;
        Ok(Json(rows.into_iter().map(|r| team(&caller, r)).collect()))
    }

    /// Create a team.
    #[oai(path = "/teams", method = "post", operation_id = "createTeam")]
    async fn create_team(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        body: Json<TeamChange>,
    ) -> Result<TeamCreated, ApiError> {
        let saved = save_team(&state, &caller, Uuid::new_v4(), body.0).await?;
        Ok(TeamCreated::Created(Json(saved)))
    }

    /// Change a team, whole: its name, members and numbers.
    #[oai(path = "/teams/:id", method = "put", operation_id = "setTeam")]
    async fn set_team(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        id: Path<String>,
        body: Json<TeamChange>,
    ) -> Result<Json<Team>, ApiError> {
        let (_, team_id) = existing(&state, &id.0, "team", |w, id| w.team(id).is_some()).await?;
        Ok(Json(save_team(&state, &caller, team_id, body.0).await?))
    }

    /// Delete a team.
    #[oai(path = "/teams/:id", method = "delete", operation_id = "deleteTeam")]
    async fn delete_team(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        id: Path<String>,
    ) -> Result<Deleted, ApiError> {
        let team_id = uuid_of(&id.0, "team")?;
        let fact = WorkspaceFact::DeleteTeam(TeamDeleted {
            team_id,
            at: now(),
            by: Some(caller.user_id.clone()),
        });
        record(&state, &caller, fact).await?;
        Ok(Deleted::Deleted)
    }

    /// Every label, by name.
    #[oai(path = "/labels", method = "get", operation_id = "listLabels")]
    async fn labels(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(_caller): ApiAuth,
    ) -> Result<Json<Vec<Label>>, ApiError> {
        let rows = queries::labels(&state.pool).await?;
        Ok(Json(rows.into_iter().map(label).collect()))
    }

    /// Create a label.
    #[oai(path = "/labels", method = "post", operation_id = "createLabel")]
    async fn create_label(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        body: Json<LabelChange>,
    ) -> Result<LabelCreated, ApiError> {
        let saved = save_label(&state, &caller, Uuid::new_v4(), body.0).await?;
        Ok(LabelCreated::Created(Json(saved)))
    }

    /// Rename a label or change its colour.
    #[oai(path = "/labels/:id", method = "put", operation_id = "setLabel")]
    async fn set_label(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        id: Path<String>,
        body: Json<LabelChange>,
    ) -> Result<Json<Label>, ApiError> {
        let (_, label_id) = existing(&state, &id.0, "label", |w, id| w.label(id).is_some()).await?;
        Ok(Json(save_label(&state, &caller, label_id, body.0).await?))
    }

    /// Delete a label.
    #[oai(path = "/labels/:id", method = "delete", operation_id = "deleteLabel")]
    async fn delete_label(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        id: Path<String>,
    ) -> Result<Deleted, ApiError> {
        let label_id = uuid_of(&id.0, "label")?;
        let fact = WorkspaceFact::DeleteLabel(LabelDeleted {
            label_id,
            at: now(),
            by: Some(caller.user_id.clone()),
        });
        record(&state, &caller, fact).await?;
        Ok(Deleted::Deleted)
    }

    /// The canned replies the caller may use, by shortcut: those for every number and those of the
    /// numbers they may send on. `account`: only those usable on that number; `q`: only those whose
    /// shortcut or text holds it (ignoring case). At most 500.
    #[oai(path = "/replies", method = "get", operation_id = "listReplies")]
    async fn replies(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        account: Query<Option<String>>,
        #[oai(validator(max_length = 200))] q: Query<Option<String>>,
    ) -> Result<Json<Vec<Reply>>, ApiError> {
        let q = q.0.as_deref().map(str::trim).filter(|q| !q.is_empty());
        let rows =
            queries::replies(&state.pool, &caller.accounts(), account.0.as_deref(), q).await?;
        Ok(Json(rows.into_iter().map(reply).collect()))
    }

    /// Create a canned reply, for one number or for every number.
    #[oai(path = "/replies", method = "post", operation_id = "createReply")]
    async fn create_reply(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        body: Json<ReplyChange>,
    ) -> Result<ReplyCreated, ApiError> {
        let saved = save_reply(&state, &caller, Uuid::new_v4(), body.0).await?;
        Ok(ReplyCreated::Created(Json(saved)))
    }

    /// Change a canned reply, whole.
    #[oai(path = "/replies/:id", method = "put", operation_id = "setReply")]
    async fn set_reply(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        id: Path<String>,
        body: Json<ReplyChange>,
    ) -> Result<Json<Reply>, ApiError> {
        let reply_id = manageable_reply(&state, &caller, &id.0).await?;
        Ok(Json(save_reply(&state, &caller, reply_id, body.0).await?))
    }

    /// Delete a canned reply.
    #[oai(path = "/replies/:id", method = "delete", operation_id = "deleteReply")]
    async fn delete_reply(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        id: Path<String>,
    ) -> Result<Deleted, ApiError> {
        let reply_id = manageable_reply(&state, &caller, &id.0).await?;
        let fact = WorkspaceFact::DeleteReply(ReplyDeleted {
            reply_id,
            at: now(),
            by: Some(caller.user_id.clone()),
        });
        record(&state, &caller, fact).await?;
        Ok(Deleted::Deleted)
    }

    /// The users with whether they take conversations and their teams, by email.
    #[oai(path = "/agents", method = "get", operation_id = "listAgents")]
    async fn agents(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
    ) -> Result<Json<Vec<Agent>>, ApiError> {
        let availability: BTreeMap<String, (bool, DateTime<Utc>)> =
            queries::availability(&state.pool)
                .await?
                .into_iter()
                .map(|a| (a.user_id, (a.available, a.set_at)))
                .collect();
        let teams = queries::teams(&state.pool).await?;
        let rbac = &caller.snapshot().rbac;
        let agents = projections::rbac::queries::users(rbac)
            .into_iter()
            .map(|(id, user)| {
                let (available, since) = availability
                    .get(id)
                    .map_or((false, None), |(a, at)| (*a, Some(*at)));
                Agent {
                    id: id.clone(),
                    email: user.email.clone(),
                    name: user.name.clone(),
                    active: user.active,
                    available,
                    available_since: since,
                    teams: teams
                        .iter()
                        .filter(|t| t.members.contains(id))
                        .map(|t| AgentTeam {
                            id: t.team_id.to_string(),
                            name: t.name.clone(),
                        })
                        .collect(),
                }
            })
            .collect();
        Ok(Json(agents))
    }

    /// Set yourself available (you take conversations) or away.
    #[oai(
        path = "/me/availability",
        method = "put",
        operation_id = "setMyAvailability"
    )]
    async fn set_availability(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        body: Json<Availability>,
    ) -> Result<Json<Availability>, ApiError> {
        let fact = WorkspaceFact::SetAvailability(AvailabilitySet {
            user_id: caller.user_id.clone(),
            available: body.0.available,
            at: now(),
            by: Some(caller.user_id.clone()),
        });
        record(&state, &caller, fact).await?;
        Ok(body)
    }
}

fn team(caller: &Caller, row: TeamRow) -> Team {
    let scope = caller.accounts_for(Permission::ConversationsView);
    Team {
        id: row.team_id.to_string(),
        name: row.name,
        members: row.members,
        accounts: row
            .accounts
            .into_iter()
            .filter(|a| scope.includes(a))
            .collect(),
        saved_at: row.saved_at,
        saved_by: row.saved_by,
    }
}

fn label(row: LabelRow) -> Label {
    Label {
        id: row.label_id.to_string(),
        name: row.name,
        colour: row.colour,
        saved_at: row.saved_at,
        saved_by: row.saved_by,
    }
}

fn reply(row: ReplyRow) -> Reply {
    Reply {
        id: row.reply_id.to_string(),
        shortcut: row.shortcut,
        text: row.text,
        account: row.account,
        saved_at: row.saved_at,
        saved_by: row.saved_by,
    }
}

/// An id of the path as a uuid; anything else names nothing (404).
fn uuid_of(id: &str, what: &str) -> Result<Uuid, ApiError> {
    id.parse().map_err(|_| ApiError::not_found(what, id))
}

/// The workspace as it stands and the id of the path, when it names an item `has` finds (404
/// otherwise).
async fn existing(
    state: &AppState,
    id: &str,
    what: &str,
    has: impl Fn(&Workspace, &Uuid) -> bool,
) -> Result<(Workspace, Uuid), ApiError> {
    let uuid = uuid_of(id, what)?;
    let (current, _) = state.workspace.inspect(StreamId::workspace()).await?;
    match has(&current, &uuid) {
        true => Ok((current, uuid)),
        false => Err(ApiError::not_found(what, id)),
    }
}

/// A reply the caller may change: one that exists, for every number (needs `replies.manage`
/// install-wide) or of a number the caller manages replies of; others are not found.
async fn manageable_reply(state: &AppState, caller: &Caller, id: &str) -> Result<Uuid, ApiError> {
    let (current, reply_id) =
        existing(state, id, "canned reply", |w, id| w.reply(id).is_some()).await?;
    let account = current.reply(&reply_id).and_then(|r| r.account.as_deref());
    match caller.may(Permission::RepliesManage, account) {
        true => Ok(reply_id),
        false => Err(ApiError::not_found("canned reply", id)),
    }
}

/// Whether a phone-number id looks like one (Meta's are digits).
fn number_id(field: &str, id: &str) -> Result<(), ApiError> {
    match !id.is_empty() && id.len() <= 32 && id.bytes().all(|b| b.is_ascii_digit()) {
        true => Ok(()),
        false => Err(ApiError::bad_request_with(
            "invalid_account",
            format!("{id:?} is not a phone-number id (digits)"),
            serde_json::json!({ "field": field, "id": id }),
        )),
    }
}

async fn save_team(
    state: &AppState,
    caller: &Caller,
    team_id: Uuid,
    change: TeamChange,
) -> Result<Team, ApiError> {
    let rbac = &caller.snapshot().rbac;
    if let Some(unknown) = change
        .members
        .iter()
        .find(|m| !rbac.users.get(*m).is_some_and(|u| u.registered))
    {
        return Err(ApiError::bad_request_with(
            "unknown_member",
            format!("there is no user {unknown:?}"),
            serde_json::json!({ "field": "members", "id": unknown }),
        ));
    }
    for account in &change.accounts {
        number_id("accounts", account)?;
    }
    let fact = TeamSaved {
        team_id,
        name: change.name,
        members: change.members,
        accounts: change.accounts,
        at: now(),
        by: Some(caller.user_id.clone()),
    };
    record(state, caller, WorkspaceFact::SaveTeam(fact)).await?;
    let (current, _) = state.workspace.inspect(StreamId::workspace()).await?;
    let saved = current
        .team(&team_id)
        .ok_or_else(|| ApiError::not_found("team", &team_id.to_string()))?;
    Ok(team(
        caller,
        TeamRow {
            team_id,
            name: saved.name.clone(),
            members: saved.members.clone(),
            accounts: saved.accounts.clone(),
            saved_at: saved.at,
            saved_by: saved.by.clone(),
            position: 0,
        },
    ))
}

async fn save_label(
    state: &AppState,
    caller: &Caller,
    label_id: Uuid,
    change: LabelChange,
) -> Result<Label, ApiError> {
    let fact = LabelSaved {
        label_id,
        name: change.name,
        colour: change.colour,
        at: now(),
        by: Some(caller.user_id.clone()),
    };
    record(state, caller, WorkspaceFact::SaveLabel(fact)).await?;
    let (current, _) = state.workspace.inspect(StreamId::workspace()).await?;
    let saved = current
        .label(&label_id)
        .ok_or_else(|| ApiError::not_found("label", &label_id.to_string()))?;
    Ok(label(LabelRow {
        label_id,
        name: saved.name.clone(),
        colour: saved.colour.clone(),
        saved_at: saved.at,
        saved_by: saved.by.clone(),
        position: 0,
    }))
}

async fn save_reply(
    state: &AppState,
    caller: &Caller,
    reply_id: Uuid,
    change: ReplyChange,
) -> Result<Reply, ApiError> {
    if let Some(account) = &change.account {
        number_id("account", account)?;
    }
    caller.require(Permission::RepliesManage, change.account.as_deref())?;
    let fact = ReplySaved {
        reply_id,
        shortcut: change.shortcut,
        text: change.text,
        account: change.account,
        at: now(),
        by: Some(caller.user_id.clone()),
    };
    record(state, caller, WorkspaceFact::SaveReply(fact)).await?;
    let (current, _) = state.workspace.inspect(StreamId::workspace()).await?;
    let saved = current
        .reply(&reply_id)
        .ok_or_else(|| ApiError::not_found("canned reply", &reply_id.to_string()))?;
    Ok(reply(ReplyRow {
        reply_id,
        shortcut: saved.shortcut.clone(),
        text: saved.text.clone(),
        account: saved.account.clone(),
        saved_at: saved.at,
        saved_by: saved.by.clone(),
        position: 0,
    }))
}

/// Records one fact on the workspace stream as the caller, then waits (briefly) until the view holds
/// it, so a list right after shows the change.
async fn record(state: &AppState, caller: &Caller, fact: WorkspaceFact) -> Result<(), ApiError> {
    let outcome = state
        .workspace
        .record(
            StreamId::workspace(),
            vec![fact],
            EventMetadata::user(&caller.user_id, Uuid::new_v4()),
        )
        .await?;
    if let Some(position) = outcome.last_position {
        state
            .checkpoints
            .wait_for(WorkspaceProjection::NAME, position, Duration::from_secs(5))
            .await;
    }
    Ok(())
}
