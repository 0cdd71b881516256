//! Given recorded events, when a fact arrives, then these events are decided (and this state results).

use super::events::{ContactProfile, ConversationEvent};
use super::message::{EchoedMessage, InboundMessage};
use super::status::{DeliveryStatus, StatusReport};
use super::{Conversation, ConversationFact};
use crate::aggregate::Aggregate;
use serde_json::json;

fn given(events: &[ConversationEvent]) -> Conversation {
    let mut c = Conversation::default();
    for e in events {
        c.apply(e);
    }
    c
}

/// Decides and applies a sequence of facts, as the actor does; returns the events.
fn when(c: &mut Conversation, facts: &[ConversationFact]) -> Vec<ConversationEvent> {
    let mut out = vec![];
    for f in facts {
        for e in c.decide(f) {
            c.apply(&e);
            out.push(e);
        }
    }
    out
}

fn text(wamid: &str, body: &str, ts: i64) -> InboundMessage {
    InboundMessage::parse(&json!({"from": "15550001111", "id": wamid, "timestamp": ts.to_string(), "type": "text", "text": {"body": body}})).unwrap()
}

fn echo(wamid: &str) -> EchoedMessage {
    EchoedMessage::parse(&json!({"from": "15559990000", "to": "15550001111", "id": wamid, "timestamp": "1700000000", "type": "text", "text": {"body": "hi"}})).unwrap()
}

fn status(wamid: &str, s: &str, ts: i64) -> StatusReport {
    let mut raw = json!({"id": wamid, "status": s, "timestamp": ts.to_string(), "recipient_id": "15550001111"});
    if s == "failed" {
        raw["errors"] = json!([{"code": 131047, "title": "Re-engagement message", "error_data": {"details": "more than 24 hours"}}]);
    }
    StatusReport::parse(&raw).unwrap()
}

#[test]
fn a_new_message_is_recorded() {
    let mut c = given(&[]);
    let events = when(
        &mut c,
        &[ConversationFact::Message(text("wamid.1", "hello", 100))],
    );
    assert!(matches!(&events[..], [ConversationEvent::MessageReceived(m)] if m.wamid == "wamid.1"));
    assert_eq!(c.inbound_count(), 1);
    assert_eq!(c.last_inbound_at().map(|t| t.timestamp()), Some(100));
}

#[test]
fn a_duplicate_message_appends_nothing() {
    let mut c = given(&[ConversationEvent::MessageReceived(text(
        "wamid.1", "hello", 100,
    ))]);
    assert!(when(
        &mut c,
        &[ConversationFact::Message(text("wamid.1", "hello", 100))]
    )
    .is_empty());
    // Also within one body.
    let mut fresh = given(&[]);
    let twice = [
        ConversationFact::Message(text("wamid.2", "x", 1)),
        ConversationFact::Message(text("wamid.2", "x", 1)),
    ];
    assert_eq!(when(&mut fresh, &twice).len(), 1);
}

#[test]
fn statuses_only_move_forward_whatever_order_they_arrive_in() {
    // read before delivered, and a late sent after read.
    let mut c = given(&[ConversationEvent::MessageEchoed(echo("wamid.out"))]);
    let facts = [
        status("wamid.out", "read", 30),
        status("wamid.out", "delivered", 20),
        status("wamid.out", "sent", 10),
    ];
    let events = when(&mut c, &facts.map(ConversationFact::Status));
    assert_eq!(events.len(), 3, "each status is a fact worth its timestamp");
    assert_eq!(c.status_of("wamid.out"), Some(DeliveryStatus::Read));
    let d = c.delivery("wamid.out").unwrap();
    assert_eq!(d.sent_at.map(|t| t.timestamp()), Some(10));
    assert_eq!(d.delivered_at.map(|t| t.timestamp()), Some(20));
}

#[test]
fn read_without_delivered_or_sent_still_counts_as_read() {
    let mut c = given(&[ConversationEvent::MessageEchoed(echo("wamid.out"))]);
    when(
        &mut c,
        &[ConversationFact::Status(status("wamid.out", "read", 5))],
    );
    assert_eq!(c.status_of("wamid.out"), Some(DeliveryStatus::Read));
}

#[test]
fn every_order_of_the_same_statuses_ends_in_the_same_state() {
    let all = [
        status("w", "sent", 1),
        status("w", "delivered", 2),
        status("w", "read", 3),
        status("w", "played", 4),
    ];
    let reference = {
        let mut c = given(&[ConversationEvent::MessageEchoed(echo("w"))]);
        when(&mut c, &all.clone().map(ConversationFact::Status));
        c
    };
    // All 24 permutations.
    let mut idx = [0usize, 1, 2, 3];
    let mut permutations = vec![idx];
    while next_permutation(&mut idx) {
        permutations.push(idx);
    }
    assert_eq!(permutations.len(), 24);
    for p in permutations {
        let mut c = given(&[ConversationEvent::MessageEchoed(echo("w"))]);
        let facts: Vec<_> = p
            .iter()
            .map(|&i| ConversationFact::Status(all[i].clone()))
            .collect();
        when(&mut c, &facts);
        assert_eq!(c.delivery("w"), reference.delivery("w"), "order {p:?}");
        assert_eq!(c.status_of("w"), Some(DeliveryStatus::Played));
    }
}

fn next_permutation(a: &mut [usize; 4]) -> bool {
    let Some(i) = (0..3).rev().find(|&i| a[i] < a[i + 1]) else {
        return false;
    };
    let j = (i + 1..4).rev().find(|&j| a[j] > a[i]).unwrap_or(i + 1);
    a.swap(i, j);
    a[i + 1..].reverse();
    true
}

#[test]
fn failed_is_kept_even_if_a_later_status_arrives() {
    let mut c = given(&[ConversationEvent::MessageEchoed(echo("wamid.out"))]);
    when(
        &mut c,
        &[
            ConversationFact::Status(status("wamid.out", "failed", 10)),
            ConversationFact::Status(status("wamid.out", "delivered", 20)),
        ],
    );
    let d = c.delivery("wamid.out").unwrap();
    assert_eq!(c.status_of("wamid.out"), Some(DeliveryStatus::Failed));
    assert_eq!(d.progress(), Some(DeliveryStatus::Delivered));
    assert_eq!(d.failure[0].code, Some(131047));
}

#[test]
fn a_repeated_status_appends_nothing() {
    let mut c = given(&[ConversationEvent::MessageStatusChanged(status(
        "wamid.out",
        "delivered",
        20,
    ))]);
    assert!(when(
        &mut c,
        &[ConversationFact::Status(status(
            "wamid.out",
            "delivered",
            20
        ))]
    )
    .is_empty());
}

#[test]
fn a_status_for_an_unknown_message_is_kept_and_applied_once_the_message_is_known() {
    let mut c = given(&[]);
    let events = when(
        &mut c,
        &[ConversationFact::Status(status(
            "wamid.later",
            "delivered",
            20,
        ))],
    );
    assert_eq!(
        events.len(),
        1,
        "the status is recorded although the message is unknown"
    );
    assert_eq!(c.status_of("wamid.later"), None);
    assert_eq!(c.messages_awaiting_statuses(), 1);

    when(&mut c, &[ConversationFact::Echo(echo("wamid.later"))]);
    assert_eq!(c.status_of("wamid.later"), Some(DeliveryStatus::Delivered));
    assert_eq!(c.messages_awaiting_statuses(), 0);
}

#[test]
fn the_contact_profile_is_recorded_when_new_or_changed_only() {
    let seen = ContactProfile {
        wa_id: Some("1555".into()),
        name: Some("Ann".into()),
        ..Default::default()
    };
    let mut c = given(&[]);
    assert_eq!(
        when(&mut c, &[ConversationFact::Contact(seen.clone())]).len(),
        1
    );
    assert!(when(&mut c, &[ConversationFact::Contact(seen.clone())]).is_empty());
    // A body without the name does not erase it.
    let nameless = ContactProfile {
        wa_id: Some("1555".into()),
        ..Default::default()
    };
    assert!(when(&mut c, &[ConversationFact::Contact(nameless)]).is_empty());
    let renamed = ContactProfile {
        name: Some("Ann B".into()),
        username: Some("@annb".into()),
        ..seen
    };
    let events = when(&mut c, &[ConversationFact::Contact(renamed)]);
    assert!(
        matches!(&events[..], [ConversationEvent::ContactProfileSeen(p)] if p.name.as_deref() == Some("Ann B") && p.wa_id.as_deref() == Some("1555"))
    );
}

#[test]
fn events_survive_the_round_trip_through_their_stored_form() {
    use crate::event::{DomainEvent, EventMetadata, RecordedEvent, StreamId};
    let events = [
        ConversationEvent::MessageReceived(text("wamid.1", "héllo", 1)),
        ConversationEvent::MessageEchoed(echo("wamid.2")),
        ConversationEvent::MessageStatusChanged(status("wamid.2", "failed", 2)),
        ConversationEvent::ContactProfileSeen(ContactProfile {
            name: Some("Ann".into()),
            ..Default::default()
        }),
    ];
    for (i, e) in events.iter().enumerate() {
        let new = e.to_new_event(&EventMetadata::system("test"));
        let recorded = RecordedEvent {
            id: new.id,
            stream_id: StreamId::new("conversation-1-2"),
            stream_version: i as u64 + 1,
            global_position: i as u64 + 1,
            event_type: new.event_type,
            schema_version: new.schema_version,
            payload: new.payload,
            metadata: new.metadata,
            occurred_at: new.occurred_at,
            recorded_at: chrono::Utc::now(),
        };
        assert_eq!(&ConversationEvent::from_recorded(&recorded).unwrap(), e);
    }
}

fn command(action: super::ConversationAction) -> ConversationFact {
    ConversationFact::Command(super::ConversationCommand {
        command_id: uuid::Uuid::new_v4(),
        at: chrono::DateTime::from_timestamp(1_700_000_500, 0).unwrap(),
        action,
        keyed: false,
    })
}

fn keyed(id: u128, action: super::ConversationAction) -> ConversationFact {
    ConversationFact::Command(super::ConversationCommand {
        command_id: uuid::Uuid::from_u128(id),
        at: chrono::DateTime::from_timestamp(1_700_000_500, 0).unwrap(),
        action,
        keyed: true,
    })
}

#[test]
fn a_keyed_command_is_recorded_once_and_its_key_is_bound_to_its_action() {
    use super::ConversationAction::{Archive, Favourite, MarkRead};
    let mut c = given(&[]);
    // Nothing to change, but the key is taken: recorded.
    let events = when(&mut c, &[keyed(1, Favourite(false))]);
    assert!(matches!(&events[..], [ConversationEvent::FavouriteSet(f)] if !f.value));
    // The same request again: nothing new.
    assert!(c.check(&keyed(1, Favourite(false))).is_ok());
    assert!(when(&mut c, &[keyed(1, Favourite(false))]).is_empty());
    // The same key for another request: refused, so nothing is recorded.
    for other in [Favourite(true), Archive(false), MarkRead] {
        let refusal = c.check(&keyed(1, other)).unwrap_err();
        assert_eq!(refusal.code, "idempotency_key_reused");
    }
    assert!(!c.is_favourite());
}

#[test]
fn marking_read_is_recorded_only_when_something_is_unread() {
    use super::ConversationAction::MarkRead;
    let mut c = given(&[]);
    assert!(when(&mut c, &[command(MarkRead)]).is_empty());
    when(
        &mut c,
        &[ConversationFact::Message(text("wamid.1", "hi", 100))],
    );
    assert!(c.has_unread());
    let events = when(&mut c, &[command(MarkRead)]);
    assert!(
        matches!(&events[..], [ConversationEvent::ReadMarked(r)] if r.through.as_deref() == Some("wamid.1"))
    );
    assert!(!c.has_unread());
    assert!(when(&mut c, &[command(MarkRead)]).is_empty());
}

#[test]
fn settings_change_only_when_switched_to_the_other_value() {
    use super::ConversationAction::{Archive, Bot, Favourite};
    let mut c = given(&[]);
    assert!(c.bot_enabled() && !c.is_favourite() && !c.is_archived());
    assert!(when(
        &mut c,
        &[
            command(Bot(true)),
            command(Favourite(false)),
            command(Archive(false))
        ]
    )
    .is_empty());
    let events = when(
        &mut c,
        &[
            command(Favourite(true)),
            command(Favourite(true)),
            command(Bot(false)),
        ],
    );
    assert!(matches!(
        &events[..],
        [ConversationEvent::FavouriteSet(f), ConversationEvent::BotSet(b)] if f.value && !b.value
    ));
    assert!(c.is_favourite() && !c.bot_enabled());
}

#[test]
fn a_new_customer_message_takes_the_conversation_out_of_the_archive() {
    use super::ConversationAction::Archive;
    let mut c = given(&[]);
    when(&mut c, &[command(Archive(true))]);
    assert!(c.is_archived());
    when(
        &mut c,
        &[ConversationFact::Message(text(
            "wamid.2",
            "back again",
            200,
        ))],
    );
    assert!(!c.is_archived());
    // So archiving again is a change, and is recorded.
    assert_eq!(when(&mut c, &[command(Archive(true))]).len(), 1);
}

#[test]
fn command_events_read_back_as_written() {
    use crate::event::{DomainEvent, EventMetadata, RecordedEvent, StreamId};
    let mut c = given(&[ConversationEvent::MessageReceived(text("wamid.1", "hi", 1))]);
    let events = when(
        &mut c,
        &[
            command(super::ConversationAction::MarkRead),
            command(super::ConversationAction::Archive(true)),
        ],
    );
    for event in events {
        let new = event.to_new_event(&EventMetadata::user("u1", uuid::Uuid::new_v4()));
        let recorded = RecordedEvent {
            id: new.id,
            stream_id: StreamId::new("conversation-1-2"),
            stream_version: 1,
            global_position: 1,
            event_type: new.event_type.clone(),
            schema_version: new.schema_version,
            payload: new.payload.clone(),
            metadata: new.metadata.clone(),
            occurred_at: new.occurred_at,
            recorded_at: chrono::Utc::now(),
        };
        assert_eq!(ConversationEvent::from_recorded(&recorded).unwrap(), event);
    }
}

mod sending {
    use super::*;
    use crate::conversation::outbound::{
        DeliveryFact, MessageSent, SendCommand, SendFailed, SERVICE_WINDOW,
    };
    use crate::graph::messages::{ReactionMessage, TemplateMessage, TextMessage};
    use crate::graph::{CallError, OutboundContent, OutboundMessage};
    use chrono::{DateTime, Duration, Utc};

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(seconds, 0).unwrap()
    }

    fn send(id: u128, content: OutboundContent, seconds: i64) -> ConversationFact {
        ConversationFact::Send(SendCommand {
            message_id: uuid::Uuid::from_u128(id),
            at: at(seconds),
            message: OutboundMessage {
                to: "15550001111".into(),
                group: false,
                reply_to: None,
                content,
                callback_data: None,
                template_text: None,
            },
        })
    }

    fn hello() -> OutboundContent {
        OutboundContent::Text(TextMessage {
            body: "hello".into(),
            preview_url: false,
        })
    }

    fn template() -> OutboundContent {
        OutboundContent::Template(TemplateMessage {
            name: "order_update".into(),
            language: "en_US".into(),
            components: vec![],
        })
    }

    fn attempt(id: u128, seconds: i64) -> ConversationFact {
        ConversationFact::Delivery(DeliveryFact::Attempt {
            message_id: uuid::Uuid::from_u128(id),
            at: at(seconds),
            lease: Duration::seconds(120),
        })
    }

    fn customer_wrote_at(seconds: i64) -> Conversation {
        given(&[ConversationEvent::MessageReceived(text(
            "wamid.in", "hi", seconds,
        ))])
    }

    #[test]
    fn a_reply_within_24_hours_is_queued_once() {
        let mut c = customer_wrote_at(1_000);
        let fact = send(1, hello(), 1_000 + 3_600);
        assert!(c.check(&fact).is_ok());
        let events = when(&mut c, &[fact.clone(), fact]);
        assert!(
            matches!(&events[..], [ConversationEvent::MessageQueued(q)] if q.message_id == uuid::Uuid::from_u128(1))
        );
        assert!(c.outgoing(&uuid::Uuid::from_u128(1)).is_some());
    }

    #[test]
    fn a_send_id_reused_for_another_message_is_refused() {
        let mut c = customer_wrote_at(1_000);
        when(&mut c, &[send(1, hello(), 1_010)]);
        assert!(c.check(&send(1, hello(), 1_020)).is_ok());
        assert!(when(&mut c, &[send(1, hello(), 1_020)]).is_empty());
        let refusal = c.check(&send(1, template(), 1_020)).unwrap_err();
        assert_eq!(refusal.code, "idempotency_key_reused");
        // A command under a send's id is another request too.
        let command = ConversationFact::Command(crate::conversation::ConversationCommand {
            command_id: uuid::Uuid::from_u128(1),
            at: at(1_030),
            action: crate::conversation::ConversationAction::MarkRead,
            keyed: true,
        });
        assert_eq!(
            c.check(&command).unwrap_err().code,
            "idempotency_key_reused"
        );
    }

    #[test]
    fn free_form_outside_the_window_is_refused_but_a_template_is_not() {
        let c = customer_wrote_at(1_000);
        let late = 1_000 + SERVICE_WINDOW.num_seconds() + 1;
        let refusal = c.check(&send(1, hello(), late)).unwrap_err();
        assert_eq!(refusal.code, "window_closed");
        assert!(refusal.message.contains("template"), "{}", refusal.message);
        assert!(c.check(&send(2, template(), late)).is_ok());
        let never_wrote = Conversation::default();
        assert_eq!(
            never_wrote.check(&send(3, hello(), 10)).unwrap_err().code,
            "window_closed"
        );
    }

    #[test]
    fn a_reaction_must_name_a_message_of_the_conversation() {
        let c = customer_wrote_at(1_000);
        let react = |wamid: &str| {
            OutboundContent::Reaction(ReactionMessage {
                message_id: wamid.into(),
                emoji: "👍".into(),
            })
        };
        assert!(c.check(&send(1, react("wamid.in"), 1_100)).is_ok());
        assert_eq!(
            c.check(&send(2, react("wamid.elsewhere"), 1_100))
                .unwrap_err()
                .code,
            "unknown_message"
        );
    }

    #[test]
    fn one_sender_at_a_time_until_its_claim_expires() {
        let mut c = customer_wrote_at(1_000);
        when(&mut c, &[send(1, hello(), 1_010)]);
        let first = when(&mut c, &[attempt(1, 1_020)]);
        assert!(matches!(&first[..], [ConversationEvent::SendAttempted(a)] if a.attempt == 1));
        assert!(when(&mut c, &[attempt(1, 1_030)]).is_empty(), "claimed");
        let taken_over = when(&mut c, &[attempt(1, 1_020 + 121)]);
        assert!(matches!(&taken_over[..], [ConversationEvent::SendAttempted(a)] if a.attempt == 2));
    }

    #[test]
    fn the_first_outcome_is_final_and_statuses_then_apply() {
        let mut c = customer_wrote_at(1_000);
        let id = uuid::Uuid::from_u128(1);
        when(&mut c, &[send(1, hello(), 1_010), attempt(1, 1_011)]);
        let sent = ConversationFact::Delivery(DeliveryFact::Sent(MessageSent {
            message_id: id,
            attempt: 1,
            at: at(1_012),
            wamid: "wamid.out".into(),
            wa_id: None,
        }));
        let failed = ConversationFact::Delivery(DeliveryFact::Failed(SendFailed {
            message_id: id,
            attempt: 1,
            at: at(1_013),
            error: CallError::Timeout { seconds: 30 },
            remedy: None,
        }));
        assert_eq!(when(&mut c, &[sent, failed]).len(), 1);
        assert!(c.is_finished(&id));
        assert!(when(&mut c, &[attempt(1, 2_000)]).is_empty());
        when(
            &mut c,
            &[ConversationFact::Status(status(
                "wamid.out",
                "delivered",
                1_020,
            ))],
        );
        assert_eq!(c.status_of("wamid.out"), Some(DeliveryStatus::Delivered));
    }
}
