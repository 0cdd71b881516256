//! The RBAC snapshot in memory: loaded from the `rbac` projection at start-up and reloaded whenever that
//! projection's checkpoint moves (whichever node ran it), so a change (a disabled user, a revoked token)
//! holds on every node within moments, and at once on the node that recorded it.
//!
//! Sessions live in their own table, not in the snapshot; this node's revocations of them are announced
//! here too ([`AccessSnapshot::changes`]), so whatever holds a credential open (a live stream) can check
//! it again at once.

use actors::identity::Rbac;
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
    /// Bumped whenever this node ends sessions.
    sessions_ended: Arc<watch::Sender<u64>>,
}

/// Wakes whenever the snapshot moves or this node ends sessions: a moment to check a credential again.
pub struct AccessChanges {
    rules: watch::Receiver<Arc<Loaded>>,
    sessions: watch::Receiver<u64>,
}

impl AccessChanges {
    /// Waits for the next change; never returns if none comes.
    pub async fn changed(&mut self) {
        let changed = tokio::select! {
            changed = self.rules.changed() => changed,
            changed = self.sessions.changed() => changed,
        };
        if changed.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

impl AccessSnapshot {
    pub async fn load(pool: &PgPool) -> sqlx::Result<AccessSnapshot> {
        let snapshot = AccessSnapshot {
            current: Arc::new(watch::channel(Arc::new(Loaded::default())).0),
            sessions_ended: Arc::new(watch::channel(0).0),
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

    /// Changes of the snapshot and ends of sessions on this node, from now on.
    pub fn changes(&self) -> AccessChanges {
        AccessChanges {
            rules: self.current.subscribe(),
            sessions: self.sessions_ended.subscribe(),
        }
    }

    /// Moves whenever the snapshot does or this node ends sessions: a credential checked at one version
    /// needs no new check while the version holds (unless it expires, or another node ended it).
    pub fn version(&self) -> (u64, u64) {
        (self.current().position, *self.sessions_ended.borrow())
    }

    /// Announces that this node ended one or more sessions.
    pub fn sessions_ended(&self) {
        self.sessions_ended.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Reads the projection's row if it moved past what is in memory.
    pub async fn reload(&self, pool: &PgPool) -> sqlx::Result<()> {
        let known = self.current().position as i64;
        if let Some(row) = projections::rbac::queries::snapshot_after(pool, known).await? {
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
impl crate::workers::policy::Sweep for (AccessSnapshot, PgPool) {
    const WHAT: &'static str = "changes to users and roles";

    async fn sweep(&mut self) -> anyhow::Result<()> {
        self.0.reload(&self.1).await?;
        Ok(())
    }
}
