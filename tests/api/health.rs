use crate::helpers::*;

#[tokio::test]
async fn health_reports_liveness_the_database_and_counters() {
    let app = TestApp::spawn().await;
    let health = app.health().await;
    assert_eq!(health["status"], "ok");
    assert_eq!(health["database"]["reachable"], true);
    for counter in [
        "webhook_bodies_received",
        "messages_received",
        "statuses_received",
        "duplicates_ignored",
        "signature_failures",
        "errors",
        "facts_kept_raw",
    ] {
        assert_eq!(health["counters"][counter], 0, "{counter}");
    }
}

/// The real binary: SIGTERM stops it with exit code 0.
#[tokio::test]
async fn the_binary_exits_zero_on_sigterm() {
    let db = actors::testing::TestDatabase::create().await;
    let port = 20000 + (std::process::id() % 20000) as u16;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_inbox"))
        .arg("serve")
        .env("DATABASE_URL", &db.url)
        .env("INBOX_LISTEN", format!("127.0.0.1:{port}"))
        .env("WHATSAPP_PHONE_ID", PHONE_NUMBER_ID)
        .env("WHATSAPP_VERIFY_TOKEN", VERIFY_TOKEN)
        .env("META_APP_SECRET", APP_SECRET)
        .env("INBOX_MASTER_KEY", crate::helpers::MASTER_KEY)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let mut up = false;
    for _ in 0..100 {
        if client
            .get(format!("http://127.0.0.1:{port}/health"))
            .send()
            .await
            .is_ok()
        {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(up, "the server did not start");
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
}

/// A missing setting stops start-up with one line naming it.
#[test]
fn a_missing_setting_is_named_in_one_line() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_inbox"))
        .arg("serve")
        .env_clear()
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
        .env("WHATSAPP_PHONE_ID", PHONE_NUMBER_ID)
        .env("WHATSAPP_VERIFY_TOKEN", VERIFY_TOKEN)
        .current_dir(std::env::temp_dir())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("META_APP_SECRET is not set"), "{stderr}");
}
