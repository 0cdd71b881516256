//! What one live conversation actor costs in memory, measured by counting the allocator rather than by the
//! process's resident set (which also holds the allocator's free lists and the runtime's arenas).
//!
//! N conversations each record one inbound text through a directory over the in-memory store. The bytes
//! still allocated then, minus those still allocated once every actor has stopped (the store keeps its
//! events), divided by N, are what a live actor holds: its ractor cell and channels, its task, its
//! state (and, before the directory's single idle timer, a ticker task per actor).
//!
//!     cargo run --release -p actors --example actor_memory -- 5000

use actors::conversation::message::InboundMessage;
use actors::conversation::{Conversation, ConversationFact};
use actors::directory::{DirectoryArgs, DirectoryStats, StreamRouter};
use actors::event::{EventMetadata, StreamId};
use actors::store::InMemoryEventStore;
use actors::stream_actor::StreamMsg;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The system allocator, counting the bytes and blocks it has handed out and not yet taken back.
struct Counting;

static BYTES: AtomicIsize = AtomicIsize::new(0);
static BLOCKS: AtomicIsize = AtomicIsize::new(0);
/// Blocks outstanding by size (the last slot: every size from there up).
static BY_SIZE: [AtomicIsize; SIZES] = [const { AtomicIsize::new(0) }; SIZES];
const SIZES: usize = 1 << 15;

fn slot(size: usize) -> &'static AtomicIsize {
    &BY_SIZE[size.min(SIZES - 1)]
}

// SAFETY: every call is passed on to the system allocator unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        BYTES.fetch_add(layout.size() as isize, Ordering::Relaxed);
        BLOCKS.fetch_add(1, Ordering::Relaxed);
        slot(layout.size()).fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        BYTES.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        BLOCKS.fetch_sub(1, Ordering::Relaxed);
        slot(layout.size()).fetch_sub(1, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        BYTES.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        slot(layout.size()).fetch_sub(1, Ordering::Relaxed);
        slot(new_size).fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn by_size() -> Vec<isize> {
    BY_SIZE.iter().map(|c| c.load(Ordering::Relaxed)).collect()
}

fn counted() -> (isize, isize) {
    (
        BYTES.load(Ordering::Relaxed),
        BLOCKS.load(Ordering::Relaxed),
    )
}

fn message(i: usize) -> ConversationFact {
    let raw = serde_json::json!({
        "from": format!("3361{i:07}"),
        "id": format!("wamid.HBgLMzM2MTIzNDU2NzgVAgASGBQzQTk{i:010}"),
        "timestamp": "1764633600",
        "type": "text",
        "text": {"body": "Bonjour, la Submariner 126610LN est-elle toujours disponible ? Prix ?"}
    });
    ConversationFact::Message(InboundMessage::parse(&raw).expect("a valid text message"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(5_000);
    println!(
        "sizes: Conversation {} B, StreamMsg<Conversation> {} B, ConversationFact {} B",
        std::mem::size_of::<Conversation>(),
        std::mem::size_of::<StreamMsg<Conversation>>(),
        std::mem::size_of::<ConversationFact>(),
    );
    let store = Arc::new(InMemoryEventStore::new());
    let router = StreamRouter::<Conversation>::start(
        DirectoryArgs {
            store: store.clone(),
            idle_after: Duration::from_secs(3_600),
            max_live: n + 1,
            stats: Arc::new(DirectoryStats::default()),
        },
        Duration::from_secs(30),
    )
    .await?;
    let facts: Vec<_> = (0..n).map(message).collect();
    let (bytes_before, blocks_before) = counted();
    for (i, fact) in facts.into_iter().enumerate() {
        let stream = StreamId::conversation("106540352242922", &format!("3361{i:07}"));
        router
            .record(
                stream,
                vec![fact],
                EventMetadata::webhook(uuid::Uuid::new_v4()),
            )
            .await?;
    }
    let (bytes_live, blocks_live) = counted();
    let sizes_live = by_size();
    let live = router.live_count().await?;
    router.stop(Duration::from_secs(30)).await;
    tokio::task::yield_now().await;
    let (bytes_after, blocks_after) = counted();
    let sizes_after = by_size();
    let per = |x: isize| x as f64 / n as f64;
    println!("{live} live actors of {n} conversations");
    println!(
        "while alive: {:.0} B in {:.1} blocks per conversation (actors and store)",
        per(bytes_live - bytes_before),
        per(blocks_live - blocks_before),
    );
    println!(
        "after every actor stopped: {:.0} B in {:.1} blocks per conversation (the store's events)",
        per(bytes_after - bytes_before),
        per(blocks_after - blocks_before),
    );
    println!(
        "one live actor: {:.0} B in {:.1} blocks",
        per(bytes_live - bytes_after),
        per(blocks_live - blocks_after),
    );
    println!("what one live actor holds, by block size (blocks per actor, bytes per actor):");
    for (size, (l, a)) in sizes_live.iter().zip(&sizes_after).enumerate() {
        let blocks = (l - a) as f64 / n as f64;
        if blocks >= 0.05 {
            println!(
                "  {size:>6} B × {blocks:.2} = {:.0} B",
                blocks * size as f64
            );
        }
    }
    Ok(())
}
