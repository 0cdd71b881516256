//! A language model's reading of a message's watches, for the messages the rules read with low
//! confidence: what the model is asked (an instruction and the answer's JSON schema), and the check that
//! turns its answer into an [`Extraction`] or refuses it. Pure: the worker that calls the model and
//! records the result lives in the server.
//!
//! The model is trusted for meaning, not for form: brands and families are put in the gazetteer's
//! spelling when it knows them, every number is bounded, every closed set checked, and a value that
//! fails a check is dropped rather than stored.

use super::gazetteer::Gazetteer;
use super::text::{fold_str, Folded};
use super::{Condition, Extraction, Listing, MessageType, PriceType, Span};
use crate::llm::{ChatRequest, Output, Role, Turn};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Below this confidence a rules reading is also given to the model (when one is configured).
pub const DEFAULT_ASK_BELOW: f32 = 0.5;

/// At most this many watches are kept from one answer: a dealer's list is long, a model's invention
/// longer.
const MAX_LISTINGS: usize = 20;
/// The longest text value kept (brand, family, reference, movement).
const MAX_VALUE_CHARS: usize = 80;
/// The longest message sent to the model, in characters: a listing is read from its first screens.
const MAX_TEXT_CHARS: usize = 4000;
/// Thinking counts against the cap on both providers: room for a list of watches and some thought.
const MAX_OUTPUT_TOKENS: u32 = 2048;

const INSTRUCTION: &str = "You read WhatsApp messages between watch dealers and customers. For the \
message given, say what it does: offers watches for sale (sale), looks for one (wanted), asks about one \
(question), proposes a swap (trade), or none of these (general). List every watch it names, in the order \
it names them, with only what the message says: brand, model family, reference as written, price (a \
number in the currency's major unit), ISO 4217 currency, price type (asking, sold, negotiable), condition \
(new, unworn, excellent, very_good, good, used, vintage), box and papers (true or false, null when not \
said), year, case size in millimetres, movement. Use null for anything the message does not say; never \
guess a price or a reference. Give the message's language as an ISO 639-1 code and your confidence from \
0 to 1. Answer with JSON only.";

/// Whether a rules reading is unsure enough to be given to the model.
pub fn worth_asking(rules: &Extraction, below: f32) -> bool {
    rules.confidence < below
}

/// The request that asks a model to read `text`.
pub fn request(text: &str) -> ChatRequest {
    let text: String = text.chars().take(MAX_TEXT_CHARS).collect();
    ChatRequest {
        system: INSTRUCTION.to_owned(),
        turns: vec![Turn::text(Role::User, text)],
        output: Output::Json {
            name: "watch_reading".into(),
            schema: answer_schema(),
        },
        max_output_tokens: MAX_OUTPUT_TOKENS,
    }
}

/// The answer's JSON Schema.
pub fn answer_schema() -> Value {
    let nullable =
        |kind: &str, description: &str| json!({"type": [kind, "null"], "description": description});
    let one_of = |values: &[&str], description: &str| json!({"type": ["string", "null"], "enum": values, "description": description});
    let prices: Vec<&str> = PriceType::ALL.iter().map(|p| p.as_str()).collect();
    let conditions: Vec<&str> = Condition::ALL.iter().map(|c| c.as_str()).collect();
    let kinds: Vec<&str> = MessageType::ALL.iter().map(|k| k.as_str()).collect();
    json!({
        "type": "object",
        "properties": {
            "type": {"type": "string", "enum": kinds, "description": "What the message does."},
            "language": nullable("string", "ISO 639-1 code of the message's language."),
            "confidence": {"type": "number", "description": "From 0 to 1: how sure you are of the whole reading."},
            "listings": {
                "type": "array",
                "description": "Every watch the message names, in order.",
                "items": {
                    "type": "object",
                    "properties": {
                        "brand": nullable("string", "The maker, e.g. Rolex."),
                        "model": nullable("string", "The model family, e.g. Submariner."),
                        "reference": nullable("string", "The reference as written, e.g. 116610LN."),
                        "price": nullable("number", "In the currency's major unit."),
                        "currency": nullable("string", "ISO 4217 code."),
                        "price_type": one_of(&prices, "What the price is."),
                        "condition": one_of(&conditions, "The condition the message states."),
                        "box": nullable("boolean", "Whether the box comes with it."),
                        "papers": nullable("boolean", "Whether the papers come with it."),
                        "year": nullable("integer", "The year stated."),
                        "size_mm": nullable("number", "The case diameter in millimetres."),
                        "movement": nullable("string", "automatic, manual, quartz, ...")
                    },
                    "required": ["brand", "model", "reference", "price", "currency", "price_type",
                                 "condition", "box", "papers", "year", "size_mm", "movement"]
                }
            }
        },
        "required": ["type", "language", "confidence", "listings"]
    })
}

/// The model's answer as a reading of `text`, or why it cannot be one (not an object, no known type, a
/// confidence that is not a number from 0 to 1).
pub fn reading(answer: &Value, text: &str) -> Result<Extraction, String> {
    let Value::Object(answer) = answer else {
        return Err("the answer is not a JSON object".into());
    };
    let kind = answer
        .get("type")
        .and_then(Value::as_str)
        .and_then(|t| MessageType::parse(t.trim()))
        .ok_or("the answer has no known type (sale, wanted, question, trade, general)")?;
    let confidence = answer
        .get("confidence")
        .and_then(Value::as_f64)
        .filter(|c| (0.0..=1.0).contains(c))
        .ok_or("the answer's confidence is not a number from 0 to 1")? as f32;
    let language = answer
        .get("language")
        .and_then(Value::as_str)
        .map(|l| l.trim().to_ascii_lowercase())
        .filter(|l| l.len() == 2 && l.chars().all(|c| c.is_ascii_lowercase()));
    let folded = Folded::new(text);
    let listings = answer
        .get("listings")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|item| listing(item, &folded))
                .take(MAX_LISTINGS)
                .collect()
        })
        .unwrap_or_default();
    Ok(Extraction {
        kind,
        language,
        confidence,
        listings,
        spans: BTreeMap::new(),
    })
}

/// One watch of the answer, checked; `None` when it names no brand, family or reference.
fn listing(item: &Value, text: &Folded) -> Option<Listing> {
    let item = item.as_object()?;
    let string = |field: &str| {
        item.get(field)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|v| !v.is_empty() && v.chars().count() <= MAX_VALUE_CHARS)
            .map(str::to_owned)
    };
    let number = |field: &str| {
        item.get(field)
            .and_then(Value::as_f64)
            .filter(|n| n.is_finite())
    };
    let flag = |field: &str| item.get(field).and_then(Value::as_bool);
    let (brand, model) = canonical(string("brand"), string("model"));
    let reference = string("reference");
    if brand.is_none() && model.is_none() && reference.is_none() {
        return None;
    }
    let price = number("price").filter(|p| *p > 0.0 && *p < 1e9);
    let currency = string("currency")
        .map(|c| c.to_ascii_uppercase())
        .filter(|c| c.len() == 3 && c.chars().all(|c| c.is_ascii_uppercase()))
        .filter(|_| price.is_some());
    let mut spans = BTreeMap::new();
    for (field, value) in [
        ("brand", &brand),
        ("model", &model),
        ("reference", &reference),
    ] {
        if let Some(span) = value.as_deref().and_then(|v| find(text, v)) {
            spans.insert(field.to_owned(), span);
        }
    }
    Some(Listing {
        brand,
        model,
        reference,
        price,
        currency,
        currency_implied: false,
        price_type: string("price_type")
            .and_then(|p| PriceType::parse(&p))
            .filter(|_| price.is_some()),
        condition: string("condition").and_then(|c| Condition::parse(&c)),
        has_box: flag("box"),
        papers: flag("papers"),
        year: number("year")
            .filter(|y| y.fract() == 0.0 && (1800.0..=2100.0).contains(y))
            .map(|y| y as u16),
        size_mm: number("size_mm")
            .filter(|s| (15.0..=70.0).contains(s))
            .map(|s| s as f32),
        movement: string("movement")
            .map(|m| m.to_lowercase().replace([' ', '-'], "_"))
            .filter(|m| m.chars().count() <= 30),
        spans,
    })
}

/// The brand and family in the gazetteer's spelling when it knows them ("rolex", "sub" → "Rolex",
/// "Submariner"); otherwise as the model wrote them.
fn canonical(brand: Option<String>, model: Option<String>) -> (Option<String>, Option<String>) {
    let g = Gazetteer::get();
    let brand_id = brand.as_deref().and_then(|b| {
        let folded = fold_str(b);
        g.aliases
            .get(&folded)
            .and_then(|senses| senses.first().map(|s| s.brand))
            .or_else(|| {
                g.brands
                    .iter()
                    .position(|name| fold_str(name) == folded)
                    .and_then(|i| u16::try_from(i).ok())
            })
    });
    let family = model.as_deref().and_then(|m| {
        g.aliases.get(&fold_str(m)).and_then(|senses| {
            senses
                .iter()
                .find(|s| s.family.is_some() && brand_id.is_none_or(|b| b == s.brand))
        })
    });
    let brand = match (brand_id, family) {
        (Some(b), _) => g.brands.get(usize::from(b)).cloned(),
        // A family the gazetteer knows names its brand.
        (None, Some(sense)) if brand.is_none() => g.brands.get(usize::from(sense.brand)).cloned(),
        _ => brand,
    };
    let model = match family.and_then(|s| s.family) {
        Some(f) => g.families.get(usize::from(f)).map(|(_, name)| name.clone()),
        None => model,
    };
    (brand, model)
}

/// Where `value` is written in the text, folded alike.
fn find(text: &Folded, value: &str) -> Option<Span> {
    let needle = fold_str(value);
    if needle.is_empty() {
        return None;
    }
    let start = text.text.find(&needle)?;
    let (start, end) = text.span(start, start + needle.len());
    Some(Span { start, end })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(listings: Value) -> Value {
        json!({"type": "sale", "language": "fr", "confidence": 0.9, "listings": listings})
    }

    #[test]
    fn a_full_answer_becomes_a_reading_in_the_gazetteers_spelling_with_spans() {
        let text = "Dispo ma rolex sub 116610LN full set 2019, 9800 eur";
        let x = reading(
            &answer(json!([{
                "brand": "rolex", "model": "sub", "reference": "116610LN", "price": 9800,
                "currency": "eur", "price_type": "asking", "condition": "very_good", "box": true,
                "papers": true, "year": 2019, "size_mm": 40, "movement": "Automatic"
            }])),
            text,
        )
        .unwrap();
        assert_eq!(x.kind, MessageType::Sale);
        assert_eq!(x.language.as_deref(), Some("fr"));
        let l = &x.listings[0];
        assert_eq!(l.brand.as_deref(), Some("Rolex"));
        assert_eq!(l.model.as_deref(), Some("Submariner"));
        assert_eq!(l.reference.as_deref(), Some("116610LN"));
        assert_eq!(
            (l.price, l.currency.as_deref()),
            (Some(9800.0), Some("EUR"))
        );
        assert_eq!(l.condition, Some(Condition::VeryGood));
        assert_eq!(
            (l.has_box, l.papers, l.year),
            (Some(true), Some(true), Some(2019))
        );
        assert_eq!(l.movement.as_deref(), Some("automatic"));
        let chars: Vec<char> = text.chars().collect();
        let at = |field: &str| {
            let s = l.spans[field];
            chars[s.start as usize..s.end as usize]
                .iter()
                .collect::<String>()
        };
        assert_eq!(at("brand"), "rolex");
        assert_eq!(at("reference"), "116610LN");
        assert!(x.is_finite());
    }

    #[test]
    fn values_outside_their_bounds_are_dropped_not_stored() {
        let x = reading(
            &answer(json!([{
                "brand": "Omega", "model": null, "reference": null, "price": -5, "currency": "euros",
                "price_type": "cheap", "condition": "like new", "box": "yes", "papers": null,
                "year": 3024, "size_mm": 400, "movement": null
            }, {"brand": null, "model": null, "reference": null, "price": 100}])),
            "omega",
        )
        .unwrap();
        assert_eq!(x.listings.len(), 1, "a watch with no name is no watch");
        let l = &x.listings[0];
        assert_eq!(l.brand.as_deref(), Some("Omega"));
        assert_eq!((l.price, &l.currency, l.price_type), (None, &None, None));
        assert_eq!(
            (l.condition, l.has_box, l.year, l.size_mm),
            (None, None, None, None)
        );
    }

    #[test]
    fn answers_without_a_type_or_a_confidence_are_refused() {
        for bad in [
            json!([]),
            json!({"type": "auction", "confidence": 0.5, "listings": []}),
            json!({"type": "sale", "confidence": 1.5, "listings": []}),
            json!({"type": "sale", "listings": []}),
        ] {
            assert!(reading(&bad, "x").is_err(), "{bad}");
        }
    }

    #[test]
    fn a_family_the_gazetteer_knows_names_its_brand() {
        let x = reading(
            &answer(json!([{"brand": null, "model": "Nautilus", "reference": "5711/1A"}])),
            "nautilus 5711/1A dispo ?",
        )
        .unwrap();
        assert_eq!(x.listings[0].brand.as_deref(), Some("Patek Philippe"));
    }

    #[test]
    fn the_request_asks_for_the_schema_and_carries_the_text() {
        let r = request("wtb daytona");
        assert!(matches!(&r.output, Output::Json { name, .. } if name == "watch_reading"));
        assert_eq!(r.turns.len(), 1);
        assert!(worth_asking(&super::super::extract("wtb daytona?"), 1.01));
    }
}
