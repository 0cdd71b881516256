//! Team work's pure rules that are not a conversation's own: a number's business hours (open or closed,
//! when a closed period began, opening time between two instants) and who gets the next conversation
//! under round robin. The conversation's statuses, assignment, labels and notes are in
//! [`crate::conversation::workflow`].

pub mod hours;
pub mod round_robin;

/// An IANA time zone, for callers that name one (reports take `tz`) without a dependency of their own.
pub use chrono_tz::Tz;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A number's automatic assignment: new and reopened conversations go in turn to the team's available
/// members, each holding at most `capacity` conversations that are not resolved (`None`: no limit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutoAssign {
    pub team_id: Uuid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<u32>,
}

/// A number's team-work settings, whole, as someone saved them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamworkSettings {
    /// Business hours and the away message (`enabled: false`: always open, no away message).
    #[serde(default)]
    pub hours: hours::BusinessHours,
    /// `None`: conversations are assigned by hand only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_assign: Option<AutoAssign>,
}
