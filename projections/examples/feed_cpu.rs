//! The CPU the read side of a node spends on a webhook load (issue 21, "Performance"): the feed and every
//! projection runner of the build, live, against a fresh database, while the load's events are appended.
//!
//! ```text
//! DATABASE_URL=postgres://… feed_cpu [BODIES] [all|none]
//! ```
//!
//! The events of BODIES webhook bodies in `bench/load`'s mix ([`load_log`]) are appended (20 bodies per
//! transaction, as the ingest path batches them) while the runners follow; the process's CPU (user and
//! system, from `/proc/self/stat`) is counted from the first append until every runner has applied the
//! last event. PostgreSQL's own CPU is not in it. `none` runs no projection: the appends' own share.

#[path = "common/load_log.rs"]
mod load_log;

use actors::store::{AppendRequest, EventStore, ExpectedVersion, PostgresEventStore};
use actors::testing::TestDatabase;
use projections::runner::{RunnerState, Runners};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// The process's CPU time so far (user + system), in seconds.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    // Fields after the command name (which may hold spaces), from field 3 on: utime is 14, stime 15.
    let after = &stat[stat.rfind(')').expect("stat format") + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 =
        fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime");
    // The kernel's USER_HZ, 100 on Linux.
    ticks as f64 / 100.0
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let bodies: usize = args.first().map_or(5000, |s| s.parse().expect("BODIES"));
    let with_projections = args.get(1).map(String::as_str) != Some("none");
    let appends = load_log::appends(bodies);
    let events: usize = appends
        .iter()
        .flatten()
        .map(|(_, events)| events.len())
        .sum();

    let db = TestDatabase::create().await;
    let pool = db.pool().await;
    let store: Arc<dyn EventStore> = Arc::new(PostgresEventStore::new(pool.clone()));
    let stop = CancellationToken::new();
    let projections = if with_projections {
        projections::projection::all()
    } else {
        Vec::new()
    };
    let runners = Runners::start(pool.clone(), store.clone(), projections, stop.clone());
    let deadline = Instant::now() + Duration::from_secs(60);
    while !runners
        .statuses
        .iter()
        .all(|s| s.state() == RunnerState::Live)
    {
        assert!(Instant::now() < deadline, "the runners did not start");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let (cpu, started) = (cpu_seconds(), Instant::now());
    let mut head = 0;
    for group in appends.chunks(20) {
        let requests = group
            .iter()
            .flatten()
            .map(|(stream, events)| AppendRequest {
                stream_id: stream.clone(),
                expected: ExpectedVersion::Any,
                events: events.clone(),
            })
            .collect();
        for outcome in store.append_batch(requests).await {
            let outcome = outcome.expect("appended");
            head = head.max(
                outcome
                    .appended
                    .iter()
                    .map(|a| a.global_position)
                    .max()
                    .unwrap_or(0),
            );
        }
    }
    let appended = started.elapsed();
    let deadline = Instant::now() + Duration::from_secs(600);
    while !runners.statuses.iter().all(|s| s.report().position >= head) {
        assert!(Instant::now() < deadline, "the runners did not catch up");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let (cpu, elapsed) = (cpu_seconds() - cpu, started.elapsed());
    let feed = runners.feed();
    println!(
        "{bodies} bodies, {events} events, {} runners: appended in {:.2} s, applied by all in {:.2} s; \
         CPU {cpu:.2} s = {:.1} µs per event; feed read {} pages",
        runners.statuses.len(),
        appended.as_secs_f64(),
        elapsed.as_secs_f64(),
        cpu * 1e6 / events as f64,
        feed.pages_read
    );
    stop.cancel();
    runners.join().await;
    pool.close().await;
}
