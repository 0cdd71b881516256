//! The `wa-sim` binary as the README runs it: configured by its flags and environment, it plays a
//! customer to the inbox's webhook and answers sends as Meta would. A small server stands in for the
//! inbox and records what arrives (the real inbox against the emulator is `tests/api`).

use hmac::{Hmac, Mac};
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::web::Data;
use poem::{handler, post, Body, EndpointExt, Request, Route, Server};
use serde_json::{json, Value};
use sha2::Sha256;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const TOKEN: &str = "binary-token";
const APP_SECRET: &str = "binary-app-secret";
const PHONE_NUMBER_ID: &str = "5550001112223";
const CUSTOMER: &str = "447700900123";

/// Webhook bodies as they arrived, with their signature header.
type Received = Arc<Mutex<Vec<(Option<String>, Vec<u8>)>>>;

#[handler]
async fn webhook(req: &Request, body: Body, Data(received): Data<&Received>) -> &'static str {
    let signature = req.header("x-hub-signature-256").map(ToOwned::to_owned);
    let bytes = body.into_vec().await.unwrap_or_default();
    received.lock().unwrap().push((signature, bytes));
    "ok"
}

/// A child process that does not outlive its test, whatever the test's outcome.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn signature_of(body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(APP_SECRET.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Every recorded body, after checking that each is signed with the app secret from the environment.
fn bodies(received: &Received) -> Vec<Value> {
    received
        .lock()
        .unwrap()
        .iter()
        .map(|(signature, bytes)| {
            assert_eq!(signature.as_deref(), Some(signature_of(bytes).as_str()));
            serde_json::from_slice(bytes).unwrap()
        })
        .collect()
}

#[tokio::test]
async fn the_binary_plays_a_customer_and_meta_as_its_flags_and_environment_say() {
    let received = Received::default();
    let acceptor = TcpListener::bind("127.0.0.1:0")
        .into_acceptor()
        .await
        .unwrap();
    let inbox = acceptor.local_addr()[0].as_socket_addr().copied().unwrap();
    let app = Route::new()
        .at("/webhook/whatsapp", post(webhook))
        .data(received.clone());
    tokio::spawn(Server::new_with_acceptor(acceptor).run(app));

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let sim = format!("http://127.0.0.1:{port}");
    let _sim = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_wa-sim"))
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(["--inbox-url", &format!("http://{inbox}/webhook/whatsapp")])
            .args(["--status-delay-ms", "10"])
            .env("WHATSAPP_TOKEN", TOKEN)
            .env("META_APP_SECRET", APP_SECRET)
            .env("WHATSAPP_PHONE_ID", PHONE_NUMBER_ID)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );

    // A customer writes, once the emulator listens.
    let client = reqwest::Client::new();
    let mut answer = None;
    for _ in 0..200 {
        match client
            .post(format!("{sim}/sim/customers/{CUSTOMER}/messages"))
            .json(&json!({"name": "Ann", "text": "hello from the binary"}))
            .send()
            .await
        {
            Ok(r) => {
                answer = Some(r.json::<Value>().await.unwrap());
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    let answer = answer.expect("wa-sim starts");
    assert_eq!(answer["inbox_status"], 200, "{answer}");
    let written = &bodies(&received)[0]["entry"][0]["changes"][0]["value"];
    assert_eq!(written["metadata"]["phone_number_id"], PHONE_NUMBER_ID);
    assert_eq!(written["contacts"][0]["profile"]["name"], "Ann");
    assert_eq!(written["messages"][0]["from"], CUSTOMER);
    assert_eq!(
        written["messages"][0]["text"]["body"],
        "hello from the binary"
    );

    // The business answers: only with the token from the environment.
    let send = |token: &'static str| {
        client
            .post(format!("{sim}/v25.0/{PHONE_NUMBER_ID}/messages"))
            .bearer_auth(token)
            .json(&json!({
                "messaging_product": "whatsapp",
                "to": CUSTOMER,
                "type": "text",
                "text": {"body": "hello from the inbox"},
            }))
            .send()
    };
    let refused = send("another-token").await.unwrap();
    assert_eq!(refused.status(), 401);
    assert_eq!(refused.json::<Value>().await.unwrap()["error"]["code"], 190);
    let accepted = send(TOKEN).await.unwrap();
    assert_eq!(accepted.status(), 200);
    let wamid = accepted.json::<Value>().await.unwrap()["messages"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Its statuses follow, signed, in order: sent, delivered, read.
    let statuses = |bodies: Vec<Value>| -> Vec<String> {
        bodies
            .iter()
            .flat_map(|b| {
                b["entry"][0]["changes"][0]["value"]["statuses"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
            })
            .filter(|s| s["id"] == wamid.as_str())
            .map(|s| s["status"].as_str().unwrap().to_owned())
            .collect()
    };
    let mut seen = Vec::new();
    for _ in 0..200 {
        seen = statuses(bodies(&received));
        if seen.len() == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(seen, ["sent", "delivered", "read"]);
    let sent: Value = client
        .get(format!("{sim}/sim/sent"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(sent[0]["to"], CUSTOMER);
    assert_eq!(sent[0]["text"]["body"], "hello from the inbox");
}

#[tokio::test]
async fn media_urls_name_the_public_url_the_inbox_reaches_the_emulator_at() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let sim = format!("http://127.0.0.1:{port}");
    // As in a container: the inbox knows the emulator by a name, not by the address it listens on.
    let public = format!("http://localhost:{port}");
    let _sim = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_wa-sim"))
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .env("WA_SIM_PUBLIC_URL", format!("{public}/"))
            .env("WHATSAPP_TOKEN", TOKEN)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );

    // A customer's photo, kept by the emulator once it listens.
    let client = reqwest::Client::new();
    let mut id = None;
    for _ in 0..200 {
        match client
            .post(format!("{sim}/sim/media"))
            .header("content-type", "image/jpeg")
            .body(b"not really a jpeg".to_vec())
            .send()
            .await
        {
            Ok(r) => {
                id = Some(
                    r.json::<Value>().await.unwrap()["id"]
                        .as_str()
                        .unwrap()
                        .to_owned(),
                );
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    let id = id.expect("wa-sim starts");

    // The inbox asks Meta where the file is, and fetches it from there.
    let media: Value = client
        .get(format!("{sim}/v25.0/{id}"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(media["url"], format!("{public}/download/{id}"), "{media}");
    let file = client
        .get(media["url"].as_str().unwrap())
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(file.status(), 200);
    assert_eq!(&file.bytes().await.unwrap()[..], b"not really a jpeg");
}
