//! Where each projection stands, as this node learns it from PostgreSQL's notifications.
//!
//! The projection that applied an event may run on another node. Every checkpoint update notifies
//! `inbox_projections`, and each node follows that channel, so anything waiting here (a live stream, a
//! command waiting to read its own write) wakes as soon as the view is readable, whichever node wrote it.

use sqlx::postgres::{PgListener, PgPool};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

const CHANNEL: &str = "inbox_projections";

#[derive(Clone)]
pub struct Checkpoints {
    senders: Arc<HashMap<&'static str, watch::Sender<u64>>>,
    listener: Arc<JoinHandle<()>>,
}

impl Checkpoints {
    /// Starts following the checkpoints of the named projections.
    pub fn follow(pool: PgPool, names: &[&'static str]) -> Checkpoints {
        let senders: Arc<HashMap<_, _>> =
            Arc::new(names.iter().map(|n| (*n, watch::channel(0).0)).collect());
        let listener = tokio::spawn(listen(pool, senders.clone()));
        Checkpoints {
            senders,
            listener: Arc::new(listener),
        }
    }

    /// A watch of a projection's checkpoint (`None` for an unknown projection).
    pub fn watch(&self, name: &str) -> Option<watch::Receiver<u64>> {
        self.senders.get(name).map(watch::Sender::subscribe)
    }

    pub fn position(&self, name: &str) -> u64 {
        self.senders.get(name).map_or(0, |s| *s.borrow())
    }

    /// Waits until the projection has applied `position`; false if that takes longer than `timeout`.
    pub async fn wait_for(&self, name: &str, position: u64, timeout: Duration) -> bool {
        let Some(mut rx) = self.watch(name) else {
            return false;
        };
        let reached = tokio::time::timeout(timeout, rx.wait_for(|p| *p >= position))
            .await
            .is_ok_and(|r| r.is_ok());
        reached
    }

    pub fn shutdown(&self) {
        self.listener.abort();
    }
}

async fn listen(pool: PgPool, senders: Arc<HashMap<&'static str, watch::Sender<u64>>>) {
    let mut backoff = Duration::from_millis(100);
    loop {
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "checkpoint listener cannot connect; retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
                continue;
            }
        };
        if let Err(e) = listener.listen(CHANNEL).await {
            tracing::warn!(error = %e, "checkpoint listener cannot LISTEN; retrying");
            tokio::time::sleep(backoff).await;
            continue;
        }
        backoff = Duration::from_millis(100);
        // Notifications sent while we were not listening are lost: read the table once after LISTEN.
        if let Err(e) = refresh(&pool, &senders).await {
            tracing::warn!(error = %e, "cannot read projection checkpoints");
        }
        loop {
            match listener.try_recv().await {
                Ok(Some(n)) => {
                    if let Some((name, position)) = n.payload().rsplit_once(':') {
                        if let (Some(tx), Ok(p)) = (senders.get(name), position.parse::<u64>()) {
                            tx.send_if_modified(|cur| {
                                let moved = p > *cur;
                                *cur = (*cur).max(p);
                                moved
                            });
                        }
                    }
                }
                Ok(None) => {
                    if let Err(e) = refresh(&pool, &senders).await {
                        tracing::warn!(error = %e, "cannot read projection checkpoints");
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "checkpoint listener failed; reconnecting");
                    break;
                }
            }
        }
    }
}

async fn refresh(
    pool: &PgPool,
    senders: &HashMap<&'static str, watch::Sender<u64>>,
) -> Result<(), sqlx::Error> {
    let rows = sqlx::query!("select name, position from projection_checkpoints")
        .fetch_all(pool)
        .await?;
    for row in rows {
        if let Some(tx) = senders.get(row.name.as_str()) {
            let p = u64::try_from(row.position).unwrap_or(0);
            tx.send_if_modified(|cur| {
                let moved = p > *cur;
                *cur = (*cur).max(p);
                moved
            });
        }
    }
    Ok(())
}
