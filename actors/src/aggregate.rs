//! What every stream's domain logic looks like: decide events from facts, apply events to state.
//!
//! Both functions are pure, so domain rules are tested given/when/then without I/O; the generic
//! [`crate::stream_actor::StreamActor`] does the loading, appending and retrying for every aggregate.

use crate::event::DomainEvent;

pub trait Aggregate: Default + Clone + Send + Sync + 'static {
    /// What the outside world tells the aggregate (a webhook's message, a user's command).
    type Fact: Clone + Send + Sync + 'static;
    type Event: DomainEvent + Send + Sync + 'static;

    /// The events a fact leads to, given everything recorded so far. Empty when the fact changes
    /// nothing (a duplicate, a status that is already known).
    fn decide(&self, fact: &Self::Fact) -> Vec<Self::Event>;

    /// Folds one recorded event into the state.
    fn apply(&mut self, event: &Self::Event);

    /// Refuses a fact that breaks a rule (a command the user must change), before anything is decided.
    /// Facts from Meta are never refused: they happened.
    fn check(&self, _fact: &Self::Fact) -> Result<(), Refusal> {
        Ok(())
    }
}

/// Why a command was refused: a stable code for programs and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
}
