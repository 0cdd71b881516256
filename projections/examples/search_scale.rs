//! Speed at scale of the search queries (issue 17, "Measured → Speed at scale"): fills a database with N
//! synthetic documents and vectors, then times `keyword()` and `nearest()` — the SQL `GET /api/v1/search`
//! runs — and measures the recall@10 of `nearest()` against an exact scan. `bench/search-scale/` runs it.
//!
//! ```text
//! DATABASE_URL=... search_scale fill N     # empties the search tables, COPYs N documents + vectors, indexes (no HNSW)
//! DATABASE_URL=... search_scale hnsw [M EF_CONSTRUCTION]  # builds the HNSW index (default: the migration's 32 200), timed
//! DATABASE_URL=... search_scale bench [Q [keyword|nearest|hybrid]]  # Q queries (default 200): latencies and recall@10
//!                                              # (hybrid: a hybrid search's two rankings, one after the other or at once)
//! search_scale geometry N [PROBES]  # cosine percentiles of the space (no database)
//! ```
//!
//! `SEARCH_SCALE_STRIDE=K` (round 12) places the documents K log positions apart.
//!
//! `SEARCH_SCALE_VECTORS=real:FILE` (round 4) draws the documents around real multilingual-e5-small vectors
//! (FILE, written by bench/search-scale/embed.py) instead of the default isotropic centroids; see `space()`.
//!
//! Everything is drawn from a fixed seed, document by document, so `bench` regenerates the very vectors
//! `fill` stored and ranks them exactly in memory (the ground truth), without reading 1.5 GB back.
//! Vectors have cluster structure (1,000 centroids of skewed popularity, plus noise, normalised): uniform
//! noise would make every point about as far as every other and recall figures meaningless.

use anyhow::{bail, Context};
use chrono::{DateTime, Duration, TimeZone, Utc};
use projections::scope::AccountScope;
use projections::search::queries::{
    keyword_facets_within, keyword_within, nearest_planned, vector_literal, Filters, IterativeScan,
    NearestPlan, KEYWORD_RANKED, NEAREST,
};
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use std::collections::{BTreeMap, HashSet};
use std::time::Instant;

const DIM: usize = 384;
const CENTROIDS: usize = 1_000;
/// Per-dimension noise around a centroid: a document's cosine to its centroid is about 0.7, to another
/// document of its cluster about 0.5, to a random one about 0.
const NOISE: f32 = 0.045;
const SEED: u64 = 0x05ea_7c45_ca1e;
const MODEL: &str = "synthetic-384";
/// Shares of the documents per business number, in percent: a number filter keeps 1 to 30 %.
const ACCOUNT_SHARES: [u32; 10] = [30, 20, 14, 10, 8, 6, 5, 4, 2, 1];
/// Documents per conversation, on average.
const PER_CONVERSATION: u64 = 40;
/// Seconds a latency or recall case may take before it stops (after at least 20 queries): an exact ranking of a
/// third of a million documents takes seconds, and 200 of them would take the afternoon.
const BUDGET: u64 = 20;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("geometry") {
        let n: u64 = args.get(1).context("geometry N [PROBES]")?.parse()?;
        let probes: usize = args.get(2).map(|s| s.parse()).transpose()?.unwrap_or(200);
        return geometry(n, probes);
    }
    let url = std::env::var("DATABASE_URL").context("DATABASE_URL is not set")?;
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .connect(&url)
        .await?;
    match args.first().map(String::as_str) {
        Some("fill") => {
            let n: u64 = args.get(1).context("fill N")?.parse()?;
            fill(&pool, n).await
        }
        Some("hnsw") => {
            let m: Option<u32> = args.get(1).map(|s| s.parse()).transpose()?;
            let ef: Option<u32> = args.get(2).map(|s| s.parse()).transpose()?;
            hnsw(&pool, m, ef).await
        }
        Some("bench") => {
            let q: usize = args.get(1).map(|s| s.parse()).transpose()?.unwrap_or(200);
            let only = args.get(2).map(String::as_str);
            bench(&pool, q, only).await
        }
        Some("unfiltered") => {
            let ef: i64 = args.get(1).context("unfiltered EF")?.parse()?;
            unfiltered(&pool, ef).await
        }
        _ => bail!(
            "usage: search_scale fill N | hnsw [M EF_CONSTRUCTION] | bench [QUERIES [keyword|nearest|hybrid]] | unfiltered EF | geometry N [PROBES]"
        ),
    }
}

/// SplitMix64: small, fast, and good enough to draw synthetic data reproducibly.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        let mut r = Rng(seed);
        r.next();
        r
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// Two independent standard normal draws (Box-Muller).
    fn gauss2(&mut self) -> (f32, f32) {
        let u = self.unit().max(1e-300);
        let v = self.unit();
        let r = (-2.0 * u.ln()).sqrt();
        let t = std::f64::consts::TAU * v;
        ((r * t.cos()) as f32, (r * t.sin()) as f32)
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

fn normalise(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.iter_mut().for_each(|x| *x /= norm);
}

/// Where the vectors come from: the centroids documents are drawn around, the noise per dimension, and
/// (for real vectors) the vectors queries are drawn around.
struct Space {
    centroids: Vec<Vec<f32>>,
    noise: f32,
    /// Real query vectors (the labelled queries of bench/search, then held-out messages); empty for the
    /// isotropic space, whose queries are drawn around the centroids like the documents.
    queries: Vec<Vec<f32>>,
    label: String,
}

/// `SEARCH_SCALE_VECTORS` unset or `isotropic`: 1,000 random unit centroids, noise `NOISE` (rounds 1-3).
/// `real:FILE`: the centroids and query vectors of FILE (written by bench/search-scale/embed.py: real
/// multilingual-e5-small vectors), and noise such that a document's expected cosine to its centroid is
/// `SEARCH_SCALE_COSINE` (default 0.93, a paraphrase's cosine). The file is read as it is, bit for bit,
/// by `fill` and `bench` alike, so the exact ranking stays exact.
fn space() -> anyhow::Result<Space> {
    let spec = std::env::var("SEARCH_SCALE_VECTORS").unwrap_or_default();
    if spec.is_empty() || spec == "isotropic" {
        return Ok(Space {
            centroids: isotropic_centroids(),
            noise: NOISE,
            queries: Vec::new(),
            label: format!("isotropic: {CENTROIDS} random unit centroids, noise {NOISE}"),
        });
    }
    let path = spec
        .strip_prefix("real:")
        .context("SEARCH_SCALE_VECTORS is isotropic or real:FILE")?;
    let bytes = std::fs::read(path).with_context(|| format!("reading {path}"))?;
    let word = |k: usize| u32::from_le_bytes(bytes[4 * k..4 * k + 4].try_into().unwrap()) as usize;
    if bytes.len() < 16 || word(0) != 0x4535_5643 || word(1) != DIM {
        bail!("{path} is not a {DIM}-dimension vector file of embed.py");
    }
    let (nc, nq) = (word(2), word(3));
    if bytes.len() != 16 + (nc + nq) * DIM * 4 || nc == 0 || nq == 0 {
        bail!("{path}: size does not match {nc} centroids + {nq} queries");
    }
    let mut vectors: Vec<Vec<f32>> = bytes[16..]
        .chunks_exact(DIM * 4)
        .map(|v| {
            v.chunks_exact(4)
                .map(|x| f32::from_le_bytes(x.try_into().unwrap()))
                .collect()
        })
        .collect();
    let queries = vectors.split_off(nc);
    let cosine: f32 = match std::env::var("SEARCH_SCALE_COSINE") {
        Ok(c) => c.parse().context("SEARCH_SCALE_COSINE")?,
        Err(_) => 0.93,
    };
    // |centroid + noise|: 1 + DIM σ² on average, so cos = 1 / sqrt(1 + DIM σ²).
    let noise = ((1.0 / (cosine * cosine) - 1.0) / DIM as f32).sqrt();
    // FNV-1a of the file, printed so two logs can be seen to use the same vectors.
    let fnv = bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ *b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    });
    Ok(Space {
        centroids: vectors,
        noise,
        queries,
        label: format!(
            "real: {nc} e5 centroids and {nq} e5 query vectors of {path} (fnv {fnv:016x}), noise {noise:.5} (cosine to the centroid ~{cosine})"
        ),
    })
}

fn isotropic_centroids() -> Vec<Vec<f32>> {
    let mut rng = Rng::new(SEED);
    (0..CENTROIDS)
        .map(|_| {
            let mut c = vec![0f32; DIM];
            for pair in c.chunks_mut(2) {
                let (a, b) = rng.gauss2();
                pair[0] = a;
                pair[1] = b;
            }
            normalise(&mut c);
            c
        })
        .collect()
}

/// A cluster of skewed popularity: a few topics are much more talked about than most.
fn cluster(rng: &mut Rng, count: usize) -> usize {
    let u = rng.unit();
    ((u * u * count as f64) as usize).min(count - 1)
}

fn near(rng: &mut Rng, centroid: &[f32], noise: f32) -> Vec<f32> {
    let mut v = centroid.to_vec();
    for pair in v.chunks_mut(2) {
        let (a, b) = rng.gauss2();
        pair[0] += noise * a;
        pair[1] += noise * b;
    }
    normalise(&mut v);
    v
}

fn account_of(rng: &mut Rng) -> usize {
    let mut x = rng.below(100) as u32;
    for (i, share) in ACCOUNT_SHARES.iter().enumerate() {
        if x < *share {
            return i;
        }
        x -= share;
    }
    ACCOUNT_SHARES.len() - 1
}

fn account_id(a: usize) -> String {
    format!("1{:014}", 33_600_000_000u64 + a as u64 * 1_111_111)
}

/// (brand, model, reference): what dealers talk about.
const WATCHES: &[(&str, &str, &str)] = &[
    ("Rolex", "Submariner", "116610LN"),
    ("Rolex", "Submariner", "124060"),
    ("Rolex", "Daytona", "116500LN"),
    ("Rolex", "GMT-Master II", "126710BLRO"),
    ("Rolex", "Datejust", "126334"),
    ("Rolex", "Explorer", "214270"),
    ("Patek Philippe", "Nautilus", "5711/1A"),
    ("Patek Philippe", "Aquanaut", "5167A"),
    ("Audemars Piguet", "Royal Oak", "15500ST"),
    ("Audemars Piguet", "Royal Oak Offshore", "26470ST"),
    ("Omega", "Speedmaster", "311.30.42.30.01.005"),
    ("Omega", "Seamaster", "210.30.42.20.03.001"),
    ("Cartier", "Santos", "WSSA0018"),
    ("Tudor", "Black Bay", "79230N"),
    ("Richard Mille", "RM 011", "RM011"),
    ("Vacheron Constantin", "Overseas", "4500V"),
    ("IWC", "Portugieser", "IW371605"),
    ("Jaeger-LeCoultre", "Reverso", "Q3978480"),
    ("Panerai", "Luminor", "PAM01312"),
    ("Hublot", "Big Bang", "301.SX.1170.RX"),
    ("Breitling", "Navitimer", "AB0138211B1A1"),
    ("Grand Seiko", "Snowflake", "SBGA211"),
    ("A. Lange & Söhne", "Lange 1", "191.032"),
    ("Zenith", "Chronomaster", "03.3200.3600"),
];

/// Listings and questions, French and English; `{b}` brand, `{m}` model, `{r}` reference, `{y}` year,
/// `{p}` price, `{c}` condition. The bool says whether it is an offer (a listing with a price).
const TEMPLATES: &[(&str, bool)] = &[
    (
        "Bonjour, je cherche une {b} {m} {r}, full set si possible",
        false,
    ),
    (
        "Dispo : {b} {m} réf. {r}, année {y}, état {c}, {p} € à débattre",
        true,
    ),
    (
        "Vous avez toujours la {m} ? Quel est votre meilleur prix ?",
        false,
    ),
    (
        "Je vends ma {b} {r} de {y}, boîte et papiers, {p} EUR",
        true,
    ),
    (
        "Merci, je vous envoie les photos de la {m} demain matin",
        false,
    ),
    (
        "Prix net pour la {r} : {p} €, livraison possible à Paris ou Genève",
        true,
    ),
    ("Hi, looking for a {b} {m} {r}, full set preferred", false),
    (
        "Available: {b} {m} ref {r}, {y}, {c} condition, {p} USD",
        true,
    ),
    ("Do you still have the {m}? What's your best price?", false),
    (
        "Selling my {b} {r} from {y}, box and papers, asking {p} EUR",
        true,
    ),
    ("Thanks, I'll send pictures of the {m} tomorrow", false),
    ("Can you do {p} for the {r}? Wire transfer today.", true),
];

const CHATTER: &[&str] = &[
    "Ok parfait, merci beaucoup",
    "Bonne journée à vous",
    "Où êtes-vous situé exactement ?",
    "Je vous rappelle dans l'après-midi",
    "Sounds good, talk soon",
    "Is shipping insured to London?",
    "Let me check with my partner and come back to you",
    "Le virement est parti ce matin",
];

const CONDITIONS: &[&str] = &[
    "neuve",
    "comme neuve",
    "très bon",
    "unworn",
    "excellent",
    "good",
];

fn fold(s: &str) -> String {
    s.to_lowercase()
        .chars()
        .map(|c| match c {
            'à' | 'â' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' => 'i',
            'ô' | 'ö' => 'o',
            'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            c => c,
        })
        .collect()
}

/// A reference as the extractor keeps it: upper-cased, and again without its separators.
fn codes(reference: &str) -> Vec<String> {
    let upper = reference.to_uppercase();
    let bare: String = upper
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    if bare == upper {
        vec![upper]
    } else {
        vec![upper, bare]
    }
}

struct Doc {
    account: usize,
    conversation: u64,
    inbound: bool,
    image: bool,
    body: String,
    watch: Option<(usize, bool, f64)>,
    /// The centroid the vector was drawn around.
    cluster: usize,
    vector: Vec<f32>,
}

/// Document `i`, the same every time it is drawn. Its words follow its topic (cluster), as a real
/// embedding follows the text.
fn doc(i: u64, n: u64, space: &Space) -> Doc {
    let mut rng = Rng::new(SEED ^ (i + 1).wrapping_mul(0x2545_f491_4f6c_dd1d));
    let account = account_of(&mut rng);
    let conversations = (ACCOUNT_SHARES[account] as u64 * n / 100 / PER_CONVERSATION).max(1);
    let conversation = rng.below(conversations);
    let inbound = rng.below(100) < 55;
    let image = rng.below(100) < 8;
    let c = cluster(&mut rng, space.centroids.len());
    let vector = near(&mut rng, &space.centroids[c], space.noise);
    let (body, watch) = if rng.below(100) < 20 {
        (rng.pick(CHATTER).to_string(), None)
    } else {
        let w = c % WATCHES.len();
        let (brand, model, reference) = WATCHES[w];
        let (template, offer) = *rng.pick(TEMPLATES);
        let year = 2015 + rng.below(11);
        let price = (5_000 + rng.below(150) * 500) as f64;
        let condition = *rng.pick(CONDITIONS);
        let body = template
            .replace("{b}", brand)
            .replace("{m}", model)
            .replace("{r}", reference)
            .replace("{y}", &year.to_string())
            .replace("{p}", &(price as u64).to_string())
            .replace("{c}", condition);
        (body, Some((w, offer, price)))
    };
    Doc {
        account,
        conversation,
        inbound,
        image,
        body,
        watch,
        cluster: c,
        vector,
    }
}

fn message_id(i: u64) -> String {
    format!("wamid.HBgL{i:012}")
}

fn sha(i: u64) -> String {
    let mut rng = Rng::new(i);
    format!(
        "{:016x}{:016x}{:016x}{:016x}",
        rng.next(),
        rng.next(),
        rng.next(),
        i
    )
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 12, 1, 0, 0, 0).unwrap()
}

fn array(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("\"{s}\"")).collect();
    format!("{{{}}}", quoted.join(","))
}

/// One document as a line of COPY's text format (no field holds a tab, newline or backslash).
fn document_line(i: u64, d: &Doc, n: u64, out: &mut String) {
    use std::fmt::Write;
    let written = start() + Duration::seconds((i as i64) * (2 * 365 * 86_400) / n as i64);
    let (code_list, brands, models, refs, listing, price, currency) = match d.watch {
        Some((w, offer, price)) => {
            let (b, m, r) = WATCHES[w];
            (
                codes(r),
                vec![b.to_string()],
                vec![m.to_string()],
                vec![r.to_uppercase()],
                if offer { "sell" } else { "buy" },
                if offer {
                    price.to_string()
                } else {
                    "\\N".into()
                },
                if offer { "EUR" } else { "\\N" },
            )
        }
        None => (vec![], vec![], vec![], vec![], "\\N", "\\N".into(), "\\N"),
    };
    let _ = writeln!(
        out,
        "conv-{a}-{c}\t{mid}\t{acc}\tcontact-{a}-{c}\t{dir}\t{kind}\t{body}\t{folded}\t{codes}\t{sha}\t{written}\t{brands}\t{models}\t{refs}\t{listing}\t{price}\t{currency}\t3\t{pos}",
        a = d.account,
        c = d.conversation,
        mid = message_id(i),
        acc = account_id(d.account),
        dir = if d.inbound { "inbound" } else { "outbound" },
        kind = if d.image { "image" } else { "text" },
        body = d.body,
        folded = fold(&d.body),
        codes = array(&code_list),
        sha = sha(i),
        written = written.to_rfc3339(),
        brands = array(&brands),
        models = array(&models),
        refs = array(&refs),
        pos = (i + 1) * stride(),
    );
}

/// `SEARCH_SCALE_STRIDE` (default 1): the log positions between two documents. A real log holds other
/// events between messages, so a million messages span several million positions, and the keyword walk
/// reaches its windows of 2^20 (round 12: a stride of 8).
/// Read once: `fill` asks for it at every document.
fn stride() -> u64 {
    static STRIDE: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *STRIDE.get_or_init(|| {
        std::env::var("SEARCH_SCALE_STRIDE")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(1)
    })
}

/// One vector row in COPY's binary format: (model, sha256, embedding).
fn vector_row(i: u64, v: &[f32], out: &mut Vec<u8>) {
    out.extend_from_slice(&3i16.to_be_bytes());
    for text in [MODEL.to_string(), sha(i)] {
        out.extend_from_slice(&(text.len() as i32).to_be_bytes());
        out.extend_from_slice(text.as_bytes());
    }
    // pgvector's binary form of a halfvec: dimensions (int16), unused (int16), then each value's 16 bits.
    out.extend_from_slice(&((4 + 2 * DIM) as i32).to_be_bytes());
    out.extend_from_slice(&(DIM as i16).to_be_bytes());
    out.extend_from_slice(&0i16.to_be_bytes());
    for x in v {
        out.extend_from_slice(&half::f16::from_f32(*x).to_bits().to_be_bytes());
    }
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

async fn timed(pool: &PgPool, label: &str, sql: &str) -> anyhow::Result<()> {
    let t = Instant::now();
    sqlx::raw_sql(sql).execute(pool).await?;
    println!(
        "{label}: {:.1} s (load {})",
        t.elapsed().as_secs_f64(),
        load()
    );
    Ok(())
}

/// The secondary indexes of the search migrations, built after the load (faster than during it).
const INDEXES: &[(&str, &str)] = &[
    ("search_documents_keys_idx", "create index search_documents_keys_idx on search_documents using gin (search_keys(tsv, codes, account_id, position))"),
    ("search_documents_codes_idx", "create index search_documents_codes_idx on search_documents using gin (codes)"),
    ("search_documents_written_idx", "create index search_documents_written_idx on search_documents (written_at desc, conversation_id, message_id)"),
    ("search_documents_account_idx", "create index search_documents_account_idx on search_documents (account_id, written_at desc)"),
    ("search_documents_position_idx", "create index search_documents_position_idx on search_documents (position)"),
    ("search_documents_passage_hash_idx", "create index search_documents_passage_hash_idx on search_documents using hash (passage_sha256)"),
    ("search_vectors_sha256_hash_idx", "create index search_vectors_sha256_hash_idx on search_vectors using hash (sha256)"),
];

const MAINTENANCE: &str =
    "set maintenance_work_mem = '4GB'; set max_parallel_maintenance_workers = 1;";

async fn fill(pool: &PgPool, n: u64) -> anyhow::Result<()> {
    println!("fill {n} documents (load {})", load());
    sqlx::raw_sql(
        "truncate search_documents, search_vectors; drop index if exists search_vectors_hnsw_idx",
    )
    .execute(pool)
    .await?;
    for (name, _) in INDEXES {
        sqlx::raw_sql(&format!("drop index if exists {name}"))
            .execute(pool)
            .await?;
    }
    let space = space()?;
    println!("vectors: {}", space.label);
    let t = Instant::now();
    let mut conn = pool.acquire().await?;
    let mut docs = conn
        .copy_in_raw("copy search_documents (conversation_id, message_id, account_id, contact_id, direction, kind, body, folded, codes, passage_sha256, written_at, brands, models, refs, listing_type, price, currency, extractor_version, position) from stdin")
        .await?;
    let mut vectors: Vec<u8> = Vec::with_capacity((n as usize) * (DIM * 2 + 110) + 32);
    vectors.extend_from_slice(b"PGCOPY\n\xff\r\n\0");
    vectors.extend_from_slice(&0i32.to_be_bytes());
    vectors.extend_from_slice(&0i32.to_be_bytes());
    let mut text = String::new();
    for i in 0..n {
        let d = doc(i, n, &space);
        document_line(i, &d, n, &mut text);
        vector_row(i, &d.vector, &mut vectors);
        if text.len() > 4 << 20 {
            docs.send(std::mem::take(&mut text).into_bytes()).await?;
        }
    }
    docs.send(text.into_bytes()).await?;
    docs.finish().await?;
    println!(
        "copy search_documents (tsvector computed on the way): {:.1} s (load {})",
        t.elapsed().as_secs_f64(),
        load()
    );
    vectors.extend_from_slice(&(-1i16).to_be_bytes());
    let t = Instant::now();
    let mut copy = conn
        .copy_in_raw(
            "copy search_vectors (model, sha256, embedding) from stdin with (format binary)",
        )
        .await?;
    for chunk in vectors.chunks(8 << 20) {
        copy.send(chunk).await?;
    }
    copy.finish().await?;
    drop(conn);
    println!(
        "copy search_vectors: {:.1} s (load {})",
        t.elapsed().as_secs_f64(),
        load()
    );
    for (name, ddl) in INDEXES {
        timed(pool, name, &format!("{MAINTENANCE} {ddl}")).await?;
    }
    timed(
        pool,
        "vacuum analyze search_documents",
        "vacuum analyze search_documents",
    )
    .await?;
    timed(
        pool,
        "vacuum analyze search_vectors",
        "vacuum analyze search_vectors",
    )
    .await?;
    sizes(pool).await
}

async fn hnsw(pool: &PgPool, m: Option<u32>, ef: Option<u32>) -> anyhow::Result<()> {
    sqlx::raw_sql("drop index if exists search_vectors_hnsw_idx")
        .execute(pool)
        .await?;
    // Without arguments, the graph the migrations build (20270111000023_search_halfvec.sql).
    let with = format!(
        " with (m = {}, ef_construction = {})",
        m.unwrap_or(32),
        ef.unwrap_or(200)
    );
    timed(
        pool,
        &format!("search_vectors_hnsw_idx{with} (maintenance_work_mem 4GB, 1 parallel worker)"),
        &format!("{MAINTENANCE} create index search_vectors_hnsw_idx on search_vectors using hnsw (embedding halfvec_cosine_ops){with}"),
    )
    .await?;
    sizes(pool).await
}

async fn sizes(pool: &PgPool) -> anyhow::Result<()> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "select c.relname::text, pg_total_relation_size(c.oid) from pg_class c
         where c.relname like 'search_%' and c.relkind in ('r', 'i') order by 2 desc",
    )
    .fetch_all(pool)
    .await?;
    for (name, bytes) in rows {
        println!("size {name}: {:.1} MB", bytes as f64 / 1e6);
    }
    Ok(())
}

fn filters(account: Option<usize>) -> Filters {
    Filters {
        scope: AccountScope::All {
            except: Default::default(),
        },
        account: account.map(account_id),
        conversation: None,
        contact: None,
        direction: None,
        kind: None,
        since: None,
        until: None,
        brand: None,
        model: None,
        reference: None,
        listing_type: None,
        price_min: None,
        price_max: None,
        currency: None,
    }
}

/// The number filters measured: none, the biggest number (30 %), a middling one (4 %), the smallest (1 %).
const CASES: [(&str, Option<usize>); 4] = [
    ("no filter", None),
    ("number 30 %", Some(0)),
    ("number 4 %", Some(7)),
    ("number 1 %", Some(9)),
];

/// Query texts: words, and sometimes a reference typed as the API would pass its exact tokens.
const QUERY_TEXTS: &[(&str, &[&str])] = &[
    ("rolex submariner", &[]),
    ("daytona prix", &[]),
    ("nautilus 5711", &["5711"]),
    ("royal oak full set", &[]),
    ("speedmaster", &[]),
    ("boîte et papiers", &[]),
    ("best price", &[]),
    ("116610LN", &["116610LN"]),
    ("GMT-Master II", &[]),
    ("photos demain", &[]),
    ("cherche aquanaut", &[]),
    ("wire transfer", &[]),
    ("luminor", &[]),
    ("RM011", &["RM011"]),
    ("livraison Genève", &[]),
];

fn percentiles(mut ms: Vec<f64>) -> String {
    ms.sort_by(f64::total_cmp);
    let at = |p: f64| ms[((ms.len() as f64 * p).ceil() as usize).clamp(1, ms.len()) - 1];
    format!(
        "p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        at(0.50),
        at(0.95),
        at(0.99),
        at(1.0)
    )
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    for (x, y) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    acc.iter().sum()
}

/// The exact 10 nearest message ids of each query, for each case: every document regenerated and
/// compared with every query.
fn ground_truth(n: u64, queries: &[Vec<f32>], space: &Space) -> Vec<Vec<Vec<u64>>> {
    // tops[case][query]: (similarity, document), best first, at most 10.
    let mut tops: Vec<Vec<Vec<(f32, u64)>>> = vec![vec![Vec::new(); queries.len()]; CASES.len()];
    for i in 0..n {
        let d = doc(i, n, space);
        for (qi, q) in queries.iter().enumerate() {
            let s = dot(q, &d.vector);
            for (ci, (_, account)) in CASES.iter().enumerate() {
                if account.is_some_and(|a| a != d.account) {
                    continue;
                }
                let top = &mut tops[ci][qi];
                if top.len() < 10 || s > top[top.len() - 1].0 {
                    let at = top.partition_point(|(t, _)| *t >= s);
                    top.insert(at, (s, i));
                    top.truncate(10);
                }
            }
        }
    }
    tops.into_iter()
        .map(|per_query| {
            per_query
                .into_iter()
                .map(|top| top.into_iter().map(|(_, i)| i).collect())
                .collect()
        })
        .collect()
}

/// The document count and the bench's query vectors.
/// Isotropic space: queries drawn like documents (near a centroid, same popularity). Real space: the
/// file's query vectors in order (cycling if fewer than `count`), each with the documents' noise.
async fn setup(pool: &PgPool, count: usize) -> anyhow::Result<(u64, Vec<Vec<f32>>, Space)> {
    let n: i64 = sqlx::query_scalar("select count(*) from search_documents")
        .fetch_one(pool)
        .await?;
    let space = space()?;
    println!("vectors: {}", space.label);
    let mut rng = Rng::new(SEED ^ 0x00c0_ffee);
    let queries: Vec<Vec<f32>> = (0..count)
        .map(|k| {
            if space.queries.is_empty() {
                let c = cluster(&mut rng, space.centroids.len());
                near(&mut rng, &space.centroids[c], space.noise)
            } else {
                near(
                    &mut rng,
                    &space.queries[k % space.queries.len()],
                    space.noise,
                )
            }
        })
        .collect();
    Ok((n as u64, queries, space))
}

/// p5 / p50 / p95 of a list of cosines.
fn spread(mut xs: Vec<f32>) -> String {
    xs.sort_by(f32::total_cmp);
    let at = |p: f64| xs[((p * xs.len() as f64) as usize).min(xs.len() - 1)];
    format!("{:.3} / {:.3} / {:.3}", at(0.05), at(0.5), at(0.95))
}

/// The geometry of the space (no database): cosines p5 / p50 / p95 of random centroid pairs, of each
/// centroid to its nearest other centroid, of random document pairs, of a document to its centroid and
/// to its nearest other document among the N that `fill N` draws, and of a bench query to its 1st and
/// 10th nearest document and the gap between the two (what HNSW has to tell apart).
fn geometry(n: u64, probes: usize) -> anyhow::Result<()> {
    let space = space()?;
    println!(
        "geometry of {n} documents, {probes} probes; vectors: {}",
        space.label
    );
    let t = Instant::now();
    let cs = &space.centroids;
    let mut rng = Rng::new(SEED ^ 0x0000_9e0e);
    let pairs: Vec<f32> = (0..20_000)
        .map(|_| {
            let a = rng.below(cs.len() as u64) as usize;
            let b = (a + 1 + rng.below(cs.len() as u64 - 1) as usize) % cs.len();
            dot(&cs[a], &cs[b])
        })
        .collect();
    println!("centroids ({}): random pairs {}", cs.len(), spread(pairs));
    let nn: Vec<f32> = (0..cs.len().min(2_000))
        .map(|a| {
            (0..cs.len())
                .filter(|b| *b != a)
                .map(|b| dot(&cs[a], &cs[b]))
                .fold(f32::MIN, f32::max)
        })
        .collect();
    println!("centroids: nearest other centroid {}", spread(nn));
    // Probes: the first documents and the bench's first queries; one pass over the N documents.
    let probe_docs: Vec<Doc> = (0..probes as u64).map(|i| doc(i, n, &space)).collect();
    let to_centroid: Vec<f32> = probe_docs
        .iter()
        .map(|d| dot(&cs[d.cluster], &d.vector))
        .collect();
    println!(
        "documents: cosine to their own centroid {}",
        spread(to_centroid)
    );
    let mut qrng = Rng::new(SEED ^ 0x00c0_ffee);
    let queries: Vec<Vec<f32>> = (0..probes)
        .map(|k| {
            if space.queries.is_empty() {
                let c = cluster(&mut qrng, cs.len());
                near(&mut qrng, &cs[c], space.noise)
            } else {
                near(
                    &mut qrng,
                    &space.queries[k % space.queries.len()],
                    space.noise,
                )
            }
        })
        .collect();
    let mut doc_nn = vec![f32::MIN; probes];
    let mut random_pairs = Vec::new();
    let mut query_top: Vec<Vec<f32>> = vec![Vec::new(); probes];
    for i in 0..n {
        let d = doc(i, n, &space);
        for (p, pd) in probe_docs.iter().enumerate() {
            let s = dot(&pd.vector, &d.vector);
            if i as usize != p && s > doc_nn[p] {
                doc_nn[p] = s;
            }
            if i % (n / 50).max(1) == 0 && i as usize != p {
                random_pairs.push(s);
            }
        }
        for (q, top) in queries.iter().zip(query_top.iter_mut()) {
            let s = dot(q, &d.vector);
            if top.len() < 10 || s > top[top.len() - 1] {
                let at = top.partition_point(|t| *t >= s);
                top.insert(at, s);
                top.truncate(10);
            }
        }
    }
    println!("documents: random pairs {}", spread(random_pairs));
    println!("documents: nearest other document {}", spread(doc_nn));
    println!(
        "queries: 1st nearest document {}",
        spread(query_top.iter().map(|t| t[0]).collect())
    );
    println!(
        "queries: 10th nearest document {}",
        spread(query_top.iter().map(|t| t[t.len() - 1]).collect())
    );
    println!(
        "queries: 1st - 10th {}",
        spread(query_top.iter().map(|t| t[0] - t[t.len() - 1]).collect())
    );
    println!("geometry: {:.1} s", t.elapsed().as_secs_f64());
    Ok(())
}

/// The recall and latency without a filter when the index is asked for `ef` rows with `ef_search` `ef`.
async fn unfiltered(pool: &PgPool, ef: i64) -> anyhow::Result<()> {
    let (n, queries, space) = setup(pool, 200).await?;
    let truth = ground_truth(n, &queries, &space);
    deeper(pool, &queries, &truth[0], None, ef, "no filter").await
}

/// The plans of `nearest()` measured with a number filter: round 2's (no iterative scan), the current
/// default, and variants of pgvector 0.8's iterative scan (the same as round 2's on a pgvector without it).
fn plans(walks: bool) -> Vec<(&'static str, NearestPlan)> {
    let plan = |exact_up_to, filtered_ef, iterative| NearestPlan {
        exact_up_to,
        filtered_ef,
        iterative,
    };
    let round2 = (
        "round 2: exact up to 20000, index 400, no walk",
        plan(20_000, 400, IterativeScan::Off),
    );
    if !walks {
        // Without iterative scans the walking plans below are round 2's; the default differs from it
        // only by its depth (FILTERED_EF).
        let default = NearestPlan::default();
        return if default.filtered_ef == round2.1.filtered_ef {
            vec![round2]
        } else {
            vec![round2, ("default (no walk)", default)]
        };
    }
    // Round 6's plan (depth 600, no walk), walks at that depth, then the default and its variants.
    vec![
        round2,
        (
            "no walk, ef 600 (round 6)",
            plan(20_000, NEAREST, IterativeScan::Off),
        ),
        (
            "exact up to 20000, walk relaxed, ef 600",
            plan(20_000, NEAREST, IterativeScan::RelaxedOrder),
        ),
        ("default", NearestPlan::default()),
        (
            "exact up to 20000, walk strict, ef 1000",
            plan(20_000, 1000, IterativeScan::StrictOrder),
        ),
        (
            "no count, walk relaxed, ef 1000",
            plan(0, 1000, IterativeScan::RelaxedOrder),
        ),
    ]
}

async fn bench(pool: &PgPool, count: usize, only: Option<&str>) -> anyhow::Result<()> {
    let (n, queries, space) = setup(pool, count).await?;
    let (server, vector): (String, String) = sqlx::query_as(
        "select current_setting('server_version'),
                (select extversion from pg_extension where extname = 'vector')",
    )
    .fetch_one(pool)
    .await?;
    println!(
        "bench: {n} documents, {count} query vectors, PostgreSQL {server}, pgvector {vector} (load {})",
        load()
    );
    let walks = vector
        .split('.')
        .take(2)
        .map(|x| x.parse::<u32>().unwrap_or(0))
        .collect::<Vec<_>>()
        >= vec![0, 8];
    let warmup = count.min(20);

    let texts: Vec<(String, Vec<String>)> = (0..count)
        .map(|i| {
            let (w, c) = QUERY_TEXTS[i % QUERY_TEXTS.len()];
            (w.to_string(), c.iter().map(|s| s.to_string()).collect())
        })
        .collect();
    // Before (every match ranked and counted) and after (the newest KEYWORD_RANKED), alternating
    // per case so both see the same load. `page`: what GET /api/v1/search?mode=keyword runs (a page
    // of 21 and the facets); `depth`: the keyword list of a hybrid search (200).
    for (label, account) in CASES {
        if only.is_some_and(|o| o != "keyword") {
            break;
        }
        let f = filters(account);
        for (bound, ranked) in [("every match", i64::MAX), ("newest 2000", KEYWORD_RANKED)] {
            let began = Instant::now();
            for (w, c) in &texts[..warmup] {
                if began.elapsed().as_secs() >= BUDGET / 4 {
                    break;
                }
                keyword_within(pool, w, c, &f, None, 200, ranked).await?;
            }
            let mut depth = Vec::new();
            let mut page = Vec::new();
            let mut total = 0;
            let mut capped = 0;
            let began = Instant::now();
            for (w, c) in &texts {
                if depth.len() >= 20 && began.elapsed().as_secs() >= BUDGET {
                    break;
                }
                let t = Instant::now();
                let found = keyword_within(pool, w, c, &f, None, 200, ranked).await?;
                depth.push(t.elapsed().as_secs_f64() * 1e3);
                total += found.hits.len();
                capped += usize::from(found.capped);
                let t = Instant::now();
                keyword_within(pool, w, c, &f, None, 21, ranked).await?;
                keyword_facets_within(pool, w, c, &f, ranked).await?;
                page.push(t.elapsed().as_secs_f64() * 1e3);
            }
            let asked = depth.len();
            println!(
                "keyword {label}, {bound}: {asked} queries, limit=200 {}; page of 21 + facets {} (mean hits {:.0}, capped {capped}/{asked}, load {})",
                percentiles(depth),
                percentiles(page),
                total as f64 / asked as f64,
                load()
            );
        }
    }

    if only == Some("keyword") {
        return Ok(());
    }
    if only == Some("hybrid") {
        return hybrid(pool, &queries, &texts).await;
    }
    let t = Instant::now();
    let truth = ground_truth(n, &queries, &space);
    println!(
        "exact ranking in memory: {:.1} s",
        t.elapsed().as_secs_f64()
    );
    spot_check(pool, &queries, &truth).await?;

    // nearest(): k = 200 (the API's DEPTH) latency with the default plan, then k = 10 latency and
    // recall@10 for each plan (the plan only matters with a filter).
    for (label, account) in CASES {
        let f = filters(account);
        let k200 = match (walks, account) {
            (true, Some(_)) => vec![plans(false)[0], ("default", NearestPlan::default())],
            _ => vec![("default", NearestPlan::default())],
        };
        for (name, plan) in k200 {
            let ms = timed_nearest(pool, &queries, &f, 200, plan, warmup).await?;
            println!(
                "nearest k=200 {label}, {name}: {} queries, {} (load {})",
                ms.len(),
                percentiles(ms),
                load()
            );
        }
    }
    for (ci, (label, account)) in CASES.iter().enumerate() {
        let f = filters(*account);
        let plans = if account.is_some() {
            plans(walks)
        } else {
            vec![("default", NearestPlan::default())]
        };
        for (name, plan) in plans {
            let began = Instant::now();
            for q in &queries[..warmup] {
                if began.elapsed().as_secs() >= BUDGET / 4 {
                    break;
                }
                nearest_planned(pool, MODEL, q, &[], &f, 10, plan).await?;
            }
            let mut ms = Vec::new();
            let mut hit = 0usize;
            let mut worst = 10usize;
            // Near ties: the found documents whose cosine is within 0.005 / 0.01 of the exact 10th, and the
            // exact 10th's cosine minus the found 10th's (what a miss costs in similarity).
            let (mut tie5, mut tie10, mut shortfall) = (0usize, 0usize, Vec::new());
            let began = Instant::now();
            for (qi, q) in queries.iter().enumerate() {
                if ms.len() >= 20 && began.elapsed().as_secs() >= BUDGET {
                    break;
                }
                let t = Instant::now();
                let found: HashSet<String> = nearest_planned(pool, MODEL, q, &[], &f, 10, plan)
                    .await?
                    .into_iter()
                    .map(|c| c.message_id)
                    .collect();
                ms.push(t.elapsed().as_secs_f64() * 1e3);
                let got = truth[ci][qi]
                    .iter()
                    .filter(|i| found.contains(&message_id(**i)))
                    .count();
                hit += got;
                worst = worst.min(got);
                let cosine = |i: u64| dot(q, &doc(i, n, &space).vector);
                let Some(&last) = truth[ci][qi].last() else {
                    continue;
                };
                let tenth = cosine(last);
                let mut cosines: Vec<f32> = found
                    .iter()
                    .filter_map(|m| m.strip_prefix("wamid.HBgL")?.parse::<u64>().ok())
                    .map(cosine)
                    .collect();
                cosines.sort_by(|a, b| b.total_cmp(a));
                tie5 += cosines.iter().filter(|c| **c >= tenth - 0.005).count();
                tie10 += cosines.iter().filter(|c| **c >= tenth - 0.01).count();
                shortfall.push(tenth - cosines.get(9).copied().unwrap_or(-1.0));
            }
            let asked = ms.len();
            shortfall.sort_by(f32::total_cmp);
            let p95 = shortfall[(shortfall.len() * 95 / 100).min(shortfall.len() - 1)];
            println!(
                "nearest k=10 {label}, {name}: {asked} queries, recall@10 {:.4} (worst query {worst}/10), within 0.005 / 0.01 of the exact 10th {:.4} / {:.4}, 10th cosine short by p50 {:.4} p95 {p95:.4}, {} (load {})",
                hit as f64 / (10 * asked) as f64,
                tie5 as f64 / (10 * asked) as f64,
                tie10 as f64 / (10 * asked) as f64,
                shortfall[shortfall.len() / 2],
                percentiles(ms),
                load()
            );
        }
    }
    Ok(())
}

/// A hybrid search's two rankings at the API's depth (200): the keyword list, then the nearest list, one
/// after the other against both at once on the pool's two connections (as `GET /api/v1/search` runs
/// them), alternating query by query so both see the same load. The first 10 queries only warm up.
async fn hybrid(
    pool: &PgPool,
    queries: &[Vec<f32>],
    texts: &[(String, Vec<String>)],
) -> anyhow::Result<()> {
    for (label, account) in CASES {
        let f = filters(account);
        let (mut one_after, mut beside) = (Vec::new(), Vec::new());
        let began = Instant::now();
        for (i, (q, (w, c))) in queries.iter().zip(texts).enumerate() {
            if one_after.len() >= 20 && began.elapsed().as_secs() >= 2 * BUDGET {
                break;
            }
            let keyword = keyword_within(pool, w, c, &f, None, 200, KEYWORD_RANKED);
            let nearest = nearest_planned(pool, MODEL, q, c, &f, 200, NearestPlan::default());
            let t = Instant::now();
            let together = i % 2 == 1;
            if together {
                let (k, n) = tokio::join!(keyword, nearest);
                k?;
                n?;
            } else {
                keyword.await?;
                nearest.await?;
            }
            let ms = t.elapsed().as_secs_f64() * 1e3;
            match (i < 10, together) {
                (true, _) => {}
                (false, true) => beside.push(ms),
                (false, false) => one_after.push(ms),
            }
        }
        println!(
            "hybrid {label}: keyword then nearest, {} queries, {}; both at once, {} queries, {} (load {})",
            one_after.len(),
            percentiles(one_after.clone()),
            beside.len(),
            percentiles(beside.clone()),
            load()
        );
    }
    Ok(())
}

/// Latencies (ms) of `nearest()` with this plan, after up to `warmup` queries.
async fn timed_nearest(
    pool: &PgPool,
    queries: &[Vec<f32>],
    f: &Filters,
    k: i64,
    plan: NearestPlan,
    warmup: usize,
) -> anyhow::Result<Vec<f64>> {
    let began = Instant::now();
    for q in &queries[..warmup] {
        if began.elapsed().as_secs() >= BUDGET / 4 {
            break;
        }
        nearest_planned(pool, MODEL, q, &[], f, k, plan).await?;
    }
    let mut ms = Vec::new();
    let began = Instant::now();
    for q in queries {
        if ms.len() >= 20 && began.elapsed().as_secs() >= BUDGET {
            break;
        }
        let t = Instant::now();
        nearest_planned(pool, MODEL, q, &[], f, k, plan).await?;
        ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    Ok(ms)
}

/// What a deeper HNSW candidate list would give: `nearest()`'s plan (the `ef` nearest by the index, the
/// number filter after, an exact ranking when fewer than `limit` are left) with `ef` instead of 400.
async fn deeper(
    pool: &PgPool,
    queries: &[Vec<f32>],
    truth: &[Vec<u64>],
    account: Option<usize>,
    ef: i64,
    label: &str,
) -> anyhow::Result<()> {
    let mut hit = 0;
    let mut ms = Vec::new();
    let mut fallbacks = 0;
    let began = Instant::now();
    for (qi, q) in queries.iter().enumerate() {
        if ms.len() >= 20 && began.elapsed().as_secs() >= BUDGET {
            break;
        }
        let t = Instant::now();
        let mut tx = pool.begin().await?;
        // A custom plan: the generic one of these catch-all filters joins through a scan of every
        // document the filter keeps.
        sqlx::raw_sql(&format!(
            "set local hnsw.ef_search = {ef}; set local plan_cache_mode = force_custom_plan"
        ))
        .execute(&mut *tx)
        .await?;
        let mut ids: Vec<String> = sqlx::query_scalar(
            "with nearest as (select v.sha256, v.embedding <=> $1::text::halfvec as distance
                              from search_vectors v where v.model = $2
                              order by v.embedding <=> $1::text::halfvec limit $4)
             select d.message_id from nearest c join search_documents d on d.passage_sha256 = c.sha256
             where $3::text is null or d.account_id = $3
             order by c.distance limit 10",
        )
        .bind(vector_literal(q))
        .bind(MODEL)
        .bind(account.map(account_id))
        .bind(ef)
        .fetch_all(&mut *tx)
        .await?;
        if ids.len() < 10 {
            fallbacks += 1;
            ids = sqlx::query_scalar(
                "select d.message_id from search_documents d
                 join search_vectors v on v.model = $2 and v.sha256 = d.passage_sha256
                 where $3::text is null or d.account_id = $3
                 order by (v.embedding <=> $1::text::halfvec) + 0 limit 10",
            )
            .bind(vector_literal(q))
            .bind(MODEL)
            .bind(account.map(account_id))
            .fetch_all(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        ms.push(t.elapsed().as_secs_f64() * 1e3);
        hit += truth[qi]
            .iter()
            .filter(|i| ids.contains(&message_id(**i)))
            .count();
    }
    println!(
        "  asking the index for {ef} (ef_search {ef}), {label}: {} queries, recall@10 {:.4}, {fallbacks} exact fallbacks, k=10 {}",
        ms.len(),
        hit as f64 / (10 * ms.len()) as f64,
        percentiles(ms)
    );
    Ok(())
}

/// The in-memory ranking must be the database's own exact ranking: checks a few queries per case
/// against `order by distance` without the index.
async fn spot_check(
    pool: &PgPool,
    queries: &[Vec<f32>],
    truth: &[Vec<Vec<u64>>],
) -> anyhow::Result<()> {
    let mut mismatches = BTreeMap::new();
    for (ci, (label, account)) in CASES.iter().enumerate() {
        for qi in 0..queries.len().min(3) {
            let ids: Vec<String> = sqlx::query_scalar(
                "select d.message_id from search_documents d
                 join search_vectors v on v.model = $2 and v.sha256 = d.passage_sha256
                 where $3::text is null or d.account_id = $3
                 order by (v.embedding <=> $1::text::halfvec) + 0 limit 10",
            )
            .bind(vector_literal(&queries[qi]))
            .bind(MODEL)
            .bind(account.map(account_id))
            .fetch_all(pool)
            .await?;
            let expected: Vec<String> = truth[ci][qi].iter().map(|i| message_id(*i)).collect();
            let same = ids.iter().filter(|id| expected.contains(id)).count();
            if same != 10 {
                mismatches.insert((label.to_string(), qi), same);
            }
        }
    }
    println!("exact scan in SQL vs in-memory ranking, mismatches: {mismatches:?}");
    Ok(())
}
