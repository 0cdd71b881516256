//! `GET /api/v1/stream`: conversation and message changes as Server-Sent Events.
//!
//! A change is sent only once the inbox projection has applied it (this node learns that from the
//! checkpoint notifications, whichever node applied it), so a client that reads the API on receipt sees
//! it. Each event's id is its global position: reconnecting with `Last-Event-ID` resumes right after the
//! last event received, without gaps or repeats.

use super::auth::{ApiAuth, Caller, Permission};
use super::error::ApiError;
use super::Tag;
use crate::http::AppState;
use actors::conversation::events::ConversationEvent;
use actors::event::{DomainEvent, RecordedEvent};
use actors::store::EventStore;
use futures::stream::{self, BoxStream, StreamExt};
use poem::web::sse::Event;
use poem::web::Data;
use poem_openapi::param::{Header, Query};
use poem_openapi::payload::EventStream;
use poem_openapi::types::ToJSON;
use poem_openapi::{Object, OpenApi};
use projections::inbox::view::{conversation_ids, InboxEvent};
use projections::inbox::InboxProjection;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

const PAGE: usize = 500;
const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// The longest an open stream goes without checking its credential again.
const RECHECK: Duration = Duration::from_secs(10);

/// One change. The SSE event name is `message` (a message changed) or `conversation` (the conversation
/// itself changed); read the named resource to see it.
#[derive(Debug, Clone, Object)]
pub struct LiveChange {
    /// The global position of the event; also the SSE id.
    pub position: u64,
    /// `message` or `conversation`.
    pub kind: String,
    /// The event's wire name (`message.received`, `message.status_changed`, `conversation.read_marked`, ...).
    pub event_type: String,
    pub conversation_id: String,
    pub account_id: String,
    /// The message that changed, for `message` changes, as the event names it: Meta's wamid for what Meta
    /// reports (a status of a message sent through the inbox names its `wamid`), the inbox's id for its
    /// own sending steps.
    pub message_id: Option<String>,
}

pub struct LiveApi;

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Live")]
impl LiveApi {
    /// Follow conversation and message changes as Server-Sent Events.
    ///
    /// Without `Last-Event-ID` the stream starts with what happens from now on.
    #[oai(path = "/stream", method = "get", operation_id = "stream")]
    async fn stream(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        #[oai(name = "Last-Event-ID")] last_event_id: Header<Option<String>>,
        /// For clients that cannot set headers: the same as `Last-Event-ID`.
        #[oai(name = "last_event_id")]
        last_event_id_query: Query<Option<u64>>,
    ) -> Result<EventStream<BoxStream<'static, LiveChange>>, ApiError> {
        let resume = match last_event_id.0.as_deref().map(str::trim) {
            Some(raw) => Some(raw.parse::<u64>().map_err(|_| {
                ApiError::bad_request(
                    "invalid_last_event_id",
                    "Last-Event-ID must be an event id this stream sent",
                )
            })?),
            None => last_event_id_query.0,
        };
        let checkpoint = state
            .checkpoints
            .watch(InboxProjection::NAME)
            .ok_or_else(|| ApiError::unavailable("the inbox projection is not followed"))?;
        let start = resume.unwrap_or_else(|| *checkpoint.borrow());
        // Each change is checked against the rules as they stand when it is sent; the stream ends as soon
        // as the caller's credential no longer stands.
        let credential = Arc::new(Credential {
            state: state.0.clone(),
            checked: tokio::sync::Mutex::new(Checked {
                caller,
                version: None,
                ended: false,
            }),
        });
        let viewer = credential.clone();
        let visible = move |change: LiveChange| {
            let viewer = viewer.clone();
            async move { viewer.may_see(&change).await.then_some(change) }
        };
        let changes = follow(state.store.clone(), checkpoint, start)
            .filter_map(visible)
            .take_until(state.stopping.clone().cancelled_owned())
            .take_until(credential.ended())
            .boxed();
        Ok(EventStream::new(changes)
            .keep_alive(KEEP_ALIVE)
            .to_event(|change| {
                Event::message(change.to_json_string())
                    .id(change.position.to_string())
                    .event_type(change.kind.clone())
            }))
    }
}

/// The credential a stream was opened with. It is checked again exactly as a new request with it would
/// be (session or token, user, the route's permission) whenever it may have changed: when the rules move
/// or this node ends sessions (sign-out, a password change, a user disabled), when it expires, and at
/// least every [`RECHECK`] for what another node ended. A change is sent only once any such check is
/// done, so nothing reaches a client after its sign-out. A database that cannot answer ends nothing.
struct Credential {
    state: Arc<AppState>,
    checked: tokio::sync::Mutex<Checked>,
}

struct Checked {
    caller: Caller,
    /// The access version the caller was last checked at (`None`: not yet, or a check is due).
    version: Option<(u64, u64)>,
    ended: bool,
}

impl Credential {
    /// The caller as of now, checking the credential again first if anything changed since it was last
    /// checked; `None` once it no longer stands.
    async fn caller(&self) -> Option<Caller> {
        let mut checked = self.checked.lock().await;
        if checked.ended {
            return None;
        }
        let version = self.state.access.version();
        let expired = checked
            .caller
            .valid_until
            .is_some_and(|until| until <= chrono::Utc::now());
        if checked.version == Some(version) && !expired {
            return Some(checked.caller.clone());
        }
        match checked.caller.recheck(&self.state).await {
            Ok(now) => {
                checked.caller = now;
                checked.version = Some(version);
            }
            Err(ApiError::Unavailable(..)) => {
                tracing::warn!("live stream cannot check its credential now; it will again");
            }
            Err(refused) => {
                tracing::info!(
                    user = %checked.caller.user_id,
                    reason = refused.code(),
                    "live stream ends: its credential no longer stands"
                );
                checked.ended = true;
                return None;
            }
        }
        Some(checked.caller.clone())
    }

    async fn may_see(&self, change: &LiveChange) -> bool {
        let needed = match change.kind.as_str() {
            "message" => Permission::MessagesView,
            _ => Permission::ConversationsView,
        };
        self.caller()
            .await
            .is_some_and(|caller| caller.may(needed, Some(&change.account_id)))
    }

    /// Resolves once the credential no longer stands.
    async fn ended(self: Arc<Self>) {
        let mut changes = self.state.access.changes();
        loop {
            let Some(caller) = self.caller().await else {
                return;
            };
            let mut wait = RECHECK;
            if let Some(until) = caller.valid_until {
                let left = (until - chrono::Utc::now()).to_std().unwrap_or_default();
                wait = wait.min(left + Duration::from_millis(10));
            }
            tokio::select! {
                _ = changes.changed() => {}
                _ = tokio::time::sleep(wait) => self.checked.lock().await.version = None,
            }
        }
    }
}

/// Counts open streams in `inbox_live_streams` for as long as it lives.
struct OpenStream;

impl OpenStream {
    fn new() -> Self {
        metrics::gauge!("inbox_live_streams").increment(1.0);
        OpenStream
    }
}

impl Drop for OpenStream {
    fn drop(&mut self) {
        metrics::gauge!("inbox_live_streams").decrement(1.0);
    }
}

struct Follow {
    _open: OpenStream,
    store: Arc<dyn EventStore>,
    checkpoint: watch::Receiver<u64>,
    position: u64,
    ready: VecDeque<LiveChange>,
}

/// The changes after `position`, each released once the projection has passed it.
fn follow(
    store: Arc<dyn EventStore>,
    checkpoint: watch::Receiver<u64>,
    position: u64,
) -> BoxStream<'static, LiveChange> {
    let state = Follow {
        _open: OpenStream::new(),
        store,
        checkpoint,
        position,
        ready: VecDeque::new(),
    };
    stream::unfold(state, |mut s| async move {
        loop {
            if let Some(change) = s.ready.pop_front() {
                return Some((change, s));
            }
            let applied = *s.checkpoint.borrow_and_update();
            if applied <= s.position {
                // Wait for the projection to move; the sender lives as long as the server.
                s.checkpoint.changed().await.ok()?;
                continue;
            }
            match s.store.read_all(s.position, PAGE).await {
                Ok(events) => {
                    let full = events.len() == PAGE;
                    let mut beyond = false;
                    for event in &events {
                        if event.global_position > applied {
                            beyond = true;
                            break;
                        }
                        s.position = event.global_position;
                        s.ready.extend(change_of(event));
                    }
                    // Everything up to the checkpoint has been read (positions below it that were not
                    // returned are rollback holes).
                    if beyond || !full {
                        s.position = s.position.max(applied);
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %format!("{:#}", e.0), "live stream cannot read events; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    })
    .boxed()
}

fn change_of(event: &RecordedEvent) -> Option<LiveChange> {
    let (conversation_id, account_id, _) = conversation_ids(event.stream_id.as_str())?;
    // A watch reading changes no message or conversation field: named by its type, its payload (the
    // extractor's whole result) is not parsed again for every open stream.
    if event.event_type == ConversationEvent::WATCH_DETECTED {
        return Some(LiveChange {
            position: event.global_position,
            kind: "conversation".to_owned(),
            event_type: event.event_type.clone(),
            conversation_id: conversation_id.to_owned(),
            account_id: account_id.to_owned(),
            message_id: None,
        });
    }
    let decoded = InboxEvent::decode(event).ok().flatten();
    let message_id = decoded
        .as_ref()
        .and_then(|d| d.message_ids().into_iter().next());
    let is_message = decoded.as_ref().is_some_and(|d| {
        matches!(
            d.event,
            ConversationEvent::MessageReceived(_)
                | ConversationEvent::MessageEchoed(_)
                | ConversationEvent::MessageStatusChanged(_)
                | ConversationEvent::MessageQueued(_)
                | ConversationEvent::SendAttempted(_)
                | ConversationEvent::AttemptFailed(_)
                | ConversationEvent::MessageSent(_)
                | ConversationEvent::SendFailed(_)
                | ConversationEvent::MediaStored(_)
                | ConversationEvent::MediaFailed(_)
                | ConversationEvent::NoteAdded(_)
        )
    });
    Some(LiveChange {
        position: event.global_position,
        kind: if is_message {
            "message"
        } else {
            "conversation"
        }
        .to_owned(),
        event_type: decoded
            .map(|d| d.event.event_type().to_owned())
            .unwrap_or_else(|| event.event_type.clone()),
        conversation_id: conversation_id.to_owned(),
        account_id: account_id.to_owned(),
        message_id: if is_message { message_id } else { None },
    })
}
