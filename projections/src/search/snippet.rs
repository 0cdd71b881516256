//! The part of a hit's text a result shows, and where the query's words are in it.
//!
//! The index matches folded words and their stems, so the words are found here the same way: each word
//! of the text is folded, and it is marked when it is one of the query's words, starts with one (a stem:
//! "montres" for "montre"), or is one of the query's exact tokens. Offsets are in characters of the
//! snippet, never HTML: the browser marks them itself.

use serde::Serialize;

/// How many characters of text a snippet shows at most.
pub const SNIPPET_CHARS: usize = 200;

/// A stretch of a snippet, in characters from its start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Highlight {
    pub start: usize,
    pub end: usize,
}

/// A hit's text, cut around its first marked word, with every marked word's place in the cut.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snippet {
    pub text: String,
    pub highlights: Vec<Highlight>,
}

/// The words of a query as the snippet looks for them: folded, at least two characters.
pub fn terms(query: &str) -> Vec<String> {
    let folded = actors::listings::fold(query);
    let mut out: Vec<String> = Vec::new();
    for word in folded.split(|c: char| !c.is_alphanumeric()) {
        if word.chars().count() >= 2 && !out.iter().any(|w| w == word) {
            out.push(word.to_owned());
        }
    }
    out
}

/// Whether a folded word of a text answers one of the query's folded terms.
fn answers(word: &str, terms: &[String]) -> bool {
    terms.iter().any(|t| {
        word == t || {
            // A stem: the text's word extends the query's (or the reverse), past a short shared root.
            let shared = word
                .chars()
                .zip(t.chars())
                .take_while(|(a, b)| a == b)
                .count();
            shared >= 4 && shared + 3 >= word.chars().count().max(t.chars().count())
        }
    })
}

/// Cuts `body` to at most [`SNIPPET_CHARS`] characters around the first word that answers `terms`
/// (the start when none does), and marks every answering word in the cut.
pub fn snippet(body: &str, terms: &[String]) -> Snippet {
    let chars: Vec<char> = body.chars().collect();
    // Words as char ranges of the body.
    let mut words = Vec::new();
    let mut start = None;
    for (i, c) in chars.iter().enumerate() {
        match (c.is_alphanumeric(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                words.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        words.push((s, chars.len()));
    }
    let marked: Vec<(usize, usize)> = words
        .into_iter()
        .filter(|&(s, e)| {
            let word: String = chars[s..e].iter().collect();
            answers(&actors::listings::fold(&word), terms)
        })
        .collect();
    let from = match marked.first() {
        Some(&(s, _)) if s > SNIPPET_CHARS / 3 && chars.len() > SNIPPET_CHARS => {
            // Start at a word boundary a little before the first hit.
            let mut from = s - SNIPPET_CHARS / 4;
            while from < s && !chars[from].is_whitespace() {
                from += 1;
            }
            from.min(chars.len().saturating_sub(SNIPPET_CHARS))
        }
        _ => 0,
    };
    let to = (from + SNIPPET_CHARS).min(chars.len());
    let trimmed = chars[from..to]
        .iter()
        .take_while(|c| c.is_whitespace())
        .count();
    let offset = from + trimmed;
    let text: String = chars[offset..to].iter().collect();
    let highlights = marked
        .into_iter()
        .filter(|&(s, e)| s >= offset && e <= to)
        .map(|(s, e)| Highlight {
            start: s - offset,
            end: e - offset,
        })
        .collect();
    Snippet { text, highlights }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marked(s: &Snippet) -> Vec<String> {
        let chars: Vec<char> = s.text.chars().collect();
        s.highlights
            .iter()
            .map(|h| chars[h.start..h.end].iter().collect())
            .collect()
    }

    #[test]
    fn words_are_found_folded_and_by_their_stem() {
        let s = snippet(
            "Je vends deux Montres: une Rolex Datejust état neuf",
            &terms("montre etat"),
        );
        assert_eq!(marked(&s), ["Montres", "état"]);
    }

    #[test]
    fn exact_tokens_are_found_and_short_words_do_not_match_everything() {
        let s = snippet("Ref 5711/1A full set, 116610LN aussi", &terms("5711/1A"));
        assert_eq!(marked(&s), ["5711", "1A"]);
        let s = snippet("Le bracelet de la Datejust", &terms("le"));
        assert_eq!(marked(&s), ["Le"]);
    }

    #[test]
    fn a_long_text_is_cut_around_its_first_hit_on_a_word_boundary() {
        let body = format!(
            "{} Submariner hulk {}",
            "bla ".repeat(100),
            "fin ".repeat(100)
        );
        let s = snippet(&body, &terms("hulk"));
        assert!(s.text.chars().count() <= SNIPPET_CHARS);
        assert_eq!(marked(&s), ["hulk"]);
        assert!(s.text.starts_with("bla"), "{}", s.text);
    }

    #[test]
    fn without_a_hit_the_snippet_is_the_start_and_any_text_is_safe() {
        let s = snippet("Paiement reçu, merci", &terms("payment"));
        assert_eq!(
            (s.text.as_str(), s.highlights.len()),
            ("Paiement reçu, merci", 0)
        );
        for body in ["", "🙂🙂", "\u{202e}abc", "<b>x</b>", &"9".repeat(100_000)] {
            let s = snippet(body, &terms("9999 abc"));
            assert!(s.text.chars().count() <= SNIPPET_CHARS);
        }
    }
}
