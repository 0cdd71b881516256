//! Policies: work that reacts to the inbox view rather than to a request (queued messages to hand to their
//! senders, media files to fetch). Each looks at the view whenever the inbox projection moves (whichever
//! node applied it), at start-up (so nothing left from before a restart is forgotten), and every 30 s as a
//! safety net; under load at most every 100 ms, since one look covers many rows.

use projections::inbox::InboxProjection;
use projections::live::Checkpoints;
use std::future::Future;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

const SWEEP_EVERY: Duration = Duration::from_secs(30);
const MIN_GAP: Duration = Duration::from_millis(100);

/// One look at the view, doing what it finds to do.
pub trait Sweep: Send + 'static {
    /// For the log, when a look fails.
    const WHAT: &'static str;

    fn sweep(&mut self) -> impl Future<Output = anyhow::Result<()>> + Send;
}

/// Runs `policy` until `stopping` is cancelled.
pub fn follow_inbox<P: Sweep>(
    checkpoints: Checkpoints,
    stopping: CancellationToken,
    mut policy: P,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let Some(mut moved) = checkpoints.watch(InboxProjection::NAME) else {
            return;
        };
        loop {
            if let Err(e) = policy.sweep().await {
                tracing::warn!(error = %e, "cannot look for {}; trying again", P::WHAT);
            }
            tokio::select! {
                _ = stopping.cancelled() => return,
                _ = tokio::time::sleep(SWEEP_EVERY) => {}
                changed = moved.changed() => if changed.is_err() { return },
            }
            tokio::time::sleep(MIN_GAP).await;
        }
    })
}
