//! How fast the watch-listing extractor reads, on one core.
//!
//! `cargo run --release -p actors --example extract_speed [messages.txt]`
//!
//! Reads the given file (one message per line) or, without one, a built-in mix of dealer messages, for
//! at least two seconds, and prints messages per second; then times the worst inputs we know of (100 KB
//! of random text, of digits, of emoji, of HTML, of brand names, of prices) and prints the slowest.

use actors::listings::{extract, gazetteer_size};
use std::time::{Duration, Instant};

const MIX: &[&str] = &[
    "Vends Sub 116610LN full set 2018 9800€",
    "Bonjour à tous 👋",
    "Dispo : Rolex GMT-Master II Pepsi 126710BLRO, 2021, boîte et papiers, 18 500 € à débattre",
    "Cherche Daytona 116500LN blanc, budget 25k€, full set uniquement",
    "WTS Omega Speedmaster Professional 311.30.42.30.01.005 B&P 2019 $5,200 shipped",
    "Quelqu'un a une Nautilus 5711/1A ? Prix ?",
    "Échange ma Tudor BB58 bleue contre une Pelagos",
    "Merci, bien reçu 👍",
    "AP Royal Oak 15202ST 2017 full set CHF 98'000\nPatek Aquanaut 5167A 2020 B&P 72k€",
    "Lot: Seiko SKX007 150€, Hamilton Khaki Field 38mm 350€, Sinn 556i 1 100€",
    "[WTB] Grand Seiko Snowflake SBGA211 under $4.5k",
    "IWC Portugieser IW500710 de 2016, très bon état, sans papiers, 8.200€",
    "Panerai PAM 1312 Luminor Marina 44mm 2019 watch only 5200 ono",
    "JLC Reverso Tribute Q3978480 8k2 à saisir",
    "A. Lange & Söhne Lange 1 101.032 année 2014 FS 28 500 €",
    "ok je regarde ce soir",
];

fn main() {
    let (b, f, n, r, a) = gazetteer_size();
    println!(
        "gazetteer: {b} brands, {f} families, {n} nicknames, {r} reference shapes, {a} aliases"
    );
    let messages: Vec<String> = match std::env::args().nth(1) {
        Some(path) => std::fs::read_to_string(&path)
            .expect("a readable file of messages, one a line")
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_string)
            .collect(),
        None => MIX.iter().map(|s| s.to_string()).collect(),
    };
    // Warm up: the gazetteer and automaton are built on first use.
    let _ = extract("Rolex Submariner 116610LN 9800€");

    let start = Instant::now();
    let mut count = 0usize;
    let mut listings = 0usize;
    let mut bytes = 0usize;
    while start.elapsed() < Duration::from_secs(2) {
        for m in &messages {
            listings += extract(m).listings.len();
            bytes += m.len();
            count += 1;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{count} messages ({} distinct, {:.0} bytes on average) in {secs:.2} s: {:.0} messages/s on one core ({listings} listings)",
        messages.len(),
        bytes as f64 / count as f64,
        count as f64 / secs
    );

    let mut worst: Vec<(String, Duration)> = Vec::new();
    for (name, text) in bad_inputs() {
        let t = Instant::now();
        let e = extract(&text);
        let took = t.elapsed();
        std::hint::black_box(e);
        worst.push((format!("{name} ({} KB)", text.len() / 1024), took));
    }
    worst.sort_by_key(|w| std::cmp::Reverse(w.1));
    for (name, took) in &worst {
        println!("  {:>9.2} ms  {name}", took.as_secs_f64() * 1000.0);
    }
    println!(
        "worst case: {:.2} ms ({})",
        worst[0].1.as_secs_f64() * 1000.0,
        worst[0].0
    );
}

/// A small deterministic generator (no dependency): xorshift.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

fn fill(target: usize, mut piece: impl FnMut() -> String) -> String {
    let mut s = String::with_capacity(target + 64);
    while s.len() < target {
        s.push_str(&piece());
    }
    s
}

fn bad_inputs() -> Vec<(&'static str, String)> {
    const SIZE: usize = 100 * 1024;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let tokens = [
        "Rolex",
        "Sub",
        "116610LN",
        "8 200 €",
        "8.200€",
        "€8,200",
        "8,2k€",
        "8k2",
        "CHF 8'500",
        "$12,500",
        "12.5k USD",
        "2018",
        "12/2019",
        "40mm",
        "39,5mm",
        "full set",
        "B&P",
        "sans papiers",
        "?",
        "WTS",
        "vends",
        "cherche",
        "5711/1A",
        "311.30.42.30.01.005",
        "PAM 1312",
        "IW500710",
        "Hulk",
        "Pepsi",
        "AP",
        "JLC",
        "\n",
        ",",
        "😀",
        "\u{200f}",
        "<b>",
        "&nbsp;",
        "1",
        "12",
        "123",
        "1234",
        "12345",
    ];
    vec![
        (
            "random bytes as text",
            fill(SIZE, || {
                let c = char::from_u32((rng.next() % 0x3000) as u32).unwrap_or('x');
                c.to_string()
            }),
        ),
        (
            "digits and separators",
            fill(SIZE, || {
                let d = rng.next() % 14;
                match d {
                    10 => " ".into(),
                    11 => ".".into(),
                    12 => ",".into(),
                    13 => "'".into(),
                    _ => d.to_string(),
                }
            }),
        ),
        ("emoji only", "😀🎉⌚️👍🏽".repeat(SIZE / 20)),
        (
            "RTL and invisible marks",
            "\u{200f}\u{202e}مرحبا\u{200b}\u{feff}".repeat(SIZE / 20),
        ),
        (
            "HTML",
            "<div class=\"x\"><b>Rolex</b> &nbsp; <a href=\"#\">8&nbsp;200&euro;</a></div>"
                .repeat(SIZE / 70),
        ),
        (
            "brand names",
            "Rolex Omega Patek AP JLC Lange Tudor Cartier ".repeat(SIZE / 45),
        ),
        (
            "prices",
            "8 200 € 8.200€ €8,200 8,2k€ 8k2 ".repeat(SIZE / 32),
        ),
        (
            "references",
            "116610LN 5711/1A 311.30.42.30.01.005 15202ST ".repeat(SIZE / 45),
        ),
        (
            "dealer tokens mixed",
            fill(SIZE, || format!("{} ", rng.pick(&tokens))),
        ),
        ("one long word", "a".repeat(SIZE)),
        ("one long number", "9".repeat(SIZE)),
        ("spaces", " ".repeat(SIZE)),
        ("question marks", "?".repeat(SIZE)),
        ("newlines", "Sub 9800€\n".repeat(SIZE / 10)),
    ]
}
