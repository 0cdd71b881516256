//! Team work's pure rules that are not a conversation's own: a number's business hours (open or closed,
//! when a closed period began, opening time between two instants) and who gets the next conversation
//! under round robin. The conversation's statuses, assignment, labels and notes are in
//! [`crate::conversation::workflow`].

pub mod hours;
pub mod round_robin;
