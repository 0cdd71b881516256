//! One reader of the global log for every projection runner of the node.
//!
//! Each runner used to read and decode the whole log on its own, so with five or six projections every
//! event crossed from PostgreSQL and was parsed five or six times. The feed reads each page once and keeps
//! the latest pages in memory, shared (`Arc`) by the runners, which still apply and checkpoint on their own.
//!
//! - A page knows the position it starts after, and holds everything the log has in its range (the
//!   store's `read_all` never skips an event, late commits included). So a runner takes pages only when
//!   they cover its own position, and from the first one only the events after that position. A runner the
//!   pages do not reach (it just started, took over a lock, failed and backed off, or fell more than
//!   [`crate::runner::Tuning::feed_events`] behind) reads on its own from its checkpoint, as before, until
//!   it reaches them again.
//! - The feed reads only while some runner of this node holds its projection's lock: it starts where the
//!   first runner that caught up on its own stands, and stops when none is left, so a standby node reads
//!   nothing.
//! - Pages are let go once every runner following the feed stands past them (and, whatever the runners
//!   do, beyond the latest `feed_events`): a caught-up node keeps about one page in memory, not thousands
//!   of decoded events.
//! - A page's events are [`TypedEvent`]s: the first runner that needs an event's typed form decodes it,
//!   and every other runner of the node finds it there.
//! - Like a live runner, it reads the first events after a pause at once, then at most every
//!   `live_interval`: under load, fewer and larger pages.
//! - A failed read is counted and retried with back-off. Runners waiting on a feed that does not move
//!   look at the store themselves after a while, so a database outage still shows in their health.

use crate::projection::Interest;
use crate::typed::{typed, TypedEvent};
use actors::event::RecordedEvent;
use actors::store::EventStore;
use serde::Serialize;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::{watch, Notify};
use tokio_util::sync::CancellationToken;

/// How long an idle feed waits on the store's head before reading anyway (a missed notification).
const POLL: Duration = Duration::from_secs(2);
/// Shorter than a runner's: while the feed fails, the runners waiting on it poll the store themselves.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// The node's log reader, shared by its runners (cloning shares it).
#[derive(Clone)]
pub struct Feed {
    shared: Arc<Shared>,
}

struct Shared {
    /// Held only to look at or change the pages, never across an await.
    state: Mutex<State>,
    /// The feed's position, sent after every page (0 while idle): runners wait on it.
    moved: watch::Sender<u64>,
    /// Wakes the idle feed when a runner asks it to start.
    start: Notify,
    /// Runners of this node holding their projection's lock.
    followers: AtomicUsize,
    /// Names the next [`Following`].
    next_follower: AtomicU64,
    /// How many of the latest events the pages keep.
    keep: usize,
    pages_read: AtomicU64,
    events_read: AtomicU64,
    failures: AtomicU64,
}

#[derive(Default)]
struct State {
    /// Where the feed has read up to; `None` while idle.
    position: Option<u64>,
    /// Where a runner asked the idle feed to start.
    requested: Option<u64>,
    pages: VecDeque<Page>,
    /// Events in `pages`.
    events: usize,
    /// Where each following runner last said it stands (0 until it says).
    standing: HashMap<u64, u64>,
}

impl State {
    /// Lets go of the oldest pages while they hold more than `keep` events or every following runner
    /// stands past them; the newest page always stays.
    fn trim(&mut self, keep: usize) {
        let needed_after = self.standing.values().min().copied();
        while self.pages.len() > 1 {
            let Some(oldest) = self.pages.front() else {
                break;
            };
            let passed = needed_after.is_some_and(|p| oldest.last() <= p);
            if self.events <= keep && !passed {
                break;
            }
            if let Some(old) = self.pages.pop_front() {
                self.events -= old.events.len();
            }
        }
    }
}

/// Events of the log read in one go: every event after `after`, up to its last one.
#[derive(Clone)]
struct Page {
    after: u64,
    /// Never empty.
    events: Arc<[TypedEvent]>,
}

impl Page {
    fn last(&self) -> u64 {
        self.events.last().map_or(self.after, |e| e.global_position)
    }
}

/// The feed's figures, for tests and the logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FeedReport {
    /// Where it has read up to (`None` while no runner follows it).
    pub position: Option<u64>,
    /// Pages read from the store since the node started.
    pub pages_read: u64,
    /// Events in those pages: each read once for every runner of the node.
    pub events_read: u64,
    /// Reads that failed (and were retried).
    pub failures: u64,
}

/// What the feed holds for a runner at a given position.
pub(crate) enum Take {
    /// The events after the position, from the feed's pages.
    Fed(Batch),
    /// The runner is at (or past) the feed's position: nothing new yet.
    Waiting,
    /// The feed does not hold the events right after the position (it is idle, or they are older than
    /// its pages): read them from the store.
    Behind,
}

/// A contiguous range of the log for one runner: its events the projection wants, and where the range
/// ends (the checkpoint to store, even when the projection wanted none of them).
pub(crate) struct Batch {
    /// The position of the last event of the range.
    pub(crate) to: u64,
    /// Events of the log in the range, wanted or not (what `/health` counts as applied).
    pub(crate) covered: usize,
    events: Events,
}

enum Events {
    /// A suffix of one page, handed over without copying.
    Page(Arc<[TypedEvent]>, usize),
    /// Events of pages (shared with them), or read by the runner itself.
    Owned(Vec<TypedEvent>),
}

impl Batch {
    /// A range read from the store by the runner itself (`None` when empty).
    pub(crate) fn read(mut events: Vec<RecordedEvent>, interest: Interest) -> Option<Batch> {
        let to = events.last()?.global_position;
        let covered = events.len();
        if interest != Interest::Everything {
            events.retain(|e| interest.admits(e));
        }
        Some(Batch {
            to,
            covered,
            events: Events::Owned(typed(events)),
        })
    }

    /// The events after `after` in `pages` (contiguous, the first one covering `after`). The list is
    /// copied only when more than one page is taken or the projection wants some of them only; the events
    /// themselves (and their typed forms) are always the pages' own.
    fn from_pages(after: u64, pages: &[Page], interest: Interest) -> Option<Batch> {
        let to = pages.last()?.last();
        let from = |p: &Page| p.events.partition_point(|e| e.global_position <= after);
        let covered = pages.iter().map(|p| p.events.len() - from(p)).sum();
        let events = match pages {
            [page] if interest == Interest::Everything => {
                Events::Page(page.events.clone(), from(page))
            }
            _ => Events::Owned(
                pages
                    .iter()
                    .flat_map(|p| p.events[from(p)..].iter())
                    .filter(|e| interest.admits(e))
                    .cloned()
                    .collect(),
            ),
        };
        Some(Batch {
            to,
            covered,
            events,
        })
    }

    /// The events to apply, in log order.
    pub(crate) fn events(&self) -> &[TypedEvent] {
        match &self.events {
            Events::Page(page, from) => &page[*from..],
            Events::Owned(events) => events,
        }
    }
}

/// Marks a runner as following the feed while it holds its lock; the feed stops when none does.
pub(crate) struct Following {
    shared: Arc<Shared>,
    id: u64,
}

impl Following {
    /// The runner stands at `position` (it needs only the events after it): pages every following runner
    /// stands past are let go.
    pub(crate) fn stands_at(&self, position: u64) {
        let mut state = lock(&self.shared);
        state.standing.insert(self.id, position);
        state.trim(self.shared.keep);
    }
}

impl Drop for Following {
    fn drop(&mut self) {
        let mut state = lock(&self.shared);
        state.standing.remove(&self.id);
        state.trim(self.shared.keep);
        drop(state);
        self.shared.followers.fetch_sub(1, Ordering::Relaxed);
    }
}

fn lock(shared: &Shared) -> MutexGuard<'_, State> {
    // A panic while holding the lock leaves consistent pages (every change is one assignment).
    shared
        .state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Feed {
    /// A feed keeping at least the latest `keep` events it read (and always its last page).
    pub(crate) fn new(keep: usize) -> Feed {
        Feed {
            shared: Arc::new(Shared {
                state: Mutex::new(State::default()),
                moved: watch::channel(0).0,
                start: Notify::new(),
                followers: AtomicUsize::new(0),
                next_follower: AtomicU64::new(0),
                keep,
                pages_read: AtomicU64::new(0),
                events_read: AtomicU64::new(0),
                failures: AtomicU64::new(0),
            }),
        }
    }

    /// Where the feed stands and what it has read.
    pub fn report(&self) -> FeedReport {
        FeedReport {
            position: self.state().position,
            pages_read: self.shared.pages_read.load(Ordering::Relaxed),
            events_read: self.shared.events_read.load(Ordering::Relaxed),
            failures: self.shared.failures.load(Ordering::Relaxed),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.shared)
    }

    /// Called by a runner that took its lock. Until it says where it stands, the pages are kept for it.
    pub(crate) fn follow(&self) -> Following {
        self.shared.followers.fetch_add(1, Ordering::Relaxed);
        let id = self.shared.next_follower.fetch_add(1, Ordering::Relaxed);
        self.state().standing.insert(id, 0);
        Following {
            shared: self.shared.clone(),
            id,
        }
    }

    /// Changes after every page the feed reads.
    pub(crate) fn moved(&self) -> watch::Receiver<u64> {
        self.shared.moved.subscribe()
    }

    /// A runner that reached the end of the log on its own, at `position`: an idle feed starts there.
    pub(crate) fn start_at(&self, position: u64) {
        let mut state = self.state();
        if state.position.is_none() && state.requested.is_none() {
            state.requested = Some(position);
            drop(state);
            self.shared.start.notify_one();
        }
    }

    /// What the feed holds after `after`: at most the pages it takes to reach `max` events.
    pub(crate) fn take(&self, after: u64, max: usize, interest: Interest) -> Take {
        let pages: Vec<Page> = {
            let state = self.state();
            let Some(position) = state.position else {
                return Take::Behind;
            };
            if after >= position {
                return Take::Waiting;
            }
            let first = state.pages.partition_point(|p| p.last() <= after);
            match state.pages.get(first) {
                Some(page) if page.after <= after => {}
                _ => return Take::Behind,
            }
            let mut taken = Vec::new();
            let mut events = 0;
            for page in state.pages.range(first..) {
                events += page.events.len();
                taken.push(page.clone());
                if events >= max {
                    break;
                }
            }
            taken
        };
        Batch::from_pages(after, &pages, interest).map_or(Take::Behind, Take::Fed)
    }

    /// Reads the log while runners follow, until `shutdown`.
    pub(crate) async fn run(
        self,
        store: Arc<dyn EventStore>,
        batch: usize,
        interval: Duration,
        shutdown: CancellationToken,
    ) {
        loop {
            let start = loop {
                {
                    let mut state = self.state();
                    if let Some(start) = state.requested.take() {
                        state.position = Some(start);
                        break start;
                    }
                }
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = self.shared.start.notified() => {}
                }
            };
            tracing::debug!(position = start, "projection feed started");
            self.read(store.as_ref(), start, batch, interval, &shutdown)
                .await;
            {
                let mut state = self.state();
                *state = State::default();
            }
            self.shared.moved.send_replace(0);
            metrics::gauge!("inbox_projection_feed_followers").set(0.0);
            if shutdown.is_cancelled() {
                return;
            }
            tracing::debug!("projection feed idle: no runner follows it");
        }
    }

    /// Reads pages from `position` on; returns when no runner follows any more, or on shutdown.
    async fn read(
        &self,
        store: &dyn EventStore,
        mut position: u64,
        batch: usize,
        interval: Duration,
        shutdown: &CancellationToken,
    ) {
        let mut head = store.head();
        let mut last_read: Option<tokio::time::Instant> = None;
        let mut backoff = Duration::from_millis(200);
        loop {
            let followers = self.shared.followers.load(Ordering::Relaxed);
            metrics::gauge!("inbox_projection_feed_followers").set(followers as f64);
            if followers == 0 {
                return;
            }
            if let Some(started) = last_read.take() {
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep_until(started + interval) => {}
                }
            }
            head.borrow_and_update();
            let started = tokio::time::Instant::now();
            let read = tokio::select! {
                () = shutdown.cancelled() => return,
                read = store.read_all(position, batch) => read,
            };
            let events = match read {
                Ok(events) => {
                    backoff = Duration::from_millis(200);
                    events
                }
                Err(e) => {
                    self.shared.failures.fetch_add(1, Ordering::Relaxed);
                    metrics::counter!("inbox_projection_feed_failures_total").increment(1);
                    tracing::warn!(error = %format!("{e:#}"), "projection feed cannot read the log; retrying");
                    tokio::select! {
                        () = shutdown.cancelled() => return,
                        () = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    continue;
                }
            };
            if events.is_empty() {
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    _ = tokio::time::timeout(POLL, head.changed()) => {}
                }
                continue;
            }
            let full = events.len() >= batch;
            let page = Page {
                after: position,
                events: typed(events).into(),
            };
            position = page.last();
            self.push(page);
            if !full {
                last_read = Some(started);
            }
        }
    }

    fn push(&self, page: Page) {
        let (position, len) = (page.last(), page.events.len());
        {
            let mut state = self.state();
            state.position = Some(position);
            state.events += len;
            state.pages.push_back(page);
            state.trim(self.shared.keep);
        }
        self.shared.pages_read.fetch_add(1, Ordering::Relaxed);
        self.shared
            .events_read
            .fetch_add(len as u64, Ordering::Relaxed);
        metrics::counter!("inbox_projection_feed_pages_total").increment(1);
        metrics::counter!("inbox_projection_feed_events_total").increment(len as u64);
        metrics::gauge!("inbox_projection_feed_position").set(position as f64);
        self.shared.moved.send_replace(position);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actors::event::{EventMetadata, StreamId};

    fn event(position: u64, stream: &str) -> RecordedEvent {
        RecordedEvent {
            id: uuid::Uuid::new_v4(),
            stream_id: StreamId::new(stream),
            stream_version: position,
            global_position: position,
            event_type: "test.happened".into(),
            schema_version: 1,
            payload: serde_json::json!({}).into(),
            metadata: EventMetadata::system("test"),
            occurred_at: None,
            recorded_at: chrono::Utc::now(),
        }
    }

    /// A started feed holding pages of the given positions (each page starting after the previous one's
    /// last event; the log may have holes).
    fn feed(start: u64, pages: &[&[u64]], keep: usize) -> Feed {
        let feed = Feed::new(keep);
        feed.start_at(start);
        {
            let mut state = feed.state();
            state.position = state.requested.take();
        }
        let mut after = start;
        for page in pages {
            let events: Vec<TypedEvent> = page.iter().map(|p| event(*p, "a").into()).collect();
            let page = Page {
                after,
                events: events.into(),
            };
            after = page.last();
            feed.push(page);
        }
        feed
    }

    fn positions(take: Take) -> Option<(Vec<u64>, u64, usize)> {
        match take {
            Take::Fed(batch) => Some((
                batch.events().iter().map(|e| e.global_position).collect(),
                batch.to,
                batch.covered,
            )),
            Take::Waiting | Take::Behind => None,
        }
    }

    #[test]
    fn a_runner_inside_a_page_gets_the_events_after_its_position_and_nothing_before() {
        let feed = feed(10, &[&[12, 15, 20], &[21, 25]], 100);
        assert_eq!(
            positions(feed.take(10, 100, Interest::Everything)),
            Some((vec![12, 15, 20, 21, 25], 25, 5))
        );
        // A position inside the first page, even one the log has no event at (a hole).
        assert_eq!(
            positions(feed.take(13, 100, Interest::Everything)),
            Some((vec![15, 20, 21, 25], 25, 4))
        );
        assert_eq!(
            positions(feed.take(20, 100, Interest::Everything)),
            Some((vec![21, 25], 25, 2))
        );
    }

    #[test]
    fn a_runner_before_the_first_page_reads_on_its_own_and_one_at_the_end_waits() {
        let feed = feed(10, &[&[12, 15, 20]], 100);
        assert!(matches!(
            feed.take(9, 100, Interest::Everything),
            Take::Behind
        ));
        assert!(matches!(
            feed.take(20, 100, Interest::Everything),
            Take::Waiting
        ));
        assert!(matches!(
            feed.take(30, 100, Interest::Everything),
            Take::Waiting
        ));
        assert!(matches!(
            Feed::new(100).take(0, 100, Interest::Everything),
            Take::Behind
        ));
    }

    #[test]
    fn old_pages_are_dropped_past_the_events_kept_and_a_runner_there_reads_on_its_own() {
        let feed = feed(0, &[&[1, 2, 3], &[4, 5, 6], &[7, 8, 9]], 4);
        assert!(matches!(
            feed.take(2, 100, Interest::Everything),
            Take::Behind
        ));
        assert!(matches!(
            feed.take(3, 100, Interest::Everything),
            Take::Behind
        ));
        assert_eq!(
            positions(feed.take(6, 100, Interest::Everything)),
            Some((vec![7, 8, 9], 9, 3))
        );
        // The last page is kept even when it alone holds more than the events kept.
        let feed = self::feed(0, &[&[1, 2, 3, 4, 5, 6]], 2);
        assert_eq!(
            positions(feed.take(0, 100, Interest::Everything)),
            Some((vec![1, 2, 3, 4, 5, 6], 6, 6))
        );
    }

    #[test]
    fn pages_every_following_runner_stands_past_are_let_go_and_the_newest_stays() {
        let feed = feed(0, &[&[1, 2, 3], &[4, 5, 6], &[7, 8, 9]], 100);
        let ahead = feed.follow();
        let behind = feed.follow();
        ahead.stands_at(6);
        // One runner has not said where it stands yet: every page is kept for it.
        assert_eq!(
            positions(feed.take(0, 100, Interest::Everything)),
            Some((vec![1, 2, 3, 4, 5, 6, 7, 8, 9], 9, 9))
        );
        behind.stands_at(3);
        assert!(matches!(
            feed.take(0, 100, Interest::Everything),
            Take::Behind
        ));
        assert_eq!(
            positions(feed.take(3, 100, Interest::Everything)),
            Some((vec![4, 5, 6, 7, 8, 9], 9, 6))
        );
        // The runner behind stops following (it lost its lock): only the one ahead counts.
        drop(behind);
        assert!(matches!(
            feed.take(3, 100, Interest::Everything),
            Take::Behind
        ));
        ahead.stands_at(9);
        assert_eq!(
            positions(feed.take(6, 100, Interest::Everything)),
            Some((vec![7, 8, 9], 9, 3))
        );
    }

    #[test]
    fn a_batch_takes_whole_pages_until_it_is_full_and_hands_over_only_what_the_projection_wants() {
        let feed = feed(0, &[&[1, 2], &[3, 4], &[5, 6]], 100);
        assert_eq!(
            positions(feed.take(0, 3, Interest::Everything)),
            Some((vec![1, 2, 3, 4], 4, 4))
        );
        let feed = Feed::new(100);
        feed.start_at(0);
        feed.state().position = Some(0);
        let events = typed(vec![event(1, "identity"), event(2, "conversation-1-2")]);
        feed.push(Page {
            after: 0,
            events: events.into(),
        });
        // The checkpoint moves past the events the projection does not want.
        assert_eq!(
            positions(feed.take(0, 100, Interest::StreamPrefix("conversation-"))),
            Some((vec![2], 2, 2))
        );
        assert_eq!(
            positions(feed.take(1, 100, Interest::StreamPrefix("identity"))),
            Some((vec![], 2, 1))
        );
    }

    #[test]
    fn every_runner_of_the_node_reads_the_same_events_and_the_typed_form_the_first_one_decoded() {
        let message = |position: u64| {
            let mut e = event(position, "conversation-1122-447700900001");
            e.event_type = "message.received".into();
            e.payload = serde_json::json!({
                "wamid": format!("wamid.{position}"), "from": "447700900001", "timestamp": null,
                "kind": "text", "content": {"content_type": "text", "body": "hello"},
                "context": {"forwarded": false, "frequently_forwarded": false}, "errors": [], "raw": {}
            })
            .into();
            e
        };
        let feed = feed(0, &[], 100);
        for (after, positions) in [(0, [1, 2]), (2, [3, 4])] {
            feed.push(Page {
                after,
                events: typed(positions.iter().map(|p| message(*p)).collect()).into(),
            });
        }
        // Runners with different interests and positions: one page handed over whole, a copied list of
        // two pages, a filtered list.
        let batches: Vec<Batch> = [
            (2, Interest::Everything),
            (0, Interest::Everything),
            (0, Interest::StreamPrefix("conversation-")),
            (0, Interest::EventTypes(&["message.received"])),
        ]
        .into_iter()
        .map(|(after, interest)| match feed.take(after, 100, interest) {
            Take::Fed(batch) => batch,
            Take::Waiting | Take::Behind => panic!("the feed holds these events"),
        })
        .collect();
        // The first runner decodes event 3; every other one reads that very value.
        let first = batches[0].events()[0]
            .conversation()
            .unwrap()
            .expect("a conversation event")
            .clone();
        for batch in &batches[1..] {
            let third = batch
                .events()
                .iter()
                .find(|e| e.global_position == 3)
                .unwrap();
            assert!(third.shares_with(&batches[0].events()[0]));
            let read = third.conversation().unwrap().unwrap();
            assert!(Arc::ptr_eq(read, &first), "decoded again");
        }
    }
}
