//! A number's team-work settings: its business hours and away message, and automatic assignment by
//! round robin. Saved whole as a `teamwork.configured` event on the number's stream; read from the
//! accounts view, which the team-work worker reads too.

use super::auth::{ApiAuth, Caller};
use super::error::ApiError;
use super::Tag;
use crate::http::AppState;
use actors::account::events::TeamworkConfigured;
use actors::account::AccountFact;
use actors::event::{EventMetadata, StreamId};
use actors::teamwork::hours::BusinessHours;
use actors::teamwork::{AutoAssign, TeamworkSettings};
use chrono::Utc;
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// The largest capacity an agent may be given.
const MAX_CAPACITY: u32 = 1000;

/// `/accounts/{id}/teamwork`.
pub struct TeamworkSettingsApi;

/// A number's team-work settings, whole.
#[derive(Debug, Clone, Object)]
pub struct Teamwork {
    /// Business hours and the away message (`enabled: false`: always open, no away message).
    pub hours: BusinessHours,
    /// Automatic assignment of new and reopened conversations; absent: by hand only.
    pub auto_assign: Option<AutoAssignment>,
}

/// Round robin over a team's available members.
#[derive(Debug, Clone, Object)]
pub struct AutoAssignment {
    /// A team that serves this number (its id).
    pub team_id: String,
    /// At most this many conversations that are not resolved per agent (1 to 1000); absent: no limit.
    pub capacity: Option<u32>,
}

impl From<TeamworkSettings> for Teamwork {
    fn from(s: TeamworkSettings) -> Self {
        Teamwork {
            hours: s.hours,
            auto_assign: s.auto_assign.map(|a| AutoAssignment {
                team_id: a.team_id.to_string(),
                capacity: a.capacity,
            }),
        }
    }
}

/// A field that cannot be used: 422 with the field and the reason.
fn invalid(field: &str, reason: impl Into<String>) -> ApiError {
    let reason = reason.into();
    ApiError::unprocessable_with(
        "invalid_teamwork_settings",
        format!("{field}: {reason}"),
        serde_json::json!({ "field": field, "reason": reason }),
    )
}

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Accounts")]
impl TeamworkSettingsApi {
    /// A number's team-work settings (the defaults until first saved: always open, assignment by hand).
    #[oai(
        path = "/accounts/:id/teamwork",
        method = "get",
        operation_id = "getTeamwork"
    )]
    async fn get(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        id: Path<String>,
    ) -> Result<Json<Teamwork>, ApiError> {
        Ok(Json(load(&state, &caller, &id.0).await?.into()))
    }

    /// Save a number's team-work settings, whole. The hours are checked field by field, and automatic
    /// assignment must name a team that serves this number; an unchanged save records nothing.
    #[oai(
        path = "/accounts/:id/teamwork",
        method = "put",
        operation_id = "setTeamwork"
    )]
    async fn put(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        id: Path<String>,
        body: Json<Teamwork>,
    ) -> Result<Json<Teamwork>, ApiError> {
        load(&state, &caller, &id.0).await?;
        let settings = checked(&state, &id.0, body.0).await?;
        let outcome = state
            .streams
            .accounts
            .record(
                StreamId::account(&id.0),
                vec![AccountFact::ConfigureTeamwork(TeamworkConfigured {
                    save_id: Uuid::new_v4(),
                    settings,
                    at: Utc::now(),
                    by: Some(caller.user_id.clone()),
                })],
                EventMetadata::user(&caller.user_id, Uuid::new_v4()),
            )
            .await?;
        if let Some(position) = outcome.last_position {
            state
                .checkpoints
                .wait_for("accounts", position, Duration::from_secs(5))
                .await;
        }
        Ok(Json(load(&state, &caller, &id.0).await?.into()))
    }
}

/// The settings, or the first field that cannot be used.
async fn checked(
    state: &AppState,
    account: &str,
    change: Teamwork,
) -> Result<TeamworkSettings, ApiError> {
    let hours = change
        .hours
        .validated()
        .map_err(|e| invalid(&format!("hours.{}", e.field), e.problem))?;
    let auto_assign = match change.auto_assign {
        None => None,
        Some(a) => {
            if a.capacity.is_some_and(|c| !(1..=MAX_CAPACITY).contains(&c)) {
                return Err(invalid(
                    "auto_assign.capacity",
                    format!("must be from 1 to {MAX_CAPACITY}"),
                ));
            }
            let team_id = Uuid::parse_str(&a.team_id)
                .map_err(|_| invalid("auto_assign.team_id", "no such team"))?;
            let teams = projections::workspace::queries::teams(&state.pool).await?;
            match teams.iter().find(|t| t.team_id == team_id) {
                None => return Err(invalid("auto_assign.team_id", "no such team")),
                Some(t) if !t.accounts.iter().any(|n| n == account) => {
                    return Err(invalid(
                        "auto_assign.team_id",
                        format!("the team {:?} does not serve this number", t.name),
                    ))
                }
                Some(_) => {}
            }
            Some(AutoAssign {
                team_id,
                capacity: a.capacity,
            })
        }
    };
    Ok(TeamworkSettings { hours, auto_assign })
}

/// The number's settings, if the caller may see the number (404 otherwise, as if it did not exist).
async fn load(
    state: &AppState,
    caller: &Caller,
    account: &str,
) -> Result<TeamworkSettings, ApiError> {
    caller.require_account(account, "account", account)?;
    let row = projections::accounts::queries::account(&state.pool, account, &caller.accounts())
        .await?
        .ok_or_else(|| ApiError::not_found("account", account))?;
    Ok(row.account.teamwork.map(|t| t.0).unwrap_or_default())
}
