//! Fills the search index's vectors: follows the search view in log order and embeds, as passages, the
//! texts that have no vector of the current model yet, into the content-addressed cache
//! (`search_vectors`, by model and SHA-256 of the text). A text said twice is embedded once; a rebuilt
//! view finds its vectors again; a new model starts from the beginning by itself (its cursor is its own).
//!
//! A failing model never stops ingest or keyword search: the worker says so in `/health` and the
//! metrics, waits (doubling up to a minute), and carries on where it stopped.

use super::policy::{self, Sweep};
use actors::embeddings::{Embedder, Purpose};
use actors::tasks::Tasks;
use projections::live::Checkpoints;
use projections::search::queries;
use projections::search::SearchProjection;
use serde::Serialize;
use sqlx::PgPool;
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

/// Documents looked at per step.
const WINDOW: i64 = 256;
/// The most characters of a text the model is given: e5 reads 512 tokens, and a remote model may
/// refuse longer input. The vector stays keyed by the whole text.
const MAX_PASSAGE_CHARS: usize = 2000;
const FIRST_BACKOFF: Duration = Duration::from_secs(2);
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// What the embedding worker is doing, for `/health` and the metrics.
#[derive(Debug, Default)]
pub struct EmbedderStatus {
    error: Mutex<Option<String>>,
    embedded: AtomicU64,
    failures: AtomicU64,
    pending: AtomicI64,
    /// Texts per call now (0: the model's own batch): halved after a call that failed, so a slow
    /// model on a busy machine ends up with calls it can answer in time instead of the same call
    /// timing out for ever; doubled back after each call that succeeded.
    batch: AtomicUsize,
}

/// The batch after a call: halved (at least 1) when it failed, doubled (at most `max`) when it succeeded.
pub fn next_batch(current: usize, max: usize, succeeded: bool) -> usize {
    let max = max.max(1);
    match succeeded {
        true => current.saturating_mul(2).clamp(1, max),
        false => (current / 2).clamp(1, max),
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct EmbedderReport {
    /// The model id vectors are made and searched with (`none`: keyword search only).
    pub model: String,
    /// `off`, `ok` or `failing`.
    pub state: &'static str,
    /// Why the last attempt failed, while it is failing.
    pub error: Option<String>,
    /// Documents not looked at yet (at the last look).
    pub pending: i64,
    /// Texts embedded since the process started.
    pub embedded: u64,
    pub failures: u64,
}

impl EmbedderStatus {
    pub fn report(&self, model: &str) -> EmbedderReport {
        let error = self.error.lock().ok().and_then(|e| e.clone());
        EmbedderReport {
            model: model.to_owned(),
            state: match (model, &error) {
                ("none", _) => "off",
                (_, Some(_)) => "failing",
                _ => "ok",
            },
            error,
            pending: self.pending.load(Ordering::Relaxed),
            embedded: self.embedded.load(Ordering::Relaxed),
            failures: self.failures.load(Ordering::Relaxed),
        }
    }

    pub fn healthy(&self) -> bool {
        self.error.lock().map(|e| e.is_none()).unwrap_or(true)
    }

    fn failed(&self, error: String) {
        self.failures.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("inbox_search_embedding_failures_total").increment(1);
        if let Ok(mut e) = self.error.lock() {
            *e = Some(error);
        }
    }

    fn succeeded(&self, texts: usize) {
        self.embedded.fetch_add(texts as u64, Ordering::Relaxed);
        metrics::counter!("inbox_search_embedded_total").increment(texts as u64);
        if let Ok(mut e) = self.error.lock() {
            *e = None;
        }
    }

    fn set_pending(&self, pending: i64) {
        self.pending.store(pending, Ordering::Relaxed);
        metrics::gauge!("inbox_search_embedding_pending_documents").set(pending as f64);
    }
}

/// One step's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// Documents looked at (and now behind the cursor).
    pub documents: usize,
    /// Texts sent to the model (the others had a vector already).
    pub embedded: usize,
    /// Where the model's cursor now is.
    pub position: i64,
}

/// Embeds what the next [`WINDOW`] documents after the model's cursor lack and moves the cursor past
/// them; `None` when there is nothing after the cursor.
pub async fn step(
    pool: &PgPool,
    embedder: &dyn Embedder,
    status: &EmbedderStatus,
) -> anyhow::Result<Option<Step>> {
    let model = embedder.model();
    let from = queries::embedder_position(pool, model).await?;
    let Some(to) = queries::next_position(pool, from, WINDOW).await? else {
        return Ok(None);
    };
    let todo = queries::unembedded(pool, model, from, WINDOW).await?;
    let documents = queries::documents_after(pool, from, to).await?;
    let max = embedder.max_batch().max(1);
    let mut rest = &todo[..];
    while !rest.is_empty() {
        let batch = match status.batch.load(Ordering::Relaxed) {
            0 => max,
            n => n.min(max),
        };
        let (chunk, after) = rest.split_at(batch.min(rest.len()));
        rest = after;
        let texts: Vec<String> = chunk
            .iter()
            .map(|(_, body, _)| body.chars().take(MAX_PASSAGE_CHARS).collect())
            .collect();
        let started = Instant::now();
        let vectors = match embedder.embed(Purpose::Passage, &texts).await {
            Ok(v) => {
                status
                    .batch
                    .store(next_batch(batch, max, true), Ordering::Relaxed);
                v
            }
            Err(e) => {
                status
                    .batch
                    .store(next_batch(batch, max, false), Ordering::Relaxed);
                status.failed(e.to_string());
                return Err(e.into());
            }
        };
        metrics::histogram!("inbox_search_embedding_seconds").record(started.elapsed());
        let keys: Vec<String> = chunk.iter().map(|(sha, _, _)| sha.clone()).collect();
        queries::store_vectors(pool, model, &keys, &vectors).await?;
        status.succeeded(texts.len());
    }
    queries::set_embedder_position(pool, model, to).await?;
    Ok(Some(Step {
        documents: documents as usize,
        embedded: todo.len(),
        position: to,
    }))
}

struct Embedding {
    pool: PgPool,
    embedder: Arc<dyn Embedder>,
    status: Arc<EmbedderStatus>,
    stopping: tokio_util::sync::CancellationToken,
    backoff: Duration,
    retry_at: Option<Instant>,
}

impl Sweep for Embedding {
    const WHAT: &'static str = "texts to embed";

    async fn sweep(&mut self) -> anyhow::Result<()> {
        if self.embedder.model() == "none" || self.retry_at.is_some_and(|t| Instant::now() < t) {
            return Ok(());
        }
        let model = self.embedder.model();
        let from = queries::embedder_position(&self.pool, model).await?;
        self.status
            .set_pending(queries::documents_after(&self.pool, from, i64::MAX).await?);
        while !self.stopping.is_cancelled() {
            match step(&self.pool, self.embedder.as_ref(), &self.status).await {
                Ok(Some(step)) => {
                    // Counted down per step, and counted again when it reaches zero while steps
                    // go on: documents keep arriving while it works, and a count of a large backlog
                    // after every step would cost more than the step.
                    let left = self.status.pending.load(Ordering::Relaxed) - step.documents as i64;
                    let left = match left > 0 {
                        true => left,
                        false => {
                            queries::documents_after(&self.pool, step.position, i64::MAX).await?
                        }
                    };
                    self.status.set_pending(left);
                    self.backoff = FIRST_BACKOFF;
                    self.retry_at = None;
                }
                Ok(None) => {
                    self.status.set_pending(0);
                    break;
                }
                Err(e) => {
                    self.retry_at = Some(Instant::now() + self.backoff);
                    self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
                    return Err(e);
                }
            }
        }
        Ok(())
    }
}

/// Follows the search view until the node stops.
pub fn start(
    pool: PgPool,
    embedder: Arc<dyn Embedder>,
    status: Arc<EmbedderStatus>,
    checkpoints: Checkpoints,
    tasks: &Tasks,
) -> JoinHandle<()> {
    let worker = Embedding {
        pool,
        embedder,
        status,
        stopping: tasks.stopping().clone(),
        backoff: FIRST_BACKOFF,
        retry_at: None,
    };
    policy::follow(SearchProjection::NAME, checkpoints, tasks, worker)
}

#[cfg(test)]
mod tests {
    use super::next_batch;

    #[test]
    fn a_failing_call_halves_the_batch_and_a_good_one_doubles_it_back() {
        assert_eq!(next_batch(64, 64, false), 32);
        assert_eq!(next_batch(1, 64, false), 1);
        assert_eq!(next_batch(16, 64, true), 32);
        assert_eq!(next_batch(64, 64, true), 64);
        assert_eq!(next_batch(0, 0, true), 1);
    }
}
