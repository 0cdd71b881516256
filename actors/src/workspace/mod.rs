//! The workspace (the one `workspace` stream): the install-wide catalogue team work needs. Teams (their
//! members and the numbers they serve), conversation labels, canned replies, and whether each agent is
//! available. One stream, so its rules hold across every node: team and label names are unique
//! (ignoring case), and a reply's shortcut is unique among the replies of its number (or of every number).
//!
//! [`render`] fills a canned reply's placeholders.

pub mod events;

use crate::aggregate::{Aggregate, Refusal, RefusalCode};
use events::{
    AvailabilitySet, LabelDeleted, LabelSaved, ReplyDeleted, ReplySaved, TeamDeleted, TeamSaved,
    WorkspaceEvent,
};
use std::collections::BTreeMap;
use uuid::Uuid;

/// The most members a team has.
pub const TEAM_MEMBERS_MAX: usize = 100;
/// The longest team or label name, in characters.
pub const NAME_MAX: usize = 80;
/// The longest canned reply, in characters.
pub const REPLY_TEXT_MAX: usize = 4096;
/// The longest shortcut.
pub const SHORTCUT_MAX: usize = 32;

#[derive(Debug, Clone, PartialEq)]
pub enum WorkspaceFact {
    /// Create a team, or change one whole (members and numbers are sorted and deduplicated here).
    SaveTeam(TeamSaved),
    /// Refused when there is no such team.
    DeleteTeam(TeamDeleted),
    SaveLabel(LabelSaved),
    DeleteLabel(LabelDeleted),
    SaveReply(ReplySaved),
    DeleteReply(ReplyDeleted),
    SetAvailability(AvailabilitySet),
}

/// The state the workspace actor decides from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Workspace {
    teams: BTreeMap<Uuid, TeamSaved>,
    labels: BTreeMap<Uuid, LabelSaved>,
    replies: BTreeMap<Uuid, ReplySaved>,
    availability: BTreeMap<String, bool>,
}

impl Workspace {
    pub fn team(&self, id: &Uuid) -> Option<&TeamSaved> {
        self.teams.get(id)
    }

    pub fn label(&self, id: &Uuid) -> Option<&LabelSaved> {
        self.labels.get(id)
    }

    pub fn reply(&self, id: &Uuid) -> Option<&ReplySaved> {
        self.replies.get(id)
    }

    /// Whether the user set themselves available; `None` when they never said.
    pub fn available(&self, user_id: &str) -> Option<bool> {
        self.availability.get(user_id).copied()
    }

    pub fn teams(&self) -> impl Iterator<Item = &TeamSaved> {
        self.teams.values()
    }
}

/// A team as it is recorded: members and numbers sorted, without repeats; the name trimmed.
fn normalised_team(team: &TeamSaved) -> TeamSaved {
    let mut t = team.clone();
    t.name = t.name.trim().to_owned();
    t.members.sort();
    t.members.dedup();
    t.accounts.sort();
    t.accounts.dedup();
    t
}

fn normalised_label(label: &LabelSaved) -> LabelSaved {
    let mut l = label.clone();
    l.name = l.name.trim().to_owned();
    l.colour = l.colour.to_ascii_lowercase();
    l
}

fn normalised_reply(reply: &ReplySaved) -> ReplySaved {
    let mut r = reply.clone();
    r.shortcut = r.shortcut.to_ascii_lowercase();
    r
}

/// Why a name (of a team or a label) is refused, or `None`: 1 to [`NAME_MAX`] characters once trimmed,
/// no control characters.
pub fn name_problem(name: &str) -> Option<String> {
    let name = name.trim();
    if name.is_empty() {
        return Some("the name must not be empty".into());
    }
    if name.chars().count() > NAME_MAX {
        return Some(format!("the name must be at most {NAME_MAX} characters"));
    }
    if name.chars().any(char::is_control) {
        return Some("the name must not hold control characters".into());
    }
    None
}

/// Whether a colour is written `#rrggbb` (hexadecimal digits, either case).
pub fn valid_colour(colour: &str) -> bool {
    colour.len() == 7
        && colour.starts_with('#')
        && colour[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// Whether a shortcut is 1 to [`SHORTCUT_MAX`] of `a-z`, `0-9`, `_` and `-`.
pub fn valid_shortcut(shortcut: &str) -> bool {
    (1..=SHORTCUT_MAX).contains(&shortcut.len())
        && shortcut
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// Why a canned reply's text is refused, or `None`.
pub fn reply_text_problem(text: &str) -> Option<String> {
    if text.trim().is_empty() {
        return Some("the text must not be empty".into());
    }
    if text.chars().count() > REPLY_TEXT_MAX {
        return Some(format!(
            "the text must be at most {REPLY_TEXT_MAX} characters"
        ));
    }
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\t'))
    {
        return Some(
            "the text must not hold control characters other than new lines and tabs".into(),
        );
    }
    None
}

fn refuse(code: RefusalCode, message: impl Into<String>) -> Refusal {
    Refusal::new(code, message)
}

impl Workspace {
    fn check_team(&self, team: &TeamSaved) -> Result<(), Refusal> {
        if let Some(problem) = name_problem(&team.name) {
            return Err(refuse(RefusalCode::InvalidName, problem));
        }
        let team = normalised_team(team);
        if team.members.len() > TEAM_MEMBERS_MAX {
            return Err(refuse(
                RefusalCode::TooManyMembers,
                format!(
                    "a team has at most {TEAM_MEMBERS_MAX} members ({} given)",
                    team.members.len()
                ),
            ));
        }
        if let Some(bad) = team
            .members
            .iter()
            .chain(&team.accounts)
            .find(|id| id.trim().is_empty() || id.chars().any(char::is_control))
        {
            return Err(refuse(
                RefusalCode::InvalidTeam,
                format!("{bad:?} is not a user or number id"),
            ));
        }
        let taken = self.teams.values().find(|t| {
            t.team_id != team.team_id && t.name.to_lowercase() == team.name.to_lowercase()
        });
        if let Some(other) = taken {
            return Err(refuse(
                RefusalCode::TeamNameTaken,
                format!("another team is named {:?}", other.name),
            ));
        }
        Ok(())
    }

    fn check_label(&self, label: &LabelSaved) -> Result<(), Refusal> {
        if let Some(problem) = name_problem(&label.name) {
            return Err(refuse(RefusalCode::InvalidName, problem));
        }
        if !valid_colour(&label.colour) {
            return Err(refuse(
                RefusalCode::InvalidColour,
                format!("the colour must be written #rrggbb, not {:?}", label.colour),
            ));
        }
        let name = label.name.trim().to_lowercase();
        let taken = self
            .labels
            .values()
            .find(|l| l.label_id != label.label_id && l.name.to_lowercase() == name);
        if let Some(other) = taken {
            return Err(refuse(
                RefusalCode::LabelNameTaken,
                format!("another label is named {:?}", other.name),
            ));
        }
        Ok(())
    }

    fn check_reply(&self, reply: &ReplySaved) -> Result<(), Refusal> {
        let reply = normalised_reply(reply);
        if !valid_shortcut(&reply.shortcut) {
            return Err(refuse(
                RefusalCode::InvalidShortcut,
                format!(
                    "a shortcut is 1 to {SHORTCUT_MAX} of a-z, 0-9, _ and -, not {:?}",
                    reply.shortcut
                ),
            ));
        }
        if let Some(problem) = reply_text_problem(&reply.text) {
            return Err(refuse(RefusalCode::InvalidReplyText, problem));
        }
        if let Some(account) = &reply.account {
            if account.trim().is_empty() || account.chars().any(char::is_control) {
                return Err(refuse(
                    RefusalCode::InvalidAccount,
                    format!("{account:?} is not a number id"),
                ));
            }
        }
        let taken = self.replies.values().any(|r| {
            r.reply_id != reply.reply_id
                && r.account == reply.account
                && r.shortcut == reply.shortcut
        });
        if taken {
            let scope = match &reply.account {
                Some(account) => format!("of number {account}"),
                None => "for every number".to_owned(),
            };
            return Err(refuse(
                RefusalCode::ShortcutTaken,
                format!("another reply {scope} has the shortcut /{}", reply.shortcut),
            ));
        }
        Ok(())
    }
}

fn unknown(code: RefusalCode, what: &str, id: &Uuid) -> Refusal {
    refuse(code, format!("there is no {what} {id}"))
}

impl Aggregate for Workspace {
    type Fact = WorkspaceFact;
    type Event = WorkspaceEvent;

    fn check(&self, fact: &WorkspaceFact) -> Result<(), Refusal> {
        match fact {
            WorkspaceFact::SaveTeam(t) => self.check_team(t),
            WorkspaceFact::SaveLabel(l) => self.check_label(l),
            WorkspaceFact::SaveReply(r) => self.check_reply(r),
            WorkspaceFact::DeleteTeam(d) if !self.teams.contains_key(&d.team_id) => {
                Err(unknown(RefusalCode::UnknownTeam, "team", &d.team_id))
            }
            WorkspaceFact::DeleteLabel(d) if !self.labels.contains_key(&d.label_id) => {
                Err(unknown(RefusalCode::UnknownLabel, "label", &d.label_id))
            }
            WorkspaceFact::DeleteReply(d) if !self.replies.contains_key(&d.reply_id) => Err(
                unknown(RefusalCode::UnknownReply, "canned reply", &d.reply_id),
            ),
            WorkspaceFact::SetAvailability(a) if a.user_id.trim().is_empty() => {
                Err(refuse(RefusalCode::UnknownUser, "no user given"))
            }
            _ => Ok(()),
        }
    }

    fn decide(&self, fact: &WorkspaceFact) -> Vec<WorkspaceEvent> {
        match fact {
            WorkspaceFact::SaveTeam(t) => {
                let t = normalised_team(t);
                let unchanged = self.teams.get(&t.team_id).is_some_and(|old| {
                    (&old.name, &old.members, &old.accounts) == (&t.name, &t.members, &t.accounts)
                });
                match unchanged {
                    true => vec![],
                    false => vec![WorkspaceEvent::TeamSaved(t)],
                }
            }
            WorkspaceFact::SaveLabel(l) => {
                let l = normalised_label(l);
                let unchanged = self
                    .labels
                    .get(&l.label_id)
                    .is_some_and(|old| (&old.name, &old.colour) == (&l.name, &l.colour));
                match unchanged {
                    true => vec![],
                    false => vec![WorkspaceEvent::LabelSaved(l)],
                }
            }
            WorkspaceFact::SaveReply(r) => {
                let r = normalised_reply(r);
                let unchanged = self.replies.get(&r.reply_id).is_some_and(|old| {
                    (&old.shortcut, &old.text, &old.account) == (&r.shortcut, &r.text, &r.account)
                });
                match unchanged {
                    true => vec![],
                    false => vec![WorkspaceEvent::ReplySaved(r)],
                }
            }
            WorkspaceFact::DeleteTeam(d) => vec![WorkspaceEvent::TeamDeleted(d.clone())],
            WorkspaceFact::DeleteLabel(d) => vec![WorkspaceEvent::LabelDeleted(d.clone())],
            WorkspaceFact::DeleteReply(d) => vec![WorkspaceEvent::ReplyDeleted(d.clone())],
            WorkspaceFact::SetAvailability(a) => {
                match self.availability.get(&a.user_id) == Some(&a.available) {
                    true => vec![],
                    false => vec![WorkspaceEvent::AvailabilitySet(a.clone())],
                }
            }
        }
    }

    fn apply(&mut self, event: &WorkspaceEvent) {
        match event {
            WorkspaceEvent::TeamSaved(t) => {
                self.teams.insert(t.team_id, t.clone());
            }
            WorkspaceEvent::TeamDeleted(d) => {
                self.teams.remove(&d.team_id);
            }
            WorkspaceEvent::LabelSaved(l) => {
                self.labels.insert(l.label_id, l.clone());
            }
            WorkspaceEvent::LabelDeleted(d) => {
                self.labels.remove(&d.label_id);
            }
            WorkspaceEvent::ReplySaved(r) => {
                self.replies.insert(r.reply_id, r.clone());
            }
            WorkspaceEvent::ReplyDeleted(d) => {
                self.replies.remove(&d.reply_id);
            }
            WorkspaceEvent::AvailabilitySet(a) => {
                self.availability.insert(a.user_id.clone(), a.available);
            }
        }
    }
}

/// The values a canned reply's placeholders stand for; a value missing becomes empty text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Placeholders {
    /// `{{contact_name}}`: the customer's name.
    pub contact_name: Option<String>,
    /// `{{agent_name}}`: the name of the person answering.
    pub agent_name: Option<String>,
    /// `{{number_name}}`: what the inbox calls the business number.
    pub number_name: Option<String>,
}

/// Fills a canned reply's placeholders (`{{contact_name}}`, `{{agent_name}}`, `{{number_name}}`, spaces
/// inside the braces allowed). Anything else between double braces, and braces that never close, are
/// left exactly as written.
pub fn render(text: &str, values: &Placeholders) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            rest = &rest[open..];
            break;
        };
        let value = match after[..close].trim() {
            "contact_name" => Some(&values.contact_name),
            "agent_name" => Some(&values.agent_name),
            "number_name" => Some(&values.number_name),
            _ => None,
        };
        match value {
            Some(value) => {
                out.push_str(value.as_deref().unwrap_or(""));
                rest = &after[close + 2..];
            }
            // Not a placeholder: keep the first `{` and look again from the next one (`{{{name}}}`
            // and `{{x {{name}}` hold one).
            None => {
                out.push('{');
                rest = &rest[open + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests;
