//! View rows: each view table's row type ([`ViewRow`], checked against the table), and how the folds
//! write rows back.
//!
//! Rows are read with typed queries (`sqlx::query_as!`, in each view's module and its `queries`). A fold
//! writes the rows it changed in one statement: serialised to JSON (a row type's serde field names are its
//! table's column names), `jsonb_populate_recordset` turns them back into rows of the table's own type, so
//! a type mismatch fails loudly, and a rebuild that points the connection's `search_path` at a shadow
//! schema writes its fresh tables with the same statements. Table and column names come from constants in
//! this crate, never from input.

use serde::de::DeserializeOwned;
use serde::Serialize;
use sqlx::PgConnection;

/// A view table and its primary key.
#[derive(Debug, Clone, Copy)]
pub struct Table {
    pub name: &'static str,
    pub key: &'static [&'static str],
}

/// A row type of a view table: one field per column, named as the column. Queries read it with
/// `sqlx::query_as!` (so a column of another type, or one the query leaves out, fails to compile), and the
/// fold writes it through [`save`]. A test compares [`field_names`] with the table's columns in a migrated
/// database, so a column a migration adds cannot be lost by a row type that does not know it.
pub trait ViewRow: DeserializeOwned {
    /// The table the row is a row of.
    const TABLE: Table;
    /// Columns the row type deliberately does not carry, each with the reason next to it.
    const LEFT_OUT: &'static [&'static str] = &[];
}

/// The field names of a row type, as its `Deserialize` derive declares them (asked of the derive itself,
/// so the list cannot drift from the struct).
pub fn field_names<T: DeserializeOwned>() -> &'static [&'static str] {
    let mut fields = None;
    let _ = T::deserialize(FieldNames(&mut fields));
    fields.unwrap_or(&[])
}

/// A deserializer that only notes the field names a struct asks for, then stops.
struct FieldNames<'a>(&'a mut Option<&'static [&'static str]>);

impl<'de> serde::Deserializer<'de> for FieldNames<'_> {
    type Error = serde::de::value::Error;

    fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(serde::de::Error::custom("not a struct"))
    }

    fn deserialize_struct<V: serde::de::Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = Some(fields);
        Err(serde::de::Error::custom("fields noted"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
        unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
    }
}

/// Replaces the rows with the same keys by `rows` (inserting those that are new), in one upsert: an
/// update in place costs PostgreSQL about half of a delete followed by an insert, and leaves no deleted
/// row behind for every batch that touched a conversation.
pub async fn save<T: Serialize>(
    conn: &mut PgConnection,
    table: Table,
    rows: &[T],
) -> anyhow::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let json = serde_json::to_value(rows)?;
    let upsert = upsert_statement(conn, table).await?;
    sqlx::query(&upsert).bind(&json).execute(&mut *conn).await?;
    Ok(())
}

/// `insert … on conflict (key) do update set` every other column, built once per table from its columns.
async fn upsert_statement(conn: &mut PgConnection, table: Table) -> anyhow::Result<String> {
    static STATEMENTS: std::sync::OnceLock<
        std::sync::Mutex<std::collections::HashMap<&'static str, String>>,
    > = std::sync::OnceLock::new();
    let statements = STATEMENTS.get_or_init(Default::default);
    if let Some(sql) = statements
        .lock()
        .ok()
        .and_then(|m| m.get(table.name).cloned())
    {
        return Ok(sql);
    }
    let columns = columns(conn, table).await?;
    let updates: Vec<String> = columns
        .iter()
        .filter(|c| !table.key.contains(&c.as_str()))
        .map(|c| format!("\"{c}\" = excluded.\"{c}\""))
        .collect();
    let listed = columns
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let on_conflict = match updates.is_empty() {
        true => "do nothing".to_owned(),
        false => format!("do update set {}", updates.join(", ")),
    };
    let sql = format!(
        "insert into {name} ({listed}) select {listed} from jsonb_populate_recordset(null::{name}, $1) \
         on conflict ({key}) {on_conflict}",
        name = table.name,
        key = table.key.join(", "),
    );
    if let Ok(mut m) = statements.lock() {
        m.insert(table.name, sql.clone());
    }
    Ok(sql)
}

/// Deletes the rows with the keys of `probes`.
pub async fn delete(
    conn: &mut PgConnection,
    table: Table,
    probes: &[serde_json::Value],
) -> anyhow::Result<()> {
    if probes.is_empty() {
        return Ok(());
    }
    delete_matching(conn, table, &serde_json::Value::Array(probes.to_vec())).await
}

/// Deletes the rows whose keys match those of the JSON array `rows`.
async fn delete_matching(
    conn: &mut PgConnection,
    table: Table,
    rows: &serde_json::Value,
) -> anyhow::Result<()> {
    let key = table.key.join(", ");
    let delete = format!(
        "delete from {name} t using (select {key} from jsonb_populate_recordset(null::{name}, $1)) r \
         where ({t_key}) = ({r_key})",
        name = table.name,
        t_key = qualified("t", table.key),
        r_key = qualified("r", table.key),
    );
    sqlx::query(&delete).bind(rows).execute(&mut *conn).await?;
    Ok(())
}

fn qualified(alias: &str, columns: &[&str]) -> String {
    columns
        .iter()
        .map(|c| format!("{alias}.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A table's columns in their order, as the connection's `search_path` resolves the table's name; columns
/// the database computes itself (`generated always as`) are not written, so they are not listed.
pub async fn columns(conn: &mut PgConnection, table: Table) -> anyhow::Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "select attname::text from pg_attribute where attrelid = $1::regclass and attnum > 0 \
         and not attisdropped and attgenerated = '' order by attnum",
    )
    .bind(table.name)
    .fetch_all(&mut *conn)
    .await?)
}

/// A row that writes its own CSV fields, by column name (faster than going through JSON: a rebuild
/// writes millions). Writing an unknown column is an error, so a table and its row type cannot drift apart
/// silently.
pub trait CsvRow {
    fn write_field(&self, column: &str, out: &mut CsvWriter) -> anyhow::Result<()>;
}

/// Rows as CSV with the given columns (for [`copy_csv`]).
pub fn csv<T: CsvRow>(rows: &[&T], columns: &[String]) -> anyhow::Result<Vec<u8>> {
    let mut out = CsvWriter(String::with_capacity(rows.len() * 512));
    for row in rows {
        for (i, column) in columns.iter().enumerate() {
            if i > 0 {
                out.0.push(',');
            }
            row.write_field(column, &mut out)?;
        }
        out.0.push('\n');
    }
    Ok(out.0.into_bytes())
}

/// CSV fields: unquoted empty for NULL, everything else quoted (so an empty string stays a string).
pub struct CsvWriter(String);

impl CsvWriter {
    pub fn null(&mut self) {}

    pub fn text(&mut self, s: &str) {
        self.0.push('"');
        if s.contains('"') {
            self.0.push_str(&s.replace('"', "\"\""));
        } else {
            self.0.push_str(s);
        }
        self.0.push('"');
    }

    pub fn opt_text(&mut self, s: Option<&str>) {
        if let Some(s) = s {
            self.text(s);
        }
    }

    pub fn boolean(&mut self, b: bool) {
        self.0.push_str(if b { "t" } else { "f" });
    }

    pub fn int(&mut self, n: i64) {
        self.0.push_str(&n.to_string());
    }

    pub fn time(&mut self, t: chrono::DateTime<chrono::Utc>) {
        self.text(&t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true));
    }

    pub fn opt_time(&mut self, t: Option<chrono::DateTime<chrono::Utc>>) {
        if let Some(t) = t {
            self.time(t);
        }
    }

    /// A `text[]` field, as PostgreSQL's array literal: `{"a","b"}`.
    pub fn text_array(&mut self, items: &[String]) {
        let quoted: Vec<String> = items
            .iter()
            .map(|item| format!("\"{}\"", item.replace('\\', "\\\\").replace('"', "\\\"")))
            .collect();
        self.text(&format!("{{{}}}", quoted.join(",")));
    }

    pub fn json<T: Serialize>(&mut self, value: &T) -> anyhow::Result<()> {
        let text = serde_json::to_string(value)?;
        self.text(&text);
        Ok(())
    }

    pub fn opt_json<T: Serialize>(&mut self, value: Option<&T>) -> anyhow::Result<()> {
        match value {
            Some(v) => self.json(v),
            None => Ok(()),
        }
    }
}

pub fn unknown_column(table: &str, column: &str) -> anyhow::Error {
    anyhow::anyhow!("{table} has a column {column} that its row type does not know")
}

/// Bulk-loads CSV rows (from [`csv`], same columns) with `COPY`: a rebuild's first pass, where every row
/// is new.
pub async fn copy_csv(
    conn: &mut PgConnection,
    table: Table,
    columns: &[String],
    csv: Vec<u8>,
) -> anyhow::Result<()> {
    if csv.is_empty() {
        return Ok(());
    }
    let statement = format!(
        "copy {} ({}) from stdin (format csv)",
        table.name,
        columns.join(", ")
    );
    let mut copy = conn.copy_in_raw(&statement).await?;
    copy.send(csv).await?;
    copy.finish().await?;
    Ok(())
}
