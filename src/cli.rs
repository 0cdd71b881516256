//! The command line: `inbox serve`, `inbox migrate`, `inbox audit verify`, `inbox projections rebuild`,
//! `inbox token exchange|generate-verify|generate-master-key`, `inbox openapi`, `inbox extract`,
//! `inbox listings redetect`, `inbox search reindex`.

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
    /// Run the server (webhook, API, actors, projections); migrates the database first.
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Check the stored history.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Manage the read models.
    Projections {
        #[command(subcommand)]
        command: ProjectionsCommand,
    },
    /// Tokens for connecting a number to Meta.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Print the API's OpenAPI document (the one `/openapi.json` serves); the web app's client is
    /// generated from it.
    Openapi,
    /// Read watch listings from JSON lines `{"id", "text"}` on standard input; writes one JSON line per
    /// input (how the extractor is evaluated). Exits 1 when a line could not be read.
    Extract,
    /// Watch listings.
    Listings {
        #[command(subcommand)]
        command: ListingsCommand,
    },
    /// The search index.
    Search {
        #[command(subcommand)]
        command: SearchCommand,
    },
}

#[derive(Subcommand)]
enum SearchCommand {
    /// Embed every searchable text with the configured model now (after changing `INBOX_EMBEDDINGS`
    /// or its model), with a progress bar; texts that already have a vector of this model are skipped.
    Reindex {
        /// Also delete the vectors of every other model.
        #[arg(long)]
        prune: bool,
    },
}

#[derive(Subcommand)]
enum ListingsCommand {
    /// Run this build's extractor over the stored messages and append what it reads (never editing
    /// earlier readings; running it twice appends nothing the second time).
    Redetect {
        /// Only messages written at or after this time (RFC 3339).
        #[arg(long)]
        since: Option<chrono::DateTime<chrono::Utc>>,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Exchange a short-lived token (the one from Meta's API Setup page lasts about a day) for a
    /// long-lived one (about 60 days); needs META_APP_ID and META_APP_SECRET. Prints only the new token.
    Exchange {
        /// The short-lived token; read from standard input when left out (keeps it out of shell history).
        #[arg(long)]
        short_lived_token: Option<String>,
    },
    /// Print a random verify token for WHATSAPP_VERIFY_TOKEN (and Meta's webhook settings).
    GenerateVerify,
    /// Print a new master key for INBOX_MASTER_KEY (keep it safe: without it the stored tokens and
    /// secrets of the accounts cannot be read).
    GenerateMasterKey,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute every stream's hash chain; exits non-zero at any altered, removed or reordered event.
    Verify {
        /// Only this stream (for example conversation-1122334455667-447700900123).
        #[arg(long)]
        stream: Option<String>,
    },
}

#[derive(Subcommand)]
enum ProjectionsCommand {
    /// Rebuild read models from the events into fresh tables, then swap them in (the inbox stays
    /// readable meanwhile).
    Rebuild {
        /// Projection names (inbox, contacts, accounts).
        names: Vec<String>,
        /// Rebuild every projection.
        #[arg(long)]
        all: bool,
    },
    /// List the events projections set aside because they could not be decoded (they stay in the log).
    Quarantine,
}

pub async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    crate::telemetry::init();
    match cli.command {
        Command::Openapi => {
            println!("{}", crate::api::service().spec());
            Ok(())
        }
        Command::Extract => {
            let refused =
                crate::listings::extract::run(std::io::stdin().lock(), std::io::stdout().lock())?;
            if refused > 0 {
                anyhow::bail!("{refused} lines were not {{\"id\", \"text\"}}");
            }
            Ok(())
        }
        Command::Listings {
            command: ListingsCommand::Redetect { since },
        } => {
            let pool = database().await?;
            startup::migrate(&pool).await?;
            let store = actors::store::PostgresEventStore::new(pool.clone());
            let report = crate::listings::redetect::redetect(&store, since, |position, r| {
                eprintln!(
                    "position {position}: {} messages read, {} readings appended",
                    r.messages, r.appended
                )
            })
            .await?;
            println!(
                "{} messages read, {} readings appended, {} already recorded (extractor version {})",
                report.messages,
                report.appended,
                report.known,
                actors::listings::EXTRACTOR_VERSION
            );
            pool.close().await;
            Ok(())
        }
        Command::Search {
            command: SearchCommand::Reindex { prune },
        } => {
            let settings = Settings::load()?;
            let pool = database().await?;
            startup::migrate(&pool).await?;
            let embedder = crate::search::embedder(&settings.embeddings).await;
            let report = crate::search::reindex::reindex(
                &pool,
                embedder.as_ref(),
                prune,
                |done, total, embedded, elapsed| {
                    eprint!(
                        "\r{}",
                        crate::search::reindex::progress_line(done, total, embedded, elapsed)
                    )
                },
            )
            .await;
            eprintln!();
            let report = report?;
            println!(
                "{} documents indexed with {}, {} texts embedded, {} vectors of other models deleted",
                report.documents,
                embedder.model(),
                report.embedded,
                report.pruned
            );
            pool.close().await;
            Ok(())
        }
        Command::Serve => {
            let settings = Settings::load()?;
            let app = App::build(settings).await?;
            app.run_until_stopped(startup::shutdown_signal()).await
        }
        Command::Migrate => {
            let pool = database().await?;
            startup::migrate(&pool).await?;
            pool.close().await;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::Audit {
            command: AuditCommand::Verify { stream },
        } => {
            let pool = database().await?;
            let intact = crate::audit::verify(&pool, stream.as_deref()).await?;
            pool.close().await;
            if intact {
                Ok(())
            } else {
                std::process::exit(1)
            }
        }
        Command::Projections {
            command: ProjectionsCommand::Rebuild { names, all },
        } => {
            let pool = database().await?;
            startup::migrate(&pool).await?;
            crate::audit::rebuild(&pool, &names, all).await?;
            pool.close().await;
            Ok(())
        }
        Command::Projections {
            command: ProjectionsCommand::Quarantine,
        } => {
            let pool = database().await?;
            startup::migrate(&pool).await?;
            crate::audit::quarantine(&pool).await?;
            pool.close().await;
            Ok(())
        }
        Command::Token {
            command: TokenCommand::Exchange { short_lived_token },
        } => crate::tokens::exchange(short_lived_token).await,
        Command::Token {
            command: TokenCommand::GenerateVerify,
        } => {
            println!("{}", crate::tokens::generate_verify());
            Ok(())
        }
        Command::Token {
            command: TokenCommand::GenerateMasterKey,
        } => {
            println!(
                "{}",
                actors::account::sealed::MasterKey::generate().to_hex()
            );
            Ok(())
        }
    }
}

/// A pool from `DATABASE_URL` alone: operator commands need no WhatsApp settings.
async fn database() -> anyhow::Result<sqlx::PgPool> {
    let _ = dotenvy::dotenv();
    let url =
        std::env::var("DATABASE_URL").context("configuration error: DATABASE_URL is not set")?;
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(4)
        .connect(&url)
        .await
        .context("cannot connect to the database named by DATABASE_URL")
}
