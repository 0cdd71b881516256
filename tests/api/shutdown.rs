//! The real `inbox` binary stopped with SIGTERM while Meta (wa-sim) is still answering a send: the send
//! is waited for and recorded, so after the restart the customer has the message once, not twice.

use crate::helpers::{
    contact, messages_body, text_at, API_TOKEN, APP_SECRET, MASTER_KEY, PHONE_NUMBER_ID,
    VERIFY_TOKEN,
};
use crate::sending::{sending_settings, sim_config};
use actors::testing::TestDatabase;
use inbox::http::signature;
use serde_json::{json, Value};
use std::io::BufRead;
use std::net::SocketAddr;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};
use wa_sim as sim;

const CUSTOMER: &str = "447700900654";

/// The `inbox` binary as an operator runs it (`inbox serve`, settings in the environment), killed if a
/// test fails before stopping it.
pub(crate) struct Inbox {
    child: Option<Child>,
    address: SocketAddr,
    client: reqwest::Client,
}

impl Inbox {
    /// Starts the binary and waits until it says where it listens (it picks a free port).
    pub(crate) async fn start(settings: &[(&'static str, String)], dir: &std::path::Path) -> Inbox {
        let mut child = Command::new(env!("CARGO_BIN_EXE_inbox"))
            .arg("serve")
            // Nothing from the developer's environment or `.env`: only these settings.
            .env_clear()
            .envs(settings.iter().map(|(k, v)| (k, v)))
            .env("INBOX_LOG_FORMAT", "json")
            .env("RUST_LOG", "info,sqlx=warn")
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the inbox binary starts");
        let stderr = child.stderr.take().expect("piped");
        let (listening, address) = tokio::sync::oneshot::channel();
        // Reads the logs to the end (so the binary never blocks on a full pipe), picking out the address.
        std::thread::spawn(move || {
            let mut listening = Some(listening);
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                if std::env::var("TEST_LOG").is_ok() {
                    eprintln!("{line}");
                }
                let Ok(log) = serde_json::from_str::<Value>(&line) else {
                    continue;
                };
                if log["fields"]["message"] == "inbox listening" {
                    let address = log["fields"]["address"]
                        .as_str()
                        .and_then(|a| a.parse().ok());
                    if let (Some(tx), Some(address)) = (listening.take(), address) {
                        let _ = tx.send(address);
                    }
                }
            }
        });
        let address: SocketAddr = tokio::time::timeout(Duration::from_secs(60), address)
            .await
            .expect("the inbox listens within a minute")
            .expect("the inbox logs where it listens (run with TEST_LOG=1 to see why not)");
        Inbox {
            child: Some(child),
            address,
            client: reqwest::Client::new(),
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.address, path)
    }

    pub(crate) async fn get(&self, path: &str) -> (reqwest::StatusCode, Value) {
        let response = self
            .client
            .get(self.url(path))
            .bearer_auth(API_TOKEN)
            .send()
            .await
            .expect("the inbox answers");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Sends SIGTERM, as an orchestrator does.
    fn sigterm(&self) {
        let child = self.child.as_ref().expect("running");
        rustix::process::kill_process(
            rustix::process::Pid::from_child(child),
            rustix::process::Signal::TERM,
        )
        .expect("SIGTERM is delivered");
    }

    /// Sends SIGTERM and waits for the process to exit.
    async fn terminate(mut self) -> ExitStatus {
        self.sigterm();
        let mut child = self.child.take().expect("running");
        let exited = tokio::task::spawn_blocking(move || child.wait());
        tokio::time::timeout(Duration::from_secs(60), exited)
            .await
            .expect("the inbox exits within a minute of SIGTERM")
            .unwrap()
            .expect("the exit status is known")
    }
}

impl Drop for Inbox {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// What every binary these tests start needs: its database, a free port, the number and the secrets.
fn server_settings(db: &TestDatabase) -> Vec<(&'static str, String)> {
    vec![
        ("DATABASE_URL", db.url.clone()),
        ("INBOX_LISTEN", "127.0.0.1:0".to_owned()),
        ("WHATSAPP_PHONE_ID", PHONE_NUMBER_ID.to_owned()),
        ("WHATSAPP_VERIFY_TOKEN", VERIFY_TOKEN.to_owned()),
        ("META_APP_SECRET", APP_SECRET.to_owned()),
        ("INBOX_API_TOKEN", API_TOKEN.to_owned()),
        ("INBOX_MASTER_KEY", MASTER_KEY.to_owned()),
    ]
}

/// Polls `look` until it gives a value (a synchronisation point: it fails only when that never happens).
pub(crate) async fn until<T, F: std::future::Future<Output = Option<T>>>(
    what: &str,
    mut look: impl FnMut() -> F,
) -> T {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(found) = look().await {
            return found;
        }
        assert!(Instant::now() < deadline, "never happened: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn a_send_meta_accepted_while_the_inbox_stopped_is_recorded_and_never_sent_again() {
    let sim = sim::start(sim_config(), "127.0.0.1:0".parse().unwrap())
        .await
        .expect("wa-sim starts");
    let db = TestDatabase::create().await;
    let dir = std::env::temp_dir().join(format!("inbox-shutdown-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut settings = sending_settings(&sim);
    settings.retain(|(k, _)| *k != "WHATSAPP_GRAPH_TIMEOUT_SECS");
    settings.extend(server_settings(&db));
    settings.extend([
        // A claim lapses 6 s after it was made: a second copy would be sent within the test.
        ("WHATSAPP_GRAPH_TIMEOUT_SECS", "5".to_owned()),
        ("INBOX_SEND_LEASE_SECS", "6".to_owned()),
        ("INBOX_SHUTDOWN_WORK_GRACE_SECS", "20".to_owned()),
    ]);
    let conversation = format!("{PHONE_NUMBER_ID}-{CUSTOMER}");

    let inbox = Inbox::start(&settings, &dir).await;
    // The customer writes, so the 24-hour window is open.
    let body = messages_body(
        contact(CUSTOMER, "Ann"),
        json!([text_at(
            CUSTOMER,
            "wamid.shutdown.in",
            "Is the Speedmaster still available?",
            chrono::Utc::now().timestamp() - 1_700_000_000
        )]),
    );
    let answer = inbox
        .client
        .post(inbox.url("/webhook/whatsapp"))
        .header("content-type", "application/json")
        .header(
            "x-hub-signature-256",
            signature::sign(APP_SECRET.as_bytes(), &body),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    until("the conversation is in the inbox", || async {
        let path = format!("/api/v1/conversations/{conversation}");
        (inbox.get(&path).await.0 == 200).then_some(())
    })
    .await;

    // Meta takes the message at once but answers only after two seconds.
    let slow = inbox
        .client
        .post(format!("{}/sim/slow", sim.url()))
        .json(&json!({"ms": 2000, "times": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(slow.status(), 200);
    let queued = inbox
        .client
        .post(inbox.url(&format!("/api/v1/conversations/{conversation}/messages")))
        .bearer_auth(API_TOKEN)
        .json(&json!({"content": {"kind": "text", "body": "Yes, it is."}}))
        .send()
        .await
        .unwrap();
    assert_eq!(queued.status(), 202);
    let queued: Value = queued.json().await.unwrap();
    let message_id = queued["message_id"]
        .as_str()
        .expect("the queued message's id")
        .to_owned();

    // Meta has the message and the inbox waits for its answer: stop the inbox now.
    until("wa-sim received the send", || async {
        (!sim.state.world().sent.is_empty()).then_some(())
    })
    .await;
    let exit = inbox.terminate().await;
    assert!(exit.success(), "the inbox stops cleanly on SIGTERM: {exit}");
    // The stop waited for Meta's answer and recorded it: one attempt, and its outcome.
    let sending = ["message.queued", "message.send_attempted", "message.sent"];
    assert_eq!(outbound_events(&db).await, sending);

    // After the restart the message is sent, and Meta received it once: it is not sent again when the
    // claim of the attempt would have lapsed.
    let inbox = Inbox::start(&settings, &dir).await;
    let path = format!("/api/v1/conversations/{conversation}/messages?limit=200");
    let message = until("the message has its outcome", || async {
        let (_, page) = inbox.get(&path).await;
        page["messages"]
            .as_array()?
            .iter()
            .find(|m| m["id"] == message_id.as_str())
            .filter(|m| {
                let status = m["status"].as_str().unwrap_or_default();
                !["queued", "sending", "retrying"].contains(&status)
            })
            .cloned()
    })
    .await;
    // Accepted by Meta (wa-sim posts no status webhooks here, so it stays at that).
    assert_eq!(message["status"], "accepted", "{message}");
    assert!(message["wamid"]
        .as_str()
        .is_some_and(|w| w.starts_with("wamid.")));
    let sent = sim.state.world().sent.clone();
    assert_eq!(sent.len(), 1, "Meta received: {sent:#?}");
    assert_eq!(sent[0]["text"]["body"], "Yes, it is.");
    assert_eq!(outbound_events(&db).await, sending);
    let exit = inbox.terminate().await;
    assert!(exit.success(), "{exit}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The stored events about sending, in order.
async fn outbound_events(db: &TestDatabase) -> Vec<String> {
    let pool = db.pool().await;
    let kinds = sqlx::query_scalar(
        "select event_type from events where event_type like 'message.%' \
         and event_type <> 'message.received' order by global_position",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    pool.close().await;
    kinds
}

/// An orchestrator stops the node: from SIGTERM on, `/health/ready` says no (so the load balancer takes
/// the node out) while requests are still answered for `INBOX_SHUTDOWN_DRAIN_SECS`; `/health/live`
/// keeps saying the process answers.
#[tokio::test]
async fn on_sigterm_the_node_stops_being_ready_but_keeps_serving_while_it_drains() {
    let db = TestDatabase::create().await;
    let dir = std::env::temp_dir().join(format!("inbox-drain-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut settings = server_settings(&db);
    settings.extend([
        ("INBOX_EMBEDDINGS", "none".to_owned()),
        ("INBOX_SHUTDOWN_DRAIN_SECS", "30".to_owned()),
    ]);
    let inbox = Inbox::start(&settings, &dir).await;
    let ready = until("the node is ready", || async {
        let (status, body) = inbox.get("/health/ready").await;
        (status == 200).then_some(body)
    })
    .await;
    assert_eq!(ready, json!({"status": "ready", "reasons": []}));

    inbox.sigterm();
    let draining = until("readiness turns false", || async {
        let (status, body) = inbox.get("/health/ready").await;
        (status == 503).then_some(body)
    })
    .await;
    assert_eq!(draining["status"], "not_ready");
    assert_eq!(draining["reasons"], json!(["shutting down"]), "{draining}");
    let (status, live) = inbox.get("/health/live").await;
    assert_eq!((status.as_u16(), live), (200, json!({"status": "live"})));
    let (status, _) = inbox.get("/api/v1/conversations").await;
    assert_eq!(status, 200, "requests are still served while draining");
    let _ = std::fs::remove_dir_all(&dir);
}
