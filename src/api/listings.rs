//! Watch listings read in the messages of the accounts the caller may see: a filtered list, statistics,
//! and the matches between requests and offers.

use super::auth::{ApiAuth, Permission};
use super::conversations::search_text;
use super::cursor::{self, Cursor};
use super::error::ApiError;
use super::Tag;
use crate::http::AppState;
use actors::listings::{Condition, MessageType};
use chrono::{DateTime, Duration, Utc};
use poem::web::Data;
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use projections::listings::queries::{self, ListingFilter};
use projections::listings::ListingRow;
use serde_json::Value;
use std::sync::Arc;

pub struct ListingsApi;

/// One watch read in a message (or a message that offers, seeks, asks or trades without naming one).
#[derive(Debug, Clone, Object)]
pub struct Listing {
    pub conversation_id: String,
    /// The message's wamid, or the inbox's id of a message sent from it.
    pub message_id: String,
    /// The watch's place in the message, from 0.
    pub index: i32,
    pub account_id: String,
    /// The customer of the conversation.
    pub contact_id: String,
    /// `inbound` (the customer wrote it) or `outbound` (the business did).
    pub direction: String,
    /// `sale`, `wanted`, `question`, `trade` or `general`.
    #[oai(rename = "type")]
    pub kind: String,
    pub language: Option<String>,
    pub confidence: f32,
    pub brand: Option<String>,
    pub model: Option<String>,
    pub reference: Option<String>,
    pub price: Option<f64>,
    /// ISO 4217.
    pub currency: Option<String>,
    /// The currency was not written but inferred (a bare number in a French message taken as euros).
    pub currency_implied: bool,
    /// `asking`, `sold` or `negotiable`.
    pub price_type: Option<String>,
    pub condition: Option<String>,
    #[oai(rename = "box")]
    pub has_box: Option<bool>,
    pub papers: Option<bool>,
    pub year: Option<i32>,
    pub size_mm: Option<f32>,
    pub movement: Option<String>,
    /// Where in the message's text each field was read: `{"brand": {"start", "end"}, ...}` in characters
    /// (Unicode code points, `end` excluded); the message's type under `type`.
    pub spans: Value,
    pub extractor_version: i32,
    /// Who read it: `rules` (the extractor), or `llm` (a model, because the rules were unsure).
    pub method: actors::listings::ReadingMethod,
    /// The model that read it (`provider:model`), for `llm`.
    pub read_by: Option<String>,
    /// When the message was written.
    pub written_at: DateTime<Utc>,
}

impl From<ListingRow> for Listing {
    fn from(r: ListingRow) -> Self {
        Listing {
            conversation_id: r.conversation_id,
            message_id: r.message_id,
            index: r.idx,
            account_id: r.account_id,
            contact_id: r.contact_id,
            direction: r.direction,
            kind: r.kind,
            language: r.language,
            confidence: r.confidence,
            brand: r.brand,
            model: r.model,
            reference: r.reference,
            price: r.price,
            currency: r.currency,
            currency_implied: r.currency_implied,
            price_type: r.price_type,
            condition: r.condition,
            has_box: r.has_box,
            papers: r.papers,
            year: r.year,
            size_mm: r.size_mm,
            movement: r.movement,
            spans: r.spans,
            extractor_version: r.extractor_version,
            method: r.method,
            read_by: r.read_by,
            written_at: r.written_at,
        }
    }
}

#[derive(Debug, Clone, Object)]
pub struct ListingPage {
    pub listings: Vec<Listing>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Object)]
pub struct NamedCount {
    pub name: String,
    pub count: i64,
}

#[derive(Debug, Clone, Object)]
pub struct ModelCount {
    pub brand: String,
    pub model: String,
    pub count: i64,
}

/// Asking prices of one family in one currency (offers only).
#[derive(Debug, Clone, Object)]
pub struct PriceSpread {
    pub brand: String,
    pub model: String,
    pub currency: String,
    pub count: i64,
    /// First quartile.
    pub q1: f64,
    pub median: f64,
    /// Third quartile.
    pub q3: f64,
}

#[derive(Debug, Clone, Object)]
pub struct DayCount {
    /// The day's start (UTC).
    pub day: DateTime<Utc>,
    #[oai(rename = "type")]
    pub kind: String,
    pub count: i64,
}

#[derive(Debug, Clone, Object)]
pub struct ListingStats {
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    /// Messages by type (a message of several watches counts once).
    pub by_type: Vec<NamedCount>,
    /// Watches by brand, most first (at most 50).
    pub by_brand: Vec<NamedCount>,
    /// Watches by family, most first (at most 100).
    pub by_model: Vec<ModelCount>,
    /// Asking prices per family and currency: median and quartiles.
    pub prices: Vec<PriceSpread>,
    /// Messages per day and type.
    pub per_day: Vec<DayCount>,
}

#[derive(Debug, Clone, Object)]
pub struct ListingMatches {
    pub listing: Listing,
    /// For a request, the offers it could take; for an offer, the requests it answers. Newest first.
    pub matches: Vec<Listing>,
}

/// A price bound from the query: a finite number.
pub(crate) fn price(value: Option<f64>, name: &str) -> Result<Option<f64>, ApiError> {
    match value {
        Some(v) if !v.is_finite() || v < 0.0 => Err(ApiError::bad_request(
            "invalid_price",
            format!("{name} must be a number of 0 or more"),
        )),
        v => Ok(v),
    }
}

/// A short text filter (a brand, a family, a reference, a currency).
pub(crate) fn word(value: Option<String>, name: &str) -> Result<Option<String>, ApiError> {
    let value = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    if value.as_ref().is_some_and(|v| v.chars().count() > 100) {
        return Err(ApiError::bad_request(
            "invalid_query",
            format!("{name} must be at most 100 characters"),
        ));
    }
    Ok(value)
}

/// A time from the query the database can hold.
pub(crate) fn time(
    value: Option<DateTime<Utc>>,
    name: &str,
) -> Result<Option<DateTime<Utc>>, ApiError> {
    value.map(|t| cursor::storable_time(t, name)).transpose()
}

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Listings")]
impl ListingsApi {
    /// Watch listings read in messages, newest first, filtered.
    #[oai(path = "/listings", method = "get", operation_id = "listListings")]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        /// Only this conversation's.
        conversation: Query<Option<String>>,
        /// Only this business number's.
        account: Query<Option<String>>,
        brand: Query<Option<String>>,
        /// The family (`Submariner`, `Royal Oak`).
        model: Query<Option<String>>,
        reference: Query<Option<String>>,
        #[oai(name = "type")] kind: Query<Option<MessageType>>,
        condition: Query<Option<Condition>>,
        min_price: Query<Option<f64>>,
        max_price: Query<Option<f64>>,
        /// ISO 4217.
        currency: Query<Option<String>>,
        /// Written at or after.
        since: Query<Option<DateTime<Utc>>>,
        /// Written before.
        until: Query<Option<DateTime<Utc>>>,
        /// Text to find in the brand, family or reference.
        q: Query<Option<String>>,
        /// 1 to 200 (default 50).
        limit: Query<Option<u32>>,
        cursor: Query<Option<String>>,
    ) -> Result<Json<ListingPage>, ApiError> {
        let limit = cursor::limit(limit.0, 50, 200)?;
        let after = match cursor.0.as_deref().map(Cursor::decode).transpose()? {
            None => None,
            Some(c) => {
                let mut parts = c.key.splitn(3, '\u{1f}');
                match (parts.next(), parts.next(), parts.next()) {
                    (Some(conversation), Some(message), Some(idx)) => Some((
                        c.at,
                        conversation.to_owned(),
                        message.to_owned(),
                        idx.parse().map_err(|_| cursor::invalid())?,
                    )),
                    _ => return Err(cursor::invalid()),
                }
            }
        };
        let filter = ListingFilter {
            conversation: word(conversation.0, "conversation")?,
            account: word(account.0, "account")?,
            brand: word(brand.0, "brand")?,
            model: word(model.0, "model")?,
            reference: word(reference.0, "reference")?,
            kind: kind.0.map(|k| k.as_str().to_owned()),
            condition: condition.0.map(|c| c.as_str().to_owned()),
            min_price: price(min_price.0, "min_price")?,
            max_price: price(max_price.0, "max_price")?,
            currency: word(currency.0, "currency")?,
            since: time(since.0, "since")?,
            until: time(until.0, "until")?,
            text: search_text(q.0.as_deref())?.map(str::to_owned),
            after,
        };
        let scope = caller.accounts_for(Permission::MessagesView);
        let page = queries::list(&state.pool, &filter, &scope, limit).await?;
        let next_cursor = page.more.then(|| page.rows.last()).flatten().map(|l| {
            let key = format!("{}\u{1f}{}\u{1f}{}", l.conversation_id, l.message_id, l.idx);
            Cursor::new(l.written_at, key).encode()
        });
        Ok(Json(ListingPage {
            listings: page.rows.into_iter().map(Listing::from).collect(),
            next_cursor,
        }))
    }

    /// Counts by type, brand and family, asking prices per family (median and quartiles) and messages
    /// per day, over `since..until` (default: the last 90 days).
    #[oai(
        path = "/listings/stats",
        method = "get",
        operation_id = "listingStats"
    )]
    async fn stats(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        /// Only this business number's.
        account: Query<Option<String>>,
        since: Query<Option<DateTime<Utc>>>,
        until: Query<Option<DateTime<Utc>>>,
    ) -> Result<Json<ListingStats>, ApiError> {
        let until = time(until.0, "until")?.unwrap_or_else(Utc::now);
        let since = time(since.0, "since")?.unwrap_or(until - Duration::days(90));
        let account = word(account.0, "account")?;
        let scope = caller.accounts_for(Permission::MessagesView);
        let mut conn = state.pool.acquire().await?;
        let s = queries::stats(&mut conn, &scope, account.as_deref(), since, until).await?;
        let named = |counts: Vec<queries::Count>| {
            counts
                .into_iter()
                .map(|c| NamedCount {
                    name: c.name,
                    count: c.count,
                })
                .collect()
        };
        Ok(Json(ListingStats {
            since,
            until,
            by_type: named(s.by_type),
            by_brand: named(s.by_brand),
            by_model: s
                .by_model
                .into_iter()
                .map(|m| ModelCount {
                    brand: m.brand,
                    model: m.model,
                    count: m.count,
                })
                .collect(),
            prices: s
                .prices
                .into_iter()
                .map(|p| PriceSpread {
                    brand: p.brand,
                    model: p.model,
                    currency: p.currency,
                    count: p.count,
                    q1: p.q1,
                    median: p.median,
                    q3: p.q3,
                })
                .collect(),
            per_day: s
                .per_day
                .into_iter()
                .map(|d| DayCount {
                    day: d.day,
                    kind: d.kind,
                    count: d.count,
                })
                .collect(),
        }))
    }

    /// One listing and what it matches: for a request (`wanted`), the offers of the same brand and family
    /// (and reference, when it names one) at or under its price in its currency; for an offer, the
    /// requests it answers. Other types match nothing.
    #[oai(
        path = "/listings/matches",
        method = "get",
        operation_id = "listingMatches"
    )]
    async fn matches(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        conversation: Query<String>,
        message: Query<String>,
        /// The watch's place in the message (default 0).
        index: Query<Option<u32>>,
        /// 1 to 100 (default 20).
        limit: Query<Option<u32>>,
    ) -> Result<Json<ListingMatches>, ApiError> {
        let limit = cursor::limit(limit.0, 20, 100)?;
        let idx = i32::try_from(index.0.unwrap_or(0))
            .map_err(|_| ApiError::bad_request("invalid_index", "index is too large"))?;
        let scope = caller.accounts_for(Permission::MessagesView);
        let listing = queries::one(&state.pool, &conversation.0, &message.0, idx, &scope)
            .await?
            .ok_or_else(|| {
                ApiError::not_found(
                    "listing",
                    &format!("{}/{}/{idx}", conversation.0, message.0),
                )
            })?;
        let matches = queries::matches(&state.pool, &listing, &scope, limit).await?;
        Ok(Json(ListingMatches {
            listing: listing.into(),
            matches: matches.into_iter().map(Listing::from).collect(),
        }))
    }
}
