//! Tracked tasks: the work that runs beside the actors (a send to Meta, a media download, a read receipt,
//! a worker following a view) is spawned here, so that shutdown can stop new work from starting, wait for
//! the work under way to record its outcome through the actors before they stop, and name whatever did
//! not finish in time.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// The tracked tasks of one node, and the signal that it is stopping. Clones share both.
#[derive(Clone, Default)]
pub struct Tasks {
    tracker: TaskTracker,
    stopping: CancellationToken,
    /// What each running task does, by a number of its own: what the log names when the grace period
    /// runs out. A std mutex: it is held only to insert or remove one entry, never across an await.
    running: Arc<Mutex<HashMap<u64, String>>>,
    next: Arc<AtomicU64>,
}

impl Tasks {
    /// Tasks that learn the node is stopping when `stopping` is cancelled.
    pub fn new(stopping: CancellationToken) -> Self {
        Self {
            stopping,
            ..Self::default()
        }
    }

    /// Runs `task` until it ends; shutdown waits for it. `what` describes it in the log, so it names
    /// ids only, never a secret or what a customer wrote.
    pub fn spawn<F>(&self, what: impl Into<String>, task: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.running().insert(id, what.into());
        // Dropped when the task ends, panics or is aborted, so the list holds only what still runs.
        let entry = Entry {
            id,
            running: self.running.clone(),
        };
        self.tracker.spawn(async move {
            let _entry = entry;
            task.await
        })
    }

    /// Cancelled when the node begins to stop: start no new work; work under way finishes.
    pub fn stopping(&self) -> &CancellationToken {
        &self.stopping
    }

    pub fn is_stopping(&self) -> bool {
        self.stopping.is_cancelled()
    }

    /// Waits until every task has ended, for at most `grace`. Returns what was still running then, sorted
    /// (empty when everything ended). Tasks spawned meanwhile are waited for too.
    pub async fn wait(&self, grace: Duration) -> Vec<String> {
        self.tracker.close();
        if tokio::time::timeout(grace, self.tracker.wait())
            .await
            .is_ok()
        {
            return Vec::new();
        }
        let mut left: Vec<String> = self.running().values().cloned().collect();
        left.sort();
        left
    }

    fn running(&self) -> std::sync::MutexGuard<'_, HashMap<u64, String>> {
        self.running.lock().unwrap_or_else(|e| e.into_inner())
    }
}

struct Entry {
    id: u64,
    running: Arc<Mutex<HashMap<u64, String>>>,
}

impl Drop for Entry {
    fn drop(&mut self) {
        self.running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn waiting_ends_when_the_last_task_ends_and_names_nothing() {
        let tasks = Tasks::default();
        let (done, finished) = tokio::sync::oneshot::channel::<()>();
        tasks.spawn("slow", async move {
            tokio::time::sleep(Duration::from_secs(5)).await;
            let _ = done.send(());
        });
        tasks.spawn("quick", async {});
        let left = tasks.wait(Duration::from_secs(60)).await;
        assert!(left.is_empty(), "{left:?}");
        assert!(
            finished.await.is_ok(),
            "the slow task ran to its end before waiting ended"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn past_the_grace_period_what_still_runs_is_named() {
        let tasks = Tasks::default();
        tasks.spawn("sending message 2", std::future::pending::<()>());
        tasks.spawn("finished", async {});
        tasks.spawn("sending message 1", std::future::pending::<()>());
        let panicked = tasks.spawn("panicked", async { panic!("a bug") });
        assert!(panicked.await.is_err());
        let left = tasks.wait(Duration::from_secs(1)).await;
        assert_eq!(left, ["sending message 1", "sending message 2"]);
    }
}
