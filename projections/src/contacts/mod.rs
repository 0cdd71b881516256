//! The contacts projection: every customer across all accounts, with the profile they last showed.

pub mod queries;

use crate::inbox::conversation_events;
use crate::inbox::view::InboxEvent;
use crate::projection::Projection;
use crate::rows::{self, Table, ViewRow};
use crate::typed::TypedEvent;
use actors::conversation::events::ConversationEvent;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use std::collections::BTreeMap;

pub const CONTACTS: Table = Table {
    name: "inbox_contacts",
    key: &["contact_id"],
};

/// One customer. `contact_id` is the contact part of their conversations' stream names (their wa_id, or
/// their business-scoped user id when they hide their number).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactRow {
    pub contact_id: String,
    pub wa_id: Option<String>,
    pub user_id: Option<String>,
    pub name: Option<String>,
    pub username: Option<String>,
    pub first_seen_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub position: i64,
}

impl ViewRow for ContactRow {
    const TABLE: Table = CONTACTS;
}

/// Applies one event to the contacts it touches. Pure.
pub fn apply(view: &mut BTreeMap<String, ContactRow>, e: &InboxEvent) {
    let seen = e.occurred_at.unwrap_or(e.recorded_at);
    let row = view
        .entry(e.contact_id.clone())
        .or_insert_with(|| ContactRow {
            contact_id: e.contact_id.clone(),
            wa_id: None,
            user_id: None,
            name: None,
            username: None,
            first_seen_at: seen,
            last_seen_at: seen,
            position: e.position,
        });
    row.first_seen_at = row.first_seen_at.min(seen);
    row.position = e.position;
    match &e.event {
        ConversationEvent::ContactProfileSeen(p) => {
            for (field, value) in [
                (&mut row.wa_id, &p.wa_id),
                (&mut row.user_id, &p.user_id),
                (&mut row.name, &p.name),
                (&mut row.username, &p.username),
            ] {
                if value.is_some() {
                    field.clone_from(value);
                }
            }
        }
        ConversationEvent::MessageReceived(_) => row.last_seen_at = row.last_seen_at.max(seen),
        _ => {}
    }
}

pub struct ContactsProjection;

#[async_trait]
impl Projection for ContactsProjection {
    fn name(&self) -> &'static str {
        "contacts"
    }

    fn tables(&self) -> &'static [Table] {
        &[CONTACTS]
    }

    async fn apply(&self, conn: &mut PgConnection, events: &[TypedEvent]) -> anyhow::Result<()> {
        let events: Vec<&InboxEvent> = conversation_events(events)?
            .into_iter()
            .filter(|e| {
                matches!(
                    e.event,
                    ConversationEvent::ContactProfileSeen(_)
                        | ConversationEvent::MessageReceived(_)
                )
            })
            .collect();
        if events.is_empty() {
            return Ok(());
        }
        let ids: Vec<String> = events
            .iter()
            .map(|e| e.contact_id.clone())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        // One index probe per contact (see the inbox's load).
        let loaded = sqlx::query_as!(
            ContactRow,
            r#"select t.contact_id as "contact_id!", t.wa_id, t.user_id, t.name, t.username,
                      t.first_seen_at as "first_seen_at!", t.last_seen_at as "last_seen_at!",
                      t.position as "position!"
               from unnest($1::text[]) k(id)
               cross join lateral (select * from inbox_contacts t where t.contact_id = k.id offset 0) t"#,
            &ids,
        )
        .fetch_all(&mut *conn)
        .await?;
        let before: BTreeMap<String, ContactRow> = loaded
            .into_iter()
            .map(|c| (c.contact_id.clone(), c))
            .collect();
        let mut view = before.clone();
        for e in &events {
            apply(&mut view, e);
        }
        let changed: Vec<&ContactRow> = view
            .iter()
            .filter(|(k, row)| before.get(*k) != Some(row))
            .map(|(_, row)| row)
            .collect();
        rows::save(conn, CONTACTS, &changed).await
    }
}
