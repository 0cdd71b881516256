//! The accounts projection: the WhatsApp business numbers, their configuration and the quality and
//! messaging limit Meta last reported.

pub mod queries;

use crate::inbox::view::conversation_ids;
use crate::projection::Projection;
use crate::rows::{self, Table, ViewRow};
use crate::typed::TypedEvent;
use actors::account::events::AccountEvent;
use actors::account::sealed::Sealed;
use actors::event::RecordedEvent;
use actors::teamwork::TeamworkSettings;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::types::Json;
use sqlx::PgConnection;
use std::collections::BTreeMap;

pub const ACCOUNTS: Table = Table {
    name: "inbox_accounts",
    key: &["account_id"],
};
pub const NUMBER_QUALITY: Table = Table {
    name: "inbox_number_quality",
    key: &["phone_digits"],
};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountRow {
    /// Meta's phone number id.
    pub account_id: String,
    pub phone_number: Option<String>,
    pub meta_app_id: Option<String>,
    /// Configured by the operator (not only seen in a webhook).
    pub configured: bool,
    pub first_seen_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub position: i64,
    pub name: Option<String>,
    pub business_account_id: Option<String>,
    /// Sealed under the master key, never in clear.
    pub access_token: Option<Json<Sealed>>,
    pub verify_token: Option<Json<Sealed>>,
    pub app_secret: Option<Json<Sealed>>,
    /// Business hours, away message and automatic assignment, as last saved; `None`: never saved.
    pub teamwork: Option<Json<TeamworkSettings>>,
}

impl ViewRow for AccountRow {
    const TABLE: Table = ACCOUNTS;
}

/// Meta's latest quality report for a number, keyed by the number's digits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumberQualityRow {
    pub phone_digits: String,
    pub waba_id: Option<String>,
    /// The business name Meta approved for the number (`phone_number_name_update`).
    pub display_name: Option<String>,
    /// `FLAGGED`, `UNFLAGGED`, `UPGRADE`, `DOWNGRADE`, `THROUGHPUT_UPGRADE`, ...
    pub quality_event: Option<String>,
    /// The messaging limit tier (`TIER_1K`, ...).
    pub messaging_limit: Option<String>,
    pub reported_at: Option<DateTime<Utc>>,
    pub position: i64,
}

impl ViewRow for NumberQualityRow {
    const TABLE: Table = NUMBER_QUALITY;
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct AccountsView {
    pub accounts: BTreeMap<String, AccountRow>,
    pub quality: BTreeMap<String, NumberQualityRow>,
}

/// What the accounts projection reads from an event.
#[expect(
    clippy::large_enum_variant,
    reason = "each value is decided or read once and moved, never stored in bulk; boxing would only add allocations"
)]
#[derive(Debug, Clone)]
pub enum AccountFactSeen {
    /// A conversation on this number exists.
    NumberSeen {
        account_id: String,
    },
    Event(AccountEvent),
    /// A number's team-work settings were saved (the event names the number only by its stream).
    Teamwork {
        /// The number.
        account_id: String,
        /// What was saved, whole.
        settings: TeamworkSettings,
    },
}

pub fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// Decodes what the accounts projection needs; `Ok(None)` for anything else.
pub fn decode(event: &TypedEvent) -> anyhow::Result<Option<AccountFactSeen>> {
    if let Some((_, account_id, _)) = conversation_ids(event.stream_id.as_str()) {
        return Ok(Some(AccountFactSeen::NumberSeen {
            account_id: account_id.to_owned(),
        }));
    }
    let known = [
        AccountEvent::CONFIGURED,
        AccountEvent::QUALITY_UPDATED,
        AccountEvent::TEMPLATE_STATUS_UPDATED,
        AccountEvent::ACCOUNT_UPDATED,
        AccountEvent::CHANGE_RECORDED,
    ];
    if event.event_type == AccountEvent::TEAMWORK_CONFIGURED {
        let (Some(account_id), AccountEvent::TeamworkConfigured(t)) = (
            event.stream_id.as_str().strip_prefix("account-"),
            event.account()?,
        ) else {
            return Ok(None);
        };
        return Ok(Some(AccountFactSeen::Teamwork {
            account_id: account_id.to_owned(),
            settings: t.settings.clone(),
        }));
    }
    if !known.contains(&event.event_type.as_str()) {
        return Ok(None);
    }
    Ok(Some(AccountFactSeen::Event(event.account()?.clone())))
}

/// The webhook field that reports a number's display-name review.
const NAME_UPDATE: &str = "phone_number_name_update";

fn report_row<'v>(
    view: &'v mut AccountsView,
    number: &str,
    position: i64,
) -> &'v mut NumberQualityRow {
    let key = digits(number);
    view.quality
        .entry(key.clone())
        .or_insert_with(|| NumberQualityRow {
            phone_digits: key,
            waba_id: None,
            display_name: None,
            quality_event: None,
            messaging_limit: None,
            reported_at: None,
            position,
        })
}

/// Applies one event. Pure.
pub fn apply(view: &mut AccountsView, event: &RecordedEvent, fact: &AccountFactSeen) {
    let position = i64::try_from(event.global_position).unwrap_or(i64::MAX);
    let at = event.recorded_at;
    let account = |view: &mut AccountsView, id: &str| -> AccountRow {
        view.accounts.get(id).cloned().unwrap_or(AccountRow {
            account_id: id.to_owned(),
            phone_number: None,
            meta_app_id: None,
            configured: false,
            first_seen_at: at,
            updated_at: at,
            position,
            name: None,
            business_account_id: None,
            access_token: None,
            verify_token: None,
            app_secret: None,
            teamwork: None,
        })
    };
    match fact {
        AccountFactSeen::NumberSeen { account_id } => {
            if !view.accounts.contains_key(account_id) {
                let row = account(view, account_id);
                view.accounts.insert(account_id.clone(), row);
            }
        }
        AccountFactSeen::Event(AccountEvent::Configured(c)) => {
            let mut row = account(view, &c.phone_number_id);
            row.phone_number.clone_from(&c.phone_number);
            row.meta_app_id.clone_from(&c.meta_app_id);
            row.name.clone_from(&c.name);
            row.business_account_id.clone_from(&c.business_account_id);
            row.access_token = c.access_token.clone().map(Json);
            row.verify_token = c.verify_token.clone().map(Json);
            row.app_secret = c.app_secret.clone().map(Json);
            row.configured = true;
            row.updated_at = at;
            row.position = position;
            view.accounts.insert(c.phone_number_id.clone(), row);
        }
        AccountFactSeen::Teamwork {
            account_id,
            settings,
        } => {
            let mut row = account(view, account_id);
            row.teamwork = Some(Json(settings.clone()));
            row.updated_at = at;
            row.position = position;
            view.accounts.insert(account_id.clone(), row);
        }
        AccountFactSeen::Event(AccountEvent::QualityUpdated(change)) => {
            let Some(number) = change.str("display_phone_number") else {
                return;
            };
            let row = report_row(view, &number, position);
            let reported = change.time.unwrap_or(at);
            if row.reported_at.is_some_and(|prev| prev > reported) {
                return;
            }
            row.waba_id = change.waba_id.clone().or(row.waba_id.take());
            row.quality_event = change.str("event").or(row.quality_event.take());
            row.messaging_limit = change
                .str("current_limit")
                .or_else(|| change.str("max_daily_conversation_per_phone_number"))
                .or(row.messaging_limit.take());
            row.reported_at = Some(reported);
            row.position = position;
        }
        AccountFactSeen::Event(AccountEvent::ChangeRecorded(change))
            if change.field == NAME_UPDATE =>
        {
            let (Some(number), Some("APPROVED")) = (
                change.str("display_phone_number"),
                change.str("decision").as_deref(),
            ) else {
                return;
            };
            let row = report_row(view, &number, position);
            if let Some(name) = change.str("requested_verified_name") {
                row.display_name = Some(name);
            }
            row.waba_id = change.waba_id.clone().or(row.waba_id.take());
            row.position = position;
        }
        AccountFactSeen::Event(_) => {}
    }
}

pub struct AccountsProjection;

#[async_trait]
impl Projection for AccountsProjection {
    fn name(&self) -> &'static str {
        "accounts"
    }

    fn tables(&self) -> &'static [Table] {
        &[ACCOUNTS, NUMBER_QUALITY]
    }

    async fn apply(&self, conn: &mut PgConnection, events: &[TypedEvent]) -> anyhow::Result<()> {
        let mut facts = Vec::new();
        for event in events {
            if let Some(fact) = decode(event)? {
                facts.push((event, fact));
            }
        }
        if facts.is_empty() {
            return Ok(());
        }
        // Every conversation event names its account: probe each account (and number) once per batch.
        let mut account_ids = std::collections::BTreeSet::new();
        let mut numbers = std::collections::BTreeSet::new();
        for (_, fact) in &facts {
            match fact {
                AccountFactSeen::NumberSeen { account_id }
                | AccountFactSeen::Teamwork { account_id, .. } => {
                    account_ids.insert(account_id.as_str());
                }
                AccountFactSeen::Event(AccountEvent::Configured(c)) => {
                    account_ids.insert(c.phone_number_id.as_str());
                }
                AccountFactSeen::Event(
                    AccountEvent::QualityUpdated(change) | AccountEvent::ChangeRecorded(change),
                ) => {
                    if let Some(n) = change.str("display_phone_number") {
                        numbers.insert(digits(&n));
                    }
                }
                AccountFactSeen::Event(_) => {}
            }
        }
        let account_ids: Vec<&str> = account_ids.into_iter().collect();
        let numbers: Vec<String> = numbers.into_iter().collect();
        // One index probe per key (see the inbox's load).
        let accounts = sqlx::query_as!(
            AccountRow,
            r#"select t.account_id as "account_id!", t.phone_number, t.meta_app_id,
                      t.configured as "configured!", t.first_seen_at as "first_seen_at!",
                      t.updated_at as "updated_at!", t.position as "position!", t.name,
                      t.business_account_id,
                      t.access_token as "access_token: Json<Sealed>",
                      t.verify_token as "verify_token: Json<Sealed>",
                      t.app_secret as "app_secret: Json<Sealed>",
                      t.teamwork as "teamwork: Json<TeamworkSettings>"
               from unnest($1::text[]) k(id)
               cross join lateral (select * from inbox_accounts t where t.account_id = k.id offset 0) t"#,
            &account_ids as &[&str],
        )
        .fetch_all(&mut *conn)
        .await?;
        let quality = sqlx::query_as!(
            NumberQualityRow,
            r#"select t.phone_digits as "phone_digits!", t.waba_id, t.display_name, t.quality_event,
                      t.messaging_limit, t.reported_at, t.position as "position!"
               from unnest($1::text[]) k(digits)
               cross join lateral (select * from inbox_number_quality t
                                   where t.phone_digits = k.digits offset 0) t"#,
            &numbers,
        )
        .fetch_all(&mut *conn)
        .await?;
        let before = AccountsView {
            accounts: accounts
                .into_iter()
                .map(|a| (a.account_id.clone(), a))
                .collect(),
            quality: quality
                .into_iter()
                .map(|q| (q.phone_digits.clone(), q))
                .collect(),
        };
        let mut view = before.clone();
        for (event, fact) in &facts {
            apply(&mut view, event, fact);
        }
        let accounts: Vec<&AccountRow> = view
            .accounts
            .iter()
            .filter(|(k, r)| before.accounts.get(*k) != Some(r))
            .map(|(_, r)| r)
            .collect();
        let quality: Vec<&NumberQualityRow> = view
            .quality
            .iter()
            .filter(|(k, r)| before.quality.get(*k) != Some(r))
            .map(|(_, r)| r)
            .collect();
        rows::save(conn, ACCOUNTS, &accounts).await?;
        rows::save(conn, NUMBER_QUALITY, &quality).await
    }
}
