//! Serving connections: a cap on how many are open, timeouts for clients slow to send a request or idle
//! between requests, and an accept loop that pauses, rather than spins, when the process runs out of file
//! descriptors.
//!
//! poem's `Server` has only an inactivity timeout and retries a failed `accept` at once, for ever, so
//! connections are served here with hyper; poem takes over at the request. Body timeouts depend on the
//! route and are in [`super::limits`].
//!
//! Each connection is in one [`Phase`]. A watchdog closes it when it waits too long for a request's head
//! (the header timeout, counted from its first byte, or from the opening for a connection's first
//! request) or for the next request (the idle timeout). A connection answering a request is never closed
//! by either. When every slot is taken, the connection that has waited longest without a request in flight
//! is closed to make room, so idle or trickling clients can never lock others (and `/health`) out.

use hyper::body::{Bytes, Frame, Incoming, SizeHint};
use poem::{Endpoint, EndpointExt, IntoEndpoint};
use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// How connections are bounded (from `config::HttpSettings`).
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    pub header_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_connections: usize,
}

/// File descriptors kept for everything but clients: the database pool, media files, Graph API calls.
const RESERVED_FDS: u64 = 128;

/// Raises the soft limit on open files to the hard limit (services are often started at 1,024), and
/// returns the limit in force afterwards (`None` when unlimited).
pub fn raise_fd_limit() -> Option<u64> {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let limit = getrlimit(Resource::Nofile);
    match (limit.current, limit.maximum) {
        (Some(current), Some(maximum)) if current < maximum => {
            let raised = Rlimit {
                current: Some(maximum),
                maximum: Some(maximum),
            };
            match setrlimit(Resource::Nofile, raised) {
                Ok(()) => Some(maximum),
                Err(e) => {
                    tracing::warn!(error = %e, current, maximum, "cannot raise the open-file limit");
                    Some(current)
                }
            }
        }
        (current, _) => current,
    }
}

/// The connection cap in force: the configured one, lowered so that client connections alone can never
/// exhaust the file descriptors.
pub fn connection_cap(configured: usize, fd_limit: Option<u64>) -> usize {
    let allowed = fd_limit.map_or(usize::MAX, |n| {
        usize::try_from(n.saturating_sub(RESERVED_FDS).max(n / 2)).unwrap_or(usize::MAX)
    });
    configured.min(allowed).max(1)
}

/// Where a connection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// No request in flight nor begun, since then: the idle timeout runs.
    Idle(Instant),
    /// A request's head is arriving, since its first byte (or since the connection opened): the header
    /// timeout runs.
    ReadingHead(Instant),
    /// This many requests are being answered (HTTP/2 answers several at once).
    Busy(usize),
    /// Closed by a timeout or to make room; it takes no more requests.
    Closed,
}

/// One open connection, shared by its reader, its requests, its watchdog and the registry.
struct Connection {
    phase: watch::Sender<Phase>,
}

impl Connection {
    fn new() -> Connection {
        Connection {
            phase: watch::Sender::new(Phase::ReadingHead(Instant::now())),
        }
    }

    fn bytes_arrived(&self) {
        self.phase.send_if_modified(|phase| match phase {
            Phase::Idle(_) => {
                *phase = Phase::ReadingHead(Instant::now());
                true
            }
            _ => false,
        });
    }

    /// Counts a request in; `false` once the connection is closed, so nothing starts on it after.
    fn begin_request(&self) -> bool {
        let mut begun = false;
        self.phase.send_if_modified(|phase| {
            *phase = match *phase {
                Phase::Idle(_) | Phase::ReadingHead(_) => Phase::Busy(1),
                Phase::Busy(n) => Phase::Busy(n + 1),
                Phase::Closed => return false,
            };
            begun = true;
            true
        });
        begun
    }

    fn end_request(&self) {
        self.phase.send_if_modified(|phase| match *phase {
            Phase::Busy(1) => {
                *phase = Phase::Idle(Instant::now());
                true
            }
            Phase::Busy(n) => {
                *phase = Phase::Busy(n - 1);
                true
            }
            _ => false,
        });
    }

    /// Since when the connection has waited without a request in flight (`None` while it answers one).
    fn waiting_since(&self) -> Option<Instant> {
        match *self.phase.borrow() {
            Phase::Idle(since) | Phase::ReadingHead(since) => Some(since),
            Phase::Busy(_) | Phase::Closed => None,
        }
    }

    /// Closes the connection if it is still in `expected` (a request may have begun meanwhile).
    fn close_if(&self, expected: Phase) -> bool {
        self.phase.send_if_modified(|phase| {
            let close = *phase == expected;
            if close {
                *phase = Phase::Closed;
            }
            close
        })
    }

    /// Completes when the connection is to be closed: a timeout ran out, or it was closed to make room.
    async fn closed(&self, limits: ConnectionLimits) {
        let mut phases = self.phase.subscribe();
        loop {
            let phase = *phases.borrow_and_update();
            let deadline = match phase {
                Phase::Idle(since) => since + limits.idle_timeout,
                Phase::ReadingHead(since) => since + limits.header_timeout,
                Phase::Busy(_) => {
                    // The sender lives as long as `self`, so this never fails.
                    let _ = phases.changed().await;
                    continue;
                }
                Phase::Closed => return,
            };
            tokio::select! {
                _ = phases.changed() => {}
                () = tokio::time::sleep_until(deadline) => {
                    if self.close_if(phase) {
                        tracing::debug!(?phase, "closing a connection that sent no request in time");
                        let reason = match phase {
                            Phase::Idle(_) => "idle_timeout",
                            _ => "header_timeout",
                        };
                        metrics::counter!("inbox_http_connections_closed_total", "reason" => reason)
                            .increment(1);
                        return;
                    }
                }
            }
        }
    }
}

/// The open connections and the slots they hold.
struct Connections {
    slots: Arc<Semaphore>,
    live: Mutex<HashMap<u64, Arc<Connection>>>,
}

impl Connections {
    fn new(max: usize) -> Connections {
        Connections {
            slots: Arc::new(Semaphore::new(max)),
            live: Mutex::default(),
        }
    }

    fn live(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<Connection>>> {
        // A panic elsewhere cannot leave the map inconsistent: every change is one insert or remove.
        self.live
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Closes the connection that has waited longest without a request in flight; `false` when every
    /// connection is answering one.
    fn close_longest_waiting(&self) -> bool {
        let mut waiting: Vec<(Instant, Arc<Connection>)> = self
            .live()
            .values()
            .filter_map(|c| c.waiting_since().map(|since| (since, c.clone())))
            .collect();
        waiting.sort_by_key(|(since, _)| *since);
        let closed = waiting.into_iter().any(|(_, connection)| {
            let phase = *connection.phase.borrow();
            matches!(phase, Phase::Idle(_) | Phase::ReadingHead(_)) && connection.close_if(phase)
        });
        if closed {
            metrics::counter!("inbox_http_connections_closed_total", "reason" => "make_room")
                .increment(1);
        }
        closed
    }
}

/// A connection's place in the registry and its slot, both given back when the connection ends.
struct Registered {
    id: u64,
    connections: Arc<Connections>,
    _slot: OwnedSemaphorePermit,
}

impl Drop for Registered {
    fn drop(&mut self) {
        let mut live = self.connections.live();
        live.remove(&self.id);
        metrics::gauge!("inbox_http_connections").set(live.len() as f64);
    }
}

/// The socket, telling its connection when bytes arrive.
struct Watched {
    stream: TcpStream,
    connection: Arc<Connection>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.connection.bytes_arrived();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// A request in flight, counted out when its response has been sent (or abandoned).
struct InFlight(Arc<Connection>);

impl InFlight {
    fn begin(connection: Arc<Connection>) -> Option<InFlight> {
        connection.begin_request().then_some(InFlight(connection))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.end_request();
    }
}

type PoemBody = http_body_util::combinators::BoxBody<Bytes, io::Error>;

/// A response body that keeps its request counted in until its last frame is out.
struct Tracked {
    body: PoemBody,
    in_flight: Option<InFlight>,
}

impl http_body::Body for Tracked {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let polled = Pin::new(&mut self.body).poll_frame(cx);
        if matches!(polled, Poll::Ready(None)) {
            self.in_flight = None;
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// The listening socket and the limits its connections are served under.
pub struct HttpServer {
    listener: TcpListener,
    address: SocketAddr,
    limits: ConnectionLimits,
}

impl HttpServer {
    pub async fn bind(address: SocketAddr, limits: ConnectionLimits) -> io::Result<HttpServer> {
        let listener = TcpListener::bind(address).await?;
        let address = listener.local_addr()?;
        Ok(HttpServer {
            listener,
            address,
            limits,
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Serves `endpoint` until `shutdown` completes; then stops accepting, lets requests in flight finish
    /// for up to `grace`, and drops what is left.
    pub async fn serve<E>(self, endpoint: E, shutdown: impl Future<Output = ()>, grace: Duration)
    where
        E: IntoEndpoint,
        E::Endpoint: 'static,
    {
        let endpoint = Arc::new(endpoint.into_endpoint().map_to_response());
        let HttpServer {
            mut listener,
            address,
            limits,
        } = self;
        let connections = Arc::new(Connections::new(limits.max_connections));
        let tracker = TaskTracker::new();
        let stopping = CancellationToken::new();
        let abandon = CancellationToken::new();
        let mut pause = AcceptPause::default();
        let mut at_cap = CapEpisode::default();
        let mut next_id = 0u64;
        tokio::pin!(shutdown);
        loop {
            let (stream, remote) = tokio::select! {
                biased;
                () = &mut shutdown => break,
                accepted = next_connection(&mut listener, &mut pause, &connections) => accepted,
            };
            let slot = match connections.slots.clone().try_acquire_owned() {
                Ok(slot) => {
                    at_cap.ended();
                    slot
                }
                Err(_) => {
                    at_cap.began(limits.max_connections);
                    connections.close_longest_waiting();
                    tokio::select! {
                        biased;
                        () = &mut shutdown => break,
                        slot = connections.slots.clone().acquire_owned() => match slot {
                            Ok(slot) => slot,
                            Err(_) => break,
                        },
                    }
                }
            };
            next_id += 1;
            let connection = Arc::new(Connection::new());
            {
                let mut live = connections.live();
                live.insert(next_id, connection.clone());
                metrics::gauge!("inbox_http_connections").set(live.len() as f64);
            }
            let registered = Registered {
                id: next_id,
                connections: connections.clone(),
                _slot: slot,
            };
            let served = serve_connection(
                Watched {
                    stream,
                    connection: connection.clone(),
                },
                connection,
                (address, remote),
                endpoint.clone(),
                limits,
                (stopping.clone(), abandon.clone()),
            );
            tracker.spawn(async move {
                let _registered = registered;
                served.await;
            });
        }
        drop(listener);
        stopping.cancel();
        tracker.close();
        if tokio::time::timeout(grace, tracker.wait()).await.is_err() {
            tracing::warn!(
                connections = tracker.len(),
                "requests still in flight after the grace period; dropping them"
            );
            abandon.cancel();
            tracker.wait().await;
        }
    }
}

/// Serves one connection until it ends, its watchdog closes it, or the server stops.
async fn serve_connection<E>(
    io: Watched,
    connection: Arc<Connection>,
    (local, remote): (SocketAddr, SocketAddr),
    endpoint: Arc<E>,
    limits: ConnectionLimits,
    (stopping, abandon): (CancellationToken, CancellationToken),
) where
    E: Endpoint<Output = poem::Response> + 'static,
{
    let service = hyper::service::service_fn({
        let connection = connection.clone();
        move |request: hyper::Request<Incoming>| {
            let endpoint = endpoint.clone();
            let in_flight = InFlight::begin(connection.clone());
            async move {
                let Some(in_flight) = in_flight else {
                    // Closed a moment ago: the socket is being dropped, this answer never leaves.
                    let mut response = hyper::Response::new(Tracked {
                        body: poem::Body::empty().into(),
                        in_flight: None,
                    });
                    *response.status_mut() = poem::http::StatusCode::SERVICE_UNAVAILABLE;
                    return Ok::<_, Infallible>(response);
                };
                let request = poem::Request::from((
                    request,
                    poem::web::LocalAddr(local.into()),
                    poem::web::RemoteAddr(remote.into()),
                    poem::http::uri::Scheme::HTTP,
                ));
                let response: hyper::Response<PoemBody> =
                    endpoint.get_response(request).await.into();
                Ok(response.map(|body| Tracked {
                    body,
                    in_flight: Some(in_flight),
                }))
            }
        }
    });
    let mut builder =
        hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
    // The watchdog times heads out (hyper's own timer would also end kept-alive connections early).
    builder.http1().header_read_timeout(None).keep_alive(true);
    builder
        .http2()
        .max_concurrent_streams(200)
        .max_pending_accept_reset_streams(20)
        .max_header_list_size(16 * 1024);
    let served = builder.serve_connection(hyper_util::rt::TokioIo::new(io), service);
    tokio::pin!(served);
    tokio::select! {
        _ = served.as_mut() => return,
        () = connection.closed(limits) => return,
        () = stopping.cancelled() => served.as_mut().graceful_shutdown(),
    }
    tokio::select! {
        _ = served => {}
        () = connection.closed(limits) => {}
        () = abandon.cancelled() => {}
    }
}

/// The next connection. Errors of one connection (reset before it was accepted) are skipped; others
/// (out of file descriptors, of memory) pause accepting, longer each time, and close the connection
/// waiting longest to free a descriptor: a failing `accept` is never retried in a tight loop.
async fn next_connection<L: Accept>(
    listener: &mut L,
    pause: &mut AcceptPause,
    connections: &Connections,
) -> (TcpStream, SocketAddr) {
    loop {
        match listener.accept().await {
            Ok(accepted) => {
                pause.resumed();
                return accepted;
            }
            Err(e) => {
                if let Some(wait) = pause.failed(&e) {
                    connections.close_longest_waiting();
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }
}

/// Where connections come from (a seam for testing the accept loop's pauses).
trait Accept {
    fn accept(&mut self) -> impl Future<Output = io::Result<(TcpStream, SocketAddr)>> + Send;
}

impl Accept for TcpListener {
    fn accept(&mut self) -> impl Future<Output = io::Result<(TcpStream, SocketAddr)>> + Send {
        TcpListener::accept(self)
    }
}

const FIRST_PAUSE: Duration = Duration::from_millis(50);
const LONGEST_PAUSE: Duration = Duration::from_secs(1);

/// How long accepting pauses after a failure, doubling while failures follow each other.
#[derive(Debug, Default)]
struct AcceptPause {
    current: Option<Duration>,
    episode: Episode,
}

impl AcceptPause {
    fn failed(&mut self, error: &io::Error) -> Option<Duration> {
        if matches!(
            error.kind(),
            io::ErrorKind::ConnectionAborted
                | io::ErrorKind::ConnectionReset
                | io::ErrorKind::Interrupted
        ) {
            return None;
        }
        metrics::counter!("inbox_http_accept_failures_total").increment(1);
        if self.episode.trouble() {
            let out_of_descriptors = error.raw_os_error().is_some_and(|code| {
                code == rustix::io::Errno::MFILE.raw_os_error()
                    || code == rustix::io::Errno::NFILE.raw_os_error()
            });
            tracing::warn!(
                error = %error,
                out_of_descriptors,
                "cannot accept connections; pausing accepts and closing idle connections until it can"
            );
        }
        let next = self
            .current
            .map_or(FIRST_PAUSE, |pause| (pause * 2).min(LONGEST_PAUSE));
        self.current = Some(next);
        Some(next)
    }

    fn resumed(&mut self) {
        self.current = None;
        if let Some(failures) = self.episode.over() {
            tracing::info!(failures, "accepting connections again");
        }
    }
}

/// One log line when the connection cap is reached, one when there has been room for a while.
#[derive(Debug, Default)]
struct CapEpisode(Episode);

impl CapEpisode {
    fn began(&mut self, max: usize) {
        if self.0.trouble() {
            tracing::warn!(
                max_connections = max,
                "connection cap reached; closing the connections idle longest to make room"
            );
        }
    }

    fn ended(&mut self) {
        if let Some(times) = self.0.over() {
            tracing::info!(times, "below the connection cap again");
        }
    }
}

/// How long a trouble must stay away before it is reported over: an accept loop that fails, recovers and
/// fails again logs one episode, not a line per connection.
const QUIET: Duration = Duration::from_secs(10);

/// A run of troubles close together.
#[derive(Debug, Default)]
struct Episode {
    last: Option<Instant>,
    count: u64,
}

impl Episode {
    /// Counts a trouble; true when it starts a new episode (to be logged).
    fn trouble(&mut self) -> bool {
        let new = self.last.is_none();
        self.last = Some(Instant::now());
        self.count += 1;
        new
    }

    /// After a success: the episode's count once it has been quiet long enough to call it over.
    fn over(&mut self) -> Option<u64> {
        let last = self.last?;
        if last.elapsed() < QUIET {
            return None;
        }
        self.last = None;
        Some(std::mem::take(&mut self.count))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    struct OutOfDescriptors(Arc<AtomicU64>);

    impl Accept for OutOfDescriptors {
        async fn accept(&mut self) -> io::Result<(TcpStream, SocketAddr)> {
            self.0.fetch_add(1, Ordering::Relaxed);
            Err(io::Error::from_raw_os_error(
                rustix::io::Errno::MFILE.raw_os_error(),
            ))
        }
    }

    #[tokio::test(start_paused = true)]
    async fn running_out_of_descriptors_pauses_accepting_instead_of_spinning() {
        let attempts = Arc::new(AtomicU64::new(0));
        let mut listener = OutOfDescriptors(attempts.clone());
        let mut pause = AcceptPause::default();
        let connections = Connections::new(4);
        let waited = tokio::time::timeout(
            Duration::from_secs(10),
            next_connection(&mut listener, &mut pause, &connections),
        )
        .await;
        assert!(waited.is_err(), "no connection can be accepted");
        // 50 + 100 + 200 + 400 + 800 ms, then one a second: 14 tries in ten seconds, not millions.
        let attempts = attempts.load(Ordering::Relaxed);
        assert!((10..=16).contains(&attempts), "{attempts} accepts");
        assert_eq!(pause.current, Some(LONGEST_PAUSE));
    }

    #[test]
    fn an_error_of_one_connection_does_not_pause_accepting() {
        let mut pause = AcceptPause::default();
        assert_eq!(
            pause.failed(&io::Error::from(io::ErrorKind::ConnectionAborted)),
            None
        );
        assert_eq!(pause.current, None);
    }

    #[tokio::test(start_paused = true)]
    async fn the_connection_waiting_longest_makes_room_and_one_answering_a_request_never_does() {
        let connections = Connections::new(3);
        let busy = Arc::new(Connection::new());
        assert!(busy.begin_request());
        tokio::time::advance(Duration::from_secs(1)).await;
        let older = Arc::new(Connection::new());
        tokio::time::advance(Duration::from_secs(1)).await;
        let newer = Arc::new(Connection::new());
        for (id, c) in [&busy, &older, &newer].into_iter().enumerate() {
            connections.live().insert(id as u64, c.clone());
        }
        assert!(connections.close_longest_waiting());
        assert_eq!(*older.phase.borrow(), Phase::Closed);
        assert!(
            !older.begin_request(),
            "a closed connection takes no request"
        );
        assert!(connections.close_longest_waiting());
        assert_eq!(*newer.phase.borrow(), Phase::Closed);
        assert!(!connections.close_longest_waiting());
        assert_eq!(*busy.phase.borrow(), Phase::Busy(1));
    }

    #[tokio::test(start_paused = true)]
    async fn a_connection_is_closed_after_the_timeout_of_its_phase_only() {
        let limits = ConnectionLimits {
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 1,
        };
        let connection = Arc::new(Connection::new());
        assert!(connection.begin_request());
        let closing = tokio::spawn({
            let connection = connection.clone();
            async move { connection.closed(limits).await }
        });
        tokio::time::advance(Duration::from_secs(3600)).await;
        assert!(
            !closing.is_finished(),
            "a request in flight is never timed out"
        );
        connection.end_request();
        tokio::time::advance(Duration::from_secs(59)).await;
        tokio::task::yield_now().await;
        assert!(
            !closing.is_finished(),
            "idle for less than the idle timeout"
        );
        connection.bytes_arrived();
        tokio::time::advance(Duration::from_secs(9)).await;
        tokio::task::yield_now().await;
        assert!(
            !closing.is_finished(),
            "a head under way for less than the header timeout"
        );
        tokio::time::advance(Duration::from_secs(2)).await;
        closing.await.unwrap();
        assert_eq!(*connection.phase.borrow(), Phase::Closed);
    }

    #[tokio::test(start_paused = true)]
    async fn troubles_close_together_are_one_episode() {
        let mut episode = Episode::default();
        assert!(episode.trouble(), "the first trouble is logged");
        for _ in 0..100 {
            assert_eq!(episode.over(), None, "a success right after is not the end");
            assert!(!episode.trouble(), "nor is the next trouble a new episode");
        }
        tokio::time::advance(QUIET).await;
        assert_eq!(episode.over(), Some(101));
        assert!(episode.trouble());
    }

    #[test]
    fn the_cap_leaves_descriptors_for_everything_else() {
        assert_eq!(connection_cap(1024, Some(1024)), 896);
        assert_eq!(connection_cap(1024, Some(1_048_576)), 1024);
        assert_eq!(connection_cap(1024, Some(200)), 100);
        assert_eq!(connection_cap(1024, None), 1024);
    }
}
