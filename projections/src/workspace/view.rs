//! The workspace view's rows and its pure fold. Each save event carries its whole item, so the fold
//! needs no row it had before: it notes, per key, the row as last saved or `None` once deleted.

use crate::rows::{Table, ViewRow};
use actors::workspace::events::WorkspaceEvent;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

pub const TEAMS: Table = Table {
    name: "workspace_teams",
    key: &["team_id"],
};
pub const LABELS: Table = Table {
    name: "workspace_labels",
    key: &["label_id"],
};
pub const REPLIES: Table = Table {
    name: "workspace_replies",
    key: &["reply_id"],
};
pub const AVAILABILITY: Table = Table {
    name: "agent_availability",
    key: &["user_id"],
};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamRow {
    pub team_id: Uuid,
    pub name: String,
    pub members: Vec<String>,
    pub accounts: Vec<String>,
    pub saved_at: DateTime<Utc>,
    pub saved_by: Option<String>,
    pub position: i64,
}

impl ViewRow for TeamRow {
    const TABLE: Table = TEAMS;
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelRow {
    pub label_id: Uuid,
    pub name: String,
    pub colour: String,
    pub saved_at: DateTime<Utc>,
    pub saved_by: Option<String>,
    pub position: i64,
}

impl ViewRow for LabelRow {
    const TABLE: Table = LABELS;
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReplyRow {
    pub reply_id: Uuid,
    pub shortcut: String,
    pub text: String,
    pub account: Option<String>,
    pub saved_at: DateTime<Utc>,
    pub saved_by: Option<String>,
    pub position: i64,
}

impl ViewRow for ReplyRow {
    const TABLE: Table = REPLIES;
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AvailabilityRow {
    pub user_id: String,
    pub available: bool,
    pub set_at: DateTime<Utc>,
    pub set_by: Option<String>,
    pub position: i64,
}

impl ViewRow for AvailabilityRow {
    const TABLE: Table = AVAILABILITY;
}

/// What a batch of events leaves: per key, the row to write, or `None` for a row to delete.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WorkspaceView {
    pub teams: BTreeMap<Uuid, Option<TeamRow>>,
    pub labels: BTreeMap<Uuid, Option<LabelRow>>,
    pub replies: BTreeMap<Uuid, Option<ReplyRow>>,
    pub availability: BTreeMap<String, AvailabilityRow>,
}

/// Folds one event, recorded at global `position`, into the view.
pub fn apply(view: &mut WorkspaceView, position: i64, event: &WorkspaceEvent) {
    match event {
        WorkspaceEvent::TeamSaved(t) => {
            view.teams.insert(
                t.team_id,
                Some(TeamRow {
                    team_id: t.team_id,
                    name: t.name.clone(),
                    members: t.members.clone(),
                    accounts: t.accounts.clone(),
                    saved_at: t.at,
                    saved_by: t.by.clone(),
                    position,
                }),
            );
        }
        WorkspaceEvent::TeamDeleted(d) => {
            view.teams.insert(d.team_id, None);
        }
        WorkspaceEvent::LabelSaved(l) => {
            view.labels.insert(
                l.label_id,
                Some(LabelRow {
                    label_id: l.label_id,
                    name: l.name.clone(),
                    colour: l.colour.clone(),
                    saved_at: l.at,
                    saved_by: l.by.clone(),
                    position,
                }),
            );
        }
        WorkspaceEvent::LabelDeleted(d) => {
            view.labels.insert(d.label_id, None);
        }
        WorkspaceEvent::ReplySaved(r) => {
            view.replies.insert(
                r.reply_id,
                Some(ReplyRow {
                    reply_id: r.reply_id,
                    shortcut: r.shortcut.clone(),
                    text: r.text.clone(),
                    account: r.account.clone(),
                    saved_at: r.at,
                    saved_by: r.by.clone(),
                    position,
                }),
            );
        }
        WorkspaceEvent::ReplyDeleted(d) => {
            view.replies.insert(d.reply_id, None);
        }
        WorkspaceEvent::AvailabilitySet(a) => {
            view.availability.insert(
                a.user_id.clone(),
                AvailabilityRow {
                    user_id: a.user_id.clone(),
                    available: a.available,
                    set_at: a.at,
                    set_by: a.by.clone(),
                    position,
                },
            );
        }
    }
}
