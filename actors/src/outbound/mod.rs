//! Sending: the account side of outbound messages. A conversation actor decides that a message may be
//! sent and queues it; the number's [`sender::Sender`] sends it under the number's limits and records
//! each attempt and its outcome back on the conversation.
//!
//! [`Outbox`] finds (or starts) the sender of a number. Only numbers with an access token can send.

pub mod pacing;
pub mod sender;

use crate::conversation::Conversation;
use crate::directory::StreamRouter;
use crate::graph::{AccessToken, GraphClient};
use crate::media_store::MediaStore;
use crate::tasks::Tasks;
use ractor::{Actor, ActorRef};
use sender::{Job, Sender, SenderArgs, SenderConfig, SenderMsg};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;

/// How long a sender may take to stop: it only schedules, so this is ample.
const SENDER_STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// The number has no access token: nothing can be sent from it.
#[derive(Debug, Clone, thiserror::Error)]
#[error("number {0} has no access token configured, so nothing can be sent from it")]
pub struct NotConnected(pub String);

/// The senders of this node, one per number, started on first use.
#[derive(Clone)]
pub struct Outbox {
    senders: Arc<Mutex<HashMap<String, ActorRef<SenderMsg>>>>,
    tokens: Arc<std::sync::RwLock<HashMap<String, AccessToken>>>,
    graph: GraphClient,
    conversations: StreamRouter<Conversation>,
    media: MediaStore,
    config: SenderConfig,
    /// Where the senders run their sends, so shutdown waits for each to record its outcome.
    tasks: Tasks,
}

impl Outbox {
    /// `tokens`: the access token of each number that can send, by phone-number id.
    pub fn new(
        tokens: HashMap<String, AccessToken>,
        graph: GraphClient,
        conversations: StreamRouter<Conversation>,
        media: MediaStore,
        config: SenderConfig,
        tasks: Tasks,
    ) -> Self {
        Self {
            senders: Arc::default(),
            tokens: Arc::new(std::sync::RwLock::new(tokens)),
            graph,
            conversations,
            media,
            config,
            tasks,
        }
    }

    fn tokens(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, AccessToken>> {
        self.tokens.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether messages can be sent from this number.
    pub fn can_send(&self, phone_number_id: &str) -> bool {
        self.tokens().contains_key(phone_number_id)
    }

    /// The access token of a number (for media downloads and management calls).
    pub fn token(&self, phone_number_id: &str) -> Option<AccessToken> {
        self.tokens().get(phone_number_id).cloned()
    }

    /// Replaces the numbers' tokens (an account added, a token rotated or removed). The sender of a
    /// number whose token changed stops; the next message starts one with the new token.
    pub async fn set_tokens(&self, tokens: HashMap<String, AccessToken>) {
        let changed: Vec<String> = {
            let mut current = self.tokens.write().unwrap_or_else(|e| e.into_inner());
            let changed = current
                .iter()
                .filter(|(id, token)| {
                    tokens.get(*id).map(AccessToken::expose) != Some(token.expose())
                })
                .map(|(id, _)| id.clone())
                .collect();
            *current = tokens;
            changed
        };
        let mut senders = self.senders.lock().await;
        for id in changed {
            if let Some(sender) = senders.remove(&id) {
                sender.stop(Some("access token changed".into()));
            }
        }
    }

    pub fn graph(&self) -> &GraphClient {
        &self.graph
    }

    /// Hands a queued message to its number's sender. Enqueueing a message twice sends it once.
    pub async fn enqueue(&self, phone_number_id: &str, job: Job) -> Result<(), NotConnected> {
        let sender = self.sender(phone_number_id).await?;
        if sender.cast(SenderMsg::Enqueue(job.clone())).is_err() {
            // The sender stopped (it only does on shutdown or a bug): start a new one and try once more.
            self.senders.lock().await.remove(phone_number_id);
            let sender = self.sender(phone_number_id).await?;
            let _ = sender.cast(SenderMsg::Enqueue(job));
        }
        Ok(())
    }

    async fn sender(&self, phone_number_id: &str) -> Result<ActorRef<SenderMsg>, NotConnected> {
        let token = self
            .token(phone_number_id)
            .ok_or_else(|| NotConnected(phone_number_id.to_owned()))?;
        let mut senders = self.senders.lock().await;
        if let Some(sender) = senders.get(phone_number_id) {
            return Ok(sender.clone());
        }
        let args = SenderArgs {
            phone_number_id: phone_number_id.to_owned(),
            token,
            graph: self.graph.clone(),
            conversations: self.conversations.clone(),
            media: self.media.clone(),
            config: self.config.clone(),
            tasks: self.tasks.clone(),
        };
        let (sender, _) = Actor::spawn(None, Sender, args).await.map_err(|e| {
            tracing::error!(error = %e, "cannot start a sender");
            NotConnected(phone_number_id.to_owned())
        })?;
        senders.insert(phone_number_id.to_owned(), sender.clone());
        Ok(sender)
    }

    /// Stops every sender and waits until each has, so no send starts after this returns. Sends under
    /// way go on in their tasks until they record their outcome (wait for them with [`Tasks::wait`]);
    /// what is still queued stays queued in the event store and is sent after the next start.
    pub async fn stop(&self) {
        let senders: Vec<_> = self.senders.lock().await.drain().collect();
        for (_, sender) in senders {
            if let Err(e) = sender
                .stop_and_wait(Some("shutting down".into()), Some(SENDER_STOP_TIMEOUT))
                .await
            {
                tracing::warn!(error = %e, "a sender did not stop in time");
            }
        }
    }
}
