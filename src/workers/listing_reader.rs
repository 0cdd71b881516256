//! A model reads the watch listings the rules were unsure of. It follows the listings view: a message
//! written lately whose rules reading has a confidence under `INBOX_LISTINGS_MODEL_BELOW` is given to the
//! bot's model with a structured answer asked for, and its reading is recorded on the conversation as
//! `watch.detected` with method `llm`, which the views prefer to the rules' of the same extractor
//! version. The conversation records one model reading per message, so two nodes reading the same
//! message record it once. A failed reading is tried again an hour later; the rules' reading stays
//! meanwhile.

use crate::workers::policy::Sweep;
use actors::conversation::events::WatchDetected;
use actors::conversation::id::ConversationId;
use actors::conversation::{Conversation, ConversationFact};
use actors::directory::StreamRouter;
use actors::event::EventMetadata;
use actors::listings::{model, ReadingMethod};
use actors::llm::{self, ChatModel};
use chrono::Utc;
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// Messages read per look; the next look follows at once when there were more.
const PER_SWEEP: i64 = 8;
/// Only messages written this recently: switching a model on does not send a number's whole past to it.
const WINDOW: chrono::Duration = chrono::Duration::hours(72);
/// A message whose reading failed is left alone this long.
const RETRY_AFTER: Duration = Duration::from_secs(3600);

pub struct ListingReader {
    pub pool: PgPool,
    pub conversations: StreamRouter<Conversation>,
    pub model: Arc<dyn ChatModel>,
    /// Rules readings under this confidence are given to the model.
    pub below: f32,
    pub stopping: CancellationToken,
    /// Messages this node tried lately, by `conversation message`.
    tried: HashMap<String, Instant>,
}

impl ListingReader {
    pub fn new(
        pool: PgPool,
        conversations: StreamRouter<Conversation>,
        model: Arc<dyn ChatModel>,
        below: f32,
        stopping: CancellationToken,
    ) -> Self {
        ListingReader {
            pool,
            conversations,
            model,
            below,
            stopping,
            tried: HashMap::new(),
        }
    }

    /// Reads one message; records the reading unless the model failed or its answer was unusable.
    async fn read(
        &self,
        m: &projections::listings::queries::Unsure,
    ) -> anyhow::Result<&'static str> {
        let answer = match self.model.generate(&model::request(&m.text)).await {
            Ok(answer) => answer,
            Err(e) => {
                tracing::warn!(error = %e, message = %m.message_id, "the model cannot read a listing");
                return Ok(e.code());
            }
        };
        let extraction = match llm::parse_json_answer(&answer.text)
            .map_err(|e| e.to_string())
            .and_then(|value| model::reading(&value, &m.text))
        {
            Ok(extraction) => extraction,
            Err(e) => {
                tracing::warn!(error = %e, message = %m.message_id, "the model's reading of a listing is unusable");
                return Ok("unusable");
            }
        };
        let id = ConversationId::parse(&m.conversation_id)?;
        let reading = WatchDetected {
            message_id: m.message_id.clone(),
            via: None,
            direction: m.direction.clone(),
            at: Some(m.written_at),
            extractor_version: u32::try_from(m.extractor_version).unwrap_or_default(),
            extraction,
            method: ReadingMethod::Llm,
            model: Some(format!("{}:{}", self.model.provider(), self.model.model())),
        };
        let recorded = self
            .conversations
            .record(
                id.stream(),
                vec![ConversationFact::ModelReading(reading)],
                EventMetadata::policy(uuid::Uuid::new_v4(), "listings model"),
            )
            .await?;
        Ok(if recorded.appended > 0 {
            "recorded"
        } else {
            "already_read"
        })
    }
}

impl Sweep for ListingReader {
    const WHAT: &'static str = "listings to read with the model";

    async fn sweep(&mut self) -> anyhow::Result<()> {
        loop {
            self.tried.retain(|_, at| at.elapsed() < RETRY_AFTER);
            let skip: Vec<String> = self.tried.keys().cloned().collect();
            let unsure = projections::listings::queries::unsure(
                &self.pool,
                self.below,
                Utc::now() - WINDOW,
                &skip,
                PER_SWEEP,
            )
            .await?;
            for m in &unsure {
                if self.stopping.is_cancelled() {
                    return Ok(());
                }
                self.tried.insert(
                    format!("{} {}", m.conversation_id, m.message_id),
                    Instant::now(),
                );
                let outcome = self.read(m).await?;
                metrics::counter!("inbox_listings_model_readings_total", "outcome" => outcome)
                    .increment(1);
            }
            if i64::try_from(unsure.len()).unwrap_or(0) < PER_SWEEP {
                return Ok(());
            }
        }
    }
}
