//! The facts recorded on the `workspace` stream: teams, labels, canned replies and agents' availability.
//! Every event names when it happened (`at`) and who made it (`by`; `None` for the system).

use crate::event::{DecodeError, DomainEvent, RecordedEvent};
use crate::json::{from_stored_str, JsonText};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A team created or changed, whole: its name, its members (user ids) and the numbers it serves
/// (phone-number ids). Members and numbers are sorted and without repeats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamSaved {
    pub team_id: Uuid,
    pub name: String,
    pub members: Vec<String>,
    pub accounts: Vec<String>,
    pub at: DateTime<Utc>,
    pub by: Option<String>,
}

/// A team deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamDeleted {
    pub team_id: Uuid,
    pub at: DateTime<Utc>,
    pub by: Option<String>,
}

/// A label created or changed: its name and its colour (`#rrggbb`, lower case).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelSaved {
    pub label_id: Uuid,
    pub name: String,
    pub colour: String,
    pub at: DateTime<Utc>,
    pub by: Option<String>,
}

/// A label deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelDeleted {
    pub label_id: Uuid,
    pub at: DateTime<Utc>,
    pub by: Option<String>,
}

/// A canned reply created or changed: the shortcut agents type after `/`, its text (with placeholders,
/// see [`super::render`]), and the number it belongs to (`None`: every number).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplySaved {
    pub reply_id: Uuid,
    pub shortcut: String,
    pub text: String,
    pub account: Option<String>,
    pub at: DateTime<Utc>,
    pub by: Option<String>,
}

/// A canned reply deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplyDeleted {
    pub reply_id: Uuid,
    pub at: DateTime<Utc>,
    pub by: Option<String>,
}

/// An agent set available (taking conversations) or away.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AvailabilitySet {
    pub user_id: String,
    pub available: bool,
    pub at: DateTime<Utc>,
    pub by: Option<String>,
}

/// Every fact of the workspace stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkspaceEvent {
    /// `team.saved`: a team created or changed, whole.
    TeamSaved(TeamSaved),
    /// `team.deleted`.
    TeamDeleted(TeamDeleted),
    /// `label.saved`: a label created, renamed or recoloured.
    LabelSaved(LabelSaved),
    /// `label.deleted`.
    LabelDeleted(LabelDeleted),
    /// `reply.saved`: a canned reply created or changed, whole.
    ReplySaved(ReplySaved),
    /// `reply.deleted`.
    ReplyDeleted(ReplyDeleted),
    /// `availability.set`: an agent available or away.
    AvailabilitySet(AvailabilitySet),
}

/// The stable wire names.
impl WorkspaceEvent {
    pub const TEAM_SAVED: &'static str = "team.saved";
    pub const TEAM_DELETED: &'static str = "team.deleted";
    pub const LABEL_SAVED: &'static str = "label.saved";
    pub const LABEL_DELETED: &'static str = "label.deleted";
    pub const REPLY_SAVED: &'static str = "reply.saved";
    pub const REPLY_DELETED: &'static str = "reply.deleted";
    pub const AVAILABILITY_SET: &'static str = "availability.set";

    /// When it happened.
    pub fn at(&self) -> DateTime<Utc> {
        match self {
            WorkspaceEvent::TeamSaved(e) => e.at,
            WorkspaceEvent::TeamDeleted(e) => e.at,
            WorkspaceEvent::LabelSaved(e) => e.at,
            WorkspaceEvent::LabelDeleted(e) => e.at,
            WorkspaceEvent::ReplySaved(e) => e.at,
            WorkspaceEvent::ReplyDeleted(e) => e.at,
            WorkspaceEvent::AvailabilitySet(e) => e.at,
        }
    }

    /// The id of the thing the event is about (a team, label or reply id, or a user id).
    fn subject(&self) -> String {
        match self {
            WorkspaceEvent::TeamSaved(e) => e.team_id.to_string(),
            WorkspaceEvent::TeamDeleted(e) => e.team_id.to_string(),
            WorkspaceEvent::LabelSaved(e) => e.label_id.to_string(),
            WorkspaceEvent::LabelDeleted(e) => e.label_id.to_string(),
            WorkspaceEvent::ReplySaved(e) => e.reply_id.to_string(),
            WorkspaceEvent::ReplyDeleted(e) => e.reply_id.to_string(),
            WorkspaceEvent::AvailabilitySet(e) => e.user_id.clone(),
        }
    }
}

impl DomainEvent for WorkspaceEvent {
    const SCHEMA_VERSION: u32 = 1;

    fn event_type(&self) -> &'static str {
        match self {
            WorkspaceEvent::TeamSaved(_) => Self::TEAM_SAVED,
            WorkspaceEvent::TeamDeleted(_) => Self::TEAM_DELETED,
            WorkspaceEvent::LabelSaved(_) => Self::LABEL_SAVED,
            WorkspaceEvent::LabelDeleted(_) => Self::LABEL_DELETED,
            WorkspaceEvent::ReplySaved(_) => Self::REPLY_SAVED,
            WorkspaceEvent::ReplyDeleted(_) => Self::REPLY_DELETED,
            WorkspaceEvent::AvailabilitySet(_) => Self::AVAILABILITY_SET,
        }
    }

    /// The subject, the moment and the whole payload: the same command retried (same fact, same `at`)
    /// is appended once, while a later save that returns to an earlier content (a rename and back) is
    /// a new event.
    fn natural_key(&self) -> String {
        format!(
            "{}:{}:{}",
            self.subject(),
            self.at().timestamp_nanos_opt().unwrap_or_default(),
            // As a tree, so its keys print sorted, as every id derived so far was.
            self.payload().to_value()
        )
    }

    fn occurred_at(&self) -> Option<DateTime<Utc>> {
        Some(self.at())
    }

    fn payload(&self) -> JsonText {
        match self {
            WorkspaceEvent::TeamSaved(e) => JsonText::of(e),
            WorkspaceEvent::TeamDeleted(e) => JsonText::of(e),
            WorkspaceEvent::LabelSaved(e) => JsonText::of(e),
            WorkspaceEvent::LabelDeleted(e) => JsonText::of(e),
            WorkspaceEvent::ReplySaved(e) => JsonText::of(e),
            WorkspaceEvent::ReplyDeleted(e) => JsonText::of(e),
            WorkspaceEvent::AvailabilitySet(e) => JsonText::of(e),
        }
    }

    fn from_recorded(event: &RecordedEvent) -> Result<Self, DecodeError> {
        let payload = event.payload.text();
        let decoded = match (event.event_type.as_str(), event.schema_version) {
            (Self::TEAM_SAVED, 1) => from_stored_str(payload).map(WorkspaceEvent::TeamSaved),
            (Self::TEAM_DELETED, 1) => from_stored_str(payload).map(WorkspaceEvent::TeamDeleted),
            (Self::LABEL_SAVED, 1) => from_stored_str(payload).map(WorkspaceEvent::LabelSaved),
            (Self::LABEL_DELETED, 1) => from_stored_str(payload).map(WorkspaceEvent::LabelDeleted),
            (Self::REPLY_SAVED, 1) => from_stored_str(payload).map(WorkspaceEvent::ReplySaved),
            (Self::REPLY_DELETED, 1) => from_stored_str(payload).map(WorkspaceEvent::ReplyDeleted),
            (Self::AVAILABILITY_SET, 1) => {
                from_stored_str(payload).map(WorkspaceEvent::AvailabilitySet)
            }
            _ => {
                return Err(DecodeError::new(
                    event,
                    "unknown event type or schema version",
                ))
            }
        };
        decoded.map_err(|e| DecodeError::new(event, e.to_string()))
    }
}
