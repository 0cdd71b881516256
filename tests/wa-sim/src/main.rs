//! `wa-sim`: a local stand-in for Meta's WhatsApp Cloud API (see the library, `wa_sim`).

use clap::Parser;
use std::net::SocketAddr;
use std::time::Duration;
use tracing_subscriber::EnvFilter;
use wa_sim::{self as sim, SimConfig};

/// A local WhatsApp Cloud API emulator: point the inbox's WHATSAPP_GRAPH_URL here, and this at the
/// inbox's webhook.
#[derive(Parser, Debug)]
#[command(name = "wa-sim", version)]
struct Args {
    /// Where the emulated Graph API listens.
    #[arg(long, env = "WA_SIM_LISTEN", default_value = "127.0.0.1:8900")]
    listen: SocketAddr,
    /// The base URL the inbox reaches the emulator at, for media URLs (default `http://{listen}`):
    /// `http://wa-sim:8900` when it listens on 0.0.0.0:8900 in a container.
    #[arg(long, env = "WA_SIM_PUBLIC_URL")]
    public_url: Option<String>,
    /// The inbox's webhook URL.
    #[arg(
        long,
        env = "WA_SIM_INBOX_URL",
        default_value = "http://127.0.0.1:8000/webhook/whatsapp"
    )]
    inbox_url: String,
    /// The access token the emulator accepts (the inbox's WHATSAPP_TOKEN).
    #[arg(
        long,
        env = "WHATSAPP_TOKEN",
        default_value = "sim-token",
        hide_env_values = true
    )]
    token: String,
    /// Signs webhooks (the inbox's META_APP_SECRET).
    #[arg(
        long,
        env = "META_APP_SECRET",
        default_value = "sim-app-secret",
        hide_env_values = true
    )]
    app_secret: String,
    /// The emulated number's id (the inbox's WHATSAPP_PHONE_ID).
    #[arg(long, env = "WHATSAPP_PHONE_ID", default_value = "1122334455667")]
    phone_number_id: String,
    #[arg(
        long,
        env = "WHATSAPP_BUSINESS_ACCOUNT_ID",
        default_value = "2233445566778"
    )]
    business_account_id: String,
    #[arg(long, env = "META_APP_ID", default_value = "100000000000001")]
    app_id: String,
    /// The number as webhooks show it.
    #[arg(long, default_value = "15550001234")]
    display_phone_number: String,
    /// Pause before each status webhook, in milliseconds.
    #[arg(long, default_value_t = 500)]
    status_delay_ms: u64,
    /// Deliver statuses in a random order.
    #[arg(long)]
    reorder: bool,
    /// Deliver some statuses twice.
    #[arg(long)]
    duplicates: bool,
    /// Added to every Graph call, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Refuse free-form messages outside the 24-hour window (131047), as Meta does.
    #[arg(long)]
    enforce_window: bool,
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
    let config = SimConfig {
        token: args.token,
        app_secret: args.app_secret,
        app_id: args.app_id,
        phone_number_id: args.phone_number_id,
        display_phone_number: args.display_phone_number,
        business_account_id: args.business_account_id,
        inbox_webhook: Some(args.inbox_url.clone()),
        status_delay: Duration::from_millis(args.status_delay_ms),
        reorder: args.reorder,
        duplicates: args.duplicates,
        latency: Duration::from_millis(args.latency_ms),
        enforce_window: args.enforce_window,
        public_url: args.public_url,
    };
    let handle = sim::start(config, args.listen).await?;
    tracing::info!(graph = %handle.url(), inbox = %args.inbox_url, "wa-sim listening");
    stopped().await;
    handle.stop().await;
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
