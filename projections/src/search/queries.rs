//! Every read of the search tables: the documents a batch touches (for the fold), the keyword and vector
//! candidates of a query with their facets (for `GET /api/v1/search`), and what the embedding worker has
//! left to do.
//!
//! Every query that returns hits, counts or facets narrows them to the caller's numbers in its own SQL
//! (`account_in_scope`), so nothing of a number a caller may not read is ever loaded for them.

use super::view::{SearchDocument, SearchView};
use crate::scope::{AccountScope, Binds};
use actors::listings::ReadingMethod;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

/// The documents of these (conversation, message) pairs, as the fold left them.
pub async fn documents(
    conn: &mut PgConnection,
    conversations: &[String],
    messages: &[String],
) -> sqlx::Result<SearchView> {
    let rows = sqlx::query_as!(
        SearchDocument,
        r#"select d.conversation_id as "conversation_id!", d.message_id as "message_id!",
                  d.account_id as "account_id!", d.contact_id as "contact_id!",
                  d.direction as "direction!", d.kind as "kind!", d.body as "body!",
                  d.folded as "folded!", d.codes as "codes!", d.passage_sha256 as "passage_sha256!",
                  d.written_at as "written_at!", d.brands as "brands!", d.models as "models!",
                  d.refs as "refs!", d.listing_type, d.price, d.currency, d.extractor_version,
                  d.listing_method as "listing_method: ReadingMethod", d.position as "position!"
           from unnest($1::text[], $2::text[]) k(conversation_id, message_id)
           cross join lateral (select * from search_documents d
                               where d.conversation_id = k.conversation_id
                                 and d.message_id = k.message_id offset 0) d"#,
        conversations,
        messages,
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|d| ((d.conversation_id.clone(), d.message_id.clone()), Some(d)))
        .collect())
}

/// What narrows a search besides the words.
#[derive(Debug, Clone)]
pub struct Filters {
    /// The caller's numbers.
    pub scope: AccountScope,
    pub account: Option<String>,
    pub conversation: Option<String>,
    pub contact: Option<String>,
    pub direction: Option<String>,
    pub kind: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub brand: Option<String>,
    pub model: Option<String>,
    pub reference: Option<String>,
    pub listing_type: Option<String>,
    pub price_min: Option<f64>,
    pub price_max: Option<f64>,
    pub currency: Option<String>,
}

impl Filters {
    /// Whether anything narrows the search: a filter, or a caller who may not read every number (for
    /// [`nearest`], a caller kept to a quiet number is as narrow as a filter naming it).
    pub fn narrows(&self) -> bool {
        !self.scope.is_everything()
            || self.account.is_some()
            || self.conversation.is_some()
            || self.contact.is_some()
            || self.direction.is_some()
            || self.kind.is_some()
            || self.since.is_some()
            || self.until.is_some()
            || self.brand.is_some()
            || self.model.is_some()
            || self.reference.is_some()
            || self.listing_type.is_some()
            || self.price_min.is_some()
            || self.price_max.is_some()
            || self.currency.is_some()
    }
}

/// A document a query found, with what ranked it in its list.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub conversation_id: String,
    pub message_id: String,
    pub account_id: String,
    pub contact_id: String,
    pub direction: String,
    pub kind: String,
    pub body: String,
    pub written_at: DateTime<Utc>,
    pub brands: Vec<String>,
    pub models: Vec<String>,
    pub refs: Vec<String>,
    pub listing_type: Option<String>,
    pub price: Option<f64>,
    pub currency: Option<String>,
    pub position: i64,
    /// One of the query's exact tokens is one of the document's.
    pub exact: bool,
    /// The text rank (keyword list) or the cosine similarity (vector list).
    pub score: f64,
}

/// Where a keyword page starts: after this (exact, rank, position, conversation, message).
#[derive(Debug, Clone, PartialEq)]
pub struct KeywordAfter {
    pub exact: bool,
    pub rank: f32,
    pub position: i64,
    pub conversation_id: String,
    pub message_id: String,
}

/// How many matching documents a keyword query ranks and counts at most: the newest this many that match
/// the words, and the newest this many that hold one of the exact tokens. Ranking every match cost 2.4 s
/// (p95) for common words at a million documents (bench/search-scale); ranking 2,000 costs a few ms.
pub const KEYWORD_RANKED: i64 = 2_000;

/// The keyword candidates of a query.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KeywordHits {
    /// Best first.
    pub hits: Vec<Candidate>,
    /// More documents matched than were ranked ([`KEYWORD_RANKED`]): the hits are the best of the newest
    /// matches only, and [`keyword_facets`] counted those only.
    pub capped: bool,
}

/// Documents matching the words (folded, as the index is) or one of the exact tokens, best first: exact
/// matches, then the text rank (`ts_rank`: `ts_rank_cd` cost 9–23 ms more for 2,000 matches and ranked
/// the labelled set of bench/search the same, round 11 of bench/search-scale), then the newest. Only the
/// newest [`KEYWORD_RANKED`] matches of the words (and as many of the tokens) are ranked; `capped` says
/// when there were more. With `words` and `codes`
/// both empty, every document matching the filters, newest first (paged without a bound).
/// The words are read as `search_query` does (migration 25): `websearch_to_tsquery` in the simple, French
/// and English configurations, each distinct reading once; it reads any input without a syntax error.
///
/// The newest matches are found stretch by stretch of the log, newest first (`search_windows`,
/// migration 24): the text index answers each stretch with two keys, the words (or the exact tokens)
/// within that stretch and the stretch's tag for the numbers asked (`search_stretch_words`,
/// `search_stretch_codes` and `search_stretch_scope`, migrations 25 and 26), and the walk stops once it has
/// enough. Reading every match of common words, or walking the
/// newest documents back through most of the table, cost up to 600 ms at a million documents
/// (bench/search-scale, rounds 10 and 11). A conversation or a contact filter keeps the plain query,
/// which reads that conversation's or contact's documents first.
pub async fn keyword(
    pool: &PgPool,
    words: &str,
    codes: &[String],
    filters: &Filters,
    after: Option<&KeywordAfter>,
    limit: i64,
) -> sqlx::Result<KeywordHits> {
    keyword_within(pool, words, codes, filters, after, limit, KEYWORD_RANKED).await
}

/// [`keyword`] ranking at most `ranked` of the newest matches (`i64::MAX`: every match, as before the
/// bound; the scale bench compares both).
pub async fn keyword_within(
    pool: &PgPool,
    words: &str,
    codes: &[String],
    filters: &Filters,
    after: Option<&KeywordAfter>,
    limit: i64,
    ranked: i64,
) -> sqlx::Result<KeywordHits> {
    let scope = Binds::from(&filters.scope);
    let browse = words.trim().is_empty() && codes.is_empty();
    let mut tx = pool.begin().await?;
    // A plan for the values given: the planner then sees how common the words are (the query is folded
    // to a constant) and walks the newest documents for common words, the text index for rare ones.
    sqlx::query("set local plan_cache_mode = force_custom_plan")
        .execute(&mut *tx)
        .await?;
    let rows = sqlx::query!(
        r#"with worded as (
                    (select d.* from search_documents d
                    where ($3 or $7::text is not null or $8::text is not null)
                      and ($3 or d.tsv @@ search_query($1))
                      and (not $3 or $22::bigint is null or d.position <= $22)
                      and account_in_scope(d.account_id, $4, $5)
                      and ($6::text is null or d.account_id = $6)
                      and ($7::text is null or d.conversation_id = $7)
                      and ($8::text is null or d.contact_id = $8)
                      and ($9::text is null or d.direction = $9)
                      and ($10::text is null or d.kind = $10)
                      and ($11::timestamptz is null or d.written_at >= $11)
                      and ($12::timestamptz is null or d.written_at < $12)
                      and ($13::text is null or $13 = any(d.brands))
                      and ($14::text is null or $14 = any(d.models))
                      and ($15::text is null or $15 = any(d.refs))
                      and ($16::text is null or d.listing_type = $16)
                      and ($17::float8 is null or d.price >= $17)
                      and ($18::float8 is null or d.price <= $18)
                      and ($19::text is null or d.currency = $19)
                    order by d.position desc
                    limit $26)
                    union all
                    (select w.* from search_windows((select max(position) from search_documents)) s(win)
                    cross join lateral (
                        select d.* from (
                            select d.* from search_documents d
                            where search_keys(d.tsv, d.codes, d.account_id, d.position)
                                    @@ search_stretch_words(search_query($1), s.win)
                              and search_keys(d.tsv, d.codes, d.account_id, d.position)
                                    @@ search_stretch_scope(s.win, $6, $4, $5)
                              and d.tsv @@ search_query($1)
                            offset 0) d
                        where true
                          and account_in_scope(d.account_id, $4, $5)
                          and ($6::text is null or d.account_id = $6)
                          and ($7::text is null or d.conversation_id = $7)
                          and ($8::text is null or d.contact_id = $8)
                          and ($9::text is null or d.direction = $9)
                          and ($10::text is null or d.kind = $10)
                          and ($11::timestamptz is null or d.written_at >= $11)
                          and ($12::timestamptz is null or d.written_at < $12)
                          and ($13::text is null or $13 = any(d.brands))
                          and ($14::text is null or $14 = any(d.models))
                          and ($15::text is null or $15 = any(d.refs))
                          and ($16::text is null or d.listing_type = $16)
                          and ($17::float8 is null or d.price >= $17)
                          and ($18::float8 is null or d.price <= $18)
                          and ($19::text is null or d.currency = $19)
                        order by d.position desc) w
                    where not $3 and $7::text is null and $8::text is null
                    limit $26)),
                coded as (
                    (select d.* from search_documents d
                    where not $3 and cardinality($2::text[]) > 0 and d.codes && $2::text[]
                      and ($7::text is not null or $8::text is not null)
                      and account_in_scope(d.account_id, $4, $5)
                      and ($6::text is null or d.account_id = $6)
                      and ($7::text is null or d.conversation_id = $7)
                      and ($8::text is null or d.contact_id = $8)
                      and ($9::text is null or d.direction = $9)
                      and ($10::text is null or d.kind = $10)
                      and ($11::timestamptz is null or d.written_at >= $11)
                      and ($12::timestamptz is null or d.written_at < $12)
                      and ($13::text is null or $13 = any(d.brands))
                      and ($14::text is null or $14 = any(d.models))
                      and ($15::text is null or $15 = any(d.refs))
                      and ($16::text is null or d.listing_type = $16)
                      and ($17::float8 is null or d.price >= $17)
                      and ($18::float8 is null or d.price <= $18)
                      and ($19::text is null or d.currency = $19)
                    order by d.position desc
                    limit $26)
                    union all
                    (select w.* from search_windows((select max(position) from search_documents)) s(win)
                    cross join lateral (
                        select d.* from (
                            select d.* from search_documents d
                            where search_keys(d.tsv, d.codes, d.account_id, d.position)
                                    @@ search_stretch_codes($2::text[], s.win)
                              and search_keys(d.tsv, d.codes, d.account_id, d.position)
                                    @@ search_stretch_scope(s.win, $6, $4, $5)
                              and d.codes && $2::text[]
                            offset 0) d
                        where true
                          and account_in_scope(d.account_id, $4, $5)
                          and ($6::text is null or d.account_id = $6)
                          and ($7::text is null or d.conversation_id = $7)
                          and ($8::text is null or d.contact_id = $8)
                          and ($9::text is null or d.direction = $9)
                          and ($10::text is null or d.kind = $10)
                          and ($11::timestamptz is null or d.written_at >= $11)
                          and ($12::timestamptz is null or d.written_at < $12)
                          and ($13::text is null or $13 = any(d.brands))
                          and ($14::text is null or $14 = any(d.models))
                          and ($15::text is null or $15 = any(d.refs))
                          and ($16::text is null or d.listing_type = $16)
                          and ($17::float8 is null or d.price >= $17)
                          and ($18::float8 is null or d.price <= $18)
                          and ($19::text is null or d.currency = $19)
                        order by d.position desc) w
                    where not $3 and cardinality($2::text[]) > 0 and $7::text is null and $8::text is null
                    limit $26)),
                matched as (
                    select * from worded
                    union all
                    select * from coded c
                    where not exists (select 1 from worded w
                                      where w.conversation_id = c.conversation_id
                                        and w.message_id = c.message_id)),
                hits as (
                    select m.*, (m.codes && $2::text[]) as exact,
                           ts_rank(m.tsv, search_query($1)) as rank
                    from matched m),
                capped as (
                    select (select count(*) from worded) >= $26
                           or (select count(*) from coded) >= $26 as capped)
           select conversation_id as "conversation_id!", message_id as "message_id!",
                  account_id as "account_id!", contact_id as "contact_id!", direction as "direction!",
                  kind as "kind!", body as "body!", written_at as "written_at!", brands as "brands!",
                  models as "models!", refs as "refs!", listing_type, price, currency,
                  position as "position!", exact as "exact!", rank::float8 as "score!",
                  capped.capped as "capped!"
           from hits, capped
           where $20::bool is null
              or (exact, rank, position, conversation_id, message_id)
                 < ($20, $21::real, $22::bigint, $23::text, $24::text)
           order by exact desc, rank desc, position desc, conversation_id desc, message_id desc
           limit $25"#,
        words,
        codes,
        browse,
        scope.all_but,
        &scope.accounts,
        filters.account,
        filters.conversation,
        filters.contact,
        filters.direction,
        filters.kind,
        filters.since,
        filters.until,
        filters.brand,
        filters.model,
        filters.reference,
        filters.listing_type,
        filters.price_min,
        filters.price_max,
        filters.currency,
        after.map(|a| a.exact),
        after.map(|a| a.rank),
        after.map(|a| a.position),
        after.map(|a| a.conversation_id.clone()),
        after.map(|a| a.message_id.clone()),
        limit,
        ranked,
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let capped = rows.first().is_some_and(|r| r.capped);
    let hits = rows
        .into_iter()
        .map(|r| Candidate {
            conversation_id: r.conversation_id,
            message_id: r.message_id,
            account_id: r.account_id,
            contact_id: r.contact_id,
            direction: r.direction,
            kind: r.kind,
            body: r.body,
            written_at: r.written_at,
            brands: r.brands,
            models: r.models,
            refs: r.refs,
            listing_type: r.listing_type,
            price: r.price,
            currency: r.currency,
            position: r.position,
            exact: r.exact,
            score: r.score,
        })
        .collect();
    Ok(KeywordHits { hits, capped })
}

/// How many nearest vectors the HNSW index is asked for (its `ef_search`) without filters; the filters
/// apply after. With the index's m = 32, ef_construction = 200, 600 is the least depth measured to reach
/// recall@10 0.95 at 1M vectors (bench/search-scale, round 6: 0.918 at 400, 0.9575 at 600).
pub const NEAREST: i64 = 600;
/// How many of the index's nearest must pass the filters for them to be used as they are; fewer, and
/// the filtered documents are ranked exactly.
pub const ENOUGH: i64 = 20;

/// How [`nearest`] chooses between the HNSW index and an exact ranking when filters narrow the search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NearestPlan {
    /// Filters keeping at most this many documents have them ranked exactly, without asking the index
    /// (counted first, up to one more than this): the index's nearest hold too few of a small set.
    pub exact_up_to: i64,
    /// The index's `ef_search` (and how many of its nearest are asked for) when filters narrow the search
    /// and keep more documents than `exact_up_to`: at most 1000 (pgvector 0.6 and 0.8).
    pub filtered_ef: i64,
    /// pgvector ≥ 0.8's iterative index scans, used when the server has them (checked on every call, so
    /// an older pgvector keeps the plan above): the filters then go into the index scan, which walks on
    /// past its first `filtered_ef` until `limit` documents pass them (or `hnsw.max_scan_tuples`).
    pub iterative: IterativeScan,
}

/// pgvector's `hnsw.iterative_scan` (0.8 and later).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IterativeScan {
    /// Filter what the index's first `ef_search` nearest give, as pgvector 0.6 does.
    Off,
    /// Walk on; results may come slightly out of order (re-sorted here).
    RelaxedOrder,
    /// Walk on, in exact distance order.
    StrictOrder,
}

impl IterativeScan {
    fn setting(self) -> Option<&'static str> {
        match self {
            IterativeScan::Off => None,
            IterativeScan::RelaxedOrder => Some("relaxed_order"),
            IterativeScan::StrictOrder => Some("strict_order"),
        }
    }
}

impl Default for NearestPlan {
    fn default() -> Self {
        NearestPlan {
            exact_up_to: EXACT_UP_TO,
            filtered_ef: FILTERED_EF,
            iterative: ITERATIVE,
        }
    }
}

/// See [`NearestPlan::exact_up_to`].
pub const EXACT_UP_TO: i64 = 20_000;
/// See [`NearestPlan::filtered_ef`]: deeper than without filters ([`NEAREST`]), because a filter's
/// nearest ten lie further down the index's order. At 1M vectors on pgvector 0.8 (bench/search-scale,
/// round 8), walking at 600 gave recall@10 0.946 for a number holding 30 % of the documents and 0.903
/// for one holding 4 %; at 1,000 (pgvector's most), 0.979 and 0.957, for about 15 ms more at p95.
pub const FILTERED_EF: i64 = 1_000;
/// See [`NearestPlan::iterative`].
pub const ITERATIVE: IterativeScan = IterativeScan::RelaxedOrder;

/// The documents whose vectors (of `model`) are nearest `vector`, nearest first, at most `limit`.
///
/// Without filters, the HNSW index is asked for its [`NEAREST`] vectors (or `limit`, if more). With
/// filters keeping few documents ([`EXACT_UP_TO`]), those are ranked exactly. Otherwise the index is
/// asked for its [`FILTERED_EF`] nearest and the filters apply to what it gives; when they leave fewer
/// than [`ENOUGH`] (or `limit`, if fewer), the filtered documents are ranked exactly instead (a distance
/// the index cannot serve), so a narrow filter never loses its nearest documents. With pgvector ≥ 0.8
/// the filters go into the index scan instead, which walks on until `limit` pass them ([`ITERATIVE`]).
pub async fn nearest(
    pool: &PgPool,
    model: &str,
    vector: &[f32],
    codes: &[String],
    filters: &Filters,
    limit: i64,
) -> sqlx::Result<Vec<Candidate>> {
    nearest_planned(
        pool,
        model,
        vector,
        codes,
        filters,
        limit,
        NearestPlan::default(),
    )
    .await
}

/// [`nearest`] with another [`NearestPlan`] (the scale bench compares them).
pub async fn nearest_planned(
    pool: &PgPool,
    model: &str,
    vector: &[f32],
    codes: &[String],
    filters: &Filters,
    limit: i64,
    plan: NearestPlan,
) -> sqlx::Result<Vec<Candidate>> {
    let literal = vector_literal(vector);
    let scope = Binds::from(&filters.scope);
    let narrows = filters.narrows();
    let ef = if narrows { plan.filtered_ef } else { NEAREST };
    let mut tx = pool.begin().await?;
    sqlx::query(&format!("set local hnsw.ef_search = {}", ef.clamp(1, 1000)))
        .execute(&mut *tx)
        .await?;
    // The catch-all filters (`$x is null or ...`) make a generic plan join every document a filter
    // keeps; a plan for the values given uses the index (bench/search-scale: 744 ms against 133 ms).
    sqlx::query("set local plan_cache_mode = force_custom_plan")
        .execute(&mut *tx)
        .await?;
    // A small filtered set is ranked exactly at once: the index's nearest would hold too few of it.
    let small = narrows
        && plan.exact_up_to > 0
        && sqlx::query_scalar!(
            r#"select count(*) as "n!" from (
                   select from search_documents d
                   where account_in_scope(d.account_id, $1, $2)
                     and ($3::text is null or d.account_id = $3)
                     and ($4::text is null or d.conversation_id = $4)
                     and ($5::text is null or d.contact_id = $5)
                     and ($6::text is null or d.direction = $6)
                     and ($7::text is null or d.kind = $7)
                     and ($8::timestamptz is null or d.written_at >= $8)
                     and ($9::timestamptz is null or d.written_at < $9)
                     and ($10::text is null or $10 = any(d.brands))
                     and ($11::text is null or $11 = any(d.models))
                     and ($12::text is null or $12 = any(d.refs))
                     and ($13::text is null or d.listing_type = $13)
                     and ($14::float8 is null or d.price >= $14)
                     and ($15::float8 is null or d.price <= $15)
                     and ($16::text is null or d.currency = $16)
                   limit $17) kept"#,
            scope.all_but,
            &scope.accounts,
            filters.account,
            filters.conversation,
            filters.contact,
            filters.direction,
            filters.kind,
            filters.since,
            filters.until,
            filters.brand,
            filters.model,
            filters.reference,
            filters.listing_type,
            filters.price_min,
            filters.price_max,
            filters.currency,
            plan.exact_up_to + 1,
        )
        .fetch_one(&mut *tx)
        .await?
            <= plan.exact_up_to;
    // With pgvector ≥ 0.8 the index scan can walk on until enough documents pass the filters.
    let walks = match plan.iterative.setting() {
        Some(mode) if narrows && !small => sqlx::query_scalar!(
            r#"select set_config('hnsw.iterative_scan', $1, true) as "mode!"
               from pg_extension
               where extname = 'vector'
                 and (regexp_match(extversion, '^(\d+)\.(\d+)'))::int[] >= '{0,8}'"#,
            mode,
        )
        .fetch_optional(&mut *tx)
        .await?
        .is_some(),
        _ => false,
    };
    let first = if walks { "walk" } else { "index" };
    let mut found = Vec::new();
    for pass in [first, "exact"] {
        let exact_scan = pass == "exact";
        if !exact_scan && small {
            continue;
        }
        // The index's nearest are enough when the filters leave a page of them.
        if exact_scan && !small && (found.len() as i64 >= limit.min(ENOUGH) || !narrows) {
            break;
        }
        found = sqlx::query_as!(
            Candidate,
            r#"with nearest as (
                   select v.sha256, v.embedding <=> $1::text::halfvec as distance
                   from search_vectors v
                   where $20 = 'index' and v.model = $2
                   order by v.embedding <=> $1::text::halfvec
                   limit $22),
               walked as materialized (
                   select v.sha256, v.embedding <=> $1::text::halfvec as distance
                   from search_vectors v
                   join search_documents d on d.passage_sha256 = v.sha256
                   where $20 = 'walk' and v.model = $2
                     and account_in_scope(d.account_id, $4, $5)
                     and ($6::text is null or d.account_id = $6)
                     and ($7::text is null or d.conversation_id = $7)
                     and ($8::text is null or d.contact_id = $8)
                     and ($9::text is null or d.direction = $9)
                     and ($10::text is null or d.kind = $10)
                     and ($11::timestamptz is null or d.written_at >= $11)
                     and ($12::timestamptz is null or d.written_at < $12)
                     and ($13::text is null or $13 = any(d.brands))
                     and ($14::text is null or $14 = any(d.models))
                     and ($15::text is null or $15 = any(d.refs))
                     and ($16::text is null or d.listing_type = $16)
                     and ($17::float8 is null or d.price >= $17)
                     and ($18::float8 is null or d.price <= $18)
                     and ($19::text is null or d.currency = $19)
                   order by v.embedding <=> $1::text::halfvec
                   limit $21),
               scanned as (
                   select v.sha256, (v.embedding <=> $1::text::halfvec) + 0 as distance
                   from search_documents d
                   join search_vectors v on v.model = $2 and v.sha256 = d.passage_sha256
                   where $20 = 'exact'
                     and account_in_scope(d.account_id, $4, $5)
                     and ($6::text is null or d.account_id = $6)
                     and ($7::text is null or d.conversation_id = $7)
                     and ($8::text is null or d.contact_id = $8)
                     and ($9::text is null or d.direction = $9)
                     and ($10::text is null or d.kind = $10)
                     and ($11::timestamptz is null or d.written_at >= $11)
                     and ($12::timestamptz is null or d.written_at < $12)
                     and ($13::text is null or $13 = any(d.brands))
                     and ($14::text is null or $14 = any(d.models))
                     and ($15::text is null or $15 = any(d.refs))
                     and ($16::text is null or d.listing_type = $16)
                     and ($17::float8 is null or d.price >= $17)
                     and ($18::float8 is null or d.price <= $18)
                     and ($19::text is null or d.currency = $19)
                   order by 2
                   limit $21),
               close as (select * from nearest
                         union all select * from walked
                         union all select * from scanned)
               select d.conversation_id as "conversation_id!", d.message_id as "message_id!",
                      d.account_id as "account_id!", d.contact_id as "contact_id!",
                      d.direction as "direction!", d.kind as "kind!", d.body as "body!",
                      d.written_at as "written_at!", d.brands as "brands!", d.models as "models!",
                      d.refs as "refs!", d.listing_type, d.price, d.currency, d.position as "position!",
                      (d.codes && $3::text[]) as "exact!", (1 - c.distance)::float8 as "score!"
               from close c
               join search_documents d on d.passage_sha256 = c.sha256
               where account_in_scope(d.account_id, $4, $5)
                 and ($6::text is null or d.account_id = $6)
                 and ($7::text is null or d.conversation_id = $7)
                 and ($8::text is null or d.contact_id = $8)
                 and ($9::text is null or d.direction = $9)
                 and ($10::text is null or d.kind = $10)
                 and ($11::timestamptz is null or d.written_at >= $11)
                 and ($12::timestamptz is null or d.written_at < $12)
                 and ($13::text is null or $13 = any(d.brands))
                 and ($14::text is null or $14 = any(d.models))
                 and ($15::text is null or $15 = any(d.refs))
                 and ($16::text is null or d.listing_type = $16)
                 and ($17::float8 is null or d.price >= $17)
                 and ($18::float8 is null or d.price <= $18)
                 and ($19::text is null or d.currency = $19)
               order by c.distance, d.position desc, d.conversation_id, d.message_id
               limit $21"#,
            literal,
            model,
            codes,
            scope.all_but,
            &scope.accounts,
            filters.account,
            filters.conversation,
            filters.contact,
            filters.direction,
            filters.kind,
            filters.since,
            filters.until,
            filters.brand,
            filters.model,
            filters.reference,
            filters.listing_type,
            filters.price_min,
            filters.price_max,
            filters.currency,
            pass,
            limit,
            ef.max(limit),
        )
        .fetch_all(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(found)
}

/// A vector as pgvector's text form, `[0.1,0.2,...]`.
pub fn vector_literal(vector: &[f32]) -> String {
    let mut out = String::with_capacity(vector.len() * 12 + 2);
    out.push('[');
    for (i, x) in vector.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&x.to_string());
    }
    out.push(']');
    out
}

/// Counts of the documents a keyword query ranks (the matches [`keyword`] ranks: the newest
/// [`KEYWORD_RANKED`] when more match), per facet value (`account`, `direction`, `kind`, `type`, `brand`,
/// `model`), at most 20 values per facet, most frequent first.
pub async fn keyword_facets(
    pool: &PgPool,
    words: &str,
    codes: &[String],
    filters: &Filters,
) -> sqlx::Result<Vec<(String, String, i64)>> {
    keyword_facets_within(pool, words, codes, filters, KEYWORD_RANKED).await
}

/// [`keyword_facets`] over at most `ranked` of the newest matches (`i64::MAX`: every match).
pub async fn keyword_facets_within(
    pool: &PgPool,
    words: &str,
    codes: &[String],
    filters: &Filters,
    ranked: i64,
) -> sqlx::Result<Vec<(String, String, i64)>> {
    let scope = Binds::from(&filters.scope);
    let browse = words.trim().is_empty() && codes.is_empty();
    let mut tx = pool.begin().await?;
    sqlx::query("set local plan_cache_mode = force_custom_plan")
        .execute(&mut *tx)
        .await?;
    let rows = sqlx::query!(
        r#"with worded as (
                    (select d.conversation_id, d.message_id, d.account_id, d.direction, d.kind,
                           d.listing_type, d.brands, d.models
                    from search_documents d
                    where ($3 or $7::text is not null or $8::text is not null)
                      and ($3 or d.tsv @@ search_query($1))
                      and account_in_scope(d.account_id, $4, $5)
                      and ($6::text is null or d.account_id = $6)
                      and ($7::text is null or d.conversation_id = $7)
                      and ($8::text is null or d.contact_id = $8)
                      and ($9::text is null or d.direction = $9)
                      and ($10::text is null or d.kind = $10)
                      and ($11::timestamptz is null or d.written_at >= $11)
                      and ($12::timestamptz is null or d.written_at < $12)
                      and ($13::text is null or $13 = any(d.brands))
                      and ($14::text is null or $14 = any(d.models))
                      and ($15::text is null or $15 = any(d.refs))
                      and ($16::text is null or d.listing_type = $16)
                      and ($17::float8 is null or d.price >= $17)
                      and ($18::float8 is null or d.price <= $18)
                      and ($19::text is null or d.currency = $19)
                    order by d.position desc
                    limit $20)
                    union all
                    (select w.conversation_id, w.message_id, w.account_id, w.direction, w.kind,
                            w.listing_type, w.brands, w.models
                    from search_windows((select max(position) from search_documents)) s(win)
                    cross join lateral (
                        select d.* from (
                            select d.* from search_documents d
                            where search_keys(d.tsv, d.codes, d.account_id, d.position)
                                    @@ search_stretch_words(search_query($1), s.win)
                              and search_keys(d.tsv, d.codes, d.account_id, d.position)
                                    @@ search_stretch_scope(s.win, $6, $4, $5)
                              and d.tsv @@ search_query($1)
                            offset 0) d
                        where true
                          and account_in_scope(d.account_id, $4, $5)
                          and ($6::text is null or d.account_id = $6)
                          and ($7::text is null or d.conversation_id = $7)
                          and ($8::text is null or d.contact_id = $8)
                          and ($9::text is null or d.direction = $9)
                          and ($10::text is null or d.kind = $10)
                          and ($11::timestamptz is null or d.written_at >= $11)
                          and ($12::timestamptz is null or d.written_at < $12)
                          and ($13::text is null or $13 = any(d.brands))
                          and ($14::text is null or $14 = any(d.models))
                          and ($15::text is null or $15 = any(d.refs))
                          and ($16::text is null or d.listing_type = $16)
                          and ($17::float8 is null or d.price >= $17)
                          and ($18::float8 is null or d.price <= $18)
                          and ($19::text is null or d.currency = $19)
                        order by d.position desc) w
                    where not $3 and $7::text is null and $8::text is null
                    limit $20)),
                coded as (
                    (select d.conversation_id, d.message_id, d.account_id, d.direction, d.kind,
                           d.listing_type, d.brands, d.models
                    from search_documents d
                    where not $3 and cardinality($2::text[]) > 0 and d.codes && $2::text[]
                      and ($7::text is not null or $8::text is not null)
                      and account_in_scope(d.account_id, $4, $5)
                      and ($6::text is null or d.account_id = $6)
                      and ($7::text is null or d.conversation_id = $7)
                      and ($8::text is null or d.contact_id = $8)
                      and ($9::text is null or d.direction = $9)
                      and ($10::text is null or d.kind = $10)
                      and ($11::timestamptz is null or d.written_at >= $11)
                      and ($12::timestamptz is null or d.written_at < $12)
                      and ($13::text is null or $13 = any(d.brands))
                      and ($14::text is null or $14 = any(d.models))
                      and ($15::text is null or $15 = any(d.refs))
                      and ($16::text is null or d.listing_type = $16)
                      and ($17::float8 is null or d.price >= $17)
                      and ($18::float8 is null or d.price <= $18)
                      and ($19::text is null or d.currency = $19)
                    order by d.position desc
                    limit $20)
                    union all
                    (select w.conversation_id, w.message_id, w.account_id, w.direction, w.kind,
                            w.listing_type, w.brands, w.models
                    from search_windows((select max(position) from search_documents)) s(win)
                    cross join lateral (
                        select d.* from (
                            select d.* from search_documents d
                            where search_keys(d.tsv, d.codes, d.account_id, d.position)
                                    @@ search_stretch_codes($2::text[], s.win)
                              and search_keys(d.tsv, d.codes, d.account_id, d.position)
                                    @@ search_stretch_scope(s.win, $6, $4, $5)
                              and d.codes && $2::text[]
                            offset 0) d
                        where true
                          and account_in_scope(d.account_id, $4, $5)
                          and ($6::text is null or d.account_id = $6)
                          and ($7::text is null or d.conversation_id = $7)
                          and ($8::text is null or d.contact_id = $8)
                          and ($9::text is null or d.direction = $9)
                          and ($10::text is null or d.kind = $10)
                          and ($11::timestamptz is null or d.written_at >= $11)
                          and ($12::timestamptz is null or d.written_at < $12)
                          and ($13::text is null or $13 = any(d.brands))
                          and ($14::text is null or $14 = any(d.models))
                          and ($15::text is null or $15 = any(d.refs))
                          and ($16::text is null or d.listing_type = $16)
                          and ($17::float8 is null or d.price >= $17)
                          and ($18::float8 is null or d.price <= $18)
                          and ($19::text is null or d.currency = $19)
                        order by d.position desc) w
                    where not $3 and cardinality($2::text[]) > 0 and $7::text is null and $8::text is null
                    limit $20)),
                hits as (
                    select * from worded
                    union all
                    select * from coded c
                    where not exists (select 1 from worded w
                                      where w.conversation_id = c.conversation_id
                                        and w.message_id = c.message_id)),
                counted as (
                    select 'account' as facet, account_id as value, count(*) as n from hits group by 2
                    union all select 'direction', direction, count(*) from hits group by 2
                    union all select 'kind', kind, count(*) from hits group by 2
                    union all select 'type', listing_type, count(*) from hits
                              where listing_type is not null group by 2
                    union all select 'brand', b, count(*) from hits, unnest(brands) b group by 2
                    union all select 'model', m, count(*) from hits, unnest(models) m group by 2),
                ranked as (
                    select facet, value, n,
                           row_number() over (partition by facet order by n desc, value) as place
                    from counted)
           select facet as "facet!", value as "value!", n as "n!"
           from ranked where place <= 20
           order by facet, n desc, value"#,
        words,
        codes,
        browse,
        scope.all_but,
        &scope.accounts,
        filters.account,
        filters.conversation,
        filters.contact,
        filters.direction,
        filters.kind,
        filters.since,
        filters.until,
        filters.brand,
        filters.model,
        filters.reference,
        filters.listing_type,
        filters.price_min,
        filters.price_max,
        filters.currency,
        ranked,
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows.into_iter().map(|r| (r.facet, r.value, r.n)).collect())
}

/// Passages (text and its SHA-256) of documents after `position` that have no vector of `model` yet,
/// in log order: what the embedding worker embeds next. Duplicated texts come once.
pub async fn unembedded(
    pool: &PgPool,
    model: &str,
    after_position: i64,
    limit: i64,
) -> sqlx::Result<Vec<(String, String, i64)>> {
    let rows = sqlx::query!(
        r#"select d.passage_sha256 as "sha256!", min(d.body) as "body!", max(d.position) as "position!"
           from (select passage_sha256, body, position from search_documents
                 where position > $2 order by position limit $3) d
           where not exists (select 1 from search_vectors v
                             where v.model = $1 and v.sha256 = d.passage_sha256)
           group by d.passage_sha256
           order by 3"#,
        model,
        after_position,
        limit,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.sha256, r.body, r.position))
        .collect())
}

/// The highest document position among the next `limit` documents after `after_position` (where the
/// worker's cursor moves once it embedded what they lacked), or `None` when there are none.
pub async fn next_position(
    pool: &PgPool,
    after_position: i64,
    limit: i64,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar!(
        r#"select max(position) from (select position from search_documents
                                      where position > $1 order by position limit $2) d"#,
        after_position,
        limit,
    )
    .fetch_one(pool)
    .await
}

/// How many documents have a position in `after..=up_to`.
pub async fn documents_after(pool: &PgPool, after: i64, up_to: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"select count(*) as "n!" from search_documents where position > $1 and position <= $2"#,
        after,
        up_to,
    )
    .fetch_one(pool)
    .await
}

/// Stores vectors of `model` for these passages (an existing one is kept: the same text gives the same
/// vector).
pub async fn store_vectors(
    pool: &PgPool,
    model: &str,
    sha256: &[String],
    vectors: &[Vec<f32>],
) -> sqlx::Result<()> {
    let literals: Vec<String> = vectors.iter().map(|v| vector_literal(v)).collect();
    sqlx::query!(
        r#"insert into search_vectors (model, sha256, embedding)
           select $1, s, v::halfvec from unnest($2::text[], $3::text[]) x(s, v)
           on conflict do nothing"#,
        model,
        sha256,
        &literals,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// The embedding worker's cursor for `model` (0 when it never ran for it).
pub async fn embedder_position(pool: &PgPool, model: &str) -> sqlx::Result<i64> {
    Ok(sqlx::query_scalar!(
        "select position from search_embedder where model = $1",
        model
    )
    .fetch_optional(pool)
    .await?
    .unwrap_or(0))
}

/// Moves the embedding worker's cursor for `model` (never backwards).
pub async fn set_embedder_position(pool: &PgPool, model: &str, position: i64) -> sqlx::Result<()> {
    sqlx::query!(
        r#"insert into search_embedder (model, position) values ($1, $2)
           on conflict (model) do update
           set position = greatest(search_embedder.position, excluded.position), updated_at = now()"#,
        model,
        position,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Documents, and those with a vector of `model`: how far embedding is.
pub async fn coverage(pool: &PgPool, model: &str) -> sqlx::Result<(i64, i64)> {
    let row = sqlx::query!(
        r#"select (select count(*) from search_documents) as "documents!",
                  (select count(*) from search_documents d
                   where exists (select 1 from search_vectors v
                                 where v.model = $1 and v.sha256 = d.passage_sha256)) as "embedded!""#,
        model,
    )
    .fetch_one(pool)
    .await?;
    Ok((row.documents, row.embedded))
}

/// Starts embedding over for `model` (after the model changed, `inbox search reindex`).
pub async fn reset_embedder(pool: &PgPool, model: &str) -> sqlx::Result<()> {
    sqlx::query!("delete from search_embedder where model = $1", model)
        .execute(pool)
        .await?;
    Ok(())
}

/// Deletes the vectors of every model but `model`; how many.
pub async fn prune_vectors(pool: &PgPool, model: &str) -> sqlx::Result<u64> {
    Ok(
        sqlx::query!("delete from search_vectors where model <> $1", model)
            .execute(pool)
            .await?
            .rows_affected(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use actors::testing::TestDatabase;

    fn unfiltered() -> Filters {
        Filters {
            scope: AccountScope::All {
                except: Default::default(),
            },
            account: None,
            conversation: None,
            contact: None,
            direction: None,
            kind: None,
            since: None,
            until: None,
            brand: None,
            model: None,
            reference: None,
            listing_type: None,
            price_min: None,
            price_max: None,
            currency: None,
        }
    }

    async fn document(pool: &PgPool, id: &str, folded: &str, codes: &[&str], position: i64) {
        let codes: Vec<String> = codes.iter().map(|c| c.to_string()).collect();
        sqlx::query(
            "insert into search_documents (conversation_id, message_id, account_id, contact_id,
                 direction, kind, body, folded, codes, passage_sha256, written_at, brands, models,
                 refs, position)
             values ('c1', $1, 'a1', 'k1', 'inbound', 'text', $2, $2, $3, $1, now(), '{}', '{}',
                     '{}', $4)",
        )
        .bind(id)
        .bind(folded)
        .bind(&codes)
        .bind(position)
        .execute(pool)
        .await
        .expect("insert a search document");
    }

    fn ids(found: &KeywordHits) -> Vec<&str> {
        found.hits.iter().map(|c| c.message_id.as_str()).collect()
    }

    #[tokio::test]
    async fn when_more_match_than_are_ranked_the_newest_are_ranked_and_a_reference_still_comes_first(
    ) {
        let db = TestDatabase::create().await;
        let pool = db.pool().await;
        document(
            &pool,
            "m0",
            "vieille montre reference 116610ln",
            &["116610LN"],
            0,
        )
        .await;
        // The oldest match ranks best when every match is ranked.
        document(&pool, "m1", "rolex rolex rolex", &[], 1).await;
        for p in 2..=5 {
            document(&pool, &format!("m{p}"), "une rolex a vendre", &[], p).await;
        }
        let f = unfiltered();

        let all = keyword_within(&pool, "rolex", &[], &f, None, 10, 100)
            .await
            .unwrap();
        assert!(!all.capped);
        assert_eq!(ids(&all)[0], "m1");
        assert_eq!(all.hits.len(), 5);

        let newest = keyword_within(&pool, "rolex", &[], &f, None, 10, 3)
            .await
            .unwrap();
        assert!(newest.capped);
        let mut got = ids(&newest);
        got.sort();
        assert_eq!(got, ["m3", "m4", "m5"]);
        let counted = keyword_facets_within(&pool, "rolex", &[], &f, 3)
            .await
            .unwrap();
        let total: i64 = counted
            .iter()
            .filter(|(facet, _, _)| facet == "direction")
            .map(|(_, _, n)| n)
            .sum();
        assert_eq!(total, 3);

        // A reference older than every ranked match of the words is still found, and first.
        let codes = vec!["116610LN".to_string()];
        let coded = keyword_within(&pool, "rolex", &codes, &f, None, 10, 3)
            .await
            .unwrap();
        assert_eq!(ids(&coded)[0], "m0");
        assert_eq!(coded.hits.len(), 4);
    }

    async fn placed(pool: &PgPool, id: &str, account: &str, folded: &str, position: i64) {
        coded(pool, id, account, folded, &[], position).await;
    }

    async fn coded(
        pool: &PgPool,
        id: &str,
        account: &str,
        folded: &str,
        codes: &[&str],
        position: i64,
    ) {
        sqlx::query(
            "insert into search_documents (conversation_id, message_id, account_id, contact_id,
                 direction, kind, body, folded, codes, passage_sha256, written_at, brands, models,
                 refs, position)
             values ('c-' || $1, $1, $2, 'k1', 'inbound', 'text', $3, $3, $5, $1, now(), '{}',
                     '{}', '{}', $4)",
        )
        .bind(id)
        .bind(account)
        .bind(folded)
        .bind(position)
        .bind(codes)
        .execute(pool)
        .await
        .expect("insert a search document");
    }

    #[tokio::test]
    async fn the_newest_matches_are_found_across_stretches_of_the_log_for_every_number_and_operators_alone_match_nothing(
    ) {
        let db = TestDatabase::create().await;
        let pool = db.pool().await;
        // Positions in stretches of every size the walk reads (2^14, 2^17, 2^20, and several of 2^20
        // past 2^23), and a document of another number between them; the newest is written first.
        let spots = [9_000_000_i64, 1_100_000, 200_000, 40_000, 20_000, 5];
        for (i, position) in spots.iter().enumerate() {
            placed(
                &pool,
                &format!("m{i}"),
                "a1",
                "une rolex a vendre",
                *position,
            )
            .await;
        }
        placed(&pool, "other", "a2", "une rolex a vendre", 1_000_000).await;
        let mut f = unfiltered();

        let newest = keyword_within(&pool, "rolex", &[], &f, None, 10, 3)
            .await
            .unwrap();
        assert!(newest.capped);
        let mut got = ids(&newest);
        got.sort();
        assert_eq!(got, ["m0", "m1", "other"]);

        f.account = Some("a1".into());
        let newest = keyword_within(&pool, "rolex", &[], &f, None, 10, 4)
            .await
            .unwrap();
        let mut got = ids(&newest);
        got.sort();
        assert_eq!(got, ["m0", "m1", "m2", "m3"]);
        let all = keyword_within(&pool, "rolex", &[], &f, None, 10, 100)
            .await
            .unwrap();
        assert!(!all.capped);
        assert_eq!(all.hits.len(), spots.len());

        f.account = None;
        f.scope = AccountScope::Only(["a2".to_string()].into_iter().collect());
        let kept = keyword_within(&pool, "rolex", &[], &f, None, 10, 100)
            .await
            .unwrap();
        assert_eq!(ids(&kept), ["other"]);
        let counted = keyword_facets_within(&pool, "rolex", &[], &f, 100)
            .await
            .unwrap();
        assert_eq!(
            counted
                .iter()
                .filter(|(facet, _, _)| facet == "account")
                .count(),
            1
        );
        f.scope = AccountScope::Only(["a1".to_string(), "a2".to_string()].into_iter().collect());
        let both = keyword_within(&pool, "rolex", &[], &f, None, 10, 100)
            .await
            .unwrap();
        assert_eq!(both.hits.len(), spots.len() + 1);
        f.scope = AccountScope::Only(Default::default());
        let none = keyword_within(&pool, "rolex", &[], &f, None, 10, 100)
            .await
            .unwrap();
        assert!(none.hits.is_empty());

        // Dashes nest negations: an even run cancels out, an odd one negates, and neither overflows.
        let f = unfiltered();
        let cancelled = format!("{}rolex", "- ".repeat(40));
        let found = keyword_within(&pool, &cancelled, &[], &f, None, 10, 100)
            .await
            .unwrap();
        assert_eq!(found.hits.len(), spots.len() + 1);
        let negated = format!("{}rolex", "-".repeat(41));
        let found = keyword_within(&pool, &negated, &[], &f, None, 10, 100)
            .await
            .unwrap();
        assert!(found.hits.is_empty(), "{:?}", ids(&found));

        // Operators alone leave no word: nothing matches, not every document of a stretch.
        for query in ["& | ! : * ( )", "!", "\"'"] {
            let found = keyword_within(&pool, query, &[], &f, None, 10, 100)
                .await
                .unwrap();
            assert!(found.hits.is_empty(), "{query:?} found {:?}", ids(&found));
            let counted = keyword_facets_within(&pool, query, &[], &f, 100)
                .await
                .unwrap();
            assert!(counted.is_empty(), "{query:?} counted {counted:?}");
        }
    }

    #[tokio::test]
    async fn the_newest_holders_of_a_reference_are_found_across_stretches_for_every_number() {
        let db = TestDatabase::create().await;
        let pool = db.pool().await;
        let spots = [9_000_000_i64, 1_100_000, 200_000, 40_000, 20_000, 5];
        for (i, position) in spots.iter().enumerate() {
            coded(
                &pool,
                &format!("m{i}"),
                "a1",
                "une montre",
                &["116610LN"],
                *position,
            )
            .await;
        }
        coded(&pool, "other", "a2", "une montre", &["116610LN"], 1_000_000).await;
        // A token is quoted into the index's query: quotes and backslashes stay text.
        coded(
            &pool,
            "odd",
            "a1",
            "une montre",
            &["A'B\\C", "X Y"],
            300_000,
        )
        .await;
        let reference = vec!["116610LN".to_string()];
        let mut f = unfiltered();

        let newest = keyword_within(&pool, "", &reference, &f, None, 10, 3)
            .await
            .unwrap();
        assert!(newest.capped);
        let mut got = ids(&newest);
        got.sort();
        assert_eq!(got, ["m0", "m1", "other"]);

        f.account = Some("a1".into());
        let newest = keyword_within(&pool, "", &reference, &f, None, 10, 4)
            .await
            .unwrap();
        let mut got = ids(&newest);
        got.sort();
        assert_eq!(got, ["m0", "m1", "m2", "m3"]);
        let all = keyword_within(&pool, "", &reference, &f, None, 10, 100)
            .await
            .unwrap();
        assert_eq!(all.hits.len(), spots.len());

        f.account = None;
        f.scope = AccountScope::Only(["a2".to_string()].into_iter().collect());
        let kept = keyword_within(&pool, "", &reference, &f, None, 10, 100)
            .await
            .unwrap();
        assert_eq!(ids(&kept), ["other"]);
        let counted = keyword_facets_within(&pool, "", &reference, &f, 100)
            .await
            .unwrap();
        assert_eq!(
            counted
                .iter()
                .filter(|(facet, _, _)| facet == "account")
                .collect::<Vec<_>>(),
            [&("account".to_string(), "a2".to_string(), 1)]
        );

        let f = unfiltered();
        for (tokens, expected) in [
            (vec!["A'B\\C"], vec!["odd"]),
            (vec!["X Y"], vec!["odd"]),
            (vec!["A'B"], vec![]),
            (vec!["X"], vec![]),
        ] {
            let tokens: Vec<String> = tokens.iter().map(|t| t.to_string()).collect();
            let found = keyword_within(&pool, "", &tokens, &f, None, 10, 100)
                .await
                .unwrap();
            assert_eq!(ids(&found), expected, "{tokens:?}");
        }

        // A text too rich for keys (over 2,000 words) and a message with over 100 codes get a marker
        // instead, and are still found.
        let rich: Vec<String> = (0..2500).map(|i| format!("mot{i}")).collect();
        placed(
            &pool,
            "rich",
            "a1",
            &format!("{} daytona", rich.join(" ")),
            250_000,
        )
        .await;
        let many: Vec<String> = (0..150).map(|i| format!("REF{i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        coded(&pool, "many", "a1", "une montre", &many, 260_000).await;
        let f = unfiltered();
        let found = keyword_within(&pool, "daytona mot2499", &[], &f, None, 10, 100)
            .await
            .unwrap();
        assert_eq!(ids(&found), ["rich"]);
        let found = keyword_within(&pool, "", &["REF149".to_string()], &f, None, 10, 100)
            .await
            .unwrap();
        assert_eq!(ids(&found), ["many"]);

        // A word or a token over 500 characters has no key (a key holds 2,047 bytes at most), one just
        // under has; both are found, in the newest stretch and in one of 2^20.
        let (longest, long) = ("x".repeat(600), "y".repeat(450));
        let huge = "Z".repeat(600);
        for (id, position) in [("long-new", 8_999_000), ("long-old", 270_000)] {
            coded(
                &pool,
                id,
                "a1",
                &format!("{longest} {long} daytona"),
                &[&huge],
                position,
            )
            .await;
        }
        for (words, codes) in [
            (&longest, vec![]),
            (&long, vec![]),
            (&String::new(), vec![huge]),
        ] {
            let found = keyword_within(&pool, words, &codes, &f, None, 10, 100)
                .await
                .unwrap();
            let mut got = ids(&found);
            got.sort();
            assert_eq!(got, ["long-new", "long-old"], "{}", words.len());
        }

        // A conversation filter reads that conversation's documents, as before.
        let mut f = unfiltered();
        f.conversation = Some("c-m4".into());
        let one = keyword_within(&pool, "", &reference, &f, None, 10, 100)
            .await
            .unwrap();
        assert_eq!(ids(&one), ["m4"]);
    }

    #[tokio::test]
    async fn phrases_and_negations_find_exactly_their_documents_in_every_stretch() {
        let db = TestDatabase::create().await;
        let pool = db.pool().await;
        // Each stretch's words are looked up together, without their order: the query itself decides.
        let texts = [
            (9_000_000_i64, "rolex daytona prix ferme"),
            (1_100_000, "prix de la daytona rolex"),
            (200_000, "daytona seule"),
            (40_000, "rolex daytona bon prix"),
            (20_000, "une montre"),
            (5, "daytona prix"),
        ];
        for (i, (position, text)) in texts.iter().enumerate() {
            placed(&pool, &format!("m{i}"), "a1", text, *position).await;
        }
        let f = unfiltered();
        for (query, expected) in [
            ("\"rolex daytona\"", vec!["m0", "m3"]),
            ("\"daytona prix\"", vec!["m0", "m5"]),
            ("daytona prix", vec!["m0", "m1", "m3", "m5"]),
            ("daytona -prix", vec!["m2"]),
            ("-prix", vec!["m2", "m4"]),
            ("rolex -\"daytona prix\"", vec!["m1", "m3"]),
            (
                "daytona or montre",
                vec!["m0", "m1", "m2", "m3", "m4", "m5"],
            ),
        ] {
            let found = keyword_within(&pool, query, &[], &f, None, 10, 100)
                .await
                .unwrap();
            let mut got = ids(&found);
            got.sort();
            assert_eq!(got, expected, "{query}");
            let counted = keyword_facets_within(&pool, query, &[], &f, 100)
                .await
                .unwrap();
            let documents: i64 = counted
                .iter()
                .filter(|(facet, _, _)| facet == "direction")
                .map(|(_, _, n)| *n)
                .sum();
            assert_eq!(
                documents,
                expected.len() as i64,
                "{query} counted {counted:?}"
            );
        }
    }

    /// A unit vector at `angle` (radians) from the first axis, in the plane of the first two.
    fn toward(angle: f32) -> Vec<f32> {
        let mut v = vec![0f32; 384];
        v[0] = angle.cos();
        v[1] = angle.sin();
        v
    }

    async fn embedded(pool: &PgPool, id: &str, account: &str, vector: &[f32]) {
        sqlx::query(
            "insert into search_documents (conversation_id, message_id, account_id, contact_id,
                 direction, kind, body, folded, codes, passage_sha256, written_at, brands, models,
                 refs, position)
             values ('c-' || $2, $1, $2, 'k1', 'inbound', 'text', $1, $1, '{}', $1, now(), '{}',
                     '{}', '{}', 0)",
        )
        .bind(id)
        .bind(account)
        .execute(pool)
        .await
        .expect("insert a search document");
        sqlx::query(
            "insert into search_vectors (model, sha256, embedding) values ('m', $1, $2::text::halfvec)",
        )
        .bind(id)
        .bind(vector_literal(vector))
        .execute(pool)
        .await
        .expect("insert a vector");
    }

    #[tokio::test]
    async fn a_number_whose_documents_are_all_beyond_the_nearest_still_gets_its_own_nearest_in_order(
    ) {
        let db = TestDatabase::create().await;
        let pool = db.pool().await;
        // Forty documents of a busy number right next to the query, three of a quiet one further away.
        for i in 0..40 {
            embedded(&pool, &format!("busy{i}"), "a1", &toward(0.01 * i as f32)).await;
        }
        for (id, angle) in [("far", 1.2), ("near", 0.8), ("middle", 1.0)] {
            embedded(&pool, id, "a2", &toward(angle)).await;
        }
        let mut f = unfiltered();
        f.account = Some("a2".to_owned());
        // The index is asked for fewer than the busy number has, and nothing is ranked exactly first:
        // with pgvector 0.8 the index scan walks on, before it the exact ranking takes over.
        for iterative in [
            IterativeScan::Off,
            IterativeScan::RelaxedOrder,
            IterativeScan::StrictOrder,
        ] {
            let plan = NearestPlan {
                exact_up_to: 0,
                filtered_ef: 10,
                iterative,
            };
            let found = nearest_planned(&pool, "m", &toward(0.0), &[], &f, 2, plan)
                .await
                .unwrap();
            let got: Vec<&str> = found.iter().map(|c| c.message_id.as_str()).collect();
            assert_eq!(got, ["near", "middle"], "{iterative:?}");
        }
    }

    #[tokio::test]
    async fn a_caller_kept_to_a_quiet_number_gets_its_nearest_without_naming_it() {
        let db = TestDatabase::create().await;
        let pool = db.pool().await;
        // More documents of a busy number right next to the query than the index is asked for.
        let busy = NEAREST as i32 + 100;
        sqlx::query(
            "insert into search_documents (conversation_id, message_id, account_id, contact_id,
                 direction, kind, body, folded, codes, passage_sha256, written_at, brands, models,
                 refs, position)
             select 'c-a1', 'busy' || i, 'a1', 'k1', 'inbound', 'text', 'busy', 'busy', '{}',
                    'busy' || i, now(), '{}', '{}', '{}', 0
             from generate_series(1, $1) i",
        )
        .bind(busy)
        .execute(&pool)
        .await
        .expect("insert the busy number's documents");
        sqlx::query(
            "insert into search_vectors (model, sha256, embedding)
             select 'm', 'busy' || i,
                    ('[' || cos(0.0001 * i) || ',' || sin(0.0001 * i) || repeat(',0', 382) || ']')::halfvec
             from generate_series(1, $1) i",
        )
        .bind(busy)
        .execute(&pool)
        .await
        .expect("insert the busy number's vectors");
        for (id, angle) in [("far", 1.2), ("near", 0.8), ("middle", 1.0)] {
            embedded(&pool, id, "a2", &toward(angle)).await;
        }
        let mut f = unfiltered();
        f.scope = AccountScope::Only(["a2".to_owned()].into());

        let found = nearest(&pool, "m", &toward(0.0), &[], &f, 2).await.unwrap();

        let got: Vec<&str> = found.iter().map(|c| c.message_id.as_str()).collect();
        assert_eq!(got, ["near", "middle"]);
    }
}
