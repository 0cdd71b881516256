//! Rebuilding a projection from the events into fresh tables, then swapping them in.
//!
//! 1. Create schema `rebuild_{name}` with empty copies of the projection's tables (`like ... including
//!    all`: columns, defaults, constraints, indexes).
//! 2. Apply the whole log to them on a connection whose `search_path` puts that schema first, so the
//!    projection's ordinary statements write the copies. The live tables keep serving meanwhile.
//! 3. When caught up, in one transaction: lock the live checkpoint row (the live runner waits between two
//!    batches), apply what arrived since, drop the live tables, move the copies into `public` under the old
//!    index names, and set the checkpoint to the copy's position. Readers wait only for that swap.

use crate::projection::Projection;
use actors::store::EventStore;
use sqlx::postgres::PgPool;
use sqlx::{Connection, Executor, PgConnection};
use std::sync::Arc;
use std::time::{Duration, Instant};

const BATCH: usize = 5000;

/// How a rebuild is going.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub position: u64,
    pub head: u64,
    pub events: u64,
    pub elapsed: Duration,
}

impl Progress {
    pub fn rate(&self) -> f64 {
        self.events as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    pub fn remaining(&self) -> u64 {
        self.head.saturating_sub(self.position)
    }
}

/// Rebuilds one projection; `progress` is called after every batch. Returns the final progress.
pub async fn rebuild(
    pool: &PgPool,
    store: Arc<dyn EventStore>,
    projection: &dyn Projection,
    mut progress: impl FnMut(Progress),
) -> anyhow::Result<Progress> {
    let schema = format!("rebuild_{}", projection.name());
    let mut conn = PgConnection::connect_with(&pool.connect_options()).await?;
    prepare_schema(&mut conn, &schema, projection).await?;
    conn.execute(format!("set search_path = {schema}, public").as_str())
        .await?;

    let started = Instant::now();
    let mut position = 0u64;
    let mut events_applied = 0u64;
    let mut head = last_position(pool).await?;
    loop {
        let events = store.read_all(position, BATCH).await?;
        let Some(last) = events.last().map(|e| e.global_position) else {
            break;
        };
        let mut tx = conn.begin().await?;
        projection.apply(&mut tx, &events).await?;
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
        let events = store.read_all(position, BATCH).await?;
        let Some(last) = events.last().map(|e| e.global_position) else {
            break;
        };
        projection.apply(&mut tx, &events).await?;
        position = last;
        events_applied += events.len() as u64;
    }
    swap_in(&mut tx, &schema, projection).await?;
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

/// The highest position in the log (0 when empty).
pub async fn last_position(pool: &PgPool) -> anyhow::Result<u64> {
    let head =
        sqlx::query_scalar!(r#"select coalesce(max(global_position), 0) as "head!" from events"#)
            .fetch_one(pool)
            .await?;
    Ok(u64::try_from(head).unwrap_or(0))
}

/// A fresh schema with empty copies of the projection's tables. A copy left by an interrupted rebuild is
/// dropped first: a rebuild always starts from the beginning.
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
                "create table {schema}.{name} (like public.{name} including all)",
                name = table.name
            )
            .as_str(),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Replaces the live tables by the copies, keeping the live tables' index names.
async fn swap_in(
    tx: &mut PgConnection,
    schema: &str,
    projection: &dyn Projection,
) -> anyhow::Result<()> {
    for table in projection.tables() {
        let name = table.name;
        // Index definitions without their names, to pair each copy's index with the live one.
        let live: Vec<(String, String)> = sqlx::query_as(
            "select indexname::text, regexp_replace(indexdef, '^.* USING ', '') from pg_indexes \
             where schemaname = 'public' and tablename = $1",
        )
        .bind(name)
        .fetch_all(&mut *tx)
        .await?;
        let copies: Vec<(String, String)> = sqlx::query_as(
            "select indexname::text, regexp_replace(indexdef, '^.* USING ', '') from pg_indexes \
             where schemaname = $1 and tablename = $2",
        )
        .bind(schema)
        .bind(name)
        .fetch_all(&mut *tx)
        .await?;
        tx.execute(format!("lock table public.{name} in access exclusive mode").as_str())
            .await?;
        tx.execute(format!("drop table public.{name}").as_str())
            .await?;
        tx.execute(format!("alter table {schema}.{name} set schema public").as_str())
            .await?;
        for (copy_name, shape) in copies {
            if let Some((live_name, _)) = live.iter().find(|(_, s)| *s == shape) {
                if *live_name != copy_name {
                    tx.execute(
                        format!("alter index public.{copy_name} rename to {live_name}").as_str(),
                    )
                    .await?;
                }
            }
        }
    }
    tx.execute(format!("drop schema {schema}").as_str()).await?;
    Ok(())
}
