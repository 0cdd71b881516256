//! Turns a verified Meta webhook body into facts addressed to streams. Pure: no I/O.
//!
//! A body holds entries (one per WhatsApp Business Account), each with changes (one per webhook field).
//! Changes of the `messages` and `smb_message_echoes` fields are split per conversation
//! (`conversation-{phone_number_id}-{contact}`); every other change is an account fact, on the number's
//! stream when the change names one, else on the business account's. Nothing is dropped: what cannot be
//! routed (no contact, no id, an unknown body shape) is kept raw as an account fact.

use crate::account::events::AccountChange;
use crate::account::AccountFact;
use crate::conversation::events::ContactProfile;
use crate::conversation::message::{str_at, timestamp_at, EchoedMessage, InboundMessage};
use crate::conversation::status::StatusReport;
use crate::conversation::ConversationFact;
use crate::event::StreamId;
use serde_json::Value;

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

/// The facts of one body, grouped per stream in the order they appeared.
#[derive(Debug, Default)]
pub struct RoutedBody {
    pub conversations: Vec<(StreamId, Vec<ConversationFact>)>,
    pub accounts: Vec<(StreamId, Vec<AccountFact>)>,
    /// Counts, for metrics.
    pub messages: usize,
    pub statuses: usize,
}

impl RoutedBody {
    fn conversation(&mut self, stream: StreamId, fact: ConversationFact) {
        push_grouped(&mut self.conversations, stream, fact);
    }

    fn account(&mut self, stream: StreamId, change: AccountChange) {
        push_grouped(&mut self.accounts, stream, AccountFact::Change(change));
    }
}

fn push_grouped<F>(groups: &mut Vec<(StreamId, Vec<F>)>, stream: StreamId, fact: F) {
    match groups.iter_mut().find(|(s, _)| *s == stream) {
        Some((_, facts)) => facts.push(fact),
        None => groups.push((stream, vec![fact])),
    }
}

/// Routes a parsed webhook body.
pub fn route(body: &Value) -> RoutedBody {
    let mut routed = RoutedBody::default();
    let entries = match (
        body.get("object").and_then(Value::as_str),
        body.get("entry").and_then(Value::as_array),
    ) {
        (Some("whatsapp_business_account"), Some(entries)) => entries,
        _ => {
            routed.account(
                StreamId::new(UNRECOGNISED_STREAM),
                AccountChange {
                    field: "unrecognised_body".into(),
                    waba_id: None,
                    time: None,
                    value: body.clone(),
                },
            );
            return routed;
        }
    };
    for entry in entries {
        let waba_id = str_at(entry, "id");
        let time = timestamp_at(entry, "time");
        let Some(changes) = entry.get("changes").and_then(Value::as_array) else {
            let stream = account_stream(None, waba_id.as_deref());
            routed.account(
                stream,
                AccountChange {
                    field: "unrecognised_entry".into(),
                    waba_id,
                    time,
                    value: entry.clone(),
                },
            );
            continue;
        };
        for change in changes {
            route_change(&mut routed, change, waba_id.as_deref(), time);
        }
    }
    routed
}

fn route_change(
    routed: &mut RoutedBody,
    change: &Value,
    waba_id: Option<&str>,
    time: Option<chrono::DateTime<chrono::Utc>>,
) {
    let field = str_at(change, "field").unwrap_or_else(|| "unknown".to_owned());
    let value = change.get("value").cloned().unwrap_or(Value::Null);
    let phone_number_id = value
        .get("metadata")
        .and_then(|m| str_at(m, "phone_number_id"));
    let account = account_stream(phone_number_id.as_deref(), waba_id);
    let raw_change = |field: &str, value: Value| AccountChange {
        field: field.to_owned(),
        waba_id: waba_id.map(str::to_owned),
        time,
        value,
    };

    let conversational = matches!(field.as_str(), "messages" | "smb_message_echoes");
    let (true, Some(pnid)) = (conversational, phone_number_id.as_deref()) else {
        routed.account(account, raw_change(&field, value));
        return;
    };

    for contact in array(&value, "contacts") {
        let profile = ContactProfile {
            wa_id: str_at(contact, "wa_id"),
            user_id: str_at(contact, "user_id"),
            parent_user_id: str_at(contact, "parent_user_id"),
            name: contact.get("profile").and_then(|p| str_at(p, "name")),
            username: contact.get("profile").and_then(|p| str_at(p, "username")),
        };
        match conversation_stream(pnid, [&profile.wa_id, &profile.user_id]) {
            Some(stream) => routed.conversation(stream, ConversationFact::Contact(profile)),
            None => routed.account(
                account.clone(),
                raw_change("unroutable_contact", contact.clone()),
            ),
        }
    }
    for raw in array(&value, "messages") {
        routed.messages += 1;
        let parsed = InboundMessage::parse(raw);
        let stream = parsed
            .as_ref()
            .and_then(|m| conversation_stream(pnid, [&m.group_id, &m.from, &m.from_user_id]));
        match (parsed, stream) {
            (Some(m), Some(stream)) => routed.conversation(stream, ConversationFact::Message(m)),
            _ => routed.account(
                account.clone(),
                raw_change("unroutable_message", raw.clone()),
            ),
        }
    }
    for raw in array(&value, "message_echoes") {
        routed.messages += 1;
        let parsed = EchoedMessage::parse(raw);
        let stream = parsed
            .as_ref()
            .and_then(|m| conversation_stream(pnid, [&m.to, &m.to_user_id]));
        match (parsed, stream) {
            (Some(m), Some(stream)) => routed.conversation(stream, ConversationFact::Echo(m)),
            _ => routed.account(
                account.clone(),
                raw_change("unroutable_message", raw.clone()),
            ),
        }
    }
    for raw in array(&value, "statuses") {
        routed.statuses += 1;
        let parsed = StatusReport::parse(raw);
        let stream = parsed
            .as_ref()
            .and_then(|s| conversation_stream(pnid, [&s.recipient_id, &s.recipient_user_id]));
        match (parsed, stream) {
            (Some(s), Some(stream)) => routed.conversation(stream, ConversationFact::Status(s)),
            _ => routed.account(
                account.clone(),
                raw_change("unroutable_status", raw.clone()),
            ),
        }
    }
    // System-level errors and any key we do not route: keep the whole change, so nothing is lost.
    let unrouted = value
        .as_object()
        .is_some_and(|o| o.keys().any(|k| !ROUTED_KEYS.contains(&k.as_str())));
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
