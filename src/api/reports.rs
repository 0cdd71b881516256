//! Reports: volumes, response and resolution times, per agent, per number, per label, and the bot
//! against people, read from the reports view ([`projections::reports`]). Every report takes the same
//! parameters (`from`, `to`, `tz`, `account`, `label`, `business_hours`) and comes as JSON, or as CSV from
//! `/reports/{report}/csv`.

use super::auth::{ApiAuth, Caller};
use super::error::ApiError;
use super::listings::word;
use super::Tag;
use crate::http::AppState;
use actors::teamwork::Tz;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::{Json, PlainText};
use poem_openapi::{ApiResponse, Object, OpenApi};
use projections::reports::queries::{self, Filter, Grouping};
use std::fmt::Write;
use std::sync::Arc;

/// `/reports/…`.
pub struct ReportsApi;

/// The longest range a report covers.
const MAX_RANGE_DAYS: i64 = 731;
/// The range when none is given: the last 30 days.
const DEFAULT_RANGE_DAYS: i64 = 30;

/// What a report covers.
#[derive(Debug, Clone, Object)]
pub struct ReportRange {
    /// From this instant (included)...
    pub from: DateTime<Utc>,
    /// ...to this one (excluded).
    pub to: DateTime<Utc>,
    /// The IANA time zone days and hours of the week are counted in.
    pub tz: String,
    /// Only this number's figures.
    pub account: Option<String>,
    /// Only conversations holding this label.
    pub label: Option<String>,
    /// Whether response and resolution times count business hours only.
    pub business_hours: bool,
}

/// The figures of a range (a whole report, a number or a label). Times are in seconds; a median or
/// percentile is null when there was nothing to count.
#[derive(Debug, Clone, Object)]
pub struct ReportFigures {
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
    /// The median wait for a first answer.
    pub first_response_median_secs: Option<f64>,
    /// The 90th percentile of the wait for a first answer.
    pub first_response_p90_secs: Option<f64>,
    /// Conversations resolved.
    pub resolutions: i64,
    /// The median time a resolved conversation had been open.
    pub resolution_median_secs: Option<f64>,
    /// The 90th percentile of that time.
    pub resolution_p90_secs: Option<f64>,
    /// The bot's answers.
    pub bot_replies: i64,
    /// The bot's hand-overs to a person.
    pub bot_escalations: i64,
    /// Resolved conversations whose open period had bot answers, no person's message and no hand-over.
    pub resolved_by_bot: i64,
    /// `resolved_by_bot` over `resolutions` (null with none resolved).
    pub resolved_by_bot_share: Option<f64>,
}

impl From<&queries::Figures> for ReportFigures {
    fn from(f: &queries::Figures) -> Self {
        ReportFigures {
            inbound: f.inbound,
            outbound: f.outbound,
            outbound_agents: f.outbound_agents,
            outbound_bot: f.outbound_bot,
            outbound_app: f.outbound_app,
            outbound_inbox: f.outbound_inbox,
            conversations: f.conversations,
            first_responses: f.first_responses,
            first_response_median_secs: f.first_response_median,
            first_response_p90_secs: f.first_response_p90,
            resolutions: f.resolutions,
            resolution_median_secs: f.resolution_median,
            resolution_p90_secs: f.resolution_p90,
            bot_replies: f.bot_replies,
            bot_escalations: f.bot_escalations,
            resolved_by_bot: f.resolved_by_bot,
            resolved_by_bot_share: f.bot_share(),
        }
    }
}

/// The figures of the range.
#[derive(Debug, Clone, Object)]
pub struct SummaryReport {
    /// What was counted.
    pub range: ReportRange,
    /// The figures.
    pub figures: ReportFigures,
}

/// A number's or a label's figures.
#[derive(Debug, Clone, Object)]
pub struct GroupFigures {
    /// The phone-number id, or the label id.
    pub key: String,
    /// Its figures.
    pub figures: ReportFigures,
}

/// Figures per number, or per label (a conversation counts under each label it holds now).
#[derive(Debug, Clone, Object)]
pub struct BreakdownReport {
    /// What was counted.
    pub range: ReportRange,
    /// One per number or label with anything counted, by key.
    pub groups: Vec<GroupFigures>,
}

/// Messages of a day.
#[derive(Debug, Clone, Object)]
pub struct DayVolume {
    /// A day in `tz`.
    pub day: NaiveDate,
    /// Customers' messages.
    pub inbound: i64,
    /// The business's messages.
    pub outbound: i64,
}

/// An hour of the week in `tz`.
#[derive(Debug, Clone, Object)]
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

/// Messages per day and per hour of the week. Messages are counted by the UTC hour they fall in; in a
/// zone whose offset is not whole hours, an hour counts where it starts.
#[derive(Debug, Clone, Object)]
pub struct VolumeReport {
    /// What was counted.
    pub range: ReportRange,
    /// Days with messages, in order.
    pub per_day: Vec<DayVolume>,
    /// All 168 hours of the week, Monday 00:00 first.
    pub heat_map: Vec<HeatCell>,
}

/// One agent's figures.
#[derive(Debug, Clone, Object)]
pub struct AgentReport {
    /// The user id.
    pub agent: String,
    /// Conversations the agent wrote in.
    pub conversations: i64,
    /// Messages the agent sent.
    pub messages: i64,
    /// Customers' waits the agent ended.
    pub responses: i64,
    /// The median of those waits.
    pub response_median_secs: Option<f64>,
    /// First answers since a conversation (re)opened.
    pub first_responses: i64,
    /// The median wait for the agent's first answers.
    pub first_response_median_secs: Option<f64>,
    /// The 90th percentile of that wait.
    pub first_response_p90_secs: Option<f64>,
}

/// Each agent's figures.
#[derive(Debug, Clone, Object)]
pub struct AgentsReport {
    /// What was counted.
    pub range: ReportRange,
    /// Agents who wrote or answered in the range, by user id.
    pub agents: Vec<AgentReport>,
}

/// Which report to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, poem_openapi::Enum)]
#[oai(rename_all = "lowercase")]
pub enum ReportKind {
    /// `/reports/summary`: one row.
    Summary,
    /// `/reports/volume`: a row per day.
    Volume,
    /// `/reports/agents`: a row per agent.
    Agents,
    /// `/reports/accounts`: a row per number.
    Accounts,
    /// `/reports/labels`: a row per label.
    Labels,
}

/// A report as CSV.
#[derive(ApiResponse)]
pub enum CsvReport {
    /// The report as CSV with a header row (UTF-8).
    #[oai(status = 200, content_type = "text/csv; charset=utf-8")]
    Csv(
        PlainText<String>,
        #[oai(header = "Content-Disposition")] String,
    ),
}

/// The report parameters, checked.
struct Params {
    filter: Filter,
    zone: Tz,
    tz: String,
}

impl Params {
    fn range(&self) -> ReportRange {
        ReportRange {
            from: self.filter.from,
            to: self.filter.to,
            tz: self.tz.clone(),
            account: self.filter.account.clone(),
            label: self.filter.label.clone(),
            business_hours: self.filter.business_hours,
        }
    }
}

/// An instant from the query: an RFC 3339 time, or a date in `zone` (its start for `from`; for `to`,
/// the start of the next day, so the date is included).
fn instant(value: &str, zone: Tz, name: &str, end: bool) -> Result<DateTime<Utc>, ApiError> {
    if let Ok(at) = DateTime::parse_from_rfc3339(value) {
        return Ok(at.with_timezone(&Utc));
    }
    let invalid = || {
        ApiError::bad_request_with(
            "invalid_time",
            format!(
                "{name} must be a date (2027-01-31) or an RFC 3339 time (2027-01-31T09:00:00Z)"
            ),
            serde_json::json!({ "parameter": name }),
        )
    };
    let day = NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| invalid())?;
    let day = match end {
        true => day.succ_opt().ok_or_else(invalid)?,
        false => day,
    };
    let midnight = day.and_time(chrono::NaiveTime::MIN);
    zone.from_local_datetime(&midnight)
        .earliest()
        .map(|at| at.with_timezone(&Utc))
        .ok_or_else(invalid)
}

fn params(
    from: Option<String>,
    to: Option<String>,
    tz: Option<String>,
    account: Option<String>,
    label: Option<String>,
    business_hours: Option<bool>,
) -> Result<Params, ApiError> {
    let tz = tz
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| "UTC".to_owned());
    let zone: Tz = tz.parse().map_err(|_| {
        ApiError::bad_request_with(
            "invalid_time_zone",
            format!("tz must be an IANA time zone such as Europe/Paris, not {tz:?}"),
            serde_json::json!({ "parameter": "tz" }),
        )
    })?;
    let to = match to.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => instant(t, zone, "to", true)?,
        None => Utc::now(),
    };
    let from = match from.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        Some(f) => instant(f, zone, "from", false)?,
        None => to - Duration::days(DEFAULT_RANGE_DAYS),
    };
    if from > to {
        return Err(ApiError::bad_request(
            "invalid_range",
            format!("from ({from}) is after to ({to})"),
        ));
    }
    if to - from > Duration::days(MAX_RANGE_DAYS) {
        return Err(ApiError::bad_request(
            "range_too_long",
            format!("a report covers at most {MAX_RANGE_DAYS} days"),
        ));
    }
    Ok(Params {
        filter: Filter {
            from,
            to,
            account: word(account, "account")?,
            label: word(label, "label")?,
            business_hours: business_hours.unwrap_or(false),
        },
        zone,
        tz,
    })
}

async fn summary(state: &AppState, caller: &Caller, p: &Params) -> Result<SummaryReport, ApiError> {
    let mut conn = state.pool.acquire().await?;
    let all = queries::figures(&mut conn, &caller.accounts(), &p.filter, Grouping::All).await?;
    let figures = all.first().cloned().unwrap_or_default();
    Ok(SummaryReport {
        range: p.range(),
        figures: (&figures).into(),
    })
}

async fn breakdown(
    state: &AppState,
    caller: &Caller,
    p: &Params,
    grouping: Grouping,
) -> Result<BreakdownReport, ApiError> {
    let mut conn = state.pool.acquire().await?;
    let groups = queries::figures(&mut conn, &caller.accounts(), &p.filter, grouping).await?;
    Ok(BreakdownReport {
        range: p.range(),
        groups: groups
            .iter()
            .map(|f| GroupFigures {
                key: f.key.clone(),
                figures: f.into(),
            })
            .collect(),
    })
}

async fn volume(state: &AppState, caller: &Caller, p: &Params) -> Result<VolumeReport, ApiError> {
    let hours = queries::hourly(&state.pool, &caller.accounts(), &p.filter).await?;
    Ok(VolumeReport {
        range: p.range(),
        per_day: queries::per_day(&hours, p.zone)
            .into_iter()
            .map(|d| DayVolume {
                day: d.day,
                inbound: d.inbound,
                outbound: d.outbound,
            })
            .collect(),
        heat_map: queries::heat_map(&hours, p.zone)
            .into_iter()
            .map(|c| HeatCell {
                weekday: c.weekday,
                hour: c.hour,
                inbound: c.inbound,
                outbound: c.outbound,
            })
            .collect(),
    })
}

async fn agents(state: &AppState, caller: &Caller, p: &Params) -> Result<AgentsReport, ApiError> {
    let agents = queries::agents(&state.pool, &caller.accounts(), &p.filter).await?;
    Ok(AgentsReport {
        range: p.range(),
        agents: agents
            .into_iter()
            .map(|a| AgentReport {
                agent: a.agent,
                conversations: a.conversations,
                messages: a.messages,
                responses: a.responses,
                response_median_secs: a.response_median,
                first_responses: a.first_responses,
                first_response_median_secs: a.first_response_median,
                first_response_p90_secs: a.first_response_p90,
            })
            .collect(),
    })
}

/// A CSV field: quoted when it holds a separator, a quote or a line break, and kept from being read as a
/// formula by a spreadsheet.
fn cell(text: &str) -> String {
    let text = match text.starts_with(['=', '+', '-', '@']) {
        true => format!("'{text}"),
        false => text.to_owned(),
    };
    match text.contains([',', '"', '\n', '\r']) {
        true => format!("\"{}\"", text.replace('"', "\"\"")),
        false => text,
    }
}

fn number(value: Option<f64>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

const FIGURE_COLUMNS: &str = "inbound,outbound,outbound_agents,outbound_bot,outbound_app,outbound_inbox,\
conversations,first_responses,first_response_median_secs,first_response_p90_secs,resolutions,\
resolution_median_secs,resolution_p90_secs,bot_replies,bot_escalations,resolved_by_bot,resolved_by_bot_share";

fn figure_cells(f: &ReportFigures) -> String {
    [
        f.inbound.to_string(),
        f.outbound.to_string(),
        f.outbound_agents.to_string(),
        f.outbound_bot.to_string(),
        f.outbound_app.to_string(),
        f.outbound_inbox.to_string(),
        f.conversations.to_string(),
        f.first_responses.to_string(),
        number(f.first_response_median_secs),
        number(f.first_response_p90_secs),
        f.resolutions.to_string(),
        number(f.resolution_median_secs),
        number(f.resolution_p90_secs),
        f.bot_replies.to_string(),
        f.bot_escalations.to_string(),
        f.resolved_by_bot.to_string(),
        number(f.resolved_by_bot_share),
    ]
    .join(",")
}

/// A report as CSV text, header first.
async fn csv(
    state: &AppState,
    caller: &Caller,
    p: &Params,
    report: ReportKind,
) -> Result<String, ApiError> {
    let mut out = String::new();
    match report {
        ReportKind::Summary => {
            let s = summary(state, caller, p).await?;
            let _ = writeln!(out, "from,to,{FIGURE_COLUMNS}");
            let _ = writeln!(
                out,
                "{},{},{}",
                s.range.from.to_rfc3339(),
                s.range.to.to_rfc3339(),
                figure_cells(&s.figures)
            );
        }
        ReportKind::Accounts | ReportKind::Labels => {
            let (grouping, key) = match report {
                ReportKind::Accounts => (Grouping::Account, "account"),
                _ => (Grouping::Label, "label"),
            };
            let b = breakdown(state, caller, p, grouping).await?;
            let _ = writeln!(out, "{key},{FIGURE_COLUMNS}");
            for g in &b.groups {
                let _ = writeln!(out, "{},{}", cell(&g.key), figure_cells(&g.figures));
            }
        }
        ReportKind::Volume => {
            let v = volume(state, caller, p).await?;
            let _ = writeln!(out, "day,inbound,outbound");
            for d in &v.per_day {
                let _ = writeln!(out, "{},{},{}", d.day, d.inbound, d.outbound);
            }
        }
        ReportKind::Agents => {
            let a = agents(state, caller, p).await?;
            let _ = writeln!(
                out,
                "agent,conversations,messages,responses,response_median_secs,first_responses,\
                 first_response_median_secs,first_response_p90_secs"
            );
            for a in &a.agents {
                let _ = writeln!(
                    out,
                    "{},{},{},{},{},{},{},{}",
                    cell(&a.agent),
                    a.conversations,
                    a.messages,
                    a.responses,
                    number(a.response_median_secs),
                    a.first_responses,
                    number(a.first_response_median_secs),
                    number(a.first_response_p90_secs)
                );
            }
        }
    }
    Ok(out)
}

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Reports")]
impl ReportsApi {
    /// The figures of a range: volumes, first response and resolution times (median and 90th
    /// percentile), and the bot against people.
    ///
    /// Every report takes the same parameters. `from` and `to` are dates (`2027-01-31`, in `tz`; `to`
    /// includes its day) or RFC 3339 times; by default the last 30 days; at most 731 days. Only the
    /// numbers the caller may see with `analytics.view` are counted. Messages are counted by whole UTC
    /// hours (an hour is in the range when it starts in it); answers, resolutions and bot turns by their
    /// instant. CSV: `/reports/summary/csv`.
    #[oai(
        path = "/reports/summary",
        method = "get",
        operation_id = "reportSummary"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn get_summary(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        /// A date or an RFC 3339 time (included).
        from: Query<Option<String>>,
        /// A date (included) or an RFC 3339 time (excluded).
        to: Query<Option<String>>,
        /// The IANA time zone dates and hours are read in (default `UTC`).
        tz: Query<Option<String>>,
        /// Only this number (a phone-number id).
        account: Query<Option<String>>,
        /// Only conversations holding this label (its id).
        label: Query<Option<String>>,
        /// Count response and resolution times in each number's business hours only.
        business_hours: Query<Option<bool>>,
    ) -> Result<Json<SummaryReport>, ApiError> {
        let p = params(from.0, to.0, tz.0, account.0, label.0, business_hours.0)?;
        Ok(Json(summary(&state, &caller, &p).await?))
    }

    /// Inbound and outbound messages per day, and a heat map of the 168 hours of the week, in `tz`.
    ///
    /// Parameters as for `/reports/summary`. CSV (per day): `/reports/volume/csv`.
    #[oai(
        path = "/reports/volume",
        method = "get",
        operation_id = "reportVolume"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn get_volume(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        from: Query<Option<String>>,
        to: Query<Option<String>>,
        tz: Query<Option<String>>,
        account: Query<Option<String>>,
        label: Query<Option<String>>,
        business_hours: Query<Option<bool>>,
    ) -> Result<Json<VolumeReport>, ApiError> {
        let p = params(from.0, to.0, tz.0, account.0, label.0, business_hours.0)?;
        Ok(Json(volume(&state, &caller, &p).await?))
    }

    /// Per agent: conversations handled, messages sent, response times.
    ///
    /// Parameters as for `/reports/summary`. CSV: `/reports/agents/csv`.
    #[oai(
        path = "/reports/agents",
        method = "get",
        operation_id = "reportAgents"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn get_agents(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        from: Query<Option<String>>,
        to: Query<Option<String>>,
        tz: Query<Option<String>>,
        account: Query<Option<String>>,
        label: Query<Option<String>>,
        business_hours: Query<Option<bool>>,
    ) -> Result<Json<AgentsReport>, ApiError> {
        let p = params(from.0, to.0, tz.0, account.0, label.0, business_hours.0)?;
        Ok(Json(agents(&state, &caller, &p).await?))
    }

    /// The figures of each number the caller may see.
    ///
    /// Parameters as for `/reports/summary`. CSV: `/reports/accounts/csv`.
    #[oai(
        path = "/reports/accounts",
        method = "get",
        operation_id = "reportAccounts"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn get_accounts(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        from: Query<Option<String>>,
        to: Query<Option<String>>,
        tz: Query<Option<String>>,
        account: Query<Option<String>>,
        label: Query<Option<String>>,
        business_hours: Query<Option<bool>>,
    ) -> Result<Json<BreakdownReport>, ApiError> {
        let p = params(from.0, to.0, tz.0, account.0, label.0, business_hours.0)?;
        Ok(Json(
            breakdown(&state, &caller, &p, Grouping::Account).await?,
        ))
    }

    /// The figures of each label (a conversation counts under every label it holds now).
    ///
    /// Parameters as for `/reports/summary`. CSV: `/reports/labels/csv`.
    #[oai(
        path = "/reports/labels",
        method = "get",
        operation_id = "reportLabels"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn get_labels(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        from: Query<Option<String>>,
        to: Query<Option<String>>,
        tz: Query<Option<String>>,
        account: Query<Option<String>>,
        label: Query<Option<String>>,
        business_hours: Query<Option<bool>>,
    ) -> Result<Json<BreakdownReport>, ApiError> {
        let p = params(from.0, to.0, tz.0, account.0, label.0, business_hours.0)?;
        Ok(Json(breakdown(&state, &caller, &p, Grouping::Label).await?))
    }

    /// A report as CSV (`text/csv`, a header row first): `summary` (one row), `volume` (per day),
    /// `agents`, `accounts` or `labels`.
    ///
    /// Parameters as for the report itself.
    #[oai(
        path = "/reports/:report/csv",
        method = "get",
        operation_id = "reportCsv"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn get_csv(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        report: Path<ReportKind>,
        from: Query<Option<String>>,
        to: Query<Option<String>>,
        tz: Query<Option<String>>,
        account: Query<Option<String>>,
        label: Query<Option<String>>,
        business_hours: Query<Option<bool>>,
    ) -> Result<CsvReport, ApiError> {
        let p = params(from.0, to.0, tz.0, account.0, label.0, business_hours.0)?;
        let text = csv(&state, &caller, &p, report.0).await?;
        let name = format!(
            "attachment; filename=\"{}-report.csv\"",
            format!("{:?}", report.0).to_lowercase()
        );
        Ok(CsvReport::Csv(PlainText(text), name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_range_is_read_in_the_time_zone_and_includes_its_last_day() {
        let p = params(
            Some("2027-01-04".into()),
            Some("2027-01-04".into()),
            Some("Europe/Paris".into()),
            None,
            None,
            None,
        )
        .unwrap();
        assert_eq!(p.filter.from.to_rfc3339(), "2027-01-03T23:00:00+00:00");
        assert_eq!(p.filter.to.to_rfc3339(), "2027-01-04T23:00:00+00:00");
    }

    #[test]
    fn a_csv_field_is_quoted_and_never_a_formula() {
        assert_eq!(cell("ann"), "ann");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
