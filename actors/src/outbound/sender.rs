//! One sender actor per WhatsApp number: it sends the number's queued messages under the number's
//! throughput (a token bucket), one message at a time per conversation (so a customer gets them in order,
//! and a throttled customer does not hold up the others), and records every attempt and outcome on the
//! conversation's stream.
//!
//! The actor only schedules; each send runs in a task of its own and reports back, so a slow Graph call
//! never stops the number's other conversations. Those tasks are tracked ([`Tasks`]): once the node is
//! stopping, no new attempt is claimed, and shutdown waits for the attempts under way to record their
//! outcome, so a message Meta accepted is never sent again after the restart.

use super::pacing::{jitter, RetryPolicy, TokenBucket};
use crate::conversation::outbound::{AttemptFailed, DeliveryFact, MessageSent, SendFailed};
use crate::conversation::{Conversation, ConversationFact};
use crate::directory::StreamRouter;
use crate::event::{EventMetadata, StreamId};
use crate::graph::{AccessToken, CallError, GraphClient, OutboundMessage};
use crate::media_store::MediaStore;
use crate::tasks::Tasks;
use chrono::Utc;
use futures::FutureExt;
use ractor::{Actor, ActorProcessingErr, ActorRef};
use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Duration;
use tokio::time::Instant;
use uuid::Uuid;

/// Settings shared by every number's sender.
#[derive(Debug, Clone)]
pub struct SenderConfig {
    /// Messages per second per number (Meta's default throughput is 80).
    pub rate_per_second: f64,
    /// The least time between two messages to the same conversation.
    pub recipient_gap: Duration,
    /// How long an attempt's claim holds before another sender may take the message over.
    pub lease: Duration,
    pub retry: RetryPolicy,
}

impl Default for SenderConfig {
    fn default() -> Self {
        Self {
            rate_per_second: 80.0,
            recipient_gap: Duration::from_millis(250),
            lease: Duration::from_secs(120),
            retry: RetryPolicy::default(),
        }
    }
}

/// A queued message to send.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Job {
    pub conversation: StreamId,
    pub message_id: Uuid,
}

pub enum SenderMsg {
    Enqueue(Job),
    /// Timer: tokens or a conversation's pause may be available again.
    Wake,
    /// A send task is done with a job.
    Finished {
        job: Job,
        next: Next,
    },
}

/// What happens to a job after a send task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Sent, failed for good, or not ours to send.
    Done,
    /// Look at it again at this time.
    RetryAt(Instant),
}

pub struct SenderArgs {
    pub phone_number_id: String,
    pub token: AccessToken,
    pub graph: GraphClient,
    pub conversations: StreamRouter<Conversation>,
    pub media: MediaStore,
    pub config: SenderConfig,
    pub tasks: Tasks,
}

/// The shared, read-only part a send task needs.
#[derive(Clone)]
struct Context {
    phone_number_id: String,
    token: AccessToken,
    graph: GraphClient,
    conversations: StreamRouter<Conversation>,
    media: MediaStore,
    config: SenderConfig,
    tasks: Tasks,
}

#[derive(Default)]
struct ConversationQueue {
    jobs: VecDeque<Job>,
    busy: bool,
    not_before: Option<Instant>,
}

pub struct SenderState {
    context: Context,
    bucket: TokenBucket,
    queues: HashMap<StreamId, ConversationQueue>,
    /// Jobs queued or being sent, so a message nudged twice is sent once.
    known: HashSet<Uuid>,
    wake_at: Option<Instant>,
}

pub struct Sender;

impl Actor for Sender {
    type Msg = SenderMsg;
    type State = SenderState;
    type Arguments = SenderArgs;

    async fn pre_start(
        &self,
        _: ActorRef<SenderMsg>,
        args: SenderArgs,
    ) -> Result<SenderState, ActorProcessingErr> {
        Ok(SenderState {
            bucket: TokenBucket::new(args.config.rate_per_second, Instant::now()),
            context: Context {
                phone_number_id: args.phone_number_id,
                token: args.token,
                graph: args.graph,
                conversations: args.conversations,
                media: args.media,
                config: args.config,
                tasks: args.tasks,
            },
            queues: HashMap::new(),
            known: HashSet::new(),
            wake_at: None,
        })
    }

    async fn handle(
        &self,
        myself: ActorRef<SenderMsg>,
        msg: SenderMsg,
        state: &mut SenderState,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            SenderMsg::Enqueue(job) => {
                if state.known.insert(job.message_id) {
                    state
                        .queues
                        .entry(job.conversation.clone())
                        .or_default()
                        .jobs
                        .push_back(job);
                    metrics::gauge!("inbox_outbound_queued").increment(1.0);
                }
            }
            SenderMsg::Wake => state.wake_at = None,
            SenderMsg::Finished { job, next } => {
                let gap = state.context.config.recipient_gap;
                let queue = state.queues.entry(job.conversation.clone()).or_default();
                queue.busy = false;
                match next {
                    Next::Done => {
                        state.known.remove(&job.message_id);
                        queue.not_before = Some(Instant::now() + gap);
                        metrics::gauge!("inbox_outbound_queued").decrement(1.0);
                    }
                    Next::RetryAt(at) => {
                        // Stays first: later messages to the same customer wait, to keep the order.
                        queue.not_before = Some(at.max(Instant::now() + gap));
                        queue.jobs.push_front(job);
                    }
                }
            }
        }
        state.pump(&myself);
        Ok(())
    }
}

impl SenderState {
    /// Starts every send that may start now, and sets a timer for the next one that may start later.
    fn pump(&mut self, myself: &ActorRef<SenderMsg>) {
        let now = Instant::now();
        let mut next_wake: Option<Instant> = None;
        let mut emptied = Vec::new();
        for (conversation, queue) in self.queues.iter_mut() {
            if queue.busy {
                continue;
            }
            if queue.jobs.is_empty() {
                if queue.not_before.is_none_or(|t| t <= now) {
                    emptied.push(conversation.clone());
                }
                continue;
            }
            if let Some(t) = queue.not_before.filter(|t| *t > now) {
                next_wake = Some(next_wake.map_or(t, |w| w.min(t)));
                continue;
            }
            if !self.bucket.try_take(now) {
                let t = self.bucket.next_token_at(now);
                next_wake = Some(next_wake.map_or(t, |w| w.min(t)));
                break;
            }
            let Some(job) = queue.jobs.pop_front() else {
                continue;
            };
            queue.busy = true;
            let context = self.context.clone();
            let reply = myself.clone();
            let what = format!("sending message {}", job.message_id);
            self.context.tasks.spawn(what, async move {
                // A panic must not leave the conversation marked busy for good: look again later.
                let next = std::panic::AssertUnwindSafe(context.send(&job))
                    .catch_unwind()
                    .await
                    .unwrap_or_else(|_| {
                        tracing::error!(message_id = %job.message_id, "sending panicked; trying again later");
                        Next::RetryAt(Instant::now() + BUSY_ELSEWHERE)
                    });
                let _ = reply.cast(SenderMsg::Finished { job, next });
            });
        }
        for conversation in emptied {
            self.queues.remove(&conversation);
        }
        if let Some(at) = next_wake {
            if self.wake_at.is_none_or(|w| at < w) {
                self.wake_at = Some(at);
                let delay = at.saturating_duration_since(now);
                myself.send_after(delay, || SenderMsg::Wake);
            }
        }
    }
}

/// How long to wait before looking again at a message another sender is working on.
const BUSY_ELSEWHERE: Duration = Duration::from_secs(5);
/// Attempts to record an outcome while the event store is failing.
const RECORD_TRIES: u32 = 5;

impl Context {
    /// One pass over one job: claim an attempt, send, record what happened.
    async fn send(&self, job: &Job) -> Next {
        let conversation = match self.conversations.inspect(job.conversation.clone()).await {
            Ok((conversation, _)) => conversation,
            Err(e) => {
                tracing::warn!(error = %e, stream = %job.conversation, "cannot read the conversation to send; trying again");
                return Next::RetryAt(Instant::now() + BUSY_ELSEWHERE);
            }
        };
        let Some(pending) = conversation.outgoing(&job.message_id).cloned() else {
            // Sent or failed already (or not queued at all).
            return Next::Done;
        };
        let now = Utc::now();
        if let Some(retry_at) = pending.retry_at.filter(|t| *t > now) {
            return Next::RetryAt(instant_at(retry_at));
        }
        let lease = chrono::Duration::from_std(self.config.lease).unwrap_or(chrono::Duration::MAX);
        if let Some(since) = pending.in_flight_since.filter(|s| now - *s < lease) {
            return Next::RetryAt(instant_at(since + lease));
        }
        if self.tasks.is_stopping() {
            // Left unclaimed, it is sent after the restart; a new attempt now would only lengthen the stop.
            return Next::RetryAt(Instant::now() + BUSY_ELSEWHERE);
        }
        let claim = ConversationFact::Delivery(DeliveryFact::Attempt {
            message_id: job.message_id,
            at: now,
            lease,
        });
        match self
            .conversations
            .record(job.conversation.clone(), vec![claim], self.metadata(job))
            .await
        {
            Ok(outcome) if outcome.appended == 1 => {}
            Ok(_) => return Next::RetryAt(Instant::now() + BUSY_ELSEWHERE),
            Err(e) => {
                tracing::warn!(error = %e, stream = %job.conversation, "cannot claim a send attempt; trying again");
                return Next::RetryAt(Instant::now() + BUSY_ELSEWHERE);
            }
        }
        let attempt = pending.attempts + 1;
        let started = std::time::Instant::now();
        let result = self.call(&pending.message).await;
        metrics::histogram!("inbox_outbound_send_seconds").record(started.elapsed().as_secs_f64());
        let at = Utc::now();
        let (fact, next) = match result {
            Ok(response) => {
                metrics::counter!("inbox_outbound_sent_total").increment(1);
                (
                    DeliveryFact::Sent(MessageSent {
                        message_id: job.message_id,
                        attempt,
                        at,
                        wamid: response.wamid,
                        wa_id: response.wa_id,
                    }),
                    Next::Done,
                )
            }
            Err(error) if self.config.retry.retries_after(attempt, &error) => {
                let delay = self.config.retry.delay(attempt, &error, jitter());
                metrics::counter!("inbox_outbound_retries_total").increment(1);
                tracing::info!(%error, attempt, delay_ms = delay.as_millis() as u64, message_id = %job.message_id, "send failed; retrying");
                let retry_at = at + chrono::Duration::from_std(delay).unwrap_or_default();
                (
                    DeliveryFact::AttemptFailed(AttemptFailed {
                        message_id: job.message_id,
                        attempt,
                        at,
                        error,
                        retry_at,
                    }),
                    Next::RetryAt(Instant::now() + delay),
                )
            }
            Err(error) => {
                metrics::counter!("inbox_outbound_failed_total").increment(1);
                tracing::warn!(%error, attempt, message_id = %job.message_id, "send failed for good");
                let remedy = match &error {
                    CallError::Api(e) => e.remedy().map(str::to_owned),
                    _ => None,
                };
                (
                    DeliveryFact::Failed(SendFailed {
                        message_id: job.message_id,
                        attempt,
                        at,
                        error,
                        remedy,
                    }),
                    Next::Done,
                )
            }
        };
        self.record_outcome(job, fact).await;
        next
    }

    /// Uploads the message's file when it has one from the media store, then sends.
    async fn call(
        &self,
        message: &OutboundMessage,
    ) -> Result<crate::graph::SendResponse, CallError> {
        let uploaded = match message.content.media().and_then(|m| m.media_id.as_deref()) {
            Some(id) => Some(self.upload(id).await?),
            None => None,
        };
        self.graph
            .send_message(
                &self.token,
                &self.phone_number_id,
                message,
                uploaded.as_deref(),
            )
            .await
    }

    async fn upload(&self, media_id: &str) -> Result<String, CallError> {
        let (media, bytes) = match self.media.read(media_id).await {
            Ok(Some(found)) => found,
            Ok(None) => {
                return Err(CallError::Refused {
                    message: format!("media {media_id} is not in the media store"),
                })
            }
            Err(e) => {
                return Err(CallError::Transport {
                    message: format!("reading media {media_id}: {e}"),
                })
            }
        };
        let filename = media.filename.clone().unwrap_or_else(|| media.id.clone());
        self.graph
            .upload_media(
                &self.token,
                &self.phone_number_id,
                bytes,
                &media.mime_type,
                &filename,
            )
            .await
    }

    /// Records an outcome, retrying while the store fails: the message must not be sent again because
    /// its outcome was lost.
    async fn record_outcome(&self, job: &Job, fact: DeliveryFact) {
        let mut wait = Duration::from_millis(200);
        for _ in 0..RECORD_TRIES {
            match self
                .conversations
                .record(
                    job.conversation.clone(),
                    vec![ConversationFact::Delivery(fact.clone())],
                    self.metadata(job),
                )
                .await
            {
                Ok(_) => return,
                Err(e) => {
                    tracing::warn!(error = %e, stream = %job.conversation, "cannot record a send outcome; trying again");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(10));
                }
            }
        }
        tracing::error!(message_id = %job.message_id, stream = %job.conversation, "gave up recording a send outcome; the message may be sent again after its claim expires");
    }

    fn metadata(&self, job: &Job) -> EventMetadata {
        EventMetadata::policy(job.message_id, "outbound sender")
    }
}

/// The monotonic instant matching a wall-clock time (now when it is past).
fn instant_at(at: chrono::DateTime<Utc>) -> Instant {
    let wait = (at - Utc::now()).to_std().unwrap_or_default();
    Instant::now() + wait
}
