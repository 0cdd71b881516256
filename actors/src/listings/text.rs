//! The text as the extractor reads it: lower case, accents dropped, typographic spaces and quotes made
//! plain, invisible marks removed; each byte remembers the character of the original it came from, so
//! every span can be given in the original's characters.

/// A folded text with its way back to the original.
pub(crate) struct Folded {
    pub(crate) text: String,
    /// For each byte of `text`, the index (in characters) of the original character it came from.
    origin: Vec<u32>,
    /// For each byte of `text`, whether that original character was a capital.
    upper: Vec<bool>,
    /// For each byte of `text`, whether that original character was "à" (folded to "a").
    grave: Vec<bool>,
}

impl Folded {
    pub(crate) fn new(original: &str) -> Folded {
        let mut text = String::with_capacity(original.len());
        let mut origin = Vec::with_capacity(original.len());
        let mut upper = Vec::with_capacity(original.len());
        let mut grave = Vec::with_capacity(original.len());
        for (i, c) in original.chars().enumerate() {
            let before = text.len();
            fold_char(c, &mut text);
            let is_upper = c.is_uppercase();
            for _ in before..text.len() {
                origin.push(i as u32);
                upper.push(is_upper);
                grave.push(c == 'à' || c == 'À');
            }
        }
        Folded {
            text,
            origin,
            upper,
            grave,
        }
    }

    /// The original characters `start..end` (exclusive) that bytes `start..end` of the folded text came
    /// from.
    pub(crate) fn span(&self, start: usize, end: usize) -> (u32, u32) {
        if self.origin.is_empty() {
            return (0, 0);
        }
        let s = start.min(self.origin.len() - 1);
        let e = end.clamp(s + 1, self.origin.len());
        (self.origin[s], self.origin[e - 1] + 1)
    }

    /// Whether byte `at` of the folded text was written "à".
    pub(crate) fn grave_a(&self, at: usize) -> bool {
        self.grave.get(at).copied().unwrap_or(false)
    }

    /// Whether every letter of bytes `start..end` was written as a capital.
    pub(crate) fn all_upper(&self, start: usize, end: usize) -> bool {
        let bytes = self.text.as_bytes();
        (start..end.min(bytes.len()))
            .filter(|&i| bytes[i].is_ascii_alphabetic())
            .all(|i| self.upper[i])
    }
}

/// Folds a whole string (for the gazetteer's aliases).
pub(crate) fn fold_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        fold_char(c, &mut out);
    }
    out
}

fn fold_char(c: char, out: &mut String) {
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
        return;
    }
    let plain = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => {
            'a'
        }
        'ç' | 'Ç' | 'ć' | 'č' => 'c',
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ę' | 'ě' | 'È' | 'É' | 'Ê' | 'Ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => 'i',
        'ñ' | 'Ñ' | 'ń' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => {
            'o'
        }
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'Ù' | 'Ú' | 'Û' | 'Ü' => 'u',
        'ý' | 'ÿ' | 'Ý' => 'y',
        'š' | 'Š' | 'ś' => 's',
        'ž' | 'Ž' | 'ź' | 'ż' => 'z',
        'ł' | 'Ł' => 'l',
        '’' | '‘' | '´' | '`' | '′' | 'ʼ' => '\'',
        '“' | '”' | '«' | '»' | '„' => '"',
        '–' | '—' | '‐' | '‑' | '−' => '-',
        '\u{a0}' | '\u{2000}'..='\u{200a}' | '\u{202f}' | '\u{205f}' | '\u{3000}' => ' ',
        '\u{200b}'..='\u{200f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2060}'..='\u{2069}'
        | '\u{feff}' => return,
        '＄' => '$',
        '€' | '£' | '$' | '¥' => c,
        'ß' => {
            out.push_str("ss");
            return;
        }
        'œ' | 'Œ' => {
            out.push_str("oe");
            return;
        }
        'æ' | 'Æ' => {
            out.push_str("ae");
            return;
        }
        '²' => '2',
        _ => {
            for l in c.to_lowercase() {
                out.push(l);
            }
            return;
        }
    };
    out.push(plain);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_and_maps_back_to_characters() {
        let f = Folded::new("Boîte ÉTAT 8\u{a0}200€ 😀 Söhne");
        assert_eq!(f.text, "boite etat 8 200€ 😀 sohne");
        let at = f.text.find("sohne").unwrap();
        assert_eq!(f.span(at, at + 5), (20, 25));
        let euro = f.text.find('€').unwrap();
        assert_eq!(f.span(euro, euro + '€'.len_utf8()), (16, 17));
        assert!(f.all_upper(6, 10));
        assert!(!f.all_upper(0, 5));
    }
}
