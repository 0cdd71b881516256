//! Where the projections' CPU goes in decoding the log (issue 21, "Performance"): a page of events as the
//! ingest benchmark writes them, decoded the ways the read side can.
//!
//! The page: the events of webhook bodies in `bench/load`'s mix ([`load_log`]), each payload kept as the
//! JSON text the store reads back.
//!
//! ```text
//! decode_bench [BODIES] [ROUNDS]      # times each step over the page, ROUNDS times (median, ns per event)
//! decode_bench one STEP [BODIES]      # runs one step once (for `valgrind --tool=callgrind`; subtract `one none`)
//! ```
//!
//! Steps:
//! - `parse`: text → `serde_json::Value` (what the store's `read_all` did for every event until payloads
//!   were kept as text: now only a reader that asks for a tree pays it);
//! - `typed`: stored text → typed (`InboxEvent::decode`), once per event;
//! - `projections`: the same, as often as the projections of a node decode each event (each decodes
//!   the events it folds on its own: `message.received` five times);
//! - `shared`: the same reads through the node's shared typed form ([`projections::typed::TypedEvent`]):
//!   the page's events wrapped, each read as often as in `projections` (the first read decodes, the others
//!   find it), then the page dropped;
//! - `drop`: dropping the page's events (their payload text), to compare `projections` + `drop` (a
//!   page's life without the shared form) with `shared`;
//! - `direct`: text → typed from a [`RawRecordedEvent`] (`InboxEvent::decode_raw`, what rebuilds do);
//!   the same work as `typed` since the store keeps payloads as text.

#[path = "common/load_log.rs"]
mod load_log;

use actors::conversation::events::ConversationEvent;
use actors::event::{RawRecordedEvent, RecordedEvent};
use load_log::page;
use projections::inbox::view::InboxEvent;
use projections::projection::{Interest, Projection};
use serde_json::Value;
use std::collections::HashMap;
use std::hint::black_box;
use std::time::Instant;

/// How many projections of a node decode an event into its typed form, event by event, as each
/// projection's `apply` decides (its interest, then its own filter by type).
fn decoders(event: &RecordedEvent) -> usize {
    use ConversationEvent as C;
    if !event.stream_id.as_str().starts_with("conversation-") {
        return 0;
    }
    let t = event.event_type.as_str();
    let watch = t == C::WATCH_DETECTED;
    // inbox and contacts: every conversation event but watch readings.
    let mut n = if watch { 0 } else { 2 };
    // search: events with words or readings.
    n += usize::from(matches!(
        t,
        C::MESSAGE_RECEIVED
            | C::MESSAGE_ECHOED
            | C::MESSAGE_QUEUED
            | C::WATCH_DETECTED
            | C::MESSAGE_TRANSCRIBED
            | C::NOTE_ADDED
    ));
    // listings: readings only.
    n += usize::from(watch);
    // bot and reports: their declared interest (all of it decoded).
    let interested = |p: &dyn Projection| match p.interest() {
        Interest::EventTypes(_) => p.interest().admits(event),
        _ => false,
    };
    n += usize::from(interested(&projections::bot::BotProjection));
    n += usize::from(interested(&projections::reports::ReportsProjection));
    n
}

fn raw(event: &RecordedEvent, text: &str) -> RawRecordedEvent {
    RawRecordedEvent {
        stream_id: event.stream_id.clone(),
        stream_version: event.stream_version,
        global_position: event.global_position,
        event_type: event.event_type.clone(),
        schema_version: event.schema_version,
        payload: text.to_owned(),
        occurred_at: event.occurred_at,
        recorded_at: event.recorded_at,
    }
}

const STEPS: &[&str] = &["parse", "typed", "projections", "shared", "drop", "direct"];

/// Runs one step over the page once; `fresh` is a copy of the page's events for the steps that consume
/// them (made before the clock starts).
fn step(
    name: &str,
    page: &[(RecordedEvent, String)],
    raws: &[RawRecordedEvent],
    fresh: Vec<RecordedEvent>,
) {
    match name {
        "shared" => return shared(fresh),
        "drop" => return drop(fresh),
        // Not dropped inside the step: it costs the same in every one-step run (see `main`).
        _ => std::mem::forget(fresh),
    }
    match name {
        "none" => {}
        "parse" => {
            for (_, text) in page {
                let value: Value = actors::json::from_stored_str(text).expect("stored JSON");
                black_box(value);
            }
        }
        "typed" => {
            for (event, _) in page {
                black_box(InboxEvent::decode(event).expect("decodes"));
            }
        }
        "projections" => {
            for (event, _) in page {
                for _ in 0..decoders(event) {
                    black_box(InboxEvent::decode(event).expect("decodes"));
                }
            }
        }
        "direct" => {
            for event in raws {
                black_box(InboxEvent::decode_raw(event).expect("decodes"));
            }
        }
        other => panic!("unknown step {other}"),
    }
}

/// The projections' reads through the shared typed form: the page wrapped once, then each event read as
/// often as before.
fn shared(page: Vec<RecordedEvent>) {
    let shared = projections::typed::typed(page);
    for event in &shared {
        for _ in 0..decoders(event) {
            black_box(event.conversation().expect("decodes"));
        }
    }
    black_box(shared);
}

fn fresh(step: &str, page: &[(RecordedEvent, String)]) -> Vec<RecordedEvent> {
    match step {
        "shared" | "drop" => page.iter().map(|(e, _)| e.clone()).collect(),
        _ => Vec::new(),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("one") {
        let name = args.get(1).expect("one STEP [BODIES]");
        let bodies = args.get(2).map_or(1000, |s| s.parse().expect("BODIES"));
        let page = page(bodies);
        let raws: Vec<RawRecordedEvent> = page.iter().map(|(e, t)| raw(e, t)).collect();
        // Every step gets a copy of the page, used or not, so that `one none` is the baseline to subtract
        // from any other step's instruction count.
        let fresh = page.iter().map(|(e, _)| e.clone()).collect();
        step(name, &page, &raws, fresh);
        return;
    }
    let bodies = args.first().map_or(1000, |s| s.parse().expect("BODIES"));
    let rounds = args.get(1).map_or(30, |s| s.parse().expect("ROUNDS"));
    let page = page(bodies);
    let raws: Vec<RawRecordedEvent> = page.iter().map(|(e, t)| raw(e, t)).collect();
    let mut kinds: std::collections::BTreeMap<&str, (usize, usize, usize)> = Default::default();
    for (event, text) in &page {
        let k = kinds.entry(event.event_type.as_str()).or_default();
        k.0 += 1;
        k.1 += text.len();
        k.2 = decoders(event);
    }
    println!("{} bodies, {} events", bodies, page.len());
    for (kind, (n, bytes, d)) in &kinds {
        println!(
            "  {kind:<28} {n:>6} events, {:>5} bytes each, decoded by {d} projections",
            bytes / n
        );
    }
    let total_decodes: usize = page.iter().map(|(e, _)| decoders(e)).sum();
    println!("  typed decodes by the projections: {total_decodes}");
    let mut times: HashMap<&str, Vec<f64>> = HashMap::new();
    for _ in 0..rounds {
        // Alternate the steps round by round, so a busy moment of the shared machine hits all of them.
        for name in STEPS {
            let fresh = fresh(name, &page);
            let started = Instant::now();
            step(name, &page, &raws, fresh);
            let ns = started.elapsed().as_nanos() as f64 / page.len() as f64;
            times.entry(name).or_default().push(ns);
        }
    }
    println!("ns per event of the page (median of {rounds} rounds, min–max):");
    for name in STEPS {
        let t = times.get_mut(name).expect("timed");
        t.sort_by(f64::total_cmp);
        println!(
            "  {name:<12} {:>8.0}   ({:.0}–{:.0})",
            t[t.len() / 2],
            t[0],
            t[t.len() - 1]
        );
    }
}
