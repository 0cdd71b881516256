//! Events of the log as the projections of a node share them: each decoded into its typed form at most
//! once, by the first projection that reads it, and found by the others.
//!
//! The node's [`crate::feed::Feed`] reads each page of the log once and hands the same page to every runner.
//! Each projection used to decode every event it folds again from its JSON tree (a `message.received` five
//! times: inbox, contacts, search, bot, reports). A [`TypedEvent`] carries the stored event with a slot for
//! each typed form, filled on first use ([`OnceLock`]), so the page's events are decoded once per node
//! whichever projections read them, in whatever order and on whatever thread.
//!
//! Decoding stays lazy and each projection still asks only for the events it folds: an event no
//! projection needs is never decoded, and one that does not decode fails (and is set aside by) exactly
//! the projections that ask for it, with the same [`DecodeError`] as before; the others go on.

use crate::inbox::view::InboxEvent;
use actors::account::events::AccountEvent;
use actors::event::{DecodeError, DomainEvent, RecordedEvent};
use std::sync::{Arc, OnceLock};

/// A stored event and its typed forms, decoded at most once (cloning shares them).
#[derive(Clone)]
pub struct TypedEvent(Arc<Shared>);

struct Shared {
    recorded: RecordedEvent,
    /// [`InboxEvent::decode`] of the event (what every view of conversations folds).
    conversation: OnceLock<Result<Option<Arc<InboxEvent>>, Arc<DecodeError>>>,
    /// [`AccountEvent::from_recorded`] of the event (the accounts, bot and reports views).
    account: OnceLock<Result<Arc<AccountEvent>, Arc<DecodeError>>>,
}

impl TypedEvent {
    /// Wraps a stored event; nothing is decoded yet.
    pub fn new(recorded: RecordedEvent) -> TypedEvent {
        TypedEvent(Arc::new(Shared {
            recorded,
            conversation: OnceLock::new(),
            account: OnceLock::new(),
        }))
    }

    /// The event as stored.
    pub fn recorded(&self) -> &RecordedEvent {
        &self.0.recorded
    }

    /// The event as the views of conversations fold it, with [`InboxEvent::decode`]'s answer: `None` for
    /// events of other streams and of types this version does not know, a [`DecodeError`] for a known type
    /// that does not decode. Decoded on the first call, for every holder of the event.
    pub fn conversation(&self) -> Result<Option<&Arc<InboxEvent>>, DecodeError> {
        let decoded = self.0.conversation.get_or_init(|| {
            InboxEvent::decode(&self.0.recorded)
                .map(|e| e.map(Arc::new))
                .map_err(Arc::new)
        });
        match decoded {
            Ok(event) => Ok(event.as_ref()),
            Err(e) => Err(DecodeError::clone(e)),
        }
    }

    /// The event as an account's fact, with [`AccountEvent::from_recorded`]'s answer (an error for a type
    /// that is not an account's). Decoded on the first call, for every holder of the event.
    pub fn account(&self) -> Result<&AccountEvent, DecodeError> {
        let decoded = self.0.account.get_or_init(|| {
            AccountEvent::from_recorded(&self.0.recorded)
                .map(Arc::new)
                .map_err(Arc::new)
        });
        match decoded {
            Ok(event) => Ok(event.as_ref()),
            Err(e) => Err(DecodeError::clone(e)),
        }
    }

    /// Whether two values are the same event of the log, sharing its typed forms (not merely equal).
    pub fn shares_with(&self, other: &TypedEvent) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl std::ops::Deref for TypedEvent {
    type Target = RecordedEvent;

    fn deref(&self) -> &RecordedEvent {
        &self.0.recorded
    }
}

impl From<RecordedEvent> for TypedEvent {
    fn from(recorded: RecordedEvent) -> TypedEvent {
        TypedEvent::new(recorded)
    }
}

impl std::fmt::Debug for TypedEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.recorded.fmt(f)
    }
}

/// Wraps events read from the store.
pub fn typed(events: Vec<RecordedEvent>) -> Vec<TypedEvent> {
    events.into_iter().map(TypedEvent::new).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use actors::conversation::events::ConversationEvent;
    use actors::event::{EventMetadata, StreamId};
    use serde_json::json;

    fn event(event_type: &str, payload: serde_json::Value) -> RecordedEvent {
        RecordedEvent {
            id: uuid::Uuid::new_v4(),
            stream_id: StreamId::conversation("1122", "447700900001"),
            stream_version: 1,
            global_position: 7,
            event_type: event_type.into(),
            schema_version: 1,
            payload: payload.into(),
            metadata: EventMetadata::system("test"),
            occurred_at: None,
            recorded_at: chrono::Utc::now(),
        }
    }

    fn message() -> RecordedEvent {
        event(
            "message.received",
            json!({
                "wamid": "wamid.1", "from": "447700900001", "timestamp": "2023-11-14T22:13:20Z",
                "kind": "text", "content": {"content_type": "text", "body": "hello"},
                "context": {"forwarded": false, "frequently_forwarded": false}, "errors": [], "raw": {}
            }),
        )
    }

    #[test]
    fn every_holder_of_an_event_reads_the_one_typed_form_decoded_by_the_first() {
        let event = TypedEvent::new(message());
        let holders: Vec<TypedEvent> = (0..8).map(|_| event.clone()).collect();
        // Read from several threads at once, as runners do.
        let read: Vec<usize> = std::thread::scope(|s| {
            let handles: Vec<_> = holders
                .iter()
                .map(|h| {
                    s.spawn(move || {
                        let typed = h.conversation().unwrap().expect("a conversation event");
                        Arc::as_ptr(typed) as usize
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let first = Arc::as_ptr(event.conversation().unwrap().unwrap()) as usize;
        assert!(read.iter().all(|p| *p == first), "{read:?} vs {first}");
        assert_eq!(
            event.conversation().unwrap().unwrap().as_ref().event,
            ConversationEvent::from_recorded(&message()).unwrap()
        );
        assert!(holders.iter().all(|h| h.shares_with(&event)));
        assert!(!TypedEvent::new(message()).shares_with(&event));
    }

    #[test]
    fn an_event_that_does_not_decode_gives_every_reader_the_same_error_as_decoding_it_alone() {
        let poison = event("message.received", json!({"wamid": ["not", "a", "string"]}));
        let alone = InboxEvent::decode(&poison).unwrap_err();
        let shared = TypedEvent::new(poison);
        for _ in 0..3 {
            let e = shared.conversation().unwrap_err();
            assert_eq!(e.to_string(), alone.to_string());
            assert_eq!(e.global_position, 7);
            assert_eq!(e.event_id, Some(shared.id));
        }
        // Not an account's fact either: that form is its own, and fails on its own.
        assert!(shared.account().is_err());
    }

    #[test]
    fn events_of_other_streams_or_unknown_types_have_no_conversation_form() {
        let mut other = message();
        other.stream_id = StreamId::new("identity");
        assert!(TypedEvent::new(other).conversation().unwrap().is_none());
        let newer = event("message.teleported", json!({}));
        assert!(TypedEvent::new(newer).conversation().unwrap().is_none());
    }
}
