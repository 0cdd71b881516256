//! Given account events, when a fact arrives, then these events (and this state).

use super::events::{AccountChange, AccountConfigured, AccountEvent};
use super::{Account, AccountFact};
use crate::event::{DomainEvent, EventMetadata};
use crate::testing::aggregate::Scenario;
use serde_json::json;

fn given(history: impl IntoIterator<Item = AccountEvent>) -> Scenario<Account> {
    crate::testing::aggregate::given(history)
}

fn configured(number: &str) -> AccountConfigured {
    AccountConfigured {
        phone_number: Some(number.into()),
        ..AccountConfigured::new("1122")
    }
}

fn change(field: &str, value: serde_json::Value) -> AccountChange {
    AccountChange {
        field: field.into(),
        waba_id: Some("waba1".into()),
        time: None,
        value,
    }
}

#[test]
fn configuration_is_recorded_only_when_it_changes() {
    let mut a = given([]);
    a.when(AccountFact::Configured(configured("+15550001")))
        .then([AccountEvent::Configured(configured("+15550001"))]);
    a.when(AccountFact::Configured(configured("+15550001")))
        .then_nothing();
    a.when(AccountFact::Configured(configured("+15550002")))
        .then([AccountEvent::Configured(configured("+15550002"))]);
}

#[test]
fn known_changes_update_the_account_and_unknown_ones_are_kept_raw() {
    let mut a = given([]);
    for fact in [
        change(
            "message_template_status_update",
            json!({"event": "APPROVED", "message_template_name": "order", "message_template_language": "en_US"}),
        ),
        change(
            "phone_number_quality_update",
            json!({"event": "FLAGGED", "display_phone_number": "1555"}),
        ),
        change("account_update", json!({"event": "ACCOUNT_VIOLATION"})),
        change("some_future_field", json!({"anything": 1})),
    ] {
        assert_eq!(a.when(AccountFact::Change(fact)).events().len(), 1);
    }
    assert_eq!(a.template_status("order", "en_US"), Some("APPROVED"));
    assert_eq!(a.quality(), Some("FLAGGED"));
    assert_eq!(a.last_account_update(), Some("ACCOUNT_VIOLATION"));
    assert_eq!(a.changes_recorded(), 4);
}

#[test]
fn the_same_change_always_gets_the_same_event_id() {
    let c = change("account_update", json!({"event": "X", "b": 1, "a": 2}));
    let meta = EventMetadata::system("test");
    let one = AccountEvent::from_change(c.clone()).to_new_event(&meta);
    let two = AccountEvent::from_change(c).to_new_event(&meta);
    let other = AccountEvent::from_change(change("account_update", json!({"event": "Y"})))
        .to_new_event(&meta);
    assert_eq!(one.id, two.id);
    assert_ne!(one.id, other.id);
}

#[test]
fn a_secret_sealed_again_is_no_change_and_a_new_secret_is() {
    let key = super::sealed::MasterKey::generate();
    let with_token = |token: &str| AccountConfigured {
        access_token: Some(key.seal("account/1122/access_token", token)),
        ..configured("+15550001")
    };
    let mut a = given([]);
    assert_eq!(
        a.when(AccountFact::Configured(with_token("EAAG-1")))
            .events()
            .len(),
        1
    );
    a.when(AccountFact::Configured(with_token("EAAG-1")))
        .then_nothing();
    let rotated = a
        .when(AccountFact::Configured(with_token("EAAG-2")))
        .events();
    assert_eq!(rotated.len(), 1);
    // The stored payload holds the sealed token, never the token.
    let payload = rotated[0].payload().as_str().to_owned();
    assert!(!payload.contains("EAAG-2"), "{payload}");
    assert!(payload.contains("ciphertext"));
}

#[test]
fn secrets_are_visible_ascii_only() {
    use super::{secret_problem, SECRET_MAX_LEN};
    for good in ["EAAG0123abc", "!~", "a-b_c.d/e+f=g"] {
        assert_eq!(secret_problem(good), None, "{good}");
    }
    for bad in [
        "",
        "with space",
        "tab\there",
        "line\nbreak",
        "nul\0byte",
        "del\u{7f}",
        "caf\u{e9}",
        "zero\u{200b}width",
        "emoji\u{1f600}",
    ] {
        assert!(secret_problem(bad).is_some(), "{bad:?} is refused");
    }
    assert!(secret_problem(&"a".repeat(SECRET_MAX_LEN)).is_none());
    assert!(secret_problem(&"a".repeat(SECRET_MAX_LEN + 1)).is_some());
    let reason = secret_problem("caf\u{e9}").unwrap();
    assert!(
        reason.contains("\\u{e9}") && reason.contains("byte 3"),
        "{reason}"
    );
}
