//! One JSON Schema, two dialects: Gemini's `responseSchema` (an OpenAPI 3.0 subset with upper-case types
//! and `propertyOrdering`, which answers 400 to any keyword it does not know) and OpenAI's strict
//! `json_schema` (every property required, `additionalProperties: false` on every object).

use serde_json::{Map, Value};

/// The keywords Gemini's `Schema` takes besides those converted below; any other keyword
/// (`additionalProperties`, `$schema`, `title`, `minLength`, ...) is dropped, as Gemini would refuse it.
const GEMINI_KEPT: &[&str] = &[
    "description",
    "format",
    "nullable",
    "minItems",
    "maxItems",
    "minimum",
    "maximum",
];

/// The schema as Gemini's `responseSchema`, or why it cannot be one.
pub(crate) fn to_gemini(schema: &Value) -> Result<Value, String> {
    to_gemini_at(schema, "$", 0)
}

fn to_gemini_at(schema: &Value, at: &str, depth: usize) -> Result<Value, String> {
    if depth > 32 {
        return Err(format!("the schema nests too deeply at {at}"));
    }
    let Value::Object(source) = schema else {
        return Err(format!("the schema at {at} is not an object"));
    };
    if source.contains_key("$ref") {
        return Err(format!(
            "the schema at {at} uses $ref, which responseSchema cannot express"
        ));
    }
    let mut out = Map::new();
    match source.get("type") {
        Some(Value::String(name)) => {
            out.insert("type".into(), Value::String(gemini_type(name, at)?));
        }
        Some(Value::Array(names)) => {
            // ["string", "null"]: one type, nullable.
            let mut kinds = names.iter().filter(|n| n.as_str() != Some("null"));
            let (Some(Value::String(name)), None) = (kinds.next(), kinds.next()) else {
                return Err(format!(
                    "the schema at {at} has several types; use anyOf instead"
                ));
            };
            out.insert("type".into(), Value::String(gemini_type(name, at)?));
            if names.len() > 1 {
                out.insert("nullable".into(), Value::Bool(true));
            }
        }
        Some(_) => return Err(format!("the schema at {at} has a type that is not a name")),
        None => {
            // Gemini wants a type; say the one the other keywords imply.
            let implied = if source.contains_key("properties") {
                Some("OBJECT")
            } else if source.contains_key("items") {
                Some("ARRAY")
            } else if source.contains_key("enum") {
                Some("STRING")
            } else {
                None
            };
            if let Some(implied) = implied {
                out.insert("type".into(), Value::String(implied.into()));
            }
        }
    }
    for key in GEMINI_KEPT {
        if let Some(value) = source.get(*key) {
            // Nullability from a type list wins over an explicit false.
            if *key == "nullable" && out.contains_key("nullable") {
                continue;
            }
            out.insert((*key).into(), value.clone());
        }
    }
    let choices = match (source.get("enum"), source.get("const")) {
        (Some(Value::Array(values)), _) => Some(values.clone()),
        (Some(_), _) => return Err(format!("the enum at {at} is not a list")),
        (None, Some(constant)) => Some(vec![constant.clone()]),
        (None, None) => None,
    };
    if let Some(values) = choices {
        // A null choice is said by `nullable`, which a type list has set.
        let values: Vec<Value> = values.into_iter().filter(|v| !v.is_null()).collect();
        if values.iter().any(|v| !v.is_string()) {
            return Err(format!(
                "the enum at {at} has values that are not strings, which responseSchema cannot express"
            ));
        }
        out.insert("enum".into(), Value::Array(values));
    }
    if let Some(properties) = source.get("properties") {
        let Value::Object(properties) = properties else {
            return Err(format!("the properties at {at} are not an object"));
        };
        let mut converted = Map::new();
        for (name, property) in properties {
            converted.insert(
                name.clone(),
                to_gemini_at(property, &format!("{at}.{name}"), depth + 1)?,
            );
        }
        let required = required_names(source);
        // serde_json's maps are sorted, so the order a schema was written in is gone; `required` is a
        // list and keeps the intended order, the rest follow.
        let ordering: Vec<Value> = required
            .iter()
            .filter(|name| properties.contains_key(name.as_str()))
            .cloned()
            .chain(
                properties
                    .keys()
                    .filter(|name| !required.contains(name))
                    .cloned(),
            )
            .map(Value::String)
            .collect();
        out.insert("properties".into(), Value::Object(converted));
        if !required.is_empty() {
            out.insert(
                "required".into(),
                Value::Array(required.into_iter().map(Value::String).collect()),
            );
        }
        if !ordering.is_empty() {
            out.insert("propertyOrdering".into(), Value::Array(ordering));
        }
    }
    if let Some(items) = source.get("items") {
        out.insert(
            "items".into(),
            to_gemini_at(items, &format!("{at}[]"), depth + 1)?,
        );
    }
    if let Some(any_of) = source.get("anyOf") {
        let Value::Array(choices) = any_of else {
            return Err(format!("anyOf at {at} is not a list"));
        };
        let choices = choices
            .iter()
            .enumerate()
            .map(|(i, choice)| to_gemini_at(choice, &format!("{at}.anyOf[{i}]"), depth + 1))
            .collect::<Result<Vec<_>, _>>()?;
        out.insert("anyOf".into(), Value::Array(choices));
    }
    Ok(Value::Object(out))
}

fn gemini_type(name: &str, at: &str) -> Result<String, String> {
    match name {
        "object" | "string" | "number" | "integer" | "boolean" | "array" | "null" => {
            Ok(name.to_ascii_uppercase())
        }
        other => Err(format!("the schema at {at} has an unknown type {other:?}")),
    }
}

fn required_names(schema: &Map<String, Value>) -> Vec<String> {
    match schema.get("required") {
        Some(Value::Array(names)) => names
            .iter()
            .filter_map(|n| n.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

/// The schema as OpenAI's strict structured outputs want it: every object closed
/// (`additionalProperties: false`) and every property required; a property that was optional becomes
/// required but nullable, which is how strict mode says "may be absent".
pub(crate) fn to_openai_strict(schema: &Value) -> Value {
    strict_at(schema, 0)
}

fn strict_at(schema: &Value, depth: usize) -> Value {
    let Value::Object(source) = schema else {
        return schema.clone();
    };
    if depth > 32 {
        return schema.clone();
    }
    let mut out = source.clone();
    let is_object = source.get("type").and_then(Value::as_str) == Some("object")
        || source.contains_key("properties");
    if let Some(Value::Object(properties)) = source.get("properties") {
        let mut required = required_names(source);
        let mut converted = Map::new();
        for (name, property) in properties {
            let mut property = strict_at(property, depth + 1);
            if !required.contains(name) {
                property = nullable(property);
                required.push(name.clone());
            }
            converted.insert(name.clone(), property);
        }
        out.insert("properties".into(), Value::Object(converted));
        out.insert(
            "required".into(),
            Value::Array(required.into_iter().map(Value::String).collect()),
        );
    }
    if is_object {
        out.insert("additionalProperties".into(), Value::Bool(false));
        out.entry("properties")
            .or_insert_with(|| Value::Object(Map::new()));
        out.entry("required")
            .or_insert_with(|| Value::Array(Vec::new()));
    }
    if let Some(items) = source.get("items") {
        out.insert("items".into(), strict_at(items, depth + 1));
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(Value::Array(choices)) = source.get(key) {
            out.insert(
                key.into(),
                Value::Array(choices.iter().map(|c| strict_at(c, depth + 1)).collect()),
            );
        }
    }
    for key in ["$defs", "definitions"] {
        if let Some(Value::Object(defs)) = source.get(key) {
            out.insert(
                key.into(),
                Value::Object(
                    defs.iter()
                        .map(|(name, def)| (name.clone(), strict_at(def, depth + 1)))
                        .collect(),
                ),
            );
        }
    }
    Value::Object(out)
}

/// A property that may also be `null`.
fn nullable(mut property: Value) -> Value {
    let Value::Object(map) = &mut property else {
        return property;
    };
    match map.get_mut("type") {
        Some(Value::String(name)) => {
            if name != "null" {
                let name = std::mem::take(name);
                map.insert(
                    "type".into(),
                    Value::Array(vec![Value::String(name), Value::String("null".into())]),
                );
            }
        }
        Some(Value::Array(names)) => {
            if !names.iter().any(|n| n == "null") {
                names.push(Value::String("null".into()));
            }
        }
        _ => {
            return serde_json::json!({"anyOf": [property, {"type": "null"}]});
        }
    }
    if let Some(Value::Array(values)) = map.get_mut("enum") {
        if !values.contains(&Value::Null) {
            values.push(Value::Null);
        }
    }
    property
}

/// A schema name as OpenAI accepts it: letters, digits, `_` and `-`, 1 to 64 of them.
pub(crate) fn openai_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    if cleaned.is_empty() {
        "answer".into()
    } else {
        cleaned
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn bot_schema() -> Value {
        json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "reply": {"type": "string", "description": "The message to send"},
                "confidence": {"type": "number", "minimum": 0, "maximum": 1},
                "needs_human": {"type": "boolean"},
                "reasons": {"type": "array", "items": {"type": "string"}, "maxItems": 5},
                "language": {"type": ["string", "null"], "enum": ["pt", "en", null]},
                "topic": {"enum": ["shipping", "returns"], "title": "Topic"}
            },
            "required": ["reply", "confidence", "needs_human", "reasons"]
        })
    }

    #[test]
    fn gemini_gets_upper_case_types_the_required_order_and_no_json_schema_keywords() {
        let converted = to_gemini(&bot_schema()).unwrap();
        assert_eq!(
            converted,
            json!({
                "type": "OBJECT",
                "properties": {
                    "reply": {"type": "STRING", "description": "The message to send"},
                    "confidence": {"type": "NUMBER", "minimum": 0, "maximum": 1},
                    "needs_human": {"type": "BOOLEAN"},
                    "reasons": {"type": "ARRAY", "items": {"type": "STRING"}, "maxItems": 5},
                    "language": {"type": "STRING", "nullable": true, "enum": ["pt", "en"]},
                    "topic": {"type": "STRING", "enum": ["shipping", "returns"]}
                },
                "required": ["reply", "confidence", "needs_human", "reasons"],
                "propertyOrdering": ["reply", "confidence", "needs_human", "reasons", "language", "topic"]
            })
        );
    }

    #[test]
    fn gemini_conversion_refuses_what_response_schema_cannot_say() {
        assert!(to_gemini(&json!({"$ref": "#/$defs/x"})).is_err());
        assert!(
            to_gemini(&json!({"type": "object", "properties": {"n": {"enum": [1, 2]}}})).is_err()
        );
        assert!(to_gemini(&json!({"type": ["string", "integer"]})).is_err());
        assert!(to_gemini(&json!({"type": "tuple"})).is_err());
        assert!(to_gemini(&json!("string")).is_err());
        assert_eq!(
            to_gemini(&json!({"anyOf": [{"type": "string"}, {"type": "integer"}]})).unwrap(),
            json!({"anyOf": [{"type": "STRING"}, {"type": "INTEGER"}]})
        );
    }

    #[test]
    fn openai_strict_closes_objects_and_makes_optional_properties_nullable() {
        let converted = to_openai_strict(&bot_schema());
        assert_eq!(converted["additionalProperties"], json!(false));
        assert_eq!(
            converted["required"],
            json!([
                "reply",
                "confidence",
                "needs_human",
                "reasons",
                "language",
                "topic"
            ])
        );
        assert_eq!(
            converted["properties"]["reply"],
            json!({"type": "string", "description": "The message to send"})
        );
        assert_eq!(
            converted["properties"]["language"]["type"],
            json!(["string", "null"])
        );
        assert_eq!(
            converted["properties"]["topic"],
            json!({"anyOf": [{"enum": ["shipping", "returns"], "title": "Topic"}, {"type": "null"}]})
        );
        let nested = to_openai_strict(&json!({
            "type": "object",
            "properties": {"items": {"type": "array", "items": {"type": "object", "properties": {"sku": {"type": "string"}}}}},
            "required": ["items"]
        }));
        assert_eq!(
            nested["properties"]["items"]["items"],
            json!({"type": "object", "properties": {"sku": {"type": ["string", "null"]}}, "required": ["sku"], "additionalProperties": false})
        );
    }

    #[test]
    fn schema_names_are_cleaned_for_openai() {
        assert_eq!(openai_name("bot reply/v2"), "bot_reply_v2");
        assert_eq!(openai_name(""), "answer");
        assert_eq!(openai_name(&"x".repeat(80)).len(), 64);
    }
}
