//! The workspace projection: teams, labels, canned replies and agents' availability, folded from the one
//! `workspace` stream (the rest of the log costs it nothing). The API lists them from [`queries`].

pub mod queries;
pub mod view;

use crate::projection::{Interest, Projection};
use crate::rows::{self, Table};
use crate::typed::TypedEvent;
use actors::event::{DomainEvent, StreamId};
use actors::workspace::events::WorkspaceEvent;
use async_trait::async_trait;
use serde_json::json;
use sqlx::PgConnection;
use view::{WorkspaceView, AVAILABILITY, LABELS, REPLIES, TEAMS};

pub struct WorkspaceProjection;

impl WorkspaceProjection {
    pub const NAME: &'static str = "workspace";
}

/// The rows of `items` to write, and the keys (as `{key: id}` probes) of those to delete.
fn split<'a, T>(
    items: &'a std::collections::BTreeMap<uuid::Uuid, Option<T>>,
    key: &str,
) -> (Vec<&'a T>, Vec<serde_json::Value>) {
    let saved = items.values().flatten().collect();
    let deleted = items
        .iter()
        .filter(|(_, row)| row.is_none())
        .map(|(id, _)| json!({ key: id }))
        .collect();
    (saved, deleted)
}

#[async_trait]
impl Projection for WorkspaceProjection {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn tables(&self) -> &'static [Table] {
        &[TEAMS, LABELS, REPLIES, AVAILABILITY]
    }

    /// Only the workspace stream.
    fn interest(&self) -> Interest {
        Interest::StreamPrefix("workspace")
    }

    async fn apply(&self, conn: &mut PgConnection, events: &[TypedEvent]) -> anyhow::Result<()> {
        let stream = StreamId::workspace();
        let mut view = WorkspaceView::default();
        let mut any = false;
        for event in events.iter().filter(|e| e.stream_id == stream) {
            let position = i64::try_from(event.global_position).unwrap_or(i64::MAX);
            view::apply(&mut view, position, &WorkspaceEvent::from_recorded(event)?);
            any = true;
        }
        if !any {
            return Ok(());
        }
        for (table, (saved, deleted)) in [
            (TEAMS, split_rows(&view.teams, "team_id")),
            (LABELS, split_rows(&view.labels, "label_id")),
            (REPLIES, split_rows(&view.replies, "reply_id")),
        ] {
            rows::delete(conn, table, &deleted).await?;
            rows::save(conn, table, &saved).await?;
        }
        let availability: Vec<&view::AvailabilityRow> = view.availability.values().collect();
        rows::save(conn, AVAILABILITY, &availability).await
    }
}

/// [`split`], with the rows as JSON so the three kinds go through one loop.
fn split_rows<T: serde::Serialize>(
    items: &std::collections::BTreeMap<uuid::Uuid, Option<T>>,
    key: &str,
) -> (Vec<serde_json::Value>, Vec<serde_json::Value>) {
    let (saved, deleted) = split(items, key);
    let saved = saved
        .into_iter()
        .map(|row| serde_json::to_value(row).unwrap_or_default())
        .collect();
    (saved, deleted)
}

#[cfg(test)]
mod tests {
    use super::view::*;
    use actors::workspace::events::*;
    use chrono::DateTime;
    use uuid::Uuid;

    fn at(s: i64) -> chrono::DateTime<chrono::Utc> {
        DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap()
    }

    #[test]
    fn the_last_save_wins_and_a_deletion_in_the_same_batch_removes_the_row() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let label = |id, name: &str, s| {
            WorkspaceEvent::LabelSaved(LabelSaved {
                label_id: id,
                name: name.into(),
                colour: "#000000".into(),
                at: at(s),
                by: None,
            })
        };
        let mut view = WorkspaceView::default();
        for (position, event) in [
            label(a, "VIP", 1),
            label(b, "Spam", 2),
            label(a, "Gold", 3),
            WorkspaceEvent::LabelDeleted(LabelDeleted {
                label_id: b,
                at: at(4),
                by: Some("ann".into()),
            }),
            WorkspaceEvent::AvailabilitySet(AvailabilitySet {
                user_id: "ann".into(),
                available: true,
                at: at(5),
                by: Some("ann".into()),
            }),
        ]
        .iter()
        .enumerate()
        {
            apply(&mut view, position as i64 + 1, event);
        }
        let gold = view.labels[&a].as_ref().unwrap();
        assert_eq!((gold.name.as_str(), gold.position), ("Gold", 3));
        assert_eq!(view.labels[&b], None);
        assert!(view.availability["ann"].available);
        let (saved, deleted) = super::split(&view.labels, "label_id");
        assert_eq!(saved.len(), 1);
        assert_eq!(deleted, [serde_json::json!({"label_id": b})]);
    }
}
