//! A WhatsApp business number (`account-{phone_number_id}`) or business account (`waba-{id}`): the facts
//! Meta reports about it, and the number's configuration.
//!
//! Every account-level webhook change is recorded, modelled or not: Meta would otherwise redeliver it for
//! a week, and an unmodelled change kept raw can be read by a later schema.

pub mod events;
pub mod sealed;

use crate::aggregate::{Aggregate, Refusal, RefusalCode};
use crate::bot::settings::BotSettings;
use chrono::{DateTime, Utc};
use events::{
    AccountChange, AccountConfigured, AccountEvent, BotConfigured, BotQaRemoved, BotQaSaved,
};
use std::collections::BTreeMap;

/// The longest token or secret accepted (Meta's long-lived tokens are a few hundred characters).
pub const SECRET_MAX_LEN: usize = 2048;

/// Why a token or secret (an access token, a verify token, an app secret, the operator's token) is
/// refused, or `None` when it is acceptable. These travel in HTTP headers, query strings and HMAC keys
/// exactly as written, so only visible ASCII (`!` to `~`) is allowed: a space, a control character or
/// anything beyond ASCII would be accepted here and break every call that carries it. Every place a
/// secret is set (the API, the environment) asks this one function.
pub fn secret_problem(value: &str) -> Option<String> {
    if value.is_empty() {
        return Some("must not be empty".into());
    }
    if value.len() > SECRET_MAX_LEN {
        return Some(format!("must be at most {SECRET_MAX_LEN} characters"));
    }
    value
        .char_indices()
        .find(|(_, c)| !matches!(c, '!'..='~'))
        .map(|(at, c)| {
            format!(
                "must be visible ASCII characters only (! to ~): {} at byte {at} is not",
                c.escape_unicode()
            )
        })
}

#[derive(Debug, Clone, PartialEq)]
pub enum AccountFact {
    /// The number as the operator configured it (from settings at start-up).
    Configured(AccountConfigured),
    /// A webhook change about the account.
    Change(AccountChange),
    /// Someone saves the bot's settings (already validated). With `based_on`, the save is refused when
    /// another was made since that version (two people editing at once).
    /// Add or change a question and answer of the bot's knowledge base (already validated).
    SaveQa(BotQaSaved),
    /// Remove one; refused when there is no such entry.
    RemoveQa {
        qa_id: uuid::Uuid,
        at: DateTime<Utc>,
    },
    ConfigureBot {
        save_id: uuid::Uuid,
        settings: BotSettings,
        based_on: Option<u64>,
        at: DateTime<Utc>,
    },
    /// Someone saves the number's team-work settings (already validated); saving what is already in
    /// force records nothing.
    ConfigureTeamwork(events::TeamworkConfigured),
}

/// The state an account actor decides from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Account {
    configuration: Option<AccountConfigured>,
    /// Meta's latest quality event for the number (`FLAGGED`, `UNFLAGGED`, `UPGRADE`, ...).
    quality: Option<String>,
    /// Latest review status per template (`name/language` → `APPROVED`, `REJECTED`, ...).
    templates: BTreeMap<String, String>,
    /// Latest `account_update` event (`ACCOUNT_VIOLATION`, `DISABLED_UPDATE`, ...).
    last_account_update: Option<String>,
    changes: usize,
    /// The bot's settings and their version (0: never saved, the defaults).
    bot: (u64, BotSettings),
    /// The knowledge base: question and answer per entry.
    qa: BTreeMap<uuid::Uuid, (String, String)>,
    teamwork: crate::teamwork::TeamworkSettings,
}

/// The most entries a number's knowledge base holds.
pub const QA_MAX: usize = 1000;

impl Account {
    pub fn configuration(&self) -> Option<&AccountConfigured> {
        self.configuration.as_ref()
    }

    pub fn quality(&self) -> Option<&str> {
        self.quality.as_deref()
    }

    pub fn template_status(&self, name: &str, language: &str) -> Option<&str> {
        self.templates
            .get(&format!("{name}/{language}"))
            .map(String::as_str)
    }

    pub fn last_account_update(&self) -> Option<&str> {
        self.last_account_update.as_deref()
    }

    /// How many webhook changes were recorded.
    pub fn changes_recorded(&self) -> usize {
        self.changes
    }

    /// The bot's settings and their version (0 until first saved).
    pub fn bot(&self) -> (u64, &BotSettings) {
        (self.bot.0, &self.bot.1)
    }

    /// Business hours, away message and automatic assignment.
    pub fn teamwork(&self) -> &crate::teamwork::TeamworkSettings {
        &self.teamwork
    }

    /// Whether the knowledge base holds this entry.
    pub fn has_qa(&self, qa_id: &uuid::Uuid) -> bool {
        self.qa.contains_key(qa_id)
    }
}

impl Aggregate for Account {
    type Fact = AccountFact;
    type Event = AccountEvent;

    fn decide(&self, fact: &AccountFact) -> Vec<AccountEvent> {
        match fact {
            AccountFact::Configured(c) if self.configuration.as_ref() != Some(c) => {
                vec![AccountEvent::Configured(c.clone())]
            }
            AccountFact::Configured(_) => vec![],
            // Changes carry no id of their own; their content-derived event id makes a redelivered
            // change a no-op in the store.
            AccountFact::Change(change) => vec![AccountEvent::from_change(change.clone())],
            AccountFact::ConfigureBot {
                save_id,
                settings,
                at,
                ..
            } if *settings != self.bot.1 => {
                vec![AccountEvent::BotConfigured(BotConfigured {
                    save_id: *save_id,
                    version: self.bot.0 + 1,
                    settings: settings.clone(),
                    at: *at,
                })]
            }
            AccountFact::ConfigureBot { .. } => vec![],
            AccountFact::SaveQa(q)
                if self.qa.get(&q.qa_id) != Some(&(q.question.clone(), q.answer.clone())) =>
            {
                vec![AccountEvent::BotQaSaved(q.clone())]
            }
            AccountFact::SaveQa(_) => vec![],
            AccountFact::ConfigureTeamwork(t) if t.settings != self.teamwork => {
                vec![AccountEvent::TeamworkConfigured(t.clone())]
            }
            AccountFact::ConfigureTeamwork(_) => vec![],
            AccountFact::RemoveQa { qa_id, at } => vec![AccountEvent::BotQaRemoved(BotQaRemoved {
                qa_id: *qa_id,
                at: *at,
            })],
        }
    }

    fn check(&self, fact: &AccountFact) -> Result<(), Refusal> {
        match fact {
            AccountFact::ConfigureBot {
                based_on: Some(v), ..
            } if *v != self.bot.0 => Err(Refusal::new(
                RefusalCode::StaleSettings,
                format!(
                    "the bot's settings were changed since version {v} (now version {}): reload them \
                     and make your change again",
                    self.bot.0
                ),
            )),
            AccountFact::SaveQa(q) if !self.qa.contains_key(&q.qa_id) && self.qa.len() >= QA_MAX => {
                Err(Refusal::new(
                    RefusalCode::TooManyEntries,
                    format!("the knowledge base holds {QA_MAX} entries already: remove some first"),
                ))
            }
            AccountFact::RemoveQa { qa_id, .. } if !self.qa.contains_key(qa_id) => Err(Refusal::new(
                RefusalCode::UnknownEntry,
                format!("the knowledge base has no entry {qa_id}"),
            )),
            _ => Ok(()),
        }
    }

    fn apply(&mut self, event: &AccountEvent) {
        match event {
            AccountEvent::Configured(c) => self.configuration = Some(c.clone()),
            AccountEvent::QualityUpdated(c) => {
                self.changes += 1;
                self.quality = c.str("event");
            }
            AccountEvent::TemplateStatusUpdated(c) => {
                self.changes += 1;
                if let (Some(name), Some(language), Some(status)) = (
                    c.str("message_template_name"),
                    c.str("message_template_language"),
                    c.str("event"),
                ) {
                    self.templates.insert(format!("{name}/{language}"), status);
                }
            }
            AccountEvent::AccountUpdated(c) => {
                self.changes += 1;
                self.last_account_update = c.str("event");
            }
            AccountEvent::ChangeRecorded(_) => self.changes += 1,
            AccountEvent::BotConfigured(b) => self.bot = (b.version, b.settings.clone()),
            AccountEvent::BotQaSaved(q) => {
                self.qa
                    .insert(q.qa_id, (q.question.clone(), q.answer.clone()));
            }
            AccountEvent::BotQaRemoved(q) => {
                self.qa.remove(&q.qa_id);
            }
            AccountEvent::TeamworkConfigured(t) => self.teamwork = t.settings.clone(),
        }
    }
}

#[cfg(test)]
mod tests;
