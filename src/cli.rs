//! The command line: `inbox serve`, `inbox migrate`.

use crate::config::Settings;
use crate::startup::{self, App};
use anyhow::Context;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "inbox",
    version,
    about = "Self-hosted shared inbox for WhatsApp Business"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (webhook, API, actors); migrates the database first.
    Serve,
    /// Apply database migrations and exit.
    Migrate,
}

pub async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    crate::telemetry::init();
    match cli.command {
        Command::Serve => {
            let settings = Settings::load()?;
            let app = App::build(settings).await?;
            app.run_until_stopped(startup::shutdown_signal()).await
        }
        Command::Migrate => {
            let _ = dotenvy::dotenv();
            let url = std::env::var("DATABASE_URL")
                .context("configuration error: DATABASE_URL is not set")?;
            let pool = sqlx::PgPool::connect(&url)
                .await
                .context("cannot connect to the database named by DATABASE_URL")?;
            startup::migrate(&pool).await?;
            pool.close().await;
            tracing::info!("migrations applied");
            Ok(())
        }
    }
}
