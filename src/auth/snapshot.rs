//! The RBAC snapshot in memory: loaded from the `rbac` projection at start-up and reloaded whenever that
//! projection's checkpoint moves (whichever node ran it), so a change (a disabled user, a revoked token)
//! holds on every node within moments, and at once on the node that recorded it.

use actors::identity::Rbac;
use sqlx::types::Json;
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// A snapshot and the global position of the last identity event in it.
#[derive(Debug, Default)]
pub struct Loaded {
    pub rbac: Rbac,
    pub position: u64,
}

#[derive(Clone)]
pub struct AccessSnapshot {
    current: Arc<watch::Sender<Arc<Loaded>>>,
}

impl AccessSnapshot {
    pub async fn load(pool: &PgPool) -> sqlx::Result<AccessSnapshot> {
        let snapshot = AccessSnapshot {
            current: Arc::new(watch::channel(Arc::new(Loaded::default())).0),
        };
        snapshot.reload(pool).await?;
        Ok(snapshot)
    }

    pub fn current(&self) -> Arc<Loaded> {
        self.current.borrow().clone()
    }

    pub fn subscribe(&self) -> watch::Receiver<Arc<Loaded>> {
        self.current.subscribe()
    }

    /// Reads the projection's row if it moved past what is in memory.
    pub async fn reload(&self, pool: &PgPool) -> sqlx::Result<()> {
        let known = self.current().position as i64;
        let row = sqlx::query!(
            r#"select snapshot as "snapshot!: Json<Rbac>", position from rbac_snapshot
               where id = 1 and position > $1"#,
            known
        )
        .fetch_optional(pool)
        .await?;
        if let Some(row) = row {
            self.current.send_if_modified(|current| {
                let newer = row.position as u64 > current.position;
                if newer {
                    *current = Arc::new(Loaded {
                        rbac: row.snapshot.0.clone(),
                        position: row.position as u64,
                    });
                }
                newer
            });
        }
        Ok(())
    }

    /// Waits until the snapshot holds the event at `position`; false after `timeout`.
    pub async fn wait_for(&self, position: u64, timeout: Duration) -> bool {
        let mut rx = self.current.subscribe();
        tokio::time::timeout(timeout, rx.wait_for(|l| l.position >= position))
            .await
            .is_ok_and(|r| r.is_ok())
    }
}

/// Reloads the snapshot whenever the `rbac` projection moves.
impl crate::policy::Sweep for (AccessSnapshot, PgPool) {
    const WHAT: &'static str = "changes to users and roles";

    async fn sweep(&mut self) -> anyhow::Result<()> {
        self.0.reload(&self.1).await?;
        Ok(())
    }
}
