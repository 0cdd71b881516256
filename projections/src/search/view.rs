//! The search view's pure fold: one document per message that has words (a text, a caption, an
//! interactive message's body), with the facets a search filters and counts by.
//!
//! - An edit replaces the words of the message it edits; a revoked message leaves the index.
//! - A watch reading (`watch.detected`) sets the document's listing facets, the highest-ranked reading
//!   winning (the newest extractor version, then a model's over the rules'), as in the listings view.
//! - A voice note's transcript (`message.transcribed`) is its words: the note becomes a document.
//! - A private note of the team (`note.added`) is a document with direction `note`.
//! - Words are folded (lower case, no accents) for the text index, and tokens that look like references
//!   are kept exactly, so `116610LN` or `5711/1A` find their messages and nothing else.

use crate::inbox::view::InboxEvent;
use crate::rows::{Table, ViewRow};
use actors::conversation::events::ConversationEvent;
use actors::conversation::message::MessageContent;
use actors::embeddings::text_sha256 as passage_sha256;
use actors::listings::ReadingMethod;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const DOCUMENTS: Table = Table {
    name: "search_documents",
    key: &["conversation_id", "message_id"],
};

/// One searchable message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchDocument {
    pub conversation_id: String,
    pub message_id: String,
    pub account_id: String,
    pub contact_id: String,
    pub direction: String,
    pub kind: String,
    pub body: String,
    pub folded: String,
    pub codes: Vec<String>,
    pub passage_sha256: String,
    pub written_at: DateTime<Utc>,
    pub brands: Vec<String>,
    pub models: Vec<String>,
    pub refs: Vec<String>,
    pub listing_type: Option<String>,
    pub price: Option<f64>,
    pub currency: Option<String>,
    pub extractor_version: Option<i32>,
    /// Who read the listing facets: the rules, or a model.
    pub listing_method: Option<ReadingMethod>,
    pub position: i64,
}

impl ViewRow for SearchDocument {
    const TABLE: Table = DOCUMENTS;
    /// `tsv` is computed by the database from `folded`.
    const LEFT_OUT: &'static [&'static str] = &["tsv"];
}

/// The view keyed by (conversation, message); `None` marks a document the fold removed.
pub type SearchView = BTreeMap<(String, String), Option<SearchDocument>>;

/// The message an event changes the document of, if any (for loading the rows a batch needs).
pub fn touched(e: &InboxEvent) -> Option<String> {
    if let Some(said) = actors::conversation::said(&e.event) {
        return Some(said.message_id);
    }
    match &e.event {
        ConversationEvent::WatchDetected(w) => Some(w.message_id.clone()),
        ConversationEvent::MessageTranscribed(t) => Some(t.message_id.clone()),
        ConversationEvent::NoteAdded(n) => Some(n.note_id.to_string()),
        _ => revoked(&e.event).map(str::to_owned),
    }
}

/// The message a revocation deletes.
fn revoked(event: &ConversationEvent) -> Option<&str> {
    let content = match event {
        ConversationEvent::MessageReceived(m) => &m.content,
        ConversationEvent::MessageEchoed(m) => &m.content,
        _ => return None,
    };
    match content {
        MessageContent::Revoke {
            original_message_id,
        } => Some(original_message_id),
        _ => None,
    }
}

/// Applies one event. Pure.
pub fn apply(view: &mut SearchView, e: &InboxEvent) {
    if let Some(said) = actors::conversation::said(&e.event) {
        let key = (e.conversation_id.clone(), said.message_id.clone());
        let written_at = said.at.or(e.occurred_at).unwrap_or(e.recorded_at);
        match view.get_mut(&key) {
            Some(Some(doc)) => {
                // An edit's new words; a message already known by its edit keeps the edited words.
                if said.via.is_some() {
                    set_body(doc, said.text);
                    doc.position = e.position;
                }
            }
            // Revoked: an edit arriving afterwards does not bring it back.
            Some(None) => {}
            None => {
                let doc = document(
                    e,
                    said.message_id,
                    said.direction,
                    said.kind,
                    written_at,
                    said.text,
                );
                view.insert(key, Some(doc));
            }
        }
        return;
    }
    match &e.event {
        ConversationEvent::WatchDetected(w) => {
            let key = (e.conversation_id.clone(), w.message_id.clone());
            let Some(Some(doc)) = view.get_mut(&key) else {
                return;
            };
            let (version, method) = crate::listings::rank_of(w);
            if doc
                .extractor_version
                .is_some_and(|v| (v, doc.listing_method.unwrap_or_default()) > (version, method))
            {
                return;
            }
            let x = &w.extraction;
            let distinct = |values: Vec<&String>| {
                let mut out: Vec<String> = Vec::new();
                for v in values {
                    if !out.contains(v) {
                        out.push(v.clone());
                    }
                }
                out
            };
            doc.brands = distinct(x.listings.iter().filter_map(|l| l.brand.as_ref()).collect());
            doc.models = distinct(x.listings.iter().filter_map(|l| l.model.as_ref()).collect());
            doc.refs = distinct(
                x.listings
                    .iter()
                    .filter_map(|l| l.reference.as_ref())
                    .collect(),
            );
            doc.listing_type = Some(x.kind.as_str().to_owned());
            let priced = x.listings.iter().find(|l| l.price.is_some());
            doc.price = priced.and_then(|l| l.price);
            doc.currency = priced.and_then(|l| l.currency.clone());
            doc.extractor_version = Some(version);
            doc.listing_method = Some(method);
            doc.codes = codes(&doc.body, &doc.refs);
            doc.position = e.position;
        }
        ConversationEvent::MessageTranscribed(t) => {
            let key = (e.conversation_id.clone(), t.message_id.clone());
            match view.get_mut(&key) {
                // Revoked: its words are gone too.
                Some(None) => {}
                Some(Some(doc)) => {
                    if doc.body.is_empty() {
                        set_body(doc, &t.text);
                        doc.position = e.position;
                    }
                }
                None => {
                    // Only the customer's voice notes are transcribed.
                    let written_at = t.written_at.unwrap_or(t.at);
                    let doc = document(
                        e,
                        t.message_id.clone(),
                        "inbound",
                        "audio",
                        written_at,
                        &t.text,
                    );
                    view.insert(key, Some(doc));
                }
            }
        }
        ConversationEvent::NoteAdded(n) => {
            let key = (e.conversation_id.clone(), n.note_id.to_string());
            if let std::collections::btree_map::Entry::Vacant(slot) = view.entry(key) {
                let id = n.note_id.to_string();
                slot.insert(Some(document(e, id, "note", "note", n.at, &n.text)));
            }
        }
        event => {
            if let Some(message) = revoked(event) {
                view.insert((e.conversation_id.clone(), message.to_owned()), None);
            }
        }
    }
}

/// A new document for a message's words, without listing facets until a reading sets them.
fn document(
    e: &InboxEvent,
    message_id: String,
    direction: &str,
    kind: &str,
    written_at: DateTime<Utc>,
    text: &str,
) -> SearchDocument {
    let mut doc = SearchDocument {
        conversation_id: e.conversation_id.clone(),
        message_id,
        account_id: e.account_id.clone(),
        contact_id: e.contact_id.clone(),
        direction: direction.to_owned(),
        kind: kind.to_owned(),
        body: String::new(),
        folded: String::new(),
        codes: Vec::new(),
        passage_sha256: String::new(),
        written_at,
        brands: Vec::new(),
        models: Vec::new(),
        refs: Vec::new(),
        listing_type: None,
        price: None,
        currency: None,
        extractor_version: None,
        listing_method: None,
        position: e.position,
    };
    set_body(&mut doc, text);
    doc
}

fn set_body(doc: &mut SearchDocument, text: &str) {
    doc.body = text.to_owned();
    doc.folded = actors::listings::fold(text);
    doc.codes = codes(text, &doc.refs);
    doc.passage_sha256 = passage_sha256(text);
}

/// The exact tokens of a text: every word with a digit in it and at least four characters (a reference
/// such as `116610LN`, `5711/1A`, `311.30.42.30.01.005`, or a price), upper-cased, each also without its
/// separators (`5711/1A` → `57111A`), plus the references the extractor read. Queries are cut the same
/// way, so a reference finds exactly the messages that name it.
pub fn codes(text: &str, refs: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |code: String| {
        if !code.is_empty() && !out.contains(&code) {
            out.push(code);
        }
    };
    let words = text.split(|c: char| {
        c.is_whitespace()
            || matches!(
                c,
                ',' | ';' | '!' | '?' | '(' | ')' | '[' | ']' | '"' | '\''
            )
    });
    for word in words.chain(refs.iter().map(String::as_str)) {
        let word = word.trim_matches(|c: char| !c.is_alphanumeric());
        if word.chars().count() < 4 || word.chars().count() > 40 {
            continue;
        }
        if !word.chars().any(|c| c.is_ascii_digit()) {
            continue;
        }
        let upper = word.to_uppercase();
        let compact: String = upper.chars().filter(|c| c.is_alphanumeric()).collect();
        push(upper);
        if compact.chars().count() >= 4 {
            push(compact);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use actors::conversation::events::WatchDetected;
    use actors::conversation::message::{EchoedMessage, InboundMessage};
    use actors::listings::{Extraction, Listing, MessageType};

    fn event(position: i64, event: ConversationEvent) -> InboxEvent {
        InboxEvent {
            conversation_id: "1122-4477".to_owned(),
            account_id: "1122".to_owned(),
            contact_id: "4477".to_owned(),
            position,
            recorded_at: DateTime::from_timestamp(2_000, 0).unwrap(),
            occurred_at: DateTime::from_timestamp(1_000, 0),
            event,
        }
    }

    fn received(wamid: &str, content: MessageContent) -> ConversationEvent {
        ConversationEvent::MessageReceived(InboundMessage {
            wamid: wamid.to_owned(),
            kind: "text".to_owned(),
            content,
            timestamp: DateTime::from_timestamp(1_500, 0),
            from: Some("4477".to_owned()),
            from_user_id: None,
            group_id: None,
            context: Default::default(),
            errors: Vec::new(),
            raw: Default::default(),
        })
    }

    fn text(body: &str) -> MessageContent {
        MessageContent::Text {
            body: body.to_owned(),
        }
    }

    fn key(message: &str) -> (String, String) {
        ("1122-4477".to_owned(), message.to_owned())
    }

    #[test]
    fn a_message_with_words_is_a_document_folded_with_its_exact_tokens() {
        let mut view = SearchView::new();
        apply(
            &mut view,
            &event(
                5,
                received(
                    "wamid.1",
                    text("Vends Rolex Submariner 116610LN, état neuf. 5711/1A aussi"),
                ),
            ),
        );
        let doc = view[&key("wamid.1")].as_ref().unwrap();
        assert_eq!(
            doc.folded,
            "vends rolex submariner 116610ln, etat neuf. 5711/1a aussi"
        );
        assert_eq!(doc.codes, ["116610LN", "5711/1A", "57111A"]);
        assert_eq!(
            (doc.direction.as_str(), doc.kind.as_str()),
            ("inbound", "text")
        );
        assert_eq!(doc.written_at.timestamp(), 1_500);
        assert_eq!(doc.passage_sha256, passage_sha256(&doc.body));
        assert_eq!(doc.passage_sha256.len(), 64);
    }

    #[test]
    fn messages_without_words_make_no_document() {
        let mut view = SearchView::new();
        apply(
            &mut view,
            &event(
                5,
                received(
                    "wamid.r",
                    MessageContent::Reaction {
                        message_id: "wamid.1".to_owned(),
                        emoji: Some("👍".to_owned()),
                    },
                ),
            ),
        );
        assert!(view.is_empty());
    }

    #[test]
    fn an_edit_replaces_the_words_and_a_revocation_removes_the_document() {
        let mut view = SearchView::new();
        apply(
            &mut view,
            &event(5, received("wamid.1", text("Daytona 9000€"))),
        );
        apply(
            &mut view,
            &event(
                6,
                received(
                    "wamid.2",
                    MessageContent::Edit {
                        original_message_id: "wamid.1".to_owned(),
                        content: Box::new(text("Daytona 9500€")),
                    },
                ),
            ),
        );
        let doc = view[&key("wamid.1")].as_ref().unwrap();
        assert_eq!((doc.body.as_str(), doc.position), ("Daytona 9500€", 6));
        assert_eq!(doc.passage_sha256, passage_sha256("Daytona 9500€"));
        assert!(!view.contains_key(&key("wamid.2")));

        apply(
            &mut view,
            &event(
                7,
                received(
                    "wamid.3",
                    MessageContent::Revoke {
                        original_message_id: "wamid.1".to_owned(),
                    },
                ),
            ),
        );
        assert_eq!(view[&key("wamid.1")], None);
    }

    #[test]
    fn an_echo_is_an_outbound_document() {
        let mut view = SearchView::new();
        apply(
            &mut view,
            &event(
                5,
                ConversationEvent::MessageEchoed(EchoedMessage {
                    wamid: "wamid.e".to_owned(),
                    kind: "text".to_owned(),
                    content: text("Bonjour, toujours dispo"),
                    to: Some("4477".to_owned()),
                    to_user_id: None,
                    timestamp: None,
                    raw: Default::default(),
                }),
            ),
        );
        assert_eq!(
            view[&key("wamid.e")].as_ref().unwrap().direction,
            "outbound"
        );
    }

    fn reading(version: u32, brand: &str, reference: &str) -> ConversationEvent {
        ConversationEvent::WatchDetected(WatchDetected {
            message_id: "wamid.1".to_owned(),
            via: None,
            direction: "inbound".to_owned(),
            at: None,
            extractor_version: version,
            extraction: Extraction {
                kind: MessageType::Sale,
                language: Some("fr".to_owned()),
                confidence: 0.9,
                listings: vec![Listing {
                    brand: Some(brand.to_owned()),
                    model: Some("Submariner".to_owned()),
                    reference: Some(reference.to_owned()),
                    price: Some(8200.0),
                    currency: Some("EUR".to_owned()),
                    ..Listing::default()
                }],
                spans: Default::default(),
            },
            method: Default::default(),
            model: None,
        })
    }

    #[test]
    fn a_watch_reading_sets_the_listing_facets_and_an_older_one_never_replaces_it() {
        let mut view = SearchView::new();
        apply(
            &mut view,
            &event(5, received("wamid.1", text("Sub 116610 LN 8200€"))),
        );
        apply(&mut view, &event(6, reading(2, "Rolex", "116610LN")));
        apply(&mut view, &event(7, reading(1, "Tudor", "79230")));
        let doc = view[&key("wamid.1")].as_ref().unwrap();
        assert_eq!(doc.brands, ["Rolex"]);
        assert_eq!(doc.models, ["Submariner"]);
        assert_eq!(doc.refs, ["116610LN"]);
        assert_eq!(doc.listing_type.as_deref(), Some("sale"));
        assert_eq!(
            (doc.price, doc.currency.as_deref()),
            (Some(8200.0), Some("EUR"))
        );
        assert!(
            doc.codes.contains(&"116610LN".to_owned()),
            "a reference written with a space is found by its maker's form: {:?}",
            doc.codes
        );
    }

    fn transcribed(wamid: &str, words: &str) -> ConversationEvent {
        ConversationEvent::MessageTranscribed(actors::bot::events::MessageTranscribed {
            message_id: wamid.to_owned(),
            text: words.to_owned(),
            model: "gemini:test".to_owned(),
            at: DateTime::from_timestamp(1_600, 0).unwrap(),
            written_at: DateTime::from_timestamp(1_500, 0),
        })
    }

    #[test]
    fn a_voice_notes_transcript_makes_it_a_document_dated_as_the_note() {
        let mut view = SearchView::new();
        apply(
            &mut view,
            &event(
                5,
                transcribed("wamid.v", "Vous avez une Daytona 116500LN ?"),
            ),
        );
        let doc = view[&key("wamid.v")].as_ref().unwrap();
        assert_eq!(
            (doc.kind.as_str(), doc.direction.as_str()),
            ("audio", "inbound")
        );
        assert_eq!(doc.folded, "vous avez une daytona 116500ln ?");
        assert_eq!(doc.codes, ["116500LN"]);
        assert_eq!(doc.written_at.timestamp(), 1_500);
        assert_eq!(
            touched(&event(5, transcribed("wamid.v", "x"))).as_deref(),
            Some("wamid.v")
        );
    }

    #[test]
    fn a_revoked_voice_note_is_not_brought_back_by_its_transcript() {
        let mut view = SearchView::new();
        let revoke = received(
            "wamid.x",
            MessageContent::Revoke {
                original_message_id: "wamid.v".to_owned(),
            },
        );
        apply(&mut view, &event(5, revoke));
        apply(&mut view, &event(6, transcribed("wamid.v", "hello")));
        assert_eq!(view[&key("wamid.v")], None);
    }

    #[test]
    fn a_models_reading_outranks_the_rules_of_its_version() {
        let mut view = SearchView::new();
        apply(
            &mut view,
            &event(5, received("wamid.1", text("la sub LV dispo ?"))),
        );
        let mut model = reading(2, "Rolex", "16610LV");
        if let ConversationEvent::WatchDetected(w) = &mut model {
            w.method = ReadingMethod::Llm;
        }
        apply(&mut view, &event(6, model));
        apply(&mut view, &event(7, reading(2, "Tudor", "79230")));
        let doc = view[&key("wamid.1")].as_ref().unwrap();
        assert_eq!(
            (doc.refs.as_slice(), doc.listing_method),
            (&["16610LV".to_owned()][..], Some(ReadingMethod::Llm))
        );
        apply(&mut view, &event(8, reading(3, "Tudor", "79230")));
        let doc = view[&key("wamid.1")].as_ref().unwrap();
        assert_eq!(doc.refs, ["79230"]);
    }
}
