//! Search beside the read side: the embedding model the server uses (chosen by configuration), the
//! vectors of recent queries, and `inbox search reindex`.

pub mod reindex;

use crate::config::EmbeddingSettings;
use actors::embeddings::{EmbedError, Embedder, NoEmbedder, Purpose, Unavailable};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// How many query vectors are kept (a query typed again, or paged through, is not embedded again).
const QUERY_CACHE: usize = 512;

/// The embedding model and what search keeps of it.
pub struct SearchService {
    pub embedder: Arc<dyn Embedder>,
    queries: Mutex<HashMap<String, Vec<f32>>>,
}

impl SearchService {
    pub fn new(embedder: Arc<dyn Embedder>) -> Self {
        Self {
            embedder,
            queries: Mutex::default(),
        }
    }

    /// The vector of a search query (embedded as a query, not a passage).
    pub async fn query_vector(&self, text: &str) -> Result<Vec<f32>, EmbedError> {
        if let Some(v) = self.queries.lock().ok().and_then(|c| c.get(text).cloned()) {
            return Ok(v);
        }
        let vector = self
            .embedder
            .embed(Purpose::Query, &[text.to_owned()])
            .await?
            .pop()
            .ok_or_else(|| EmbedError::Unexpected {
                message: "no vector for the query".to_owned(),
            })?;
        if let Ok(mut cache) = self.queries.lock() {
            if cache.len() >= QUERY_CACHE {
                cache.clear();
            }
            cache.insert(text.to_owned(), vector.clone());
        }
        Ok(vector)
    }
}

/// The embedding model the settings name. A model that cannot be loaded or configured is not a reason
/// to stop the server: every call to it then fails with the reason, which `/health` shows, and keyword
/// search carries on.
pub async fn embedder(settings: &EmbeddingSettings) -> Arc<dyn Embedder> {
    use actors::embeddings::gemini::{GeminiConfig, GeminiEmbedder};
    use actors::embeddings::openai::{ApiKey, OpenAiConfig, OpenAiEmbedder};
    let key = |k: &Option<crate::config::Secret>| k.as_ref().map(|k| ApiKey::new(k.expose()));
    let built: Result<Arc<dyn Embedder>, (String, EmbedError)> = match settings {
        EmbeddingSettings::None => Ok(Arc::new(NoEmbedder)),
        EmbeddingSettings::Local {
            model_file,
            threads,
        } => {
            use actors::embeddings::local::LocalE5;
            let (path, threads) = (model_file.clone(), *threads);
            // Reading and checking 72 MB takes a moment: off the async threads.
            match tokio::task::spawn_blocking(move || LocalE5::load(&path, threads)).await {
                Ok(Ok(model)) => Ok(Arc::new(model) as Arc<dyn Embedder>),
                Ok(Err(e)) => Err((LocalE5::MODEL.to_owned(), e)),
                Err(e) => Err((
                    LocalE5::MODEL.to_owned(),
                    EmbedError::Model {
                        message: format!("loading stopped: {e}"),
                    },
                )),
            }
        }
        EmbeddingSettings::OpenAi(r) => OpenAiEmbedder::new(OpenAiConfig {
            base_url: r.base_url.clone(),
            api_key: key(&r.api_key),
            model: r.model.clone(),
            send_dimensions: r.send_dimensions,
            purpose_hint: r.purpose_hint,
            timeout: r.timeout,
            ..OpenAiConfig::default()
        })
        .map(|e| Arc::new(e) as Arc<dyn Embedder>)
        .map_err(|e| (format!("openai:{}", r.model), config_error(e))),
        EmbeddingSettings::Gemini(r) => match key(&r.api_key) {
            None => Err((
                format!("gemini:{}", r.model),
                EmbedError::Refused {
                    message: "no API key is configured".to_owned(),
                },
            )),
            Some(api_key) => GeminiEmbedder::new(GeminiConfig {
                base_url: r.base_url.clone(),
                model: r.model.clone(),
                timeout: r.timeout,
                ..GeminiConfig::new(api_key)
            })
            .map(|e| Arc::new(e) as Arc<dyn Embedder>)
            .map_err(|e| (format!("gemini:{}", r.model), config_error(e))),
        },
    };
    built.unwrap_or_else(|(model, error)| {
        tracing::error!(%model, %error, "the embedding model cannot be used; keyword search only");
        Arc::new(Unavailable::new(model, error))
    })
}

fn config_error(e: impl std::fmt::Display) -> EmbedError {
    EmbedError::Model {
        message: e.to_string(),
    }
}
