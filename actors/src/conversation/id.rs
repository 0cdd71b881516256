//! The id of a conversation: `{phone_number_id}-{contact}`, and the stream that holds it,
//! `conversation-{phone_number_id}-{contact}`. The only place either is put together or taken apart.

use crate::event::StreamId;
use serde::{Deserialize, Serialize};

const STREAM_PREFIX: &str = "conversation-";

/// One business number (`account`) talking with one customer or group (`contact`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ConversationId {
    id: String,
    /// Where `account` ends in `id`: a phone number id holds no `-`, a contact may.
    split: usize,
}

/// Why a text is not a conversation id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a conversation id is `{{phone_number_id}}-{{contact}}`: digits, a dash, then the contact")]
pub struct NotAConversationId;

impl ConversationId {
    pub fn new(account: &str, contact: &str) -> Self {
        ConversationId {
            id: format!("{account}-{contact}"),
            split: account.len(),
        }
    }

    /// Reads an id as the API and the read models carry it.
    pub fn parse(id: &str) -> Result<Self, NotAConversationId> {
        let (account, contact) = id.split_once('-').ok_or(NotAConversationId)?;
        let digits = !account.is_empty() && account.bytes().all(|b| b.is_ascii_digit());
        match digits && !contact.is_empty() {
            true => Ok(Self::new(account, contact)),
            false => Err(NotAConversationId),
        }
    }

    /// The conversation a stream holds, if it is a conversation's stream.
    pub fn of_stream(stream: &StreamId) -> Option<Self> {
        Self::parse(stream.as_str().strip_prefix(STREAM_PREFIX)?).ok()
    }

    /// The business number's `phone_number_id`.
    pub fn account(&self) -> &str {
        &self.id[..self.split]
    }

    /// The customer's wa_id, their business-scoped user id, or the group id.
    pub fn contact(&self) -> &str {
        &self.id[self.split + 1..]
    }

    pub fn stream(&self) -> StreamId {
        StreamId::new(format!("{STREAM_PREFIX}{}", self.id))
    }

    pub fn as_str(&self) -> &str {
        &self.id
    }
}

impl std::fmt::Display for ConversationId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.id)
    }
}

impl TryFrom<String> for ConversationId {
    type Error = NotAConversationId;

    fn try_from(id: String) -> Result<Self, Self::Error> {
        Self::parse(&id)
    }
}

impl From<ConversationId> for String {
    fn from(id: ConversationId) -> Self {
        id.id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_and_stream_round_trip() {
        let id = ConversationId::new("777", "US.42-x");
        assert_eq!((id.account(), id.contact()), ("777", "US.42-x"));
        assert_eq!(id.stream().as_str(), "conversation-777-US.42-x");
        assert_eq!(ConversationId::of_stream(&id.stream()), Some(id.clone()));
        assert_eq!(ConversationId::parse("777-US.42-x"), Ok(id));
        assert_eq!(
            StreamId::conversation("777", "1"),
            ConversationId::new("777", "1").stream()
        );
    }

    #[test]
    fn what_is_not_a_conversation_id_is_refused() {
        for bad in ["", "777", "-1", "777-", "abc-1", "7 7-1"] {
            assert_eq!(
                ConversationId::parse(bad),
                Err(NotAConversationId),
                "{bad:?}"
            );
        }
        assert_eq!(ConversationId::of_stream(&StreamId::account("777")), None);
    }
}
