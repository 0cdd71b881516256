//! Given workspace events, when a command arrives, then these events (or this refusal).

use super::events::*;
use super::{render, Placeholders, Workspace, WorkspaceFact, TEAM_MEMBERS_MAX};
use crate::aggregate::{RefusalCode, RefusalKind};
use crate::event::{DomainEvent, EventMetadata, RecordedEvent, StreamId};
use crate::testing::aggregate::Scenario;
use chrono::{DateTime, Utc};
use uuid::Uuid;

fn given(history: impl IntoIterator<Item = WorkspaceEvent>) -> Scenario<Workspace> {
    crate::testing::aggregate::given(history)
}

fn at(s: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap()
}

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

fn team(n: u128, name: &str, members: &[&str], s: i64) -> TeamSaved {
    TeamSaved {
        team_id: id(n),
        name: name.into(),
        members: members.iter().map(|m| m.to_string()).collect(),
        accounts: vec!["1122".into()],
        at: at(s),
        by: Some("ann".into()),
    }
}

fn label(n: u128, name: &str, colour: &str, s: i64) -> LabelSaved {
    LabelSaved {
        label_id: id(n),
        name: name.into(),
        colour: colour.into(),
        at: at(s),
        by: Some("ann".into()),
    }
}

fn reply(n: u128, shortcut: &str, account: Option<&str>, s: i64) -> ReplySaved {
    ReplySaved {
        reply_id: id(n),
        shortcut: shortcut.into(),
        text: "Hello {{contact_name}}".into(),
        account: account.map(str::to_owned),
        at: at(s),
        by: Some("ann".into()),
    }
}

#[test]
fn a_team_is_saved_normalised_and_an_unchanged_save_records_nothing() {
    let mut w = given([]);
    let mut t = team(1, " Sales ", &["bob", "ann", "bob"], 1);
    t.accounts = vec!["2".into(), "1".into(), "2".into()];
    let expected = TeamSaved {
        name: "Sales".into(),
        members: vec!["ann".into(), "bob".into()],
        accounts: vec!["1".into(), "2".into()],
        ..t.clone()
    };
    w.when(WorkspaceFact::SaveTeam(t.clone()))
        .then([WorkspaceEvent::TeamSaved(expected.clone())]);
    // The same team later, by someone else: nothing changed, nothing recorded.
    let again = TeamSaved {
        at: at(5),
        by: Some("carl".into()),
        ..t
    };
    w.when(WorkspaceFact::SaveTeam(again)).then_nothing();
    assert_eq!(w.team(&id(1)), Some(&expected));
    let renamed = team(1, "Sales EU", &["ann", "bob"], 6);
    w.when(WorkspaceFact::SaveTeam(renamed.clone()))
        .then([WorkspaceEvent::TeamSaved(renamed)]);
}

#[test]
fn team_names_are_unique_ignoring_case_but_a_team_may_keep_its_own() {
    let mut w = given([WorkspaceEvent::TeamSaved(team(1, "Sales", &[], 1))]);
    let refusal = w
        .when(WorkspaceFact::SaveTeam(team(2, "sALES", &[], 2)))
        .then_refused(RefusalCode::TeamNameTaken);
    assert!(refusal.message.contains("Sales"), "{refusal}");
    assert_eq!(RefusalCode::TeamNameTaken.kind(), RefusalKind::Conflict);
    // Changing its own name's case is a change of the same team.
    assert_eq!(
        w.when(WorkspaceFact::SaveTeam(team(1, "SALES", &[], 3)))
            .events()
            .len(),
        1
    );
}

#[test]
fn a_team_holds_at_most_a_hundred_members_and_a_name() {
    let many: Vec<String> = (0..=TEAM_MEMBERS_MAX).map(|i| format!("u{i}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    let mut w = given([]);
    w.when(WorkspaceFact::SaveTeam(team(1, "Big", &many, 1)))
        .then_refused(RefusalCode::TooManyMembers);
    w.when(WorkspaceFact::SaveTeam(team(
        1,
        "Big",
        &many[..TEAM_MEMBERS_MAX],
        1,
    )))
    .events();
    for bad in ["", "   ", "tab\tname", &"x".repeat(81)] {
        w.when(WorkspaceFact::SaveTeam(team(2, bad, &[], 2)))
            .then_refused(RefusalCode::InvalidName);
    }
    w.when(WorkspaceFact::SaveTeam(team(2, "Ok", &[""], 2)))
        .then_refused(RefusalCode::InvalidTeam);
}

#[test]
fn deleting_is_recorded_once_and_an_unknown_id_is_refused_as_not_found() {
    let mut w = given([
        WorkspaceEvent::TeamSaved(team(1, "Sales", &[], 1)),
        WorkspaceEvent::LabelSaved(label(2, "VIP", "#ff0000", 1)),
        WorkspaceEvent::ReplySaved(reply(3, "hi", None, 1)),
    ]);
    let by = Some("ann".to_owned());
    let team_gone = TeamDeleted {
        team_id: id(1),
        at: at(2),
        by: by.clone(),
    };
    w.when(WorkspaceFact::DeleteTeam(team_gone.clone()))
        .then([WorkspaceEvent::TeamDeleted(team_gone.clone())]);
    let refusal = w
        .when(WorkspaceFact::DeleteTeam(team_gone))
        .then_refused(RefusalCode::UnknownTeam);
    assert_eq!(refusal.code.kind(), RefusalKind::NotFound);
    let label_gone = LabelDeleted {
        label_id: id(2),
        at: at(2),
        by: by.clone(),
    };
    w.when(WorkspaceFact::DeleteLabel(label_gone.clone()))
        .then([WorkspaceEvent::LabelDeleted(label_gone.clone())]);
    w.when(WorkspaceFact::DeleteLabel(label_gone))
        .then_refused(RefusalCode::UnknownLabel);
    let reply_gone = ReplyDeleted {
        reply_id: id(3),
        at: at(2),
        by,
    };
    w.when(WorkspaceFact::DeleteReply(reply_gone.clone()))
        .then([WorkspaceEvent::ReplyDeleted(reply_gone.clone())]);
    w.when(WorkspaceFact::DeleteReply(reply_gone))
        .then_refused(RefusalCode::UnknownReply);
    assert_eq!(RefusalCode::UnknownReply.kind(), RefusalKind::NotFound);
    // A deleted name is free again.
    w.when(WorkspaceFact::SaveTeam(team(4, "sales", &[], 3)))
        .events();
}

#[test]
fn labels_need_a_unique_name_and_a_colour_written_rrggbb() {
    let mut w = given([WorkspaceEvent::LabelSaved(label(1, "VIP", "#aabbcc", 1))]);
    w.when(WorkspaceFact::SaveLabel(label(2, "vip", "#000000", 2)))
        .then_refused(RefusalCode::LabelNameTaken);
    for bad in ["red", "#abc", "#gggggg", "aabbcc1", "#aabbcc0", ""] {
        w.when(WorkspaceFact::SaveLabel(label(2, "Urgent", bad, 2)))
            .then_refused(RefusalCode::InvalidColour);
    }
    // Upper-case digits are accepted and recorded in lower case; the same colour again is no change.
    w.when(WorkspaceFact::SaveLabel(label(2, "Urgent", "#FF00AA", 2)))
        .then([WorkspaceEvent::LabelSaved(label(2, "Urgent", "#ff00aa", 2))]);
    w.when(WorkspaceFact::SaveLabel(label(2, "Urgent", "#ff00aa", 3)))
        .then_nothing();
    w.when(WorkspaceFact::SaveLabel(label(2, "Urgent", "#ff00ab", 4)))
        .then([WorkspaceEvent::LabelSaved(label(2, "Urgent", "#ff00ab", 4))]);
}

#[test]
fn a_shortcut_is_unique_per_number_and_among_replies_for_every_number() {
    let mut w = given([
        WorkspaceEvent::ReplySaved(reply(1, "hi", None, 1)),
        WorkspaceEvent::ReplySaved(reply(2, "price", Some("1122"), 1)),
    ]);
    w.when(WorkspaceFact::SaveReply(reply(3, "hi", None, 2)))
        .then_refused(RefusalCode::ShortcutTaken);
    w.when(WorkspaceFact::SaveReply(reply(3, "price", Some("1122"), 2)))
        .then_refused(RefusalCode::ShortcutTaken);
    // The same shortcut in another scope is another reply.
    w.when(WorkspaceFact::SaveReply(reply(3, "price", Some("3344"), 2)))
        .events();
    w.when(WorkspaceFact::SaveReply(reply(4, "hi", Some("1122"), 2)))
        .events();
    w.when(WorkspaceFact::SaveReply(reply(5, "price", None, 2)))
        .events();
    // Saving a reply unchanged records nothing; changing its text does.
    w.when(WorkspaceFact::SaveReply(reply(1, "hi", None, 3)))
        .then_nothing();
    let changed = ReplySaved {
        text: "Hi there".into(),
        ..reply(1, "hi", None, 4)
    };
    w.when(WorkspaceFact::SaveReply(changed.clone()))
        .then([WorkspaceEvent::ReplySaved(changed)]);
}

#[test]
fn shortcuts_and_texts_are_checked() {
    let mut w = given([]);
    for bad in [
        "",
        "with space",
        "a/b",
        "ümlaut",
        &"a".repeat(33),
        "dot.ted",
    ] {
        w.when(WorkspaceFact::SaveReply(reply(1, bad, None, 1)))
            .then_refused(RefusalCode::InvalidShortcut);
    }
    for good in ["a", "thanks-2", "opening_hours", &"z".repeat(32)] {
        w.when(WorkspaceFact::SaveReply(reply(1, good, None, 1)))
            .events();
    }
    for bad in ["", "  \n ", &"x".repeat(4097), "bell\u{7}"] {
        let r = ReplySaved {
            text: bad.to_owned(),
            ..reply(2, "other", None, 1)
        };
        w.when(WorkspaceFact::SaveReply(r))
            .then_refused(RefusalCode::InvalidReplyText);
    }
    let longest = ReplySaved {
        text: "é".repeat(4096),
        ..reply(2, "other", None, 1)
    };
    w.when(WorkspaceFact::SaveReply(longest)).events();
}

#[test]
fn availability_is_recorded_when_it_changes() {
    let set = |available: bool, s: i64| AvailabilitySet {
        user_id: "bob".into(),
        available,
        at: at(s),
        by: Some("bob".into()),
    };
    let mut w = given([]);
    assert_eq!(w.available("bob"), None);
    w.when(WorkspaceFact::SetAvailability(set(false, 1)))
        .then([WorkspaceEvent::AvailabilitySet(set(false, 1))]);
    w.when(WorkspaceFact::SetAvailability(set(false, 2)))
        .then_nothing();
    w.when(WorkspaceFact::SetAvailability(set(true, 3)))
        .then([WorkspaceEvent::AvailabilitySet(set(true, 3))]);
    assert_eq!(w.available("bob"), Some(true));
}

#[test]
fn every_event_round_trips_through_the_store_and_a_retry_gets_the_same_id() {
    let events = [
        WorkspaceEvent::TeamSaved(team(1, "Sales", &["ann"], 1)),
        WorkspaceEvent::TeamDeleted(TeamDeleted {
            team_id: id(1),
            at: at(2),
            by: None,
        }),
        WorkspaceEvent::LabelSaved(label(2, "VIP", "#aabbcc", 1)),
        WorkspaceEvent::LabelDeleted(LabelDeleted {
            label_id: id(2),
            at: at(2),
            by: None,
        }),
        WorkspaceEvent::ReplySaved(reply(3, "hi", Some("1122"), 1)),
        WorkspaceEvent::ReplyDeleted(ReplyDeleted {
            reply_id: id(3),
            at: at(2),
            by: None,
        }),
        WorkspaceEvent::AvailabilitySet(AvailabilitySet {
            user_id: "ann".into(),
            available: true,
            at: at(1),
            by: Some("ann".into()),
        }),
    ];
    let meta = EventMetadata::system("test");
    let mut types = std::collections::BTreeSet::new();
    for (i, event) in events.iter().enumerate() {
        let new = event.to_new_event(&meta);
        assert_eq!(new.id, event.to_new_event(&meta).id);
        types.insert(new.event_type.clone());
        let recorded = RecordedEvent {
            id: new.id,
            stream_id: StreamId::workspace(),
            stream_version: i as u64 + 1,
            global_position: i as u64 + 1,
            event_type: new.event_type,
            schema_version: new.schema_version,
            payload: new.payload.into(),
            metadata: new.metadata,
            occurred_at: new.occurred_at,
            recorded_at: at(9),
        };
        assert_eq!(&WorkspaceEvent::from_recorded(&recorded).unwrap(), event);
    }
    assert_eq!(types.len(), events.len(), "wire names are distinct");
    // A rename and back is a new event each time, never taken for the first one.
    let first = WorkspaceEvent::TeamSaved(team(1, "Sales", &[], 1)).to_new_event(&meta);
    let back = WorkspaceEvent::TeamSaved(team(1, "Sales", &[], 3)).to_new_event(&meta);
    assert_ne!(first.id, back.id);
    assert_eq!(StreamId::workspace().as_str(), "workspace");
    assert_eq!(StreamId::workspace().category(), "workspace");
}

#[test]
fn placeholders_are_filled_and_anything_else_is_left_as_written() {
    let values = Placeholders {
        contact_name: Some("Maria".into()),
        agent_name: Some("Ann".into()),
        number_name: None,
    };
    assert_eq!(
        render(
            "Hi {{contact_name}}, {{ agent_name }} of {{number_name}} here.",
            &values
        ),
        "Hi Maria, Ann of  here."
    );
    assert_eq!(
        render("{{unknown}} {{contact_name}}", &values),
        "{{unknown}} Maria"
    );
    assert_eq!(render("{{{contact_name}}}", &values), "{Maria}");
    assert_eq!(
        render("no close {{contact_name", &values),
        "no close {{contact_name"
    );
    assert_eq!(render("a {{x {{agent_name}} b", &values), "a {{x Ann b");
    assert_eq!(render("{{}} {single}", &values), "{{}} {single}");
    assert_eq!(render("", &values), "");
    assert_eq!(
        render("é {{contact_name}} ü", &Placeholders::default()),
        "é  ü"
    );
}
