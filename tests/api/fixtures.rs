//! Every body of the shared conformance corpus (`../shared/fixtures/meta-webhooks`), through the signed
//! POST path, each into a fresh inbox: accepted, and every message, status and change recorded.

use crate::helpers::*;
use serde_json::Value;

#[tokio::test]
async fn every_shared_fixture_is_accepted_and_recorded() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/meta-webhooks");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("{} not present; the corpus run is skipped", dir.display());
        return;
    };
    let mut paths: Vec<_> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 78, "found {} fixtures", paths.len());
    for path in paths {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let bytes = std::fs::read(&path).unwrap();
        let body: Value = serde_json::from_slice(&bytes).unwrap();
        // The fixture's number is this install's: a body for a number not registered is kept raw.
        let number = body["entry"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|e| e["changes"].as_array().into_iter().flatten())
            .find_map(|c| actors::webhook::phone_number_id(&c["value"]).decimal());
        let app = match number {
            Some(number) => TestApp::spawn_with(&[("WHATSAPP_PHONE_ID", number)]).await,
            None => TestApp::spawn().await,
        };
        let response = app.post_signed(&bytes).await;
        assert_eq!(response.status(), 200, "{name}");
        let payloads: Vec<Value> = app
            .webhook_events()
            .await
            .into_iter()
            .map(|e| e.3)
            .collect();
        // A message or status is recorded as itself, or inside a change or entry kept whole (an id that
        // is not a decimal string is never routed).
        let recorded = |item: &Value| {
            payloads.iter().any(|p| {
                p.get("raw") == Some(item) || p.get("value").is_some_and(|v| contains(v, item))
            })
        };

        for entry in body["entry"].as_array().unwrap() {
            for change in entry["changes"].as_array().unwrap() {
                let value = &change["value"];
                if matches!(
                    change["field"].as_str(),
                    Some("messages" | "smb_message_echoes")
                ) {
                    for key in ["messages", "message_echoes", "statuses"] {
                        for item in value[key].as_array().into_iter().flatten() {
                            assert!(recorded(item), "{name}: {key} item not recorded: {item}");
                        }
                    }
                } else {
                    assert!(
                        recorded(value),
                        "{name}: change {} not recorded",
                        change["field"]
                    );
                }
            }
        }
        // Redelivery changes nothing.
        let before = app.events().await.len();
        assert_eq!(
            app.post_signed(&bytes).await.status(),
            200,
            "{name} redelivered"
        );
        assert_eq!(app.events().await.len(), before, "{name} redelivered");
    }
}

fn contains(haystack: &Value, needle: &Value) -> bool {
    haystack == needle
        || match haystack {
            Value::Array(items) => items.iter().any(|v| contains(v, needle)),
            Value::Object(map) => map.values().any(|v| contains(v, needle)),
            _ => false,
        }
}
