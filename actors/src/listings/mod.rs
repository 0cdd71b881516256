//! Watch listings read from a message's text: which watches a dealer offers, seeks, asks about or trades,
//! with brand, family, reference, price and condition, and where in the text each was found.
//!
//! [`extract`] is pure (no I/O, no clock) and total: any text gives a result, never a panic. The
//! conversation actor records its result as `watch.detected` beside the message, with
//! [`EXTRACTOR_VERSION`], so a newer extractor can be run over old messages without editing their events.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

mod extract;
mod gazetteer;
pub mod model;
mod text;

pub use extract::extract;
pub use gazetteer::size as gazetteer_size;

/// Lower-cases and strips accents the way the extractor reads text (`é` → `e`, `œ` → `oe`, `’` → `'`,
/// invisible marks dropped), so the search index and its queries fold alike.
pub fn fold(text: &str) -> String {
    text::fold_str(text)
}

/// Bumped whenever the extractor's results may change, so `inbox listings redetect` knows what is stale.
pub const EXTRACTOR_VERSION: u32 = 3;

/// What one message says about watches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Extraction {
    /// What the message does: offers (`sale`), seeks (`wanted`), asks (`question`), swaps (`trade`), or
    /// none of these (`general`).
    #[serde(rename = "type")]
    pub kind: MessageType,
    /// ISO 639-1 (`fr`, `en`, ...), when the text says enough to tell.
    pub language: Option<String>,
    /// 0 to 1: how sure the extractor is of the type and the listings together.
    pub confidence: f32,
    /// The watches, in the order the text names them.
    pub listings: Vec<Listing>,
    /// Where the words that decided the type are (`"type"`), as for a listing's fields.
    pub spans: BTreeMap<String, Span>,
}

impl Extraction {
    /// Whether the message is worth a `watch.detected` event: a listing, or a type other than general.
    pub fn is_worth_recording(&self) -> bool {
        !self.listings.is_empty() || self.kind != MessageType::General
    }

    /// Whether every number is finite, as JSON requires.
    pub fn is_finite(&self) -> bool {
        self.confidence.is_finite()
            && self
                .listings
                .iter()
                .all(|l| l.price.is_none_or(f64::is_finite) && l.size_mm.is_none_or(f32::is_finite))
    }
}

/// One watch in a message. Every field is optional: a dealer writes what they write.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Listing {
    /// Canonical name: "Rolex", "A. Lange & Söhne", "Jaeger-LeCoultre".
    pub brand: Option<String>,
    /// The family as collectors name it: "Submariner", "GMT-Master II", "Royal Oak", "Lange 1".
    pub model: Option<String>,
    /// In the maker's form: "116610LN", "5711/1A", "311.30.42.30.01.005".
    pub reference: Option<String>,
    /// In the currency's major unit (8200.0 for "8 200 €").
    pub price: Option<f64>,
    /// ISO 4217.
    pub currency: Option<String>,
    /// The currency is not written but inferred (a bare number in a French message taken as euros).
    pub currency_implied: bool,
    /// Asking (the default beside a price), sold, or negotiable.
    pub price_type: Option<PriceType>,
    /// As the text says it ("TBE" is very good, "stickers" unworn).
    pub condition: Option<Condition>,
    /// `None`: not said.
    #[serde(rename = "box")]
    pub has_box: Option<bool>,
    /// Papers (card, certificate): `None` when not said.
    pub papers: Option<bool>,
    /// The production or purchase year as stated.
    pub year: Option<u16>,
    /// The case's diameter in millimetres ("39,5mm", "Pelagos 39").
    pub size_mm: Option<f32>,
    /// `automatic`, `manual`, `quartz`, `solar`, `spring_drive`, ...
    pub movement: Option<String>,
    /// Where each field's value was read (`"brand"`, `"price"`, ...).
    pub spans: BTreeMap<String, Span>,
}

/// A stretch of the message's text: `start..end` in characters (Unicode scalar values), `end` excluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    /// The first character.
    pub start: u32,
    /// After the last character.
    pub end: u32,
}

crate::text_enum! {
    /// Who read a message's watches. Ordered: a model's reading outranks the rules' of the same version.
    #[derive(Default)]
    pub enum ReadingMethod {
        /// The extractor's rules ([`extract`]), on every message.
        #[default]
        Rules = "rules",
        /// A language model, asked about a message the rules read with low confidence ([`model`]).
        Llm = "llm",
    }
}

impl ReadingMethod {
    /// For `skip_serializing_if`: a rules reading's event stays as it was before models read listings.
    pub fn is_rules(&self) -> bool {
        *self == ReadingMethod::Rules
    }
}

crate::text_enum! {
    /// What a message does with watches.
    pub enum MessageType {
        /// Offers ("vends", "dispo", "WTS", "FS").
        Sale = "sale",
        /// Seeks ("cherche", "WTB", "ISO", "quelqu'un a ...").
        Wanted = "wanted",
        /// Asks about one ("dispo ?", "prix ?").
        Question = "question",
        /// Swaps ("échange", "WTT").
        Trade = "trade",
        /// Anything else: greetings, talk.
        General = "general",
    }
}

crate::text_enum! {
    /// What the price is.
    pub enum PriceType {
        /// Asked, as written.
        Asking = "asking",
        /// Sold at ("vendue", "sold").
        Sold = "sold",
        /// Open to offers ("à débattre", "négo", "ono", "obo").
        Negotiable = "negotiable",
    }
}

crate::text_enum! {
    /// The watch's condition as the dealer states it.
    pub enum Condition {
        /// "Neuve", "new", "BNIB", "NOS".
        New = "new",
        /// Never worn: "jamais portée", "stickers".
        Unworn = "unworn",
        /// "Mint", "comme neuve", "excellent état", "LNIB".
        Excellent = "excellent",
        /// "Très bon état", "TBE", "great condition".
        VeryGood = "very_good",
        /// "Bon état", "good condition".
        Good = "good",
        /// "Occasion", "pre-owned", "traces d'usure".
        Used = "used",
        /// Vintage.
        Vintage = "vintage",
    }
}
