//! The directory of live stream actors of one aggregate type: spawns an actor on a stream's first fact,
//! forwards facts to it, passivates it when idle, and forgets it when it fails.
//!
//! Lookup and spawn are serialised here, so two requests for the same new stream never spawn two actors.
//! Passivation: one timer of the directory's own finds the actors nothing was routed to for `idle_after`
//! (no timer per actor: thousands of them would cost a task and a wake-up each); the directory stops
//! routing to such an actor and then sends it `Passivate` through the same mailbox as the facts, so every
//! fact routed to it earlier is handled before it stops. A failed actor is not restarted eagerly: the
//! next fact for its stream spawns a fresh one, which rebuilds from the stream (if the store is down,
//! eager restarts would only fail too).
//! Memory therefore follows the number of recently active conversations, not of all conversations, and is
//! capped: past `max_live` actors, the least recently used one is passivated the same way.

use crate::aggregate::Aggregate;
use crate::event::{EventMetadata, StreamId};
use crate::store::EventStore;
use crate::stream_actor::{CommandError, RecordOutcome, StreamActor, StreamActorArgs, StreamMsg};
use ractor::concurrency::oneshot;
use ractor::{Actor, ActorId, ActorProcessingErr, ActorRef, RpcReplyPort, SupervisionEvent};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio::time::Instant;

pub enum DirectoryMsg<A: Aggregate> {
    /// Forward a message to the stream's actor, spawning it if needed.
    Route { stream: StreamId, msg: StreamMsg<A> },
    /// Timer: passivate the actors nothing was routed to for `idle_after`.
    Sweep,
    /// How many stream actors are alive.
    LiveCount(RpcReplyPort<usize>),
}

pub struct Directory<A>(std::marker::PhantomData<fn() -> A>);

impl<A> Default for Directory<A> {
    fn default() -> Self {
        Self(std::marker::PhantomData)
    }
}

#[derive(Clone)]
pub struct DirectoryArgs {
    pub store: Arc<dyn EventStore>,
    /// A stream actor nothing was routed to for this long is passivated (within 1.5 × this: the
    /// directory looks every half of it).
    pub idle_after: Duration,
    /// At most this many stream actors stay alive: spawning one more passivates the one used least
    /// recently, so memory is bounded however many conversations a burst touches.
    pub max_live: usize,
    pub stats: Arc<DirectoryStats>,
}

/// Counters a directory keeps, readable from outside (health, metrics).
#[derive(Debug, Default)]
pub struct DirectoryStats {
    pub spawned: AtomicU64,
    pub passivated: AtomicU64,
    /// Passivated early to stay under `max_live` (counted in `passivated` too once stopped).
    pub evicted: AtomicU64,
    pub failed: AtomicU64,
}

pub struct DirectoryState<A: Aggregate> {
    args: DirectoryArgs,
    /// The actor routed to for each stream, and when it was last routed to (a tick of `clock`).
    live: HashMap<StreamId, (ActorRef<StreamMsg<A>>, u64)>,
    /// The same streams by last use, oldest first, with the time of that use.
    by_use: BTreeMap<u64, (StreamId, Instant)>,
    clock: u64,
    streams_by_actor: HashMap<ActorId, StreamId>,
    sweeper: Option<JoinHandle<()>>,
}

impl<A: Aggregate> DirectoryState<A> {
    fn forget(&mut self, actor: ActorId) -> Option<StreamId> {
        let stream = self.streams_by_actor.remove(&actor)?;
        if self
            .live
            .get(&stream)
            .is_some_and(|(a, _)| a.get_id() == actor)
        {
            self.stop_routing(&stream);
        }
        Some(stream)
    }

    /// Stops routing to a stream's actor and returns it.
    fn stop_routing(&mut self, stream: &StreamId) -> Option<ActorRef<StreamMsg<A>>> {
        let (actor, used) = self.live.remove(stream)?;
        self.by_use.remove(&used);
        Some(actor)
    }

    fn touch(&mut self, stream: &StreamId) {
        self.clock += 1;
        if let Some((_, used)) = self.live.get_mut(stream) {
            self.by_use.remove(used);
            *used = self.clock;
            self.by_use
                .insert(self.clock, (stream.clone(), Instant::now()));
        }
    }

    /// Passivates the actors nothing was routed to since `idle_after` before `now`, oldest first.
    fn passivate_idle(&mut self, now: Instant) {
        while let Some(oldest) = self.by_use.first_entry() {
            if now.saturating_duration_since(oldest.get().1) < self.args.idle_after {
                return;
            }
            let (stream, _) = oldest.remove();
            if let Some((actor, _)) = self.live.remove(&stream) {
                // No more routing to it, then `Passivate` behind every fact it was given.
                let _ = actor.send_message(StreamMsg::Passivate);
            }
        }
    }

    /// Passivates the least recently used actors until there is room for one more.
    fn make_room(&mut self) {
        while self.live.len() >= self.args.max_live.max(1) {
            let Some((_, (stream, _))) = self.by_use.pop_first() else {
                return;
            };
            if let Some((actor, _)) = self.live.remove(&stream) {
                // As for an idle actor: no more routing, then `Passivate` behind what it holds.
                let _ = actor.send_message(StreamMsg::Passivate);
                self.args.stats.evicted.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

impl<A: Aggregate> Actor for Directory<A> {
    type Msg = DirectoryMsg<A>;
    type State = DirectoryState<A>;
    type Arguments = DirectoryArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<Self::Msg>,
        args: DirectoryArgs,
    ) -> Result<Self::State, ActorProcessingErr> {
        // An actor is passivated between `idle_after` and 1.5 × `idle_after` after its last use.
        let period = (args.idle_after / 2).max(Duration::from_millis(10));
        let sweeper = myself.send_interval(period, || DirectoryMsg::Sweep);
        Ok(DirectoryState {
            args,
            live: HashMap::new(),
            by_use: BTreeMap::new(),
            clock: 0,
            streams_by_actor: HashMap::new(),
            sweeper: Some(sweeper),
        })
    }

    async fn post_stop(
        &self,
        _: ActorRef<Self::Msg>,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        if let Some(sweeper) = state.sweeper.take() {
            sweeper.abort();
        }
        Ok(())
    }

    async fn handle(
        &self,
        myself: ActorRef<Self::Msg>,
        msg: Self::Msg,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            DirectoryMsg::Route { stream, msg } => {
                let actor = match state.live.get(&stream) {
                    Some((actor, _)) => actor.clone(),
                    None => {
                        state.make_room();
                        let args = StreamActorArgs {
                            stream: stream.clone(),
                            store: state.args.store.clone(),
                        };
                        // `pre_start` does no I/O (the actor loads its stream when its first message
                        // arrives), so this does not hold up the directory.
                        let spawned = Actor::spawn_linked(
                            None,
                            StreamActor::<A>::default(),
                            args,
                            myself.get_cell(),
                        )
                        .await;
                        match spawned {
                            Ok((actor, _)) => {
                                state.args.stats.spawned.fetch_add(1, Ordering::Relaxed);
                                state
                                    .streams_by_actor
                                    .insert(actor.get_id(), stream.clone());
                                state.live.insert(stream.clone(), (actor.clone(), 0));
                                actor
                            }
                            Err(e) => {
                                tracing::error!(%stream, error = %e, "cannot spawn stream actor");
                                // Dropping `msg` closes its reply port: the caller sees `Interrupted`.
                                return Ok(());
                            }
                        }
                    }
                };
                state.touch(&stream);
                if let Err(e) = actor.send_message(msg) {
                    tracing::warn!(%stream, error = %e, "stream actor gone before its message arrived");
                }
            }
            DirectoryMsg::Sweep => state.passivate_idle(Instant::now()),
            DirectoryMsg::LiveCount(reply) => {
                let _ = reply.send(state.live.len());
            }
        }
        Ok(())
    }

    /// Overridden on purpose: ractor's default stops the directory when any child exits, which would take
    /// every conversation down with the first one that passivates.
    async fn handle_supervisor_evt(
        &self,
        _: ActorRef<Self::Msg>,
        event: SupervisionEvent,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        match event {
            SupervisionEvent::ActorTerminated(cell, _, _) => {
                let known = state.forget(cell.get_id()).is_some();
                if known {
                    state.args.stats.passivated.fetch_add(1, Ordering::Relaxed);
                }
            }
            SupervisionEvent::ActorFailed(cell, error) => {
                let stream = state.forget(cell.get_id());
                state.args.stats.failed.fetch_add(1, Ordering::Relaxed);
                metrics::counter!("inbox_stream_actor_failures_total").increment(1);
                tracing::warn!(stream = ?stream.map(|s| s.to_string()), %error, "stream actor failed; it will be rebuilt from its stream on next use");
            }
            _ => {}
        }
        Ok(())
    }
}

/// A cheap, cloneable handle for sending facts to the stream actors of one aggregate type.
pub struct StreamRouter<A: Aggregate> {
    directory: ActorRef<DirectoryMsg<A>>,
    timeout: Duration,
}

impl<A: Aggregate> Clone for StreamRouter<A> {
    fn clone(&self) -> Self {
        Self {
            directory: self.directory.clone(),
            timeout: self.timeout,
        }
    }
}

impl<A: Aggregate> StreamRouter<A> {
    /// Starts a directory (unsupervised: its owner stops it at shutdown).
    pub async fn start(args: DirectoryArgs, timeout: Duration) -> Result<Self, ractor::SpawnErr> {
        let (directory, _) = Actor::spawn(None, Directory::<A>::default(), args).await?;
        Ok(Self { directory, timeout })
    }

    /// Records facts on a stream; returns once the resulting events are durably appended. Retried once
    /// when the actor stopped before answering: recording is idempotent, so a retry cannot duplicate.
    pub async fn record(
        &self,
        stream: StreamId,
        facts: Vec<A::Fact>,
        metadata: EventMetadata,
    ) -> Result<RecordOutcome, CommandError>
    where
        A::Fact: Clone,
    {
        match self
            .record_once(stream.clone(), facts.clone(), metadata.clone())
            .await
        {
            Err(CommandError::Interrupted) => self.record_once(stream, facts, metadata).await,
            other => other,
        }
    }

    async fn record_once(
        &self,
        stream: StreamId,
        facts: Vec<A::Fact>,
        metadata: EventMetadata,
    ) -> Result<RecordOutcome, CommandError> {
        self.ask(stream, |reply| StreamMsg::Record {
            facts,
            metadata,
            reply,
        })
        .await?
    }

    /// The stream's current state and version, as its actor holds it.
    pub async fn inspect(&self, stream: StreamId) -> Result<(A, u64), CommandError> {
        self.ask(stream, StreamMsg::Inspect).await?
    }

    /// How many stream actors are alive.
    pub async fn live_count(&self) -> Result<usize, CommandError> {
        let (tx, rx) = oneshot();
        self.directory
            .send_message(DirectoryMsg::LiveCount(tx.into()))
            .map_err(|_| CommandError::Interrupted)?;
        tokio::time::timeout(self.timeout, rx)
            .await
            .map_err(|_| CommandError::Timeout)?
            .map_err(|_| CommandError::Interrupted)
    }

    async fn ask<T>(
        &self,
        stream: StreamId,
        msg: impl FnOnce(RpcReplyPort<T>) -> StreamMsg<A>,
    ) -> Result<T, CommandError> {
        let (tx, rx) = oneshot();
        self.directory
            .send_message(DirectoryMsg::Route {
                stream,
                msg: msg(tx.into()),
            })
            .map_err(|_| CommandError::Interrupted)?;
        match tokio::time::timeout(self.timeout, rx).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(_)) => Err(CommandError::Interrupted),
            Err(_) => Err(CommandError::Timeout),
        }
    }

    /// Stops every stream actor (letting each finish the message it is handling), then the directory.
    pub async fn stop(&self, timeout: Duration) {
        self.directory
            .stop_children_and_wait(Some("shutdown".into()), Some(timeout))
            .await;
        let _ = self
            .directory
            .stop_and_wait(Some("shutdown".into()), Some(timeout))
            .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conversation::message::InboundMessage;
    use crate::conversation::{Conversation, ConversationFact};
    use crate::store::InMemoryEventStore;

    const IDLE: Duration = Duration::from_secs(300);

    async fn directory() -> (StreamRouter<Conversation>, Arc<DirectoryStats>) {
        let stats = Arc::new(DirectoryStats::default());
        let router = StreamRouter::start(
            DirectoryArgs {
                store: Arc::new(InMemoryEventStore::new()),
                idle_after: IDLE,
                max_live: 100,
                stats: stats.clone(),
            },
            Duration::from_secs(3_600),
        )
        .await
        .unwrap();
        (router, stats)
    }

    async fn hello(router: &StreamRouter<Conversation>, contact: &str) {
        let raw = serde_json::json!({"from": contact, "id": format!("wamid.{contact}"),
            "timestamp": "1700000000", "type": "text", "text": {"body": "hello"}});
        let fact = ConversationFact::Message(InboundMessage::parse(&raw).unwrap());
        let stream = StreamId::conversation("777", contact);
        let outcome = router
            .record(
                stream,
                vec![fact],
                EventMetadata::webhook(uuid::Uuid::new_v4()),
            )
            .await
            .unwrap();
        assert_eq!(outcome.appended, 1);
    }

    /// Lets the directory's timer and the actors run until `passivated` actors have stopped.
    async fn until_passivated(stats: &DirectoryStats, passivated: u64) {
        for _ in 0..10_000 {
            if stats.passivated.load(Ordering::Relaxed) >= passivated {
                return;
            }
            tokio::task::yield_now().await;
        }
        panic!(
            "{} actors passivated, {passivated} expected",
            stats.passivated.load(Ordering::Relaxed)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn only_the_actors_nothing_was_routed_to_for_idle_after_are_passivated() {
        let (router, stats) = directory().await;
        let first = StreamId::conversation("777", "15550000001");
        let second = StreamId::conversation("777", "15550000002");
        // Given two conversations that got a message at 0 s, and the first asked about again at 200 s,
        hello(&router, "15550000001").await;
        hello(&router, "15550000002").await;
        tokio::time::advance(Duration::from_secs(200)).await;
        router.inspect(first.clone()).await.unwrap();
        assert_eq!(router.live_count().await.unwrap(), 2);

        // when it is 360 s (the second idle for 360 s, the first for 160 s) and the timer has run,
        tokio::time::advance(Duration::from_secs(160)).await;
        until_passivated(&stats, 1).await;

        // then only the second was passivated,
        assert_eq!(router.live_count().await.unwrap(), 1);
        assert_eq!(stats.passivated.load(Ordering::Relaxed), 1);
        assert_eq!(stats.evicted.load(Ordering::Relaxed), 0);

        // and the first follows once it, too, has been idle long enough.
        tokio::time::advance(Duration::from_secs(300)).await;
        until_passivated(&stats, 2).await;
        assert_eq!(router.live_count().await.unwrap(), 0);

        // A passivated conversation is rebuilt from its stream on its next fact: its message is known.
        let (_, version) = router.inspect(second).await.unwrap();
        assert_eq!(version, 1);
        router.stop(Duration::from_secs(5)).await;
    }
}
