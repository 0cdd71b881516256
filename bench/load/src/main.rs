//! `inbox-load`: posts signed webhook bodies to a running inbox, as Meta would, and reports throughput,
//! acknowledgement latency, errors by status and how long the projections take to catch up; then, given
//! the database, proves every acknowledged message is stored exactly once.
//!
//! The mix: mostly single text messages; some bodies with several messages; images, reactions,
//! interactive replies; and three statuses (sent, delivered, read) for outbound messages. Bodies are
//! spread over `--conversations` customers. `--deliveries N` posts every body N times in a shuffled order
//! (Meta redelivers); the store must equal one delivery.

use clap::Parser;
use hmac::{Hmac, Mac};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use sha2::Sha256;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Parser, Debug)]
#[command(
    about = "Load generator for the inbox's webhook",
    args_override_self = true
)]
struct Args {
    /// The inbox's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8000")]
    url: String,
    /// The app secret bodies are signed with (META_APP_SECRET).
    #[arg(long, env = "META_APP_SECRET")]
    app_secret: String,
    #[arg(long, env = "WHATSAPP_PHONE_ID")]
    phone_number_id: String,
    /// Distinct customers the bodies are spread over.
    #[arg(long, default_value_t = 1000)]
    conversations: usize,
    /// Give body n to customer n mod `--conversations` instead of a random one, so that as many bodies
    /// reach as many distinct conversations.
    #[arg(long)]
    round_robin: bool,
    /// Bodies to post (each delivery counted once).
    #[arg(long, default_value_t = 10_000)]
    bodies: usize,
    /// Bodies per second; 0 posts as fast as the connections allow.
    #[arg(long, default_value_t = 0)]
    rate: u64,
    /// Concurrent connections.
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// Stop taking new bodies after this many seconds (0: post them all). With `--rate`, pass enough
    /// `--bodies` for the whole run (rate × seconds).
    #[arg(long, default_value_t = 0)]
    duration_secs: u64,
    /// How many times each body is posted, in a shuffled order.
    #[arg(long, default_value_t = 1)]
    deliveries: usize,
    /// Names this run's message ids, so runs on one database do not mix.
    #[arg(long, default_value_t = std::process::id().to_string())]
    run: String,
    /// After the run, post every body that got no 200 again, as Meta does, for up to this long.
    #[arg(long, default_value_t = 0)]
    retry_for_secs: u64,
    /// PostgreSQL of the inbox: check that every acknowledged message is stored exactly once.
    #[arg(long, env = "DATABASE_URL")]
    database_url: Option<String>,
    #[arg(long, default_value_t = 7)]
    seed: u64,
}

/// One webhook body and the inbound message ids in it.
struct Body {
    bytes: Vec<u8>,
    signature: String,
    messages: Vec<String>,
}

fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fn generate(args: &Args) -> Vec<Body> {
    let mut rng = StdRng::seed_from_u64(args.seed);
    let mut bodies = Vec::with_capacity(args.bodies);
    for n in 0..args.bodies {
        let customer = match args.round_robin {
            true => n % args.conversations,
            false => rng.gen_range(0..args.conversations),
        };
        let customer = format!("1555{customer:07}");
        let timestamp = (1_700_000_000 + n as u64).to_string();
        let wamid = |i: usize| format!("wamid.load.{}.{n}.{i}", args.run);
        let text = |i: usize, words: &str| {
            json!({"from": customer, "id": wamid(i), "timestamp": timestamp, "type": "text",
                   "text": {"body": format!("{words} {n}")}})
        };
        let roll = rng.gen_range(0..100);
        let (messages, statuses): (Vec<Value>, Vec<Value>) = match roll {
            0..=69 => (
                vec![text(0, "Is the Submariner 126610LN still for sale?")],
                vec![],
            ),
            70..=79 => (
                (0..rng.gen_range(2..=5))
                    .map(|i| text(i, "and another question"))
                    .collect(),
                vec![],
            ),
            80..=84 => (
                vec![
                    json!({"from": customer, "id": wamid(0), "timestamp": timestamp, "type": "image",
                            "image": {"id": format!("media.{n}"), "mime_type": "image/jpeg",
                                      "sha256": "abc", "caption": "wrist shot"}}),
                ],
                vec![],
            ),
            85..=89 => (
                vec![
                    json!({"from": customer, "id": wamid(0), "timestamp": timestamp, "type": "reaction",
                            "reaction": {"message_id": format!("wamid.load.{}.out.{n}", args.run), "emoji": "👍"}}),
                ],
                vec![],
            ),
            90..=94 => (
                vec![
                    json!({"from": customer, "id": wamid(0), "timestamp": timestamp, "type": "interactive",
                            "interactive": {"type": "button_reply", "button_reply": {"id": "yes", "title": "Yes"}}}),
                ],
                vec![],
            ),
            _ => (
                vec![],
                ["sent", "delivered", "read"]
                    .iter()
                    .enumerate()
                    .map(|(i, status)| {
                        json!({"id": format!("wamid.load.{}.out.{n}", args.run), "status": status,
                               "timestamp": (1_700_000_000 + n as u64 + i as u64).to_string(),
                               "recipient_id": customer})
                    })
                    .collect(),
            ),
        };
        let mut value = json!({
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550001111", "phone_number_id": args.phone_number_id},
        });
        if !messages.is_empty() {
            value["contacts"] =
                json!([{"wa_id": customer, "profile": {"name": format!("Customer {customer}")}}]);
            value["messages"] = Value::Array(messages.clone());
        }
        if !statuses.is_empty() {
            value["statuses"] = Value::Array(statuses);
        }
        let bytes = serde_json::to_vec(&json!({
            "object": "whatsapp_business_account",
            "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": value}]}]
        }))
        .expect("JSON");
        bodies.push(Body {
            signature: sign(&args.app_secret, &bytes),
            bytes,
            messages: messages
                .iter()
                .filter_map(|m| m["id"].as_str().map(str::to_owned))
                .collect(),
        });
    }
    bodies
}

/// What happened to each delivery: (body index, HTTP status or 0 for a transport error, latency).
type Outcome = (usize, u16, Duration);

async fn post_all(
    args: &Args,
    bodies: Arc<Vec<Body>>,
    order: Vec<usize>,
) -> (Vec<Outcome>, Duration) {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.connections)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("HTTP client");
    let url = format!("{}/webhook/whatsapp", args.url.trim_end_matches('/'));
    let order = Arc::new(order);
    let next = Arc::new(AtomicUsize::new(0));
    let outcomes = Arc::new(Mutex::new(Vec::with_capacity(order.len())));
    let started = Instant::now();
    let gap = (args.rate > 0).then(|| Duration::from_secs_f64(1.0 / args.rate as f64));
    let duration = (args.duration_secs > 0).then(|| Duration::from_secs(args.duration_secs));
    let mut workers = Vec::new();
    for _ in 0..args.connections {
        let (client, url, bodies, order, next, outcomes) = (
            client.clone(),
            url.clone(),
            bodies.clone(),
            order.clone(),
            next.clone(),
            outcomes.clone(),
        );
        workers.push(tokio::spawn(async move {
            loop {
                if duration.is_some_and(|d| started.elapsed() >= d) {
                    return;
                }
                let slot = next.fetch_add(1, Ordering::Relaxed);
                let Some(&index) = order.get(slot) else {
                    return;
                };
                // Open-loop pacing: body k is due at k × gap, whatever the answers take. Its latency counts
                // from when it was due, so a server that falls behind cannot hide its queue by slowing the
                // generator down (no coordinated omission).
                let sent = match gap {
                    Some(gap) => {
                        let due = started + gap.mul_f64(slot as f64);
                        tokio::time::sleep_until(due.into()).await;
                        due
                    }
                    None => Instant::now(),
                };
                let body = &bodies[index];
                let status = match client
                    .post(&url)
                    .header("content-type", "application/json")
                    .header("x-hub-signature-256", &body.signature)
                    .body(body.bytes.clone())
                    .send()
                    .await
                {
                    Ok(response) => response.status().as_u16(),
                    Err(_) => 0,
                };
                outcomes
                    .lock()
                    .expect("outcomes")
                    .push((index, status, sent.elapsed()));
            }
        }));
    }
    for worker in workers {
        let _ = worker.await;
    }
    let elapsed = started.elapsed();
    let outcomes = std::mem::take(&mut *outcomes.lock().expect("outcomes"));
    (outcomes, elapsed)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

/// This process's user and system CPU time so far (Linux), so a run can tell what the generator took of
/// the machine it shares with the inbox.
fn own_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// Waits until every projection has caught up with the log; how long that took after the last answer.
async fn projection_lag(url: &str) -> Option<Duration> {
    let client = reqwest::Client::new();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(600) {
        let health: Value = client
            .get(format!("{}/health", url.trim_end_matches('/')))
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        let projections = health["projections"].as_array()?;
        if projections.iter().all(|p| p["lag"].as_u64() == Some(0)) {
            return Some(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let bodies = Arc::new(generate(&args));
    let mut order: Vec<usize> = (0..bodies.len())
        .flat_map(|i| std::iter::repeat_n(i, args.deliveries))
        .collect();
    if args.deliveries > 1 {
        order.shuffle(&mut StdRng::seed_from_u64(args.seed + 1));
    }
    let messages: usize = bodies.iter().map(|b| b.messages.len()).sum();
    println!(
        "posting {} bodies ({} inbound messages, {} conversations) x{} deliveries, {} connections, rate {}",
        bodies.len(),
        messages,
        args.conversations,
        args.deliveries,
        args.connections,
        if args.rate == 0 { "max".to_owned() } else { format!("{}/s", args.rate) }
    );
    let (mut outcomes, elapsed) = post_all(&args, bodies.clone(), order).await;
    let retrying = Instant::now();
    let mut rounds = 0;
    while retrying.elapsed() < Duration::from_secs(args.retry_for_secs) {
        let acked: std::collections::HashSet<usize> = outcomes
            .iter()
            .filter(|(_, status, _)| *status == 200)
            .map(|(index, _, _)| *index)
            .collect();
        let posted: std::collections::BTreeSet<usize> =
            outcomes.iter().map(|(index, _, _)| *index).collect();
        let unacked: Vec<usize> = posted.into_iter().filter(|i| !acked.contains(i)).collect();
        if unacked.is_empty() {
            break;
        }
        rounds += 1;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let (more, _) = post_all(&args, bodies.clone(), unacked).await;
        outcomes.extend(more);
    }
    if rounds > 0 {
        println!(
            "redelivered what got no 200 in {rounds} round(s) over {:.1} s",
            retrying.elapsed().as_secs_f64()
        );
    }

    let mut by_status: BTreeMap<u16, usize> = BTreeMap::new();
    let mut latencies: Vec<Duration> = Vec::with_capacity(outcomes.len());
    let mut acknowledged = vec![false; bodies.len()];
    for (index, status, latency) in &outcomes {
        *by_status.entry(*status).or_default() += 1;
        if *status == 200 {
            acknowledged[*index] = true;
            latencies.push(*latency);
        }
    }
    latencies.sort();
    let acked_messages: usize = bodies
        .iter()
        .zip(&acknowledged)
        .filter(|(_, a)| **a)
        .map(|(b, _)| b.messages.len())
        .sum();
    let ok = by_status.get(&200).copied().unwrap_or(0);
    println!(
        "acknowledged {ok} of {} deliveries in {:.2} s: {:.0} bodies/s, {:.0} inbound messages/s{}",
        outcomes.len(),
        elapsed.as_secs_f64(),
        ok as f64 / elapsed.as_secs_f64(),
        acked_messages as f64 * args.deliveries as f64 / elapsed.as_secs_f64(),
        if args.deliveries > 1 {
            " (each delivery counted)"
        } else {
            ""
        },
    );
    println!(
        "acknowledgement latency: p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        percentile(&latencies, 0.50).as_secs_f64() * 1000.0,
        percentile(&latencies, 0.95).as_secs_f64() * 1000.0,
        percentile(&latencies, 0.99).as_secs_f64() * 1000.0,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1000.0,
    );
    println!(
        "answers by status (0 = no answer): {}",
        by_status
            .iter()
            .map(|(s, n)| format!("{s}: {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if let Some(cpu) = own_cpu_seconds() {
        println!("inbox-load itself used {cpu:.1} s of CPU");
    }
    match projection_lag(&args.url).await {
        Some(lag) => println!(
            "projections caught up {:.2} s after the last answer",
            lag.as_secs_f64()
        ),
        None => {
            println!("projections did not catch up within 10 minutes (or /health was unreadable)")
        }
    }

    let Some(database_url) = &args.database_url else {
        return Ok(());
    };
    let pool = sqlx::PgPool::connect(database_url).await?;
    let stored: Vec<(String, i64)> = sqlx::query_as(
        "select payload->>'wamid', count(*) from events
         where event_type = 'message.received' and payload->>'wamid' like $1 group by 1",
    )
    .bind(format!("wamid.load.{}.%", args.run))
    .fetch_all(&pool)
    .await?;
    let stored: HashMap<String, i64> = stored.into_iter().collect();
    let (mut missing, mut duplicated, mut stray, mut half) = (0usize, 0usize, 0usize, 0usize);
    for (body, acked) in bodies.iter().zip(&acknowledged) {
        // A body's messages all belong to one conversation, appended in one transaction: all or none.
        let present = body
            .messages
            .iter()
            .filter(|w| stored.contains_key(*w))
            .count();
        if present != 0 && present != body.messages.len() {
            half += 1;
        }
        for wamid in &body.messages {
            match (stored.get(wamid).copied().unwrap_or(0), acked) {
                (0, true) => missing += 1,
                (n, _) if n > 1 => duplicated += 1,
                (1, false) => stray += 1,
                _ => {}
            }
        }
    }
    println!(
        "exactly-once: {acked_messages} acknowledged messages, {} stored; missing {missing}, stored twice or more {duplicated}, \
         stored though never acknowledged {stray} (allowed: Meta would redeliver it); bodies half stored {half}",
        stored.len()
    );
    anyhow::ensure!(
        missing == 0 && duplicated == 0 && half == 0,
        "acknowledged messages were lost or duplicated, or a body was half stored"
    );
    Ok(())
}
