//! The emulator as the bot's clients meet it: started in-process, called with reqwest, and checked on
//! the statuses, headers and body fields a client reads.

mod binary;
mod control;
mod embeddings;
mod gemini;
mod openai;

use llm_sim::{LlmSim, SimConfig};
use serde_json::Value;

/// The default Gemini key and chat model.
const GEMINI_KEY: &str = "sim-gemini-key";
const OPENAI_KEY: &str = "sim-openai-key";
const FLASH_LITE: &str = "gemini-3.5-flash-lite";

async fn sim() -> LlmSim {
    LlmSim::start(SimConfig::default()).await.unwrap()
}

/// `(status, body)`; the body is `Value::Null` when it is not JSON.
async fn read(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}
