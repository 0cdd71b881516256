//! The listings projection: every watch read in a message (`watch.detected`), as the latest extractor
//! version read it, for the listings API, its statistics and its matches.

pub mod counters;
pub mod queries;

use crate::inbox::view::InboxEvent;
use crate::projection::Projection;
use crate::rows::{self, Table, ViewRow};
use crate::typed::TypedEvent;
use actors::conversation::events::{ConversationEvent, WatchDetected};
use actors::listings::ReadingMethod;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::PgConnection;
use std::collections::BTreeMap;

pub const LISTINGS: Table = Table {
    name: "listings",
    key: &["conversation_id", "message_id", "idx"],
};

/// One watch of one message (or, for a message that offers, seeks, asks or trades without naming a
/// watch, the message itself with no watch fields).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListingRow {
    pub conversation_id: String,
    pub message_id: String,
    /// The watch's place in the message, from 0.
    pub idx: i32,
    pub account_id: String,
    pub contact_id: String,
    pub direction: String,
    /// The message's type: `sale`, `wanted`, `question`, `trade` or `general`.
    pub kind: String,
    pub language: Option<String>,
    pub confidence: f32,
    pub brand: Option<String>,
    pub model: Option<String>,
    pub reference: Option<String>,
    pub price: Option<f64>,
    pub currency: Option<String>,
    pub currency_implied: bool,
    pub price_type: Option<String>,
    pub condition: Option<String>,
    pub has_box: Option<bool>,
    pub papers: Option<bool>,
    pub year: Option<i32>,
    pub size_mm: Option<f32>,
    pub movement: Option<String>,
    pub spans: Value,
    pub extractor_version: i32,
    /// Who read it: the extractor's rules, or a model (`read_by`) because the rules were unsure.
    pub method: ReadingMethod,
    pub read_by: Option<String>,
    pub written_at: DateTime<Utc>,
    pub position: i64,
}

impl ViewRow for ListingRow {
    const TABLE: Table = LISTINGS;
}

/// What the view holds of one message: the reading's rank (extractor version, then method), and its
/// rows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Reading {
    pub rank: (i32, ReadingMethod),
    pub rows: Vec<ListingRow>,
}

/// The view keyed by (conversation, message).
pub type ListingsView = BTreeMap<(String, String), Reading>;

/// The rows one reading of a message makes.
pub fn rows_of(e: &InboxEvent, w: &WatchDetected) -> Vec<ListingRow> {
    let x = &w.extraction;
    let version = i32::try_from(w.extractor_version).unwrap_or(i32::MAX);
    let written_at = w.at.or(e.occurred_at).unwrap_or(e.recorded_at);
    let mut message_spans = serde_json::Map::new();
    for (field, span) in &x.spans {
        message_spans.insert(field.clone(), serde_json::json!(span));
    }
    let base = |idx: i32, spans: serde_json::Map<String, Value>| ListingRow {
        conversation_id: e.conversation_id.clone(),
        message_id: w.message_id.clone(),
        idx,
        account_id: e.account_id.clone(),
        contact_id: e.contact_id.clone(),
        direction: w.direction.clone(),
        kind: x.kind.as_str().to_owned(),
        language: x.language.clone(),
        confidence: x.confidence,
        brand: None,
        model: None,
        reference: None,
        price: None,
        currency: None,
        currency_implied: false,
        price_type: None,
        condition: None,
        has_box: None,
        papers: None,
        year: None,
        size_mm: None,
        movement: None,
        spans: Value::Object(spans),
        extractor_version: version,
        method: w.method,
        read_by: w.model.clone(),
        written_at,
        position: e.position,
    };
    if x.listings.is_empty() {
        return vec![base(0, message_spans)];
    }
    x.listings
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let mut spans = message_spans.clone();
            for (field, span) in &l.spans {
                spans.insert(field.clone(), serde_json::json!(span));
            }
            ListingRow {
                brand: l.brand.clone(),
                model: l.model.clone(),
                reference: l.reference.clone(),
                price: l.price,
                currency: l.currency.clone(),
                currency_implied: l.currency_implied,
                price_type: l.price_type.map(|p| p.as_str().to_owned()),
                condition: l.condition.map(|c| c.as_str().to_owned()),
                has_box: l.has_box,
                papers: l.papers,
                year: l.year.map(i32::from),
                size_mm: l.size_mm,
                movement: l.movement.clone(),
                ..base(i32::try_from(i).unwrap_or(i32::MAX), spans)
            }
        })
        .collect()
}

/// Applies one event. Pure. A message's reading is replaced by one of the same or a higher rank (a newer
/// extractor version; at the same version, a model's reading over the rules'), never by a lower one (a
/// redetection by an older node, or an event replayed late).
pub fn apply(view: &mut ListingsView, e: &InboxEvent) {
    let ConversationEvent::WatchDetected(w) = &e.event else {
        return;
    };
    let rank = rank_of(w);
    let key = (e.conversation_id.clone(), w.message_id.clone());
    if view.get(&key).is_some_and(|r| r.rank > rank) {
        return;
    }
    view.insert(
        key,
        Reading {
            rank,
            rows: rows_of(e, w),
        },
    );
}

/// A reading's rank as the views store it.
pub fn rank_of(w: &WatchDetected) -> (i32, ReadingMethod) {
    let (version, method) = w.rank();
    (i32::try_from(version).unwrap_or(i32::MAX), method)
}

pub struct ListingsProjection {
    /// What it applied, for `/health` and `/metrics`.
    pub counters: std::sync::Arc<counters::WatchCounters>,
}

#[async_trait]
impl Projection for ListingsProjection {
    fn name(&self) -> &'static str {
        "listings"
    }

    fn tables(&self) -> &'static [Table] {
        &[LISTINGS]
    }

    async fn apply(&self, conn: &mut PgConnection, events: &[TypedEvent]) -> anyhow::Result<()> {
        // Only readings are decoded: the messages themselves are told apart by their type, so this view
        // does not parse every message of the log again.
        let mut analysed = 0;
        let mut readings = Vec::new();
        for event in events {
            match event.event_type.as_str() {
                ConversationEvent::WATCH_DETECTED => {
                    readings.extend(event.conversation()?.map(|e| &**e))
                }
                ConversationEvent::MESSAGE_RECEIVED
                | ConversationEvent::MESSAGE_ECHOED
                | ConversationEvent::MESSAGE_QUEUED
                    if event.stream_id.as_str().starts_with("conversation-") =>
                {
                    analysed += 1
                }
                _ => {}
            }
        }
        self.counters.analysed(analysed);
        self.counters.count(&readings);
        let events = readings;
        if events.is_empty() {
            return Ok(());
        }
        let mut conversations = Vec::new();
        let mut messages = Vec::new();
        for e in &events {
            if let ConversationEvent::WatchDetected(w) = &e.event {
                conversations.push(e.conversation_id.clone());
                messages.push(w.message_id.clone());
            }
        }
        let mut view = queries::readings(&mut *conn, &conversations, &messages).await?;
        let before = view.clone();
        for e in &events {
            apply(&mut view, e);
        }
        let changed: Vec<(&(String, String), &Reading)> = view
            .iter()
            .filter(|(k, reading)| before.get(*k) != Some(reading))
            .collect();
        if changed.is_empty() {
            return Ok(());
        }
        // A new reading may hold fewer watches than the one it replaces: its message's rows go first.
        let (gone_conversations, gone_messages): (Vec<String>, Vec<String>) =
            changed.iter().map(|(k, _)| (*k).clone()).unzip();
        queries::forget(&mut *conn, &gone_conversations, &gone_messages).await?;
        let rows: Vec<&ListingRow> = changed.iter().flat_map(|(_, r)| &r.rows).collect();
        rows::save(conn, LISTINGS, &rows).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actors::listings::{Extraction, Listing, MessageType, Span};

    fn detected(
        message: &str,
        version: u32,
        listings: Vec<Listing>,
        kind: MessageType,
    ) -> InboxEvent {
        InboxEvent {
            conversation_id: "1122-4477".to_owned(),
            account_id: "1122".to_owned(),
            contact_id: "4477".to_owned(),
            position: 7,
            recorded_at: DateTime::from_timestamp(2_000, 0).unwrap(),
            occurred_at: DateTime::from_timestamp(1_000, 0),
            event: ConversationEvent::WatchDetected(WatchDetected {
                message_id: message.to_owned(),
                via: None,
                direction: "inbound".to_owned(),
                at: DateTime::from_timestamp(1_000, 0),
                extractor_version: version,
                extraction: Extraction {
                    kind,
                    language: Some("fr".to_owned()),
                    confidence: 0.9,
                    listings,
                    spans: [("type".to_owned(), Span { start: 0, end: 5 })].into(),
                },
                method: Default::default(),
                model: None,
            }),
        }
    }

    fn watch(brand: &str) -> Listing {
        Listing {
            brand: Some(brand.to_owned()),
            price: Some(9800.0),
            currency: Some("EUR".to_owned()),
            spans: [("brand".to_owned(), Span { start: 6, end: 11 })].into(),
            ..Default::default()
        }
    }

    #[test]
    fn each_watch_of_a_message_is_a_row_with_the_messages_spans_and_its_own() {
        let mut view = ListingsView::new();
        apply(
            &mut view,
            &detected(
                "wamid.1",
                1,
                vec![watch("Rolex"), watch("Omega")],
                MessageType::Sale,
            ),
        );
        let reading = &view[&("1122-4477".to_owned(), "wamid.1".to_owned())];
        assert_eq!(reading.rows.len(), 2);
        let first = &reading.rows[0];
        assert_eq!((first.idx, first.kind.as_str()), (0, "sale"));
        assert_eq!(first.brand.as_deref(), Some("Rolex"));
        assert_eq!(reading.rows[1].brand.as_deref(), Some("Omega"));
        assert_eq!(
            first.spans["type"],
            serde_json::json!({"start": 0, "end": 5})
        );
        assert_eq!(
            first.spans["brand"],
            serde_json::json!({"start": 6, "end": 11})
        );
        assert_eq!(first.written_at.timestamp(), 1_000);
    }

    #[test]
    fn a_question_without_a_watch_is_one_row_without_watch_fields() {
        let mut view = ListingsView::new();
        apply(
            &mut view,
            &detected("wamid.1", 1, vec![], MessageType::Question),
        );
        let rows = &view[&("1122-4477".to_owned(), "wamid.1".to_owned())].rows;
        assert_eq!(rows.len(), 1);
        assert_eq!(
            (rows[0].kind.as_str(), rows[0].brand.as_ref()),
            ("question", None)
        );
    }

    fn by_model(mut e: InboxEvent) -> InboxEvent {
        if let ConversationEvent::WatchDetected(w) = &mut e.event {
            w.method = ReadingMethod::Llm;
            w.model = Some("gemini:test".to_owned());
        }
        e
    }

    #[test]
    fn a_models_reading_outranks_the_rules_of_its_version_and_yields_to_a_newer_extractor() {
        let mut view = ListingsView::new();
        let key = ("1122-4477".to_owned(), "wamid.1".to_owned());
        let brand = |view: &ListingsView| view[&key].rows[0].brand.clone().unwrap();
        apply(
            &mut view,
            &detected("wamid.1", 3, vec![watch("Tudor")], MessageType::Sale),
        );
        apply(
            &mut view,
            &by_model(detected(
                "wamid.1",
                3,
                vec![watch("Rolex")],
                MessageType::Sale,
            )),
        );
        assert_eq!(brand(&view), "Rolex");
        let row = &view[&key].rows[0];
        assert_eq!(
            (row.method, row.read_by.as_deref()),
            (ReadingMethod::Llm, Some("gemini:test"))
        );
        // The rules of the same version, replayed late: the model's reading stays.
        apply(
            &mut view,
            &detected("wamid.1", 3, vec![watch("Tudor")], MessageType::Sale),
        );
        assert_eq!(brand(&view), "Rolex");
        // A newer extractor reads the message again: its reading counts.
        apply(
            &mut view,
            &detected("wamid.1", 4, vec![watch("Omega")], MessageType::Sale),
        );
        assert_eq!(
            (brand(&view), view[&key].rows[0].method),
            ("Omega".to_owned(), ReadingMethod::Rules)
        );
    }

    #[test]
    fn a_newer_extractor_replaces_a_reading_and_an_older_one_never_does() {
        let mut view = ListingsView::new();
        let key = ("1122-4477".to_owned(), "wamid.1".to_owned());
        apply(
            &mut view,
            &detected(
                "wamid.1",
                2,
                vec![watch("Rolex"), watch("Tudor")],
                MessageType::Sale,
            ),
        );
        apply(
            &mut view,
            &detected("wamid.1", 1, vec![watch("Omega")], MessageType::Sale),
        );
        assert_eq!(view[&key].rows.len(), 2, "an older version is ignored");
        apply(
            &mut view,
            &detected("wamid.1", 3, vec![watch("Omega")], MessageType::Sale),
        );
        assert_eq!(view[&key].rank, (3, ReadingMethod::Rules));
        assert_eq!(view[&key].rows.len(), 1);
        assert_eq!(view[&key].rows[0].brand.as_deref(), Some("Omega"));
    }
}
