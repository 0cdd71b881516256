//! Rebuilding a projection from the events into fresh tables, then swapping them in.
//!
//! 1. Create schema `rebuild_{name}` with empty copies of the projection's tables (columns, defaults and
//!    checks; no indexes yet, so the bulk load is not slowed down by them).
//! 2. Projections whose rows each belong to one stream (the inbox) first fold every stream up to the
//!    current head, stream by stream, and `COPY` the rows in; a reader task fetches the next page while the
//!    previous one is folded and loaded. Then the tables get the live tables' indexes, under the same names.
//! 3. Apply the log (from the head of step 2, or from the start for other projections) on a connection
//!    whose `search_path` puts the schema first, so the projection's ordinary statements write the copies.
//!    The live tables keep serving meanwhile.
//! 4. When caught up, in one transaction: lock the live checkpoint row (the live runner waits between two
//!    batches), apply what arrived since, drop the live tables, move the copies into `public`, and set the
//!    checkpoint to the copy's position. Readers wait only for that swap.

use crate::projection::Projection;
use crate::rows;
use crate::runner::{apply_setting_aside, record_quarantined, Quarantined};
use crate::typed::typed;
use actors::event::{DecodeError, RawRecordedEvent};
use actors::store::{EventStore, PostgresEventStore};
use sqlx::postgres::PgPool;
use sqlx::{Connection, Executor, PgConnection};
use std::sync::Arc;
use std::time::{Duration, Instant};

const BATCH: usize = 5000;
/// Events per page when folding whole streams.
const STREAM_PAGE: usize = 20_000;

/// How a rebuild is going.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    /// The global position applied (during the stream-by-stream pass: the head it runs up to).
    pub position: u64,
    pub head: u64,
    pub events: u64,
    pub elapsed: Duration,
}

impl Progress {
    pub fn rate(&self) -> f64 {
        self.events as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Events still to apply (an estimate during the stream-by-stream pass).
    pub fn remaining(&self) -> u64 {
        self.head.saturating_sub(self.position.max(self.events))
    }
}

/// Rebuilds one projection; `progress` is called after every batch. Returns the final progress.
pub async fn rebuild(
    pool: &PgPool,
    store: Arc<PostgresEventStore>,
    projection: &dyn Projection,
    mut progress: impl FnMut(Progress),
) -> anyhow::Result<Progress> {
    let schema = format!("rebuild_{}", projection.name());
    let mut conn = PgConnection::connect_with(&quiet(pool)).await?;
    prepare_schema(&mut conn, &schema, projection).await?;
    conn.execute(format!("set search_path = {schema}, public").as_str())
        .await?;

    let started = Instant::now();
    // The quarantine list starts anew: what this rebuild cannot decode is recorded again below.
    let rebuild_began = sqlx::query_scalar!(r#"select now() as "now!""#)
        .fetch_one(&mut conn)
        .await?;
    let mut set_aside = Vec::new();
    let mut head = last_position(pool).await?;
    let mut position = 0u64;
    let mut events_applied = 0u64;
    if let Some(prefix) = projection.stream_prefix() {
        let report = |events| {
            progress(Progress {
                position: 0,
                head,
                events,
                elapsed: started.elapsed(),
            })
        };
        events_applied = load_streams(
            &mut conn,
            pool,
            &schema,
            &store,
            projection,
            prefix,
            head,
            report,
            &mut set_aside,
        )
        .await?;
        position = head;
    }
    let indexing = Instant::now();
    add_indexes(&mut conn, &schema, projection).await?;
    tracing::debug!(ms = indexing.elapsed().as_millis() as u64, "indexes built");

    let store: Arc<dyn EventStore> = store;
    loop {
        let events = typed(store.read_all(position, BATCH).await?);
        let Some(last) = events.last().map(|e| e.global_position) else {
            break;
        };
        let mut tx = conn.begin().await?;
        apply_setting_aside(&mut tx, projection, &events).await?;
        tx.commit().await?;
        position = last;
        events_applied += events.len() as u64;
        head = head.max(position);
        progress(Progress {
            position,
            head,
            events: events_applied,
            elapsed: started.elapsed(),
        });
        if events.len() < BATCH {
            head = last_position(pool).await?.max(position);
            if head.saturating_sub(position) < BATCH as u64 {
                break;
            }
        }
    }

    let mut tx = conn.begin().await?;
    sqlx::query!(
        "insert into projection_checkpoints (name) values ($1) on conflict do nothing",
        projection.name()
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "select position from projection_checkpoints where name = $1 for update",
        projection.name()
    )
    .fetch_one(&mut *tx)
    .await?;
    loop {
        let events = typed(store.read_all(position, BATCH).await?);
        let Some(last) = events.last().map(|e| e.global_position) else {
            break;
        };
        apply_setting_aside(&mut tx, projection, &events).await?;
        position = last;
        events_applied += events.len() as u64;
    }
    swap_in(&mut tx, &schema, projection).await?;
    sqlx::query!(
        "delete from projection_quarantine where projection = $1 and quarantined_at < $2",
        projection.name(),
        rebuild_began
    )
    .execute(&mut *tx)
    .await?;
    record_quarantined(&mut tx, &set_aside).await?;
    sqlx::query!(
        "update projection_checkpoints set position = $2, updated_at = now() where name = $1",
        projection.name(),
        i64::try_from(position)?
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    let _ = conn.close().await;
    let done = Progress {
        position,
        head: head.max(position),
        events: events_applied,
        elapsed: started.elapsed(),
    };
    progress(done);
    Ok(done)
}

/// Folds every stream with `prefix` up to `head`, page by page; a page's last stream, possibly cut off by
/// the page end, is carried over to the next page. Three stages overlap: a task reads the next page, this
/// task folds, and another task (on a second connection) copies the previous page's rows in. Returns the
/// number of events folded.
#[expect(
    clippy::too_many_arguments,
    reason = "the three overlapping stages need each of these; a struct would only rename them"
)]
async fn load_streams(
    conn: &mut PgConnection,
    pool: &PgPool,
    schema: &str,
    store: &Arc<PostgresEventStore>,
    projection: &dyn Projection,
    prefix: &'static str,
    head: u64,
    mut progress: impl FnMut(u64),
    set_aside: &mut Vec<Quarantined>,
) -> anyhow::Result<u64> {
    let (pages, mut receive) =
        tokio::sync::mpsc::channel::<anyhow::Result<Vec<RawRecordedEvent>>>(2);
    let reader_store = store.clone();
    let reader = tokio::spawn(async move {
        let mut after = (String::new(), 0u64);
        loop {
            let page = reader_store
                .read_streams_in_order(prefix, (&after.0, after.1), head, STREAM_PAGE)
                .await
                .map_err(|e| e.0);
            let done = match &page {
                Ok(events) => match events.last() {
                    Some(last) => {
                        after = (last.stream_id.as_str().to_owned(), last.stream_version);
                        events.len() < STREAM_PAGE
                    }
                    None => true,
                },
                Err(_) => true,
            };
            if pages.send(page).await.is_err() || done {
                return;
            }
        }
    });

    let tables = projection.tables();
    let mut columns = Vec::with_capacity(tables.len());
    for table in tables {
        columns.push(rows::columns(conn, *table).await?);
    }
    let mut copier_conn = PgConnection::connect_with(&quiet(pool)).await?;
    copier_conn
        .execute(format!("set search_path = {schema}, public").as_str())
        .await?;
    let (to_copy, mut copies) = tokio::sync::mpsc::channel::<Vec<Vec<u8>>>(2);
    let copier_columns = columns.clone();
    let copier = tokio::spawn(async move {
        while let Some(csvs) = copies.recv().await {
            for ((table, columns), csv) in tables.iter().zip(&copier_columns).zip(csvs) {
                rows::copy_csv(&mut copier_conn, *table, columns, csv).await?;
            }
        }
        let _ = copier_conn.close().await;
        anyhow::Ok(())
    });

    let mut carried: Vec<RawRecordedEvent> = Vec::new();
    let mut folded = 0u64;
    let mut failed = None;
    let (mut folding, mut waiting) = (Duration::ZERO, Duration::ZERO);
    let mut waited = Instant::now();
    while let Some(page) = receive.recv().await {
        waiting += waited.elapsed();
        let page = match page {
            Ok(page) => page,
            Err(e) => {
                failed = Some(e);
                break;
            }
        };
        let last_page = page.len() < STREAM_PAGE;
        carried.extend(page);
        let complete = if last_page {
            std::mem::take(&mut carried)
        } else {
            // Keep the last stream back: its remaining events may be on the next page.
            let last_stream = carried.last().map(|e| e.stream_id.clone());
            let cut = carried
                .iter()
                .rposition(|e| Some(&e.stream_id) != last_stream.as_ref())
                .map_or(0, |i| i + 1);
            let rest = carried.split_off(cut);
            std::mem::replace(&mut carried, rest)
        };
        if !complete.is_empty() {
            let fold_started = Instant::now();
            let (csvs, csvs_events) =
                match fold_setting_aside(projection, complete, &columns, set_aside) {
                    Ok(folded) => folded,
                    Err(e) => {
                        failed = Some(e);
                        break;
                    }
                };
            folding += fold_started.elapsed();
            let sending = Instant::now();
            if to_copy.send(csvs).await.is_err() {
                break;
            }
            waiting += sending.elapsed();
            folded += csvs_events;
            progress(folded);
        }
        if last_page {
            break;
        }
        waited = Instant::now();
    }
    tracing::debug!(
        folding_ms = folding.as_millis() as u64,
        waiting_ms = waiting.as_millis() as u64,
        "streams folded"
    );
    if failed.is_none() && !carried.is_empty() {
        let events = std::mem::take(&mut carried);
        match fold_setting_aside(projection, events, &columns, set_aside) {
            Ok((csvs, count)) => {
                let _ = to_copy.send(csvs).await;
                folded += count;
            }
            Err(e) => failed = Some(e),
        }
    }
    drop(to_copy);
    drop(receive);
    let copied = copier.await?;
    reader.await?;
    if let Some(e) = failed {
        return Err(e);
    }
    copied?;
    Ok(folded)
}

/// Folds whole streams; an event the projection cannot decode is set aside (as the runner does) and the
/// rest folded again. Returns the rows and how many events were folded.
fn fold_setting_aside(
    projection: &dyn Projection,
    mut events: Vec<RawRecordedEvent>,
    columns: &[Vec<String>],
    set_aside: &mut Vec<Quarantined>,
) -> anyhow::Result<(Vec<Vec<u8>>, u64)> {
    loop {
        let error = match projection.fold_streams(&events, columns) {
            Ok(csvs) => return Ok((csvs, events.len() as u64)),
            Err(e) => e,
        };
        let poison = DecodeError::find(&error).and_then(|d| {
            events
                .iter()
                .position(|e| e.global_position == d.global_position)
        });
        let Some(index) = poison else {
            return Err(error);
        };
        let event = events.remove(index);
        tracing::error!(position = event.global_position, stream = %event.stream_id, error = %error, "event cannot be decoded; set aside");
        set_aside.push(Quarantined {
            projection: projection.name().to_owned(),
            global_position: event.global_position,
            event_id: None,
            stream_id: event.stream_id.to_string(),
            event_type: event.event_type,
            schema_version: event.schema_version,
            error: format!("{error:#}"),
            quarantined_at: None,
        });
    }
}

/// Connection options for bulk work: index builds and large copies are slow by design, not worth a
/// warning each.
fn quiet(pool: &PgPool) -> sqlx::postgres::PgConnectOptions {
    use sqlx::ConnectOptions;
    (*pool.connect_options())
        .clone()
        .log_slow_statements(tracing::log::LevelFilter::Debug, Duration::from_secs(1))
}

/// The highest position in the log (0 when empty).
pub async fn last_position(pool: &PgPool) -> anyhow::Result<u64> {
    let head =
        sqlx::query_scalar!(r#"select coalesce(max(global_position), 0) as "head!" from events"#)
            .fetch_one(pool)
            .await?;
    Ok(u64::try_from(head).unwrap_or(0))
}

/// A fresh schema with empty copies of the projection's tables (without indexes). A copy left by an
/// interrupted rebuild is dropped first: a rebuild always starts from the beginning.
async fn prepare_schema(
    conn: &mut PgConnection,
    schema: &str,
    projection: &dyn Projection,
) -> anyhow::Result<()> {
    let mut tx = conn.begin().await?;
    tx.execute(format!("drop schema if exists {schema} cascade").as_str())
        .await?;
    tx.execute(format!("create schema {schema}").as_str())
        .await?;
    for table in projection.tables() {
        tx.execute(
            format!(
                "create table {schema}.{name} (like public.{name} including defaults \
                 including constraints including generated including identity)",
                name = table.name
            )
            .as_str(),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Gives the copies the live tables' primary keys and indexes, under the same names (names are per
/// schema, so they do not clash until the swap, which drops the live tables first).
async fn add_indexes(
    conn: &mut PgConnection,
    schema: &str,
    projection: &dyn Projection,
) -> anyhow::Result<()> {
    for table in projection.tables() {
        let name = table.name;
        let constraints: Vec<(String, String)> = sqlx::query_as(
            "select conname::text, pg_get_constraintdef(oid) from pg_constraint \
             where conrelid = format('public.%I', $1::text)::regclass and contype in ('p', 'u')",
        )
        .bind(name)
        .fetch_all(&mut *conn)
        .await?;
        for (constraint, definition) in constraints {
            conn.execute(
                format!("alter table {schema}.{name} add constraint {constraint} {definition}")
                    .as_str(),
            )
            .await?;
        }
        let indexes: Vec<String> = sqlx::query_scalar(
            "select indexdef from pg_indexes i where schemaname = 'public' and tablename = $1 \
             and not exists (select 1 from pg_constraint c \
                             where c.conindid = format('public.%I', i.indexname)::regclass)",
        )
        .bind(name)
        .fetch_all(&mut *conn)
        .await?;
        for definition in indexes {
            let local = definition.replacen(
                &format!(" ON public.{name} "),
                &format!(" ON {schema}.{name} "),
                1,
            );
            anyhow::ensure!(
                local != definition,
                "unexpected index definition: {definition}"
            );
            conn.execute(local.as_str()).await?;
        }
        conn.execute(format!("analyze {schema}.{name}").as_str())
            .await?;
    }
    Ok(())
}

/// Replaces the live tables by the copies.
async fn swap_in(
    tx: &mut PgConnection,
    schema: &str,
    projection: &dyn Projection,
) -> anyhow::Result<()> {
    for table in projection.tables() {
        let name = table.name;
        tx.execute(format!("lock table public.{name} in access exclusive mode").as_str())
            .await?;
        tx.execute(format!("drop table public.{name}").as_str())
            .await?;
        tx.execute(format!("alter table {schema}.{name} set schema public").as_str())
            .await?;
    }
    tx.execute(format!("drop schema {schema}").as_str()).await?;
    Ok(())
}
