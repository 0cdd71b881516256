//! `inbox token exchange` and `inbox token generate-verify`: the two tokens an operator handles when
//! connecting a number. Tokens go to standard output only, never to the logs.

use actors::graph::{AccessToken, GraphClient, GraphConfig};
use anyhow::Context;
use std::io::BufRead;

/// Exchanges a short-lived user token (read from standard input when not given) for a long-lived one
/// (about 60 days), with the app's id and secret from `META_APP_ID` and `META_APP_SECRET`. Prints the
/// long-lived token alone on standard output.
pub async fn exchange(short_lived: Option<String>) -> anyhow::Result<()> {
    let _ = dotenvy::dotenv();
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let app_id = var("META_APP_ID").context("configuration error: META_APP_ID is not set")?;
    let app_secret =
        var("META_APP_SECRET").context("configuration error: META_APP_SECRET is not set")?;
    let short_lived = match short_lived {
        Some(token) => token,
        None => {
            eprintln!("Paste the short-lived token and press Enter:");
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("reading the token from standard input")?;
            line
        }
    };
    let short_lived = short_lived.trim();
    anyhow::ensure!(!short_lived.is_empty(), "no token given");
    let client = GraphClient::new(GraphConfig {
        base_url: var("WHATSAPP_GRAPH_URL")
            .unwrap_or_else(|| actors::graph::client::DEFAULT_BASE_URL.to_owned()),
        version: var("WHATSAPP_GRAPH_VERSION")
            .unwrap_or_else(|| actors::graph::client::DEFAULT_VERSION.to_owned()),
        ..GraphConfig::default()
    })?;
    let long_lived = client
        .exchange_token(
            &app_id,
            &AccessToken::new(app_secret),
            &AccessToken::new(short_lived),
        )
        .await
        .context("Meta refused the exchange")?;
    let days = long_lived.expires_in.map(|s| s / 86_400);
    tracing::info!(
        expires_in_days = days,
        "token exchanged; set it as WHATSAPP_TOKEN"
    );
    println!("{}", long_lived.access_token);
    Ok(())
}

/// A random verify token for `WHATSAPP_VERIFY_TOKEN` (256 bits, hex).
pub fn generate_verify() -> String {
    let mut bytes = Vec::with_capacity(32);
    bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    // A v4 UUID fixes six bits; hashing the two spreads the remaining 244 random bits over all 256.
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(&bytes))
}
