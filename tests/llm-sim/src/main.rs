//! `llm-sim`: a local stand-in for the Gemini and OpenAI-compatible LLM APIs (see the library, `llm_sim`).

use clap::Parser;
use llm_sim::{LlmSim, OpenAiFlavour, Rule, SimConfig};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use tracing_subscriber::EnvFilter;

/// A local LLM emulator: point the bot's Gemini base URL here, or its OpenAI base URL at `/v1`.
#[derive(Parser, Debug)]
#[command(name = "llm-sim", version)]
struct Args {
    /// The port on 127.0.0.1 (0 picks a free one).
    #[arg(long, env = "LLM_SIM_PORT", default_value_t = 8091)]
    port: u16,
    /// The address and port to listen on, instead of 127.0.0.1 and `--port` (`0.0.0.0:8091` in a
    /// container).
    #[arg(long, env = "LLM_SIM_LISTEN")]
    listen: Option<SocketAddr>,
    /// A JSON file holding a list of rules (`[{"pattern":"...","answer":{...}}]`), tried in order.
    #[arg(long)]
    rules: Option<PathBuf>,
    /// The Gemini key the emulator accepts.
    #[arg(
        long,
        env = "LLM_SIM_GEMINI_KEY",
        default_value = "sim-gemini-key",
        hide_env_values = true
    )]
    gemini_key: String,
    /// The OpenAI bearer token the emulator accepts.
    #[arg(
        long,
        env = "LLM_SIM_OPENAI_KEY",
        default_value = "sim-openai-key",
        hide_env_values = true
    )]
    openai_key: String,
    /// Play Ollama's OpenAI compatibility layer on `/v1` instead of OpenAI.
    #[arg(long)]
    ollama: bool,
    /// Added to every model call, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let rules: Vec<Rule> = match &args.rules {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
            serde_json::from_str(&text)
                .map_err(|e| anyhow::anyhow!("{} is not a list of rules: {e}", path.display()))?
        }
        None => Vec::new(),
    };
    let config = SimConfig {
        gemini_key: args.gemini_key,
        openai_key: args.openai_key,
        openai_flavour: if args.ollama {
            OpenAiFlavour::Ollama
        } else {
            OpenAiFlavour::OpenAi
        },
        latency: Duration::from_millis(args.latency_ms),
        ..SimConfig::default()
    };
    let listen = args
        .listen
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], args.port)));
    let sim = LlmSim::start_on(config, listen).await?;
    for rule in rules {
        sim.add_rule(rule);
    }
    println!("llm-sim listening on {}", sim.base_url());
    stopped().await;
    Ok(())
}

/// Ctrl-C or SIGTERM.
async fn stopped() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        Some(()) = async { term.as_mut()?.recv().await } => {}
    }
}
