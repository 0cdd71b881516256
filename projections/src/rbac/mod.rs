//! The `rbac` projection: the identity stream folded (by the pure [`Rbac`] fold) into the snapshot every
//! node keeps in memory and every API check reads. [`queries`] holds every read of it.

use crate::projection::{Interest, Projection};
use crate::rows::{self, Table, ViewRow};
use crate::typed::TypedEvent;
use actors::event::DomainEvent;
use actors::identity::aggregate::stream;
use actors::identity::{IdentityEvent, Rbac};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::types::Json;
use sqlx::PgConnection;

pub mod queries;

pub const SNAPSHOT: Table = Table {
    name: "rbac_snapshot",
    key: &["id"],
};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotRow {
    /// Always 1: there is one snapshot.
    pub id: i16,
    pub snapshot: Json<Rbac>,
    /// The global position of the last identity event folded in.
    pub position: i64,
    pub updated_at: DateTime<Utc>,
}

impl ViewRow for SnapshotRow {
    const TABLE: Table = SNAPSHOT;
}

/// Folds identity events into a snapshot (pure).
pub fn fold(mut row: SnapshotRow, events: &[(u64, IdentityEvent)]) -> SnapshotRow {
    for (position, event) in events {
        row.snapshot.apply(event);
        row.position = *position as i64;
        row.updated_at = event.at();
    }
    row
}

pub struct RbacProjection;

#[async_trait]
impl Projection for RbacProjection {
    fn name(&self) -> &'static str {
        "rbac"
    }

    fn tables(&self) -> &'static [Table] {
        &[SNAPSHOT]
    }

    /// Only the identity stream: the rest of the log costs this view nothing.
    fn interest(&self) -> Interest {
        Interest::StreamPrefix("identity")
    }

    async fn apply(&self, conn: &mut PgConnection, events: &[TypedEvent]) -> anyhow::Result<()> {
        let identity = stream();
        let mut decoded = Vec::new();
        for event in events.iter().filter(|e| e.stream_id == identity) {
            decoded.push((event.global_position, IdentityEvent::from_recorded(event)?));
        }
        if decoded.is_empty() {
            return Ok(());
        }
        // Every snapshot row has a position of at least 0: "after -1" is the row as it stands.
        let current = queries::snapshot_after(&mut *conn, -1).await?;
        let row = current.unwrap_or(SnapshotRow {
            id: 1,
            snapshot: Json(Rbac::default()),
            position: 0,
            updated_at: Utc::now(),
        });
        rows::save(conn, SNAPSHOT, &[fold(row, &decoded)]).await
    }
}
