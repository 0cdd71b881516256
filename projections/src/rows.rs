//! Reading and writing view rows as JSON, so every projection's rows travel through one well-tested path.
//!
//! A row type's serde field names are its table's column names. `jsonb_populate_recordset` turns the JSON
//! back into rows of the table's own type, so a type mismatch fails loudly, and a rebuild that points the
//! connection's `search_path` at a shadow schema writes its fresh tables with the same statements. Table
//! and column names come from constants in this crate, never from input.

use serde::de::DeserializeOwned;
use serde::Serialize;
use sqlx::PgConnection;

/// A view table and its primary key.
#[derive(Debug, Clone, Copy)]
pub struct Table {
    pub name: &'static str,
    pub key: &'static [&'static str],
}

/// Loads the rows whose keys match those of `probes` (rows of which only the key fields matter).
pub async fn load<T: DeserializeOwned>(
    conn: &mut PgConnection,
    table: Table,
    probes: &[serde_json::Value],
) -> anyhow::Result<Vec<T>> {
    if probes.is_empty() {
        return Ok(Vec::new());
    }
    let key = table.key.join(", ");
    let sql = format!(
        "select to_jsonb(t) from {name} t \
         join (select distinct {key} from jsonb_populate_recordset(null::{name}, $1)) k using ({key})",
        name = table.name
    );
    let rows: Vec<serde_json::Value> = sqlx::query_scalar(&sql)
        .bind(serde_json::Value::Array(probes.to_vec()))
        .fetch_all(&mut *conn)
        .await?;
    rows.into_iter()
        .map(|r| serde_json::from_value(r).map_err(anyhow::Error::from))
        .collect()
}

/// Replaces the rows with the same keys by `rows` (inserting those that are new).
pub async fn save<T: Serialize>(
    conn: &mut PgConnection,
    table: Table,
    rows: &[T],
) -> anyhow::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let json = serde_json::to_value(rows)?;
    let key = table.key.join(", ");
    let delete = format!(
        "delete from {name} t using (select {key} from jsonb_populate_recordset(null::{name}, $1)) r \
         where ({t_key}) = ({r_key})",
        name = table.name,
        t_key = qualified("t", table.key),
        r_key = qualified("r", table.key),
    );
    sqlx::query(&delete).bind(&json).execute(&mut *conn).await?;
    let insert = format!(
        "insert into {name} select * from jsonb_populate_recordset(null::{name}, $1)",
        name = table.name
    );
    sqlx::query(&insert).bind(&json).execute(&mut *conn).await?;
    Ok(())
}

/// Every row of a table, in key order (tests and rebuild comparisons).
pub async fn all<T: DeserializeOwned>(
    conn: &mut PgConnection,
    table: Table,
) -> anyhow::Result<Vec<T>> {
    let sql = format!(
        "select to_jsonb(t) from {name} t order by {key}",
        name = table.name,
        key = table.key.join(", ")
    );
    let rows: Vec<serde_json::Value> = sqlx::query_scalar(&sql).fetch_all(&mut *conn).await?;
    rows.into_iter()
        .map(|r| serde_json::from_value(r).map_err(anyhow::Error::from))
        .collect()
}

fn qualified(alias: &str, columns: &[&str]) -> String {
    columns
        .iter()
        .map(|c| format!("{alias}.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}
