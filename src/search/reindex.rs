//! `inbox search reindex`: embeds every searchable text with the configured model now, in the
//! foreground, with a progress bar and an ETA, instead of leaving the backfill to the server's worker.
//! Texts that already have a vector of this model are not sent again (the cache is keyed by model and
//! text), so running it twice costs one pass over the index and no model call.

use crate::workers::embedding::{self, EmbedderStatus};
use actors::embeddings::Embedder;
use projections::search::queries;
use sqlx::PgPool;
use std::time::{Duration, Instant};

/// What a run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Report {
    pub documents: u64,
    /// Texts sent to the model.
    pub embedded: u64,
    /// Vectors of other models deleted (`--prune`).
    pub pruned: u64,
}

/// Starts the model's cursor over, embeds up to the end of the index, and with `prune` deletes the
/// vectors of every other model. `progress` hears (documents done, documents in all, texts embedded,
/// elapsed) after each step.
pub async fn reindex(
    pool: &PgPool,
    embedder: &dyn Embedder,
    prune: bool,
    mut progress: impl FnMut(u64, u64, u64, Duration),
) -> anyhow::Result<Report> {
    let model = embedder.model();
    anyhow::ensure!(
        model != "none",
        "no embedding model is configured (INBOX_EMBEDDINGS=none): nothing to index"
    );
    queries::reset_embedder(pool, model).await?;
    let total = queries::documents_after(pool, 0, i64::MAX).await? as u64;
    let status = EmbedderStatus::default();
    let started = Instant::now();
    let mut report = Report::default();
    while let Some(step) = embedding::step(pool, embedder, &status).await? {
        report.documents += step.documents as u64;
        report.embedded += step.embedded as u64;
        progress(
            report.documents,
            total.max(report.documents),
            report.embedded,
            started.elapsed(),
        );
    }
    if prune {
        report.pruned = queries::prune_vectors(pool, model).await?;
    }
    Ok(report)
}

/// One line of progress: a bar, the counts, the rate and the time left.
pub fn progress_line(done: u64, total: u64, embedded: u64, elapsed: Duration) -> String {
    const WIDTH: u64 = 30;
    let filled = (done * WIDTH)
        .checked_div(total)
        .unwrap_or(WIDTH)
        .min(WIDTH);
    let bar: String = (0..WIDTH)
        .map(|i| if i < filled { '#' } else { '.' })
        .collect();
    let rate = done as f64 / elapsed.as_secs_f64().max(1e-3);
    let eta = if done == 0 || rate <= 0.0 {
        "ETA unknown".to_owned()
    } else {
        let left = (total.saturating_sub(done)) as f64 / rate;
        format!("ETA {}", duration(Duration::from_secs_f64(left)))
    };
    format!(
        "[{bar}] {done}/{total} documents, {embedded} texts embedded, {rate:.1} documents/s, {eta}"
    )
}

fn duration(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_progress_line_shows_the_share_done_and_the_time_left() {
        let line = progress_line(250, 1000, 200, Duration::from_secs(10));
        assert_eq!(
            line,
            "[#######.......................] 250/1000 documents, 200 texts embedded, 25.0 documents/s, ETA 30s"
        );
        assert!(progress_line(0, 0, 0, Duration::ZERO).contains("ETA unknown"));
        assert!(progress_line(10, 100_000, 10, Duration::from_secs(10)).ends_with("ETA 27h46m"));
    }
}
