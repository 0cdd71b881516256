//! Fetches the files of media messages from Meta soon after they arrive (Meta's links expire after five
//! minutes and its media ids after seven days), stores them in the media store, and records the outcome
//! on the conversation. A policy reacting to the inbox view, like [`super::sending`]: never inside the
//! webhook request, and picked up again after a restart.

use crate::workers::policy::Sweep;
use actors::conversation::id::ConversationId;
use actors::conversation::outbound::{MediaFact, MediaFailed, MediaStored};
use actors::conversation::{Conversation, ConversationFact};
use actors::directory::StreamRouter;
use actors::event::EventMetadata;
use actors::graph::media::MAX_MEDIA_BYTES;
use actors::media_store::MediaStore;
use actors::outbound::Outbox;
use actors::tasks::Tasks;
use chrono::Utc;
use projections::live::Checkpoints;
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

/// Downloads at once, so a burst of photos does not take every connection.
const PARALLEL: usize = 4;
const BATCH: i64 = 200;

#[derive(Clone)]
pub struct MediaFetcher {
    pub pool: PgPool,
    pub outbox: Outbox,
    pub media: MediaStore,
    pub conversations: StreamRouter<Conversation>,
    /// Where downloads run, so shutdown waits for each to record its outcome.
    pub tasks: Tasks,
}

/// Messages being fetched, or waiting until this instant after a failure worth retrying.
type Busy = Arc<Mutex<HashMap<(String, String), Option<Instant>>>>;

/// The fetcher with what it remembers between looks.
struct Sweeper {
    fetcher: MediaFetcher,
    busy: Busy,
    permits: Arc<Semaphore>,
}

impl Sweep for Sweeper {
    const WHAT: &'static str = "media to fetch";

    async fn sweep(&mut self) -> anyhow::Result<()> {
        self.fetcher.sweep(&self.busy, &self.permits).await
    }
}

impl MediaFetcher {
    pub fn start(self, checkpoints: Checkpoints) -> JoinHandle<()> {
        let tasks = self.tasks.clone();
        let sweeper = Sweeper {
            fetcher: self,
            busy: Arc::default(),
            permits: Arc::new(Semaphore::new(PARALLEL)),
        };
        crate::workers::policy::follow_inbox(checkpoints, &tasks, sweeper)
    }

    async fn sweep(&self, busy: &Busy, permits: &Arc<Semaphore>) -> anyhow::Result<()> {
        let rows = projections::inbox::queries::pending_media(&self.pool, BATCH).await?;
        {
            // Forget waits for messages no longer pending (fetched by another node meanwhile).
            let pending: std::collections::HashSet<(&str, &str)> = rows
                .iter()
                .map(|r| (r.conversation_id.as_str(), r.message_id.as_str()))
                .collect();
            let mut busy = busy.lock().unwrap_or_else(|e| e.into_inner());
            busy.retain(|(c, m), wait| {
                wait.is_none() || pending.contains(&(c.as_str(), m.as_str()))
            });
        }
        for row in rows {
            let Some(media_id) = row.media_id else {
                continue;
            };
            let key = (row.conversation_id.clone(), row.message_id.clone());
            {
                let mut busy = busy.lock().unwrap_or_else(|e| e.into_inner());
                match busy.get(&key) {
                    Some(None) => continue,
                    Some(Some(until)) if *until > Instant::now() => continue,
                    _ => {}
                }
                busy.insert(key.clone(), None);
            }
            let (fetcher, busy, permits) = (self.clone(), busy.clone(), permits.clone());
            let what = format!("fetching the media of {}", row.message_id);
            self.tasks.spawn(what, async move {
                let _permit = permits.acquire().await;
                if fetcher.tasks.is_stopping() {
                    // Not started: it is fetched after the restart.
                    return;
                }
                let retry = fetcher
                    .fetch(&row.conversation_id, &row.message_id, &media_id)
                    .await;
                let mut busy = busy.lock().unwrap_or_else(|e| e.into_inner());
                match retry {
                    Some(after) => busy.insert(key, Some(Instant::now() + after)),
                    None => busy.remove(&key),
                };
            });
        }
        Ok(())
    }

    /// Fetches one file and records the outcome; `Some(wait)` when it is worth trying again later.
    async fn fetch(&self, conversation_id: &str, wamid: &str, media_id: &str) -> Option<Duration> {
        let conversation = ConversationId::parse(conversation_id).ok()?;
        let account = conversation.account();
        let Some(token) = self.outbox.token(account) else {
            // Without a token nothing can be fetched; look again when the settings may have changed.
            return Some(Duration::from_secs(600));
        };
        let fetched = self
            .outbox
            .graph()
            .fetch_media(&token, media_id, MAX_MEDIA_BYTES)
            .await;
        let at = Utc::now();
        let fact = match fetched {
            Ok((info, file)) => {
                let mime = info
                    .mime_type
                    .or(file.mime_type)
                    .unwrap_or_else(|| "application/octet-stream".to_owned());
                match self.media.put(&file.bytes, &mime, None).await {
                    Ok(stored) => {
                        if info.sha256.as_deref().is_some_and(|sha| sha != stored.id) {
                            tracing::warn!(
                                wamid,
                                "the file's SHA-256 differs from the one Meta gave"
                            );
                        }
                        metrics::counter!("inbox_media_fetched_total").increment(1);
                        MediaFact::Stored(MediaStored {
                            wamid: wamid.to_owned(),
                            media_id: media_id.to_owned(),
                            at,
                            file: stored,
                        })
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "cannot write to the media store");
                        return Some(Duration::from_secs(30));
                    }
                }
            }
            Err(e) if e.is_retryable() => {
                tracing::info!(error = %e, wamid, "media fetch failed; trying again later");
                return Some(Duration::from_secs(10));
            }
            Err(error) => {
                metrics::counter!("inbox_media_failed_total").increment(1);
                tracing::warn!(%error, wamid, "media cannot be fetched");
                MediaFact::Failed(MediaFailed {
                    wamid: wamid.to_owned(),
                    media_id: media_id.to_owned(),
                    at,
                    error,
                })
            }
        };
        let correlation = actors::event::derived_event_id("media", wamid);
        match self
            .conversations
            .record(
                conversation.stream(),
                vec![ConversationFact::Media(fact)],
                EventMetadata::policy(correlation, "media fetcher"),
            )
            .await
        {
            Ok(_) => None,
            Err(e) => {
                tracing::warn!(error = %e, "cannot record a fetched file; trying again");
                Some(Duration::from_secs(5))
            }
        }
    }
}
