//! Where the inbox's CPU goes on the write path (issue 21, "typed decoding … webhook to facts"): webhook
//! bodies in `bench/load`'s mix, from the bytes Meta sends to the JSON text the append sends to
//! PostgreSQL, as the webhook handler, the router and the conversation actors do it.
//!
//! ```text
//! write_bench [BODIES] [ROUNDS]      # times the pipeline up to each step (median, ns per body)
//! write_bench one STEP [BODIES]      # runs the pipeline up to STEP once (for `valgrind --tool=callgrind`)
//! ```
//!
//! The pipeline, each step including the ones before it (so `one route` minus `one parse` is the route):
//! - `none`: nothing (the baseline to subtract: generating the bodies);
//! - `parse`: the body's bytes → `serde_json::Value`, as the webhook handler reads it;
//! - `route`: the body → facts per stream (`actors::webhook::route`);
//! - `decide`: each stream's facts → events, through the conversation aggregate as its actor records
//!   them (`actors::aggregate::record`, one state per stream, kept across bodies);
//! - `encode`: each event → the event to append (`to_new_event`) → its payload as the JSON text bound to
//!   the append statement.
//!
//! Everything is dropped at the end of each body, as the handler drops it.

#[path = "common/load_log.rs"]
mod load_log;

use actors::conversation::Conversation;
use actors::event::{DomainEvent, EventMetadata, StreamId};
use serde_json::Value;
use std::collections::HashMap;
use std::hint::black_box;
use std::time::Instant;

const STEPS: &[&str] = &["parse", "route", "decide", "encode"];

fn depth(step: &str) -> usize {
    match step {
        "none" => 0,
        other => 1 + STEPS.iter().position(|s| *s == other).expect("a step"),
    }
}

/// Runs the pipeline up to `step` over every body once.
fn run(step: &str, bodies: &[Vec<u8>]) {
    let depth = depth(step);
    if depth == 0 {
        return;
    }
    let registered: &[&str] = &[load_log::PHONE_NUMBER_ID];
    let metadata = EventMetadata::webhook(uuid::Uuid::nil());
    let mut states: HashMap<StreamId, Conversation> = HashMap::new();
    let mut wire = Vec::with_capacity(4096);
    for bytes in bodies {
        let body: Value = serde_json::from_slice(bytes).expect("JSON");
        if depth == 1 {
            black_box(body);
            continue;
        }
        let routed = actors::webhook::route(&body, registered);
        if depth == 2 {
            black_box(routed);
            continue;
        }
        for (stream, facts) in routed.conversations {
            let state = states.entry(stream).or_default();
            let decided =
                actors::aggregate::record(state, &facts).expect("facts are never refused");
            if depth == 3 {
                black_box(decided);
                continue;
            }
            let events: Vec<_> = decided
                .events
                .iter()
                .map(|event| event.to_new_event(&metadata))
                .collect();
            for event in &events {
                wire.clear();
                serde_json::to_writer(&mut wire, &event.payload).expect("JSON");
                black_box(&wire);
            }
            black_box(events);
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let encoded = |n: usize| -> Vec<Vec<u8>> {
        load_log::bodies(n)
            .iter()
            .map(|b| serde_json::to_vec(b).expect("JSON"))
            .collect()
    };
    if args.first().map(String::as_str) == Some("one") {
        let step = args.get(1).expect("one STEP [BODIES]");
        let bodies = encoded(args.get(2).map_or(1000, |s| s.parse().expect("BODIES")));
        run(step, &bodies);
        return;
    }
    let count = args.first().map_or(1000, |s| s.parse().expect("BODIES"));
    let rounds = args.get(1).map_or(30, |s| s.parse().expect("ROUNDS"));
    let bodies = encoded(count);
    let bytes: usize = bodies.iter().map(Vec::len).sum();
    println!("{count} bodies, {} bytes each on average", bytes / count);
    let mut times: HashMap<&str, Vec<f64>> = HashMap::new();
    for _ in 0..rounds {
        // Alternate the steps round by round, so a busy moment of the shared machine hits all of them.
        for step in STEPS {
            let started = Instant::now();
            run(step, &bodies);
            times
                .entry(step)
                .or_default()
                .push(started.elapsed().as_nanos() as f64 / count as f64);
        }
    }
    println!("ns per body up to each step (median of {rounds} rounds, min–max):");
    for step in STEPS {
        let t = times.get_mut(step).expect("timed");
        t.sort_by(f64::total_cmp);
        println!(
            "  {step:<8} {:>8.0}   ({:.0}–{:.0})",
            t[t.len() / 2],
            t[0],
            t[t.len() - 1]
        );
    }
}
