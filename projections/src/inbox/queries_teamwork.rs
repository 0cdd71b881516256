//! What the team-work worker reads of the inbox view (with the numbers' settings from the accounts view
//! and whether their bot is on from the bot view): snoozes whose time came, customers who wrote while
//! their number is closed, and, for round robin, the conversations waiting for an agent and how many each
//! agent holds.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

/// A conversation snoozed until a time that has come.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnoozeDue {
    /// The conversation.
    pub conversation_id: String,
    /// The time the snooze ended (with the conversation, the wake-up's id).
    pub snoozed_until: DateTime<Utc>,
}

/// Snoozes whose time is `now` or before, oldest first.
pub async fn snoozes_due(
    db: impl PgExecutor<'_>,
    now: DateTime<Utc>,
    limit: i64,
) -> sqlx::Result<Vec<SnoozeDue>> {
    sqlx::query_as!(
        SnoozeDue,
        r#"select conversation_id, snoozed_until as "snoozed_until!"
           from inbox_conversations
           where status = 'snoozed' and snoozed_until is not null and snoozed_until <= $1
           order by snoozed_until limit $2"#,
        now,
        limit
    )
    .fetch_all(db)
    .await
}

/// The next snooze to end after `now`, if any: when the worker looks again.
pub async fn next_snooze(
    db: impl PgExecutor<'_>,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<DateTime<Utc>>> {
    sqlx::query_scalar!(
        r#"select min(snoozed_until) from inbox_conversations
           where status = 'snoozed' and snoozed_until is not null and snoozed_until > $1"#,
        now
    )
    .fetch_one(db)
    .await
}

/// A one-to-one conversation whose customer wrote since `since`, on a number with business hours and
/// an away message: the worker asks whether the number is closed.
#[derive(Debug, Clone, PartialEq)]
pub struct AwayCandidate {
    /// The conversation.
    pub conversation_id: String,
    /// Its number.
    pub account_id: String,
    /// The customer's WhatsApp id.
    pub to: String,
    /// When the customer last wrote.
    pub last_inbound_at: DateTime<Utc>,
    /// The number's team-work settings (`TeamworkSettings`).
    pub teamwork: serde_json::Value,
    /// Whether the number's bot is on.
    pub number_bot_on: bool,
}

/// Conversations whose customer wrote since `since` and has the last word, on numbers whose hours are
/// enabled with an away message; newest first, so a busy day's earlier customers (already answered, or
/// written to before the number closed) never crowd the batch.
pub async fn away_candidates(
    db: impl PgExecutor<'_>,
    since: DateTime<Utc>,
    limit: i64,
) -> sqlx::Result<Vec<AwayCandidate>> {
    sqlx::query_as!(
        AwayCandidate,
        r#"select c.conversation_id, c.account_id,
                  coalesce(c.contact_wa_id, c.contact_id) as "to!",
                  c.last_inbound_at as "last_inbound_at!",
                  a.teamwork as "teamwork!",
                  coalesce((b.settings->>'enabled')::boolean, false) as "number_bot_on!"
           from inbox_accounts a
           join inbox_conversations c on c.account_id = a.account_id
           left join bot_settings b on b.account_id = a.account_id
           where coalesce((a.teamwork->'hours'->>'enabled')::boolean, false)
             and coalesce(a.teamwork->'hours'->>'away_message', '') <> ''
             and not c.is_group
             and c.last_inbound_at >= $1
             and c.last_message_direction = 'inbound'
           order by c.last_inbound_at desc limit $2"#,
        since,
        limit
    )
    .fetch_all(db)
    .await
}

/// A number with automatic assignment.
#[derive(Debug, Clone, PartialEq)]
pub struct AutoAssignNumber {
    /// The number.
    pub account_id: String,
    /// The number's team-work settings (`TeamworkSettings`).
    pub teamwork: serde_json::Value,
}

/// The numbers whose settings assign conversations automatically.
pub async fn auto_assign_numbers(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<AutoAssignNumber>> {
    sqlx::query_as!(
        AutoAssignNumber,
        r#"select account_id, teamwork as "teamwork!"
           from inbox_accounts
           where teamwork ? 'auto_assign' and jsonb_typeof(teamwork->'auto_assign') = 'object'
           order by account_id"#
    )
    .fetch_all(db)
    .await
}

/// Open conversations of a number that nobody is assigned to (new, or reopened), oldest first.
pub async fn waiting_for_agent(
    db: impl PgExecutor<'_>,
    account_id: &str,
    limit: i64,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!(
        r#"select conversation_id from inbox_conversations
           where account_id = $1 and status = 'open' and assignee is null
           order by coalesce(status_at, created_at), conversation_id limit $2"#,
        account_id,
        limit
    )
    .fetch_all(db)
    .await
}

/// How much an agent holds, for round robin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentLoad {
    /// The agent.
    pub user_id: String,
    /// Conversations assigned to them that are not resolved (on every number).
    pub open_conversations: i64,
    /// Their latest automatic assignment, among the conversations still assigned to them.
    pub last_auto_assigned_at: Option<DateTime<Utc>>,
}

/// The load of each of `users` who holds any conversation.
pub async fn agent_loads(
    db: impl PgExecutor<'_>,
    users: &[String],
) -> sqlx::Result<Vec<AgentLoad>> {
    sqlx::query_as!(
        AgentLoad,
        r#"select assignee as "user_id!",
                  count(*) filter (where status <> 'resolved') as "open_conversations!",
                  max(assigned_at) filter (where auto_assigned) as last_auto_assigned_at
           from inbox_conversations
           where assignee = any($1)
           group by assignee"#,
        users
    )
    .fetch_all(db)
    .await
}
