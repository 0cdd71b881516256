//! Every read of the reports view: what the fold loads before a batch, and the API's figures. Every
//! figure is narrowed to the caller's accounts (`account_in_scope`), to a time range, and optionally to
//! one number and one label (a conversation's current labels).

use super::view::{ConversationRow, HoursRow, VolumeRow};
use crate::scope::{AccountScope, Binds};
use actors::teamwork::Tz;
use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use sqlx::{PgConnection, PgExecutor};
use std::collections::BTreeMap;

/// The hours last saved for these numbers.
pub async fn hours_of(db: impl PgExecutor<'_>, accounts: &[String]) -> sqlx::Result<Vec<HoursRow>> {
    sqlx::query_as!(
        HoursRow,
        r#"select account_id, hours, position from report_hours where account_id = any($1)"#,
        accounts
    )
    .fetch_all(db)
    .await
}

/// What the fold remembers of these conversations, each probed through the primary key (see
/// [`crate::bot::queries::conversations`] for why not `= any($1)`).
pub async fn conversations_of(
    db: impl PgExecutor<'_>,
    ids: &[String],
) -> sqlx::Result<Vec<ConversationRow>> {
    sqlx::query_as!(
        ConversationRow,
        r#"select t.conversation_id as "conversation_id!", t.account_id as "account_id!",
                  t.labels as "labels!", t.resolved as "resolved!", t.bot_replied as "bot_replied!",
                  t.person_wrote as "person_wrote!", t.escalated as "escalated!",
                  t.bot_messages as "bot_messages!", t.position as "position!"
           from unnest($1::text[]) k(id)
           cross join lateral (select * from report_conversations t
                               where t.conversation_id = k.id offset 0) t"#,
        ids
    )
    .fetch_all(db)
    .await
}

/// The volume rows of these (conversation, hour) pairs (the same index in both slices).
pub async fn volume_of(
    db: impl PgExecutor<'_>,
    conversations: &[String],
    hours: &[DateTime<Utc>],
) -> sqlx::Result<Vec<VolumeRow>> {
    sqlx::query_as!(
        VolumeRow,
        r#"select v.conversation_id, v.hour, v.direction, v.who, v.agent, v.account_id, v.messages
           from report_volume v
           join (select distinct * from unnest($1::text[], $2::timestamptz[])) as k(conversation_id, hour)
             on k.conversation_id = v.conversation_id and k.hour = v.hour"#,
        conversations,
        hours
    )
    .fetch_all(db)
    .await
}

/// What every report is narrowed to.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    /// From this instant (included)...
    pub from: DateTime<Utc>,
    /// ...to this one (excluded).
    pub to: DateTime<Utc>,
    /// Only this number's.
    pub account: Option<String>,
    /// Only conversations that hold this label now.
    pub label: Option<String>,
    /// Response and resolution times counted in each number's business hours (a number without
    /// business hours is always open).
    pub business_hours: bool,
}

/// How figures are broken down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grouping {
    /// One group, keyed `""`.
    All,
    /// By number (phone-number id).
    Account,
    /// By label (a conversation counts under each label it holds).
    Label,
}

impl Grouping {
    fn sql(self) -> &'static str {
        match self {
            Grouping::All => "all",
            Grouping::Account => "account",
            Grouping::Label => "label",
        }
    }
}

/// A group's figures. Times are seconds; a median or percentile is `None` when nothing was counted.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    /// The group: `""`, a number, or a label.
    pub key: String,
    /// Customers' messages.
    pub inbound: i64,
    /// The business's messages.
    pub outbound: i64,
    /// Outbound messages by people in the inbox.
    pub outbound_agents: i64,
    /// Outbound messages by the bot.
    pub outbound_bot: i64,
    /// Outbound messages from the WhatsApp Business app.
    pub outbound_app: i64,
    /// The inbox's own messages (away messages, hand-over phrases).
    pub outbound_inbox: i64,
    /// Conversations with a message in the range.
    pub conversations: i64,
    /// First answers since a conversation (re)opened.
    pub first_responses: i64,
    /// Their median wait.
    pub first_response_median: Option<f64>,
    /// Their 90th percentile wait.
    pub first_response_p90: Option<f64>,
    /// Conversations resolved.
    pub resolutions: i64,
    /// Median time open.
    pub resolution_median: Option<f64>,
    /// 90th percentile of the time open.
    pub resolution_p90: Option<f64>,
    /// The bot's answers.
    pub bot_replies: i64,
    /// The bot's hand-overs.
    pub bot_escalations: i64,
    /// Resolved conversations the bot closed without a person.
    pub resolved_by_bot: i64,
}

impl Figures {
    /// The share of resolved conversations the bot closed without a person (`None` with none resolved).
    pub fn bot_share(&self) -> Option<f64> {
        (self.resolutions > 0).then(|| self.resolved_by_bot as f64 / self.resolutions as f64)
    }
}

struct VolumeTotals {
    key: String,
    inbound: i64,
    outbound: i64,
    agents: i64,
    bot: i64,
    app: i64,
    inbox: i64,
    conversations: i64,
}

struct Times {
    key: String,
    count: i64,
    median: Option<f64>,
    p90: Option<f64>,
}

struct Resolved {
    key: String,
    count: i64,
    median: Option<f64>,
    p90: Option<f64>,
    by_bot: i64,
}

struct BotTotals {
    key: String,
    replies: i64,
    escalations: i64,
}

/// The figures of each group (by key), in the caller's scope.
pub async fn figures(
    conn: &mut PgConnection,
    scope: &AccountScope,
    filter: &Filter,
    grouping: Grouping,
) -> sqlx::Result<Vec<Figures>> {
    let scope = Binds::from(scope);
    let volume = sqlx::query_as!(
        VolumeTotals,
        r#"select k.key as "key!",
                  coalesce(sum(v.messages) filter (where v.direction = 'inbound'), 0)::bigint as "inbound!",
                  coalesce(sum(v.messages) filter (where v.direction = 'outbound'), 0)::bigint as "outbound!",
                  coalesce(sum(v.messages) filter (where v.who = 'agent'), 0)::bigint as "agents!",
                  coalesce(sum(v.messages) filter (where v.who = 'bot'), 0)::bigint as "bot!",
                  coalesce(sum(v.messages) filter (where v.who = 'app'), 0)::bigint as "app!",
                  coalesce(sum(v.messages) filter (where v.who = 'inbox'), 0)::bigint as "inbox!",
                  count(distinct v.conversation_id) as "conversations!"
           from report_volume v
           join report_conversations c on c.conversation_id = v.conversation_id
           cross join lateral unnest(case $7::text when 'label' then c.labels
                                                   when 'account' then array[c.account_id]
                                                   else array['']::text[] end) as k(key)
           where account_in_scope(v.account_id, $1, $2)
             and v.hour >= $3 and v.hour < $4
             and ($5::text is null or v.account_id = $5)
             and ($6::text is null or $6 = any(c.labels))
           group by k.key"#,
        scope.all_but,
        &scope.accounts,
        filter.from,
        filter.to,
        filter.account,
        filter.label,
        grouping.sql()
    )
    .fetch_all(&mut *conn)
    .await?;
    let responses = sqlx::query_as!(
        Times,
        r#"select k.key as "key!",
                  count(*) as "count!",
                  percentile_cont(0.5) within group (order by case when $8 then coalesce(r.waited_business_secs, r.waited_secs) else r.waited_secs end) as "median?",
                  percentile_cont(0.9) within group (order by case when $8 then coalesce(r.waited_business_secs, r.waited_secs) else r.waited_secs end) as "p90?"
           from report_responses r
           join report_conversations c on c.conversation_id = r.conversation_id
           cross join lateral unnest(case $7::text when 'label' then c.labels
                                                   when 'account' then array[c.account_id]
                                                   else array['']::text[] end) as k(key)
           where r.first
             and account_in_scope(r.account_id, $1, $2)
             and r.at >= $3 and r.at < $4
             and ($5::text is null or r.account_id = $5)
             and ($6::text is null or $6 = any(c.labels))
           group by k.key"#,
        scope.all_but,
        &scope.accounts,
        filter.from,
        filter.to,
        filter.account,
        filter.label,
        grouping.sql(),
        filter.business_hours
    )
    .fetch_all(&mut *conn)
    .await?;
    let resolutions = sqlx::query_as!(
        Resolved,
        r#"select k.key as "key!",
                  count(*) as "count!",
                  percentile_cont(0.5) within group (order by case when $8 then coalesce(r.open_business_secs, r.open_secs) else r.open_secs end) as "median?",
                  percentile_cont(0.9) within group (order by case when $8 then coalesce(r.open_business_secs, r.open_secs) else r.open_secs end) as "p90?",
                  count(*) filter (where r.by_bot_alone) as "by_bot!"
           from report_resolutions r
           join report_conversations c on c.conversation_id = r.conversation_id
           cross join lateral unnest(case $7::text when 'label' then c.labels
                                                   when 'account' then array[c.account_id]
                                                   else array['']::text[] end) as k(key)
           where account_in_scope(r.account_id, $1, $2)
             and r.resolved_at >= $3 and r.resolved_at < $4
             and ($5::text is null or r.account_id = $5)
             and ($6::text is null or $6 = any(c.labels))
           group by k.key"#,
        scope.all_but,
        &scope.accounts,
        filter.from,
        filter.to,
        filter.account,
        filter.label,
        grouping.sql(),
        filter.business_hours
    )
    .fetch_all(&mut *conn)
    .await?;
    let bot = sqlx::query_as!(
        BotTotals,
        r#"select k.key as "key!",
                  count(*) filter (where t.outcome = 'replied') as "replies!",
                  count(*) filter (where t.outcome = 'escalated') as "escalations!"
           from report_bot_turns t
           join report_conversations c on c.conversation_id = t.conversation_id
           cross join lateral unnest(case $7::text when 'label' then c.labels
                                                   when 'account' then array[c.account_id]
                                                   else array['']::text[] end) as k(key)
           where account_in_scope(t.account_id, $1, $2)
             and t.at >= $3 and t.at < $4
             and ($5::text is null or t.account_id = $5)
             and ($6::text is null or $6 = any(c.labels))
           group by k.key"#,
        scope.all_but,
        &scope.accounts,
        filter.from,
        filter.to,
        filter.account,
        filter.label,
        grouping.sql()
    )
    .fetch_all(&mut *conn)
    .await?;

    let mut groups: BTreeMap<String, Figures> = BTreeMap::new();
    fn group<'a>(groups: &'a mut BTreeMap<String, Figures>, key: &str) -> &'a mut Figures {
        groups.entry(key.to_owned()).or_insert_with(|| Figures {
            key: key.to_owned(),
            ..Figures::default()
        })
    }
    for v in volume {
        let f = group(&mut groups, &v.key);
        (f.inbound, f.outbound, f.conversations) = (v.inbound, v.outbound, v.conversations);
        (
            f.outbound_agents,
            f.outbound_bot,
            f.outbound_app,
            f.outbound_inbox,
        ) = (v.agents, v.bot, v.app, v.inbox);
    }
    for r in responses {
        let f = group(&mut groups, &r.key);
        (
            f.first_responses,
            f.first_response_median,
            f.first_response_p90,
        ) = (r.count, tenth(r.median), tenth(r.p90));
    }
    for r in resolutions {
        let f = group(&mut groups, &r.key);
        (f.resolutions, f.resolution_median, f.resolution_p90) =
            (r.count, tenth(r.median), tenth(r.p90));
        f.resolved_by_bot = r.by_bot;
    }
    for b in bot {
        let f = group(&mut groups, &b.key);
        (f.bot_replies, f.bot_escalations) = (b.replies, b.escalations);
    }
    if grouping == Grouping::All {
        group(&mut groups, "");
    }
    Ok(groups.into_values().collect())
}

/// Seconds to a tenth: the waits are whole seconds, so what an interpolated percentile has past a tenth
/// is floating-point noise, not information.
fn tenth(secs: Option<f64>) -> Option<f64> {
    secs.map(|s| (s * 10.0).round() / 10.0)
}

/// One agent's figures. Times are seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentFigures {
    /// The user id.
    pub agent: String,
    /// Conversations the agent wrote in.
    pub conversations: i64,
    /// Messages the agent sent.
    pub messages: i64,
    /// Customers' waits the agent ended.
    pub responses: i64,
    /// Their median.
    pub response_median: Option<f64>,
    /// First answers since a conversation (re)opened.
    pub first_responses: i64,
    /// Their median wait.
    pub first_response_median: Option<f64>,
    /// Their 90th percentile wait.
    pub first_response_p90: Option<f64>,
}

/// Each agent who wrote or answered in the range, by user id.
pub async fn agents(
    db: impl PgExecutor<'_>,
    scope: &AccountScope,
    filter: &Filter,
) -> sqlx::Result<Vec<AgentFigures>> {
    let scope = Binds::from(scope);
    sqlx::query_as!(
        AgentFigures,
        r#"with sent as (
               select v.agent, count(distinct v.conversation_id) as conversations,
                      sum(v.messages)::bigint as messages
               from report_volume v
               join report_conversations c on c.conversation_id = v.conversation_id
               where v.who = 'agent'
                 and account_in_scope(v.account_id, $1, $2)
                 and v.hour >= $3 and v.hour < $4
                 and ($5::text is null or v.account_id = $5)
                 and ($6::text is null or $6 = any(c.labels))
               group by v.agent),
           answered as (
               select r.agent, count(*) as responses,
                      percentile_cont(0.5) within group (order by case when $7 then coalesce(r.waited_business_secs, r.waited_secs) else r.waited_secs end) as median,
                      count(*) filter (where r.first) as first_responses,
                      percentile_cont(0.5) within group (order by case when $7 then coalesce(r.waited_business_secs, r.waited_secs) else r.waited_secs end) filter (where r.first) as first_median,
                      percentile_cont(0.9) within group (order by case when $7 then coalesce(r.waited_business_secs, r.waited_secs) else r.waited_secs end) filter (where r.first) as first_p90
               from report_responses r
               join report_conversations c on c.conversation_id = r.conversation_id
               where r.responder = 'agent' and r.agent is not null
                 and account_in_scope(r.account_id, $1, $2)
                 and r.at >= $3 and r.at < $4
                 and ($5::text is null or r.account_id = $5)
                 and ($6::text is null or $6 = any(c.labels))
               group by r.agent)
           select coalesce(s.agent, a.agent) as "agent!",
                  coalesce(s.conversations, 0) as "conversations!",
                  coalesce(s.messages, 0) as "messages!",
                  coalesce(a.responses, 0) as "responses!",
                  a.median as "response_median?",
                  coalesce(a.first_responses, 0) as "first_responses!",
                  a.first_median as "first_response_median?",
                  a.first_p90 as "first_response_p90?"
           from sent s full join answered a on a.agent = s.agent
           order by 1"#,
        scope.all_but,
        &scope.accounts,
        filter.from,
        filter.to,
        filter.account,
        filter.label,
        filter.business_hours
    )
    .fetch_all(db)
    .await
    .map(|agents| {
        agents
            .into_iter()
            .map(|a| AgentFigures {
                response_median: tenth(a.response_median),
                first_response_median: tenth(a.first_response_median),
                first_response_p90: tenth(a.first_response_p90),
                ..a
            })
            .collect()
    })
}

/// Messages of one UTC hour.
#[derive(Debug, Clone, PartialEq)]
pub struct HourCount {
    /// The start of the UTC hour.
    pub hour: DateTime<Utc>,
    /// Customers' messages.
    pub inbound: i64,
    /// The business's messages.
    pub outbound: i64,
}

/// Messages per UTC hour of the range, in order (hours without messages left out).
pub async fn hourly(
    db: impl PgExecutor<'_>,
    scope: &AccountScope,
    filter: &Filter,
) -> sqlx::Result<Vec<HourCount>> {
    let scope = Binds::from(scope);
    sqlx::query_as!(
        HourCount,
        r#"select v.hour as "hour!",
                  coalesce(sum(v.messages) filter (where v.direction = 'inbound'), 0)::bigint as "inbound!",
                  coalesce(sum(v.messages) filter (where v.direction = 'outbound'), 0)::bigint as "outbound!"
           from report_volume v
           join report_conversations c on c.conversation_id = v.conversation_id
           where account_in_scope(v.account_id, $1, $2)
             and v.hour >= $3 and v.hour < $4
             and ($5::text is null or v.account_id = $5)
             and ($6::text is null or $6 = any(c.labels))
           group by v.hour
           order by v.hour"#,
        scope.all_but,
        &scope.accounts,
        filter.from,
        filter.to,
        filter.account,
        filter.label
    )
    .fetch_all(db)
    .await
}

/// Messages of one local day.
#[derive(Debug, Clone, PartialEq)]
pub struct DayCount {
    /// The local day.
    pub day: NaiveDate,
    /// Customers' messages.
    pub inbound: i64,
    /// The business's messages.
    pub outbound: i64,
}

/// The hourly counts by local day in `zone`, in order (an hour counts on the day it starts in there).
pub fn per_day(hours: &[HourCount], zone: Tz) -> Vec<DayCount> {
    let mut days: BTreeMap<NaiveDate, (i64, i64)> = BTreeMap::new();
    for h in hours {
        let day = days
            .entry(h.hour.with_timezone(&zone).date_naive())
            .or_default();
        day.0 += h.inbound;
        day.1 += h.outbound;
    }
    days.into_iter()
        .map(|(day, (inbound, outbound))| DayCount {
            day,
            inbound,
            outbound,
        })
        .collect()
}

/// One cell of the week's heat map: a local weekday (1 Monday to 7 Sunday) and hour (0 to 23).
#[derive(Debug, Clone, PartialEq)]
pub struct HeatCell {
    /// 1 (Monday) to 7 (Sunday).
    pub weekday: u32,
    /// 0 to 23.
    pub hour: u32,
    /// Customers' messages.
    pub inbound: i64,
    /// The business's messages.
    pub outbound: i64,
}

/// The hourly counts on the week's 7 × 24 local hours in `zone`, Monday 00:00 first, every cell present.
pub fn heat_map(hours: &[HourCount], zone: Tz) -> Vec<HeatCell> {
    let mut cells: Vec<HeatCell> = (0..7 * 24)
        .map(|i| HeatCell {
            weekday: i / 24 + 1,
            hour: i % 24,
            inbound: 0,
            outbound: 0,
        })
        .collect();
    for h in hours {
        let local = h.hour.with_timezone(&zone);
        let i = (local.weekday().num_days_from_monday() * 24 + local.hour()) as usize;
        if let Some(cell) = cells.get_mut(i) {
            cell.inbound += h.inbound;
            cell.outbound += h.outbound;
        }
    }
    cells
}
