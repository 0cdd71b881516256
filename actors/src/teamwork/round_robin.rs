//! Who gets the next conversation of a number with automatic assignment: the team's members in turn,
//! skipping those who are away or at their capacity. The turn needs no state of its own: the member
//! whose last automatic assignment is the oldest (or who never had one) is next, so every node, and a
//! node after a restart, picks the same agent from the same view.

use chrono::{DateTime, Utc};

/// A member of the team, as the inbox sees them now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub user_id: String,
    /// Set available by themselves (and not disabled, and allowed to read the number).
    pub available: bool,
    /// Conversations assigned to them that are not resolved.
    pub open_conversations: u32,
    /// When they were last given a conversation automatically.
    pub last_assigned_at: Option<DateTime<Utc>>,
}

/// The agent to give the next conversation to; `None` when nobody is available under `capacity` (at most
/// that many open conversations each; `None` is no limit).
pub fn next_agent(candidates: &[Candidate], capacity: Option<u32>) -> Option<&str> {
    candidates
        .iter()
        .filter(|c| c.available && capacity.is_none_or(|cap| c.open_conversations < cap))
        .min_by(|a, b| {
            a.last_assigned_at
                .cmp(&b.last_assigned_at)
                .then_with(|| a.user_id.cmp(&b.user_id))
        })
        .map(|c| c.user_id.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(id: &str, available: bool, open: u32, last: Option<i64>) -> Candidate {
        Candidate {
            user_id: id.into(),
            available,
            open_conversations: open,
            last_assigned_at: last.and_then(|s| DateTime::from_timestamp(s, 0)),
        }
    }

    #[test]
    fn members_take_turns_and_those_away_or_full_are_skipped() {
        let mut team = vec![member("ana", true, 0, None), member("bob", true, 0, None)];
        let mut given = Vec::new();
        for at in 1..=4 {
            let next = next_agent(&team, None).unwrap().to_owned();
            let m = team.iter_mut().find(|m| m.user_id == next).unwrap();
            m.last_assigned_at = DateTime::from_timestamp(at, 0);
            m.open_conversations += 1;
            given.push(next);
        }
        assert_eq!(given, ["ana", "bob", "ana", "bob"]);
        team[0].available = false;
        assert_eq!(next_agent(&team, None), Some("bob"));
        team[0].available = true;
        assert_eq!(next_agent(&team, Some(2)), None, "both hold 2");
        assert_eq!(next_agent(&team, Some(3)), Some("ana"));
        assert_eq!(next_agent(&[], None), None);
    }
}
