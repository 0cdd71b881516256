//! `inbox extract`: the watch-listing extractor over JSON lines, the way it is evaluated. Each input line
//! `{"id", "text"}` gives one output line: the message's type, language and confidence, the first
//! listing's fields at the top level (null when there is none), and every listing under `listings`.

use actors::listings::{extract, Extraction, Listing};
use serde::Deserialize;
use serde_json::{json, Value};
use std::io::{BufRead, Write};

#[derive(Deserialize)]
struct Input {
    #[serde(default)]
    id: Value,
    text: String,
}

/// Reads every line of `input`, writes one line per line read. A line that is not `{"id", "text"}` gives
/// `{"id", "error"}` and the others go on; the result says how many were refused.
pub fn run(input: impl BufRead, mut output: impl Write) -> anyhow::Result<usize> {
    let mut refused = 0;
    for (n, line) in input.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let answer = match serde_json::from_str::<Input>(&line) {
            Ok(message) => row(message.id, &extract(&message.text)),
            Err(e) => {
                refused += 1;
                let id = serde_json::from_str::<Value>(&line)
                    .ok()
                    .and_then(|v| v.get("id").cloned())
                    .unwrap_or(Value::Null);
                json!({"id": id, "error": format!("line {}: {e}", n + 1)})
            }
        };
        serde_json::to_writer(&mut output, &answer)?;
        output.write_all(b"\n")?;
    }
    output.flush()?;
    Ok(refused)
}

fn row(id: Value, extraction: &Extraction) -> Value {
    let first = extraction.listings.first().cloned().unwrap_or_default();
    let Listing {
        brand,
        model,
        reference,
        price,
        currency,
        currency_implied,
        price_type,
        condition,
        has_box,
        papers,
        year,
        size_mm,
        movement,
        spans: _,
    } = first;
    json!({
        "id": id,
        "type": extraction.kind,
        "language": extraction.language,
        "confidence": extraction.confidence,
        "brand": brand,
        "model": model,
        "reference": reference,
        "price": price,
        "currency": currency,
        "currency_implied": currency_implied,
        "price_type": price_type,
        "condition": condition,
        "box": has_box,
        "papers": papers,
        "year": year,
        "size_mm": size_mm,
        "movement": movement,
        "listings": extraction.listings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_out_per_line_in_and_bad_lines_say_why() {
        let input = "{\"id\": 1, \"text\": \"hello\"}\n\nnot json\n{\"id\": \"b\"}\n";
        let mut out = Vec::new();
        let refused = run(input.as_bytes(), &mut out).unwrap();
        assert_eq!(refused, 2);
        let lines: Vec<Value> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0]["id"], 1);
        assert!(lines[0]["type"].is_string());
        assert!(lines[0]["listings"].is_array());
        assert!(lines[1]["error"].as_str().unwrap().starts_with("line 3"));
        assert_eq!(lines[2]["id"], "b");
        assert!(lines[2]["error"].is_string());
    }
}
