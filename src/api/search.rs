//! `GET /api/v1/search`: everything ever said in the numbers the caller may read, by words (French,
//! English, exact references), by meaning (the embedding model), or both fused.

use super::auth::{ApiAuth, Permission};
use super::cursor::{self, Cursor};
use super::error::ApiError;
use super::listings::{price, time, word};
use super::Tag;
use crate::http::AppState;
use actors::embeddings::EmbedError;
use actors::listings::MessageType;
use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::{Enum, Object, OpenApi};
use projections::search::fuse::{self, FusedAfter, Ranked};
use projections::search::queries::{self, Candidate, Filters, KeywordAfter};
use projections::search::snippet;
use std::collections::BTreeMap;
use std::sync::Arc;

pub struct SearchApi;

/// Said when more messages match the words than are ranked ([`queries::KEYWORD_RANKED`]).
fn capped() -> String {
    let n = queries::KEYWORD_RANKED;
    format!(
        "more than {n} messages match these words: the results and counts cover the newest {n} of \
         them; add words or a filter to reach older ones"
    )
}

/// Two notices in one.
fn joined(notice: Option<String>, more: String) -> Option<String> {
    Some(match notice {
        Some(n) => format!("{n}; {more}"),
        None => more,
    })
}

/// How results are found and ranked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "lowercase")]
pub enum SearchMode {
    /// Words and meaning, their rankings fused; exact reference matches first.
    Hybrid,
    /// By meaning only (the embedding model), across languages.
    Semantic,
    /// By words only: French and English stems, exact references, accents ignored.
    Keyword,
}

/// Where in a snippet one of the query's words is, in characters (Unicode code points, `end` excluded).
#[derive(Debug, Clone, Object)]
pub struct Highlight {
    pub start: u32,
    pub end: u32,
}

/// What ranked a hit.
#[derive(Debug, Clone, Object)]
pub struct HitScores {
    /// One of the query's exact tokens (a reference such as `116610LN`) is in the message.
    pub exact: bool,
    /// Its place in the keyword ranking (from 1), when the words found it.
    pub keyword_rank: Option<u32>,
    /// The text rank there.
    pub keyword: Option<f64>,
    /// Its place in the vector ranking (from 1), when the meaning found it.
    pub semantic_rank: Option<u32>,
    /// The cosine similarity there.
    pub semantic: Option<f64>,
    /// The score the results are ordered by (after `exact`): the reciprocal rank fusion of both
    /// rankings in hybrid mode, else the single ranking's score.
    pub score: f64,
}

/// One message found.
#[derive(Debug, Clone, Object)]
pub struct SearchHit {
    pub conversation_id: String,
    /// The message to open, scrolled to, in its conversation.
    pub message_id: String,
    pub account_id: String,
    pub contact_id: String,
    /// `inbound` (the customer wrote it), `outbound` (the business did), or `note` (a private note of
    /// the team).
    pub direction: String,
    /// The message's kind (`text`, `image`, ...).
    pub kind: String,
    pub written_at: DateTime<Utc>,
    /// Up to 200 characters of the message around the first word found.
    pub snippet: String,
    /// The query's words in `snippet`.
    pub highlights: Vec<Highlight>,
    /// From the message's watch listing.
    pub brands: Vec<String>,
    pub models: Vec<String>,
    pub references: Vec<String>,
    /// `sale`, `wanted`, `question`, `trade` or `general`, when the message was read as a listing.
    #[oai(rename = "type")]
    pub listing_type: Option<String>,
    pub price: Option<f64>,
    pub currency: Option<String>,
    pub scores: HitScores,
}

#[derive(Debug, Clone, Object)]
pub struct FacetCount {
    pub value: String,
    pub count: i64,
}

/// How the results spread over each filter's values (at most 20 values each, most frequent first).
#[derive(Debug, Clone, Default, Object)]
pub struct SearchFacets {
    pub account: Vec<FacetCount>,
    pub direction: Vec<FacetCount>,
    pub kind: Vec<FacetCount>,
    #[oai(rename = "type")]
    pub listing_type: Vec<FacetCount>,
    pub brand: Vec<FacetCount>,
    pub model: Vec<FacetCount>,
}

#[derive(Debug, Clone, Object)]
pub struct SearchResults {
    /// The mode the results were found with: `hybrid` falls back to `keyword` while the embedding
    /// model is unavailable (and `notice` says so).
    pub mode: SearchMode,
    pub hits: Vec<SearchHit>,
    /// How many messages the pages walk through: every keyword match in `keyword` mode; in `semantic`
    /// and `hybrid` mode, the best 200 of each ranking, fused.
    pub total: i64,
    /// Counts over the same messages as `total`.
    pub facets: SearchFacets,
    /// Pass as `cursor` with the same query for the next page; absent on the last page.
    pub next_cursor: Option<String>,
    /// Why the results are not what the mode promises (the embedding model is unavailable, ...).
    pub notice: Option<String>,
}

/// How deep each ranking goes in `semantic` and `hybrid` mode.
const DEPTH: i64 = 200;
/// The longest query read.
const MAX_QUERY_CHARS: usize = 1000;

/// A page's start, as the cursor carries it: which ordering, and the last hit's place in it.
enum After {
    Keyword(KeywordAfter),
    Fused(FusedAfter),
}

const SEP: char = '\u{1f}';

fn encode(after: &After) -> String {
    let key = match after {
        After::Keyword(k) => format!(
            "k{SEP}{}{SEP}{:?}{SEP}{}{SEP}{}{SEP}{}",
            k.exact, k.rank, k.position, k.conversation_id, k.message_id
        ),
        After::Fused(f) => format!(
            "f{SEP}{}{SEP}{:?}{SEP}{}{SEP}{}{SEP}{}",
            f.exact, f.fused, f.position, f.conversation_id, f.message_id
        ),
    };
    Cursor::new(DateTime::UNIX_EPOCH, key).encode()
}

fn decode(raw: &str) -> Result<After, ApiError> {
    let cursor = Cursor::decode(raw)?;
    let parts: Vec<&str> = cursor.key.split(SEP).collect();
    let [kind, exact, score, position, conversation, message] = parts[..] else {
        return Err(cursor::invalid());
    };
    let exact: bool = exact.parse().map_err(|_| cursor::invalid())?;
    let position: i64 = position.parse().map_err(|_| cursor::invalid())?;
    let (conversation_id, message_id) = (conversation.to_owned(), message.to_owned());
    match kind {
        "k" => Ok(After::Keyword(KeywordAfter {
            exact,
            rank: score
                .parse::<f32>()
                .ok()
                .filter(|r| r.is_finite())
                .ok_or_else(cursor::invalid)?,
            position,
            conversation_id,
            message_id,
        })),
        "f" => Ok(After::Fused(FusedAfter {
            exact,
            fused: score
                .parse::<f64>()
                .ok()
                .filter(|r| r.is_finite())
                .ok_or_else(cursor::invalid)?,
            position,
            conversation_id,
            message_id,
        })),
        _ => Err(cursor::invalid()),
    }
}

fn hit(r: Ranked, terms: &[String]) -> SearchHit {
    let s = snippet::snippet(&r.hit.body, terms);
    let c = r.hit;
    SearchHit {
        conversation_id: c.conversation_id,
        message_id: c.message_id,
        account_id: c.account_id,
        contact_id: c.contact_id,
        direction: c.direction,
        kind: c.kind,
        written_at: c.written_at,
        snippet: s.text,
        highlights: s
            .highlights
            .into_iter()
            .map(|h| Highlight {
                start: h.start as u32,
                end: h.end as u32,
            })
            .collect(),
        brands: c.brands,
        models: c.models,
        references: c.refs,
        listing_type: c.listing_type,
        price: c.price,
        currency: c.currency,
        scores: HitScores {
            exact: r.exact,
            keyword_rank: r.keyword.map(|(rank, _)| rank as u32),
            keyword: r.keyword.map(|(_, score)| score),
            semantic_rank: r.semantic.map(|(rank, _)| rank as u32),
            semantic: r.semantic.map(|(_, score)| score),
            score: r.fused,
        },
    }
}

/// Facet counts over hits held in memory (the fused rankings).
fn count_facets(hits: &[Ranked]) -> SearchFacets {
    let mut counts: BTreeMap<&str, BTreeMap<String, i64>> = BTreeMap::new();
    let mut add = |facet: &'static str, value: &str| {
        *counts
            .entry(facet)
            .or_default()
            .entry(value.to_owned())
            .or_default() += 1;
    };
    for r in hits {
        let c = &r.hit;
        add("account", &c.account_id);
        add("direction", &c.direction);
        add("kind", &c.kind);
        if let Some(t) = &c.listing_type {
            add("type", t);
        }
        c.brands.iter().for_each(|b| add("brand", b));
        c.models.iter().for_each(|m| add("model", m));
    }
    let rows = counts.into_iter().flat_map(|(facet, values)| {
        let mut values: Vec<(String, i64)> = values.into_iter().collect();
        values.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        values
            .into_iter()
            .take(20)
            .map(move |(value, n)| (facet.to_owned(), value, n))
    });
    facets(rows)
}

fn facets(rows: impl IntoIterator<Item = (String, String, i64)>) -> SearchFacets {
    let mut f = SearchFacets::default();
    for (facet, value, count) in rows {
        let list = match facet.as_str() {
            "account" => &mut f.account,
            "direction" => &mut f.direction,
            "kind" => &mut f.kind,
            "type" => &mut f.listing_type,
            "brand" => &mut f.brand,
            "model" => &mut f.model,
            _ => continue,
        };
        list.push(FacetCount { value, count });
    }
    f
}

/// A question about the history of the numbers the caller may read.
#[derive(Debug, Clone, Object)]
pub struct AskHistory {
    /// The question, in any language ("what did we quote for a 116610LN last month?").
    #[oai(validator(min_length = 1, max_length = 1000))]
    pub q: String,
    /// Only this business number's messages.
    pub account: Option<String>,
    pub conversation: Option<String>,
    pub contact: Option<String>,
    /// Written at or after.
    pub since: Option<DateTime<Utc>>,
    /// Written before.
    pub until: Option<DateTime<Utc>>,
    pub brand: Option<String>,
    /// The watch family.
    pub model: Option<String>,
    pub reference: Option<String>,
}

/// The model's answer, and the messages it rests on.
#[derive(Debug, Clone, Object)]
pub struct HistoryAnswer {
    pub answer: String,
    /// False when the messages found do not answer the question: then `answer` says so instead of
    /// guessing.
    pub supported: bool,
    /// The messages the answer cites, in the order of their numbers in it (`[1]`, `[2]`, ...).
    pub citations: Vec<Citation>,
    /// How many messages were found and given to the model.
    pub considered: u32,
    pub model: Option<String>,
    /// Why the search behind it was narrower than asked (no embedding model: words only).
    pub notice: Option<String>,
}

/// A message an answer cites.
#[derive(Debug, Clone, Object)]
pub struct Citation {
    /// The number the answer cites it by.
    pub n: u32,
    pub conversation_id: String,
    pub message_id: String,
    pub direction: String,
    pub written_at: DateTime<Utc>,
    pub text: String,
}

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Search")]
impl SearchApi {
    /// Ask the history a question: the messages that match it best (hybrid search, within the numbers
    /// the caller may read) are given to the model, which answers citing the ones it used. When they do
    /// not answer the question, the answer says so.
    #[oai(path = "/search/answer", method = "post", operation_id = "askHistory")]
    async fn answer(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        body: Json<AskHistory>,
    ) -> Result<Json<HistoryAnswer>, ApiError> {
        let ask = body.0;
        let text = ask.q.trim();
        if text.is_empty() {
            return Err(ApiError::bad_request("invalid_query", "q must hold words"));
        }
        if state.bot.model_name().is_none() {
            return Err(ApiError::bad_request(
                "answer_unavailable",
                "answering needs a model, and this server runs without one: set GEMINI_API_KEY or \
                 OPENAI_BASE_URL",
            ));
        }
        let filters = Filters {
            scope: caller.accounts_for(Permission::MessagesView),
            account: word(ask.account, "account")?,
            conversation: word(ask.conversation, "conversation")?,
            contact: word(ask.contact, "contact")?,
            direction: None,
            kind: None,
            since: time(ask.since, "since")?,
            until: time(ask.until, "until")?,
            brand: word(ask.brand, "brand")?,
            model: word(ask.model, "model")?,
            reference: word(ask.reference, "reference")?,
            listing_type: None,
            price_min: None,
            price_max: None,
            currency: None,
        };
        let words = actors::listings::fold(text);
        let codes = projections::search::view::codes(text, &[]);
        // The words' ranking runs beside the query's embedding and its nearest documents.
        let semantic_side = async {
            match state.search.query_vector(text).await {
                Ok(v) => queries::nearest(
                    &state.pool,
                    state.search.embedder.model(),
                    &v,
                    &codes,
                    &filters,
                    DEPTH,
                )
                .await
                .map(|nearest| (nearest, None)),
                Err(e) => {
                    tracing::debug!(error = %e, "the answer's search uses words only");
                    Ok((
                        Vec::new(),
                        Some(
                            "no embedding model answered: messages were found by their words only"
                                .to_owned(),
                        ),
                    ))
                }
            }
        };
        let keyword_side = queries::keyword(&state.pool, &words, &codes, &filters, None, DEPTH);
        let (semantic, keyword) = tokio::join!(semantic_side, keyword_side);
        let (semantic, notice) = semantic?;
        let keyword = keyword?.hits;
        let found: Vec<Ranked> = fuse::fuse(keyword, semantic)
            .into_iter()
            .take(crate::bot::history::SOURCES)
            .collect();
        let sources: Vec<crate::bot::history::Source> = found
            .iter()
            .map(|r| crate::bot::history::Source {
                direction: r.hit.direction.clone(),
                written_at: r.hit.written_at,
                text: r.hit.body.clone(),
            })
            .collect();
        let answered = crate::bot::history::answer(&state.bot, text, &sources)
            .await
            .map_err(|e| ApiError::dependency_failed("the model", e))?;
        let citations = answered
            .citations
            .iter()
            .filter_map(|n| {
                let r = found.get((*n as usize).checked_sub(1)?)?;
                Some(Citation {
                    n: *n,
                    conversation_id: r.hit.conversation_id.clone(),
                    message_id: r.hit.message_id.clone(),
                    direction: r.hit.direction.clone(),
                    written_at: r.hit.written_at,
                    text: r.hit.body.clone(),
                })
            })
            .collect::<Vec<_>>();
        Ok(Json(HistoryAnswer {
            supported: answered.supported && !citations.is_empty(),
            answer: answered.answer,
            citations,
            considered: found.len() as u32,
            model: state.bot.model_name(),
            notice,
        }))
    }

    /// Messages matching `q` in the numbers the caller may read, best first, with the words found
    /// highlighted, what ranked each, and counts per facet. Without `q`, every message matching the
    /// filters, newest first.
    #[oai(path = "/search", method = "get", operation_id = "search")]
    #[allow(clippy::too_many_arguments)]
    async fn search(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        /// The words, a reference, or a question in any language (at most 1,000 characters).
        q: Query<Option<String>>,
        /// `hybrid` (default), `semantic` or `keyword`.
        mode: Query<Option<SearchMode>>,
        /// Only this business number's.
        account: Query<Option<String>>,
        conversation: Query<Option<String>>,
        contact: Query<Option<String>>,
        /// `inbound`, `outbound`, or `note` (the team's private notes).
        direction: Query<Option<String>>,
        /// The message's kind (`text`, `image`, ...).
        kind: Query<Option<String>>,
        /// Written at or after.
        since: Query<Option<DateTime<Utc>>>,
        /// Written before.
        until: Query<Option<DateTime<Utc>>>,
        brand: Query<Option<String>>,
        /// The watch family (`Submariner`).
        model: Query<Option<String>>,
        reference: Query<Option<String>>,
        /// The listing's type.
        #[oai(name = "type")]
        listing_type: Query<Option<MessageType>>,
        min_price: Query<Option<f64>>,
        max_price: Query<Option<f64>>,
        /// ISO 4217.
        currency: Query<Option<String>>,
        /// 1 to 100 (default 20).
        limit: Query<Option<u32>>,
        cursor: Query<Option<String>>,
    ) -> Result<Json<SearchResults>, ApiError> {
        let text = q.0.as_deref().map(str::trim).unwrap_or("");
        if text.chars().count() > MAX_QUERY_CHARS {
            return Err(ApiError::bad_request(
                "invalid_query",
                format!("q must be at most {MAX_QUERY_CHARS} characters"),
            ));
        }
        let limit = cursor::limit(limit.0, 20, 100)?;
        if let Some(d) = direction.0.as_deref() {
            if !["inbound", "outbound", "note"].contains(&d) {
                return Err(ApiError::bad_request(
                    "invalid_direction",
                    "direction must be inbound, outbound or note",
                ));
            }
        }
        let filters = Filters {
            scope: caller.accounts_for(Permission::MessagesView),
            account: word(account.0, "account")?,
            conversation: word(conversation.0, "conversation")?,
            contact: word(contact.0, "contact")?,
            direction: direction.0,
            kind: word(kind.0, "kind")?,
            since: time(since.0, "since")?,
            until: time(until.0, "until")?,
            brand: word(brand.0, "brand")?,
            model: word(model.0, "model")?,
            reference: word(reference.0, "reference")?,
            listing_type: listing_type.0.map(|t| t.as_str().to_owned()),
            price_min: price(min_price.0, "min_price")?,
            price_max: price(max_price.0, "max_price")?,
            currency: word(currency.0, "currency")?,
        };
        let after = cursor.0.as_deref().map(decode).transpose()?;
        let words = actors::listings::fold(text);
        let codes = projections::search::view::codes(text, &[]);
        let terms = snippet::terms(text);
        let asked = mode.0.unwrap_or(SearchMode::Hybrid);
        let search = &state.search;

        // The semantic side (the query's vector, then its nearest documents), when the mode wants one
        // and there are words to embed. In hybrid mode the keyword ranking runs beside it: the model's
        // time to embed the query and the database's time to rank the words overlap.
        let wants_vector = asked != SearchMode::Keyword && !text.is_empty();
        // Hybrid ranks the words for the fusion only when a model may answer; without one it falls back
        // to the keyword ranking paged in SQL, so a cursor of the fused list is refused before any work.
        let fuses_words =
            wants_vector && asked == SearchMode::Hybrid && search.embedder.may_answer();
        let keyword_only = !wants_vector || (asked == SearchMode::Hybrid && !fuses_words);
        if keyword_only && matches!(after, Some(After::Fused(_))) {
            return Err(cursor::invalid());
        }
        let semantic_side = async {
            if !wants_vector {
                return Ok::<_, ApiError>((None, None));
            }
            match search.query_vector(text).await {
                Ok(v) => {
                    let nearest = queries::nearest(
                        &state.pool,
                        search.embedder.model(),
                        &v,
                        &codes,
                        &filters,
                        DEPTH,
                    )
                    .await?;
                    Ok((Some(nearest), None))
                }
                Err(EmbedError::Disabled) if asked == SearchMode::Semantic => {
                    Err(ApiError::bad_request(
                        "semantic_unavailable",
                        "semantic search needs an embedding model, and this server runs without one \
                         (INBOX_EMBEDDINGS=none); use mode=keyword",
                    ))
                }
                Err(e) if asked == SearchMode::Semantic => {
                    Err(ApiError::dependency_failed("its embedding model", e))
                }
                Err(e) => {
                    tracing::warn!(error = %e, "search falls back to keywords");
                    let notice = match e {
                        EmbedError::Disabled => {
                            "no embedding model is configured: keyword results only".to_owned()
                        }
                        _ => "the embedding model is unavailable: keyword results only".to_owned(),
                    };
                    Ok((None, Some(notice)))
                }
            }
        };
        // The keyword ranking needs every word here too: letting any word match was measured to bring
        // noise into the fusion (bench/search: hybrid nDCG@10 0.729 with every word, 0.694 with any).
        let fused_keyword = async {
            if fuses_words {
                queries::keyword(&state.pool, &words, &codes, &filters, None, DEPTH)
                    .await
                    .map(Some)
            } else {
                Ok(None)
            }
        };
        let (semantic, fused_keyword) = tokio::join!(semantic_side, fused_keyword);
        let (semantic, mut notice): (Option<Vec<Candidate>>, Option<String>) = semantic?;

        let Some(semantic) = semantic else {
            // Keyword ranking, paged in SQL.
            let after = match after {
                None => None,
                Some(After::Keyword(k)) => Some(k),
                Some(After::Fused(_)) => return Err(cursor::invalid()),
            };
            // The page and the facet counts read the same matches on two connections, at once.
            let (ranked, counted) = tokio::join!(
                queries::keyword(
                    &state.pool,
                    &words,
                    &codes,
                    &filters,
                    after.as_ref(),
                    limit + 1,
                ),
                queries::keyword_facets(&state.pool, &words, &codes, &filters)
            );
            let (ranked, counted) = (ranked?, counted?);
            if ranked.capped {
                notice = joined(notice, capped());
            }
            let mut found = ranked.hits;
            let more = found.len() as i64 > limit;
            found.truncate(limit as usize);
            let total = counted
                .iter()
                .filter(|(facet, _, _)| facet == "direction")
                .map(|(_, _, n)| n)
                .sum();
            let next_cursor = more.then(|| found.last()).flatten().map(|c: &Candidate| {
                encode(&After::Keyword(KeywordAfter {
                    exact: c.exact,
                    rank: c.score as f32,
                    position: c.position,
                    conversation_id: c.conversation_id.clone(),
                    message_id: c.message_id.clone(),
                }))
            });
            let hits = found
                .into_iter()
                .map(|c| {
                    let keyword = (!text.is_empty()).then_some(c.score);
                    let mut found = hit(
                        Ranked {
                            exact: c.exact,
                            keyword: None,
                            semantic: None,
                            fused: c.score,
                            hit: c,
                        },
                        &terms,
                    );
                    // Pages are keyed, not counted: the score is known, the place is not.
                    found.scores.keyword = keyword;
                    found
                })
                .collect();
            return Ok(Json(SearchResults {
                mode: SearchMode::Keyword,
                hits,
                total,
                facets: facets(counted),
                next_cursor,
                notice,
            }));
        };

        // Vector ranking, fused with the keyword ranking in hybrid mode; paged over the fused list.
        let after = match after {
            None => None,
            Some(After::Fused(f)) => Some(f),
            Some(After::Keyword(_)) => return Err(cursor::invalid()),
        };
        let keyword = match fused_keyword? {
            Some(ranked) => {
                if ranked.capped {
                    notice = joined(notice, capped());
                }
                ranked.hits
            }
            None => Vec::new(),
        };
        let fused = fuse::fuse(keyword, semantic);
        let total = fused.len() as i64;
        let facets = count_facets(&fused);
        let mut page: Vec<Ranked> = fused
            .into_iter()
            .filter(|r| after.as_ref().is_none_or(|a| r.is_after(a)))
            .take(limit as usize + 1)
            .collect();
        let more = page.len() as i64 > limit;
        page.truncate(limit as usize);
        let next_cursor = more
            .then(|| page.last())
            .flatten()
            .map(|r| encode(&After::Fused(r.cursor())));
        Ok(Json(SearchResults {
            mode: asked,
            hits: page.into_iter().map(|r| hit(r, &terms)).collect(),
            total,
            facets,
            next_cursor,
            notice,
        }))
    }
}
