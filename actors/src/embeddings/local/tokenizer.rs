//! XLM-RoBERTa's sentencepiece unigram tokenizer over the file's vocabulary: the codepoint table
//! (NFKC-like, tabs and newlines to spaces), runs of spaces collapsed, `▁` for every space and before the
//! text, then the most probable split of each word (Viterbi), `<s>` … `</s>` around it.
//!
//! Written here rather than taken from the `tokenizers` crate, whose trie over 250,000 pieces costs
//! about 240 MB: the pieces live in one byte blob and a hash table holds only their ids (a few MB).

use std::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashTable};

use super::format::Vocabulary;

/// The word marker: sentencepiece writes every space, and the start of the text, as `▁`.
const META: char = '\u{2581}';
/// The score of a character no piece covers, below every piece (sentencepiece's rule: lowest − 10).
const UNKNOWN_PENALTY: f32 = 10.0;

pub(super) struct Tokenizer {
    vocabulary: Vocabulary,
    /// Ids of the pieces text may produce, keyed by their bytes.
    index: HashTable<u32>,
    hasher: DefaultHashBuilder,
    unknown_score: f32,
    /// The longest piece in bytes: no match is tried beyond it.
    longest: usize,
}

impl std::fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokenizer")
            .field("pieces", &self.vocabulary.scores.len())
            .finish_non_exhaustive()
    }
}

impl Tokenizer {
    pub(super) fn new(vocabulary: Vocabulary) -> Self {
        let hasher = DefaultHashBuilder::default();
        let mut index = HashTable::with_capacity(vocabulary.scores.len());
        let mut lowest = f32::INFINITY;
        let mut longest = 1;
        for id in 0..vocabulary.scores.len() as u32 {
            let score = vocabulary.scores[id as usize];
            // Control symbols (<s>, </s>, <pad>, <unk>, <mask>) score exactly 0 and never come from
            // text: a customer typing "</s>" gets the characters, not the end of the sentence.
            if score == 0.0 || id == vocabulary.unk {
                continue;
            }
            let piece = piece(&vocabulary, id);
            lowest = lowest.min(score);
            longest = longest.max(piece.len());
            let hash = hasher.hash_one(piece);
            index.insert_unique(hash, id, |other| {
                hasher.hash_one(self::piece(&vocabulary, *other))
            });
        }
        Tokenizer {
            unknown_score: if lowest.is_finite() { lowest } else { 0.0 } - UNKNOWN_PENALTY,
            vocabulary,
            index,
            hasher,
            longest,
        }
    }

    /// The token ids the model reads for `text`: `<s>`, at most `max_len − 2` pieces, `</s>`.
    pub(super) fn encode(&self, text: &str, max_len: usize) -> Vec<u32> {
        let budget = max_len.saturating_sub(2);
        let mut ids = vec![self.vocabulary.bos];
        let normalised = self.normalise(text);
        // No piece holds a `▁` after its first character, so every `▁` starts a piece and each word can
        // be split on its own; a long text stops being split once the budget is reached.
        let mut start = 0;
        for (at, _) in normalised.match_indices(META).skip(1) {
            self.split_word(&normalised[start..at], &mut ids);
            start = at;
            if ids.len() > budget {
                break;
            }
        }
        if ids.len() <= budget {
            self.split_word(&normalised[start..], &mut ids);
        }
        ids.truncate(budget + 1);
        ids.push(self.vocabulary.eos);
        ids
    }

    /// The codepoint table, runs of spaces made one, then `▁` for each space and before the text.
    fn normalise(&self, text: &str) -> String {
        let table = &self.vocabulary.normalisation;
        let mut out = String::with_capacity(text.len() + 3);
        out.push(META);
        // The leading marker counts as a space: a text's own leading space does not add a second one.
        let mut after_space = true;
        let mut push = |c: char| {
            if c != ' ' {
                out.push(c);
                after_space = false;
            } else if !after_space {
                out.push(META);
                after_space = true;
            }
        };
        for c in text.chars() {
            match table.binary_search_by_key(&c, |(from, _)| *from) {
                Ok(i) => table[i].1.iter().copied().for_each(&mut push),
                Err(_) => push(c),
            }
        }
        out
    }

    /// Appends the most probable split of one word (Viterbi over its characters).
    fn split_word(&self, word: &str, ids: &mut Vec<u32>) {
        if word.is_empty() {
            return;
        }
        let bounds: Vec<usize> = word
            .char_indices()
            .map(|(i, _)| i)
            .chain([word.len()])
            .collect();
        let chars = bounds.len() - 1;
        // best[e]: the score of the best split of the first e characters, reached by `piece` from
        // character `from` (`None` for an unknown character).
        let mut best = vec![f32::NEG_INFINITY; chars + 1];
        let mut step: Vec<(usize, Option<u32>)> = vec![(0, None); chars + 1];
        best[0] = 0.0;
        for i in 0..chars {
            if best[i] == f32::NEG_INFINITY {
                continue;
            }
            for e in i + 1..=chars {
                let bytes = &word.as_bytes()[bounds[i]..bounds[e]];
                if bytes.len() > self.longest {
                    break;
                }
                if let Some(id) = self.lookup(bytes) {
                    let score = best[i] + self.vocabulary.scores[id as usize];
                    if score > best[e] {
                        best[e] = score;
                        step[e] = (i, Some(id));
                    }
                }
            }
            let score = best[i] + self.unknown_score;
            if score > best[i + 1] {
                best[i + 1] = score;
                step[i + 1] = (i, None);
            }
        }
        let at = ids.len();
        let mut e = chars;
        while e > 0 {
            let (from, id) = step[e];
            ids.push(id.unwrap_or(self.vocabulary.unk));
            e = from;
        }
        ids[at..].reverse();
    }

    fn lookup(&self, bytes: &[u8]) -> Option<u32> {
        let hash = self.hasher.hash_one(bytes);
        self.index
            .find(hash, |id| piece(&self.vocabulary, *id) == bytes)
            .copied()
    }
}

fn piece(vocabulary: &Vocabulary, id: u32) -> &[u8] {
    let id = id as usize;
    &vocabulary.blob[vocabulary.offsets[id] as usize..vocabulary.offsets[id + 1] as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A vocabulary of a few pieces, laid out like XLM-R's (controls first, scored 0).
    fn tiny() -> Tokenizer {
        let pieces: [(&str, f32); 10] = [
            ("<s>", 0.0),
            ("<pad>", 0.0),
            ("</s>", 0.0),
            ("<unk>", 0.0),
            ("\u{2581}", -4.0),
            ("\u{2581}bon", -6.0),
            ("jour", -7.0),
            ("\u{2581}bonjour", -9.0),
            ("j", -8.0),
            ("our", -8.0),
        ];
        let mut blob = Vec::new();
        let mut offsets = vec![0];
        for (p, _) in &pieces {
            blob.extend_from_slice(p.as_bytes());
            offsets.push(blob.len() as u32);
        }
        Tokenizer::new(Vocabulary {
            blob,
            offsets,
            scores: pieces.iter().map(|(_, s)| *s).collect(),
            bos: 0,
            eos: 2,
            unk: 3,
            normalisation: vec![('\n', vec![' ']), ('\u{ff41}', vec!['j'])],
        })
    }

    #[test]
    fn the_most_probable_split_wins_and_unknown_characters_become_unk() {
        let t = tiny();
        // ▁bonjour (−9) beats ▁bon + jour (−13).
        assert_eq!(t.encode("bonjour", 512), vec![0, 7, 2]);
        // Spaces collapse; the newline is a space; "x" is unknown; the fullwidth ａ maps to j.
        assert_eq!(
            t.encode("bonjour \n  x\u{ff41}our", 512),
            vec![0, 7, 4, 3, 6, 2]
        );
        // A text's leading space is its leading marker, not a second one.
        assert_eq!(t.encode(" bonjour", 512), t.encode("bonjour", 512));
        assert_eq!(t.encode("", 512), vec![0, 4, 2]);
        // Control pieces are not matched in text.
        assert_eq!(t.encode("<s>", 512), vec![0, 4, 3, 3, 3, 2]);
    }

    #[test]
    fn long_texts_are_cut_to_the_length_with_the_end_marker_last() {
        let t = tiny();
        let ids = t.encode(&"bonjour ".repeat(1000), 8);
        assert_eq!(ids, vec![0, 7, 7, 7, 7, 7, 7, 2]);
        let ids = t.encode(&"x".repeat(100), 5);
        assert_eq!(ids, vec![0, 4, 3, 3, 2]);
    }
}
