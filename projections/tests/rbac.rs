//! The RBAC view against a real PostgreSQL: what the API reads back is what the identity aggregate holds,
//! and the row type has exactly the table's columns.

use actors::aggregate::Aggregate;
use actors::event::{DomainEvent, EventMetadata};
use actors::identity::aggregate::stream;
use actors::identity::{Identity, IdentityEvent, IdentityFact};
use actors::store::{EventStore, ExpectedVersion, PostgresEventStore};
use actors::testing::TestDatabase;
use projections::projection::Projection;
use projections::rbac::{queries, RbacProjection, SNAPSHOT};
use projections::rows;
use std::collections::BTreeSet;

fn at(seconds: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(1_800_000_000 + seconds, 0).unwrap()
}

fn register(id: &str, seconds: i64) -> IdentityEvent {
    IdentityEvent::UserRegistered {
        user_id: id.into(),
        email: format!("{id}@example.com"),
        name: None,
        external_subject: None,
        at: at(seconds),
        by: None,
    }
}

fn replace(id: &str, roles: &[(&str, Option<&str>)], seconds: i64) -> IdentityFact {
    IdentityFact::ReplaceRoles {
        user_id: id.into(),
        roles: roles
            .iter()
            .map(|(r, a)| (r.to_string(), a.map(str::to_owned)))
            .collect::<BTreeSet<_>>(),
        at: at(seconds),
        by: Some("root".into()),
    }
}

#[tokio::test]
async fn the_snapshot_read_back_is_the_aggregates_state_and_its_row_has_the_tables_columns() {
    let db = TestDatabase::create().await;
    let pool = db.pool().await;
    let store = PostgresEventStore::new(pool.clone());
    let facts = [
        IdentityFact::Setup(register("root", 0)),
        IdentityFact::Change(register("ann", 1)),
        replace("ann", &[("agent", None)], 2),
        replace("ann", &[("viewer", None), ("supervisor", Some("111"))], 3),
    ];
    let mut identity = Identity::default();
    let mut decided = Vec::new();
    for fact in &facts {
        identity.check(fact).expect("the fact is accepted");
        for event in identity.decide(fact) {
            identity.apply(&event);
            decided.push(event.to_new_event(&EventMetadata::system("test")));
        }
    }
    store
        .append(stream(), ExpectedVersion::NoStream, decided)
        .await
        .unwrap();
    let recorded = projections::typed::typed(store.read_all(0, 1000).await.unwrap());
    let last = recorded.last().unwrap().global_position as i64;

    let mut conn = pool.acquire().await.unwrap();
    assert!(queries::snapshot_after(&mut *conn, 0)
        .await
        .unwrap()
        .is_none());
    // Folded in two batches, as the runner may deliver them.
    let (early, late) = recorded.split_at(recorded.len() - 2);
    RbacProjection.apply(&mut conn, early).await.unwrap();
    RbacProjection.apply(&mut conn, late).await.unwrap();

    let row = queries::snapshot_after(&mut *conn, 0)
        .await
        .unwrap()
        .expect("the snapshot moved past 0");
    assert_eq!(row.snapshot.0, *identity.access());
    assert_eq!(row.position, last);
    assert_eq!(
        row.snapshot.users["ann"].roles,
        [
            ("supervisor".into(), Some("111".into())),
            ("viewer".into(), None)
        ]
        .into()
    );
    assert!(queries::snapshot_after(&mut *conn, last)
        .await
        .unwrap()
        .is_none());

    let mut columns = rows::columns(&mut conn, SNAPSHOT).await.unwrap();
    let mut fields: Vec<String> = serde_json::to_value(&row)
        .unwrap()
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    columns.sort();
    fields.sort();
    assert_eq!(fields, columns);
}
