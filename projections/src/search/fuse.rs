//! Hybrid ranking: the keyword list and the vector list fused by their ranks (reciprocal rank fusion),
//! exact token matches first. Ranks, not scores, are fused: a text rank and a cosine similarity are not
//! on one scale, and e5's similarities are compressed into a narrow band.

use super::queries::Candidate;
use std::cmp::Ordering;

/// The constant of reciprocal rank fusion: a document's share from a list is `1 / (K + rank)`.
pub const K: f64 = 60.0;

/// A document in the fused order, with what put it there.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    pub hit: Candidate,
    /// Its place (from 1) in the keyword list, and the text rank there.
    pub keyword: Option<(usize, f64)>,
    /// Its place (from 1) in the vector list, and the cosine similarity there.
    pub semantic: Option<(usize, f64)>,
    pub exact: bool,
    pub fused: f64,
}

/// Where a fused page starts: after this (exact, fused score, position, conversation, message).
#[derive(Debug, Clone, PartialEq)]
pub struct FusedAfter {
    pub exact: bool,
    pub fused: f64,
    pub position: i64,
    pub conversation_id: String,
    pub message_id: String,
}

impl Ranked {
    fn order(&self, other: &Ranked) -> Ordering {
        other
            .exact
            .cmp(&self.exact)
            .then(other.fused.total_cmp(&self.fused))
            .then(other.hit.position.cmp(&self.hit.position))
            .then(other.hit.conversation_id.cmp(&self.hit.conversation_id))
            .then(other.hit.message_id.cmp(&self.hit.message_id))
    }

    /// Whether this document comes after `after` in the fused order.
    pub fn is_after(&self, after: &FusedAfter) -> bool {
        after
            .exact
            .cmp(&self.exact)
            .then(after.fused.total_cmp(&self.fused))
            .then(after.position.cmp(&self.hit.position))
            .then(after.conversation_id.cmp(&self.hit.conversation_id))
            .then(after.message_id.cmp(&self.hit.message_id))
            == Ordering::Greater
    }

    pub fn cursor(&self) -> FusedAfter {
        FusedAfter {
            exact: self.exact,
            fused: self.fused,
            position: self.hit.position,
            conversation_id: self.hit.conversation_id.clone(),
            message_id: self.hit.message_id.clone(),
        }
    }
}

/// Fuses the two lists (each best first). A document in both gets both shares; an exact token match
/// ranks above every other document.
pub fn fuse(keyword: Vec<Candidate>, semantic: Vec<Candidate>) -> Vec<Ranked> {
    let mut ranked: Vec<Ranked> = Vec::with_capacity(keyword.len() + semantic.len());
    for (i, hit) in keyword.into_iter().enumerate() {
        ranked.push(Ranked {
            exact: hit.exact,
            keyword: Some((i + 1, hit.score)),
            semantic: None,
            fused: 1.0 / (K + (i + 1) as f64),
            hit,
        });
    }
    for (i, hit) in semantic.into_iter().enumerate() {
        let share = 1.0 / (K + (i + 1) as f64);
        let same = ranked.iter_mut().find(|r| {
            r.hit.conversation_id == hit.conversation_id && r.hit.message_id == hit.message_id
        });
        match same {
            Some(r) => {
                r.semantic = Some((i + 1, hit.score));
                r.fused += share;
            }
            None => ranked.push(Ranked {
                exact: hit.exact,
                keyword: None,
                semantic: Some((i + 1, hit.score)),
                fused: share,
                hit,
            }),
        }
    }
    ranked.sort_by(Ranked::order);
    ranked
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    fn hit(id: &str, position: i64, exact: bool, score: f64) -> Candidate {
        Candidate {
            conversation_id: "1-2".to_owned(),
            message_id: id.to_owned(),
            account_id: "1".to_owned(),
            contact_id: "2".to_owned(),
            direction: "inbound".to_owned(),
            kind: "text".to_owned(),
            body: id.to_owned(),
            written_at: DateTime::from_timestamp(0, 0).unwrap(),
            brands: vec![],
            models: vec![],
            refs: vec![],
            listing_type: None,
            price: None,
            currency: None,
            position,
            exact,
            score,
        }
    }

    fn ids(r: &[Ranked]) -> Vec<&str> {
        r.iter().map(|r| r.hit.message_id.as_str()).collect()
    }

    #[test]
    fn a_document_in_both_lists_beats_one_in_a_single_list_and_exact_matches_come_first() {
        let keyword = vec![hit("a", 1, false, 0.9), hit("b", 2, false, 0.5)];
        let semantic = vec![
            hit("c", 3, false, 0.88),
            hit("b", 2, false, 0.86),
            hit("x", 4, true, 0.5),
        ];
        let fused = fuse(keyword, semantic);
        // a and c are both first of one list: the newer (c) goes first.
        assert_eq!(ids(&fused), ["x", "b", "c", "a"]);
        let b = &fused[1];
        assert_eq!((b.keyword, b.semantic), (Some((2, 0.5)), Some((2, 0.86))));
        assert!((b.fused - (2.0 / 62.0)).abs() < 1e-12);
    }

    #[test]
    fn pages_continue_strictly_after_their_cursor() {
        let keyword = (0..10)
            .map(|i| hit(&format!("k{i}"), i, false, 1.0))
            .collect();
        let semantic = (0..10)
            .map(|i| hit(&format!("s{i}"), 100 + i, false, 0.9))
            .collect();
        let fused = fuse(keyword, semantic);
        let cursor = fused[4].cursor();
        let rest: Vec<&Ranked> = fused.iter().filter(|r| r.is_after(&cursor)).collect();
        assert_eq!(rest.len(), fused.len() - 5);
        assert_eq!(rest[0], &fused[5]);
    }
}
