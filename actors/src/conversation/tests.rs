//! Given recorded events, when a fact arrives, then these events are decided (and this state results).

use super::events::{ContactProfile, ConversationEvent};
use super::message::{EchoedMessage, InboundMessage};
use super::status::{DeliveryStatus, StatusReport};
use super::{Conversation, ConversationFact};
use crate::aggregate::RefusalCode;
use crate::testing::aggregate::Scenario;
use serde_json::json;

fn given(history: impl IntoIterator<Item = ConversationEvent>) -> Scenario<Conversation> {
    crate::testing::aggregate::given(history)
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
    let mut c = given([]);
    c.when(ConversationFact::Message(text("wamid.1", "hello", 100)))
        .then([ConversationEvent::MessageReceived(text(
            "wamid.1", "hello", 100,
        ))]);
    assert_eq!(c.inbound_count(), 1);
    assert_eq!(c.last_inbound_at().map(|t| t.timestamp()), Some(100));
}

#[test]
fn a_duplicate_message_appends_nothing() {
    let mut c = given([ConversationEvent::MessageReceived(text(
        "wamid.1", "hello", 100,
    ))]);
    c.when(ConversationFact::Message(text("wamid.1", "hello", 100)))
        .then_nothing();
    // Also within one body.
    let mut fresh = given([]);
    let twice = [
        ConversationFact::Message(text("wamid.2", "x", 1)),
        ConversationFact::Message(text("wamid.2", "x", 1)),
    ];
    assert_eq!(fresh.when_all(twice).events().len(), 1);
}

#[test]
fn statuses_only_move_forward_whatever_order_they_arrive_in() {
    // read before delivered, and a late sent after read.
    let mut c = given([ConversationEvent::MessageEchoed(echo("wamid.out"))]);
    let facts = [
        status("wamid.out", "read", 30),
        status("wamid.out", "delivered", 20),
        status("wamid.out", "sent", 10),
    ];
    let events = c.when_all(facts.map(ConversationFact::Status)).events();
    assert_eq!(events.len(), 3, "each status is a fact worth its timestamp");
    assert_eq!(c.status_of("wamid.out"), Some(DeliveryStatus::Read));
    let d = c.delivery("wamid.out").unwrap();
    assert_eq!(d.sent_at.map(|t| t.timestamp()), Some(10));
    assert_eq!(d.delivered_at.map(|t| t.timestamp()), Some(20));
}

#[test]
fn read_without_delivered_or_sent_still_counts_as_read() {
    let mut c = given([ConversationEvent::MessageEchoed(echo("wamid.out"))]);
    c.when(ConversationFact::Status(status("wamid.out", "read", 5)))
        .then([ConversationEvent::MessageStatusChanged(status(
            "wamid.out",
            "read",
            5,
        ))]);
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
        let mut c = given([ConversationEvent::MessageEchoed(echo("w"))]);
        assert_eq!(
            c.when_all(all.clone().map(ConversationFact::Status))
                .events()
                .len(),
            4
        );
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
        let mut c = given([ConversationEvent::MessageEchoed(echo("w"))]);
        let facts = p.iter().map(|&i| ConversationFact::Status(all[i].clone()));
        assert_eq!(c.when_all(facts).events().len(), 4, "order {p:?}");
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
    let mut c = given([ConversationEvent::MessageEchoed(echo("wamid.out"))]);
    c.when_all([
        ConversationFact::Status(status("wamid.out", "failed", 10)),
        ConversationFact::Status(status("wamid.out", "delivered", 20)),
    ])
    .then([
        ConversationEvent::MessageStatusChanged(status("wamid.out", "failed", 10)),
        ConversationEvent::MessageStatusChanged(status("wamid.out", "delivered", 20)),
    ]);
    let d = c.delivery("wamid.out").unwrap();
    assert_eq!(c.status_of("wamid.out"), Some(DeliveryStatus::Failed));
    assert_eq!(d.progress(), Some(DeliveryStatus::Delivered));
    assert_eq!(d.failure[0].code, Some(131047));
}

#[test]
fn a_repeated_status_appends_nothing() {
    let mut c = given([ConversationEvent::MessageStatusChanged(status(
        "wamid.out",
        "delivered",
        20,
    ))]);
    c.when(ConversationFact::Status(status(
        "wamid.out",
        "delivered",
        20,
    )))
    .then_nothing();
}

/// A person already has the conversation: no hand-over event beside the facts under test.
fn bot_off() -> ConversationEvent {
    ConversationEvent::BotSet(super::events::SettingChanged {
        command_id: uuid::Uuid::nil(),
        at: chrono::DateTime::from_timestamp(1, 0).unwrap(),
        value: false,
        reason: None,
    })
}

#[test]
fn a_status_for_an_unknown_message_is_kept_and_applied_once_the_message_is_known() {
    let mut c = given([bot_off()]);
    // The status is recorded although the message is unknown.
    c.when(ConversationFact::Status(status(
        "wamid.later",
        "delivered",
        20,
    )))
    .then([ConversationEvent::MessageStatusChanged(status(
        "wamid.later",
        "delivered",
        20,
    ))]);
    assert_eq!(c.status_of("wamid.later"), None);
    assert_eq!(c.messages_awaiting_statuses(), 1);

    c.when(ConversationFact::Echo(echo("wamid.later")))
        .then([ConversationEvent::MessageEchoed(echo("wamid.later"))]);
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
    let mut c = given([]);
    c.when(ConversationFact::Contact(seen.clone()))
        .then([ConversationEvent::ContactProfileSeen(seen.clone())]);
    c.when(ConversationFact::Contact(seen.clone()))
        .then_nothing();
    // A body without the name does not erase it.
    let nameless = ContactProfile {
        wa_id: Some("1555".into()),
        ..Default::default()
    };
    c.when(ConversationFact::Contact(nameless)).then_nothing();
    let renamed = ContactProfile {
        name: Some("Ann B".into()),
        username: Some("@annb".into()),
        ..seen
    };
    let events = c.when(ConversationFact::Contact(renamed)).events();
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
        ConversationEvent::WatchDetected(super::events::WatchDetected {
            message_id: "wamid.1".into(),
            via: None,
            direction: "inbound".into(),
            at: chrono::DateTime::from_timestamp(1, 0),
            extractor_version: 1,
            extraction: crate::listings::Extraction {
                kind: crate::listings::MessageType::Sale,
                language: Some("fr".into()),
                confidence: 0.87,
                listings: vec![crate::listings::Listing {
                    brand: Some("Rolex".into()),
                    price: Some(9800.5),
                    currency: Some("EUR".into()),
                    has_box: Some(true),
                    papers: Some(false),
                    size_mm: Some(39.5),
                    condition: Some(crate::listings::Condition::VeryGood),
                    spans: [(
                        "brand".to_owned(),
                        crate::listings::Span { start: 6, end: 11 },
                    )]
                    .into(),
                    ..Default::default()
                }],
                spans: Default::default(),
            },
            method: crate::listings::ReadingMethod::Llm,
            model: Some("gemini:gemini-2.5-flash".into()),
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
            payload: new.payload.into(),
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
    let mut c = given([]);
    // Nothing to change, but the key is taken: recorded.
    let events = c.when(keyed(1, Favourite(false))).events();
    assert!(matches!(&events[..], [ConversationEvent::FavouriteSet(f)] if !f.value));
    // The same request again: nothing new.
    c.when(keyed(1, Favourite(false))).then_nothing();
    // The same key for another request: refused, so nothing is recorded.
    for other in [Favourite(true), Archive(false), MarkRead] {
        c.when(keyed(1, other))
            .then_refused(RefusalCode::IdempotencyKeyReused);
    }
    assert!(!c.is_favourite());
}

#[test]
fn marking_read_is_recorded_only_when_something_is_unread() {
    use super::ConversationAction::MarkRead;
    let mut c = given([]);
    c.when(command(MarkRead)).then_nothing();
    c.when(ConversationFact::Message(text("wamid.1", "hi", 100)))
        .then([ConversationEvent::MessageReceived(text(
            "wamid.1", "hi", 100,
        ))]);
    assert!(c.has_unread());
    let events = c.when(command(MarkRead)).events();
    assert!(
        matches!(&events[..], [ConversationEvent::ReadMarked(r)] if r.through.as_deref() == Some("wamid.1"))
    );
    assert!(!c.has_unread());
    c.when(command(MarkRead)).then_nothing();
}

#[test]
fn settings_change_only_when_switched_to_the_other_value() {
    use super::ConversationAction::{Archive, Bot, Favourite};
    let mut c = given([]);
    assert!(c.bot_enabled() && !c.is_favourite() && !c.is_archived());
    c.when_all([
        command(Bot(true)),
        command(Favourite(false)),
        command(Archive(false)),
    ])
    .then_nothing();
    let events = c
        .when_all([
            command(Favourite(true)),
            command(Favourite(true)),
            command(Bot(false)),
        ])
        .events();
    assert!(matches!(
        &events[..],
        [ConversationEvent::FavouriteSet(f), ConversationEvent::BotSet(b)] if f.value && !b.value
    ));
    assert!(c.is_favourite() && !c.bot_enabled());
}

#[test]
fn a_new_customer_message_takes_the_conversation_out_of_the_archive() {
    use super::ConversationAction::Archive;
    let mut c = given([]);
    assert_eq!(c.when(command(Archive(true))).events().len(), 1);
    assert!(c.is_archived());
    c.when(ConversationFact::Message(text(
        "wamid.2",
        "back again",
        200,
    )))
    .then([ConversationEvent::MessageReceived(text(
        "wamid.2",
        "back again",
        200,
    ))]);
    assert!(!c.is_archived());
    // So archiving again is a change, and is recorded.
    assert_eq!(c.when(command(Archive(true))).events().len(), 1);
}

#[test]
fn command_events_read_back_as_written() {
    use crate::event::{DomainEvent, EventMetadata, RecordedEvent, StreamId};
    let mut c = given([ConversationEvent::MessageReceived(text("wamid.1", "hi", 1))]);
    let events = c
        .when_all([
            command(super::ConversationAction::MarkRead),
            command(super::ConversationAction::Archive(true)),
        ])
        .events();
    assert_eq!(events.len(), 2);
    for event in events {
        let new = event.to_new_event(&EventMetadata::user("u1", uuid::Uuid::new_v4()));
        let recorded = RecordedEvent {
            id: new.id,
            stream_id: StreamId::new("conversation-1-2"),
            stream_version: 1,
            global_position: 1,
            event_type: new.event_type.clone(),
            schema_version: new.schema_version,
            payload: new.payload.into(),
            metadata: new.metadata.clone(),
            occurred_at: new.occurred_at,
            recorded_at: chrono::Utc::now(),
        };
        assert_eq!(ConversationEvent::from_recorded(&recorded).unwrap(), event);
    }
}

mod sending {
    use super::*;
    use crate::aggregate::Aggregate;
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
            by: None,
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

    /// The customer wrote, and a person already has the conversation (the bot's hand-over on a first
    /// agent message is tested with the bot).
    fn customer_wrote_at(seconds: i64) -> Scenario<Conversation> {
        given([
            ConversationEvent::MessageReceived(text("wamid.in", "hi", seconds)),
            super::bot_off(),
        ])
    }

    #[test]
    fn a_reply_within_24_hours_is_queued_once() {
        let mut c = customer_wrote_at(1_000);
        let fact = send(1, hello(), 1_000 + 3_600);
        let events = c.when_all([fact.clone(), fact]).events();
        assert!(
            matches!(&events[..], [ConversationEvent::MessageQueued(q)] if q.message_id == uuid::Uuid::from_u128(1))
        );
        assert!(c.outgoing(&uuid::Uuid::from_u128(1)).is_some());
    }

    #[test]
    fn a_send_id_reused_for_another_message_is_refused() {
        let mut c = customer_wrote_at(1_000);
        assert_eq!(c.when(send(1, hello(), 1_010)).events().len(), 1);
        c.when(send(1, hello(), 1_020)).then_nothing();
        c.when(send(1, template(), 1_020))
            .then_refused(RefusalCode::IdempotencyKeyReused);
        // A command under a send's id is another request too.
        let command = ConversationFact::Command(crate::conversation::ConversationCommand {
            command_id: uuid::Uuid::from_u128(1),
            at: at(1_030),
            action: crate::conversation::ConversationAction::MarkRead,
            keyed: true,
        });
        c.when(command)
            .then_refused(RefusalCode::IdempotencyKeyReused);
    }

    #[test]
    fn free_form_outside_the_window_is_refused_but_a_template_is_not() {
        let mut c = customer_wrote_at(1_000);
        let late = 1_000 + SERVICE_WINDOW.num_seconds() + 1;
        // Deciding alone would queue it: the refusal is `check`'s, which the harness runs as the actor does.
        assert_eq!(c.decide(&send(1, hello(), late)).len(), 1);
        let refusal = c
            .when(send(1, hello(), late))
            .then_refused(RefusalCode::WindowClosed);
        assert!(refusal.message.contains("template"), "{}", refusal.message);
        assert_eq!(c.when(send(2, template(), late)).events().len(), 1);
        let mut never_wrote = given([]);
        never_wrote
            .when(send(3, hello(), 10))
            .then_refused(RefusalCode::WindowClosed);
    }

    #[test]
    fn a_reaction_must_name_a_message_of_the_conversation() {
        let mut c = customer_wrote_at(1_000);
        let react = |wamid: &str| {
            OutboundContent::Reaction(ReactionMessage {
                message_id: wamid.into(),
                emoji: "👍".into(),
            })
        };
        assert_eq!(c.when(send(1, react("wamid.in"), 1_100)).events().len(), 1);
        c.when(send(2, react("wamid.elsewhere"), 1_100))
            .then_refused(RefusalCode::UnknownMessage);
    }

    #[test]
    fn one_sender_at_a_time_until_its_claim_expires() {
        let mut c = customer_wrote_at(1_000);
        assert_eq!(c.when(send(1, hello(), 1_010)).events().len(), 1);
        let first = c.when(attempt(1, 1_020)).events();
        assert!(matches!(&first[..], [ConversationEvent::SendAttempted(a)] if a.attempt == 1));
        // Claimed.
        c.when(attempt(1, 1_030)).then_nothing();
        let taken_over = c.when(attempt(1, 1_020 + 121)).events();
        assert!(matches!(&taken_over[..], [ConversationEvent::SendAttempted(a)] if a.attempt == 2));
    }

    #[test]
    fn the_first_outcome_is_final_and_statuses_then_apply() {
        let mut c = customer_wrote_at(1_000);
        let id = uuid::Uuid::from_u128(1);
        assert_eq!(
            c.when_all([send(1, hello(), 1_010), attempt(1, 1_011)])
                .events()
                .len(),
            2
        );
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
        assert_eq!(c.when_all([sent, failed]).events().len(), 1);
        assert!(c.is_finished(&id));
        c.when(attempt(1, 2_000)).then_nothing();
        c.when(ConversationFact::Status(status(
            "wamid.out",
            "delivered",
            1_020,
        )))
        .then([ConversationEvent::MessageStatusChanged(status(
            "wamid.out",
            "delivered",
            1_020,
        ))]);
        assert_eq!(c.status_of("wamid.out"), Some(DeliveryStatus::Delivered));
    }
}

const OFFER: &str = "Vends Rolex Submariner 116610LN full set de 2018, 9 800 €";

fn watches(events: &[ConversationEvent]) -> Vec<&super::events::WatchDetected> {
    events
        .iter()
        .filter_map(|e| match e {
            ConversationEvent::WatchDetected(w) => Some(w),
            _ => None,
        })
        .collect()
}

#[test]
fn a_customers_offer_is_recorded_with_what_the_extractor_read_in_the_same_append() {
    let mut c = given([]);
    let events = c
        .when(ConversationFact::Message(text("wamid.1", OFFER, 100)))
        .events();
    assert_eq!(
        events[0],
        ConversationEvent::MessageReceived(text("wamid.1", OFFER, 100))
    );
    let found = watches(&events);
    assert_eq!(found.len(), 1);
    let w = found[0];
    assert_eq!(
        (w.message_id.as_str(), w.direction.as_str()),
        ("wamid.1", "inbound")
    );
    assert_eq!(w.at.map(|t| t.timestamp()), Some(100));
    assert_eq!(w.extractor_version, crate::listings::EXTRACTOR_VERSION);
    assert_eq!(w.extraction.kind, crate::listings::MessageType::Sale);
    assert_eq!(w.extraction.listings[0].brand.as_deref(), Some("Rolex"));
    // Delivered again: nothing at all.
    c.when(ConversationFact::Message(text("wamid.1", OFFER, 100)))
        .then_nothing();
}

/// A model's reading of `wamid`: a Rolex Submariner offered.
fn model_reading(wamid: &str) -> super::events::WatchDetected {
    let mut rules = crate::listings::extract(OFFER);
    rules.confidence = 0.95;
    super::events::WatchDetected {
        message_id: wamid.into(),
        via: None,
        direction: "inbound".into(),
        at: chrono::DateTime::from_timestamp(100, 0),
        extractor_version: crate::listings::EXTRACTOR_VERSION,
        extraction: rules,
        method: crate::listings::ReadingMethod::Llm,
        model: Some("gemini:test".into()),
    }
}

#[test]
fn a_models_reading_is_recorded_once_per_known_message() {
    let mut c = given([ConversationEvent::MessageReceived(text(
        "wamid.1",
        "dispo la sub ?",
        100,
    ))]);
    let reading = model_reading("wamid.1");
    c.when(ConversationFact::ModelReading(reading.clone()))
        .then([ConversationEvent::WatchDetected(reading.clone())]);
    // Read again (by another node, or after a restart): nothing more.
    c.when(ConversationFact::ModelReading(reading))
        .then_nothing();
    // A message the conversation does not hold is not read.
    c.when(ConversationFact::ModelReading(model_reading("wamid.404")))
        .then_nothing();
    // Stored beside the rules' reading of the same version, not taken for it (event ids are derived).
    let meta = crate::event::EventMetadata::system("test");
    use crate::event::DomainEvent;
    let by_model = ConversationEvent::WatchDetected(model_reading("wamid.1"));
    let mut rules = model_reading("wamid.1");
    rules.method = crate::listings::ReadingMethod::Rules;
    assert_ne!(
        by_model.to_new_event(&meta).id,
        ConversationEvent::WatchDetected(rules)
            .to_new_event(&meta)
            .id
    );
}

#[test]
fn only_a_models_reading_with_finite_numbers_passes_as_one() {
    let mut c = given([ConversationEvent::MessageReceived(text(
        "wamid.1",
        "dispo la sub ?",
        100,
    ))]);
    let mut as_rules = model_reading("wamid.1");
    as_rules.method = crate::listings::ReadingMethod::Rules;
    c.when(ConversationFact::ModelReading(as_rules))
        .then_nothing();
    let mut infinite = model_reading("wamid.1");
    infinite.extraction.listings[0].price = Some(f64::INFINITY);
    c.when(ConversationFact::ModelReading(infinite))
        .then_nothing();
}

#[test]
fn chatter_and_messages_without_text_record_no_watch() {
    let mut c = given([]);
    let events = c
        .when(ConversationFact::Message(text(
            "wamid.1",
            "Bonjour, merci !",
            100,
        )))
        .events();
    assert!(watches(&events).is_empty(), "{events:?}");
    let reaction = InboundMessage::parse(&json!({"from": "15550001111", "id": "wamid.2", "timestamp": "101", "type": "reaction", "reaction": {"message_id": "wamid.1", "emoji": "👍"}})).unwrap();
    let events = c.when(ConversationFact::Message(reaction)).events();
    assert_eq!(events.len(), 1);
}

#[test]
fn an_edit_is_read_again_for_the_message_it_edits() {
    let mut c = given([ConversationEvent::MessageReceived(text(
        "wamid.1", "Bonjour", 100,
    ))]);
    let edit = InboundMessage::parse(&json!({"from": "15550001111", "id": "wamid.2", "timestamp": "101", "type": "edit", "edit": {"original_message_id": "wamid.1", "message": {"type": "text", "text": {"body": OFFER}}}})).unwrap();
    let events = c.when(ConversationFact::Message(edit)).events();
    let found = watches(&events);
    assert_eq!(found.len(), 1, "{events:?}");
    assert_eq!(found[0].message_id, "wamid.1");
    assert_eq!(found[0].via.as_deref(), Some("wamid.2"));
}

#[test]
fn an_agents_offer_is_read_when_it_is_queued_and_a_businesss_echo_when_it_comes() {
    use crate::graph::messages::{OutboundContent, TextMessage};
    use crate::graph::OutboundMessage;
    let mut c = given([ConversationEvent::MessageReceived(text(
        "wamid.1",
        "Vous avez une Sub ?",
        100,
    ))]);
    let message_id = uuid::Uuid::new_v4();
    let send = super::outbound::SendCommand {
        message_id,
        at: chrono::DateTime::from_timestamp(200, 0).unwrap(),
        message: OutboundMessage {
            to: "15550001111".to_owned(),
            group: false,
            reply_to: None,
            content: OutboundContent::Text(TextMessage {
                body: OFFER.to_owned(),
                preview_url: false,
            }),
            callback_data: None,
            template_text: None,
        },
        by: None,
    };
    let events = c.when(ConversationFact::Send(send)).events();
    let found = watches(&events);
    assert_eq!(found.len(), 1, "{events:?}");
    assert_eq!(found[0].message_id, message_id.to_string());
    assert_eq!(found[0].direction, "outbound");

    let mut echoed = echo("wamid.echo");
    echoed.content = super::message::MessageContent::Text {
        body: OFFER.to_owned(),
    };
    let events = c.when(ConversationFact::Echo(echoed)).events();
    assert_eq!(watches(&events).len(), 1);
}

mod bot {
    use super::*;
    use crate::bot::events::{BotTurnClaimed, TurnDetails};
    use crate::bot::EscalationReason;
    use crate::conversation::{BotFact, Recipient};
    use chrono::{DateTime, Duration, Utc};

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(s, 0).unwrap()
    }

    fn turn(n: u128) -> uuid::Uuid {
        uuid::Uuid::from_u128(n)
    }

    fn claim(n: u128, s: i64) -> ConversationFact {
        ConversationFact::Bot(BotFact::Claim {
            turn_id: turn(n),
            at: at(s),
            lease: Duration::seconds(60),
        })
    }

    fn recipient() -> Recipient {
        Recipient {
            to: "15550001111".into(),
            group: false,
        }
    }

    fn reply(n: u128, s: i64, text: &str) -> ConversationFact {
        ConversationFact::Bot(BotFact::Reply {
            turn_id: turn(n),
            at: at(s),
            recipient: recipient(),
            kind: "answer".into(),
            text: text.into(),
            details: TurnDetails::default(),
        })
    }

    fn escalate(n: u128, s: i64) -> ConversationFact {
        ConversationFact::Bot(BotFact::Escalate {
            turn_id: turn(n),
            at: at(s),
            recipient: recipient(),
            reason: EscalationReason::NeedsHuman,
            fallback: "A colleague will answer.".into(),
            would_have_replied: None,
            error: None,
            escalation_number: None,
            details: TurnDetails::default(),
        })
    }

    fn asked(wamid: &str, s: i64) -> ConversationEvent {
        ConversationEvent::MessageReceived(text(wamid, "Do you ship?", s))
    }

    #[test]
    fn a_turn_is_claimed_once_and_only_for_a_message_not_answered() {
        let now = Utc::now().timestamp();
        let mut c = given([asked("wamid.1", now)]);
        c.when(claim(1, now))
            .then([ConversationEvent::BotTurnClaimed(BotTurnClaimed {
                turn_id: turn(1),
                through: "wamid.1".into(),
                at: at(now),
            })]);
        // Another node, while the claim is live: nothing.
        c.when(claim(2, now + 10)).then_nothing();
        let events = c.when(reply(1, now + 11, "Yes.")).events();
        assert!(
            matches!(events[0], ConversationEvent::BotReplied(ref r) if r.through == "wamid.1")
        );
        assert!(matches!(events[1], ConversationEvent::MessageQueued(_)));
        assert_eq!(c.bot_question(), None);
        // Nothing new to answer.
        c.when(claim(3, now + 12)).then_nothing();
    }

    #[test]
    fn a_turn_whose_lease_ran_out_is_taken_over_and_the_late_outcome_is_ignored() {
        let now = Utc::now().timestamp();
        let mut c = given([asked("wamid.1", now)]);
        c.when(claim(1, now)).events();
        assert_eq!(c.when(claim(2, now + 61)).events().len(), 1);
        // The first node comes back with its answer: not the current claim.
        c.when(reply(1, now + 62, "late")).then_nothing();
        let events = c.when(reply(2, now + 63, "Yes.")).events();
        assert!(
            matches!(events.as_slice(), [ConversationEvent::BotReplied(_), ConversationEvent::MessageQueued(_), ConversationEvent::Responded(r)] if r.responder == "bot"),
            "{events:?}"
        );
        // The same outcome recorded again (a retry) appends nothing.
        c.when(reply(2, now + 63, "Yes.")).then_nothing();
    }

    #[test]
    fn an_escalation_sends_the_fallback_and_switches_the_bot_off() {
        let now = Utc::now().timestamp();
        let mut c = given([asked("wamid.1", now)]);
        c.when(claim(1, now)).events();
        let events = c.when(escalate(1, now + 1)).events();
        assert_eq!(events.len(), 3, "{events:?}");
        assert!(matches!(
            &events[0],
            ConversationEvent::BotEscalated(e) if e.reason == EscalationReason::NeedsHuman && e.message_id.is_some()
        ));
        assert!(
            matches!(&events[2], ConversationEvent::BotSet(s) if !s.value && s.reason.as_deref() == Some("escalated"))
        );
        assert!(!c.bot_enabled());
        // The customer writes again: no turn while the bot is off.
        c.when(ConversationFact::Message(text(
            "wamid.2",
            "Hello?",
            now + 5,
        )))
        .events();
        c.when(claim(2, now + 6)).then_nothing();
    }

    #[test]
    fn an_agents_message_or_an_echo_hands_over_and_reactions_ask_nothing() {
        let now = Utc::now().timestamp();
        let mut c = given([asked("wamid.1", now)]);
        let send = ConversationFact::Send(crate::conversation::outbound::SendCommand {
            message_id: uuid::Uuid::from_u128(99),
            at: at(now + 1),
            message: crate::graph::OutboundMessage {
                to: "15550001111".into(),
                group: false,
                reply_to: None,
                content: crate::graph::OutboundContent::Text(crate::graph::messages::TextMessage {
                    body: "Marc here".into(),
                    preview_url: false,
                }),
                callback_data: None,
                template_text: None,
            },
            by: None,
        });
        let events = c.when(send).events();
        assert!(
            matches!(events.last(), Some(ConversationEvent::BotSet(s)) if !s.value && s.reason.as_deref() == Some("agent_replied"))
        );
        assert!(!c.bot_enabled());

        let mut e = given([asked("wamid.1", now)]);
        let events = e.when(ConversationFact::Echo(echo("wamid.out"))).events();
        assert!(events
            .iter()
            .any(|e| matches!(e, ConversationEvent::BotSet(s) if !s.value)));

        let reaction = InboundMessage::parse(&json!({"from": "15550001111", "id": "wamid.r", "timestamp": now.to_string(), "type": "reaction", "reaction": {"message_id": "wamid.1", "emoji": "👍"}})).unwrap();
        let mut r = given([ConversationEvent::MessageReceived(reaction)]);
        r.when(claim(1, now)).then_nothing();
    }
}
