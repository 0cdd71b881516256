//! The bot projection: each number's bot settings (`bot.configured`), each conversation's bot state
//! (switched on or off, and which customer message waits for an answer), every turn with its outcome, and
//! voice-note transcripts. The bot worker reads what waits; the API shows settings, turns and hand-overs.

pub mod queries;
pub mod view;

use crate::projection::{Interest, Projection};
use crate::rows::{self, Table};
use crate::typed::TypedEvent;
use actors::account::events::AccountEvent;
use actors::conversation::events::ConversationEvent;
use async_trait::async_trait;
use sqlx::PgConnection;
use view::{BotEvent, BotView, CONVERSATIONS, QA, SETTINGS, TRANSCRIPTS, TURNS};

/// The events this view reads; every other event only moves its checkpoint.
const TYPES: &[&str] = &[
    ConversationEvent::MESSAGE_RECEIVED,
    ConversationEvent::BOT_SET,
    ConversationEvent::BOT_TURN_CLAIMED,
    ConversationEvent::BOT_REPLIED,
    ConversationEvent::BOT_ESCALATED,
    ConversationEvent::MESSAGE_TRANSCRIBED,
    AccountEvent::BOT_CONFIGURED,
    AccountEvent::BOT_QA_SAVED,
    AccountEvent::BOT_QA_REMOVED,
];

pub struct BotProjection;

impl BotProjection {
    pub const NAME: &'static str = "bot";
}

fn decode(event: &TypedEvent) -> anyhow::Result<Option<BotEvent>> {
    if let Some(account_id) = event.stream_id.as_str().strip_prefix("account-") {
        let account_id = account_id.to_owned();
        let position = i64::try_from(event.global_position).unwrap_or(i64::MAX);
        return Ok(match event.account()? {
            AccountEvent::BotConfigured(configured) => Some(BotEvent::Settings {
                account_id,
                position,
                configured: configured.clone(),
            }),
            AccountEvent::BotQaSaved(saved) => Some(BotEvent::QaSaved {
                account_id,
                position,
                saved: saved.clone(),
            }),
            AccountEvent::BotQaRemoved(removed) => Some(BotEvent::QaRemoved {
                account_id,
                qa_id: removed.qa_id,
            }),
            _ => None,
        });
    }
    Ok(event.conversation()?.cloned().map(BotEvent::Conversation))
}

#[async_trait]
impl Projection for BotProjection {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn tables(&self) -> &'static [Table] {
        &[SETTINGS, CONVERSATIONS, TURNS, TRANSCRIPTS, QA]
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
        let mut ids = Vec::new();
        let (mut turn_conversations, mut turn_ids) = (Vec::new(), Vec::new());
        for e in &decoded {
            if let BotEvent::Conversation(e) = e {
                ids.push(e.conversation_id.clone());
                let turn = match &e.event {
                    ConversationEvent::BotReplied(r) => Some(r.turn_id),
                    ConversationEvent::BotEscalated(x) => Some(x.turn_id),
                    _ => None,
                };
                if let Some(turn) = turn {
                    turn_conversations.push(e.conversation_id.clone());
                    turn_ids.push(turn);
                }
            }
        }
        ids.sort();
        ids.dedup();
        let mut view = BotView::default();
        let mut accounts: Vec<&String> = decoded
            .iter()
            .filter_map(|e| match e {
                BotEvent::Settings { account_id, .. } => Some(account_id),
                _ => None,
            })
            .collect();
        accounts.dedup();
        for account in accounts {
            if let Some(row) = queries::settings(&mut *conn, account).await? {
                view.settings.insert(account.clone(), row);
            }
        }
        for row in queries::conversations(&mut *conn, &ids).await? {
            view.conversations.insert(row.conversation_id.clone(), row);
        }
        for row in queries::turns_of(&mut *conn, &turn_conversations, &turn_ids).await? {
            view.turns
                .insert((row.conversation_id.clone(), row.turn_id), row);
        }
        let before = view.clone();
        for e in &decoded {
            view::apply(&mut view, e);
        }
        let conversations: Vec<&view::ConversationRow> = view
            .conversations
            .iter()
            .filter(|(k, v)| before.conversations.get(*k) != Some(*v))
            .map(|(_, v)| v)
            .collect();
        let turns: Vec<&view::TurnRow> = view
            .turns
            .iter()
            .filter(|(k, v)| before.turns.get(*k) != Some(*v))
            .map(|(_, v)| v)
            .collect();
        rows::save(conn, SETTINGS, &view.settings.values().collect::<Vec<_>>()).await?;
        rows::save(conn, CONVERSATIONS, &conversations).await?;
        rows::save(conn, TURNS, &turns).await?;
        rows::save(
            conn,
            TRANSCRIPTS,
            &view.transcripts.values().collect::<Vec<_>>(),
        )
        .await?;
        let saved: Vec<&view::QaRow> = view.qa.values().flatten().collect();
        let removed: Vec<serde_json::Value> = view
            .qa
            .iter()
            .filter(|(_, row)| row.is_none())
            .map(|((account_id, qa_id), _)| {
                serde_json::json!({"account_id": account_id, "qa_id": qa_id})
            })
            .collect();
        rows::delete(conn, QA, &removed).await?;
        rows::save(conn, QA, &saved).await
    }
}

#[cfg(test)]
mod tests {
    use super::view::*;
    use super::*;
    use crate::inbox::view::InboxEvent;
    use actors::bot::events::{BotEscalated, BotReplied, BotTurnClaimed, TurnDetails};
    use actors::bot::EscalationReason;
    use actors::conversation::events::SettingChanged;
    use actors::conversation::message::{InboundMessage, MessageContent, MessageContext};
    use chrono::DateTime;
    use std::sync::Arc;

    fn at(s: i64) -> chrono::DateTime<chrono::Utc> {
        DateTime::from_timestamp(s, 0).unwrap()
    }

    fn event(position: i64, event: ConversationEvent) -> BotEvent {
        BotEvent::Conversation(Arc::new(InboxEvent {
            conversation_id: "1122-4477".into(),
            account_id: "1122".into(),
            contact_id: "4477".into(),
            position,
            recorded_at: at(position),
            occurred_at: Some(at(position)),
            event,
        }))
    }

    fn received(wamid: &str, content: MessageContent) -> ConversationEvent {
        ConversationEvent::MessageReceived(InboundMessage {
            wamid: wamid.into(),
            from: Some("4477".into()),
            from_user_id: None,
            group_id: None,
            timestamp: Some(at(1)),
            kind: "text".into(),
            content,
            context: MessageContext::default(),
            errors: vec![],
            raw: Default::default(),
        })
    }

    fn fold(events: &[BotEvent]) -> BotView {
        let mut view = BotView::default();
        for e in events {
            view::apply(&mut view, e);
        }
        view
    }

    #[test]
    fn a_customer_message_waits_until_a_turn_answers_it_and_reactions_never_wait() {
        let turn = uuid::Uuid::new_v4();
        let text = |s: &str| MessageContent::Text { body: s.into() };
        let mut events = vec![
            event(1, received("wamid.1", text("Hello?"))),
            event(
                2,
                received(
                    "wamid.2",
                    MessageContent::Reaction {
                        message_id: "wamid.0".into(),
                        emoji: Some("👍".into()),
                    },
                ),
            ),
        ];
        let view = fold(&events);
        let row = &view.conversations["1122-4477"];
        assert_eq!(row.latest_message_id.as_deref(), Some("wamid.1"));
        assert_eq!(row.answered_through, None);
        events.push(event(
            3,
            ConversationEvent::BotTurnClaimed(BotTurnClaimed {
                turn_id: turn,
                through: "wamid.1".into(),
                at: at(3),
            }),
        ));
        events.push(event(
            4,
            ConversationEvent::BotReplied(BotReplied {
                turn_id: turn,
                through: "wamid.1".into(),
                message_id: uuid::Uuid::nil(),
                kind: "answer".into(),
                details: TurnDetails {
                    model: "gemini:m".into(),
                    playbook_version: 3,
                    confidence: Some(0.9),
                    ..Default::default()
                },
                at: at(4),
            }),
        ));
        let view = fold(&events);
        let row = &view.conversations["1122-4477"];
        assert_eq!(row.answered_through.as_deref(), Some("wamid.1"));
        assert_eq!((row.replies, row.claimed_turn), (1, None));
        let t = &view.turns[&("1122-4477".to_owned(), turn)];
        assert_eq!(
            (t.outcome.as_str(), t.playbook_version, t.confidence),
            ("replied", Some(3), Some(0.9))
        );
    }

    #[test]
    fn a_hand_over_switches_the_bot_off_with_its_reason() {
        let turn = uuid::Uuid::new_v4();
        let view = fold(&[
            event(
                1,
                ConversationEvent::BotEscalated(BotEscalated {
                    turn_id: turn,
                    through: "wamid.1".into(),
                    message_id: None,
                    reason: EscalationReason::LowConfidence,
                    would_have_replied: Some("maybe".into()),
                    error: None,
                    escalation_number: Some("33600000000".into()),
                    details: TurnDetails::default(),
                    at: at(1),
                }),
            ),
            event(
                2,
                ConversationEvent::BotSet(SettingChanged {
                    command_id: uuid::Uuid::nil(),
                    at: at(1),
                    value: false,
                    reason: Some("escalated".into()),
                }),
            ),
        ]);
        let row = &view.conversations["1122-4477"];
        assert!(!row.enabled);
        assert_eq!(row.off_reason.as_deref(), Some("escalated"));
        assert_eq!(
            row.last_escalation_reason.as_deref(),
            Some("low_confidence")
        );
        let t = &view.turns[&("1122-4477".to_owned(), turn)];
        assert_eq!(t.would_have_replied.as_deref(), Some("maybe"));
    }
}
