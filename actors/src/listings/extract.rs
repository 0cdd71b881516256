//! The extractor: reads a message the way a dealer does.
//!
//! One pass of an Aho-Corasick automaton over the folded text finds every gazetteer alias and every
//! keyword (type, condition, box and papers, movement, price type, language); two linear regular
//! expressions find the references and the numbers (prices, years, sizes). The hits are then read in
//! order: a brand, family or reference that does not fit the watch being read starts the next listing,
//! and the other fields go to the watch they follow (or, before any watch, to the first one). Nothing
//! here backtracks over the text, so the time is linear in its length.

use super::gazetteer::{Gazetteer, Sense};
use super::text::Folded;
use super::{Condition, Extraction, Listing, MessageType, PriceType, Span};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::Regex;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// Texts longer than this are read up to here only (a listing is never that long; the rest is noise).
const MAX_BYTES: usize = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lang {
    Fr,
    En,
    De,
}

#[derive(Debug, Clone, Copy)]
enum Strength {
    /// A tag such as WTS, WTB, WTT.
    Tag = 3,
    /// A verb or phrase that says it: vends, cherche, échange, quelqu'un a.
    Verb = 2,
    /// A hint: "prix", "?".
    Hint = 1,
}

#[derive(Debug, Clone)]
enum Cue {
    Type(MessageType, Strength),
    Condition(Condition),
    /// Box and papers; `negatable`: a "no", "sans", "without" just before turns both to false.
    Kit {
        has_box: Option<bool>,
        papers: Option<bool>,
        negatable: bool,
    },
    Movement(&'static str),
    PriceType(PriceType),
    Lang(Lang),
    /// "ref", "réf.": what follows is a reference.
    Reference,
    /// "cal", "calibre": what follows is a movement's number.
    Calibre,
    /// "service 2023", "garantie jusqu'en": the year that follows is not the watch's.
    ServiceYear,
    Alias(Vec<Sense>),
}

struct Index {
    automaton: AhoCorasick,
    cues: Vec<Vec<Cue>>,
    /// Patterns that count only written in capitals ("AP", "FS", "NOS").
    upper_only: Vec<bool>,
    reference: Regex,
    number: Regex,
    measure: Regex,
}

fn index() -> &'static Index {
    static INDEX: OnceLock<Index> = OnceLock::new();
    INDEX.get_or_init(build_index)
}

fn keywords() -> Vec<(&'static str, Cue)> {
    use Condition as C;
    use Lang::*;
    use MessageType as T;
    use Strength::*;
    let mut k: Vec<(&'static str, Cue)> = Vec::new();
    let mut put = |words: &[&'static str], cue: Cue| {
        for w in words {
            k.push((w, cue.clone()));
        }
    };
    put(
        &["wts", "[wts]", "wts/wtt", "fs/ft", "fs/t", "!FS", "!WTS"],
        Cue::Type(T::Sale, Tag),
    );
    put(
        &[
            "vends",
            "vend",
            "je vends",
            "je vend",
            "a vendre",
            "vente",
            "en vente",
            "mise en vente",
            "dispo",
            "disponible",
            "disponibles",
            "dispo de suite",
            "selling",
            "sale",
            "a saisir",
            "a ceder",
            "je cede",
            "cede",
            "en stock",
            "available",
            "verkaufe",
            "zu verkaufen",
            "arrivage",
            "nouvel arrivage",
            "new arrival",
            "just in",
            "je propose",
            "propose",
            "vendu",
            "vendue",
            "sold",
            "up for grabs",
            "je me separe",
            "je separe",
            "offered",
            "for sell",
            "a vendre ou echange",
            "on sale",
            "price drop",
            "baisse de prix",
        ],
        Cue::Type(T::Sale, Verb),
    );
    put(
        &["prix", "price", "asking", "px", "tarif"],
        Cue::Type(T::Sale, Hint),
    );
    put(
        &["wtb", "[wtb]", "!ISO", "wtb/wtt"],
        Cue::Type(T::Wanted, Tag),
    );
    put(
        &[
            "cherche",
            "je cherche",
            "recherche",
            "je recherche",
            "recherchons",
            "cherchons",
            "achete",
            "j'achete",
            "rachete",
            "rachat",
            "achat",
            "looking for",
            "searching for",
            "in search of",
            "want to buy",
            "wanted",
            "buying",
            "seeking",
            "suche",
            "kaufe",
            "client pour",
            "j'ai un client",
            "j'ai client",
            "client cherche",
            "besoin d'une",
            "besoin d'un",
            "en recherche",
            "want",
            "i want",
            "je veux",
            "je prends",
            "preneur",
            "on the hunt for",
            "hunting for",
            "acheteur",
        ],
        Cue::Type(T::Wanted, Verb),
    );
    put(&["wtt", "[wtt]", "!FT"], Cue::Type(T::Trade, Tag));
    put(
        &[
            "echange",
            "echanges",
            "echanger",
            "j'echange",
            "trade",
            "trades",
            "trading",
            "swap",
            "troc",
            "tausch",
            "for trade",
        ],
        Cue::Type(T::Trade, Verb),
    );
    put(
        &[
            "quelqu'un connait",
            "dispo ?",
            "dispo?",
            "toujours dispo",
            "encore dispo",
            "still available",
            "prix ?",
            "prix?",
            "price?",
            "price ?",
            "combien",
            "how much",
            "any info",
            "des infos",
            "vos avis",
            "votre avis",
            "what do you think",
            "anyone know",
            "any idea",
            "une idee",
            "c'est quoi",
            "savez-vous",
            "savez vous",
            "quel prix",
            "ca vaut",
            "worth it",
            "legit",
            "is it real",
            "fake ?",
            "vrai ou faux",
            "authentique ?",
            "des avis",
            "thoughts?",
            "thoughts ?",
            "help me",
            "aidez",
            "qu'en pensez",
            "conseil",
            "advice",
            "des nouvelles",
        ],
        Cue::Type(T::Question, Verb),
    );
    put(&["?"], Cue::Type(T::Question, Hint));
    // "Quelqu'un a une Hulk ?": someone looks for a watch.
    put(
        &[
            "quelqu'un a",
            "quelqu'un aurait",
            "qqn a",
            "qq1 a",
            "qui a",
            "qui aurait",
            "qlq a",
            "anyone have",
            "anybody have",
            "does anyone have",
            "someone has",
            "somebody has",
            "anyone got",
            "tu as",
            "vous avez",
            "you have",
            "avez-vous",
            "as-tu",
            "t'as",
            "do you have",
            "quelqu'un en a",
            "qui en a",
            "qui peut trouver",
            "qui peut me trouver",
        ],
        Cue::Type(T::Wanted, Verb),
    );
    put(
        &[
            "quelqu'un a des infos",
            "quelqu'un a deja",
            "quelqu'un a eu",
            "quelqu'un a vu",
            "quelqu'un sait",
            "quelqu'un connait",
            "qui connait",
            "qui sait",
            "anyone know",
            "anyone tried",
            "has anyone",
            "anyone been",
        ],
        Cue::Type(T::Question, Verb),
    );
    put(
        &[
            "for sale",
            "vds",
            "anyone interested",
            "des interesses",
            "interesse ?",
            "interested?",
            "avis aux amateurs",
            "a qui la",
            "qui est interesse",
            "qui veut",
        ],
        Cue::Type(T::Sale, Verb),
    );
    // Open to a swap, but selling.
    put(
        &[
            "open to trades",
            "ouvert aux echanges",
            "echange possible",
            "possible echange",
            "or trade",
            "trades welcome",
            "echange etudie",
            "echanges etudies",
            "ouvert a l'echange",
        ],
        Cue::Type(T::Sale, Verb),
    );
    put(
        &["bucks", "for sale", "looking for", "anyone selling"],
        Cue::Lang(Lang::En),
    );
    put(
        &[
            "anyone selling",
            "quelqu'un vend",
            "qui vend",
            "qqn vend",
            "someone selling",
        ],
        Cue::Type(T::Wanted, Verb),
    );
    put(
        &["complete", "complet", "complete avec boite et papiers"],
        Cue::Kit {
            has_box: Some(true),
            papers: Some(true),
            negatable: false,
        },
    );

    put(
        &[
            "neuf",
            "neuve",
            "new",
            "brand new",
            "bnib",
            "!NOS",
            "new old stock",
            "jamais servi",
        ],
        Cue::Condition(C::New),
    );
    put(
        &[
            "unworn",
            "jamais portee",
            "jamais porte",
            "never worn",
            "stickers",
            "sous stickers",
            "avec stickers",
            "stickered",
            "sous blister",
            "scelle",
            "full stickers",
            "non portee",
            "non porte",
            "0 porte",
        ],
        Cue::Condition(C::Unworn),
    );
    put(
        &[
            "mint",
            "mint condition",
            "near mint",
            "like new",
            "lnib",
            "comme neuf",
            "comme neuve",
            "etat neuf",
            "etat neuve",
            "excellent",
            "excellent etat",
            "etat excellent",
            "parfait etat",
            "etat parfait",
            "pristine",
            "excellent condition",
            "mint+",
            "quasi neuve",
            "quasi neuf",
            "tres tres bon etat",
            "ttbe",
            "superbe etat",
            "etat superbe",
            "impeccable",
            "top etat",
        ],
        Cue::Condition(C::Excellent),
    );
    put(
        &[
            "tres bon etat",
            "!TBE",
            "tbe",
            "very good",
            "very good condition",
            "great condition",
            "great shape",
            "tres bel etat",
            "bel etat",
            "tres bonne condition",
            "tres bon etat general",
        ],
        Cue::Condition(C::VeryGood),
    );
    put(
        &[
            "bon etat",
            "!BE",
            "good condition",
            "good shape",
            "etat correct",
            "bonne condition",
            "bon etat general",
            "fair condition",
            "decent condition",
        ],
        Cue::Condition(C::Good),
    );
    put(
        &[
            "used",
            "worn",
            "porte",
            "portee",
            "occasion",
            "d'occasion",
            "pre-owned",
            "preowned",
            "pre owned",
            "etat d'usage",
            "traces d'usure",
            "signs of wear",
            "marques d'usure",
            "rayures",
            "scratches",
            "daily worn",
            "beater",
            "some wear",
            "light wear",
        ],
        Cue::Condition(C::Used),
    );
    put(
        &["vintage", "ancienne", "old stock vintage"],
        Cue::Condition(C::Vintage),
    );

    let both = |b: bool| Cue::Kit {
        has_box: Some(b),
        papers: Some(b),
        negatable: false,
    };
    put(
        &[
            "full set",
            "fullset",
            "full-set",
            "complete set",
            "set complet",
            "full kit",
            "b&p",
            "b+p",
            "b/p",
            "box and papers",
            "box & papers",
            "box + papers",
            "box+papers",
            "box/papers",
            "boite et papiers",
            "boite + papiers",
            "boite/papiers",
            "boite papiers",
            "boite & papiers",
            "boite et papier",
            "avec boite et papiers",
            "with box and papers",
            "box and paper",
            "boxes and papers",
            "box, papers",
            "complete with box and papers",
            "ecrin et papiers",
            "boite et certificat",
            "box & card",
            "box and card",
            "boite et carte",
            "boite + carte",
            "bnp",
        ],
        both(true),
    );
    put(
        &[
            "watch only",
            "montre seule",
            "montre nue",
            "naked",
            "nue",
            "head only",
            "tete seule",
            "sans boite ni papiers",
            "ni boite ni papiers",
            "no box or papers",
            "no box/papers",
            "no box no papers",
            "no box and no papers",
            "no box & papers",
            "no b&p",
            "no box, no papers",
            "without box and papers",
            "without box or papers",
            "sans boite et papiers",
            "sans boite ni papier",
            "sans papiers ni boite",
            "sans boite, sans papiers",
            "sans boite sans papiers",
            "no papers no box",
            "no box / papers",
            "pas de boite ni papiers",
        ],
        both(false),
    );
    put(
        &[
            "box",
            "boite",
            "ecrin",
            "coffret",
            "original box",
            "boite d'origine",
            "inner box",
            "outer box",
        ],
        Cue::Kit {
            has_box: Some(true),
            papers: None,
            negatable: true,
        },
    );
    put(
        &[
            "papers",
            "papiers",
            "papier",
            "card",
            "carte",
            "warranty card",
            "carte de garantie",
            "certificat",
            "certificate",
            "garantie",
            "warranty",
            "paper",
            "papers only",
            "certificat d'origine",
            "punched papers",
            "carte garantie",
        ],
        Cue::Kit {
            has_box: None,
            papers: Some(true),
            negatable: true,
        },
    );
    put(
        &[
            "box only",
            "boite seule",
            "boite only",
            "box but no papers",
            "box no papers",
        ],
        Cue::Kit {
            has_box: Some(true),
            papers: Some(false),
            negatable: false,
        },
    );
    put(
        &[
            "sans papiers",
            "sans papier",
            "no papers",
            "without papers",
            "pas de papiers",
            "no paper",
            "missing papers",
            "sans carte",
            "no card",
            "sans certificat",
        ],
        Cue::Kit {
            has_box: None,
            papers: Some(false),
            negatable: false,
        },
    );
    put(
        &[
            "sans boite",
            "no box",
            "without box",
            "pas de boite",
            "missing box",
            "sans ecrin",
        ],
        Cue::Kit {
            has_box: Some(false),
            papers: None,
            negatable: false,
        },
    );
    put(
        &[
            "automatic",
            "automatique",
            "auto",
            "automatik",
            "self-winding",
            "selfwinding",
            "self winding",
            "remontage automatique",
            "mouvement automatique",
            "automatico",
        ],
        Cue::Movement("automatic"),
    );
    put(
        &[
            "manual",
            "manuel",
            "remontage manuel",
            "hand-wound",
            "handwound",
            "hand wound",
            "manual wind",
            "manual winding",
            "manual-wind",
            "handaufzug",
            "a remontage manuel",
        ],
        Cue::Movement("manual"),
    );
    put(&["quartz", "quarz", "a quartz"], Cue::Movement("quartz"));
    put(
        &["solar", "solaire", "eco-drive", "eco drive"],
        Cue::Movement("solar"),
    );
    put(
        &["spring drive", "spring-drive", "springdrive"],
        Cue::Movement("spring_drive"),
    );
    put(&["kinetic"], Cue::Movement("kinetic"));
    put(
        &[
            "vendu",
            "vendue",
            "sold",
            "plus dispo",
            "plus disponible",
            "n'est plus disponible",
            "deja vendue",
            "deja vendu",
            "sold out",
        ],
        Cue::PriceType(PriceType::Sold),
    );
    put(
        &[
            "a debattre",
            "negociable",
            "nego",
            "negotiable",
            "!ONO",
            "!OBO",
            "ono",
            "obo",
            "or best offer",
            "or nearest offer",
            "open to offers",
            "offers",
            "ouvert aux offres",
            "faire offre",
            "faire offres",
            "faites offre",
            "!VB",
            "discutable",
            "a discuter",
            "prix a debattre",
            "prix negociable",
            "legerement negociable",
            "petite marge",
            "offres bienvenues",
            "best offer",
            "make an offer",
            "make me an offer",
            "make offer",
        ],
        Cue::PriceType(PriceType::Negotiable),
    );
    put(
        &[
            "ferme",
            "prix ferme",
            "firm",
            "price is firm",
            "non negociable",
            "pas negociable",
            "no lowball",
            "no lowballs",
            "net",
        ],
        Cue::PriceType(PriceType::Asking),
    );
    put(
        &[
            "ref",
            "ref.",
            "ref:",
            "ref :",
            "reference",
            "reference:",
            "ref#",
            "ref n",
            "ref no",
            "ref.",
        ],
        Cue::Reference,
    );
    put(
        &[
            "cal",
            "cal.",
            "calibre",
            "caliber",
            "kal",
            "kal.",
            "mvt",
            "movement",
            "mouvement",
            "eta",
            "valjoux",
            "sellita",
            "miyota",
            "unitas",
            "lemania",
            "venus",
            "landeron",
            "peseux",
            "sw",
        ],
        Cue::Calibre,
    );
    put(
        &[
            "service",
            "serviced",
            "revision",
            "revisee",
            "revise",
            "revisée",
            "entretien",
            "expire",
            "expires",
            "until",
            "jusqu'en",
            "jusqu'a",
            "valid",
            "valable",
            "warranty until",
            "polished",
            "poli",
            "since",
            "depuis",
            "overhaul",
            "overhauled",
            "revised",
        ],
        Cue::ServiceYear,
    );
    put(
        &[
            "je",
            "le",
            "la",
            "les",
            "de",
            "du",
            "des",
            "et",
            "avec",
            "sans",
            "pour",
            "une",
            "un",
            "est",
            "tres",
            "bon",
            "bonne",
            "bonjour",
            "salut",
            "merci",
            "annee",
            "ou",
            "pas",
            "montre",
            "montres",
            "facture",
            "etat",
            "qui",
            "mon",
            "ma",
            "mes",
            "vous",
            "nous",
            "c'est",
            "il",
            "elle",
            "sur",
            "dans",
            "au",
            "aux",
            "cette",
            "ce",
            "tout",
            "tous",
            "bonsoir",
            "coucou",
            "svp",
            "stp",
            "mp",
            "en",
            "livraison",
            "main propre",
            "envoi",
            "achetee",
            "achete",
            "premiere main",
            "complet",
            "complete",
            "neuve",
            "portee",
            "dispo",
            "vends",
            "cherche",
            "recherche",
            "prix",
            "boite",
            "papiers",
            "echange",
            "possible",
            "bracelet",
            "cadran",
            "lunette",
            "verre",
            "plus",
            "moins",
            "mais",
            "aussi",
            "ici",
        ],
        Cue::Lang(Fr),
    );
    put(
        &[
            "the",
            "and",
            "with",
            "for",
            "is",
            "in",
            "of",
            "my",
            "this",
            "that",
            "it",
            "has",
            "have",
            "comes",
            "included",
            "includes",
            "great",
            "shipped",
            "shipping",
            "looking",
            "selling",
            "price",
            "hi",
            "hello",
            "anyone",
            "thanks",
            "thank",
            "watch",
            "watches",
            "condition",
            "box",
            "papers",
            "dial",
            "strap",
            "bracelet",
            "only",
            "new",
            "mint",
            "like",
            "just",
            "from",
            "to",
            "a",
            "an",
            "on",
            "at",
            "or",
            "i",
            "i'm",
            "you",
            "your",
            "wts",
            "wtb",
            "obo",
            "ono",
            "sold",
            "sale",
            "please",
            "full",
            "set",
            "would",
            "will",
            "any",
            "some",
            "be",
            "was",
            "are",
            "what",
            "which",
            "who",
            "buy",
            "sell",
            "trade",
            "want",
            "bought",
            "purchased",
            "year",
            "years",
            "service",
            "serviced",
            "links",
            "extra",
        ],
        Cue::Lang(En),
    );
    put(
        &[
            "verkaufe",
            "mit",
            "und",
            "ohne",
            "papiere",
            "zustand",
            "suche",
            "neu",
            "uhr",
            "bj",
            "bj.",
            "baujahr",
            "ich",
            "der",
            "die",
            "das",
            "ist",
            "sehr",
            "guter",
            "gut",
            "box und papiere",
        ],
        Cue::Lang(De),
    );
    k
}

fn build_index() -> Index {
    let g = Gazetteer::get();
    let mut patterns: Vec<String> = Vec::new();
    let mut cues: Vec<Vec<Cue>> = Vec::new();
    let mut upper_only: Vec<bool> = Vec::new();
    let mut by_pattern: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut push = |pattern: String,
                    cue: Cue,
                    upper: bool,
                    patterns: &mut Vec<String>,
                    cues: &mut Vec<Vec<Cue>>,
                    upper_only: &mut Vec<bool>| {
        match by_pattern.get(&pattern) {
            Some(&i) => {
                cues[i].push(cue);
                upper_only[i] &= upper;
            }
            None => {
                by_pattern.insert(pattern.clone(), patterns.len());
                patterns.push(pattern);
                cues.push(vec![cue]);
                upper_only.push(upper);
            }
        }
    };
    for (alias, senses) in &g.aliases {
        let upper = senses.iter().all(|s| s.upper);
        push(
            alias.clone(),
            Cue::Alias(senses.clone()),
            upper,
            &mut patterns,
            &mut cues,
            &mut upper_only,
        );
    }
    for (word, cue) in keywords() {
        // "!FS": must be written in capitals.
        let w = word.strip_prefix('!').unwrap_or(word);
        push(
            w.to_lowercase(),
            cue,
            word.starts_with('!'),
            &mut patterns,
            &mut cues,
            &mut upper_only,
        );
    }
    let automaton = AhoCorasickBuilder::new()
        .match_kind(MatchKind::Standard)
        .build(&patterns)
        .expect("the gazetteer's patterns build an automaton");
    Index {
        automaton,
        cues,
        upper_only,
        reference: Regex::new(
            r"(?x)
            pam\x20?[0-9]{2,5}[a-z]?
            | (?:a\x20)?[0-9]{5}[\x20-]?[a-z]{2}[0-9]{2}[a-z]{0,2}
            | iw\x20?[0-9]{4}[-\x20]?[0-9]{2}
            | rm\x20?[0-9]{2,3}(?:-[0-9]{2})?
            | [a-z]{0,5}[0-9][a-z0-9]*(?:[./-][a-z0-9]+)*
              (?:\x20(?:ln|lv|lb|blnr|blro|chnr|vtnr|grnr)\b)?",
        )
        .expect("reference regex"),
        number: Regex::new(
            r"(?x)
            (?P<pre>(?:us\$|a\$|c\$|hk\$|s\$|€|\$|£|¥|chf|usd|eur|gbp|hkd|sgd|aud|cad|jpy|aed)\x20?)?
            (?P<num>[0-9]{1,3}(?:[\x20.,'][0-9]{3})+(?:[.,][0-9]{1,2})?|[0-9]+(?:[.,][0-9]{1,3})?)
            (?P<k>\x20?k(?P<kd>[0-9]{1,2})?)?
            (?P<post>\x20?(?:k€|ke|€|\$|£|¥|chf|usd|euros?|eur|gbp|hkd|sgd|aud|cad|jpy|aed|dollars?|bucks|pounds?|livres?|francs?|balles|e|mm|millimetres?))?",
        )
        .expect("number regex"),
        measure: Regex::new(
            r"^(?:[0-9]+(?:[.,][0-9]+)?(?:k[0-9]{1,3}|mm|m|cm|ft|atm|bar|k|ke|k€|e|h|g|gr|ans|an|years?|yrs?|yo|x|s|pcs|jours?|days?|km|kg|l|ml|hz|bph|j|mois|months?|w|v|gb|go|mo|p)|[0-9]{1,2}(?:eme|er|ere|st|nd|rd|th|e))$",
        )
        .expect("measure regex"),
    }
}

#[derive(Debug, Clone, Copy)]
struct Hit {
    start: usize,
    end: usize,
    pattern: usize,
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

/// Whether bytes `start..end` of `text` stand as whole words (where they begin or end with one).
fn bounded(text: &[u8], start: usize, end: usize) -> bool {
    let first = text[start];
    let last = text[end - 1];
    let before_ok = !is_word_byte(first) || start == 0 || !is_word_byte(text[start - 1]);
    let after_ok = !is_word_byte(last) || end == text.len() || !is_word_byte(text[end]);
    before_ok && after_ok
}

/// The hits that cover the most text without overlapping (weighted interval scheduling).
fn best_cover(mut hits: Vec<Hit>) -> Vec<Hit> {
    if hits.is_empty() {
        return hits;
    }
    hits.sort_by_key(|h| (h.end, h.start));
    let n = hits.len();
    // best[i]: the best weight using the first i hits; choice[i]: whether hit i-1 is taken.
    let mut best = vec![0usize; n + 1];
    let mut take = vec![false; n + 1];
    let mut prev = vec![0usize; n];
    for i in 0..n {
        // The number of hits ending at or before this one's start.
        prev[i] = hits[..i].partition_point(|h| h.end <= hits[i].start);
        let with = best[prev[i]] + (hits[i].end - hits[i].start);
        if with > best[i] {
            best[i + 1] = with;
            take[i + 1] = true;
        } else {
            best[i + 1] = best[i];
        }
    }
    let mut chosen = Vec::new();
    let mut i = n;
    while i > 0 {
        if take[i] {
            chosen.push(hits[i - 1]);
            i = prev[i - 1];
        } else {
            i -= 1;
        }
    }
    chosen.reverse();
    chosen
}

/// What the reading found, in the order of the text.
#[derive(Debug, Clone)]
enum Item {
    Brand(u16),
    /// Brand, family, a nickname, a weak alias.
    Family(u16, u16, bool, bool),
    Reference {
        text: String,
        brand: Option<u16>,
        family: Option<u16>,
        /// Matched a known shape (not only "looks like a reference").
        known: bool,
    },
    Price {
        value: f64,
        currency: Option<&'static str>,
        /// Written with a currency or a "k": surely a price.
        strong: bool,
    },
    Year(u16),
    Size(f32),
    Condition(Condition),
    Kit(Option<bool>, Option<bool>),
    Movement(&'static str),
    PriceType(PriceType),
}

#[derive(Debug, Clone)]
struct Found {
    start: usize,
    end: usize,
    item: Item,
}

impl Found {
    fn is_anchor(&self) -> bool {
        matches!(
            self.item,
            Item::Brand(_) | Item::Family(..) | Item::Reference { known: true, .. }
        )
    }
}

/// A reference as read: its text, the brand and family it implies, where it is.
type DraftReference = (String, Option<u16>, Option<u16>, (usize, usize));
/// A price as read: amount, currency, whether surely a price, where it is.
type DraftPrice = (f64, Option<&'static str>, bool, (usize, usize));

/// A listing being read.
#[derive(Default)]
struct Draft {
    brand: Option<(u16, (usize, usize))>,
    family: Option<(u16, u16, (usize, usize))>,
    reference: Option<DraftReference>,
    price: Option<DraftPrice>,
    /// Prices read after this watch already had one ("Sub, Daytona, GMT : 9800€, 25000€, 17000€"):
    /// a list of prices for a list of watches, shared out once the watches are known.
    more_prices: Vec<DraftPrice>,
    price_type: Option<(PriceType, (usize, usize))>,
    condition: Option<(Condition, (usize, usize))>,
    has_box: Option<(bool, (usize, usize))>,
    papers: Option<(bool, (usize, usize))>,
    year: Option<(u16, (usize, usize))>,
    size: Option<(f32, (usize, usize))>,
    movement: Option<(&'static str, (usize, usize))>,
    /// The family was read from a weak alias ("up/down"): a reference's family is surer.
    family_weak: bool,
    last_anchor_end: usize,
    first_anchor_start: usize,
    anchored: bool,
}

impl Draft {
    fn brand_id(&self) -> Option<u16> {
        self.brand
            .map(|b| b.0)
            .or(self.family.map(|f| f.0))
            .or(self.reference.as_ref().and_then(|r| r.1))
    }

    /// Whether this names a watch rather than only a brand ("collectionneur de Seiko").
    fn is_specific(&self) -> bool {
        self.family.is_some()
            || self.reference.is_some()
            || self.price.is_some()
            || self.year.is_some()
            || self.has_box.is_some()
            || self.papers.is_some()
            || self.condition.is_some()
            || self.size.is_some()
    }

    /// Whether `found` names another watch than this one.
    fn conflicts(&self, found: &Found, text: &[u8]) -> bool {
        if !self.anchored {
            return false;
        }
        let brand = self.brand_id();
        match &found.item {
            Item::Brand(b) => {
                brand.is_some_and(|x| x != *b) && self.moved_on(text, found.start, true)
            }
            Item::Family(b, f, nickname, _) => {
                if brand.is_some_and(|x| x != *b) {
                    // A nickname right after another brand's name is that brand's own (a Tag "Panda").
                    if *nickname && found.start.saturating_sub(self.last_anchor_end) < 16 {
                        return false;
                    }
                    // "Seiko ... Day Date": another brand's family word in the middle of a description
                    // describes; after a comma, a new line or an "and", or once a price is given, it is
                    // the next watch.
                    return self.moved_on(text, found.start, false);
                }
                match self.family {
                    Some((_, f2, _)) if f2 != *f => {
                        !adjacent(text, self.last_anchor_end, found.start)
                            && self.moved_on(text, found.start, true)
                    }
                    _ => false,
                }
            }
            Item::Reference {
                text: r,
                brand: b,
                family: f,
                ..
            } => {
                if let Some((r2, ..)) = &self.reference {
                    return r2 != r;
                }
                if let (Some(b), Some(x)) = (b, brand) {
                    if *b != x {
                        return true;
                    }
                }
                // A reference of another family of the same brand, far from this watch's name.
                match (f, self.family) {
                    (Some(f), Some((_, f2, _))) if *f != f2 => {
                        found.start.saturating_sub(self.last_anchor_end) > 40
                    }
                    _ => false,
                }
            }
            _ => false,
        }
    }

    /// Whether the text has left this watch by `at`: it has its price, or a separator comes between.
    fn moved_on(&self, text: &[u8], at: usize, words_count: bool) -> bool {
        if self.price.is_some() || self.brand.is_none() {
            return true;
        }
        let between = &text[self.last_anchor_end.min(at)..at];
        if between.iter().any(|c| {
            matches!(
                c,
                b'\n' | b',' | b';' | b'+' | b'|' | b'&' | b'/' | b'(' | b'*' | b'\xe2'
            )
        }) {
            return true;
        }
        let words = String::from_utf8_lossy(between);
        words.contains(" - ")
            || words_count
                && words.split(|c: char| !c.is_alphanumeric()).any(|w| {
                    matches!(
                        w,
                        "et" | "and" | "ou" | "or" | "plus" | "also" | "aussi" | "puis" | "then"
                    )
                })
    }

    fn take(&mut self, found: &Found, text: &[u8]) {
        let span = (found.start, found.end);
        let anchor = found.is_anchor();
        match &found.item {
            Item::Brand(b) => {
                if self.brand.is_none() {
                    self.brand = Some((*b, span));
                }
            }
            Item::Family(b, f, _, weak) => match self.family {
                // Another brand's family (a Lange "Panda") names no family of this watch.
                None if self.brand_id().is_some_and(|x| x != *b) => {}
                None => {
                    self.family = Some((*b, *f, span));
                    self.family_weak = *weak;
                }
                Some((_, f2, _))
                    if f2 != *f && adjacent(text, self.last_anchor_end, found.start) =>
                {
                    // "Seamaster Planet Ocean": the later name is the more precise one.
                    let start = self.family.map(|x| x.2 .0).unwrap_or(found.start);
                    self.family = Some((*b, *f, (start, found.end)));
                }
                _ => {}
            },
            Item::Reference {
                text: r,
                brand,
                family,
                ..
            } => {
                if self.reference.is_none() {
                    self.reference = Some((r.clone(), *brand, *family, span));
                }
            }
            Item::Price {
                value,
                currency,
                strong,
            } => match self.price {
                None => self.price = Some((*value, *currency, *strong, span)),
                Some((_, _, false, _)) if *strong => {
                    self.price = Some((*value, *currency, *strong, span))
                }
                _ => self.more_prices.push((*value, *currency, *strong, span)),
            },
            Item::Year(y) => {
                if self.year.is_none() {
                    self.year = Some((*y, span));
                }
            }
            Item::Size(s) => {
                if self.size.is_none() {
                    self.size = Some((*s, span));
                }
            }
            Item::Condition(c) => {
                // Words of wear say more than "vintage" or "new" said of a model.
                let replace = match self.condition {
                    None => true,
                    Some((Condition::Vintage, _)) => *c != Condition::Vintage,
                    // "Neuve stickers": never worn says more than new.
                    Some((Condition::New, _)) => *c == Condition::Unworn,
                    _ => false,
                };
                if replace {
                    self.condition = Some((*c, span));
                }
            }
            Item::Kit(b, p) => {
                if let (Some(b), None) = (b, self.has_box) {
                    self.has_box = Some((*b, span));
                }
                if let (Some(p), None) = (p, self.papers) {
                    self.papers = Some((*p, span));
                }
            }
            Item::Movement(m) => {
                if self.movement.is_none() {
                    self.movement = Some((m, span));
                }
            }
            Item::PriceType(t) => {
                if self.price_type.is_none() || *t == PriceType::Sold {
                    self.price_type = Some((*t, span));
                }
            }
        }
        if anchor {
            if !self.anchored {
                self.first_anchor_start = found.start;
            }
            self.anchored = true;
            self.last_anchor_end = found.end;
        }
    }

    fn merge_pending(&mut self, pending: Draft) {
        macro_rules! fill {
            ($($f:ident),*) => {$(if self.$f.is_none() { self.$f = pending.$f; })*};
        }
        fill!(price, price_type, condition, has_box, papers, year, size, movement, reference);
    }
}

/// A list of prices after a list of watches went whole to the last watch: when exactly as many watches
/// before it have no price as it has prices too many, they are shared out in order. Any other count is
/// left as read (the last watch keeps the first price), since which price is whose is then a guess.
fn share_price_lists(drafts: &mut [Draft]) {
    for last in 0..drafts.len() {
        let extra = drafts[last].more_prices.len();
        if extra == 0 || extra > last {
            continue;
        }
        let first = last - extra;
        let unpriced = drafts[first..last].iter().all(|d| d.price.is_none());
        let before_is_priced = first == 0 || drafts[first - 1].price.is_some();
        if !unpriced || !before_is_priced {
            continue;
        }
        let mut prices: Vec<DraftPrice> = drafts[last].price.into_iter().collect();
        prices.append(&mut drafts[last].more_prices);
        for (draft, price) in drafts[first..=last].iter_mut().zip(prices) {
            draft.price = Some(price);
        }
    }
}

/// Whether only a few spaces or signs separate `a` from `b` (two names of one watch).
fn adjacent(text: &[u8], a: usize, b: usize) -> bool {
    b >= a
        && b - a <= 3
        && text[a..b]
            .iter()
            .all(|c| !c.is_ascii_alphanumeric() && *c != b'\n' && *c != b',')
}

fn currency_of(token: &str) -> Option<&'static str> {
    Some(match token.trim() {
        "€" | "eur" | "euro" | "euros" | "e" | "ke" | "k€" | "balles" => "EUR",
        "$" | "usd" | "us$" | "dollar" | "dollars" | "bucks" => "USD",
        "£" | "gbp" | "pound" | "pounds" | "livre" | "livres" => "GBP",
        "chf" | "franc" | "francs" => "CHF",
        "¥" | "jpy" => "JPY",
        "hkd" | "hk$" => "HKD",
        "sgd" | "s$" => "SGD",
        "aud" | "a$" => "AUD",
        "cad" | "c$" => "CAD",
        "aed" => "AED",
        _ => return None,
    })
}

fn parse_amount(num: &str) -> Option<f64> {
    let bytes = num.as_bytes();
    // Thousands grouped by a space, dot, comma or apostrophe: "8 200", "8.200", "12,500", "8'500".
    let groups: Vec<&str> = num.split([' ', '.', ',', '\'']).collect();
    let grouped = groups.len() >= 2
        && groups[0].len() <= 3
        && groups[1..].iter().all(|g| g.len() == 3)
        && !(groups.len() == 2
            && bytes.iter().filter(|b| **b == b'.' || **b == b',').count() == 1
            && groups[0].len() > 3);
    if grouped {
        return groups.concat().parse().ok();
    }
    // Groups then cents: "12,500.00", "8.200,50".
    if groups.len() >= 3
        && groups[..groups.len() - 1]
            .iter()
            .skip(1)
            .all(|g| g.len() == 3)
        && groups.last().is_some_and(|g| g.len() <= 2)
    {
        let whole: String = groups[..groups.len() - 1].concat();
        let cents = groups.last()?;
        return format!("{whole}.{cents}").parse().ok();
    }
    num.replace(',', ".").parse().ok()
}

/// Reads one message's text.
pub fn extract(text: &str) -> Extraction {
    let text = if text.len() > MAX_BYTES {
        let mut cut = MAX_BYTES;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        &text[..cut]
    } else {
        text
    };
    let folded = Folded::new(text);
    let t = folded.text.as_str();
    let bytes = t.as_bytes();
    let idx = index();
    let g = Gazetteer::get();

    // 1. Every alias and keyword, as whole words, the cover that reads the most of the text.
    let mut raw = Vec::new();
    for m in idx.automaton.find_overlapping_iter(t) {
        let p = m.pattern().as_usize();
        if bounded(bytes, m.start(), m.end())
            && (!idx.upper_only[p] || folded.all_upper(m.start(), m.end()))
        {
            raw.push(Hit {
                start: m.start(),
                end: m.end(),
                pattern: m.pattern().as_usize(),
            });
        }
    }
    let hits = best_cover(raw);

    // Language first: it decides what a bare number is.
    let mut votes = [0i32; 3];
    let mut explicit_brands: Vec<u16> = Vec::new();
    for h in &hits {
        for cue in &idx.cues[h.pattern] {
            match cue {
                Cue::Lang(l) => votes[*l as usize] += 1,
                Cue::Alias(senses) => {
                    for s in senses.iter().filter(|s| s.family.is_none()) {
                        if !s.upper || folded.all_upper(h.start, h.end) {
                            explicit_brands.push(s.brand);
                        }
                    }
                    // "Tudor Ranger" names Tudor as surely as "Tudor" does.
                    if let [only] = senses.as_slice() {
                        if only.family.is_some() && !only.weak && !only.nickname {
                            explicit_brands.push(only.brand);
                        }
                    }
                }
                _ => {}
            }
        }
    }
    // Accented letters are French more often than not in these chats.
    votes[0] += text
        .chars()
        .filter(|c| matches!(c, 'é' | 'è' | 'ê' | 'à' | 'ç' | 'ù' | 'É'))
        .count()
        .min(3) as i32;
    let language_votes = {
        let (best, &n) = votes
            .iter()
            .enumerate()
            .max_by_key(|(i, n)| (**n, -(*i as i32)))
            .unwrap_or((0, &0));
        let second = votes
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != best)
            .map(|(_, n)| *n)
            .max()
            .unwrap_or(0);
        if n >= 1 && n > second {
            Some(match best {
                0 => Lang::Fr,
                1 => Lang::En,
                _ => Lang::De,
            })
        } else {
            None
        }
    };

    // A dealer's stock line says little: its currency tells where it was written.
    let language = language_votes.or_else(|| {
        if text.contains('€') || t.contains(" eur") {
            Some(Lang::Fr)
        } else if text.contains('$') || text.contains('£') {
            Some(Lang::En)
        } else if hits.iter().any(|h| {
            idx.cues[h.pattern]
                .iter()
                .any(|c| matches!(c, Cue::Alias(_) | Cue::Kit { .. } | Cue::Condition(_)))
        }) {
            // A French group's stock line: names, numbers and "full set".
            Some(Lang::Fr)
        } else {
            None
        }
    });
    let mut found: Vec<Found> = Vec::new();
    let mut type_hits: Vec<(MessageType, Strength, usize, usize)> = Vec::new();
    let mut ref_cues: Vec<usize> = Vec::new();
    let mut cal_cues: Vec<usize> = Vec::new();
    let mut not_year_cues: Vec<usize> = Vec::new();
    let mut covered: Vec<(usize, usize)> = Vec::new();

    // References next, so that their digits are never read as prices or years.
    for h in &hits {
        for cue in &idx.cues[h.pattern] {
            match cue {
                Cue::Reference => ref_cues.push(h.end),
                Cue::Calibre => cal_cues.push(h.end),
                Cue::ServiceYear => not_year_cues.push(h.end),
                _ => {}
            }
        }
    }
    explicit_brands.sort_unstable();
    explicit_brands.dedup();
    // Cue ends are in the order of the text: the nearest one before `at` is found by halving.
    let near = |cues: &[usize], at: usize, within: usize| {
        let i = cues.partition_point(|&e| e <= at);
        i > 0 && at - cues[i - 1] <= within
    };
    for m in idx.reference.find_iter(t) {
        let (s, e) = (m.start(), m.end());
        if !bounded(bytes, s, e)
            || (s > 1
                && matches!(bytes[s - 1], b'.' | b'/' | b'-' | b',')
                && bytes[s - 2].is_ascii_digit())
        {
            continue;
        }
        let raw = m.as_str();
        if idx.measure.is_match(raw) || near(&cal_cues, s, 2) {
            continue;
        }
        // "233 026" is Lange's 233.026.
        let spaced_lange = raw.len() >= 7
            && raw.as_bytes()[3] == b' '
            && raw.as_bytes()[4] == b'0'
            && raw[..3].bytes().all(|b| b.is_ascii_digit());
        let compact: String = if spaced_lange {
            raw.replacen(' ', ".", 1).to_uppercase()
        } else {
            raw.chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .to_uppercase()
        };
        let compact = normalise_reference(&compact);
        let digits = compact.bytes().filter(|b| b.is_ascii_digit()).count();
        let letters = compact.bytes().filter(|b| b.is_ascii_alphabetic()).count();
        let separated = compact.contains(['.', '/', '-']);
        if digits < 3 && !(digits == 2 && letters >= 3) {
            continue;
        }
        // A number with a currency after it is a price.
        let after = t[e..].trim_start_matches(' ');
        let next_is_digit = after
            .trim_start_matches(['€', '$', '£'])
            .trim_start()
            .starts_with(|c: char| c.is_ascii_digit());
        if letters == 0
            && !next_is_digit
            && (after.starts_with(['€', '$', '£', 'k'])
                || after.starts_with("eur")
                || after.starts_with("chf")
                || after.starts_with("usd"))
        {
            continue;
        }
        let cued = near(&ref_cues, s, 3);
        if letters == 0 && !separated && digits == 4 && !cued {
            if let Ok(y) = compact.parse::<u16>() {
                if (1900..=2030).contains(&y) {
                    continue;
                }
            }
        }
        // "101.030" is a Lange reference, "112.000" a price.
        if letters == 0
            && compact.len() == 7
            && compact.as_bytes()[3] == b'.'
            && (compact.ends_with("000") || compact.ends_with("500"))
            && !cued
        {
            continue;
        }
        let mut shapes = g.shapes_of(&compact);
        let mut compact = compact;
        if shapes.is_empty() {
            // "414.026/LS4143AA": the maker's reference, then the dealer's own.
            if let Some((head, _)) = compact.split_once('/') {
                let head_shapes = g.shapes_of(head);
                if !head_shapes.is_empty() && head.contains('.') {
                    shapes = head_shapes;
                    compact = head.to_string();
                }
            }
        }
        let pick = shapes
            .iter()
            .copied()
            .find(|&i| explicit_brands.contains(&g.shapes[i].brand))
            .or(shapes.first().copied());
        let bare_digits = letters == 0 && !separated && digits <= 5;
        // A shape of a brand the message does not name, in a message that names another, is that
        // other brand's reference of the same form (a Blancpain "2250-1130" is no Seiko).
        let pick = pick.filter(|&i| {
            explicit_brands.is_empty() || explicit_brands.contains(&g.shapes[i].brand) || cued
        });
        match pick {
            Some(i) => {
                let shape = &g.shapes[i];
                if bare_digits && !cued && !explicit_brands.contains(&shape.brand) {
                    continue;
                }
                covered.push((s, e));
                found.push(Found {
                    start: s,
                    end: e,
                    item: Item::Reference {
                        text: compact,
                        brand: Some(shape.brand),
                        family: shape.family,
                        known: true,
                    },
                });
            }
            None => {
                // "1183-310", "1321-1200": digits and a dash beside a named brand.
                let dashed = letters == 0
                    && compact.contains('-')
                    && !compact.contains(['.', '/'])
                    && digits >= 6
                    && !explicit_brands.is_empty()
                    && !compact
                        .split('-')
                        .all(|p| p.len() == 4 && (p.starts_with("19") || p.starts_with("20")));
                let generic =
                    (letters >= 1 && digits >= 3 && compact.len() >= 5 && compact.len() <= 24)
                        || (cued && compact.len() >= 3)
                        || dashed;
                if generic && !compact.starts_with("CAL") {
                    covered.push((s, e));
                    found.push(Found {
                        start: s,
                        end: e,
                        item: Item::Reference {
                            text: compact,
                            brand: None,
                            family: None,
                            known: false,
                        },
                    });
                } else if letters == 0 && separated {
                    // Not a price nor a year either ("311.30" would be): keep its digits out of them.
                    if compact.matches('.').count() >= 2 || compact.contains('/') && digits > 6 {
                        covered.push((s, e));
                    }
                }
            }
        }
    }

    // Aliases and keywords, now that the brands named are known.
    let mut mentioned = explicit_brands.clone();
    mentioned.extend(found.iter().filter_map(|f| match f.item {
        Item::Reference {
            brand, known: true, ..
        } => brand,
        _ => None,
    }));
    mentioned.sort_unstable();
    mentioned.dedup();
    // The spans taken by references, in order and apart: an overlap is found by halving.
    let overlaps = |spans: &[(usize, usize)], start: usize, end: usize| {
        let i = spans.partition_point(|&(a, _)| a < end);
        i > 0 && spans[i - 1].1 > start
    };
    for h in &hits {
        if overlaps(&covered, h.start, h.end) {
            continue;
        }
        for cue in &idx.cues[h.pattern] {
            let item = match cue {
                Cue::Alias(senses) => {
                    let item = resolve(senses, &mentioned, &folded, h);
                    // "Datejust 41", "Day-Date 40": the family's name says the size.
                    if matches!(item, Some(Item::Family(..))) {
                        let alias = &t[h.start..h.end];
                        if let Some((_, tail)) = alias.rsplit_once(' ') {
                            if let Ok(size) = tail.parse::<u8>() {
                                if (28..=46).contains(&size) {
                                    let at = h.end - tail.len();
                                    found.push(Found {
                                        start: at,
                                        end: h.end,
                                        item: Item::Size(f32::from(size)),
                                    });
                                }
                            }
                        }
                    }
                    item
                }
                Cue::Type(kind, strength) => {
                    let word = &t[h.start..h.end];
                    // "Quelqu'un à Paris": the folded "a" was an "à".
                    let grave = word.ends_with(" a") && { folded.grave_a(h.end - 1) };
                    if matches!(word, "fs" | "ft" | "iso") && !folded.all_upper(h.start, h.end)
                        || grave
                    {
                        None
                    } else {
                        type_hits.push((*kind, *strength, h.start, h.end));
                        None
                    }
                }
                Cue::Condition(c) => {
                    let word = &t[h.start..h.end];
                    if matches!(word, "nos" | "be" | "tbe")
                        && !folded.all_upper(h.start, h.end)
                        && word != "tbe"
                    {
                        None
                    } else {
                        Some(Item::Condition(*c))
                    }
                }
                Cue::Kit {
                    has_box,
                    papers,
                    negatable,
                } => {
                    let negated = *negatable && negated_before(t, h.start);
                    if negated {
                        Some(Item::Kit(has_box.map(|_| false), papers.map(|_| false)))
                    } else {
                        Some(Item::Kit(*has_box, *papers))
                    }
                }
                Cue::Movement(m) => Some(Item::Movement(m)),
                Cue::PriceType(p) => {
                    let word = &t[h.start..h.end];
                    if matches!(word, "ono" | "obo" | "vb")
                        && !folded.all_upper(h.start, h.end)
                        && word == "vb"
                    {
                        None
                    } else {
                        Some(Item::PriceType(*p))
                    }
                }
                _ => None,
            };
            if let Some(item) = item {
                found.push(Found {
                    start: h.start,
                    end: h.end,
                    item,
                });
                break;
            }
        }
    }
    // Where each brand or family name ends (and whether it is a brand's), in order.
    let mut name_ends: Vec<(usize, bool)> = found
        .iter()
        .filter_map(|f| match f.item {
            Item::Brand(_) => Some((f.end, true)),
            Item::Family(..) => Some((f.end, false)),
            _ => None,
        })
        .collect();
    name_ends.sort_unstable();
    let mut alias_spans: Vec<(usize, usize)> = found
        .iter()
        .filter(|f| matches!(f.item, Item::Family(..) | Item::Brand(_)))
        .map(|f| (f.start, f.end))
        .collect();
    alias_spans.sort_unstable();

    // Numbers: prices, years, sizes.
    let price_cues: Vec<usize> = hits
        .iter()
        .filter(|h| {
            idx.cues[h.pattern]
                .iter()
                .any(|c| matches!(c, Cue::Type(MessageType::Sale, _) | Cue::PriceType(_)))
        })
        .map(|h| h.end)
        .collect();
    let mut from = 0;
    while let Some(c) = idx.number.captures_at(t, from) {
        let Some(whole) = c.get(0) else { break };
        let Some(num) = c.name("num") else { break };
        from = whole.end().max(from + 1);
        while from < t.len() && !t.is_char_boundary(from) {
            from += 1;
        }
        let s = whole.start();
        if overlaps(&covered, num.start(), num.end())
            || overlaps(&alias_spans, num.start(), num.end())
        {
            // What followed these digits ("$" in "SRP773 $299") may begin the next number.
            from = num.end();
            continue;
        }
        if s > 0 && is_word_byte(bytes[s - 1]) {
            // "F300 499$": the digits glued to a word are not a number, but what follows them may be.
            let run = num
                .as_str()
                .bytes()
                .take_while(|b| b.is_ascii_digit())
                .count();
            from = num.start() + run.max(1);
            continue;
        }
        let month_year = s > 0 && bytes[s - 1] == b'/' && s >= 2 && bytes[s - 2].is_ascii_digit();
        // Right after a digit and a sign, the digits are the tail of another number ("16570,6350"),
        // unless a currency is written with them.
        let glued = s > 1
            && matches!(bytes[s - 1], b'.' | b',' | b'-' | b'/' | b'#')
            && (bytes[s - 2].is_ascii_digit() || bytes[s - 1] == b'#');
        if glued && !month_year && c.name("pre").is_none() && c.name("post").is_none() {
            continue;
        }
        // The end: drop what follows the number if it does not end a word there.
        let mut end = whole.end();
        let mut post = c.name("post").map(|p| p.as_str().trim());
        let mut k = c.name("k");
        if end < bytes.len() && is_word_byte(bytes[end]) {
            post = None;
            end = k.map(|k| k.end()).unwrap_or(num.end());
            if end < bytes.len() && is_word_byte(bytes[end]) {
                k = None;
                end = num.end();
                if end < bytes.len() && is_word_byte(bytes[end]) {
                    continue;
                }
            }
        }
        if matches!(post, Some("mm" | "millimetre" | "millimetres")) {
            if let Some(v) = parse_amount(num.as_str()) {
                if (20.0..=60.0).contains(&v) {
                    found.push(Found {
                        start: num.start(),
                        end,
                        item: Item::Size(v as f32),
                    });
                }
            }
            continue;
        }
        let pre = c.name("pre").map(|p| p.as_str().trim());
        // "e" after a number is euros only in French or with a k.
        let post = match post {
            Some("e") if language != Some(Lang::Fr) && k.is_none() => None,
            p => p,
        };
        let currency = pre.and_then(currency_of).or(post.and_then(currency_of));
        if post.is_none() && end == whole.end() && c.name("post").is_some() {
            end = k.map(|k| k.end()).unwrap_or(num.end());
        }
        let Some(mut value) = parse_amount(num.as_str()) else {
            continue;
        };
        if let Some(kk) = k {
            value *= 1000.0;
            if let Some(kd) = c.name("kd") {
                let d = kd.as_str();
                let scale = match d.len() {
                    1 => 100.0,
                    2 => 10.0,
                    _ => 1.0,
                };
                value += d.parse::<f64>().unwrap_or(0.0) * scale;
            }
            let _ = kk;
        }
        let next_word = t[end..].trim_start_matches([' ', '\u{a0}']);
        // "50€/mois" is a rate; "9800€ / 25000€", with spaces, is a list of prices.
        let spaced_slash = next_word.starts_with('/') && t[end..].starts_with([' ', '\u{a0}']);
        let unit_after = !spaced_slash && starts_with_unit(next_word);
        // "18k" gold is no price of 18 000.
        let carats = currency.is_none()
            && k.is_some()
            && c.name("kd").is_none()
            && matches!(num.as_str(), "9" | "10" | "14" | "18" | "22" | "24");
        if carats {
            continue;
        }
        if currency.is_some() || k.is_some() {
            if !unit_after && (10.0..=100_000_000.0).contains(&value) {
                found.push(Found {
                    start: s,
                    end,
                    item: Item::Price {
                        value,
                        currency,
                        strong: true,
                    },
                });
            }
            continue;
        }
        let n = num.as_str();
        let plain_digits = n.bytes().all(|b| b.is_ascii_digit());
        if plain_digits && n.len() == 4 {
            let y: u16 = n.parse().unwrap_or(0);
            if (1900..=2030).contains(&y) && !near(&ref_cues, s, 3) {
                let service = near(&not_year_cues, s, 14);
                if !service {
                    found.push(Found {
                        start: s,
                        end,
                        item: Item::Year(y),
                    });
                }
                continue;
            }
        }
        if month_year {
            continue;
        }
        if unit_after || near(&cal_cues, s, 3) || near(&ref_cues, s, 3) {
            continue;
        }
        if s > 0 && matches!(bytes[s - 1], b'x' | b'#') {
            continue;
        }
        let decimals =
            n.contains(['.', ',']) && !n.split(['.', ',', ' ', '\'']).skip(1).all(|g| g.len() == 3);
        // "Sinn 856", "Nomos Ahoi 550": a number right after a name is the model's.
        // ("Sub 9800" is a price: a family's number is rarely above a thousand, a brand's often is.)
        let name_before = {
            let i = name_ends.partition_point(|&(e, _)| e <= s);
            (i > 0)
                .then(|| name_ends[i - 1])
                .filter(|&(e, _)| s - e <= 2 && t[e..s].bytes().all(|c| c == b' '))
        };
        let after_name =
            name_before.is_some_and(|(_, brand)| value < if brand { 10_000.0 } else { 1_000.0 });
        // "Pelagos 39", "Khaki Field 38": two digits right after a family are its size.
        let after_family = name_before.is_some_and(|(_, brand)| !brand);
        if after_family && n.len() == 2 && (28.0..=46.0).contains(&value) {
            found.push(Found {
                start: s,
                end,
                item: Item::Size(value as f32),
            });
            continue;
        }
        if (100.0..=500_000.0).contains(&value) && !decimals && !after_name {
            let cued = near(&price_cues, s, 14) || t[..s].trim_end().ends_with([':', '@', '=']);
            let plausible = match language {
                Some(Lang::Fr) | Some(Lang::De) => true,
                Some(Lang::En) => false,
                None => value >= 1000.0,
            };
            if plausible || cued {
                found.push(Found {
                    start: s,
                    end,
                    item: Item::Price {
                        value,
                        currency: None,
                        strong: false,
                    },
                });
            }
        }
    }

    found.sort_by_key(|f| (f.start, f.end));

    // 2. The listings: anchors that do not fit the watch being read start the next one.
    let mut drafts: Vec<Draft> = Vec::new();
    let mut current = Draft::default();
    let mut pending = Draft::default();
    let mut global_price_types: Vec<(PriceType, (usize, usize))> = Vec::new();
    let line_of = |at: usize| bytes[..at].iter().filter(|b| **b == b'\n').count();
    let mut line_starts: Vec<usize> = vec![0];
    line_starts.extend(
        bytes
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .map(|(i, _)| i + 1),
    );
    let _ = line_of;
    let mut i = 0;
    while i < found.len() {
        let f = &found[i];
        let line = line_starts.partition_point(|&ls| ls <= f.start) - 1;
        let is_first_on_line =
            i == 0 || line_starts.partition_point(|&ls| ls <= found[i - 1].start) - 1 != line;
        if is_first_on_line && current.anchored {
            // If this line's first anchor starts another watch, the line's other words are that watch's.
            let line_end = line_starts.get(line + 1).copied().unwrap_or(bytes.len());
            let first_anchor = found[i..]
                .iter()
                .take_while(|x| x.start < line_end)
                .find(|x| x.is_anchor());
            if let Some(a) = first_anchor {
                if current.conflicts(a, bytes) {
                    drafts.push(std::mem::take(&mut current));
                }
            } else if matches!(f.item, Item::PriceType(_))
                && found[i..]
                    .iter()
                    .take_while(|x| x.start < line_end)
                    .all(|x| matches!(x.item, Item::PriceType(_) | Item::Kit(..)))
                && !drafts.is_empty()
            {
                // "Prix à débattre" alone on its line at the end speaks of every watch.
                if let Item::PriceType(p) = f.item {
                    global_price_types.push((p, (f.start, f.end)));
                }
            }
        }
        if f.is_anchor() {
            if current.conflicts(f, bytes) {
                drafts.push(std::mem::take(&mut current));
            }
            if !current.anchored {
                current.merge_pending(std::mem::take(&mut pending));
            }
            current.take(f, bytes);
        } else if current.anchored {
            current.take(f, bytes);
        } else {
            pending.take(f, bytes);
        }
        i += 1;
    }
    if current.anchored {
        drafts.push(current);
    }
    share_price_lists(&mut drafts);
    // A watch of a maker we do not know, offered or sought at a price: a listing without a brand.
    if drafts.is_empty() && pending.price.is_some_and(|p| p.2) {
        let said = type_hits.iter().any(|h| {
            matches!(h.0, MessageType::Sale | MessageType::Wanted) && !matches!(h.1, Strength::Hint)
        });
        let described = pending.reference.is_some()
            || pending.condition.is_some()
            || pending.has_box.is_some()
            || pending.papers.is_some()
            || pending.movement.is_some()
            || pending.size.is_some()
            || pending.year.is_some();
        if said || described {
            drafts.push(pending);
        }
    }
    for (p, span) in &global_price_types {
        for d in drafts.iter_mut() {
            if d.price_type.is_none() {
                d.price_type = Some((*p, *span));
            }
        }
    }

    // 3. The message's type.
    let words = t.split_whitespace().count();
    let stock_line = words <= 15 && drafts.first().is_some_and(|d| d.first_anchor_start <= 30);
    // "Dispo ?", "prix ?": a few words and a question mark.
    let short = words <= 4;
    // "Is the Saxonia still for sale?", "Dispo la Daytona ?": a sale asked about, not offered.
    let asks =
        text.trim_end().ends_with('?') && !drafts.iter().any(|d| d.price.is_some_and(|p| p.2));
    let (kind, type_span, by_keyword) = decide_type(&type_hits, &drafts, stock_line, short, asks);
    // A brand named in talk or in a general question is no listing.
    if matches!(kind, MessageType::General | MessageType::Question) {
        drafts.retain(Draft::is_specific);
    }
    let listings: Vec<Listing> = drafts
        .into_iter()
        .map(|d| finish(d, g, &folded, language, kind))
        .collect();

    let mut spans = BTreeMap::new();
    if let Some((s, e)) = type_span {
        let (a, b) = folded.span(s, e);
        spans.insert("type".to_string(), Span { start: a, end: b });
    }
    let confidence = confidence(kind, by_keyword, &listings, text);
    Extraction {
        kind,
        language: language.map(|l| {
            match l {
                Lang::Fr => "fr",
                Lang::En => "en",
                Lang::De => "de",
            }
            .to_string()
        }),
        confidence,
        listings,
        spans,
    }
}

fn starts_with_unit(s: &str) -> bool {
    const UNITS: &[&str] = &[
        "mm",
        "m",
        "meters",
        "metres",
        "meter",
        "ft",
        "feet",
        "atm",
        "bar",
        "ans",
        "an",
        "years",
        "year",
        "yrs",
        "pieces",
        "piece",
        "pcs",
        "ex",
        "exemplaires",
        "jours",
        "days",
        "heures",
        "hours",
        "h",
        "km",
        "g",
        "gr",
        "grams",
        "cm",
        "eme",
        "er",
        "ere",
        "st",
        "nd",
        "rd",
        "th",
        "mois",
        "months",
        "ml",
        "bph",
        "links",
        "maillons",
        "limited",
        "made",
        "jewels",
        "rubis",
        "mois",
        "weeks",
        "semaines",
        "x",
    ];
    if s.starts_with(['%', '/', ':', '×']) {
        return true;
    }
    let word: &str = s
        .split(|c: char| !c.is_ascii_alphanumeric())
        .next()
        .unwrap_or("");
    UNITS.contains(&word)
}

fn negated_before(t: &str, at: usize) -> bool {
    let from = at.saturating_sub(24);
    let mut from = from;
    while !t.is_char_boundary(from) {
        from += 1;
    }
    let before = &t[from..at];
    let words: Vec<&str> = before
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty())
        .collect();
    let last = &words[words.len().saturating_sub(6)..];
    // The last word of negation, unless a "but" or "with" comes after it: "no box but papers".
    let negation = last.iter().rposition(|w| {
        matches!(
            *w,
            "no" | "sans"
                | "without"
                | "ni"
                | "pas"
                | "not"
                | "missing"
                | "manque"
                | "manquent"
                | "aucun"
                | "aucune"
                | "n'ai"
                | "don't"
                | "dont"
                | "nor"
                | "lost"
                | "perdu"
                | "perdus"
        )
    });
    match negation {
        Some(i) => {
            !last[i + 1..].iter().any(|w| {
                matches!(
                    *w,
                    "but"
                        | "mais"
                        | "with"
                        | "avec"
                        | "comes"
                        | "included"
                        | "juste"
                        | "only"
                        | "seulement"
                )
            }) || last[i + 1..]
                .iter()
                .any(|w| matches!(*w, "or" | "ni" | "nor" | "ou"))
        }
        None => false,
    }
}

fn resolve(senses: &[Sense], mentioned: &[u16], folded: &Folded, h: &Hit) -> Option<Item> {
    let upper_ok = |s: &Sense| !s.upper || folded.all_upper(h.start, h.end);
    let usable: Vec<&Sense> = senses.iter().filter(|s| upper_ok(s)).collect();
    // A brand name is a brand.
    if let Some(b) = usable.iter().find(|s| s.family.is_none()) {
        // "Seiko 5" names a brand and its family: the family says more.
        if let Some(f) = usable
            .iter()
            .find(|s| s.brand == b.brand && s.family.is_some())
        {
            return Some(Item::Family(f.brand, f.family?, f.nickname, f.weak));
        }
        if usable.iter().all(|s| s.family.is_none()) || mentioned.contains(&b.brand) {
            return Some(Item::Brand(b.brand));
        }
    }
    let pick = usable
        .iter()
        .filter(|s| s.family.is_some())
        .find(|s| mentioned.contains(&s.brand))
        .or_else(|| {
            usable
                .iter()
                .filter(|s| s.family.is_some())
                .find(|s| !s.weak)
        })?;
    if pick.weak && !mentioned.contains(&pick.brand) {
        return None;
    }
    Some(Item::Family(
        pick.brand,
        pick.family?,
        pick.nickname,
        pick.weak,
    ))
}

/// `stock_line`: a short message that starts with a watch's name, the way dealers list their stock.
fn decide_type(
    hits: &[(MessageType, Strength, usize, usize)],
    drafts: &[Draft],
    stock_line: bool,
    short: bool,
    asks: bool,
) -> (MessageType, Option<(usize, usize)>, bool) {
    let first = |pred: &dyn Fn(MessageType, Strength) -> bool| {
        hits.iter().find(|(k, s, _, _)| pred(*k, *s)).copied()
    };
    // A tag says it all: WTS, WTB, WTT (WTS/WTT is a sale).
    if let Some((k, _, s, e)) = first(&|k, s| matches!(s, Strength::Tag) && k != MessageType::Trade)
    {
        return (k, Some((s, e)), true);
    }
    if let Some((k, _, s, e)) = first(&|_, s| matches!(s, Strength::Tag)) {
        return (k, Some((s, e)), true);
    }
    let has_watch = drafts.iter().any(Draft::is_specific);
    // The first verb of selling, seeking, swapping or asking ("vends ou échange" is a sale, "échange ou
    // vends" a trade); seeking in order to swap is a trade.
    if let Some((k, _, s, e)) = first(&|_, s| matches!(s, Strength::Verb)) {
        // "Vendu, merci à tous", "oui elle est toujours disponible": about no watch, it is talk.
        if drafts.is_empty() && k != MessageType::Question {
            return (MessageType::General, None, true);
        }
        // "Dispo la Daytona ?": asked, not said.
        if k == MessageType::Sale && asks {
            return (MessageType::Question, Some((s, e)), true);
        }
        if k == MessageType::Wanted {
            if let Some((_, _, s, e)) =
                first(&|k, s| matches!(s, Strength::Verb) && k == MessageType::Trade)
            {
                return (MessageType::Trade, Some((s, e)), true);
            }
        }
        // A question about no watch in particular is talk.
        if k == MessageType::Question && !has_watch && !short {
            return (MessageType::General, None, true);
        }
        return (k, Some((s, e)), true);
    }
    if let Some((k, _, s, e)) = first(&|k, _| k == MessageType::Question) {
        if has_watch || short {
            return (k, Some((s, e)), true);
        }
    }
    if let Some((k, _, s, e)) = first(&|k, _| k == MessageType::Sale) {
        if has_watch {
            return (k, Some((s, e)), true);
        }
    }
    // A watch with a price, its box and papers or its condition is offered.
    // A watch named precisely (a family or a reference) or with a price, its box and papers or its
    // condition, with nothing said of it, is on offer: dealers post their stock that way.
    let offered = drafts.iter().any(|d| {
        d.price.is_some()
            || d.reference.as_ref().is_some_and(|r| r.1.is_some())
            || d.has_box.is_some()
            || d.papers.is_some()
            || d.condition.is_some()
            || d.price_type.is_some()
            || d.year.is_some()
    });
    if offered || stock_line {
        return (MessageType::Sale, None, false);
    }
    (MessageType::General, None, false)
}

fn finish(
    d: Draft,
    g: &Gazetteer,
    folded: &Folded,
    language: Option<Lang>,
    kind: MessageType,
) -> Listing {
    let mut l = Listing::default();
    let mut put = |name: &str, span: (usize, usize)| {
        let (a, b) = folded.span(span.0, span.1);
        l.spans.insert(name.to_string(), Span { start: a, end: b });
    };
    let brand = d
        .brand
        .map(|b| (b.0, b.1))
        .or(d.family.map(|f| (f.0, f.2)))
        .or(d.reference.as_ref().and_then(|r| r.1.map(|b| (b, r.3))));
    if let Some((b, span)) = brand {
        put("brand", span);
        l.brand = g.brands.get(b as usize).cloned();
    }
    let from_reference = d.reference.as_ref().and_then(|r| match (r.1, r.2) {
        (Some(rb), Some(f)) if brand.is_none_or(|(b, _)| b == rb) => Some((f, r.3)),
        _ => None,
    });
    let family = match d.family {
        Some(_) if d.family_weak && from_reference.is_some() => from_reference,
        Some((fb, f, span)) if brand.is_none_or(|(b, _)| b == fb) => Some((f, span)),
        _ => from_reference,
    };
    if let Some((f, span)) = family {
        put("model", span);
        l.model = g.families.get(f as usize).map(|x| x.1.clone());
    }
    if let Some((r, _, _, span)) = &d.reference {
        put("reference", *span);
        l.reference = Some(r.clone());
    }
    if let Some((value, currency, _, span)) = d.price {
        put("price", span);
        l.price = Some(value);
        match currency {
            Some(c) => {
                l.currency = Some(c.to_string());
                put("currency", span);
            }
            None if language == Some(Lang::Fr) => {
                l.currency = Some("EUR".to_string());
                l.currency_implied = true;
            }
            None if language == Some(Lang::De) => {
                l.currency = Some("EUR".to_string());
                l.currency_implied = true;
            }
            None => {}
        }
        // A budget in a request is asked of no one: its price type is only what is said of it.
        let said = d.price_type.or(if kind == MessageType::Wanted {
            None
        } else {
            Some((PriceType::Asking, span))
        });
        if let Some((t, span)) = said {
            put("price_type", span);
            l.price_type = Some(t);
        }
    } else if let Some((t, span)) = d.price_type {
        if t != PriceType::Asking {
            put("price_type", span);
            l.price_type = Some(t);
        }
    }
    if let Some((c, span)) = d.condition {
        put("condition", span);
        l.condition = Some(c);
    }
    if let Some((b, span)) = d.has_box {
        put("box", span);
        l.has_box = Some(b);
    }
    if let Some((p, span)) = d.papers {
        put("papers", span);
        l.papers = Some(p);
    }
    if let Some((y, span)) = d.year {
        put("year", span);
        l.year = Some(y);
    }
    if let Some((s, span)) = d.size {
        put("size_mm", span);
        l.size_mm = Some(s);
    }
    if let Some((m, span)) = d.movement {
        put("movement", span);
        l.movement = Some(m.to_string());
    }
    l
}

fn confidence(kind: MessageType, by_keyword: bool, listings: &[Listing], text: &str) -> f32 {
    if listings.is_empty() {
        return if kind == MessageType::General {
            if text.trim().is_empty() {
                1.0
            } else {
                0.8
            }
        } else if by_keyword {
            0.6
        } else {
            0.4
        };
    }
    let mut c: f32 = if by_keyword { 0.45 } else { 0.25 };
    let l = &listings[0];
    if l.brand.is_some() {
        c += 0.2;
    }
    if l.model.is_some() {
        c += 0.1;
    }
    if l.reference.is_some() {
        c += 0.1;
    }
    if l.price.is_some() {
        c += 0.1;
    }
    if l.currency.is_some() && !l.currency_implied {
        c += 0.05;
    }
    c.min(1.0)
}

/// Upper-case, spaces removed: the maker's way of writing some references ("PAM 1312" is "PAM01312",
/// "IW5007-10" is "IW500710").
fn normalise_reference(r: &str) -> String {
    let r = r.trim_end_matches(['.', '-', '/']);
    if let Some(rest) = r.strip_prefix("PAM") {
        let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
        let tail: String = rest.chars().skip_while(|c| c.is_ascii_digit()).collect();
        if !digits.is_empty() && digits.len() <= 5 {
            return format!("PAM{:0>5}{tail}", digits);
        }
    }
    if let Some(rest) = r.strip_prefix("IW") {
        let digits: String = rest.chars().filter(|c| c.is_ascii_digit()).collect();
        if digits.len() == 6 && rest.chars().all(|c| c.is_ascii_digit() || c == '-') {
            return format!("IW{digits}");
        }
    }
    if let Some(rest) = r.strip_prefix("RM") {
        if rest.chars().next().is_some_and(|c| c.is_ascii_digit()) {
            let (num, tail) = rest.split_at(rest.find('-').unwrap_or(rest.len()));
            return format!("RM{:0>3}{tail}", num);
        }
    }
    r.to_string()
}
