//! Team work the inbox does by itself, following the inbox, accounts, workspace and RBAC views:
//!
//! - a snooze whose time came ends (`Wake`, with an id from the conversation and the snooze's time, so a
//!   retry or a second node records nothing twice); the worker wakes up at the next snooze's time;
//! - a customer who writes while their number is closed gets the away message: the worker names the
//!   closed period (when it began) and the conversation decides whether it is due (once per period,
//!   inside the 24-hour window, not where the bot answers);
//! - on numbers with automatic assignment, open conversations nobody holds go by round robin to the
//!   team's members who are available, active, allowed to read the number and under their capacity.
//!
//! Each look records facts through the conversations' actors only; the rules are theirs and
//! [`actors::teamwork`]'s.

use crate::auth::snapshot::AccessSnapshot;
use actors::conversation::id::ConversationId;
use actors::conversation::workflow::{WorkflowAction, WorkflowCommand};
use actors::conversation::{Conversation, ConversationFact};
use actors::directory::StreamRouter;
use actors::event::EventMetadata;
use actors::identity::Permission;
use actors::tasks::Tasks;
use actors::teamwork::round_robin::{next_agent, Candidate};
use actors::teamwork::TeamworkSettings;
use chrono::{DateTime, Utc};
use projections::inbox::queries_teamwork as queries;
use projections::inbox::InboxProjection;
use projections::live::Checkpoints;
use sqlx::PgPool;
use std::collections::{HashMap, HashSet};
use std::time::Duration;
use tokio::task::JoinHandle;
use uuid::Uuid;

const BATCH: i64 = 500;
/// Looked at this often even when no view moves (a number closing, a snooze far ahead).
const SWEEP_EVERY: Duration = Duration::from_secs(30);
/// Under load, at most this often.
const MIN_GAP: Duration = Duration::from_millis(100);
/// How long a look waits for the inbox view to show its assignments, so the next look counts them.
const VIEW_WAIT: Duration = Duration::from_secs(5);
/// What the worker did, by `action` (`snooze_ended`, `away_message`, `round_robin`) and `outcome`
/// (`recorded`, `not_due`: the conversation decided there was nothing to do, `failed`).
pub const ACTIONS: &str = "inbox_teamwork_actions_total";
/// The views whose moves make the worker look again.
const VIEWS: [&str; 4] = ["inbox", "accounts", "workspace", "rbac"];

/// What the worker needs.
pub struct TeamworkWorker {
    /// Where the views are read.
    pub pool: PgPool,
    /// The views' positions: a move makes the worker look again.
    pub checkpoints: Checkpoints,
    /// Where the commands are recorded.
    pub conversations: StreamRouter<Conversation>,
    /// Who may read which number (round robin gives a conversation only to a member who may).
    pub access: AccessSnapshot,
    /// The node's tasks: the worker ends when the node begins to stop.
    pub tasks: Tasks,
}

impl TeamworkWorker {
    /// Follows the views until the node stops.
    pub fn start(self) -> JoinHandle<()> {
        let tasks = self.tasks.clone();
        tasks.spawn(
            "team work (snoozes, away messages, round robin)",
            self.follow(),
        )
    }

    async fn follow(self) {
        let mut watches = Vec::new();
        for name in VIEWS {
            match self.checkpoints.watch(name) {
                Some(moved) => watches.push(moved),
                None => {
                    tracing::error!(projection = name, "no such projection to follow");
                    return;
                }
            }
        }
        let stopping = self.tasks.stopping().clone();
        // Away messages this node recorded (or found not due), by conversation and closed period.
        let mut away_done: HashSet<(String, DateTime<Utc>)> = HashSet::new();
        loop {
            let wake = match self.sweep(&mut away_done).await {
                Ok(wake) => wake,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot look for team work; trying again");
                    Some(Duration::from_secs(1))
                }
            };
            let any_moved = futures::future::select_all(
                watches.iter_mut().map(|moved| Box::pin(moved.changed())),
            );
            tokio::select! {
                _ = stopping.cancelled() => return,
                _ = tokio::time::sleep(wake.unwrap_or(SWEEP_EVERY).min(SWEEP_EVERY)) => {}
                (changed, _, _) = any_moved => if changed.is_err() { return },
            }
            tokio::time::sleep(MIN_GAP).await;
        }
    }

    /// One look; returns how long until the next snooze ends.
    async fn sweep(
        &self,
        away_done: &mut HashSet<(String, DateTime<Utc>)>,
    ) -> anyhow::Result<Option<Duration>> {
        let now = Utc::now();
        let mut reached = 0;
        reached = reached.max(self.wake_snoozes(now).await?);
        reached = reached.max(self.send_away_messages(now, away_done).await?);
        reached = reached.max(self.assign(now).await?);
        if reached > 0 {
            self.checkpoints
                .wait_for(InboxProjection::NAME, reached, VIEW_WAIT)
                .await;
        }
        let next = queries::next_snooze(&self.pool, Utc::now()).await?;
        Ok(next.map(|at| (at - Utc::now()).to_std().unwrap_or_default()))
    }

    /// Records one command; the log position it reached when it recorded something.
    async fn record(
        &self,
        conversation_id: &str,
        command_id: Uuid,
        at: DateTime<Utc>,
        action: WorkflowAction,
    ) -> anyhow::Result<u64> {
        let kind = match &action {
            WorkflowAction::Wake => "snooze_ended",
            WorkflowAction::Away { .. } => "away_message",
            WorkflowAction::Assign { .. } => "round_robin",
            _ => "other",
        };
        let id = ConversationId::parse(conversation_id)?;
        let recorded = self
            .conversations
            .record(
                id.stream(),
                vec![ConversationFact::Workflow(WorkflowCommand {
                    command_id,
                    at,
                    by: None,
                    action,
                })],
                EventMetadata::policy(command_id, "teamwork"),
            )
            .await;
        let outcome = match &recorded {
            Ok(o) if o.appended > 0 => "recorded",
            Ok(_) => "not_due",
            Err(_) => "failed",
        };
        metrics::counter!(ACTIONS, "action" => kind, "outcome" => outcome).increment(1);
        let outcome = recorded?;
        Ok(outcome
            .last_position
            .filter(|_| outcome.appended > 0)
            .unwrap_or(0))
    }

    async fn wake_snoozes(&self, now: DateTime<Utc>) -> anyhow::Result<u64> {
        let mut reached = 0;
        for due in queries::snoozes_due(&self.pool, now, BATCH).await? {
            let command_id = Uuid::new_v5(
                &Uuid::NAMESPACE_OID,
                format!(
                    "wake:{}:{}",
                    due.conversation_id,
                    due.snoozed_until.to_rfc3339()
                )
                .as_bytes(),
            );
            match self
                .record(&due.conversation_id, command_id, now, WorkflowAction::Wake)
                .await
            {
                Ok(position) => reached = reached.max(position),
                Err(e) => {
                    tracing::warn!(error = %e, conversation = %due.conversation_id, "cannot end a snooze")
                }
            }
        }
        Ok(reached)
    }

    async fn send_away_messages(
        &self,
        now: DateTime<Utc>,
        done: &mut HashSet<(String, DateTime<Utc>)>,
    ) -> anyhow::Result<u64> {
        let since = now - chrono::Duration::hours(24);
        let mut reached = 0;
        let mut seen = HashSet::new();
        for c in queries::away_candidates(&self.pool, since, BATCH).await? {
            let Ok(settings) = serde_json::from_value::<TeamworkSettings>(c.teamwork) else {
                continue;
            };
            // Closed now, and the customer wrote in this closed period.
            let Some(period) = settings.hours.closed_since(now) else {
                continue;
            };
            if c.last_inbound_at < period {
                continue;
            }
            let key = (c.conversation_id.clone(), period);
            seen.insert(key.clone());
            if done.contains(&key) {
                continue;
            }
            let command_id = Uuid::new_v5(
                &Uuid::NAMESPACE_OID,
                format!("away:{}:{}", c.conversation_id, period.to_rfc3339()).as_bytes(),
            );
            let action = WorkflowAction::Away {
                period,
                text: settings.hours.away_message.clone(),
                to: c.to.clone(),
                number_bot_on: c.number_bot_on,
            };
            match self
                .record(&c.conversation_id, command_id, now, action)
                .await
            {
                Ok(position) => {
                    reached = reached.max(position);
                    done.insert(key);
                }
                Err(e) => {
                    tracing::warn!(error = %e, conversation = %c.conversation_id, "cannot send the away message")
                }
            }
        }
        // Forget periods that are over (or whose window closed).
        done.retain(|key| seen.contains(key));
        Ok(reached)
    }

    async fn assign(&self, now: DateTime<Utc>) -> anyhow::Result<u64> {
        let numbers = queries::auto_assign_numbers(&self.pool).await?;
        if numbers.is_empty() {
            return Ok(0);
        }
        let teams: HashMap<Uuid, projections::workspace::view::TeamRow> =
            projections::workspace::queries::teams(&self.pool)
                .await?
                .into_iter()
                .map(|t| (t.team_id, t))
                .collect();
        let available: HashSet<String> = projections::workspace::queries::availability(&self.pool)
            .await?
            .into_iter()
            .filter(|a| a.available)
            .map(|a| a.user_id)
            .collect();
        let access = self.access.current();
        let mut reached = 0;
        for number in numbers {
            let Ok(settings) = serde_json::from_value::<TeamworkSettings>(number.teamwork) else {
                continue;
            };
            let Some(auto) = settings.auto_assign else {
                continue;
            };
            // A team deleted, or no longer serving the number, assigns nothing.
            let Some(team) = teams
                .get(&auto.team_id)
                .filter(|t| t.accounts.contains(&number.account_id))
            else {
                continue;
            };
            let waiting = queries::waiting_for_agent(&self.pool, &number.account_id, BATCH).await?;
            if waiting.is_empty() {
                continue;
            }
            let loads: HashMap<String, queries::AgentLoad> =
                queries::agent_loads(&self.pool, &team.members)
                    .await?
                    .into_iter()
                    .map(|l| (l.user_id.clone(), l))
                    .collect();
            let mut candidates: Vec<Candidate> = team
                .members
                .iter()
                .map(|user| Candidate {
                    user_id: user.clone(),
                    available: available.contains(user)
                        && access.rbac.allows(
                            user,
                            Permission::ConversationsView,
                            Some(&number.account_id),
                        ),
                    open_conversations: loads.get(user).map_or(0, |l| {
                        u32::try_from(l.open_conversations).unwrap_or(u32::MAX)
                    }),
                    last_assigned_at: loads.get(user).and_then(|l| l.last_auto_assigned_at),
                })
                .collect();
            for conversation_id in waiting {
                let Some(agent) = next_agent(&candidates, auto.capacity).map(str::to_owned) else {
                    break;
                };
                let action = WorkflowAction::Assign {
                    agent: Some(agent.clone()),
                    team: Some(team.team_id.to_string()),
                    auto: true,
                };
                match self
                    .record(&conversation_id, Uuid::new_v4(), now, action)
                    .await
                {
                    Ok(0) => {}
                    Ok(position) => {
                        reached = reached.max(position);
                        // The view shows this after the look: count it now for the next conversation.
                        if let Some(c) = candidates.iter_mut().find(|c| c.user_id == agent) {
                            c.open_conversations = c.open_conversations.saturating_add(1);
                            c.last_assigned_at = Some(Utc::now());
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, conversation = %conversation_id, "cannot assign")
                    }
                }
            }
        }
        Ok(reached)
    }
}
