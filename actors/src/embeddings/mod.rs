//! Sentence embeddings for search and the bot's knowledge base: one [`Embedder`] trait, chosen by
//! configuration, with a local model (multilingual-e5-small, 4-bit, in-process), any OpenAI-compatible
//! `/v1/embeddings` server, Gemini's `batchEmbedContents`, or none (keyword search only).
//!
//! Every vector has [`DIMENSIONS`] floats and is L2-normalised, whichever provider made it, so the
//! database holds one `halfvec(384)` column and cosine distance ranks them. Each vector is stored with the
//! [`Embedder::model`] id that made it: vectors of different models are never compared.

pub mod gemini;
pub mod openai;

use async_trait::async_trait;
use serde::Serialize;

pub mod local;

/// The length of every stored vector (e5-small's; remote providers are asked for this many).
pub const DIMENSIONS: usize = 384;

/// What a text is embedded as. Retrieval models embed a question and the passage answering it
/// differently (e5's `query: ` and `passage: ` prefixes, Gemini's task types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// A search query or a customer's question.
    Query,
    /// A stored message, note or knowledge-base answer.
    Passage,
}

/// Why texts could not be embedded. [`EmbedError::is_transient`] says whether trying again later may help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EmbedError {
    /// No embedder is configured (`none`): keyword search only.
    #[error("no embedding model is configured")]
    Disabled,
    /// The model could not be loaded (missing file, wrong checksum, malformed file).
    #[error("the embedding model cannot be loaded: {message}")]
    Model { message: String },
    /// The provider did not answer in time, could not be reached, or throttled us.
    #[error("the embedding service is unavailable: {message}")]
    Unavailable { message: String },
    /// The provider refused the request (bad key, unknown model, bad input): retrying will not help.
    #[error("the embedding service refused the request: {message}")]
    Refused { message: String },
    /// The provider answered with something unusable: the wrong number of vectors, a vector of the wrong
    /// dimension, a body that is not its documented shape. Never stored.
    #[error("the embedding service answered unexpectedly: {message}")]
    Unexpected { message: String },
}

impl EmbedError {
    /// Whether the same call may succeed later (network, throttling, a server restarting).
    pub fn is_transient(&self) -> bool {
        matches!(self, EmbedError::Unavailable { .. })
    }
}

/// Turns texts into unit vectors of [`DIMENSIONS`] floats.
#[async_trait]
pub trait Embedder: Send + Sync + 'static {
    /// The id stored beside every vector, naming the provider, the model and anything else that changes
    /// the vectors (e.g. `local:multilingual-e5-small-q4`, `openai:text-embedding-3-small`,
    /// `gemini:gemini-embedding-001`).
    fn model(&self) -> &str;

    /// How many texts one call should carry at most (the provider's batch limit or the local sweet spot).
    fn max_batch(&self) -> usize;

    /// One vector per text, in the order given, each of [`DIMENSIONS`] floats with an L2 norm of 1.
    /// An empty slice gives an empty answer without a call.
    async fn embed(&self, purpose: Purpose, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbedError>;

    /// False when every call is sure to fail (no model, or one that could not be set up), so a search
    /// need not start work that only a vector would use.
    fn may_answer(&self) -> bool {
        true
    }
}

/// Checks a provider's answer before anyone stores it: one vector per text, each of [`DIMENSIONS`]
/// finite floats; returns them L2-normalised (Gemini's shortened vectors are not).
pub fn checked(texts: usize, vectors: Vec<Vec<f32>>) -> Result<Vec<Vec<f32>>, EmbedError> {
    if vectors.len() != texts {
        return Err(EmbedError::Unexpected {
            message: format!("{} vectors for {texts} texts", vectors.len()),
        });
    }
    vectors
        .into_iter()
        .map(|mut v| {
            if v.len() != DIMENSIONS {
                return Err(EmbedError::Unexpected {
                    message: format!("a vector of {} dimensions, expected {DIMENSIONS}", v.len()),
                });
            }
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            if !norm.is_finite() || norm == 0.0 {
                return Err(EmbedError::Unexpected {
                    message: "a vector that is zero or not finite".to_owned(),
                });
            }
            v.iter_mut().for_each(|x| *x /= norm);
            Ok(v)
        })
        .collect()
}

/// The key of a text in the embedding cache (with the model id): the SHA-256 of the exact words, in hex.
pub fn text_sha256(text: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The `none` provider: keyword search only; every call says so.
#[derive(Debug, Default)]
pub struct NoEmbedder;

#[async_trait]
impl Embedder for NoEmbedder {
    fn model(&self) -> &str {
        "none"
    }

    fn max_batch(&self) -> usize {
        1
    }

    async fn embed(&self, _: Purpose, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbedError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        Err(EmbedError::Disabled)
    }

    fn may_answer(&self) -> bool {
        false
    }
}

/// A model that could not be set up (a missing file, a bad setting): says why on every call, so the
/// server still starts, `/health` shows the reason, and keyword search carries on.
#[derive(Debug)]
pub struct Unavailable {
    model: String,
    error: EmbedError,
}

impl Unavailable {
    pub fn new(model: impl Into<String>, error: EmbedError) -> Self {
        Self {
            model: model.into(),
            error,
        }
    }
}

#[async_trait]
impl Embedder for Unavailable {
    fn model(&self) -> &str {
        &self.model
    }

    fn max_batch(&self) -> usize {
        1
    }

    async fn embed(&self, _: Purpose, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbedError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        Err(self.error.clone())
    }

    fn may_answer(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_checked_for_count_dimension_and_norm() {
        let good = vec![vec![3.0; DIMENSIONS]];
        let v = checked(1, good).unwrap();
        let norm: f32 = v[0].iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5);

        assert!(matches!(
            checked(2, vec![vec![1.0; DIMENSIONS]]),
            Err(EmbedError::Unexpected { .. })
        ));
        let short = checked(1, vec![vec![1.0; 1536]]).unwrap_err();
        assert_eq!(
            short.to_string(),
            "the embedding service answered unexpectedly: a vector of 1536 dimensions, expected 384"
        );
        assert!(checked(1, vec![vec![0.0; DIMENSIONS]]).is_err());
        assert!(checked(1, vec![vec![f32::NAN; DIMENSIONS]]).is_err());
    }
}
