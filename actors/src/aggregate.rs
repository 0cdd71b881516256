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
    pub code: RefusalCode,
    pub message: String,
}

impl Refusal {
    pub fn new(code: RefusalCode, message: impl Into<String>) -> Self {
        Refusal {
            code,
            message: message.into(),
        }
    }
}

/// What a refusal asks of the caller. Every edge (the API, the CLI) answers a kind alike, so a new code
/// only has to say which kind it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalKind {
    /// The command names something that does not exist.
    NotFound,
    /// The command contradicts the current state (a taken name, the last administrator).
    Conflict,
    /// The command is malformed whatever the state.
    Malformed,
    /// The command is well-formed, but a rule forbids it.
    BreaksRule,
}

macro_rules! refusal_codes {
    ($($(#[$doc:meta])* $variant:ident = $code:literal, $kind:ident;)*) => {
        /// Every reason an aggregate refuses a command, with its stable wire code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum RefusalCode {
            $($(#[$doc])* $variant,)*
        }

        impl RefusalCode {
            /// Every code, for documentation and tests.
            pub const ALL: &'static [RefusalCode] = &[$(RefusalCode::$variant,)*];

            /// The stable code clients program against.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(RefusalCode::$variant => $code,)*
                }
            }

            pub const fn kind(self) -> RefusalKind {
                match self {
                    $(RefusalCode::$variant => RefusalKind::$kind,)*
                }
            }
        }
    };
}

refusal_codes! {
    UnknownUser = "unknown_user", NotFound;
    UnknownRole = "unknown_role", NotFound;
    UnknownToken = "unknown_token", NotFound;
    /// The bot's knowledge base has no such entry.
    UnknownEntry = "unknown_entry", NotFound;
    UnknownTeam = "unknown_team", NotFound;
    UnknownLabel = "unknown_label", NotFound;
    /// No such canned reply.
    UnknownReply = "unknown_reply", NotFound;
    AlreadySetUp = "already_set_up", Conflict;
    EmailTaken = "email_taken", Conflict;
    SubjectTaken = "subject_taken", Conflict;
    RoleExists = "role_exists", Conflict;
    RoleInUse = "role_in_use", Conflict;
    LastAdmin = "last_admin", Conflict;
    CannotDisableSelf = "cannot_disable_self", Conflict;
    TokenExists = "token_exists", Conflict;
    /// The bot's settings changed since the version the change was based on.
    StaleSettings = "stale_settings", Conflict;
    /// The bot's knowledge base is full.
    TooManyEntries = "too_many_entries", Conflict;
    /// Another team has this name (names are compared ignoring case).
    TeamNameTaken = "team_name_taken", Conflict;
    /// Another label has this name (names are compared ignoring case).
    LabelNameTaken = "label_name_taken", Conflict;
    /// Another canned reply of the same number (or for every number) has this shortcut.
    ShortcutTaken = "shortcut_taken", Conflict;
    /// A message that can never be sent (empty text, a caption on a sticker, ...).
    InvalidMessage = "invalid_message", Malformed;
    /// A team's or label's name is empty, too long or holds control characters.
    InvalidName = "invalid_name", Malformed;
    /// A label's colour is not written `#rrggbb`.
    InvalidColour = "invalid_colour", Malformed;
    /// A canned reply's shortcut is not 1 to 32 of `a-z0-9_-`.
    InvalidShortcut = "invalid_shortcut", Malformed;
    /// A canned reply's text is empty, too long or holds control characters.
    InvalidReplyText = "invalid_reply_text", Malformed;
    /// A team lists more members than it may hold.
    TooManyMembers = "too_many_members", Malformed;
    /// A team names a member or number that is not an id.
    InvalidTeam = "invalid_team", Malformed;
    /// A number id that is not one.
    InvalidAccount = "invalid_account", Malformed;
    InvalidEmail = "invalid_email", BreaksRule;
    InvalidRole = "invalid_role", BreaksRule;
    InvalidRoleName = "invalid_role_name", BreaksRule;
    InvalidSubject = "invalid_subject", BreaksRule;
    InvalidToken = "invalid_token", BreaksRule;
    NotAccountScoped = "not_account_scoped", BreaksRule;
    /// The user is linked to another identity of the provider.
    SubjectMismatch = "subject_mismatch", BreaksRule;
    /// An idempotency key already used for another request.
    IdempotencyKeyReused = "idempotency_key_reused", BreaksRule;
    /// Free-form messages need a customer message in the last 24 hours.
    WindowClosed = "window_closed", BreaksRule;
    /// A reply or reaction names a message this conversation does not hold.
    UnknownMessage = "unknown_message", BreaksRule;
    /// A snooze until a time that has passed, or a time given for another status.
    InvalidSnooze = "invalid_snooze", Malformed;
    /// A note without text, or too long.
    InvalidNote = "invalid_note", Malformed;
    /// A conversation holds at most so many labels.
    TooManyLabels = "too_many_labels", Conflict;
}

impl std::fmt::Display for RefusalCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
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
