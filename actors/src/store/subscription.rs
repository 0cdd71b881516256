//! Following the global log: catch up from a checkpoint, then wait for the store's head to move.

use super::{EventStore, StoreError};
use crate::event::RecordedEvent;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// A safety net only: a subscription normally wakes on the store's notification, but if a notification is
/// lost (a dropped listener connection) it still reads again after this long.
const FALLBACK_POLL: Duration = Duration::from_secs(2);
const BATCH: usize = 500;

/// A reader of the global log from a checkpoint, in order, without gaps.
pub struct Subscription {
    store: Arc<dyn EventStore>,
    position: u64,
    head: watch::Receiver<u64>,
}

impl Subscription {
    pub(super) fn new(store: Arc<dyn EventStore>, after_position: u64) -> Self {
        let head = store.head();
        Self {
            store,
            position: after_position,
            head,
        }
    }

    /// The position of the last event handed out: the checkpoint to resume from.
    pub fn position(&self) -> u64 {
        self.position
    }

    /// The next events after the checkpoint, waiting for new ones when caught up. Never returns an empty
    /// batch.
    pub async fn next_batch(&mut self) -> Result<Vec<RecordedEvent>, StoreError> {
        loop {
            // Mark the head as seen *before* reading, so a commit between the read and the wait below
            // still wakes us.
            self.head.borrow_and_update();
            let batch = self.store.read_all(self.position, BATCH).await?;
            if let Some(last) = batch.last() {
                self.position = last.global_position;
                return Ok(batch);
            }
            match tokio::time::timeout(FALLBACK_POLL, self.head.changed()).await {
                Ok(Ok(())) | Err(_) => {}
                // The store is gone; keep the slow poll so callers see its errors.
                Ok(Err(_)) => tokio::time::sleep(FALLBACK_POLL).await,
            }
        }
    }
}
