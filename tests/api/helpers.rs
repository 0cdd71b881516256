//! A running inbox on a free port with a database of its own, and typed helpers to talk to it.

use actors::testing::TestDatabase;
use inbox::config::Settings;
use inbox::http::signature;
use inbox::startup::App;
use projections::runner::RunnerState;
use std::collections::HashMap;
use std::net::SocketAddr;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub(crate) const APP_SECRET: &str = "test-app-secret";
pub(crate) const VERIFY_TOKEN: &str = "test-verify-token";
pub(crate) const PHONE_NUMBER_ID: &str = "1122334455667";
pub(crate) const API_TOKEN: &str = "test-api-token-0123456789";
pub(crate) const MASTER_KEY: &str =
    "5b1f0c9e8d7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c";

pub(crate) struct TestApp {
    pub address: SocketAddr,
    pub state: std::sync::Arc<inbox::http::AppState>,
    /// Shared so a restarted app can keep the database.
    pub db: std::sync::Arc<TestDatabase>,
    pub client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<anyhow::Result<()>>>,
}

impl TestApp {
    pub(crate) async fn spawn() -> TestApp {
        Self::spawn_with(&[]).await
    }

    /// Starts the app; `overrides` are extra environment settings.
    pub(crate) async fn spawn_with(overrides: &[(&str, &str)]) -> TestApp {
        let db = std::sync::Arc::new(TestDatabase::create().await);
        Self::spawn_on(db, overrides).await
    }

    /// Stops this app and starts another on the same database, as after a restart.
    pub(crate) async fn restart_with(self, overrides: &[(&str, &str)]) -> TestApp {
        let db = self.db.clone();
        self.stop().await.expect("the app stops cleanly");
        Self::spawn_on(db, overrides).await
    }

    pub(crate) async fn spawn_on(
        db: std::sync::Arc<TestDatabase>,
        overrides: &[(&str, &str)],
    ) -> TestApp {
        if std::env::var("TEST_LOG").is_ok() {
            inbox::telemetry::init();
        }
        let mut vars: HashMap<String, String> = HashMap::from([
            ("DATABASE_URL".into(), db.url.clone()),
            ("INBOX_LISTEN".into(), "127.0.0.1:0".into()),
            ("WHATSAPP_PHONE_ID".into(), PHONE_NUMBER_ID.into()),
            ("WHATSAPP_VERIFY_TOKEN".into(), VERIFY_TOKEN.into()),
            ("META_APP_SECRET".into(), APP_SECRET.into()),
            ("INBOX_API_TOKEN".into(), API_TOKEN.into()),
            ("INBOX_MASTER_KEY".into(), MASTER_KEY.into()),
            (
                "INBOX_MEDIA_DIR".into(),
                media_dir(&db).display().to_string(),
            ),
            // Keyword search only, unless a test configures a model: most tests never embed.
            ("INBOX_EMBEDDINGS".into(), "none".into()),
            // No built web app unless a test serves one: what a developer built in web/dist stays out.
            (
                "INBOX_WEB_DIR".into(),
                media_dir(&db).join("no-web-app").display().to_string(),
            ),
        ]);
        vars.extend(
            overrides
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string())),
        );
        let settings =
            Settings::from_lookup(|k| vars.get(k).cloned()).expect("test settings are valid");
        let app = App::build(settings).await.expect("app builds");
        let address = app.address();
        let state = app.state();
        let (stop, stopped) = oneshot::channel();
        let server = tokio::spawn(app.run_until_stopped(async {
            let _ = stopped.await;
        }));
        TestApp {
            address,
            state,
            db,
            client: reqwest::Client::new(),
            stop: Some(stop),
            server: Some(server),
        }
    }

    /// Where this app keeps media files (unless a test sets `INBOX_MEDIA_DIR` itself).
    pub(crate) fn media_dir(&self) -> std::path::PathBuf {
        media_dir(&self.db)
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.address, path)
    }

    /// POSTs `body` signed the way Meta signs it.
    pub(crate) async fn post_signed(&self, body: &[u8]) -> reqwest::Response {
        self.post_webhook(body, Some(signature::sign(APP_SECRET.as_bytes(), body)))
            .await
    }

    pub(crate) async fn post_webhook(
        &self,
        body: &[u8],
        signature: Option<String>,
    ) -> reqwest::Response {
        let mut request = self
            .client
            .post(self.url("/webhook/whatsapp"))
            .header("content-type", "application/json")
            .body(body.to_vec());
        if let Some(s) = signature {
            request = request.header("x-hub-signature-256", s);
        }
        request.send().await.expect("request reaches the app")
    }

    pub(crate) async fn health(&self) -> serde_json::Value {
        self.client
            .get(self.url("/health"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Every stored event as (stream, version, type, payload), in global order.
    pub(crate) async fn events(&self) -> Vec<(String, i64, String, serde_json::Value)> {
        let pool = self.db.pool().await;
        let rows: Vec<(String, i64, String, serde_json::Value)> =
            sqlx::query_as("select stream_id, stream_version, event_type, payload from events order by global_position")
                .fetch_all(&pool)
                .await
                .unwrap();
        pool.close().await;
        rows
    }

    /// Stored events other than what start-up records (the account's configuration, the default roles)
    /// and identity changes.
    pub(crate) async fn webhook_events(&self) -> Vec<(String, i64, String, serde_json::Value)> {
        self.events()
            .await
            .into_iter()
            .filter(|e| e.2 != "account.configured" && e.0 != "identity")
            .collect()
    }

    /// Calls the API with the test token; returns the status and the JSON body (null when not JSON).
    pub(crate) async fn api(
        &self,
        method: reqwest::Method,
        path: &str,
    ) -> (reqwest::StatusCode, serde_json::Value) {
        let response = self
            .client
            .request(method, self.url(path))
            .bearer_auth(API_TOKEN)
            .send()
            .await
            .expect("request reaches the app");
        let status = response.status();
        let body = response.json().await.unwrap_or(serde_json::Value::Null);
        (status, body)
    }

    /// GET with the test token; panics unless 200.
    pub(crate) async fn get_ok(&self, path: &str) -> serde_json::Value {
        let (status, body) = self.api(reqwest::Method::GET, path).await;
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    /// Waits until every projection has applied every stored event (a synchronisation point, not a
    /// timing assertion: it fails only if the projections stop making progress altogether).
    pub(crate) async fn settled(&self) {
        let pool = self.db.pool().await;
        let head = projections::rebuild::last_position(&pool).await.unwrap();
        pool.close().await;
        for status in &self.state.projections {
            let reached = self
                .state
                .checkpoints
                .wait_for(status.name, head, std::time::Duration::from_secs(60))
                .await;
            assert!(
                reached,
                "projection {} stopped at {:?}",
                status.name,
                status.report()
            );
            // This node's runner reports what it applied a moment after the checkpoint moves.
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
            while status.report().position < head || status.report().state != RunnerState::Live {
                assert!(
                    std::time::Instant::now() < deadline,
                    "projection {} reports {:?}",
                    status.name,
                    status.report()
                );
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
        }
    }

    /// Stops the server as SIGTERM would, and waits for it.
    pub(crate) async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.server.take() {
            Some(server) => server.await.expect("server task"),
            None => Ok(()),
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        // The last app on this database (a restarted one shares it) takes its files along.
        if std::sync::Arc::strong_count(&self.db) == 1 {
            let _ = std::fs::remove_dir_all(media_dir(&self.db));
        }
    }
}

/// The media folder of the apps on `db`: one of that database's own in the temporary directory, so tests
/// never write into the `media/` folder a real install uses (the default of `INBOX_MEDIA_DIR`), and a
/// restarted app finds the files of the one before.
fn media_dir(db: &TestDatabase) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("{}-media", db.name))
}

/// A webhook body with the given messages (and contacts) for our number.
pub(crate) fn messages_body(contacts: serde_json::Value, messages: serde_json::Value) -> Vec<u8> {
    change_body(
        "messages",
        serde_json::json!({"contacts": contacts, "messages": messages}),
    )
}

pub(crate) fn statuses_body(statuses: serde_json::Value) -> Vec<u8> {
    change_body("messages", serde_json::json!({"statuses": statuses}))
}

fn change_body(field: &str, extra: serde_json::Value) -> Vec<u8> {
    let mut value = serde_json::json!({
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550001111", "phone_number_id": PHONE_NUMBER_ID}
    });
    value
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    serde_json::to_vec(&serde_json::json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"field": field, "value": value}]}]
    }))
    .unwrap()
}

/// A text message sent `seconds` after 2023-11-14 22:13:20 UTC.
pub(crate) fn text_at(from: &str, wamid: &str, body: &str, seconds: i64) -> serde_json::Value {
    serde_json::json!({"from": from, "id": wamid, "timestamp": (1_700_000_000 + seconds).to_string(),
                       "type": "text", "text": {"body": body}})
}

pub(crate) fn contact(wa_id: &str, name: &str) -> serde_json::Value {
    serde_json::json!([{"wa_id": wa_id, "profile": {"name": name}}])
}

pub(crate) fn text(from: &str, wamid: &str, body: &str) -> serde_json::Value {
    serde_json::json!({"from": from, "id": wamid, "timestamp": "1700000000", "type": "text", "text": {"body": body}})
}
