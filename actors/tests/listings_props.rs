//! The extractor is total: any text gives a result (never a panic), spans stay inside the text, and a
//! long text of dealer tokens is still read quickly.

use actors::listings::extract;
use proptest::prelude::*;
use std::time::{Duration, Instant};

const TOKENS: &[&str] = &[
    "Rolex",
    "rollex",
    "Sub",
    "Submariner",
    "116610LN",
    "116610 LN",
    "5711/1A",
    "311.30.42.30.01.005",
    "15202ST",
    "IW500710",
    "PAM 1312",
    "101.030",
    "Hulk",
    "Pepsi",
    "BB58",
    "AP",
    "JLC",
    "Lange 1",
    "GO",
    "8200€",
    "8 200 €",
    "8.200€",
    "€8,200",
    "8,2k€",
    "8k2",
    "CHF 8'500",
    "$12,500",
    "12.5k USD",
    "8200 euros",
    "9.8k",
    "12 500 EUR",
    "£7,995",
    "de 2018",
    "année 2018",
    "Bj 2018",
    "12/2019",
    "2018",
    "40mm",
    "39,5mm",
    "full set",
    "B&P",
    "boîte et papiers",
    "sans papiers",
    "watch only",
    "vends",
    "à vendre",
    "dispo",
    "WTS",
    "FS",
    "cherche",
    "WTB",
    "ISO",
    "?",
    "dispo ?",
    "échange",
    "WTT",
    "à débattre",
    "ono",
    "vendue",
    "😀",
    "\u{200f}",
    "\u{202e}",
    "<b>",
    "</b>",
    "&nbsp;",
    "\n",
    ",",
    ".",
    "/",
    "-",
    "'",
    "k",
    "€",
    "$",
    "1",
    "12",
    "123",
    "1234",
    "12345",
    "123456",
    "é",
    "ß",
    "İ",
    "ﬁ",
];

fn check(text: &str) {
    let e = extract(text);
    let chars = text.chars().count() as u32;
    assert!((0.0..=1.0).contains(&e.confidence));
    for span in e
        .spans
        .values()
        .chain(e.listings.iter().flat_map(|l| l.spans.values()))
    {
        assert!(
            span.start < span.end && span.end <= chars,
            "{span:?} outside {text:?}"
        );
    }
    for l in &e.listings {
        if let Some(p) = l.price {
            assert!(p.is_finite() && p > 0.0);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn any_text_gives_a_result(text in any::<String>()) {
        check(&text);
    }

    #[test]
    fn any_mix_of_dealer_tokens_gives_a_result(
        picks in prop::collection::vec((0..TOKENS.len(), prop::sample::select(vec!["", " ", "  ", "\n", ", "])), 0..60)
    ) {
        let text: String = picks.iter().map(|(i, sep)| format!("{}{sep}", TOKENS[*i])).collect();
        check(&text);
    }
}

#[test]
fn a_hundred_kilobytes_of_anything_is_read_quickly() {
    let unit = TOKENS.join(" ");
    let big = unit.repeat(100 * 1024 / unit.len() + 1);
    for text in [
        big.as_str(),
        &"9".repeat(100 * 1024),
        &"😀".repeat(25 * 1024),
        &"a ".repeat(50 * 1024),
    ] {
        let start = Instant::now();
        check(text);
        // Generous: this runs unoptimised and beside other tests; the benchmark gives the real figure.
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{} KB took {:?}",
            text.len() / 1024,
            start.elapsed()
        );
    }
}
