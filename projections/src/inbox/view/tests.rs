//! The inbox fold without I/O: given rows, when events are applied, then these rows.

use super::*;
use actors::conversation::events::{ContactProfile, ReadMarked, SettingChanged};
use actors::conversation::message::{EchoedMessage, InboundMessage};
use actors::conversation::outbound::{AttemptFailed, SendFailed};
use actors::conversation::status::{MessageStatus, SendState, StatusReport};
use actors::conversation::workflow::{Assigned, LabelSet, StatusChanged};
use actors::graph::messages::TextMessage;
use actors::graph::{CallError, OutboundContent, OutboundMessage};
use proptest::prelude::*;
use serde_json::json;

const CONVERSATIONS: [&str; 2] = ["1122-447700900001", "1122-447700900002"];

fn t(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000 + seconds, 0).unwrap()
}

fn event(position: i64, conversation: &str, event: ConversationEvent) -> InboxEvent {
    let (account, contact) = conversation.split_once('-').unwrap();
    InboxEvent {
        conversation_id: conversation.to_owned(),
        account_id: account.to_owned(),
        contact_id: contact.to_owned(),
        position,
        recorded_at: t(10_000 + position),
        occurred_at: event.occurred_at(),
        event,
    }
}

fn inbound(raw: serde_json::Value) -> ConversationEvent {
    ConversationEvent::MessageReceived(InboundMessage::parse(&raw).unwrap())
}

fn text(wamid: &str, body: &str, at: i64) -> ConversationEvent {
    inbound(
        json!({"from": "447700900001", "id": wamid, "timestamp": (1_700_000_000 + at).to_string(),
                   "type": "text", "text": {"body": body}}),
    )
}

/// Messages sent through the inbox: the i-th gets the wamid `wamid.{i + 3}` when Meta accepts it.
fn outbound_id(i: usize) -> uuid::Uuid {
    uuid::Uuid::from_u128(0xa000 + i as u128)
}

fn queued(i: usize, at: i64) -> ConversationEvent {
    ConversationEvent::MessageQueued(MessageQueued {
        message_id: outbound_id(i),
        at: t(at),
        message: OutboundMessage {
            to: "447700900001".into(),
            group: false,
            reply_to: None,
            content: OutboundContent::Text(TextMessage {
                body: format!("reply {i}"),
                preview_url: false,
            }),
            callback_data: None,
            template_text: None,
        },
        by: None,
    })
}

fn sent(i: usize, at: i64) -> ConversationEvent {
    ConversationEvent::MessageSent(MessageSent {
        message_id: outbound_id(i),
        attempt: 1,
        at: t(at),
        wamid: format!("wamid.{}", i + 3),
        wa_id: None,
    })
}

fn fold(events: &[InboxEvent]) -> InboxView {
    let mut view = InboxView::default();
    for e in events {
        apply(&mut view, e);
    }
    view
}

use actors::event::DomainEvent;

#[test]
fn statuses_that_arrive_before_their_message_apply_once_it_is_known() {
    let c = CONVERSATIONS[0];
    let status = |s: &str, at: i64| {
        ConversationEvent::MessageStatusChanged(
            StatusReport::parse(&json!({"id": "wamid.out", "status": s, "timestamp": (1_700_000_000 + at).to_string()}))
                .unwrap(),
        )
    };
    let echo = ConversationEvent::MessageEchoed(
        EchoedMessage::parse(&json!({"to": "447700900001", "id": "wamid.out", "timestamp": "1700000001", "type": "text", "text": {"body": "ok"}}))
            .unwrap(),
    );
    let view = fold(&[
        event(1, c, status("read", 30)),
        event(2, c, status("delivered", 20)),
        event(3, c, echo),
    ]);
    let m = &view.messages[&(c.to_owned(), "wamid.out".to_owned())];
    assert!(m.present);
    assert_eq!(m.status, Some(MessageStatus::Read));
    assert_eq!(m.body.as_deref(), Some("ok"));
    assert_eq!(m.statuses.keys().collect::<Vec<_>>(), ["delivered", "read"]);
    let conversation = &view.conversations[c];
    assert_eq!(
        (conversation.message_count, conversation.unread_count),
        (1, 0)
    );
}

#[test]
fn an_edit_that_arrives_before_its_original_stays_the_current_text() {
    let c = CONVERSATIONS[0];
    let edit = inbound(
        json!({"from": "447700900001", "id": "wamid.e", "timestamp": "1700000050", "type": "edit",
        "edit": {"original_message_id": "wamid.1", "message": {"type": "text", "text": {"body": "new"}}}}),
    );
    let view = fold(&[event(1, c, edit), event(2, c, text("wamid.1", "old", 10))]);
    let m = &view.messages[&(c.to_owned(), "wamid.1".to_owned())];
    assert_eq!(m.body.as_deref(), Some("new"));
    assert_eq!(*m.edits, vec![json!("old")]);
    assert_eq!(
        view.conversations[c].last_message_preview.as_deref(),
        Some("new")
    );
}

#[test]
fn a_voice_note_shows_the_words_the_model_heard() {
    let c = CONVERSATIONS[0];
    let note = inbound(
        json!({"from": "447700900001", "id": "wamid.v", "timestamp": "1700000010", "type": "audio",
        "audio": {"id": "m1", "mime_type": "audio/ogg", "voice": true}}),
    );
    let heard = ConversationEvent::MessageTranscribed(actors::bot::events::MessageTranscribed {
        message_id: "wamid.v".into(),
        text: "Do you ship to Lisbon?".into(),
        model: "gemini:test".into(),
        at: t(20),
        written_at: Some(t(10)),
    });
    let view = fold(&[event(1, c, note), event(2, c, heard)]);
    let m = &view.messages[&(c.to_owned(), "wamid.v".to_owned())];
    let transcript = m.transcript.as_ref().expect("a transcript");
    assert_eq!(
        (
            transcript.text.as_str(),
            transcript.model.as_str(),
            transcript.at
        ),
        ("Do you ship to Lisbon?", "gemini:test", t(20))
    );
    assert_eq!(m.kind.as_deref(), Some("audio"));
}

#[test]
fn a_newer_reaction_replaces_the_older_and_an_empty_one_removes_it() {
    let c = CONVERSATIONS[0];
    let react = |id: &str, emoji: &str, at: i64| {
        inbound(
            json!({"from": "447700900001", "id": id, "timestamp": (1_700_000_000 + at).to_string(),
                       "type": "reaction", "reaction": {"message_id": "wamid.1", "emoji": emoji}}),
        )
    };
    let view = fold(&[
        event(1, c, text("wamid.1", "hi", 1)),
        event(2, c, react("r2", "❤️", 20)),
        event(3, c, react("r1", "👍", 10)),
    ]);
    let m = &view.messages[&(c.to_owned(), "wamid.1".to_owned())];
    assert_eq!(
        m.reactions
            .iter()
            .map(|r| r.emoji.as_str())
            .collect::<Vec<_>>(),
        ["❤️"]
    );
    let view = fold(&[
        event(1, c, text("wamid.1", "hi", 1)),
        event(2, c, react("r2", "❤️", 20)),
        event(3, c, react("r3", "", 30)),
    ]);
    assert!(view.messages[&(c.to_owned(), "wamid.1".to_owned())]
        .reactions
        .is_empty());
}

#[test]
fn reading_clears_unread_and_a_new_message_unarchives() {
    let c = CONVERSATIONS[0];
    let setting = |value| SettingChanged {
        command_id: uuid::Uuid::nil(),
        at: t(100),
        value,
        reason: None,
    };
    let view = fold(&[
        event(1, c, text("wamid.1", "a", 1)),
        event(2, c, text("wamid.2", "b", 2)),
        event(
            3,
            c,
            ConversationEvent::ReadMarked(ReadMarked {
                command_id: uuid::Uuid::nil(),
                at: t(50),
                through: None,
            }),
        ),
        event(4, c, ConversationEvent::ArchivedSet(setting(true))),
    ]);
    let row = &view.conversations[c];
    assert_eq!(
        (row.unread_count, row.archived, row.read_at),
        (0, true, Some(t(50)))
    );
    let mut view = view;
    apply(&mut view, &event(5, c, text("wamid.3", "c", 200)));
    let row = &view.conversations[c];
    assert_eq!((row.unread_count, row.archived), (1, false));
}

#[test]
fn a_message_sent_through_the_inbox_shows_its_sending_then_metas_statuses() {
    let c = CONVERSATIONS[0];
    let id = outbound_id(0).to_string();
    let status = |s: &str, at: i64| {
        ConversationEvent::MessageStatusChanged(
            StatusReport::parse(&json!({"id": "wamid.3", "status": s, "timestamp": (1_700_000_000 + at).to_string()}))
                .unwrap(),
        )
    };
    let mut view = fold(&[
        event(1, c, text("wamid.1", "hello?", 1)),
        event(2, c, queued(0, 5)),
    ]);
    let row = &view.messages[&(c.to_owned(), id.clone())];
    assert_eq!(
        (row.status, row.body.as_deref(), row.direction.as_deref()),
        (
            Some(MessageStatus::Queued),
            Some("reply 0"),
            Some("outbound")
        )
    );
    assert_eq!(
        view.conversations[c].last_message_preview.as_deref(),
        Some("reply 0")
    );

    // Meta's webhook for the wamid can beat the sender's own record of the wamid.
    apply(&mut view, &event(3, c, status("delivered", 7)));
    assert!(!view.messages[&(c.to_owned(), "wamid.3".to_owned())].present);
    apply(&mut view, &event(4, c, sent(0, 6)));
    apply(&mut view, &event(5, c, status("sent", 6)));
    assert!(
        !view
            .messages
            .contains_key(&(c.to_owned(), "wamid.3".to_owned())),
        "the early row is merged away"
    );
    let row = &view.messages[&(c.to_owned(), id.clone())];
    assert_eq!(row.wamid.as_deref(), Some("wamid.3"));
    assert_eq!(row.send_state, Some(SendState::Accepted));
    assert_eq!(row.status, Some(MessageStatus::Delivered));
    assert_eq!(
        row.statuses.keys().collect::<Vec<_>>(),
        ["delivered", "sent"]
    );

    // A customer's reaction names the wamid too.
    apply(
        &mut view,
        &event(
            6,
            c,
            inbound(
                json!({"from": "447700900001", "id": "r1", "timestamp": "1700000009",
        "type": "reaction", "reaction": {"message_id": "wamid.3", "emoji": "👍"}}),
            ),
        ),
    );
    assert_eq!(view.messages[&(c.to_owned(), id)].reactions.len(), 1);
}

/// A template shows the text the customer reads when it was known at queueing, else its name,
/// language and parameters; never a bare name in brackets.
#[test]
fn a_template_shows_its_text_or_else_what_it_is() {
    let c = CONVERSATIONS[0];
    let template = |i: usize, text: Option<&str>| {
        let ConversationEvent::MessageQueued(mut q) = queued(i, 5 + i as i64) else {
            unreachable!("queued is a MessageQueued")
        };
        q.message.content = OutboundContent::Template(
            serde_json::from_value(json!({"name": "order_update", "language": "en_US",
                "components": [{"type": "body", "parameters": [{"type": "text", "text": "Ann"}]}]}))
            .unwrap(),
        );
        q.message.template_text = text.map(str::to_owned);
        ConversationEvent::MessageQueued(q)
    };
    let view = fold(&[event(
        1,
        c,
        template(0, Some("Hello Ann, your order ships today.")),
    )]);
    let row = &view.messages[&(c.to_owned(), outbound_id(0).to_string())];
    assert_eq!(
        (row.kind.as_deref(), row.body.as_deref()),
        (Some("template"), Some("Hello Ann, your order ships today."))
    );
    assert_eq!(
        view.conversations[c].last_message_preview.as_deref(),
        Some("Hello Ann, your order ships today.")
    );

    let view = fold(&[event(1, c, template(1, None))]);
    let row = &view.messages[&(c.to_owned(), outbound_id(1).to_string())];
    assert_eq!(
        row.body.as_deref(),
        Some("Template order_update (en_US): Ann")
    );
    assert_eq!(
        view.conversations[c].last_message_preview.as_deref(),
        Some("Template order_update (en_US): Ann")
    );
}

#[test]
fn a_failed_send_shows_the_error_and_what_to_do() {
    let c = CONVERSATIONS[0];
    let error = CallError::Api(Box::new(actors::graph::GraphError::from_response(
        400,
        br#"{"error":{"code":131047,"message":"Re-engagement message","type":"OAuthException"}}"#,
    )));
    let view = fold(&[
        event(1, c, queued(0, 5)),
        event(
            2,
            c,
            ConversationEvent::SendFailed(SendFailed {
                message_id: outbound_id(0),
                attempt: 1,
                at: t(6),
                error,
                remedy: Some("send a template".into()),
            }),
        ),
    ]);
    let row = &view.messages[&(c.to_owned(), outbound_id(0).to_string())];
    assert_eq!(row.status, Some(MessageStatus::Failed));
    let failure = row.failure.as_ref().unwrap();
    assert_eq!(failure.pointer("/code"), Some(&json!(131047)));
    assert_eq!(failure.pointer("/remedy"), Some(&json!("send a template")));
}

fn status_changed(status: ConversationStatus, at: i64) -> ConversationEvent {
    ConversationEvent::StatusChanged(StatusChanged {
        command_id: uuid::Uuid::nil(),
        at: t(at),
        status,
        snoozed_until: (status == ConversationStatus::Snoozed).then(|| t(at + 3_600)),
        by: Some("ann".into()),
        reason: None,
        open_secs: None,
    })
}

fn assigned(agent: Option<&str>, auto: bool, at: i64) -> ConversationEvent {
    ConversationEvent::Assigned(Assigned {
        command_id: uuid::Uuid::nil(),
        at: t(at),
        agent: agent.map(str::to_owned),
        team: Some("sales".into()),
        by: None,
        reason: auto.then(|| "round_robin".to_owned()),
    })
}

fn note(i: u128, at: i64) -> ConversationEvent {
    ConversationEvent::NoteAdded(NoteAdded {
        note_id: uuid::Uuid::from_u128(0xbeef + i),
        at: t(at),
        by: Some("ann".into()),
        text: format!("note {i}"),
        mentions: vec!["bob".into()],
    })
}

#[test]
fn team_work_shows_on_the_conversation_and_a_note_in_the_timeline_only() {
    let c = CONVERSATIONS[0];
    let view = fold(&[
        event(1, c, text("wamid.1", "Daytona?", 10)),
        event(2, c, assigned(Some("bob"), true, 20)),
        event(
            3,
            c,
            ConversationEvent::LabelSet(LabelSet {
                command_id: uuid::Uuid::nil(),
                at: t(30),
                label: "vip".into(),
                applied: true,
                by: None,
            }),
        ),
        event(
            4,
            c,
            ConversationEvent::LabelSet(LabelSet {
                command_id: uuid::Uuid::nil(),
                at: t(31),
                label: "late".into(),
                applied: true,
                by: None,
            }),
        ),
        event(
            5,
            c,
            ConversationEvent::LabelSet(LabelSet {
                command_id: uuid::Uuid::nil(),
                at: t(32),
                label: "vip".into(),
                applied: false,
                by: None,
            }),
        ),
        event(6, c, note(1, 40)),
        event(7, c, status_changed(ConversationStatus::Snoozed, 50)),
    ]);
    let row = &view.conversations[c];
    assert_eq!(
        (
            row.assignee.as_deref(),
            row.team_id.as_deref(),
            row.auto_assigned
        ),
        (Some("bob"), Some("sales"), true)
    );
    assert_eq!(row.labels, ["late"]);
    assert_eq!(
        (row.status, row.status_at, row.snoozed_until),
        (ConversationStatus::Snoozed, Some(t(50)), Some(t(3_650)))
    );
    // The note is in the timeline, but the customer's message stays the last one, and nothing is unread
    // or counted because of it.
    assert_eq!(
        (
            row.last_message_preview.as_deref(),
            row.unread_count,
            row.message_count
        ),
        (Some("Daytona?"), 1, 1)
    );
    let note = &view.messages[&(c.to_owned(), uuid::Uuid::from_u128(0xbeef + 1).to_string())];
    assert_eq!(
        (
            note.direction.as_deref(),
            note.body.as_deref(),
            note.sender.as_deref(),
            note.send_state
        ),
        (Some("note"), Some("note 1"), Some("ann"), None)
    );
    assert_eq!(note.content, Some(json!({"mentions": ["bob"]})));
}

fn arbitrary_event() -> impl Strategy<Value = (usize, ConversationEvent)> {
    let wamid = (0..5usize).prop_map(|i| format!("wamid.{i}"));
    let at = 0..500i64;
    let kind = prop_oneof![
        (wamid.clone(), at.clone()).prop_map(|(w, a)| text(&w, &format!("text {a}"), a)),
        (wamid.clone(), at.clone(), prop_oneof![Just(""), Just("👍"), Just("😂")]).prop_map(|(w, a, e)| inbound(json!({
            "from": "447700900001", "id": format!("r{a}"), "timestamp": (1_700_000_000 + a).to_string(),
            "type": "reaction", "reaction": {"message_id": w, "emoji": e}}))),
        (wamid.clone(), at.clone()).prop_map(|(w, a)| inbound(json!({
            "from": "447700900001", "id": format!("e{a}"), "timestamp": (1_700_000_000 + a).to_string(), "type": "edit",
            "edit": {"original_message_id": w, "message": {"type": "text", "text": {"body": format!("edit {a}")}}}}))),
        (wamid.clone(), at.clone()).prop_map(|(w, a)| inbound(json!({
            "from": "447700900001", "id": format!("v{a}"), "timestamp": (1_700_000_000 + a).to_string(), "type": "revoke",
            "revoke": {"original_message_id": w}}))),
        (wamid.clone(), at.clone()).prop_map(|(w, a)| ConversationEvent::MessageEchoed(EchoedMessage::parse(&json!({
            "to": "447700900001", "id": w, "timestamp": (1_700_000_000 + a).to_string(), "type": "image",
            "image": {"id": "media-1", "mime_type": "image/jpeg", "caption": "look"}})).unwrap())),
        (wamid, at.clone(), prop_oneof![Just("sent"), Just("delivered"), Just("read"), Just("failed")]).prop_map(|(w, a, s)| {
            ConversationEvent::MessageStatusChanged(StatusReport::parse(&json!({"id": w, "status": s,
                "timestamp": (1_700_000_000 + a).to_string(), "errors": [{"code": 131026}]})).unwrap())
        }),
        prop_oneof![Just("Alice"), Just("Bob")].prop_map(|n| ConversationEvent::ContactProfileSeen(ContactProfile {
            wa_id: Some("447700900001".into()), name: Some(n.into()), ..ContactProfile::default() })),
        at.clone().prop_map(|a| ConversationEvent::ReadMarked(ReadMarked { command_id: uuid::Uuid::nil(), at: t(a), through: None })),
        (0..2usize, at.clone()).prop_map(|(i, a)| queued(i, a)),
        (0..2usize, at.clone()).prop_map(|(i, a)| sent(i, a)),
        (0..2usize, at.clone()).prop_map(|(i, a)| ConversationEvent::AttemptFailed(AttemptFailed {
            message_id: outbound_id(i), attempt: 1, at: t(a), retry_at: t(a + 5),
            error: CallError::Timeout { seconds: 30 } })),
        (0..2usize, at.clone()).prop_map(|(i, a)| ConversationEvent::SendFailed(SendFailed {
            message_id: outbound_id(i), attempt: 2, at: t(a), remedy: None,
            error: CallError::Transport { message: "refused".into() } })),
        (any::<bool>(), at.clone()).prop_map(|(v, a)| ConversationEvent::FavouriteSet(SettingChanged { command_id: uuid::Uuid::nil(), at: t(a), value: v, reason: None })),
        (any::<bool>(), at.clone()).prop_map(|(v, a)| ConversationEvent::ArchivedSet(SettingChanged { command_id: uuid::Uuid::nil(), at: t(a), value: v, reason: None })),
        (0..4usize, at.clone()).prop_map(|(i, a)| status_changed(ConversationStatus::ALL[i], a)),
        (prop_oneof![Just(None), Just(Some("ann")), Just(Some("bob"))], any::<bool>(), at.clone())
            .prop_map(|(agent, auto, a)| assigned(agent, auto, a)),
        (prop_oneof![Just("vip"), Just("late")], any::<bool>(), at.clone()).prop_map(|(l, on, a)| ConversationEvent::LabelSet(LabelSet {
            command_id: uuid::Uuid::nil(), at: t(a), label: l.into(), applied: on, by: None })),
        (0..3u128, at).prop_map(|(i, a)| note(i, a)),
    ];
    (0..CONVERSATIONS.len(), kind)
}

/// Round-trips rows the way the database does (through JSON), as the live projection does between batches.
fn stored(view: &InboxView) -> InboxView {
    let conversations: Vec<ConversationRow> = serde_json::from_value(
        serde_json::to_value(view.conversations.values().collect::<Vec<_>>()).unwrap(),
    )
    .unwrap();
    let messages: Vec<MessageRow> = serde_json::from_value(
        serde_json::to_value(view.messages.values().collect::<Vec<_>>()).unwrap(),
    )
    .unwrap();
    let mut stored = InboxView {
        conversations: conversations
            .into_iter()
            .map(|c| (c.conversation_id.clone(), c))
            .collect(),
        messages: messages
            .into_iter()
            .map(|m| ((m.conversation_id.clone(), m.message_id.clone()), m))
            .collect(),
        aliases: Default::default(),
    };
    stored.index_wamids();
    stored
}

proptest! {
    /// However the log is cut into batches, and with the rows stored and reloaded between batches, the view
    /// ends the same as one pass over the whole log (which is what a rebuild does).
    #[test]
    fn batching_and_storing_between_batches_never_changes_the_view(
        events in proptest::collection::vec(arbitrary_event(), 1..60),
        cuts in proptest::collection::vec(1..10usize, 1..20),
    ) {
        let events: Vec<InboxEvent> = events
            .into_iter()
            .enumerate()
            .map(|(i, (c, e))| event(i as i64 + 1, CONVERSATIONS[c], e))
            .collect();
        let rebuilt = fold(&events);

        let mut live = InboxView::default();
        let mut rest = &events[..];
        for cut in cuts.iter().cycle() {
            if rest.is_empty() { break; }
            let (batch, tail) = rest.split_at((*cut).min(rest.len()));
            for e in batch { apply(&mut live, e); }
            live = stored(&live);
            rest = tail;
        }
        prop_assert_eq!(stored(&rebuilt), live);
    }
}
