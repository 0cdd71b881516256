//! The reports projection: volumes by hour, response and resolution times, each agent's share and the
//! bot's, folded from the conversation streams and the numbers' `teamwork.configured` events. It follows
//! the log in order (no stream-by-stream rebuild): a figure in business hours needs the hours in force at
//! its time, which is the last `teamwork.configured` before it in the log. The API reads it through
//! [`queries`].

pub mod queries;
pub mod view;

#[cfg(test)]
mod tests;

use crate::projection::{Interest, Projection};
use crate::rows::{self, Table};
use crate::typed::TypedEvent;
use actors::account::events::AccountEvent;
use actors::conversation::events::ConversationEvent;
use async_trait::async_trait;
use sqlx::PgConnection;
use std::collections::BTreeSet;
use view::{
    ReportEvent, ReportsView, BOT_TURNS, CONVERSATIONS, HOURS, RESOLUTIONS, RESPONSES, VOLUME,
};

/// The events this view reads; every other event only moves its checkpoint.
const TYPES: &[&str] = &[
    ConversationEvent::MESSAGE_RECEIVED,
    ConversationEvent::MESSAGE_ECHOED,
    ConversationEvent::MESSAGE_QUEUED,
    ConversationEvent::BOT_REPLIED,
    ConversationEvent::BOT_ESCALATED,
    ConversationEvent::STATUS_CHANGED,
    ConversationEvent::LABEL_SET,
    ConversationEvent::RESPONDED,
    AccountEvent::TEAMWORK_CONFIGURED,
];

/// The reports view (tables `report_*`).
pub struct ReportsProjection;

impl ReportsProjection {
    /// Its name: checkpoint row, metrics label, CLI argument.
    pub const NAME: &'static str = "reports";
}

fn decode(event: &TypedEvent) -> anyhow::Result<Option<ReportEvent>> {
    if let Some(account_id) = event.stream_id.as_str().strip_prefix("account-") {
        return Ok(match event.account()? {
            AccountEvent::TeamworkConfigured(configured) => Some(ReportEvent::Hours {
                account_id: account_id.to_owned(),
                position: i64::try_from(event.global_position).unwrap_or(i64::MAX),
                hours: configured.settings.hours.clone(),
            }),
            _ => None,
        });
    }
    Ok(event
        .conversation()?
        .cloned()
        .map(ReportEvent::Conversation))
}

#[async_trait]
impl Projection for ReportsProjection {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn tables(&self) -> &'static [Table] {
        &[
            HOURS,
            CONVERSATIONS,
            RESPONSES,
            RESOLUTIONS,
            VOLUME,
            BOT_TURNS,
        ]
    }

    fn interest(&self) -> Interest {
        Interest::EventTypes(TYPES)
    }

    async fn apply(&self, conn: &mut PgConnection, events: &[TypedEvent]) -> anyhow::Result<()> {
        let mut decoded = Vec::new();
        for event in events
            .iter()
            .filter(|e| TYPES.contains(&e.event_type.as_str()))
        {
            decoded.extend(decode(event)?);
        }
        if decoded.is_empty() {
            return Ok(());
        }
        let (mut accounts, mut conversations) = (BTreeSet::new(), BTreeSet::new());
        let (mut hour_conversations, mut hours) = (Vec::new(), Vec::new());
        for e in &decoded {
            match e {
                ReportEvent::Hours { account_id, .. } => {
                    accounts.insert(account_id.clone());
                }
                ReportEvent::Conversation(e) => {
                    accounts.insert(e.account_id.clone());
                    conversations.insert(e.conversation_id.clone());
                    if let Some(hour) = view::message_hour(e) {
                        hour_conversations.push(e.conversation_id.clone());
                        hours.push(hour);
                    }
                }
            }
        }
        let accounts: Vec<String> = accounts.into_iter().collect();
        let conversations: Vec<String> = conversations.into_iter().collect();
        let mut view = ReportsView::default();
        for row in queries::hours_of(&mut *conn, &accounts).await? {
            let hours = serde_json::from_value(row.hours)?;
            view.hours.insert(row.account_id, (hours, row.position));
        }
        for row in queries::conversations_of(&mut *conn, &conversations).await? {
            view.conversations.insert(row.conversation_id.clone(), row);
        }
        for row in queries::volume_of(&mut *conn, &hour_conversations, &hours).await? {
            let key = (
                row.conversation_id.clone(),
                row.hour,
                row.direction.clone(),
                row.who.clone(),
                row.agent.clone(),
            );
            view.volume.insert(key, row);
        }
        let before = view.clone();
        for e in &decoded {
            view::apply(&mut view, e);
        }
        let hours: Vec<view::HoursRow> = view
            .hours
            .iter()
            .filter(|(k, v)| before.hours.get(*k) != Some(*v))
            .map(|(account_id, (hours, position))| {
                Ok(view::HoursRow {
                    account_id: account_id.clone(),
                    hours: serde_json::to_value(hours)?,
                    position: *position,
                })
            })
            .collect::<anyhow::Result<_>>()?;
        let conversations: Vec<&view::ConversationRow> = view
            .conversations
            .iter()
            .filter(|(k, v)| before.conversations.get(*k) != Some(*v))
            .map(|(_, v)| v)
            .collect();
        let volume: Vec<&view::VolumeRow> = view
            .volume
            .iter()
            .filter(|(k, v)| before.volume.get(*k) != Some(*v))
            .map(|(_, v)| v)
            .collect();
        rows::save(conn, HOURS, &hours).await?;
        rows::save(conn, CONVERSATIONS, &conversations).await?;
        rows::save(conn, VOLUME, &volume).await?;
        let responses: Vec<_> = view.responses.values().collect();
        rows::save(conn, RESPONSES, &responses).await?;
        let resolutions: Vec<_> = view.resolutions.values().collect();
        rows::save(conn, RESOLUTIONS, &resolutions).await?;
        let turns: Vec<_> = view.bot_turns.values().collect();
        rows::save(conn, BOT_TURNS, &turns).await
    }
}
