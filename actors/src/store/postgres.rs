//! PostgreSQL backend (the default). The schema and why readers never skip an event are explained in
//! `migrations/20261121000001_event_store.sql`; an append batch is one call of the `append_events`
//! function (`migrations/20270108000020_append_function.sql`), which decides every request on the server.

use super::{
    validate, AppendError, AppendOutcome, AppendRequest, AppendedEvent, EventStore,
    ExpectedVersion, StoreError,
};
use crate::event::{EventMetadata, NewEvent, RawRecordedEvent, RecordedEvent, StreamId};
use crate::json::{JsonText, StoredJson};
use anyhow::Context;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::{PgListener, PgPool};
use sqlx::types::Json;
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use uuid::Uuid;

/// The channel the `events_notify` trigger notifies on.
const CHANNEL: &str = "inbox_events";
/// How often an append transaction is retried when it lost a race to another node (deadlock, or the same
/// event id appended concurrently).
const RACE_RETRIES: usize = 3;

pub struct PostgresEventStore {
    pool: PgPool,
    head: watch::Sender<u64>,
    listener: JoinHandle<()>,
}

impl PostgresEventStore {
    /// Wraps a pool and starts listening for appends (of this node and every other node).
    pub fn new(pool: PgPool) -> Self {
        let (head, _) = watch::channel(0);
        let listener = tokio::spawn(listen(pool.clone(), head.clone()));
        Self {
            pool,
            head,
            listener,
        }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Reads the events of the streams whose names start with `prefix`, stream by stream in name and
    /// version order, after the stream position `(after_stream, after_version)` and up to global position
    /// `up_to`. A rebuild of a per-stream view folds each stream from this, instead of following the log.
    pub async fn read_streams_in_order(
        &self,
        prefix: &str,
        after: (&str, u64),
        up_to: u64,
        limit: usize,
    ) -> Result<Vec<RawRecordedEvent>, StoreError> {
        let rows = sqlx::query!(
            r#"select global_position, stream_id, stream_version, event_type, schema_version,
                      payload::text as "payload!", occurred_at, recorded_at
               from events
               where (stream_id, stream_version) > ($1, $2) and starts_with(stream_id, $3)
                 and global_position <= $4
               order by stream_id, stream_version
               limit $5"#,
            after.0,
            to_i64(after.1),
            prefix,
            to_i64(up_to),
            to_i64(limit as u64),
        )
        .fetch_all(&self.pool)
        .await
        .context("reading streams in order")
        .map_err(StoreError)?;
        Ok(rows
            .into_iter()
            .map(|r| RawRecordedEvent {
                stream_id: StreamId::new(r.stream_id),
                stream_version: to_u64(r.stream_version),
                global_position: to_u64(r.global_position),
                event_type: r.event_type,
                schema_version: u32::try_from(r.schema_version).unwrap_or(0),
                payload: r.payload,
                occurred_at: r.occurred_at,
                recorded_at: r.recorded_at,
            })
            .collect())
    }

    /// Stops the listener. The pool is closed by its owner.
    pub fn shutdown(&self) {
        self.listener.abort();
    }

    /// Appends the batch with one statement, `append_events` (see its migration), which commits on its
    /// own: the decisions are the server's, so the stream rows stay locked for no round trip.
    async fn try_append(
        &self,
        requests: &[AppendRequest],
    ) -> Result<Vec<Result<AppendOutcome, AppendError>>, sqlx::Error> {
        if requests.is_empty() {
            return Ok(vec![]);
        }
        let batch = Batch::new(requests);
        let row = sqlx::query!(
            r#"select req_ok as "req_ok!", req_version as "req_version!", req_duplicates as "req_duplicates!",
                      ev_version as "ev_version!: Vec<Option<i64>>",
                      ev_position as "ev_position: Vec<Option<i64>>"
               from append_events($1::text[], $2::int[], $3::bigint[], $4::int[], $5::int[], $6::int[],
                                  $7::int[], $8::uuid[], $9::text[], $10::int[], $11::jsonb[], $12::jsonb[],
                                  $13::timestamptz[])"#,
            &batch.stream_names as &[&str],
            &batch.req_stream,
            &batch.req_expected as &[Option<i64>],
            &batch.req_first,
            &batch.req_count,
            &batch.ev_request,
            &batch.ev_previous,
            &batch.rows.ids,
            &batch.rows.types as &[&str],
            &batch.rows.schema_versions,
            &batch.rows.payloads as _,
            &batch.rows.metadata as _,
            &batch.rows.occurred as &[Option<DateTime<Utc>>],
        )
        .fetch_one(&self.pool)
        .await?;
        let positions = row.ev_position.unwrap_or_default();
        let mut results = Vec::with_capacity(requests.len());
        for (r, request) in requests.iter().enumerate() {
            let version = to_u64(row.req_version.get(r).copied().unwrap_or_default());
            if !row.req_ok.get(r).copied().unwrap_or_default() {
                results.push(Err(AppendError::Conflict {
                    stream_id: request.stream_id.clone(),
                    expected: request.expected,
                    actual: version,
                }));
                continue;
            }
            let first = batch.first_event(r);
            let appended = (first..first + request.events.len())
                .filter_map(|i| {
                    let stream_version = row.ev_version.get(i).copied().flatten()?;
                    Some(AppendedEvent {
                        id: batch.rows.ids[i],
                        stream_version: to_u64(stream_version),
                        global_position: to_u64(
                            positions.get(i).copied().flatten().unwrap_or_default(),
                        ),
                    })
                })
                .collect();
            results.push(Ok(AppendOutcome {
                version,
                appended,
                duplicates: usize::try_from(row.req_duplicates.get(r).copied().unwrap_or_default())
                    .unwrap_or_default(),
            }));
        }
        Ok(results)
    }
}

impl Drop for PostgresEventStore {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

#[async_trait]
impl EventStore for PostgresEventStore {
    async fn append_batch(
        &self,
        requests: Vec<AppendRequest>,
    ) -> Vec<Result<AppendOutcome, AppendError>> {
        // Invalid requests are answered without touching the database.
        let mut answers: Vec<Option<Result<AppendOutcome, AppendError>>> =
            Vec::with_capacity(requests.len());
        let mut valid = Vec::with_capacity(requests.len());
        for request in requests {
            match validate(&request) {
                Ok(()) => {
                    answers.push(None);
                    valid.push(request);
                }
                Err(e) => answers.push(Some(Err(e))),
            }
        }
        let started = std::time::Instant::now();
        let mut attempt = 0;
        let outcome = loop {
            attempt += 1;
            match self.try_append(&valid).await {
                Err(e) if attempt < RACE_RETRIES && lost_a_race(&e) => {
                    tracing::debug!(error = %e, attempt, "append lost a race; retrying");
                }
                other => break other,
            }
        };
        record_append_metrics(started.elapsed(), &outcome);
        let mut valid_results: std::vec::IntoIter<Result<AppendOutcome, AppendError>> =
            match outcome {
                Ok(results) => results.into_iter(),
                Err(e) if valid.len() > 1 && refused_by_the_database(&e) => {
                    // One request the database refuses (say, text jsonb cannot hold) must not fail the
                    // others that shared its transaction: each is tried alone.
                    tracing::warn!(error = %e, requests = valid.len(), "batched append refused; appending each request alone");
                    let mut alone = Vec::with_capacity(valid.len());
                    for request in valid {
                        alone.extend(self.append_batch(vec![request]).await);
                    }
                    alone.into_iter()
                }
                Err(e) if is_bad_data(&e) => {
                    // The events themselves are refused (only one request is left here): appending them
                    // again can never work, so this is the caller's input, not an outage.
                    let reason = e
                        .as_database_error()
                        .map_or_else(|| e.to_string(), |d| d.message().to_owned());
                    valid
                        .iter()
                        .map(|r| {
                            Err(AppendError::Invalid {
                                stream_id: r.stream_id.clone(),
                                reason: format!("the event store refused these events: {reason}"),
                            })
                        })
                        .collect::<Vec<_>>()
                        .into_iter()
                }
                Err(e) => {
                    let message = format!("{e:#}");
                    valid
                        .iter()
                        .map(|_| {
                            Err(AppendError::Unavailable(StoreError(anyhow::anyhow!(
                                message.clone()
                            ))))
                        })
                        .collect::<Vec<_>>()
                        .into_iter()
                }
            };
        answers
            .into_iter()
            .map(|answer| {
                answer.unwrap_or_else(|| {
                    valid_results.next().unwrap_or_else(|| {
                        Err(AppendError::Unavailable(StoreError(anyhow::anyhow!(
                            "missing append result"
                        ))))
                    })
                })
            })
            .collect()
    }

    async fn read_stream(
        &self,
        stream_id: &StreamId,
        after_version: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let rows = sqlx::query_as!(
            EventRow,
            r#"select global_position, event_id, stream_id, stream_version, event_type, schema_version,
                      payload::text as "payload!", metadata as "metadata: Json<EventMetadata>", occurred_at, recorded_at
               from events
               where stream_id = $1 and stream_version > $2
               order by stream_version
               limit $3"#,
            stream_id.as_str(),
            to_i64(after_version),
            to_i64(limit as u64),
        )
        .fetch_all(&self.pool)
        .await
        .context("reading a stream")
        .map_err(StoreError)?;
        Ok(rows.into_iter().map(RecordedEvent::from).collect())
    }

    async fn read_all(
        &self,
        after_position: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let rows = sqlx::query_as!(
            EventRow,
            r#"select global_position, event_id, stream_id, stream_version, event_type, schema_version,
                      payload::text as "payload!", metadata as "metadata: Json<EventMetadata>", occurred_at, recorded_at
               from events
               where global_position > $1
               order by global_position
               limit $2"#,
            to_i64(after_position),
            to_i64(limit as u64),
        )
        .fetch_all(&self.pool)
        .await
        .context("reading the global log")
        .map_err(StoreError)?;
        Ok(rows.into_iter().map(RecordedEvent::from).collect())
    }

    async fn stream_version(&self, stream_id: &StreamId) -> Result<u64, StoreError> {
        let version = sqlx::query_scalar!(
            "select version from streams where stream_id = $1",
            stream_id.as_str()
        )
        .fetch_optional(&self.pool)
        .await?;
        Ok(version.map_or(0, to_u64))
    }

    fn head(&self) -> watch::Receiver<u64> {
        self.head.subscribe()
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query_scalar!("select 1 as one")
            .fetch_one(&self.pool)
            .await?;
        Ok(())
    }
}

/// The store boundary's metrics: append latency, events written, failed transactions.
fn record_append_metrics(
    elapsed: Duration,
    outcome: &Result<Vec<Result<AppendOutcome, AppendError>>, sqlx::Error>,
) {
    metrics::histogram!("inbox_event_store_append_seconds").record(elapsed.as_secs_f64());
    match outcome {
        Ok(results) => {
            let written: usize = results.iter().flatten().map(|o| o.appended.len()).sum();
            let conflicts = results
                .iter()
                .filter(|r| matches!(r, Err(AppendError::Conflict { .. })))
                .count();
            metrics::counter!("inbox_event_store_events_written_total").increment(written as u64);
            metrics::counter!("inbox_event_store_conflicts_total").increment(conflicts as u64);
        }
        Err(_) => metrics::counter!("inbox_event_store_append_failures_total").increment(1),
    }
}

/// A batch as the column arrays `append_events` takes (1-based indexes, as SQL arrays are).
struct Batch<'a> {
    stream_names: Vec<&'a str>,
    req_stream: Vec<i32>,
    req_expected: Vec<Option<i64>>,
    req_first: Vec<i32>,
    req_count: Vec<i32>,
    ev_request: Vec<i32>,
    ev_previous: Vec<i32>,
    rows: EventRows<'a>,
}

impl<'a> Batch<'a> {
    fn new(requests: &'a [AppendRequest]) -> Self {
        let events: usize = requests.iter().map(|r| r.events.len()).sum();
        let mut batch = Batch {
            stream_names: Vec::new(),
            req_stream: Vec::with_capacity(requests.len()),
            req_expected: Vec::with_capacity(requests.len()),
            req_first: Vec::with_capacity(requests.len()),
            req_count: Vec::with_capacity(requests.len()),
            ev_request: Vec::with_capacity(events),
            ev_previous: Vec::with_capacity(events),
            rows: EventRows::with_capacity(events),
        };
        let mut streams: HashMap<&str, i32> = HashMap::new();
        let mut last_seen: HashMap<Uuid, i32> = HashMap::with_capacity(events);
        for (r, request) in requests.iter().enumerate() {
            let next = streams.len() as i32 + 1;
            let stream = *streams
                .entry(request.stream_id.as_str())
                .or_insert_with(|| {
                    batch.stream_names.push(request.stream_id.as_str());
                    next
                });
            batch.req_stream.push(stream);
            batch.req_expected.push(match request.expected {
                ExpectedVersion::Any => None,
                ExpectedVersion::NoStream => Some(0),
                ExpectedVersion::Exact(v) => Some(to_i64(v)),
            });
            batch.req_first.push(batch.rows.ids.len() as i32 + 1);
            batch.req_count.push(request.events.len() as i32);
            for event in &request.events {
                let index = batch.rows.ids.len() as i32 + 1;
                batch.ev_request.push(r as i32 + 1);
                batch
                    .ev_previous
                    .push(last_seen.insert(event.id, index).unwrap_or(0));
                batch.rows.push(event);
            }
        }
        batch
    }

    /// The 0-based index of request `r`'s first event.
    fn first_event(&self, r: usize) -> usize {
        usize::try_from(self.req_first[r] - 1).unwrap_or_default()
    }
}

/// Column arrays of the batch's events (borrowed: the JSON is written straight from the events).
struct EventRows<'a> {
    ids: Vec<Uuid>,
    types: Vec<&'a str>,
    schema_versions: Vec<i32>,
    payloads: Vec<Json<&'a JsonText>>,
    metadata: Vec<Json<&'a EventMetadata>>,
    occurred: Vec<Option<DateTime<Utc>>>,
}

impl<'a> EventRows<'a> {
    fn with_capacity(n: usize) -> Self {
        EventRows {
            ids: Vec::with_capacity(n),
            types: Vec::with_capacity(n),
            schema_versions: Vec::with_capacity(n),
            payloads: Vec::with_capacity(n),
            metadata: Vec::with_capacity(n),
            occurred: Vec::with_capacity(n),
        }
    }

    fn push(&mut self, event: &'a NewEvent) {
        self.ids.push(event.id);
        self.types.push(&event.event_type);
        self.schema_versions
            .push(i32::try_from(event.schema_version).unwrap_or(i32::MAX));
        self.payloads.push(Json(&event.payload));
        self.metadata.push(Json(&event.metadata));
        self.occurred.push(event.occurred_at);
    }
}

/// A deadlock, a serialization failure, or the same event id inserted by a concurrent transaction: the
/// whole append can simply run again (it re-reads what is stored).
fn lost_a_race(error: &sqlx::Error) -> bool {
    let Some(db) = error.as_database_error() else {
        return false;
    };
    match db.code().as_deref() {
        Some("40P01") | Some("40001") => true,
        Some("23505") => {
            db.constraint() == Some("events_event_id_key")
                || db.constraint() == Some("streams_pkey")
        }
        _ => false,
    }
}

/// The database answered and refused the statement for what it holds (bad data, a constraint), as opposed
/// to being unreachable or losing a race: appending the same requests again together would fail again.
fn refused_by_the_database(error: &sqlx::Error) -> bool {
    error.as_database_error().is_some() && !lost_a_race(error)
}

/// A data exception (SQLSTATE class 22, e.g. U+0000 in `jsonb` text): the values themselves are refused.
fn is_bad_data(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .and_then(|d| d.code())
        .is_some_and(|code| code.starts_with("22"))
}

/// Follows `NOTIFY inbox_events` and moves the head watch. Reconnects on its own; after a reconnect it
/// wakes every subscriber, since notifications sent meanwhile are lost.
async fn listen(pool: PgPool, head: watch::Sender<u64>) {
    let mut backoff = Duration::from_millis(100);
    loop {
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "event listener cannot connect; retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
                continue;
            }
        };
        if let Err(e) = listener.listen(CHANNEL).await {
            tracing::warn!(error = %e, "event listener cannot LISTEN; retrying");
            tokio::time::sleep(backoff).await;
            continue;
        }
        backoff = Duration::from_millis(100);
        head.send_modify(|_| {});
        loop {
            match listener.try_recv().await {
                Ok(Some(notification)) => {
                    let position = notification.payload().parse::<u64>().unwrap_or(0);
                    head.send_modify(|h| *h = (*h).max(position));
                }
                // The connection was lost and re-established inside the listener: wake everyone.
                Ok(None) => head.send_modify(|_| {}),
                Err(e) => {
                    tracing::warn!(error = %e, "event listener failed; reconnecting");
                    break;
                }
            }
        }
    }
}

struct EventRow {
    global_position: i64,
    event_id: Uuid,
    stream_id: String,
    stream_version: i64,
    event_type: String,
    schema_version: i32,
    /// As text: decoded by its readers, without serde_json's depth limit (see [`crate::json`]).
    payload: String,
    metadata: Json<EventMetadata>,
    occurred_at: Option<DateTime<Utc>>,
    recorded_at: DateTime<Utc>,
}

impl From<EventRow> for RecordedEvent {
    fn from(row: EventRow) -> Self {
        RecordedEvent {
            id: row.event_id,
            stream_id: StreamId::new(row.stream_id),
            stream_version: to_u64(row.stream_version),
            global_position: to_u64(row.global_position),
            event_type: row.event_type,
            schema_version: u32::try_from(row.schema_version).unwrap_or(0),
            payload: StoredJson::from_text(row.payload),
            metadata: row.metadata.0,
            occurred_at: row.occurred_at,
            recorded_at: row.recorded_at,
        }
    }
}

/// Versions and positions are non-negative `bigint`s in the database (checked by constraints).
fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}
