//! Verifying the per-stream hash chains (see `migrations/20261121000002_hash_chain.sql`).
//!
//! The database computes each hash when the event is inserted; this module recomputes every one from the
//! stored values, independently of the database's functions, and reports the first broken link of each
//! stream: an altered event (its hash no longer matches), a removed or reordered one (a version is missing
//! or out of place), or events cut off the end (the stream's version is ahead of its last event).

use sha2::{Digest, Sha256};
use sqlx::postgres::PgPool;
use std::collections::BTreeMap;

const PAGE: i64 = 5000;

/// What is wrong with one stream.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum ChainBreak {
    /// The event's content or position no longer matches its hash (or the previous event's).
    Altered {
        stream_id: String,
        stream_version: u64,
        global_position: u64,
    },
    /// The next event of the stream is not the expected version: an event was removed or moved.
    Missing {
        stream_id: String,
        expected_version: u64,
        found_version: u64,
    },
    /// The stream says it holds more events than are stored: its last events were removed.
    Truncated {
        stream_id: String,
        stream_version: u64,
        last_stored_version: u64,
    },
}

/// The result of a verification run.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ChainReport {
    pub streams: u64,
    pub events: u64,
    pub breaks: Vec<ChainBreak>,
    /// SHA-256 over every verified stream's head (`stream:version:hash` lines in stream order). Kept outside
    /// the database, it shows a later run that no chain was rewritten as a whole.
    pub heads_digest: String,
}

impl ChainReport {
    pub fn intact(&self) -> bool {
        self.breaks.is_empty()
    }
}

#[derive(sqlx::FromRow)]
struct ChainRow {
    global_position: i64,
    event_id: uuid::Uuid,
    stream_id: String,
    stream_version: i64,
    event_type: String,
    schema_version: i32,
    payload: String,
    metadata: String,
    occurred_us: Option<i64>,
    recorded_us: i64,
    hash: Vec<u8>,
}

/// The hash of an event given the previous event's hash, exactly as the database defines it.
fn event_hash(previous: Option<&[u8]>, row: &ChainRow) -> [u8; 32] {
    let fields = [
        row.global_position.to_string(),
        row.event_id.to_string(),
        row.stream_id.clone(),
        row.stream_version.to_string(),
        row.event_type.clone(),
        row.schema_version.to_string(),
        row.payload.clone(),
        row.metadata.clone(),
        row.occurred_us.map(|t| t.to_string()).unwrap_or_default(),
        row.recorded_us.to_string(),
    ];
    let mut hasher = Sha256::new();
    if let Some(previous) = previous {
        hasher.update(previous);
    }
    hasher.update(fields.join("\u{1f}").as_bytes());
    hasher.finalize().into()
}

/// Verifies every stream's chain, or only `stream`'s.
pub async fn verify(pool: &PgPool, stream: Option<&str>) -> anyhow::Result<ChainReport> {
    let mut report = ChainReport::default();
    // Per stream: the next expected version and the previous hash; None once the stream is broken.
    let mut current: Option<(String, u64, Option<Vec<u8>>)> = None;
    let mut broken_stream: Option<String> = None;
    let mut heads: BTreeMap<String, (u64, Vec<u8>)> = BTreeMap::new();
    let mut after = (String::new(), 0i64);
    loop {
        let rows: Vec<ChainRow> = sqlx::query_as(
            "select global_position, event_id, stream_id, stream_version, event_type, schema_version,
                    payload::text as payload, metadata::text as metadata,
                    (extract(epoch from occurred_at) * 1000000)::bigint as occurred_us,
                    (extract(epoch from recorded_at) * 1000000)::bigint as recorded_us, hash
             from events
             where ($1::text is null or stream_id = $1) and (stream_id, stream_version) > ($2, $3)
             order by stream_id, stream_version
             limit $4",
        )
        .bind(stream)
        .bind(&after.0)
        .bind(after.1)
        .bind(PAGE)
        .fetch_all(pool)
        .await?;
        let Some(last) = rows.last() else { break };
        after = (last.stream_id.clone(), last.stream_version);
        for row in rows {
            report.events += 1;
            let version = u64::try_from(row.stream_version).unwrap_or(0);
            if current.as_ref().is_none_or(|(s, _, _)| *s != row.stream_id) {
                report.streams += 1;
                current = Some((row.stream_id.clone(), 1, None));
            }
            if broken_stream.as_deref() == Some(row.stream_id.as_str()) {
                continue;
            }
            let Some((stream_id, expected, previous)) = current.as_mut() else {
                continue;
            };
            if version != *expected {
                report.breaks.push(ChainBreak::Missing {
                    stream_id: stream_id.clone(),
                    expected_version: *expected,
                    found_version: version,
                });
                broken_stream = Some(stream_id.clone());
                continue;
            }
            let computed = event_hash(previous.as_deref(), &row);
            if computed.as_slice() != row.hash.as_slice() {
                report.breaks.push(ChainBreak::Altered {
                    stream_id: stream_id.clone(),
                    stream_version: version,
                    global_position: u64::try_from(row.global_position).unwrap_or(0),
                });
                broken_stream = Some(stream_id.clone());
                continue;
            }
            *expected += 1;
            *previous = Some(row.hash.clone());
            heads.insert(stream_id.clone(), (version, row.hash));
        }
    }

    let versions: Vec<(String, i64)> = sqlx::query_as(
        "select stream_id, version from streams where ($1::text is null or stream_id = $1) and version > 0",
    )
    .bind(stream)
    .fetch_all(pool)
    .await?;
    let broken: Vec<String> = report.breaks.iter().map(stream_of).collect();
    for (stream_id, version) in versions {
        let version = u64::try_from(version).unwrap_or(0);
        let stored = heads.get(&stream_id).map_or(0, |(v, _)| *v);
        if stored < version && !broken.contains(&stream_id) {
            if stored == 0 {
                report.streams += 1;
            }
            report.breaks.push(ChainBreak::Truncated {
                stream_id,
                stream_version: version,
                last_stored_version: stored,
            });
        }
    }

    let mut digest = Sha256::new();
    for (stream_id, (version, hash)) in &heads {
        digest.update(format!("{stream_id}:{version}:{}\n", hex(hash)).as_bytes());
    }
    report.heads_digest = hex(&digest.finalize());
    Ok(report)
}

fn stream_of(b: &ChainBreak) -> String {
    match b {
        ChainBreak::Altered { stream_id, .. }
        | ChainBreak::Missing { stream_id, .. }
        | ChainBreak::Truncated { stream_id, .. } => stream_id.clone(),
    }
}

/// A stored event as the audit trail shows it: its envelope, its payload as stored, and its chain link.
#[derive(Debug, Clone, PartialEq)]
pub struct ChainedEvent {
    /// Its place in the global log.
    pub global_position: i64,
    /// Its id (derived from Meta's id where one exists).
    pub event_id: uuid::Uuid,
    /// Its place in its stream, from 1.
    pub stream_version: i64,
    /// Its wire name.
    pub event_type: String,
    /// The version of its payload's schema.
    pub schema_version: i32,
    /// The payload's stored JSON text, for the caller to read without serde_json's depth limit.
    pub payload: String,
    /// Who or what caused it.
    pub metadata: serde_json::Value,
    /// When it happened, as its source said (Meta's timestamp), if it said.
    pub occurred_at: Option<chrono::DateTime<chrono::Utc>>,
    /// When the store recorded it.
    pub recorded_at: chrono::DateTime<chrono::Utc>,
    /// Its SHA-256 link in the stream's hash chain.
    pub hash: Vec<u8>,
}

/// Up to `limit` events of a stream after `after_version`, in version order, only those recorded until
/// `as_of` when it is given; `None` when the stream does not exist.
pub async fn stream_trail(
    pool: &PgPool,
    stream: &str,
    after_version: i64,
    as_of: Option<chrono::DateTime<chrono::Utc>>,
    limit: i64,
) -> Result<Option<Vec<ChainedEvent>>, sqlx::Error> {
    let exists = sqlx::query_scalar!("select version from streams where stream_id = $1", stream)
        .fetch_optional(pool)
        .await?;
    if exists.is_none() {
        return Ok(None);
    }
    let events = sqlx::query_as!(
        ChainedEvent,
        r#"select global_position, event_id, stream_version, event_type, schema_version,
                  payload::text as "payload!", metadata, occurred_at, recorded_at, hash
           from events
           where stream_id = $1 and stream_version > $2
             and ($3::timestamptz is null or recorded_at <= $3)
           order by stream_version
           limit $4"#,
        stream,
        after_version,
        as_of,
        limit
    )
    .fetch_all(pool)
    .await?;
    Ok(Some(events))
}

/// Lower-case hex, as hashes are shown (reports, the audit API).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
