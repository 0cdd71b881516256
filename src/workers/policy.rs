//! Policies: work that reacts to a view rather than to a request (queued messages to hand to their
//! senders, media files to fetch, the RBAC snapshot and the accounts' credentials to reload). Each looks at
//! the view whenever its projection moves (whichever node applied it), at start-up (so nothing left from
//! before a restart is forgotten), and every 30 s as a safety net; under load at most every 100 ms, since
//! one look covers many rows. Each runs as a tracked task and ends when the node begins to stop.

use actors::tasks::Tasks;
use projections::inbox::InboxProjection;
use projections::live::Checkpoints;
use std::future::Future;
use std::time::Duration;
use tokio::task::JoinHandle;

const SWEEP_EVERY: Duration = Duration::from_secs(30);
const MIN_GAP: Duration = Duration::from_millis(100);

/// One look at the view, doing what it finds to do.
pub trait Sweep: Send + 'static {
    /// For the log, when a look fails.
    const WHAT: &'static str;

    fn sweep(&mut self) -> impl Future<Output = anyhow::Result<()>> + Send;
}

/// Runs `policy` on the inbox view until the node stops.
pub fn follow_inbox<P: Sweep>(
    checkpoints: Checkpoints,
    tasks: &Tasks,
    policy: P,
) -> JoinHandle<()> {
    follow(InboxProjection::NAME, checkpoints, tasks, policy)
}

/// Runs `policy` on the view of the projection `name` until the node stops.
pub fn follow<P: Sweep>(
    name: &'static str,
    checkpoints: Checkpoints,
    tasks: &Tasks,
    policy: P,
) -> JoinHandle<()> {
    follow_views(&[name], checkpoints, tasks, policy)
}

/// Runs `policy` on what several views show together (a join of their tables): it looks again whenever
/// any of them moves, so a row that needs both is seen whichever view applies it last.
pub fn follow_views<P: Sweep>(
    names: &[&'static str],
    checkpoints: Checkpoints,
    tasks: &Tasks,
    mut policy: P,
) -> JoinHandle<()> {
    let stopping = tasks.stopping().clone();
    let names = names.to_vec();
    tasks.spawn(
        format!("following {} for {}", names.join(" and "), P::WHAT),
        async move {
            let mut watches = Vec::new();
            for name in &names {
                match checkpoints.watch(name) {
                    Some(moved) => watches.push(moved),
                    None => {
                        tracing::error!(projection = name, "no such projection to follow");
                        return;
                    }
                }
            }
            loop {
                if let Err(e) = policy.sweep().await {
                    tracing::warn!(error = %e, "cannot look for {}; trying again", P::WHAT);
                }
                let any_moved = futures::future::select_all(
                    watches.iter_mut().map(|moved| Box::pin(moved.changed())),
                );
                tokio::select! {
                    _ = stopping.cancelled() => return,
                    _ = tokio::time::sleep(SWEEP_EVERY) => {}
                    (changed, _, _) = any_moved => if changed.is_err() { return },
                }
                tokio::time::sleep(MIN_GAP).await;
            }
        },
    )
}
