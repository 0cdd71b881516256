//! What every stream's domain logic looks like: decide events from facts, apply events to state.
//!
//! Both functions are pure, so domain rules are tested given/when/then without I/O; the generic
//! [`crate::stream_actor::StreamActor`] does the loading, appending and retrying for every aggregate.
//! [`record`] is the part of recording that happens in memory, shared by the actor and the tests'
//! harness (`testing::aggregate`), so a test goes through the very checks the actor makes.

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

/// What recording a batch of facts decided, before anything is appended.
#[derive(Debug, Clone, PartialEq)]
pub struct Decided<E> {
    /// The events to append, in the order they were decided.
    pub events: Vec<E>,
    /// Facts that changed nothing (already recorded).
    pub unchanged: usize,
}

/// Records a batch of facts into the aggregate in memory, as the stream actor does before it appends:
/// every fact is checked against the state as it stood, and one refusal refuses the whole batch and
/// changes nothing; then each fact is decided and its events applied before the next fact is decided.
pub fn record<A: Aggregate>(
    aggregate: &mut A,
    facts: &[A::Fact],
) -> Result<Decided<A::Event>, Refusal> {
    for fact in facts {
        aggregate.check(fact)?;
    }
    let mut decided = Decided {
        events: Vec::new(),
        unchanged: 0,
    };
    for fact in facts {
        let events = aggregate.decide(fact);
        if events.is_empty() {
            decided.unchanged += 1;
        }
        for event in events {
            aggregate.apply(&event);
            decided.events.push(event);
        }
    }
    Ok(decided)
}
