//! Turns a verified Meta webhook body into facts addressed to streams. Pure: no I/O.
//!
//! A body holds entries (one per WhatsApp Business Account), each with changes (one per webhook field).
//! Changes of the `messages` and `smb_message_echoes` fields of a registered number are split per
//! conversation (`conversation-{phone_number_id}-{contact}`); every other change is an account fact, on the
//! number's stream when it names a registered number, else on the business account's (`waba-{id}`).
//! Nothing is dropped: what cannot be routed (no contact, no id, an id that is not a decimal string, a
//! number not registered here, a shape we do not know) is kept raw as an account fact.
//!
//! The ids that decide where facts go (`phone_number_id`, `entry[].id`) are read by [`phone_number_id`]
//! and [`business_account_id`] only: the signature check reads them through the same functions, so what
//! is checked is what is routed.

use crate::account::events::AccountChange;
use crate::account::AccountFact;
use crate::conversation::events::ContactProfile;
use crate::conversation::message::{str_at, timestamp_at, EchoedMessage, InboundMessage};
use crate::conversation::status::StatusReport;
use crate::conversation::ConversationFact;
use crate::event::StreamId;
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::hash::BuildHasher;

/// Where unrecognised bodies are kept.
pub const UNRECOGNISED_STREAM: &str = "webhook-unrecognised";

/// Keys of a `messages` change value that we route; any other key keeps the whole change raw as well.
const ROUTED_KEYS: &[&str] = &[
    "messaging_product",
    "metadata",
    "contacts",
    "messages",
    "message_echoes",
    "statuses",
];
/// Keys of a `messages` change value that must be arrays; anything else there keeps the change raw.
const ARRAY_KEYS: &[&str] = &["contacts", "messages", "message_echoes", "statuses"];
/// Keys of an entry and of a change that we read; any other keeps the entry (or change) raw as well.
const ENTRY_KEYS: &[&str] = &["id", "time", "changes"];
const CHANGE_KEYS: &[&str] = &["field", "value"];
const BODY_KEYS: &[&str] = &["object", "entry"];

/// An id Meta sends as a string of decimal digits (`phone_number_id`, `entry[].id`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Id<'a> {
    /// The body does not carry it.
    Absent,
    /// A non-empty string of ASCII digits, nothing else: the only form facts are routed by.
    Decimal(&'a str),
    /// Present in any other form (a JSON number, padded, signed, empty, `null`, ...): never routed, the
    /// change is kept raw.
    Malformed(&'a Value),
}

impl<'a> Id<'a> {
    fn read(value: Option<&'a Value>) -> Id<'a> {
        match value {
            None => Id::Absent,
            Some(Value::String(s)) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
                Id::Decimal(s)
            }
            Some(other) => Id::Malformed(other),
        }
    }

    /// The id facts may be routed by.
    pub fn decimal(self) -> Option<&'a str> {
        match self {
            Id::Decimal(s) => Some(s),
            _ => None,
        }
    }

    /// Every id this one could be taken for: itself, or for a malformed one its text, its trimmed text
    /// and its integer value. The signature check asks for the secret of each registered one, so a body
    /// that any reader could take as naming a number needs that number's app to have signed it.
    pub fn readings(self) -> BTreeSet<String> {
        let raw = match self {
            Id::Absent => return BTreeSet::new(),
            Id::Decimal(s) => return BTreeSet::from([s.to_owned()]),
            Id::Malformed(raw) => raw,
        };
        let mut readings = BTreeSet::new();
        match raw {
            Value::String(s) => {
                readings.insert(s.clone());
                readings.insert(s.trim().to_owned());
            }
            Value::Number(n) => {
                readings.insert(n.to_string());
                if let Some(f) = n.as_f64().filter(|f| f.is_finite() && f.fract() == 0.0) {
                    readings.insert(format!("{f:.0}"));
                }
            }
            other => {
                readings.insert(other.to_string());
            }
        }
        readings
    }
}

/// The number a change is for: `value.metadata.phone_number_id`.
pub fn phone_number_id(change_value: &Value) -> Id<'_> {
    Id::read(
        change_value
            .get("metadata")
            .and_then(|m| m.get("phone_number_id")),
    )
}

/// The WhatsApp Business Account an entry is for: `entry[].id`.
pub fn business_account_id(entry: &Value) -> Id<'_> {
    Id::read(entry.get("id"))
}

/// The numbers registered on this install. Only they get conversations and account facts; a change
/// for any other number is kept raw on its business account's stream, so a number added later starts
/// with nothing another app wrote.
pub trait Registered {
    fn is_registered(&self, phone_number_id: &str) -> bool;
}

impl<V, S: BuildHasher> Registered for HashMap<String, V, S> {
    fn is_registered(&self, phone_number_id: &str) -> bool {
        self.contains_key(phone_number_id)
    }
}

impl<S: BuildHasher> Registered for HashSet<String, S> {
    fn is_registered(&self, phone_number_id: &str) -> bool {
        self.contains(phone_number_id)
    }
}

impl Registered for BTreeSet<String> {
    fn is_registered(&self, phone_number_id: &str) -> bool {
        self.contains(phone_number_id)
    }
}

impl Registered for [&str] {
    fn is_registered(&self, phone_number_id: &str) -> bool {
        self.contains(&phone_number_id)
    }
}

/// The facts of one body, grouped per stream in the order they appeared.
#[derive(Debug, Default)]
pub struct RoutedBody {
    pub conversations: Vec<(StreamId, Vec<ConversationFact>)>,
    pub accounts: Vec<(StreamId, Vec<AccountFact>)>,
    /// Counts, for metrics.
    pub messages: usize,
    pub statuses: usize,
    /// The number's account stream of each conversation stream.
    homes: HashMap<StreamId, StreamId>,
}

impl RoutedBody {
    fn conversation(&mut self, stream: StreamId, home: &StreamId, fact: ConversationFact) {
        if !self.homes.contains_key(&stream) {
            self.homes.insert(stream.clone(), home.clone());
        }
        push_grouped(&mut self.conversations, stream, fact);
    }

    fn account(&mut self, stream: StreamId, change: AccountChange) {
        push_grouped(&mut self.accounts, stream, AccountFact::Change(change));
    }

    /// What to record when the store refuses `stream`'s facts as invalid data (a value PostgreSQL cannot
    /// hold): those facts, raw, as one change on the number's account stream (the stream itself for an
    /// account stream), with no time of their own. Appending the same facts again could never work, and
    /// answering anything but 200 would have Meta redeliver the body for a week.
    pub fn kept_raw(&self, stream: &StreamId, reason: &str) -> (StreamId, AccountFact) {
        let conversation = self.conversations.iter().filter(|(s, _)| s == stream);
        let account = self.accounts.iter().filter(|(s, _)| s == stream);
        let facts: Vec<Value> = conversation
            .flat_map(|(_, facts)| facts.iter().map(raw_conversation_fact))
            .chain(account.flat_map(|(_, facts)| facts.iter().map(raw_account_fact)))
            .collect();
        let home = self.homes.get(stream).unwrap_or(stream).clone();
        let change = AccountChange {
            field: "refused_by_store".into(),
            waba_id: None,
            time: None,
            value: json!({"stream": stream, "reason": reason, "facts": facts}),
        };
        (home, AccountFact::Change(change))
    }
}

/// What is recorded when even [`RoutedBody::kept_raw`] is refused: which stream, and why, on the
/// unrecognised stream (values of our own only, which the store always holds).
pub fn refusal_note(stream: &StreamId, reason: &str) -> (StreamId, AccountFact) {
    let change = AccountChange {
        field: "refused_by_store".into(),
        waba_id: None,
        time: None,
        value: json!({"stream": stream, "reason": reason}),
    };
    (
        StreamId::new(UNRECOGNISED_STREAM),
        AccountFact::Change(change),
    )
}

fn raw_conversation_fact(fact: &ConversationFact) -> Value {
    match fact {
        ConversationFact::Message(m) => m.raw.to_value(),
        ConversationFact::Echo(m) => m.raw.to_value(),
        ConversationFact::Status(s) => s.raw.to_value(),
        ConversationFact::Contact(c) => serde_json::to_value(c).unwrap_or_default(),
        // Not routed from a webhook.
        _ => Value::Null,
    }
}

fn raw_account_fact(fact: &AccountFact) -> Value {
    match fact {
        AccountFact::Change(c) => serde_json::to_value(c).unwrap_or_default(),
        // Not routed from a webhook.
        _ => Value::Null,
    }
}

fn push_grouped<F>(groups: &mut Vec<(StreamId, Vec<F>)>, stream: StreamId, fact: F) {
    match groups.iter_mut().find(|(s, _)| *s == stream) {
        Some((_, facts)) => facts.push(fact),
        None => groups.push((stream, vec![fact])),
    }
}

/// Whether `value` is an object with a key other than `read`.
fn has_other_keys(value: &Value, read: &[&str]) -> bool {
    value
        .as_object()
        .is_some_and(|o| o.keys().any(|k| !read.contains(&k.as_str())))
}

/// Routes a parsed webhook body; `registered` are the numbers of this install.
pub fn route(body: &Value, registered: &(impl Registered + ?Sized)) -> RoutedBody {
    let mut routed = RoutedBody::default();
    let unrecognised = |value: &Value| AccountChange {
        field: "unrecognised_body".into(),
        waba_id: None,
        time: None,
        value: value.clone(),
    };
    let entries = match (
        body.get("object").and_then(Value::as_str),
        body.get("entry").and_then(Value::as_array),
    ) {
        (Some("whatsapp_business_account"), Some(entries)) => entries,
        _ => {
            routed.account(StreamId::new(UNRECOGNISED_STREAM), unrecognised(body));
            return routed;
        }
    };
    if has_other_keys(body, BODY_KEYS) {
        routed.account(StreamId::new(UNRECOGNISED_STREAM), unrecognised(body));
    }
    for entry in entries {
        route_entry(&mut routed, entry, registered);
    }
    routed
}

/// An entry whose id is not a decimal string is kept whole on the unrecognised stream; one with a time
/// we cannot read, other keys, or no changes is kept whole on its business account's stream as well.
fn route_entry(routed: &mut RoutedBody, entry: &Value, registered: &(impl Registered + ?Sized)) {
    let raw_entry = |waba_id: Option<&str>, time| AccountChange {
        field: "unrecognised_entry".into(),
        waba_id: waba_id.map(str::to_owned),
        time,
        value: entry.clone(),
    };
    let waba_id = match business_account_id(entry) {
        Id::Decimal(id) => Some(id),
        Id::Absent => None,
        Id::Malformed(_) => {
            routed.account(StreamId::new(UNRECOGNISED_STREAM), raw_entry(None, None));
            return;
        }
    };
    let time = timestamp_at(entry, "time");
    let changes = entry.get("changes").and_then(Value::as_array);
    let unreadable_time = entry.get("time").is_some() && time.is_none();
    if changes.is_none() || unreadable_time || has_other_keys(entry, ENTRY_KEYS) {
        routed.account(account_stream(None, waba_id), raw_entry(waba_id, time));
    }
    for change in changes.into_iter().flatten() {
        route_change(routed, change, waba_id, time, registered);
    }
}

fn route_change(
    routed: &mut RoutedBody,
    change: &Value,
    waba_id: Option<&str>,
    time: Option<chrono::DateTime<chrono::Utc>>,
    registered: &(impl Registered + ?Sized),
) {
    let raw_change = |field: &str, value: &Value| AccountChange {
        field: field.to_owned(),
        waba_id: waba_id.map(str::to_owned),
        time,
        value: value.clone(),
    };
    let value = change.get("value");
    let number = value
        .and_then(|v| phone_number_id(v).decimal())
        .filter(|n| registered.is_registered(n));
    let account = account_stream(number, waba_id);
    if value.is_none() || has_other_keys(change, CHANGE_KEYS) {
        // Not the `{field, value}` Meta sends: kept whole (what value it has is still routed below).
        routed.account(account.clone(), raw_change("unrecognised_change", change));
    }
    let Some(value) = value else {
        return;
    };
    let field = str_at(change, "field").unwrap_or_else(|| "unknown".to_owned());
    let conversational = matches!(field.as_str(), "messages" | "smb_message_echoes");
    let (true, Some(pnid)) = (conversational, number) else {
        routed.account(account, raw_change(&field, value));
        return;
    };

    for contact in array(value, "contacts") {
        let profile = ContactProfile {
            wa_id: str_at(contact, "wa_id"),
            user_id: str_at(contact, "user_id"),
            parent_user_id: str_at(contact, "parent_user_id"),
            name: contact.get("profile").and_then(|p| str_at(p, "name")),
            username: contact.get("profile").and_then(|p| str_at(p, "username")),
        };
        match conversation_stream(pnid, [&profile.wa_id, &profile.user_id]) {
            Some(stream) => {
                routed.conversation(stream, &account, ConversationFact::Contact(profile))
            }
            None => routed.account(account.clone(), raw_change("unroutable_contact", contact)),
        }
    }
    for raw in array(value, "messages") {
        routed.messages += 1;
        let parsed = InboundMessage::parse(raw);
        let stream = parsed
            .as_ref()
            .and_then(|m| conversation_stream(pnid, [&m.group_id, &m.from, &m.from_user_id]));
        match (parsed, stream) {
            (Some(m), Some(stream)) => {
                routed.conversation(stream, &account, ConversationFact::Message(m))
            }
            _ => routed.account(account.clone(), raw_change("unroutable_message", raw)),
        }
    }
    for raw in array(value, "message_echoes") {
        routed.messages += 1;
        let parsed = EchoedMessage::parse(raw);
        let stream = parsed
            .as_ref()
            .and_then(|m| conversation_stream(pnid, [&m.to, &m.to_user_id]));
        match (parsed, stream) {
            (Some(m), Some(stream)) => {
                routed.conversation(stream, &account, ConversationFact::Echo(m))
            }
            _ => routed.account(account.clone(), raw_change("unroutable_message", raw)),
        }
    }
    for raw in array(value, "statuses") {
        routed.statuses += 1;
        let parsed = StatusReport::parse(raw);
        let stream = parsed
            .as_ref()
            .and_then(|s| conversation_stream(pnid, [&s.recipient_id, &s.recipient_user_id]));
        match (parsed, stream) {
            (Some(s), Some(stream)) => {
                routed.conversation(stream, &account, ConversationFact::Status(s))
            }
            _ => routed.account(account.clone(), raw_change("unroutable_status", raw)),
        }
    }
    // System-level errors, any key we do not route, and a routed key that is not an array: keep the
    // whole change, so nothing is lost.
    let unrouted = match value.as_object() {
        Some(o) => {
            o.keys().any(|k| !ROUTED_KEYS.contains(&k.as_str()))
                || ARRAY_KEYS
                    .iter()
                    .any(|k| o.get(*k).is_some_and(|v| !v.is_array()))
        }
        None => true,
    };
    if unrouted {
        routed.account(account, raw_change(&field, value));
    }
}

fn array<'a>(value: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    value
        .get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// The conversation stream for the first usable contact key; `None` if there is none.
fn conversation_stream<const N: usize>(
    phone_number_id: &str,
    keys: [&Option<String>; N],
) -> Option<StreamId> {
    let contact = keys.into_iter().flatten().find(|k| !k.trim().is_empty())?;
    let stream = StreamId::conversation(phone_number_id, contact);
    (stream.as_str().len() <= StreamId::MAX_LEN).then_some(stream)
}

/// The registered number's stream, else the business account's, else the unrecognised stream.
fn account_stream(phone_number_id: Option<&str>, waba_id: Option<&str>) -> StreamId {
    let candidates = [
        phone_number_id.map(StreamId::account),
        waba_id.map(StreamId::business_account),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|s| s.as_str().len() <= StreamId::MAX_LEN)
        .unwrap_or_else(|| StreamId::new(UNRECOGNISED_STREAM))
}

/// Replaces U+0000 in every string and key of `value` with U+FFFD. PostgreSQL's `jsonb` cannot hold
/// U+0000, so a body carrying one (valid JSON, and signed) could never be stored: Meta would redeliver it
/// for a week and every delivery would fail. Returns whether anything was replaced.
pub fn replace_nul(value: &mut Value) -> bool {
    fn clean(s: &str) -> Option<String> {
        s.contains('\0').then(|| s.replace('\0', "\u{FFFD}"))
    }
    match value {
        Value::String(s) => match clean(s) {
            Some(cleaned) => {
                *s = cleaned;
                true
            }
            None => false,
        },
        Value::Array(items) => items.iter_mut().fold(false, |any, v| replace_nul(v) | any),
        Value::Object(map) => {
            let mut any = false;
            if map.keys().any(|k| k.contains('\0')) {
                *map = std::mem::take(map)
                    .into_iter()
                    .map(|(k, v)| (clean(&k).unwrap_or(k), v))
                    .collect();
                any = true;
            }
            map.values_mut().fold(any, |any, v| replace_nul(v) | any)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests;
