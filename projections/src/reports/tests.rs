//! Given a scripted history with exact times, when it is folded, then the rows and the figures are the
//! ones worked out by hand below.
//!
//! The number `1122` is open Monday to Friday 09:00-17:00 in Paris (UTC+1 in January: 08:00-16:00 UTC),
//! saved before anything else. Monday 2027-01-04, times in UTC:
//!
//! | conversation | history | wait (business) | resolved after (business) |
//! |---|---|---|---|
//! | 4401 | customer 07:30, ann 08:30, label `vip`, resolved 09:30 | 3600 (1800: from 08:00) | 7200 (5400) |
//! | 4402 | customer 15:50, away message 15:50:01, bob Tuesday 08:10 | 58800 (600 + 600) | — |
//! | 4403 | customer 10:00, ann 10:05; customer 10:20, ann 10:30 | 300; then 600 (not first) | — |
//! | 4404 | customer 11:00, bot 11:00:05, resolved 11:30 | 5 | 1800 (1800), by the bot alone |
//! | 4405 | customer 12:00, bot hands over 12:00:05, resolved 12:30 | — | 1800 (1800), escalated |

use super::queries::{self, Filter, Grouping};
use super::view::{self, ReportsView};
use super::ReportsProjection;
use crate::projection::Projection;
use actors::account::events::{AccountEvent, TeamworkConfigured};
use actors::bot::events::{BotEscalated, BotReplied, TurnDetails};
use actors::bot::EscalationReason;
use actors::conversation::events::ConversationEvent;
use actors::conversation::message::InboundMessage;
use actors::conversation::outbound::MessageQueued;
use actors::conversation::workflow::{ConversationStatus, LabelSet, Responded, StatusChanged};
use actors::event::{DomainEvent, EventMetadata, RecordedEvent, StreamId};
use actors::graph::messages::TextMessage;
use actors::graph::{OutboundContent, OutboundMessage};
use actors::teamwork::hours::{BusinessHours, Interval, Weekly};
use actors::teamwork::TeamworkSettings;
use actors::testing::TestDatabase;
use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

const ACCOUNT: &str = "1122";

fn t(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

/// Monday 2027-01-04 at `hh:mm:ss` UTC.
fn mon(time: &str) -> DateTime<Utc> {
    t(&format!("2027-01-04T{time}Z"))
}

fn paris_office_hours() -> BusinessHours {
    let day = vec![Interval {
        open: "09:00".into(),
        close: "17:00".into(),
    }];
    BusinessHours {
        enabled: true,
        time_zone: "Europe/Paris".into(),
        weekly: Weekly {
            mon: day.clone(),
            tue: day.clone(),
            wed: day.clone(),
            thu: day.clone(),
            fri: day,
            ..Weekly::default()
        },
        holidays: Vec::new(),
        away_message: "We are closed".into(),
    }
}

/// Builds a log: events get consecutive global positions in the order they are pushed.
#[derive(Default)]
struct Log(Vec<RecordedEvent>);

impl Log {
    fn push<E: DomainEvent>(&mut self, stream: StreamId, event: E) {
        let position = self.0.len() as u64 + 1;
        let new = event.to_new_event(&EventMetadata::webhook(Uuid::nil()));
        self.0.push(RecordedEvent {
            id: new.id,
            stream_id: stream,
            stream_version: position,
            global_position: position,
            event_type: new.event_type,
            schema_version: new.schema_version,
            payload: new.payload.into(),
            metadata: new.metadata,
            occurred_at: new.occurred_at,
            recorded_at: new.occurred_at.unwrap_or_else(|| mon("00:00:00")),
        });
    }

    fn hours(&mut self, hours: BusinessHours, at: DateTime<Utc>) {
        self.push(
            StreamId::account(ACCOUNT),
            AccountEvent::TeamworkConfigured(TeamworkConfigured {
                save_id: Uuid::new_v4(),
                settings: TeamworkSettings {
                    hours,
                    auto_assign: None,
                },
                at,
                by: Some("admin".into()),
            }),
        );
    }

    fn on(&mut self, contact: &str, event: ConversationEvent) {
        self.push(StreamId::conversation(ACCOUNT, contact), event);
    }

    fn customer(&mut self, contact: &str, wamid: &str, at: DateTime<Utc>) {
        let message = InboundMessage::parse(&json!({"from": contact, "id": wamid,
            "timestamp": at.timestamp().to_string(), "type": "text", "text": {"body": "hello?"}}))
        .unwrap();
        self.on(contact, ConversationEvent::MessageReceived(message));
    }

    fn queued(&mut self, contact: &str, id: Uuid, at: DateTime<Utc>, by: Option<&str>) {
        self.on(
            contact,
            ConversationEvent::MessageQueued(MessageQueued {
                message_id: id,
                at,
                message: OutboundMessage {
                    to: contact.into(),
                    group: false,
                    reply_to: None,
                    content: OutboundContent::Text(TextMessage {
                        body: "here".into(),
                        preview_url: false,
                    }),
                    callback_data: None,
                    template_text: None,
                },
                by: by.map(str::to_owned),
                away_for: None,
            }),
        );
    }

    fn responded(
        &mut self,
        contact: &str,
        id: Uuid,
        (since, at): (DateTime<Utc>, DateTime<Utc>),
        first: bool,
        by: Option<&str>,
    ) {
        self.on(
            contact,
            ConversationEvent::Responded(Responded {
                message_id: id.to_string(),
                at,
                waiting_since: since,
                waited_secs: (at - since).num_seconds(),
                first,
                by: by.map(str::to_owned),
                responder: if by.is_some() { "agent" } else { "bot" }.into(),
            }),
        );
    }

    /// An agent's answer: the message and the wait it ends, in one append as the aggregate records them.
    fn agent_answers(
        &mut self,
        contact: &str,
        agent: &str,
        (since, at): (DateTime<Utc>, DateTime<Utc>),
        first: bool,
    ) {
        let id = Uuid::new_v4();
        self.queued(contact, id, at, Some(agent));
        self.responded(contact, id, (since, at), first, Some(agent));
    }

    fn resolved(&mut self, contact: &str, at: DateTime<Utc>, open_secs: i64, by: &str) -> Uuid {
        let command_id = Uuid::new_v4();
        self.on(
            contact,
            ConversationEvent::StatusChanged(StatusChanged {
                command_id,
                at,
                status: ConversationStatus::Resolved,
                snoozed_until: None,
                by: Some(by.into()),
                reason: None,
                open_secs: Some(open_secs),
            }),
        );
        command_id
    }
}

/// The history of the table above; `with_hours: false` leaves the number without business hours.
fn history(with_hours: bool) -> Vec<RecordedEvent> {
    let mut log = Log::default();
    if with_hours {
        log.hours(paris_office_hours(), t("2027-01-01T12:00:00Z"));
    }
    log.customer("4401", "wamid.1", mon("07:30:00"));
    log.agent_answers("4401", "ann", (mon("07:30:00"), mon("08:30:00")), true);
    log.on(
        "4401",
        ConversationEvent::LabelSet(LabelSet {
            command_id: Uuid::new_v4(),
            at: mon("08:31:00"),
            label: "vip".into(),
            applied: true,
            by: Some("ann".into()),
        }),
    );
    log.resolved("4401", mon("09:30:00"), 7200, "ann");

    log.customer("4402", "wamid.2", mon("15:50:00"));
    log.queued("4402", Uuid::new_v4(), mon("15:50:01"), None);
    log.agent_answers(
        "4402",
        "bob",
        (mon("15:50:00"), t("2027-01-05T08:10:00Z")),
        true,
    );

    log.customer("4403", "wamid.3a", mon("10:00:00"));
    log.agent_answers("4403", "ann", (mon("10:00:00"), mon("10:05:00")), true);
    log.customer("4403", "wamid.3b", mon("10:20:00"));
    log.agent_answers("4403", "ann", (mon("10:20:00"), mon("10:30:00")), false);

    log.customer("4404", "wamid.4", mon("11:00:00"));
    let reply = Uuid::new_v4();
    log.on(
        "4404",
        ConversationEvent::BotReplied(BotReplied {
            turn_id: Uuid::new_v4(),
            through: "wamid.4".into(),
            message_id: reply,
            kind: "answer".into(),
            details: TurnDetails::default(),
            at: mon("11:00:05"),
        }),
    );
    log.queued("4404", reply, mon("11:00:05"), None);
    log.responded(
        "4404",
        reply,
        (mon("11:00:00"), mon("11:00:05")),
        true,
        None,
    );
    log.resolved("4404", mon("11:30:00"), 1800, "ann");

    log.customer("4405", "wamid.5", mon("12:00:00"));
    let fallback = Uuid::new_v4();
    log.on(
        "4405",
        ConversationEvent::BotEscalated(BotEscalated {
            turn_id: Uuid::new_v4(),
            through: "wamid.5".into(),
            message_id: Some(fallback),
            reason: EscalationReason::NeedsHuman,
            would_have_replied: None,
            error: None,
            escalation_number: None,
            details: TurnDetails::default(),
            at: mon("12:00:05"),
        }),
    );
    log.queued("4405", fallback, mon("12:00:05"), None);
    log.resolved("4405", mon("12:30:00"), 1800, "bob");
    log.0
}

fn fold(events: &[RecordedEvent]) -> ReportsView {
    let mut view = ReportsView::default();
    for event in crate::typed::typed(events.to_vec()) {
        if let Some(e) = super::decode(&event).unwrap() {
            view::apply(&mut view, &e);
        }
    }
    view
}

/// (contact, wait, wait in business hours, first, agent) of an answer.
type Wait<'a> = (&'a str, i64, Option<i64>, bool, Option<&'a str>);

/// Each answer's [`Wait`], by conversation and time.
fn waits(view: &ReportsView) -> Vec<Wait<'_>> {
    let mut rows: Vec<_> = view.responses.values().collect();
    rows.sort_by_key(|r| (r.conversation_id.clone(), r.at));
    rows.iter()
        .map(|r| {
            (
                &r.conversation_id[5..],
                r.waited_secs,
                r.waited_business_secs,
                r.first,
                r.agent.as_deref(),
            )
        })
        .collect()
}

#[test]
fn each_answer_counts_its_wait_and_the_part_of_it_in_business_hours() {
    let view = fold(&history(true));
    assert_eq!(
        waits(&view),
        [
            ("4401", 3600, Some(1800), true, Some("ann")),
            ("4402", 58800, Some(1200), true, Some("bob")),
            ("4403", 300, Some(300), true, Some("ann")),
            ("4403", 600, Some(600), false, Some("ann")),
            ("4404", 5, Some(5), true, None),
        ]
    );
}

#[test]
fn without_business_hours_no_business_figure_is_made_up() {
    let view = fold(&history(false));
    assert!(view
        .responses
        .values()
        .all(|r| r.waited_business_secs.is_none()));
    assert!(view
        .resolutions
        .values()
        .all(|r| r.open_business_secs.is_none()));
    assert_eq!(waits(&view)[0], ("4401", 3600, None, true, Some("ann")));
}

#[test]
fn hours_saved_later_do_not_change_earlier_figures() {
    let mut events = history(false);
    let mut log = Log(std::mem::take(&mut events));
    log.hours(paris_office_hours(), mon("23:00:00"));
    log.customer("4406", "wamid.6", t("2027-01-05T07:00:00Z"));
    log.agent_answers(
        "4406",
        "ann",
        (t("2027-01-05T07:00:00Z"), t("2027-01-05T08:30:00Z")),
        true,
    );
    let view = fold(&log.0);
    let waits = waits(&view);
    assert_eq!(waits[0], ("4401", 3600, None, true, Some("ann")));
    assert_eq!(waits[5], ("4406", 5400, Some(1800), true, Some("ann")));
}

#[test]
fn a_resolution_counts_its_open_time_and_whether_the_bot_closed_it_alone() {
    let view = fold(&history(true));
    let mut rows: Vec<_> = view
        .resolutions
        .values()
        .map(|r| {
            (
                &r.conversation_id[5..],
                r.open_secs,
                r.open_business_secs,
                r.resolved_by.as_deref(),
                r.by_bot_alone,
            )
        })
        .collect();
    rows.sort();
    assert_eq!(
        rows,
        [
            ("4401", Some(7200), Some(5400), Some("ann"), false),
            ("4404", Some(1800), Some(1800), Some("ann"), true),
            ("4405", Some(1800), Some(1800), Some("bob"), false),
        ]
    );
}

#[test]
fn messages_are_counted_by_hour_direction_and_writer() {
    let view = fold(&history(true));
    let mut counts: Vec<_> = view
        .volume
        .values()
        .map(|v| {
            (
                &v.conversation_id[5..],
                v.hour.format("%d %H").to_string(),
                v.who.as_str(),
                v.agent.as_str(),
                v.messages,
            )
        })
        .collect();
    counts.sort();
    let c = |conversation, hour: &str, who, agent, messages| {
        (conversation, hour.to_owned(), who, agent, messages)
    };
    assert_eq!(
        counts,
        [
            c("4401", "04 07", "customer", "", 1),
            c("4401", "04 08", "agent", "ann", 1),
            c("4402", "04 15", "customer", "", 1),
            c("4402", "04 15", "inbox", "", 1),
            c("4402", "05 08", "agent", "bob", 1),
            c("4403", "04 10", "agent", "ann", 2),
            c("4403", "04 10", "customer", "", 2),
            c("4404", "04 11", "bot", "", 1),
            c("4404", "04 11", "customer", "", 1),
            c("4405", "04 12", "bot", "", 1),
            c("4405", "04 12", "customer", "", 1),
        ]
    );
    assert_eq!(view.conversations["1122-4401"].labels, ["vip"]);
    let outcomes: Vec<&str> = view
        .bot_turns
        .values()
        .map(|t| t.outcome.as_str())
        .collect();
    assert_eq!(outcomes.len(), 2);
    assert!(outcomes.contains(&"replied") && outcomes.contains(&"escalated"));
}

#[test]
fn a_removed_label_no_longer_filters_and_a_reopened_period_starts_clean() {
    let mut log = Log::default();
    let label = |applied, at| {
        ConversationEvent::LabelSet(LabelSet {
            command_id: Uuid::new_v4(),
            at,
            label: "vip".into(),
            applied,
            by: None,
        })
    };
    log.on("4401", label(true, mon("08:00:00")));
    log.on("4401", label(false, mon("08:01:00")));
    log.customer("4401", "wamid.1", mon("09:00:00"));
    log.agent_answers("4401", "ann", (mon("09:00:00"), mon("09:01:00")), true);
    log.resolved("4401", mon("09:10:00"), 600, "ann");
    let reply = Uuid::new_v4();
    log.customer("4401", "wamid.2", mon("10:00:00"));
    log.on(
        "4401",
        ConversationEvent::StatusChanged(StatusChanged {
            command_id: Uuid::new_v4(),
            at: mon("10:00:00"),
            status: ConversationStatus::Open,
            snoozed_until: None,
            by: None,
            reason: Some("customer_wrote".into()),
            open_secs: None,
        }),
    );
    log.on(
        "4401",
        ConversationEvent::BotReplied(BotReplied {
            turn_id: Uuid::new_v4(),
            through: "wamid.2".into(),
            message_id: reply,
            kind: "answer".into(),
            details: TurnDetails::default(),
            at: mon("10:00:05"),
        }),
    );
    log.queued("4401", reply, mon("10:00:05"), None);
    let second = log.resolved("4401", mon("10:30:00"), 1800, "ann");
    let view = fold(&log.0);
    assert!(view.conversations["1122-4401"].labels.is_empty());
    let alone: Vec<bool> = view.resolutions.values().map(|r| r.by_bot_alone).collect();
    assert_eq!(alone.iter().filter(|a| **a).count(), 1);
    assert!(view.resolutions[&("1122-4401".to_owned(), second)].by_bot_alone);
}

fn whole_range(business_hours: bool) -> Filter {
    Filter {
        from: t("2027-01-01T00:00:00Z"),
        to: t("2027-02-01T00:00:00Z"),
        account: None,
        label: None,
        business_hours,
    }
}

fn everything() -> crate::scope::AccountScope {
    crate::scope::AccountScope::All {
        except: Default::default(),
    }
}

/// The history applied by the projection itself, in three batches (one cut between the bot's reply and
/// its queued message), then read back with the API's queries.
#[tokio::test]
async fn the_figures_of_the_scripted_history_are_the_hand_computed_ones() {
    let db = TestDatabase::create().await;
    let pool = db.pool().await;
    let events = history(true);
    let cut = events
        .iter()
        .position(|e| e.event_type == ConversationEvent::BOT_REPLIED)
        .unwrap()
        + 1;
    let mut conn = pool.acquire().await.unwrap();
    let events = crate::typed::typed(events);
    for batch in [&events[..7], &events[7..cut], &events[cut..]] {
        ReportsProjection.apply(&mut conn, batch).await.unwrap();
    }

    let all = queries::figures(&mut conn, &everything(), &whole_range(false), Grouping::All)
        .await
        .unwrap();
    let f = &all[0];
    assert_eq!((f.inbound, f.outbound, f.conversations), (6, 7, 5));
    assert_eq!(
        (
            f.outbound_agents,
            f.outbound_bot,
            f.outbound_app,
            f.outbound_inbox
        ),
        (4, 2, 0, 1)
    );
    // First answers: 5, 300, 3600, 58800. The median is between 300 and 3600; the 90th percentile is
    // 70 % of the way from 3600 to 58800 (position 0.9 × 3 = 2.7).
    assert_eq!(f.first_responses, 4);
    assert_eq!(f.first_response_median, Some(1950.0));
    assert_eq!(f.first_response_p90, Some(42240.0));
    // Open times 1800, 1800, 7200: the 90th percentile is 80 % of the way from 1800 to 7200.
    assert_eq!(
        (f.resolutions, f.resolution_median, f.resolution_p90),
        (3, Some(1800.0), Some(6120.0))
    );
    assert_eq!(
        (f.bot_replies, f.bot_escalations, f.resolved_by_bot),
        (1, 1, 1)
    );
    assert_eq!(f.bot_share(), Some(1.0 / 3.0));

    // In business hours: first answers 5, 300, 1200, 1800; open times 1800, 1800, 5400.
    let f = &queries::figures(&mut conn, &everything(), &whole_range(true), Grouping::All)
        .await
        .unwrap()[0];
    assert_eq!(f.first_response_median, Some(750.0));
    assert_eq!(f.first_response_p90, Some(1620.0));
    assert_eq!(f.resolution_median, Some(1800.0));
    assert_eq!(f.resolution_p90, Some(4680.0));

    // Per agent: ann answered 4401 (3600, in business hours 1800) and 4403 (300, then 600 not first);
    // bob answered 4402 (58800; 1200).
    let agents = queries::agents(&mut *conn, &everything(), &whole_range(false))
        .await
        .unwrap();
    let row = |a: &queries::AgentFigures| {
        (
            a.agent.clone(),
            a.conversations,
            a.messages,
            a.responses,
            a.first_responses,
            a.first_response_median,
        )
    };
    assert_eq!(
        agents.iter().map(row).collect::<Vec<_>>(),
        [
            ("ann".to_owned(), 2, 3, 3, 2, Some(1950.0)),
            ("bob".to_owned(), 1, 1, 1, 1, Some(58800.0)),
        ]
    );
    assert_eq!(agents[0].response_median, Some(600.0));
    let agents = queries::agents(&mut *conn, &everything(), &whole_range(true))
        .await
        .unwrap();
    assert_eq!(agents[0].first_response_median, Some(1050.0));
    assert_eq!(agents[1].first_response_median, Some(1200.0));

    // By label: only 4401 holds `vip`.
    let labels = queries::figures(
        &mut conn,
        &everything(),
        &whole_range(false),
        Grouping::Label,
    )
    .await
    .unwrap();
    assert_eq!(labels.len(), 1);
    assert_eq!(
        (
            labels[0].key.as_str(),
            labels[0].inbound,
            labels[0].first_response_median
        ),
        ("vip", 1, Some(3600.0))
    );
    let vip = Filter {
        label: Some("vip".into()),
        ..whole_range(false)
    };
    let f = &queries::figures(&mut conn, &everything(), &vip, Grouping::All)
        .await
        .unwrap()[0];
    assert_eq!((f.inbound, f.outbound, f.resolutions), (1, 1, 1));

    // Another number's caller sees nothing of this one.
    let elsewhere = crate::scope::AccountScope::Only(["9999".to_owned()].into());
    let f = &queries::figures(&mut conn, &elsewhere, &whole_range(false), Grouping::All)
        .await
        .unwrap()[0];
    assert_eq!(
        (f.inbound, f.outbound, f.resolutions, f.first_responses),
        (0, 0, 0, 0)
    );
    let accounts = queries::figures(
        &mut conn,
        &elsewhere,
        &whole_range(false),
        Grouping::Account,
    )
    .await
    .unwrap();
    assert!(accounts.is_empty());

    // The hours of the week in Paris: Monday's 07:30 UTC message counts at 08:00-09:00 local.
    let hourly = queries::hourly(&mut *conn, &everything(), &whole_range(false))
        .await
        .unwrap();
    let paris: actors::teamwork::Tz = "Europe/Paris".parse().unwrap();
    let heat = queries::heat_map(&hourly, paris);
    assert_eq!(heat.len(), 168);
    assert_eq!((heat[8].weekday, heat[8].hour, heat[8].inbound), (1, 8, 1));
    let days = queries::per_day(&hourly, paris);
    assert_eq!(
        days.iter()
            .map(|d| (d.day.to_string(), d.inbound, d.outbound))
            .collect::<Vec<_>>(),
        [
            ("2027-01-04".to_owned(), 6, 6),
            ("2027-01-05".to_owned(), 0, 1)
        ]
    );
    drop(conn);
    pool.close().await;
}
