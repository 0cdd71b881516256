//! What a projection is: a name, the tables it owns, and how it applies a batch of events.

use crate::rows::Table;
use crate::typed::TypedEvent;
use actors::event::{RawRecordedEvent, RecordedEvent};
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
    /// writing them back is the usual shape. Each event's typed form comes from the event itself
    /// ([`TypedEvent::conversation`], [`TypedEvent::account`]): decoded once for all the projections of
    /// the node that read it.
    async fn apply(&self, conn: &mut PgConnection, events: &[TypedEvent]) -> anyhow::Result<()>;

    /// For a view whose rows each belong to one stream with this name prefix (and that ignores every
    /// other stream): a rebuild may then fold whole streams and bulk-load the rows, instead of following
    /// the log event by event.
    fn stream_prefix(&self) -> Option<&'static str> {
        None
    }

    /// The events the live runner hands to [`Projection::apply`]; the checkpoint still moves past the
    /// others. A view that folds a few streams or types says so, and a batch with none of them costs it no
    /// call at all. The default is every event.
    fn interest(&self) -> Interest {
        Interest::Everything
    }

    /// Folds complete streams (each stream's events in version order, streams one after the other) into
    /// rows that are all new, as CSV for each of [`Projection::tables`] with the columns given (in the
    /// same order). Pure; only used when [`Projection::stream_prefix`] is set.
    fn fold_streams(
        &self,
        events: &[RawRecordedEvent],
        columns: &[Vec<String>],
    ) -> anyhow::Result<Vec<Vec<u8>>> {
        let _ = (events, columns);
        anyhow::bail!("{} cannot be folded stream by stream", self.name())
    }
}

/// Which events of the log a projection needs (see [`Projection::interest`]). Declared rather than a
/// closure, so the reader can tell "everything" apart and hand its pages over without copying them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interest {
    /// Every event.
    Everything,
    /// Only events of streams whose names start with this prefix.
    StreamPrefix(&'static str),
    /// Only events of these types.
    EventTypes(&'static [&'static str]),
}

impl Interest {
    /// Whether an event is among those the projection needs.
    pub fn admits(&self, event: &RecordedEvent) -> bool {
        match self {
            Interest::Everything => true,
            Interest::StreamPrefix(prefix) => event.stream_id.as_str().starts_with(prefix),
            Interest::EventTypes(types) => types.contains(&event.event_type.as_str()),
        }
    }
}

/// The projections this build runs, in a stable order.
pub fn all() -> Vec<std::sync::Arc<dyn Projection>> {
    counting(Default::default())
}

/// The same, the listings projection counting what it applies into `watch` (what `/health` shows).
pub fn counting(
    watch: std::sync::Arc<crate::listings::counters::WatchCounters>,
) -> Vec<std::sync::Arc<dyn Projection>> {
    vec![
        std::sync::Arc::new(crate::inbox::InboxProjection),
        std::sync::Arc::new(crate::contacts::ContactsProjection),
        std::sync::Arc::new(crate::accounts::AccountsProjection),
        std::sync::Arc::new(crate::rbac::RbacProjection),
        std::sync::Arc::new(crate::listings::ListingsProjection { counters: watch }),
        std::sync::Arc::new(crate::search::SearchProjection),
        std::sync::Arc::new(crate::bot::BotProjection),
        std::sync::Arc::new(crate::workspace::WorkspaceProjection),
        std::sync::Arc::new(crate::reports::ReportsProjection),
    ]
}

/// Finds a projection by name.
pub fn named(name: &str) -> Option<std::sync::Arc<dyn Projection>> {
    all().into_iter().find(|p| p.name() == name)
}
