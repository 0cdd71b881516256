//! Given/when/then for aggregates, through the stream actor's own path.
//!
//! A fact goes through [`crate::aggregate::record`], the function the actor calls before it appends:
//! `check` first, then `decide`, then `apply`. So a test sees exactly what the actor would record, and a
//! fact a rule refuses is refused here too (a harness that only decides would record it).
//!
//! ```text
//! let mut conversation = given::<Conversation>([ConversationEvent::MessageReceived(hello)]);
//! conversation.when(mark_read).then([ConversationEvent::ReadMarked(read)]);
//! conversation.when(late_free_form_reply).then_refused(RefusalCode::WindowClosed);
//! assert!(!conversation.has_unread());
//! ```
//!
//! A scenario keeps the state its facts lead to, so a test can go on with more facts
//! (`scenario.when(…).then(…)` again) and read the state through the aggregate's own methods.

use crate::aggregate::{record, Aggregate, Decided, Refusal, RefusalCode};
use std::fmt::Debug;
use std::ops::Deref;

/// An aggregate built from its history, to which facts are then told.
#[derive(Debug, Clone)]
pub struct Scenario<A> {
    state: A,
}

/// Starts a scenario from events already recorded, folded as the actor folds a stream it loads.
pub fn given<A: Aggregate>(history: impl IntoIterator<Item = A::Event>) -> Scenario<A> {
    let mut state = A::default();
    for event in history {
        state.apply(&event);
    }
    Scenario { state }
}

impl<A: Aggregate> Scenario<A> {
    /// Tells the aggregate one fact (one command, or one fact of a webhook).
    pub fn when(&mut self, fact: A::Fact) -> Outcome<A::Event> {
        self.when_all([fact])
    }

    /// Tells the aggregate several facts recorded together (one webhook body's facts for one stream): all
    /// are checked against the state as it stood, then decided one after the other.
    pub fn when_all(&mut self, facts: impl IntoIterator<Item = A::Fact>) -> Outcome<A::Event> {
        let facts: Vec<A::Fact> = facts.into_iter().collect();
        Outcome {
            result: record(&mut self.state, &facts),
        }
    }
}

/// The state reached so far, read through the aggregate's own methods.
impl<A> Deref for Scenario<A> {
    type Target = A;

    fn deref(&self) -> &A {
        &self.state
    }
}

/// What the actor would have recorded for the facts, or why it would have refused them.
#[derive(Debug)]
#[must_use = "an outcome proves nothing until a `then…` asserts on it"]
pub struct Outcome<E> {
    result: Result<Decided<E>, Refusal>,
}

impl<E: Debug + PartialEq> Outcome<E> {
    /// Asserts that exactly these events were decided, in this order.
    #[track_caller]
    pub fn then(self, expected: impl IntoIterator<Item = E>) {
        let expected: Vec<E> = expected.into_iter().collect();
        assert_eq!(self.events(), expected, "the events decided");
    }

    /// Asserts that the facts were accepted and changed nothing (duplicates, or already so).
    #[track_caller]
    pub fn then_nothing(self) {
        self.then([]);
    }

    /// Asserts that a rule refused the facts with this code; returns the refusal for its message.
    #[track_caller]
    pub fn then_refused(self, code: RefusalCode) -> Refusal {
        match self.result {
            Ok(decided) => panic!(
                "expected the refusal {code:?}, but these events were decided: {:?}",
                decided.events
            ),
            Err(refusal) => {
                assert_eq!(refusal.code, code, "the refusal's code ({refusal})");
                refusal
            }
        }
    }

    /// The events decided, for assertions by pattern. Panics when the facts were refused.
    #[track_caller]
    pub fn events(self) -> Vec<E> {
        match self.result {
            Ok(decided) => decided.events,
            Err(refusal) => panic!(
                "expected events, but the facts were refused: {} ({refusal})",
                refusal.code
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    //! The harness itself: it refuses what `check` refuses, even where `decide` alone would record.

    use super::*;
    use crate::event::{DecodeError, DomainEvent, RecordedEvent};
    use crate::json::JsonText;
    use chrono::{DateTime, Utc};

    /// A running total that refuses negative amounts and records nothing for zero.
    #[derive(Debug, Default, Clone)]
    struct Tally(i64);

    #[derive(Debug, Clone, PartialEq)]
    struct Added(i64);

    impl DomainEvent for Added {
        const SCHEMA_VERSION: u32 = 1;

        fn event_type(&self) -> &'static str {
            "tally.added"
        }

        fn natural_key(&self) -> String {
            self.0.to_string()
        }

        fn occurred_at(&self) -> Option<DateTime<Utc>> {
            None
        }

        fn payload(&self) -> JsonText {
            JsonText::of(&self.0)
        }

        fn from_recorded(event: &RecordedEvent) -> Result<Self, DecodeError> {
            Ok(Added(event.payload.as_i64().unwrap_or_default()))
        }
    }

    impl Aggregate for Tally {
        type Fact = i64;
        type Event = Added;

        fn decide(&self, amount: &i64) -> Vec<Added> {
            if *amount == 0 {
                vec![]
            } else {
                vec![Added(*amount)]
            }
        }

        fn apply(&mut self, event: &Added) {
            self.0 += event.0;
        }

        fn check(&self, amount: &i64) -> Result<(), Refusal> {
            if *amount < 0 {
                return Err(Refusal::new(
                    RefusalCode::InvalidMessage,
                    format!("cannot add {amount}"),
                ));
            }
            Ok(())
        }
    }

    #[test]
    fn a_fact_that_check_refuses_is_refused_although_decide_alone_would_record_it() {
        let mut tally = given::<Tally>([Added(5)]);
        assert_eq!(tally.decide(&-2), [Added(-2)], "decide alone records it");
        let refusal = tally.when(-2).then_refused(RefusalCode::InvalidMessage);
        assert_eq!(refusal.message, "cannot add -2");
        assert_eq!(tally.0, 5, "a refused fact changes nothing");
    }

    #[test]
    fn one_refused_fact_refuses_its_whole_batch() {
        let mut tally = given::<Tally>([]);
        tally
            .when_all([1, -1, 2])
            .then_refused(RefusalCode::InvalidMessage);
        assert_eq!(tally.0, 0);
        tally.when_all([1, 0, 2]).then([Added(1), Added(2)]);
        assert_eq!(tally.0, 3);
        tally.when(0).then_nothing();
    }

    #[test]
    #[should_panic(expected = "the facts were refused: invalid_message")]
    fn expecting_events_of_a_refused_fact_fails() {
        given::<Tally>([]).when(-1).then([Added(-1)]);
    }

    #[test]
    #[should_panic(expected = "expected the refusal InvalidMessage")]
    fn expecting_a_refusal_of_an_accepted_fact_fails() {
        given::<Tally>([])
            .when(1)
            .then_refused(RefusalCode::InvalidMessage);
    }

    #[test]
    #[should_panic(expected = "the events decided")]
    fn expecting_other_events_fails() {
        given::<Tally>([]).when(1).then([Added(2)]);
    }
}
