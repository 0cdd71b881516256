//! Hands queued messages to their numbers' senders. It reacts to the inbox view: whenever the inbox
//! projection moves (a message was queued on any node, or an attempt finished), and at start-up once the
//! view has caught up with the log, so a message queued before a restart is sent after it.
//!
//! Handing a message over twice is harmless: a sender drops a message it already has, and the conversation
//! lets only one sender claim an attempt at a time.

use crate::workers::policy::Sweep;
use actors::conversation::id::ConversationId;

use actors::outbound::sender::Job;
use actors::outbound::Outbox;
use actors::tasks::Tasks;
use projections::live::Checkpoints;
use sqlx::PgPool;
use std::collections::HashSet;
use tokio::task::JoinHandle;

const BATCH: i64 = 1000;

pub fn start(
    pool: PgPool,
    checkpoints: Checkpoints,
    outbox: Outbox,
    tasks: &Tasks,
) -> JoinHandle<()> {
    let dispatcher = Dispatcher {
        pool,
        outbox,
        unconnected: HashSet::new(),
    };
    crate::workers::policy::follow_inbox(checkpoints, tasks, dispatcher)
}

struct Dispatcher {
    pool: PgPool,
    outbox: Outbox,
    /// Numbers already reported as unable to send (reported once).
    unconnected: HashSet<String>,
}

impl Sweep for Dispatcher {
    const WHAT: &'static str = "queued messages";

    async fn sweep(&mut self) -> anyhow::Result<()> {
        dispatch(&self.pool, &self.outbox, &mut self.unconnected).await
    }
}

async fn dispatch(
    pool: &PgPool,
    outbox: &Outbox,
    unconnected: &mut HashSet<String>,
) -> anyhow::Result<()> {
    let rows = projections::inbox::queries::unsent(pool, BATCH).await?;
    for row in rows {
        let Ok(message_id) = row.message_id.parse() else {
            continue;
        };
        let Ok(conversation) = ConversationId::parse(&row.conversation_id) else {
            continue;
        };
        let account = conversation.account();
        let job = Job {
            conversation: conversation.stream(),
            message_id,
        };
        if let Err(e) = outbox.enqueue(account, job).await {
            if unconnected.insert(account.to_owned()) {
                tracing::warn!(error = %e, "queued messages wait for an access token");
            }
        }
    }
    Ok(())
}
