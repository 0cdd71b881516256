//! The search projection: one document per message that has words, with its facets, for
//! `GET /api/v1/search`. Its vectors are not part of it: the embedding worker fills the content-addressed
//! cache `search_vectors` beside it, so a rebuild of this view needs no model call.

pub mod fuse;
pub mod queries;
pub mod snippet;
pub mod view;

use crate::projection::Projection;
use crate::rows::{self, Table};
use crate::typed::TypedEvent;
use actors::conversation::events::ConversationEvent;
use async_trait::async_trait;
use serde_json::json;
use sqlx::PgConnection;
use view::{SearchDocument, DOCUMENTS};

pub struct SearchProjection;

impl SearchProjection {
    pub const NAME: &'static str = "search";
}

#[async_trait]
impl Projection for SearchProjection {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn tables(&self) -> &'static [Table] {
        &[DOCUMENTS]
    }

    async fn apply(&self, conn: &mut PgConnection, events: &[TypedEvent]) -> anyhow::Result<()> {
        // Only the events that carry words or readings are decoded; statuses, reads and sends are told
        // apart by their type and skipped unparsed.
        let mut decoded = Vec::new();
        for event in events {
            if matches!(
                event.event_type.as_str(),
                ConversationEvent::MESSAGE_RECEIVED
                    | ConversationEvent::MESSAGE_ECHOED
                    | ConversationEvent::MESSAGE_QUEUED
                    | ConversationEvent::WATCH_DETECTED
                    | ConversationEvent::MESSAGE_TRANSCRIBED
                    | ConversationEvent::NOTE_ADDED
            ) {
                decoded.extend(event.conversation()?.map(|e| &**e));
            }
        }
        let keys: Vec<(String, String)> = decoded
            .iter()
            .filter_map(|e| Some((e.conversation_id.clone(), view::touched(e)?)))
            .collect();
        if keys.is_empty() {
            return Ok(());
        }
        let (conversations, messages): (Vec<String>, Vec<String>) = keys.into_iter().unzip();
        let before = queries::documents(&mut *conn, &conversations, &messages).await?;
        let mut view = before.clone();
        for e in &decoded {
            view::apply(&mut view, e);
        }
        let mut changed: Vec<&SearchDocument> = Vec::new();
        let mut gone = Vec::new();
        for (key, doc) in &view {
            let was = before.get(key).and_then(Option::as_ref);
            match doc {
                Some(doc) if was != Some(doc) => changed.push(doc),
                None if was.is_some() => {
                    gone.push(json!({ "conversation_id": key.0, "message_id": key.1 }))
                }
                _ => {}
            }
        }
        rows::delete(conn, DOCUMENTS, &gone).await?;
        rows::save(conn, DOCUMENTS, &changed).await
    }
}
