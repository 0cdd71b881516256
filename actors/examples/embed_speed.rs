//! How fast the local e5 embedder runs, and how much memory it holds.
//!
//! `cargo run --release -p actors --example embed_speed -- [--threads N] [--messages N] [messages.txt]`
//!
//! Loads the model (`INBOX_EMBEDDING_MODEL_FILE`, else `.local/models/e5-small-q4.bin` from `scripts/model`),
//! then embeds the messages of the given file (one a line) or, without one, a built-in mix of chat
//! messages, as passages, at batch sizes 1, 8 and 32 (`--messages` of them at each size, 96 by default).
//! Then embeds a full batch of texts cut at 512 tokens, the worst case for memory. Prints the load time,
//! messages per second, the CPU time per message (summed over the process's threads) and the resident
//! memory after loading and after each part (VmRSS and its peak, VmHWM).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use actors::embeddings::local::LocalE5;
use actors::embeddings::{Embedder, Purpose};

const MIX: &[&str] = &[
    "Bonjour, la Submariner 116610LN est toujours dispo ? Je peux passer la voir samedi matin à Lyon si c'est bon pour vous",
    "Yes still available. Full set, box and papers from 2018, serviced last year, no scratches on the bezel. 8 200 € firm",
    "Paiement reçu, merci ! Je l'envoie demain en Chronopost assuré, vous aurez le numéro de suivi dans la soirée 📦",
    "Can you send a few more pictures of the caseback and the clasp, and one of the papers with the serial hidden?",
    "Le bracelet de ma Datejust est cassé au niveau du fermoir, vous connaissez un horloger sérieux sur Paris ?",
    "For sale: Patek Philippe Nautilus 5711/1A-010, unworn, 2021 card, stickers on, serious buyers only please 🙏",
    "Prix ferme désolé, j'ai déjà baissé de 500 € la semaine dernière. Je peux ajouter un bracelet cuir d'origine",
    "Omega Speedmaster moonwatch 311.30.42.30.01.005 révisée chez Omega l'an dernier, facture à l'appui, 4 900 €",
    "I'll be in Paris on Friday afternoon, could we meet at a café near Opéra around 3pm to see the watch?",
    "Merci beaucoup pour la rapidité, la montre est arrivée en parfait état 😊 à bientôt pour une prochaine affaire",
    "Tudor Black Bay 58 bleue, 36 mois de garantie restante, échange possible contre une GMT plus soulte de ma part",
    "ok je regarde ce soir et je reviens vers vous",
    "Do you ship to Belgium? And is the price negotiable if I pay by bank transfer today?",
    "WTS Grand Seiko SBGA211 Snowflake, bought at the boutique in 2020, worn maybe ten times, $4,500 shipped CONUS",
    "Est-ce que la boîte et les papiers sont inclus ? Et la dernière révision date de quand exactement ?",
    "Thanks, transfer sent just now. Let me know once you see it on your side 👍",
];

fn main() {
    let mut threads = 1;
    let mut per_size = 96;
    let mut file = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--threads" => {
                threads = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .expect("--threads N")
            }
            "--messages" => {
                per_size = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .expect("--messages N")
            }
            _ => file = Some(arg),
        }
    }
    let messages: Vec<String> = match &file {
        Some(path) => std::fs::read_to_string(path)
            .expect("a readable file of messages, one a line")
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_owned)
            .collect(),
        None => MIX.iter().map(|s| (*s).to_owned()).collect(),
    };
    let path = std::env::var_os("INBOX_EMBEDDING_MODEL_FILE")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../.local/models/e5-small-q4.bin"
            ))
        });

    println!("before loading: {}", memory());
    let started = Instant::now();
    let model = LocalE5::load(&path, threads).unwrap_or_else(|e| panic!("{e}"));
    println!(
        "load: {:.2} s; {}",
        started.elapsed().as_secs_f64(),
        memory()
    );
    let tokens: usize = messages
        .iter()
        .map(|m| model.token_count(Purpose::Passage, m))
        .sum();
    println!(
        "{} messages ({}), {:.1} tokens each on average, {threads} compute thread(s)",
        messages.len(),
        file.as_deref().unwrap_or("built-in mix"),
        tokens as f64 / messages.len() as f64
    );

    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        // Warm-up: first-touch page faults and allocator growth are not the steady state.
        let warm: Vec<String> = messages.iter().take(8).cloned().collect();
        model.embed(Purpose::Passage, &warm).await.unwrap();
        for batch in [1, 8, 32] {
            let texts: Vec<String> = messages.iter().cycle().take(per_size).cloned().collect();
            let cpu = cpu_time();
            let started = Instant::now();
            for chunk in texts.chunks(batch) {
                let vectors = model.embed(Purpose::Passage, chunk).await.unwrap();
                assert_eq!(vectors.len(), chunk.len());
            }
            let wall = started.elapsed().as_secs_f64();
            let cpu = (cpu_time() - cpu).as_secs_f64();
            println!(
                "batch {batch:>2}: {:>6.1} messages/s, {:>6.1} CPU-ms per message ({} messages in {wall:.1} s)",
                texts.len() as f64 / wall,
                cpu * 1000.0 / texts.len() as f64,
                texts.len()
            );
        }
        println!("after the short messages: {}", memory());
        // The worst case for memory: a full batch of texts cut at 512 tokens.
        let long: Vec<String> = (0..LocalE5::MAX_BATCH)
            .map(|i| messages.iter().cycle().skip(i).take(200).cloned().collect::<Vec<_>>().join(" "))
            .collect();
        let cpu = cpu_time();
        let started = Instant::now();
        model.embed(Purpose::Passage, &long).await.unwrap();
        let wall = started.elapsed().as_secs_f64();
        println!(
            "{} texts of {} tokens in one call: {wall:.1} s, {:.0} CPU-ms per text",
            long.len(),
            model.token_count(Purpose::Passage, &long[0]),
            (cpu_time() - cpu).as_secs_f64() * 1000.0 / long.len() as f64
        );
    });
    println!("after the run: {}", memory());
}

/// VmRSS and VmHWM from /proc/self/status.
fn memory() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| {
                let kb: f64 = v
                    .trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse()
                    .unwrap_or(0.0);
                format!("{:.0} MB", kb / 1024.0)
            })
            .unwrap_or_else(|| "?".to_owned())
    };
    format!("RSS {}, peak {}", field("VmRSS:"), field("VmHWM:"))
}

/// CPU time of every thread of the process (the compute pool included), from each thread's schedstat.
fn cpu_time() -> Duration {
    let mut ns: u64 = 0;
    if let Ok(tasks) = std::fs::read_dir("/proc/self/task") {
        for task in tasks.flatten() {
            if let Ok(s) = std::fs::read_to_string(task.path().join("schedstat")) {
                ns += s
                    .split_whitespace()
                    .next()
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap_or(0);
            }
        }
    }
    Duration::from_nanos(ns)
}
