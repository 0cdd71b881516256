//! The extractor itself (to be written): from a text, an [`Extraction`].

use super::{Extraction, MessageType};
use std::collections::BTreeMap;

/// Reads one message's text.
pub fn extract(_text: &str) -> Extraction {
    Extraction {
        kind: MessageType::General,
        language: None,
        confidence: 0.0,
        listings: Vec::new(),
        spans: BTreeMap::new(),
    }
}
