//! How deep JSON may nest, on the way in and on the way back out of the store.
//!
//! serde_json refuses to parse anything nested deeper than 128 levels. The store wraps what it accepts one
//! or two levels deeper (a raw webhook change inside an account event, a template inside a queued message),
//! so an input just under that limit was once stored and could then never be read back: every projection
//! stopped at it for good. Two rules keep that from happening again:
//! - everything taken from outside (webhook bodies, API bodies) is refused above [`MAX_INPUT_DEPTH`];
//! - the store refuses a payload above [`MAX_STORED_DEPTH`], and reads payloads back without a depth
//!   limit (on a growing stack), so whatever an older version stored still reads.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;

/// The deepest JSON accepted from outside: webhook bodies and API request bodies. Meta's deepest bodies
/// nest about 8 levels; 48 leaves room for any real template or interactive message.
pub const MAX_INPUT_DEPTH: usize = 48;

/// The deepest payload the store accepts: above any accepted input plus the store's own wrapping, and
/// well below serde_json's default limit of 128 that other readers (sqlx, tools) still apply.
pub const MAX_STORED_DEPTH: usize = 96;

/// Whether JSON text nests arrays and objects deeper than `max`. A byte scan, without parsing: it can run
/// before the parser and costs one pass. Brackets inside strings do not count; the text need not be valid.
pub fn depth_exceeds(bytes: &[u8], max: usize) -> bool {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &b in bytes {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// How deeply a value nests: 0 for a scalar, 1 for `[]` or `{"a": 1}`. Iterative, so any depth is safe.
pub fn depth(value: &Value) -> usize {
    let mut deepest = 0;
    let mut pending = vec![(value, 0usize)];
    while let Some((value, level)) = pending.pop() {
        let children: Box<dyn Iterator<Item = &Value>> = match value {
            Value::Array(items) => Box::new(items.iter()),
            Value::Object(map) => Box::new(map.values()),
            _ => continue,
        };
        deepest = deepest.max(level + 1);
        pending.extend(children.map(|child| (child, level + 1)));
    }
    deepest
}

/// Parses stored JSON text of any depth into `T` (the stack grows as needed instead of failing at 128).
pub fn from_stored_str<T: DeserializeOwned>(text: &str) -> serde_json::Result<T> {
    let mut de = serde_json::Deserializer::from_str(text);
    de.disable_recursion_limit();
    let value = T::deserialize(serde_stacker::Deserializer::new(&mut de))?;
    de.end()?;
    Ok(value)
}

/// A JSON value kept as its text: a new event's payload, a message exactly as Meta sent it. Written out
/// as it is and copied as a string, never as a `serde_json::Value` tree: building, cloning, serialising
/// and dropping those trees was a large part of the write path's work (issue 21). It reads from JSON text
/// as a slice, and from a `Value` (a reader that has one) as that value's text.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JsonText(Box<RawValue>);

impl JsonText {
    /// `value` as JSON text; `null` if it cannot be JSON (a map whose keys are not strings, which none
    /// of our types has).
    pub fn of<T: Serialize + ?Sized>(value: &T) -> JsonText {
        serde_json::value::to_raw_value(value).map_or_else(|_| JsonText::default(), JsonText)
    }

    /// The JSON text.
    pub fn as_str(&self) -> &str {
        self.0.get()
    }

    /// The value as a tree, for the few readers that walk it.
    pub fn to_value(&self) -> Value {
        from_stored_str(self.as_str()).unwrap_or_default()
    }
}

impl Default for JsonText {
    fn default() -> JsonText {
        JsonText(RawValue::NULL.to_owned())
    }
}

/// The same JSON value, however it is spelled: the text read back from the store (key order, spaces)
/// need not be the text that was written.
impl PartialEq for JsonText {
    fn eq(&self, other: &JsonText) -> bool {
        self.as_str() == other.as_str() || self.to_value() == other.to_value()
    }
}

impl From<Value> for JsonText {
    fn from(value: Value) -> JsonText {
        JsonText::of(&value)
    }
}

impl From<&Value> for JsonText {
    fn from(value: &Value) -> JsonText {
        JsonText::of(value)
    }
}

/// A stored event's payload: the JSON text the store read back, parsed into a tree only if a reader asks
/// for one (through `Deref`), once. Typed readers decode the text directly ([`StoredJson::text`]): most
/// events are never turned into a tree at all, which was a third of the read side's decoding (issue 21).
#[derive(Clone)]
pub struct StoredJson {
    text: String,
    tree: std::sync::OnceLock<Value>,
}

impl StoredJson {
    /// Payload text as the store holds it (PostgreSQL's `jsonb` output, which always parses).
    pub fn from_text(text: String) -> StoredJson {
        StoredJson {
            text,
            tree: std::sync::OnceLock::new(),
        }
    }

    /// The JSON text, for typed readers.
    pub fn text(&self) -> &str {
        &self.text
    }
}

impl std::ops::Deref for StoredJson {
    type Target = Value;

    /// The payload as a tree, parsed on first use without a depth limit. Text that does not parse (never
    /// from the store) reads as `null`, which every typed reader refuses as it would refuse the text.
    fn deref(&self) -> &Value {
        self.tree
            .get_or_init(|| from_stored_str(&self.text).unwrap_or_default())
    }
}

impl From<Value> for StoredJson {
    fn from(value: Value) -> StoredJson {
        StoredJson {
            text: value.to_string(),
            tree: std::sync::OnceLock::from(value),
        }
    }
}

impl From<JsonText> for StoredJson {
    fn from(text: JsonText) -> StoredJson {
        StoredJson::from_text(text.as_str().to_owned())
    }
}

impl std::fmt::Debug for StoredJson {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::fmt::Display for StoredJson {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// The same JSON value, however it is spelled.
impl PartialEq for StoredJson {
    fn eq(&self, other: &StoredJson) -> bool {
        self.text == other.text || **self == **other
    }
}

impl PartialEq<Value> for StoredJson {
    fn eq(&self, other: &Value) -> bool {
        **self == *other
    }
}

impl Serialize for StoredJson {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Value::serialize(self, serializer)
    }
}

impl<'de> Deserialize<'de> for StoredJson {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<StoredJson, D::Error> {
        Value::deserialize(deserializer).map(StoredJson::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(levels: usize) -> String {
        format!("{}{}", "[".repeat(levels), "]".repeat(levels))
    }

    /// A message's raw JSON, kept as text in an event, reads back as the same JSON whichever way the
    /// event is read: from the store's text (reordered, respaced) or from a tree.
    #[test]
    fn json_kept_as_text_reads_back_the_same_from_text_and_from_a_tree() {
        #[derive(Serialize, Deserialize)]
        struct Message {
            wamid: String,
            raw: JsonText,
        }
        let raw = serde_json::json!({"id": "wamid.1", "text": {"body": "h\u{e9}llo \"q\" \u{1F600}"},
                                     "n": [1, 2.5, null, -3e300], "empty": {}});
        let message = Message {
            wamid: "wamid.1".into(),
            raw: JsonText::of(&raw),
        };
        let written = serde_json::to_string(&message).unwrap();
        let stored =
            serde_json::to_string(&serde_json::from_str::<Value>(&written).unwrap()).unwrap();
        let from_text: Message = from_stored_str(&stored).unwrap();
        let from_tree: Message =
            serde_json::from_value(serde_json::from_str(&stored).unwrap()).unwrap();
        assert_eq!(from_text.raw.to_value(), raw);
        assert_eq!(from_tree.raw.to_value(), raw);
        assert!(from_text.raw == message.raw && from_tree.raw == message.raw);
        assert_eq!(from_text.wamid, "wamid.1");
    }

    #[test]
    fn a_stored_payload_equals_the_same_json_however_it_is_spelled() {
        let stored = StoredJson::from_text(r#"{"b": 1, "a": [true, "x"]}"#.to_owned());
        let value = serde_json::json!({"a": [true, "x"], "b": 1});
        assert_eq!(stored, value);
        assert_eq!(stored, StoredJson::from(value.clone()));
        assert_eq!(stored["a"][1], "x");
        assert_ne!(
            stored,
            StoredJson::from(serde_json::json!({"a": [true], "b": 1}))
        );
        assert_eq!(StoredJson::from(JsonText::of(&value)), stored);
    }

    #[test]
    fn the_scan_counts_brackets_outside_strings_only() {
        assert!(!depth_exceeds(nested(48).as_bytes(), 48));
        assert!(depth_exceeds(nested(49).as_bytes(), 48));
        let quoted = format!(r#"{{"a": "{}\"{}"}}"#, "[".repeat(100), "{".repeat(100));
        assert!(!depth_exceeds(quoted.as_bytes(), 1));
        assert!(depth_exceeds(br#"{"a": {"b": [1]}}"#, 2));
        assert!(!depth_exceeds(br#"{"a": {"b": [1]}}"#, 3));
    }

    #[test]
    fn the_scan_and_the_parsed_depth_agree() {
        for text in [
            r#"1"#,
            r#"[]"#,
            r#"{"a": [1, {"b": []}], "c": {}}"#,
            &nested(40),
        ] {
            let value: Value = serde_json::from_str(text).unwrap();
            let d = depth(&value);
            assert!(!depth_exceeds(text.as_bytes(), d), "{text}");
            assert!(d == 0 || depth_exceeds(text.as_bytes(), d - 1), "{text}");
        }
    }

    #[test]
    fn stored_text_deeper_than_serde_jsons_limit_reads_back() {
        let text = nested(1000);
        assert!(serde_json::from_str::<Value>(&text).is_err());
        let value: Value = from_stored_str(&text).unwrap();
        assert_eq!(depth(&value), 1000);
    }
}
