//! What a projection is: a name, the tables it owns, and how it applies a batch of events.

use crate::rows::Table;
use actors::event::RecordedEvent;
use async_trait::async_trait;
use sqlx::PgConnection;

#[async_trait]
pub trait Projection: Send + Sync + 'static {
    /// Stable name: the checkpoint row, the advisory lock, the metrics label, the CLI argument.
    fn name(&self) -> &'static str;

    /// The tables it writes and nothing else writes; a rebuild recreates exactly these.
    fn tables(&self) -> &'static [Table];

    /// Applies events (in global order, possibly including events it ignores) inside the caller's
    /// transaction. Loading the touched rows, folding them with the projection's pure function and
    /// writing them back is the usual shape.
    async fn apply(&self, conn: &mut PgConnection, events: &[RecordedEvent]) -> anyhow::Result<()>;
}

/// The projections this build runs, in a stable order.
pub fn all() -> Vec<std::sync::Arc<dyn Projection>> {
    vec![
        std::sync::Arc::new(crate::inbox::InboxProjection),
        std::sync::Arc::new(crate::contacts::ContactsProjection),
        std::sync::Arc::new(crate::accounts::AccountsProjection),
    ]
}

/// Finds a projection by name.
pub fn named(name: &str) -> Option<std::sync::Arc<dyn Projection>> {
    all().into_iter().find(|p| p.name() == name)
}
