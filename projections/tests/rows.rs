//! The read side's contracts with the schema, checked against a migrated database: every view row type
//! has exactly its table's columns, and the SQL account scope says what the Rust one says.

use actors::testing::TestDatabase;
use projections::accounts::{AccountRow, NumberQualityRow};
use projections::contacts::ContactRow;
use projections::inbox::view::{ConversationRow, MessageRow};
use projections::rbac::SnapshotRow;
use projections::rows::{field_names, ViewRow};
use projections::scope::{AccountScope, Binds};
use std::collections::BTreeSet;

/// A row type's table, its fields, and the columns it declares it leaves out.
struct Checked {
    table: &'static str,
    fields: BTreeSet<&'static str>,
    left_out: BTreeSet<&'static str>,
}

fn checked<T: ViewRow>() -> Checked {
    Checked {
        table: T::TABLE.name,
        fields: field_names::<T>().iter().copied().collect(),
        left_out: T::LEFT_OUT.iter().copied().collect(),
    }
}

#[tokio::test]
async fn every_view_row_type_has_exactly_its_tables_columns() {
    let db = TestDatabase::create().await;
    let pool = db.pool().await;
    let rows = [
        checked::<ConversationRow>(),
        checked::<MessageRow>(),
        checked::<ContactRow>(),
        checked::<AccountRow>(),
        checked::<NumberQualityRow>(),
        checked::<SnapshotRow>(),
        checked::<projections::listings::ListingRow>(),
        checked::<projections::search::view::SearchDocument>(),
        checked::<projections::bot::view::SettingsRow>(),
        checked::<projections::bot::view::ConversationRow>(),
        checked::<projections::bot::view::TurnRow>(),
        checked::<projections::bot::view::TranscriptRow>(),
        checked::<projections::bot::view::QaRow>(),
        checked::<projections::workspace::view::TeamRow>(),
        checked::<projections::workspace::view::LabelRow>(),
        checked::<projections::workspace::view::ReplyRow>(),
        checked::<projections::workspace::view::AvailabilityRow>(),
        checked::<projections::reports::view::HoursRow>(),
        checked::<projections::reports::view::ConversationRow>(),
        checked::<projections::reports::view::ResponseRow>(),
        checked::<projections::reports::view::ResolutionRow>(),
        checked::<projections::reports::view::VolumeRow>(),
        checked::<projections::reports::view::BotTurnRow>(),
    ];

    // Every table a projection writes has its row type checked here.
    let written: BTreeSet<&str> = projections::projection::all()
        .iter()
        .flat_map(|p| p.tables().iter().map(|t| t.name))
        .collect();
    let covered: BTreeSet<&str> = rows.iter().map(|r| r.table).collect();
    assert_eq!(covered, written);

    for row in &rows {
        assert!(!row.fields.is_empty(), "{}: no fields found", row.table);
        let columns: BTreeSet<String> = sqlx::query_scalar(
            "select column_name::text from information_schema.columns
             where table_schema = current_schema() and table_name = $1",
        )
        .bind(row.table)
        .fetch_all(&pool)
        .await
        .unwrap()
        .into_iter()
        .collect();
        let columns: BTreeSet<&str> = columns.iter().map(String::as_str).collect();
        let missing: Vec<_> = columns
            .difference(&row.fields)
            .filter(|c| !row.left_out.contains(*c))
            .collect();
        assert!(
            missing.is_empty(),
            "{} has columns its row type neither carries nor declares left out: {missing:?}",
            row.table
        );
        let unknown: Vec<_> = row.fields.difference(&columns).collect();
        assert!(
            unknown.is_empty(),
            "{}'s row type has fields the table has no column for: {unknown:?}",
            row.table
        );
        let both: Vec<_> = row.fields.intersection(&row.left_out).collect();
        assert!(
            both.is_empty(),
            "{}'s row type declares columns left out that it carries: {both:?}",
            row.table
        );
    }
    pool.close().await;
}

#[test]
fn a_row_types_field_names_are_all_its_fields_in_order() {
    // The check above reads the field names from the serde derive: they are the struct's, every one.
    let fields = field_names::<ContactRow>();
    assert_eq!(
        fields,
        [
            "contact_id",
            "wa_id",
            "user_id",
            "name",
            "username",
            "first_seen_at",
            "last_seen_at",
            "position"
        ]
    );
}

#[tokio::test]
async fn the_sql_account_scope_includes_exactly_the_accounts_the_rust_one_does() {
    let db = TestDatabase::create().await;
    let pool = db.pool().await;
    let set = |ids: &[&str]| ids.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    let scopes = [
        AccountScope::All { except: set(&[]) },
        AccountScope::All {
            except: set(&["111"]),
        },
        AccountScope::Only(set(&[])),
        AccountScope::Only(set(&["111", "222"])),
    ];
    for scope in &scopes {
        let binds = Binds::from(scope);
        for account in ["111", "222", "333", ""] {
            let included: bool = sqlx::query_scalar("select account_in_scope($1, $2, $3)")
                .bind(account)
                .bind(binds.all_but)
                .bind(&binds.accounts)
                .fetch_one(&pool)
                .await
                .unwrap();
            assert_eq!(
                included,
                scope.includes(account),
                "{account:?} in {scope:?}"
            );
        }
    }
    pool.close().await;
}

/// The states a message row stores are closed sets in Rust (`text_enum!`) and in SQL (check
/// constraints); both must list the same values, or a state one side knows would be refused by the other.
#[tokio::test]
async fn message_state_columns_accept_exactly_their_enums_values() {
    use actors::conversation::status::{MediaState, MessageStatus, SendState};
    let db = TestDatabase::create().await;
    let pool = db.pool().await;
    let enums: [(&str, Vec<&str>); 3] = [
        (
            "send_state",
            SendState::ALL.iter().map(|s| s.as_str()).collect(),
        ),
        (
            "media_state",
            MediaState::ALL.iter().map(|s| s.as_str()).collect(),
        ),
        (
            "status",
            MessageStatus::ALL.iter().map(|s| s.as_str()).collect(),
        ),
    ];
    for (column, values) in enums {
        let definition: String = sqlx::query_scalar(
            "select pg_get_constraintdef(oid) from pg_constraint
             where conrelid = 'inbox_messages'::regclass and conname = $1",
        )
        .bind(format!("inbox_messages_{column}_check"))
        .fetch_one(&pool)
        .await
        .unwrap_or_else(|e| panic!("no check constraint on inbox_messages.{column}: {e}"));
        // The quoted literals of `CHECK ((column = ANY (ARRAY['a'::text, 'b'::text])))`.
        let allowed: BTreeSet<&str> = definition.split('\'').skip(1).step_by(2).collect();
        let values: BTreeSet<&str> = values.into_iter().collect();
        assert_eq!(allowed, values, "inbox_messages.{column}: {definition}");
    }
}
