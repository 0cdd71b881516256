//! The knowledge base's answers closest to a customer's message, for the prompt. Entries are embedded with
//! the search embedder as passages through the same content-addressed cache as search (model, SHA-256 of
//! the text), so each is embedded once; the customer's message is embedded as a query. Without an
//! embedding model, entries sharing the most words with the message are taken instead.

use actors::bot::prompt::KnownAnswer;
use actors::embeddings::{text_sha256, Embedder, Purpose};
use projections::bot::view::QaRow;
use sqlx::PgPool;
use std::collections::{HashMap, HashSet};

/// How many entries go into a prompt at most.
pub const RETRIEVED: usize = 4;
/// Entries less similar than this (cosine) are left out: they would only distract the model.
const MIN_SIMILARITY: f32 = 0.80;

/// The text an entry is embedded as.
fn passage(qa: &QaRow) -> String {
    format!("{}\n{}", qa.question, qa.answer)
}

/// The entries of `account` closest to `message`, best first.
pub async fn retrieve(
    pool: &PgPool,
    embedder: &dyn Embedder,
    account: &str,
    message: &str,
) -> anyhow::Result<Vec<KnownAnswer>> {
    let entries = projections::bot::queries::qa(pool, account).await?;
    if entries.is_empty() || message.trim().is_empty() {
        return Ok(vec![]);
    }
    let ranked = match by_meaning(pool, embedder, &entries, message).await {
        Ok(ranked) => ranked,
        Err(e) => {
            tracing::debug!(error = %e, "knowledge base ranked by shared words");
            by_words(&entries, message)
        }
    };
    Ok(ranked
        .into_iter()
        .take(RETRIEVED)
        .map(|i| KnownAnswer {
            question: entries[i].question.clone(),
            answer: entries[i].answer.clone(),
        })
        .collect())
}

async fn by_meaning(
    pool: &PgPool,
    embedder: &dyn Embedder,
    entries: &[QaRow],
    message: &str,
) -> anyhow::Result<Vec<usize>> {
    let model = embedder.model().to_owned();
    let passages: Vec<String> = entries.iter().map(passage).collect();
    let shas: Vec<String> = passages.iter().map(|p| text_sha256(p)).collect();
    let mut vectors: HashMap<String, Vec<f32>> =
        projections::bot::queries::cached_vectors(pool, &model, &shas)
            .await?
            .into_iter()
            .filter_map(|(sha, text)| parse_vector(&text).map(|v| (sha, v)))
            .collect();
    let missing: Vec<usize> = (0..entries.len())
        .filter(|i| !vectors.contains_key(&shas[*i]))
        .collect();
    for chunk in missing.chunks(embedder.max_batch().max(1)) {
        let texts: Vec<String> = chunk.iter().map(|i| passages[*i].clone()).collect();
        let embedded = embedder.embed(Purpose::Passage, &texts).await?;
        let keys: Vec<String> = chunk.iter().map(|i| shas[*i].clone()).collect();
        projections::search::queries::store_vectors(pool, &model, &keys, &embedded).await?;
        vectors.extend(keys.into_iter().zip(embedded));
    }
    let query = embedder
        .embed(Purpose::Query, &[message.to_owned()])
        .await?
        .pop()
        .ok_or_else(|| anyhow::anyhow!("no vector for the message"))?;
    let mut scored: Vec<(usize, f32)> = (0..entries.len())
        .filter_map(|i| vectors.get(&shas[i]).map(|v| (i, dot(v, &query))))
        .filter(|(_, s)| *s >= MIN_SIMILARITY)
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1));
    Ok(scored.into_iter().map(|(i, _)| i).collect())
}

/// Entries by how many of the message's words (3 letters or more) they share, best first; none shared,
/// not taken.
fn by_words(entries: &[QaRow], message: &str) -> Vec<usize> {
    let words = |s: &str| -> HashSet<String> {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.chars().count() >= 3)
            .map(str::to_lowercase)
            .collect()
    };
    let asked = words(message);
    let mut scored: Vec<(usize, usize)> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| (i, words(&e.question).intersection(&asked).count()))
        .filter(|(_, n)| *n > 0)
        .collect();
    scored.sort_by_key(|s| std::cmp::Reverse(s.1));
    scored.into_iter().map(|(i, _)| i).collect()
}

/// Vectors are unit length: the dot product is the cosine.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn parse_vector(text: &str) -> Option<Vec<f32>> {
    text.trim()
        .strip_prefix('[')?
        .strip_suffix(']')?
        .split(',')
        .map(|x| x.trim().parse::<f32>().ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(question: &str) -> QaRow {
        QaRow {
            account_id: "1".into(),
            qa_id: uuid::Uuid::new_v4(),
            question: question.into(),
            answer: "a".into(),
            source_conversation: None,
            saved_at: chrono::Utc::now(),
            position: 1,
        }
    }

    #[test]
    fn without_a_model_the_entries_sharing_most_words_come_first() {
        let entries = [
            entry("Do you buy watches?"),
            entry("Do you ship watches to Portugal?"),
            entry("Opening hours"),
        ];
        assert_eq!(
            by_words(&entries, "Can you ship my watches to Portugal?"),
            [1, 0]
        );
    }

    #[test]
    fn pgvector_text_reads_back() {
        assert_eq!(parse_vector("[0.5,-1,2e-3]"), Some(vec![0.5, -1.0, 0.002]));
        assert_eq!(parse_vector("0.5"), None);
    }
}
