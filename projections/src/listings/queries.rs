//! Every read of `listings`: the fold's own load, the API's filtered pages, statistics and matches. Every
//! read for a caller is narrowed to the accounts in their scope.

use super::{ListingRow, ListingsView};
use crate::query::{contains, probe, Page};
use crate::scope::{AccountScope, Binds};
use actors::listings::ReadingMethod;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};

/// The readings held for these (conversation, message) pairs.
pub async fn readings(
    conn: &mut PgConnection,
    conversations: &[String],
    messages: &[String],
) -> sqlx::Result<ListingsView> {
    let rows = sqlx::query_as!(
        ListingRow,
        r#"select l.conversation_id as "conversation_id!", l.message_id as "message_id!",
                  l.idx as "idx!", l.account_id as "account_id!", l.contact_id as "contact_id!",
                  l.direction as "direction!", l.kind as "kind!", l.language,
                  l.confidence as "confidence!", l.brand, l.model, l.reference, l.price, l.currency,
                  l.currency_implied as "currency_implied!", l.price_type, l.condition, l.has_box,
                  l.papers, l.year, l.size_mm, l.movement, l.spans as "spans!",
                  l.extractor_version as "extractor_version!",
                  l.method as "method!: ReadingMethod", l.read_by, l.written_at as "written_at!",
                  l.position as "position!"
           from unnest($1::text[], $2::text[]) k(conversation_id, message_id)
           cross join lateral (select * from listings l
                               where l.conversation_id = k.conversation_id
                                 and l.message_id = k.message_id offset 0) l
           order by l.idx"#,
        conversations,
        messages,
    )
    .fetch_all(conn)
    .await?;
    let mut view = ListingsView::new();
    for row in rows {
        let reading = view
            .entry((row.conversation_id.clone(), row.message_id.clone()))
            .or_default();
        reading.rank = reading.rank.max((row.extractor_version, row.method));
        if !reading.rows.contains(&row) {
            reading.rows.push(row);
        }
    }
    Ok(view)
}

/// Deletes the rows of these (conversation, message) pairs, before their new reading is written.
pub async fn forget(
    conn: &mut PgConnection,
    conversations: &[String],
    messages: &[String],
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"delete from listings l
           using unnest($1::text[], $2::text[]) k(conversation_id, message_id)
           where l.conversation_id = k.conversation_id and l.message_id = k.message_id"#,
        conversations,
        messages,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Which listings a list shows. Text fields compare without regard to case; a reference also without
/// spaces.
#[derive(Debug, Clone, Default)]
pub struct ListingFilter {
    pub conversation: Option<String>,
    pub account: Option<String>,
    pub brand: Option<String>,
    pub model: Option<String>,
    pub reference: Option<String>,
    /// `sale`, `wanted`, `question`, `trade`, `general`.
    pub kind: Option<String>,
    pub condition: Option<String>,
    pub min_price: Option<f64>,
    pub max_price: Option<f64>,
    pub currency: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Found in the brand, family or reference.
    pub text: Option<String>,
    /// Continue after this listing of the list's order: its (time, conversation, message, place).
    pub after: Option<(DateTime<Utc>, String, String, i32)>,
}

/// A page of listings in `scope`, newest first.
pub async fn list(
    db: impl PgExecutor<'_>,
    filter: &ListingFilter,
    scope: &AccountScope,
    limit: i64,
) -> sqlx::Result<Page<ListingRow>> {
    let scope = Binds::from(scope);
    let pattern = filter.text.as_deref().map(contains);
    let (after_at, after_conversation, after_message, after_idx) = match &filter.after {
        Some((at, c, m, i)) => (Some(*at), Some(c.clone()), Some(m.clone()), Some(*i)),
        None => (None, None, None, None),
    };
    let rows = sqlx::query_as!(
        ListingRow,
        r#"select conversation_id, message_id, idx, account_id, contact_id, direction, kind, language,
                  confidence, brand, model, reference, price, currency, currency_implied, price_type,
                  condition, has_box, papers, year, size_mm, movement, spans, extractor_version,
                  method as "method: ReadingMethod", read_by, written_at, position
           from listings l
           where account_in_scope(l.account_id, $1, $2)
             and ($3::text is null or l.conversation_id = $3)
             and ($4::text is null or l.account_id = $4)
             and ($5::text is null or lower(l.brand) = lower($5))
             and ($6::text is null or lower(l.model) = lower($6))
             and ($7::text is null
                  or upper(replace(l.reference, ' ', '')) = upper(replace($7, ' ', '')))
             and ($8::text is null or l.kind = $8)
             and ($9::text is null or l.condition = $9)
             and ($10::float8 is null or l.price >= $10)
             and ($11::float8 is null or l.price <= $11)
             and ($12::text is null or l.currency = upper($12))
             and ($13::timestamptz is null or l.written_at >= $13)
             and ($14::timestamptz is null or l.written_at < $14)
             and ($15::text is null or l.brand ilike $15 or l.model ilike $15 or l.reference ilike $15)
             and ($16::timestamptz is null
                  or (l.written_at, l.conversation_id, l.message_id, l.idx) < ($16, $17, $18, $19))
           order by l.written_at desc, l.conversation_id desc, l.message_id desc, l.idx desc
           limit $20"#,
        scope.all_but,
        &scope.accounts,
        filter.conversation,
        filter.account,
        filter.brand,
        filter.model,
        filter.reference,
        filter.kind,
        filter.condition,
        filter.min_price,
        filter.max_price,
        filter.currency,
        filter.since,
        filter.until,
        pattern,
        after_at,
        after_conversation,
        after_message,
        after_idx,
        probe(limit),
    )
    .fetch_all(db)
    .await?;
    Ok(Page::of(rows, limit))
}

/// One listing, if it is in `scope`.
pub async fn one(
    db: impl PgExecutor<'_>,
    conversation: &str,
    message: &str,
    idx: i32,
    scope: &AccountScope,
) -> sqlx::Result<Option<ListingRow>> {
    let scope = Binds::from(scope);
    sqlx::query_as!(
        ListingRow,
        r#"select conversation_id, message_id, idx, account_id, contact_id, direction, kind, language,
                  confidence, brand, model, reference, price, currency, currency_implied, price_type,
                  condition, has_box, papers, year, size_mm, movement, spans, extractor_version,
                  method as "method: ReadingMethod", read_by, written_at, position
           from listings l
           where conversation_id = $1 and message_id = $2 and idx = $3
             and account_in_scope(l.account_id, $4, $5)"#,
        conversation,
        message,
        idx,
        scope.all_but,
        &scope.accounts,
    )
    .fetch_optional(db)
    .await
}

/// The listings on the other side of `listing`: for a request (`wanted`), the offers of the same brand and
/// family (and reference, when the request names one) at or under its price in its currency; for an offer
/// (`sale` or `trade`), the requests it answers (no price, or a price at or above the offer's in its
/// currency). Newest first, at most `limit`, within `scope`. Other types match nothing.
pub async fn matches(
    db: impl PgExecutor<'_>,
    listing: &ListingRow,
    scope: &AccountScope,
    limit: i64,
) -> sqlx::Result<Vec<ListingRow>> {
    let wanted = match listing.kind.as_str() {
        "wanted" => true,
        "sale" | "trade" => false,
        _ => return Ok(Vec::new()),
    };
    let (Some(brand), Some(model)) = (&listing.brand, &listing.model) else {
        return Ok(Vec::new());
    };
    let scope = Binds::from(scope);
    sqlx::query_as!(
        ListingRow,
        r#"select conversation_id, message_id, idx, account_id, contact_id, direction, kind, language,
                  confidence, brand, model, reference, price, currency, currency_implied, price_type,
                  condition, has_box, papers, year, size_mm, movement, spans, extractor_version,
                  method as "method: ReadingMethod", read_by, written_at, position
           from listings l
           where account_in_scope(l.account_id, $1, $2)
             and lower(l.brand) = lower($3) and lower(l.model) = lower($4)
             and not (l.conversation_id = $9 and l.message_id = $10)
             and case when $5 then
                   -- offers for a request
                   l.kind in ('sale', 'trade')
                   and ($6::text is null
                        or upper(replace(l.reference, ' ', '')) = upper(replace($6, ' ', '')))
                   and ($7::float8 is null or (l.price is not null and l.price <= $7 and l.currency = $8))
                 else
                   -- requests an offer answers
                   l.kind = 'wanted'
                   and (l.reference is null or $6::text is null
                        or upper(replace(l.reference, ' ', '')) = upper(replace($6, ' ', '')))
                   and (l.price is null or $7::float8 is null or (l.price >= $7 and l.currency = $8))
                 end
           order by l.written_at desc, l.conversation_id desc, l.message_id desc, l.idx desc
           limit $11"#,
        scope.all_but,
        &scope.accounts,
        brand,
        model,
        wanted,
        listing.reference,
        listing.price,
        listing.currency,
        listing.conversation_id,
        listing.message_id,
        limit,
    )
    .fetch_all(db)
    .await
}

/// How many listings, by a name (type, brand), within `scope` and a time range.
#[derive(Debug, Clone, PartialEq)]
pub struct Count {
    pub name: String,
    pub count: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ModelCount {
    pub brand: String,
    pub model: String,
    pub count: i64,
}

/// Asking prices of one family in one currency.
#[derive(Debug, Clone, PartialEq)]
pub struct PriceSpread {
    pub brand: String,
    pub model: String,
    pub currency: String,
    pub count: i64,
    pub q1: f64,
    pub median: f64,
    pub q3: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DayCount {
    pub day: DateTime<Utc>,
    pub kind: String,
    pub count: i64,
}

/// The statistics of the listings in `scope` written within `since..until`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Stats {
    /// Messages by type (a message of several watches counts once).
    pub by_type: Vec<Count>,
    /// Watches by brand, most first (at most 50).
    pub by_brand: Vec<Count>,
    /// Watches by family, most first (at most 100).
    pub by_model: Vec<ModelCount>,
    /// Asking prices (offers) per family and currency.
    pub prices: Vec<PriceSpread>,
    /// Messages per day and type.
    pub per_day: Vec<DayCount>,
}

pub async fn stats(
    conn: &mut PgConnection,
    scope: &AccountScope,
    account: Option<&str>,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> sqlx::Result<Stats> {
    let scope = Binds::from(scope);
    let by_type = sqlx::query_as!(
        Count,
        r#"select kind as "name!", count(distinct (conversation_id, message_id)) as "count!"
           from listings l
           where account_in_scope(l.account_id, $1, $2) and ($3::text is null or l.account_id = $3)
             and l.written_at >= $4 and l.written_at < $5
           group by kind order by 2 desc, 1"#,
        scope.all_but,
        &scope.accounts,
        account,
        since,
        until,
    )
    .fetch_all(&mut *conn)
    .await?;
    let by_brand = sqlx::query_as!(
        Count,
        r#"select brand as "name!", count(*) as "count!"
           from listings l
           where account_in_scope(l.account_id, $1, $2) and ($3::text is null or l.account_id = $3)
             and l.written_at >= $4 and l.written_at < $5 and brand is not null
           group by brand order by 2 desc, 1 limit 50"#,
        scope.all_but,
        &scope.accounts,
        account,
        since,
        until,
    )
    .fetch_all(&mut *conn)
    .await?;
    let by_model = sqlx::query_as!(
        ModelCount,
        r#"select brand as "brand!", model as "model!", count(*) as "count!"
           from listings l
           where account_in_scope(l.account_id, $1, $2) and ($3::text is null or l.account_id = $3)
             and l.written_at >= $4 and l.written_at < $5 and brand is not null and model is not null
           group by brand, model order by 3 desc, 1, 2 limit 100"#,
        scope.all_but,
        &scope.accounts,
        account,
        since,
        until,
    )
    .fetch_all(&mut *conn)
    .await?;
    let prices = sqlx::query_as!(
        PriceSpread,
        r#"select brand as "brand!", model as "model!", currency as "currency!", count(*) as "count!",
                  percentile_cont(0.25) within group (order by price) as "q1!",
                  percentile_cont(0.5) within group (order by price) as "median!",
                  percentile_cont(0.75) within group (order by price) as "q3!"
           from listings l
           where account_in_scope(l.account_id, $1, $2) and ($3::text is null or l.account_id = $3)
             and l.written_at >= $4 and l.written_at < $5 and kind = 'sale'
             and brand is not null and model is not null and price is not null and currency is not null
           group by brand, model, currency order by 4 desc, 1, 2, 3 limit 100"#,
        scope.all_but,
        &scope.accounts,
        account,
        since,
        until,
    )
    .fetch_all(&mut *conn)
    .await?;
    let per_day = sqlx::query_as!(
        DayCount,
        r#"select date_trunc('day', written_at, 'UTC') as "day!", kind as "kind!",
                  count(distinct (conversation_id, message_id)) as "count!"
           from listings l
           where account_in_scope(l.account_id, $1, $2) and ($3::text is null or l.account_id = $3)
             and l.written_at >= $4 and l.written_at < $5
           group by 1, 2 order by 1, 2"#,
        scope.all_but,
        &scope.accounts,
        account,
        since,
        until,
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(Stats {
        by_type,
        by_brand,
        by_model,
        prices,
        per_day,
    })
}

/// A message the rules read with low confidence, with its words, for a model to read again.
#[derive(Debug, Clone, PartialEq)]
pub struct Unsure {
    pub conversation_id: String,
    pub message_id: String,
    pub direction: String,
    pub written_at: DateTime<Utc>,
    pub extractor_version: i32,
    pub text: String,
}

/// Messages written since `since` whose reading is the rules' with a confidence under `below`, newest
/// first, at most `limit`, leaving out `skip` (`conversation_id` and `message_id` joined by a space:
/// the ones this node tried lately). Their words are the inbox's (after edits; none once revoked).
pub async fn unsure(
    db: impl PgExecutor<'_>,
    below: f32,
    since: DateTime<Utc>,
    skip: &[String],
    limit: i64,
) -> sqlx::Result<Vec<Unsure>> {
    sqlx::query_as!(
        Unsure,
        r#"select l.conversation_id, l.message_id, l.direction, l.written_at, l.extractor_version,
                  m.body as "text!"
           from listings l
           join inbox_messages m
             on m.conversation_id = l.conversation_id and m.message_id = l.message_id
           where l.idx = 0 and l.method = 'rules' and l.confidence < $1 and l.written_at >= $2
             and m.body is not null and m.body <> '' and m.revoked_at is null
             and not (l.conversation_id || ' ' || l.message_id = any($3))
           order by l.written_at desc
           limit $4"#,
        below,
        since,
        skip,
        limit,
    )
    .fetch_all(db)
    .await
}
