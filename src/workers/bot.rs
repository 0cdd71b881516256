//! Bot turns: one per burst of customer messages, exactly once. It follows the bot view; a customer
//! message the bot has not answered waits `INBOX_BOT_DEBOUNCE_MS` (more may come), then a turn is
//! claimed on the conversation (so two nodes, or a restart, never answer twice), the model is asked, and
//! the outcome is recorded: a reply, or a hand-over that sends the fallback phrase, switches the bot off
//! there and sends a summary to the escalation number. A turn whose node died is taken again once its
//! lease runs out; its outcome is accepted only for the claim that is current.

use crate::bot::BotService;
use actors::account::Account;
use actors::bot::events::{message_id, MessageTranscribed, TurnDetails};
use actors::bot::settings::BotSettings;
use actors::bot::{EscalationReason, Reading, Summary, Verdict};
use actors::conversation::id::ConversationId;
use actors::conversation::outbound::SendCommand;
use actors::conversation::{BotFact, Conversation, ConversationFact, Recipient};
use actors::directory::StreamRouter;
use actors::event::{EventMetadata, StreamId};
use actors::media_store::MediaStore;
use actors::tasks::Tasks;
use chrono::Utc;
use projections::bot::BotProjection;
use projections::inbox::InboxProjection;
use projections::live::Checkpoints;
use sqlx::PgPool;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinHandle;

const BATCH: i64 = 200;
/// Looked at this often even when nothing moves (a lease running out).
const SWEEP_EVERY: Duration = Duration::from_secs(30);
/// How long a turn waits for the inbox view to show the messages it answers.
const VIEW_WAIT: Duration = Duration::from_secs(10);

/// The message each conversation's last turn on this node answered, and when it began.
type Tried = std::collections::HashMap<String, (String, std::time::Instant)>;

/// What a turn needs; cloned into each.
#[derive(Clone)]
pub struct BotWorker {
    pub pool: PgPool,
    pub checkpoints: Checkpoints,
    pub conversations: StreamRouter<Conversation>,
    pub accounts: StreamRouter<Account>,
    pub media: MediaStore,
    pub bot: Arc<BotService>,
    /// The search embedder: the knowledge base is retrieved with it.
    pub embedder: Arc<dyn actors::embeddings::Embedder>,
    pub tasks: Tasks,
}

impl BotWorker {
    /// Follows the bot view until the node stops.
    pub fn start(self) -> JoinHandle<()> {
        let tasks = self.tasks.clone();
        tasks.spawn("bot turns", self.follow())
    }

    async fn follow(self) {
        let Some(mut moved) = self.checkpoints.watch(BotProjection::NAME) else {
            tracing::error!("no bot projection to follow");
            return;
        };
        let stopping = self.tasks.stopping().clone();
        let busy: Arc<Mutex<HashSet<String>>> = Arc::default();
        let mut tried = Tried::default();
        let finished = Arc::new(Notify::new());
        let permits = Arc::new(Semaphore::new(self.bot.settings.concurrency));
        loop {
            let wake = match self.sweep(&busy, &mut tried, &finished, &permits).await {
                Ok(wake) => wake,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot look for bot turns; trying again");
                    Some(Duration::from_secs(1))
                }
            };
            tokio::select! {
                _ = stopping.cancelled() => return,
                _ = tokio::time::sleep(wake.unwrap_or(SWEEP_EVERY).min(SWEEP_EVERY)) => {}
                changed = moved.changed() => if changed.is_err() { return },
                _ = finished.notified() => {}
            }
        }
    }

    /// Starts the turns that are due; returns how long until the next one is.
    async fn sweep(
        &self,
        busy: &Arc<Mutex<HashSet<String>>>,
        tried: &mut Tried,
        finished: &Arc<Notify>,
        permits: &Arc<Semaphore>,
    ) -> anyhow::Result<Option<Duration>> {
        let now = Utc::now();
        let lease = chrono::Duration::from_std(self.bot.settings.turn_lease)?;
        let waiting = projections::bot::queries::waiting(&self.pool, BATCH).await?;
        let debounce = chrono::Duration::from_std(self.bot.settings.debounce)?;
        let mut next: Option<Duration> = None;
        let lease_std = self.bot.settings.turn_lease;
        tried.retain(|_, (_, at)| at.elapsed() < lease_std);
        for w in waiting {
            // A turn this node took for the same message: the view has not caught up with its outcome
            // yet, or it failed and its claim holds until the lease runs out.
            if tried
                .get(&w.conversation_id)
                .is_some_and(|(message, _)| *message == w.latest_message_id)
            {
                continue;
            }
            // Customers write in bursts: wait for the last message of one. A turn claimed elsewhere (or
            // by this node before it restarted) holds until its lease runs out.
            let due = (w.latest_at + debounce).max(w.claimed_at.map_or(now, |at| at + lease));
            if due > now {
                let wait = (due - now).to_std().unwrap_or_default();
                next = Some(next.map_or(wait, |n| n.min(wait)));
                continue;
            }
            if !busy
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(w.conversation_id.clone())
            {
                continue;
            }
            let Ok(permit) = permits.clone().try_acquire_owned() else {
                busy.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(&w.conversation_id);
                break;
            };
            tried.insert(
                w.conversation_id.clone(),
                (w.latest_message_id.clone(), std::time::Instant::now()),
            );
            let (worker, busy, finished) = (self.clone(), busy.clone(), finished.clone());
            self.tasks
                .spawn(format!("bot turn in {}", w.conversation_id), async move {
                    if let Err(e) = worker.turn(&w.conversation_id).await {
                        tracing::warn!(error = %e, conversation = %w.conversation_id, "bot turn failed");
                    }
                    drop(permit);
                    busy.lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .remove(&w.conversation_id);
                    finished.notify_one();
                });
        }
        Ok(next)
    }

    /// Claims and takes one turn in a conversation.
    async fn turn(&self, conversation_id: &str) -> anyhow::Result<()> {
        let id = ConversationId::parse(conversation_id)?;
        let stream = id.stream();
        let turn_id = uuid::Uuid::new_v4();
        let metadata = EventMetadata::policy(turn_id, "bot");
        let claimed = self
            .conversations
            .record(
                stream.clone(),
                vec![ConversationFact::Bot(BotFact::Claim {
                    turn_id,
                    at: Utc::now(),
                    lease: chrono::Duration::from_std(self.bot.settings.turn_lease)?,
                })],
                metadata.clone(),
            )
            .await?;
        let Some(position) = claimed.last_position.filter(|_| claimed.appended > 0) else {
            // Answered meanwhile, switched off, or another node holds the turn.
            return Ok(());
        };
        metrics::counter!("inbox_bot_turns_total").increment(1);
        let (account, _) = self
            .accounts
            .inspect(StreamId::account(id.account()))
            .await?;
        let (version, settings) = account.bot();
        let (settings, number_name) = (
            settings.clone(),
            account
                .configuration()
                .and_then(|c| c.name.clone().or(c.phone_number.clone()))
                .unwrap_or_else(|| id.account().to_owned()),
        );
        let (conversation, _) = self.conversations.inspect(stream.clone()).await?;
        // The view shows the messages this turn answers once it reaches the claim.
        self.checkpoints
            .wait_for(InboxProjection::NAME, position, VIEW_WAIT)
            .await;
        let everywhere = projections::scope::AccountScope::All {
            except: Default::default(),
        };
        let Some(row) =
            projections::inbox::queries::conversation(&self.pool, conversation_id, &everywhere)
                .await?
        else {
            anyhow::bail!("the inbox does not show conversation {conversation_id} yet");
        };
        let recipient = Recipient {
            to: row
                .contact_wa_id
                .clone()
                .unwrap_or_else(|| row.contact_id.clone()),
            group: row.is_group,
        };
        let limit = i64::from(settings.history_messages) + 1;
        let mut page =
            projections::inbox::queries::messages_before(&self.pool, conversation_id, None, limit)
                .await?;
        // The team's private notes are not the customer's conversation: the model never reads them.
        page.rows.retain(|m| !crate::bot::is_note(m));
        let transcripts =
            projections::bot::queries::transcripts(&self.pool, conversation_id).await?;
        // The customer's messages of this burst: after the bot's or a person's last message.
        let burst_start = page
            .rows
            .iter()
            .rposition(|m| m.direction.as_deref() != Some("inbound"))
            .map_or(0, |i| i + 1);
        let burst = &page.rows[burst_start..];
        let mut history = Vec::new();
        let mut readable = false;
        let mut unheard = false;
        for m in &page.rows {
            let mut transcript = transcripts
                .iter()
                .find(|t| t.message_id == m.message_id)
                .map(|t| t.text.clone());
            let in_burst = burst.iter().any(|b| b.message_id == m.message_id);
            if in_burst {
                match crate::bot::reading(m) {
                    Reading::Words(_) => readable = true,
                    Reading::Audio if transcript.is_none() => {
                        transcript = self.transcribe(&stream, m, &metadata).await;
                        match transcript {
                            Some(_) => readable = true,
                            None => unheard = true,
                        }
                    }
                    Reading::Audio => readable = true,
                    Reading::Attachment | Reading::Nothing => {}
                }
            }
            history.push(crate::bot::history_message(m, transcript.as_deref()));
        }
        let now = Utc::now();
        let plain = |kind: &str, text: &str, details: TurnDetails| BotFact::Reply {
            turn_id,
            at: now,
            recipient: recipient.clone(),
            kind: kind.to_owned(),
            text: text.to_owned(),
            details,
        };
        let base = TurnDetails {
            playbook_version: version,
            ..Default::default()
        };
        let (fact, summary) = if actors::bot::too_many_replies(
            conversation.bot_replies(),
            now,
            &settings,
        ) {
            self.escalate(
                turn_id,
                &recipient,
                &settings,
                EscalationReason::TooManyReplies,
                None,
                None,
                base,
            )
        } else if !readable && unheard {
            self.escalate(
                turn_id,
                &recipient,
                &settings,
                EscalationReason::NotTranscribed,
                None,
                None,
                base,
            )
        } else if !readable {
            (plain("attachment", &settings.attachment_phrase, base), None)
        } else {
            let asked: Vec<&str> = history
                .iter()
                .rev()
                .take_while(|m| m.from_customer)
                .map(|m| m.text.as_str())
                .collect();
            let asked: Vec<&str> = asked.into_iter().rev().collect();
            let known = crate::bot::knowledge::retrieve(
                &self.pool,
                self.embedder.as_ref(),
                id.account(),
                &asked.join("\n"),
            )
            .await
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, "the knowledge base cannot be read; answering without it");
                vec![]
            });
            let judged = self.bot.answer(&settings, version, &history, &known).await;
            match judged.verdict {
                Verdict::Reply(text) => (plain("answer", &text, judged.details), None),
                Verdict::Escalate(reason) => self.escalate(
                    turn_id,
                    &recipient,
                    &settings,
                    reason,
                    judged.answer.map(|a| a.reply).filter(|r| !r.is_empty()),
                    judged.error,
                    judged.details,
                ),
            }
        };
        let outcome = self
            .conversations
            .record(
                stream.clone(),
                vec![ConversationFact::Bot(fact.clone())],
                metadata.clone(),
            )
            .await?;
        if outcome.appended == 0 {
            // The claim was no longer current (taken over after its lease): its outcome is not ours.
            return Ok(());
        }
        let outcome = match &fact {
            BotFact::Reply { .. } => {
                metrics::counter!("inbox_bot_replies_total").increment(1);
                "replied"
            }
            BotFact::Escalate { reason, .. } => {
                metrics::counter!("inbox_bot_escalations_total", "reason" => reason.as_str())
                    .increment(1);
                "escalated"
            }
            _ => "other",
        };
        // What the customer waits: from their last message of the burst to the bot's outcome, the
        // debounce included.
        if let Some(last) = burst.last() {
            let written = last.sent_at.unwrap_or(last.sort_at);
            let lag = (Utc::now() - written).to_std().unwrap_or_default();
            metrics::histogram!("inbox_bot_reply_lag_seconds", "outcome" => outcome)
                .record(lag.as_secs_f64());
        }
        if let (
            Some(number),
            BotFact::Escalate {
                reason,
                would_have_replied,
                details,
                ..
            },
        ) = (summary, &fact)
        {
            let last = burst
                .last()
                .map(|m| crate::bot::history_message(m, None).text)
                .unwrap_or_default();
            let text = Summary {
                number: &number_name,
                customer: &recipient.to,
                customer_name: row.contact_name.as_deref(),
                last_message: &last,
                reason: *reason,
                confidence: details.confidence,
                would_have_replied: would_have_replied.as_deref(),
                reasons: &details.reasons,
            }
            .text();
            self.send_summary(id.account(), &number, turn_id, &text, &metadata)
                .await;
        }
        Ok(())
    }

    /// The hand-over fact, and who gets the summary.
    #[allow(clippy::too_many_arguments)]
    fn escalate(
        &self,
        turn_id: uuid::Uuid,
        recipient: &Recipient,
        settings: &BotSettings,
        reason: EscalationReason,
        would_have_replied: Option<String>,
        error: Option<String>,
        details: TurnDetails,
    ) -> (BotFact, Option<String>) {
        let number = settings
            .escalation_number
            .clone()
            .or_else(|| self.bot.settings.backup_number.clone());
        (
            BotFact::Escalate {
                turn_id,
                at: Utc::now(),
                recipient: recipient.clone(),
                reason,
                fallback: settings.fallback_phrase.clone(),
                would_have_replied,
                error,
                escalation_number: number.clone(),
                details,
            },
            number,
        )
    }

    /// Sends the hand-over summary to the escalation number, as a message of that number's conversation.
    /// WhatsApp carries free text only within 24 hours of that number's last message; otherwise the
    /// summary is not sent and the hand-over shows in the inbox alone.
    async fn send_summary(
        &self,
        account: &str,
        number: &str,
        turn_id: uuid::Uuid,
        text: &str,
        metadata: &EventMetadata,
    ) {
        let to = ConversationId::new(account, number);
        let send = SendCommand {
            message_id: message_id(turn_id, "summary"),
            at: Utc::now(),
            message: actors::graph::OutboundMessage {
                to: number.to_owned(),
                group: false,
                reply_to: None,
                content: actors::graph::OutboundContent::Text(
                    actors::graph::messages::TextMessage {
                        body: text.to_owned(),
                        preview_url: false,
                    },
                ),
                callback_data: None,
                template_text: None,
            },
            by: None,
        };
        match self
            .conversations
            .record(
                to.stream(),
                vec![ConversationFact::Send(send)],
                metadata.clone(),
            )
            .await
        {
            Ok(_) => {
                metrics::counter!("inbox_bot_summaries_total", "outcome" => "queued").increment(1)
            }
            Err(e) => {
                metrics::counter!("inbox_bot_summaries_total", "outcome" => "refused").increment(1);
                tracing::warn!(error = %e, "the hand-over summary cannot be sent to the escalation number");
            }
        }
    }

    /// A voice note's words, recorded as `message.transcribed`; none when the file is not stored or the
    /// model heard nothing.
    async fn transcribe(
        &self,
        stream: &StreamId,
        m: &projections::inbox::view::MessageRow,
        metadata: &EventMetadata,
    ) -> Option<String> {
        let file = m.media_file.as_ref()?.get("id")?.as_str()?.to_owned();
        let (stored, bytes) = self.media.read(&file).await.ok()??;
        let mime = stored.mime_type.clone();
        match self.bot.transcribe(&mime, bytes).await {
            Ok((text, model)) => {
                let fact = ConversationFact::Bot(BotFact::Transcribed(MessageTranscribed {
                    message_id: m.message_id.clone(),
                    text: text.clone(),
                    model,
                    at: Utc::now(),
                    written_at: m.sent_at,
                }));
                if let Err(e) = self
                    .conversations
                    .record(stream.clone(), vec![fact], metadata.clone())
                    .await
                {
                    tracing::warn!(error = %e, "cannot record a transcript");
                }
                Some(text)
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot transcribe a voice note");
                None
            }
        }
    }
}
