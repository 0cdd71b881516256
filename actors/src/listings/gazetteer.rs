//! The curated gazetteer (`gazetteer.txt`, compiled in): brands, families, nicknames and reference
//! shapes, parsed once into the index the extractor reads.

use super::text::fold_str;
use regex::{Regex, RegexSet};
use std::collections::HashMap;
use std::sync::OnceLock;

const SOURCE: &str = include_str!("gazetteer.txt");

/// One meaning of an alias: a brand, or a family of a brand.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sense {
    pub(crate) brand: u16,
    pub(crate) family: Option<u16>,
    /// Counts only where its brand is named elsewhere in the message.
    pub(crate) weak: bool,
    /// Must be written in capitals (AP, PP, GO).
    pub(crate) upper: bool,
    /// A nickname (Hulk, Pepsi): yields to a brand named next to it that it does not belong to.
    pub(crate) nickname: bool,
}

/// A reference shape: an anchored pattern and what it implies.
#[derive(Debug)]
pub(crate) struct Shape {
    pub(crate) brand: u16,
    pub(crate) family: Option<u16>,
}

#[derive(Debug)]
pub(crate) struct Gazetteer {
    pub(crate) brands: Vec<String>,
    /// (brand, family name)
    pub(crate) families: Vec<(u16, String)>,
    /// Folded alias to its senses, in the file's order (the first is the usual one).
    pub(crate) aliases: HashMap<String, Vec<Sense>>,
    pub(crate) shapes: Vec<Shape>,
    pub(crate) shape_set: RegexSet,
    pub(crate) nicknames: usize,
}

impl Gazetteer {
    pub(crate) fn get() -> &'static Gazetteer {
        static G: OnceLock<Gazetteer> = OnceLock::new();
        G.get_or_init(|| parse(SOURCE))
    }

    /// The shapes a (compact, upper-case) reference matches, most specific first within a brand.
    pub(crate) fn shapes_of(&self, reference: &str) -> Vec<usize> {
        let mut hits: Vec<usize> = self.shape_set.matches(reference).into_iter().collect();
        // Within one brand, a shape that names a family beats a brand-only one; brands keep file order.
        hits.sort_by_key(|&i| {
            (
                self.brand_order(self.shapes[i].brand),
                self.shapes[i].family.is_none(),
            )
        });
        hits
    }

    fn brand_order(&self, brand: u16) -> u16 {
        brand
    }
}

fn parse(source: &str) -> Gazetteer {
    let mut brands: Vec<String> = Vec::new();
    let mut families: Vec<(u16, String)> = Vec::new();
    let mut aliases: HashMap<String, Vec<Sense>> = HashMap::new();
    let mut shapes = Vec::new();
    let mut patterns = Vec::new();
    let mut nicknames = 0;
    let mut brand: Option<u16> = None;

    let add = |aliases: &mut HashMap<String, Vec<Sense>>,
               raw: &str,
               brand: u16,
               family: Option<u16>,
               nickname: bool| {
        let raw = raw.trim();
        if raw.is_empty() {
            return;
        }
        let (weak_mark, rest) = match raw.strip_prefix('~') {
            Some(r) => (true, r),
            None => (false, raw),
        };
        let (upper, rest) = match rest.strip_prefix('!') {
            Some(r) => (true, r),
            None => (false, rest),
        };
        let folded = fold_str(rest);
        if folded.is_empty() {
            return;
        }
        let letters = folded.chars().filter(|c| c.is_alphanumeric()).count();
        let digits_only = folded.chars().all(|c| c.is_ascii_digit() || c == ' ');
        // Short or purely numeric aliases are too common to stand alone: a brand's must be in capitals,
        // a family's needs its brand named.
        let (weak, upper) = if family.is_none() {
            (false, upper || letters <= 2)
        } else {
            (weak_mark || digits_only || (letters <= 2 && !upper), upper)
        };
        let senses = aliases.entry(folded).or_default();
        if senses
            .iter()
            .any(|s| s.brand == brand && s.family == family)
        {
            return;
        }
        senses.push(Sense {
            brand,
            family,
            weak,
            upper,
            nickname,
        });
    };

    for line in source.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((kind, rest)) = line.split_once(' ') else {
            continue;
        };
        let (name, list) = match rest.split_once(" = ") {
            Some((n, l)) => (n.trim(), l.trim()),
            None => (rest.trim_end_matches('=').trim(), ""),
        };
        match kind {
            "B" => {
                let (weak, clean) = match name.strip_prefix('~') {
                    Some(n) => (true, n),
                    None => (false, name),
                };
                let id = match brands.iter().position(|b| b == clean) {
                    Some(i) => i as u16,
                    None => {
                        brands.push(clean.to_string());
                        (brands.len() - 1) as u16
                    }
                };
                brand = Some(id);
                if !weak {
                    add(&mut aliases, clean, id, None, false);
                }
                for a in list.split(',') {
                    add(&mut aliases, a, id, None, false);
                }
            }
            "F" | "N" => {
                let Some(b) = brand else { continue };
                let (mark, clean) = match name.strip_prefix('~') {
                    Some(n) => ("~", n),
                    None => ("", name),
                };
                let fid = family_id(&mut families, b, clean);
                if kind == "F" {
                    add(&mut aliases, &format!("{mark}{clean}"), b, Some(fid), false);
                }
                for a in list.split(',') {
                    if a.trim().is_empty() {
                        continue;
                    }
                    if kind == "N" {
                        nicknames += 1;
                    }
                    add(&mut aliases, a, b, Some(fid), kind == "N");
                }
            }
            "R" => {
                let Some(b) = brand else { continue };
                let family = if name == "-" {
                    None
                } else {
                    Some(family_id(&mut families, b, name))
                };
                for p in list.split(", ") {
                    let p = p.trim();
                    if p.is_empty() {
                        continue;
                    }
                    let anchored = format!("^(?:{p})$");
                    if Regex::new(&anchored).is_ok() {
                        patterns.push(anchored);
                        shapes.push(Shape { brand: b, family });
                    }
                }
            }
            _ => {}
        }
    }
    let shape_set = RegexSet::new(&patterns).unwrap_or_else(|_| RegexSet::empty());
    Gazetteer {
        brands,
        families,
        aliases,
        shapes,
        shape_set,
        nicknames,
    }
}

fn family_id(families: &mut Vec<(u16, String)>, brand: u16, name: &str) -> u16 {
    match families.iter().position(|(b, n)| *b == brand && n == name) {
        Some(i) => i as u16,
        None => {
            families.push((brand, name.to_string()));
            (families.len() - 1) as u16
        }
    }
}

/// How big the gazetteer is: brands, families, nicknames, reference shapes, aliases.
pub fn size() -> (usize, usize, usize, usize, usize) {
    let g = Gazetteer::get();
    (
        g.brands.len(),
        g.families.len(),
        g.nicknames,
        g.shapes.len(),
        g.aliases.len(),
    )
}
