//! The `llm-sim` binary: `--port` and `--rules`, and the line scripts wait for.

use serde_json::json;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// A child process that does not outlive its test, whatever the test's outcome.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_binary_listens_on_its_port_and_answers_with_the_rules_file() {
    let dir = std::env::temp_dir().join(format!("llm-sim-binary-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let rules = dir.join("rules.json");
    std::fs::write(
        &rules,
        json!([{ "pattern": "porto", "answer": { "text": "Shipping to Porto is 5 EUR." } }])
            .to_string(),
    )
    .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_llm-sim"))
            .args(["--port", &port.to_string(), "--rules"])
            .arg(&rules)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        line
    })
    .await
    .unwrap();
    assert_eq!(
        line.trim(),
        format!("llm-sim listening on http://127.0.0.1:{port}")
    );

    let response = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/v1/chat/completions"))
        .bearer_auth("sim-openai-key")
        .json(&json!({ "model": "gpt-5.4-mini", "messages": [{ "role": "user", "content": "To Porto?" }] }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        body["choices"][0]["message"]["content"],
        "Shipping to Porto is 5 EUR."
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn the_binary_listens_where_listen_says() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_llm-sim"))
            // A container's address: every interface, so other containers reach it.
            .env("LLM_SIM_LISTEN", format!("0.0.0.0:{port}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        line
    })
    .await
    .unwrap();
    assert_eq!(
        line.trim(),
        format!("llm-sim listening on http://0.0.0.0:{port}")
    );
    let response = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}/_sim/requests"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}
