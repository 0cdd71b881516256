//! Wiring: pool, migrations, event store, actors, HTTP; and the order things stop in.

use crate::account_registry::{environment_connection, AccountRegistry};
use crate::auth::idp::IdentityProvider;
use crate::auth::snapshot::AccessSnapshot;
use crate::config::Settings;
use crate::http::listener::{connection_cap, raise_fd_limit, ConnectionLimits, HttpServer};
use crate::http::{self, AppState};
use crate::ingest::Ingest;
use crate::stats::IngestStats;
use actors::account::events::AccountConfigured;
use actors::account::sealed::MasterKey;
use actors::account::{Account, AccountFact};
use actors::conversation::Conversation;
use actors::directory::{DirectoryArgs, DirectoryStats, StreamRouter};
use actors::event::{EventMetadata, StreamId};
use actors::graph::{GraphClient, GraphConfig};
use actors::identity::{Identity, IdentityFact};
use actors::media_store::MediaStore;
use actors::outbound::pacing::RetryPolicy;
use actors::outbound::sender::SenderConfig;
use actors::outbound::Outbox;
use actors::store::{EventStore, GroupCommitConfig, GroupCommitStore, PostgresEventStore};
use actors::tasks::Tasks;
use actors::workspace::Workspace;
use anyhow::Context;
use projections::live::Checkpoints;
use projections::runner::Runners;
use sqlx::postgres::{PgPool, PgPoolOptions};
use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// How long a webhook waits for its facts to be stored before answering 503. Longer than the pool's
/// acquire timeout, so a database outage surfaces as a store error rather than a timeout.
const RECORD_TIMEOUT: Duration = Duration::from_secs(15);
const ACTORS_STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// Connects to PostgreSQL. Acquiring a connection gives up after a few seconds, so requests fail fast
/// (503) while the database is down, and the pool reconnects by itself when it is back.
pub async fn connect(settings: &Settings) -> anyhow::Result<PgPool> {
    PgPoolOptions::new()
        .max_connections(settings.db_max_connections)
        .acquire_timeout(Duration::from_secs(3))
        .connect(settings.database_url.expose())
        .await
        .context("cannot connect to the database named by DATABASE_URL")
}

/// The migrations this binary knows that the database has not applied (by version).
pub async fn pending_migrations(pool: &PgPool) -> sqlx::Result<Vec<i64>> {
    // sqlx's own bookkeeping table, which the compile-time check's database need not have.
    let applied: Vec<i64> =
        sqlx::query_scalar("select version from _sqlx_migrations where success")
            .fetch_all(pool)
            .await?;
    Ok(actors::store::MIGRATOR
        .iter()
        .map(|m| m.version)
        .filter(|v| !applied.contains(v))
        .collect())
}

pub async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    actors::store::MIGRATOR
        .run(pool)
        .await
        .context("running database migrations")
}

/// A built application, listening but not yet serving.
pub struct App {
    server: HttpServer,
    state: Arc<AppState>,
    pool: PgPool,
    pg_store: Arc<PostgresEventStore>,
    accounts: StreamRouter<Account>,
    runners: Option<Runners>,
    /// Stops the projections: only after the actors, so they apply what the work under way recorded.
    projections_stop: CancellationToken,
    /// The workers' loops (sending, media, the snapshot and the registry following their projections):
    /// they end before the senders stop, so none starts a sender again.
    workers: Vec<tokio::task::JoinHandle<()>>,
}

impl App {
    /// Connects, migrates, starts the actors and binds the listener (port 0 picks a free port).
    pub async fn build(settings: Settings) -> anyhow::Result<App> {
        // Which settings came under an original system's name, and which of theirs do not apply.
        for notice in &settings.notices {
            tracing::warn!(target: "inbox::config", "{notice}");
        }
        if settings.metrics.enabled {
            // Before anything records, so start-up's own figures count.
            http::prometheus::install();
        }
        let pool = connect(&settings).await?;
        migrate(&pool).await?;
        let pg_store = Arc::new(PostgresEventStore::new(pool.clone()));
        let grouped = GroupCommitStore::new(
            pg_store.clone(),
            GroupCommitConfig {
                writers: settings.store_writers,
                ..GroupCommitConfig::default()
            },
        );
        let append_stats = grouped.stats();
        let store: Arc<dyn EventStore> = Arc::new(grouped);

        let directory = |stats: Arc<DirectoryStats>| DirectoryArgs {
            store: store.clone(),
            idle_after: settings.actor_idle_after,
            max_live: settings.max_live_actors,
            stats,
        };
        let conversation_stats = Arc::new(DirectoryStats::default());
        let conversations = StreamRouter::<Conversation>::start(
            directory(conversation_stats.clone()),
            RECORD_TIMEOUT,
        )
        .await
        .context("starting the conversation directory")?;
        let accounts = StreamRouter::<Account>::start(directory(Arc::default()), RECORD_TIMEOUT)
            .await
            .context("starting the account directory")?;
        let master_key = master_key(&settings)?;
        configure_account(&accounts, &settings, &master_key).await?;
        let identity = StreamRouter::<Identity>::start(directory(Arc::default()), RECORD_TIMEOUT)
            .await
            .context("starting the identity actor")?;
        identity
            .record(
                actors::identity::aggregate::stream(),
                vec![IdentityFact::SeedDefaultRoles {
                    at: chrono::Utc::now(),
                }],
                EventMetadata::system("default roles"),
            )
            .await
            .context("recording the default roles")?;
        let workspace = StreamRouter::<Workspace>::start(directory(Arc::default()), RECORD_TIMEOUT)
            .await
            .context("starting the workspace actor")?;
        let access = AccessSnapshot::load(&pool)
            .await
            .context("loading the RBAC snapshot")?;
        let idp = settings
            .idp
            .clone()
            .map(IdentityProvider::new)
            .transpose()
            .context("configuring the identity provider")?
            .map(Arc::new);
        let media = MediaStore::new(&settings.media_dir);
        let stopping = CancellationToken::new();
        let tasks = Tasks::new(stopping.clone());
        let outbox = Outbox::new(
            HashMap::new(),
            graph_client(&settings)?,
            conversations.clone(),
            media.clone(),
            sender_config(&settings),
            tasks.clone(),
        );

        let server = HttpServer::bind(settings.listen, connection_limits(&settings))
            .await
            .with_context(|| format!("cannot listen on INBOX_LISTEN={}", settings.listen))?;

        let watch = Arc::new(projections::listings::counters::WatchCounters::default());
        let all = projections::projection::counting(watch.clone());
        let names: Vec<&'static str> = all.iter().map(|p| p.name()).collect();
        let checkpoints = Checkpoints::follow(pool.clone(), &names);
        let projections_stop = CancellationToken::new();
        let mine: Vec<_> = all
            .into_iter()
            .filter(|p| settings.run_projections.runs(p.name()))
            .collect();
        let runners = settings
            .run_projections
            .any()
            .then(|| Runners::start(pool.clone(), store.clone(), mine, projections_stop.clone()));
        let dispatcher = crate::workers::sending::start(
            pool.clone(),
            checkpoints.clone(),
            outbox.clone(),
            &tasks,
        );
        let fetcher = crate::workers::media_fetch::MediaFetcher {
            pool: pool.clone(),
            outbox: outbox.clone(),
            media: media.clone(),
            conversations: conversations.clone(),
            tasks: tasks.clone(),
        }
        .start(checkpoints.clone());
        let search = Arc::new(crate::search::SearchService::new(
            crate::search::embedder(&settings.embeddings).await,
        ));
        let embedding = Arc::new(crate::workers::embedding::EmbedderStatus::default());
        let embedder_worker = crate::workers::embedding::start(
            pool.clone(),
            search.embedder.clone(),
            embedding.clone(),
            checkpoints.clone(),
            &tasks,
        );
        let bot = Arc::new(
            crate::bot::BotService::new(settings.bot.clone())
                .context("configuring the bot's model")?,
        );
        let listing_reader = match bot.model() {
            Some(model) if settings.bot.listings_below > 0.0 => {
                Some(crate::workers::policy::follow_views(
                    &["listings", "inbox"],
                    checkpoints.clone(),
                    &tasks,
                    crate::workers::listing_reader::ListingReader::new(
                        pool.clone(),
                        conversations.clone(),
                        model,
                        settings.bot.listings_below,
                        tasks.stopping().clone(),
                    ),
                ))
            }
            _ => None,
        };
        let bot_worker = crate::workers::bot::BotWorker {
            pool: pool.clone(),
            checkpoints: checkpoints.clone(),
            conversations: conversations.clone(),
            accounts: accounts.clone(),
            media: media.clone(),
            bot: bot.clone(),
            embedder: search.embedder.clone(),
            tasks: tasks.clone(),
        }
        .start();
        let teamwork_worker = crate::workers::teamwork::TeamworkWorker {
            pool: pool.clone(),
            checkpoints: checkpoints.clone(),
            conversations: conversations.clone(),
            access: access.clone(),
            tasks: tasks.clone(),
        }
        .start();
        let registry = AccountRegistry::load(
            pool.clone(),
            master_key,
            environment_connection(&settings),
            outbox.clone(),
        )
        .await
        .context("loading the accounts")?;
        let registry_follower = crate::workers::policy::follow(
            "accounts",
            checkpoints.clone(),
            &tasks,
            registry.clone(),
        );
        let access_follower = crate::workers::policy::follow(
            "rbac",
            checkpoints.clone(),
            &tasks,
            (access.clone(), pool.clone()),
        );

        let streams = Ingest {
            conversations,
            accounts: accounts.clone(),
            stats: Arc::new(IngestStats::default()),
        };
        let rate_limits = crate::http::rate_limit::RateLimits::new(&settings.limits);
        let state = Arc::new(AppState {
            settings,
            store,
            streams,
            conversation_stats,
            append_stats,
            started: Instant::now(),
            pool: pool.clone(),
            checkpoints,
            projections: runners
                .as_ref()
                .map(|r| r.statuses.clone())
                .unwrap_or_default(),
            watch,
            search,
            embedding,
            bot,
            stopping,
            draining: CancellationToken::new(),
            tasks,
            outbox,
            media,
            identity,
            workspace,
            access,
            registry,
            idp,
            sign_in_throttle: Default::default(),
            rate_limits,
        });
        let database_watch = tokio::spawn(http::health::watch_database(state.clone()));
        Ok(App {
            server,
            state,
            pool,
            pg_store,
            accounts,
            runners,
            projections_stop,
            workers: vec![
                dispatcher,
                fetcher,
                access_follower,
                registry_follower,
                embedder_worker,
                bot_worker,
                teamwork_worker,
                database_watch,
            ]
            .into_iter()
            .chain(listing_reader)
            .collect(),
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.server.address()
    }

    pub fn state(&self) -> Arc<AppState> {
        self.state.clone()
    }

    /// Serves until `shutdown` completes, then stops in this order, so that nothing Meta accepted is
    /// sent again after the restart and nothing acknowledged is lost:
    /// 0. `/health/ready` answers 503 while everything is still served for `INBOX_SHUTDOWN_DRAIN_SECS`;
    /// 1. intake: the listener closes and requests under way finish (`INBOX_SHUTDOWN_GRACE_SECS`);
    ///    meanwhile the workers start no new work (no new send attempt, download or look at a view);
    /// 2. the workers' loops end, then the senders; the work under way (a send Meta may already have
    ///    accepted, a download, a read receipt) finishes and records its outcome through the actors
    ///    (`INBOX_SHUTDOWN_WORK_GRACE_SECS`; what is still running then is logged);
    /// 3. the actors, once nothing records through them any more;
    /// 4. the projections, after applying what the actors appended;
    /// 5. the store's listener, and the pool.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send,
    ) -> anyhow::Result<()> {
        let grace = self.state.settings.shutdown_grace;
        tracing::info!(address = %self.server.address(), "inbox listening");
        let stopping = self.state.stopping.clone();
        let draining = self.state.draining.clone();
        let drain = self.state.settings.shutdown_drain;
        let shutdown = async move {
            shutdown.await;
            // Not ready from here on, still serving: load balancers take the node out of rotation
            // before it stops listening.
            draining.cancel();
            if !drain.is_zero() {
                tracing::info!(
                    seconds = drain.as_secs(),
                    "draining: not ready, still serving"
                );
                tokio::time::sleep(drain).await;
            }
            // Live streams never end by themselves; end them so in-flight requests can drain. The
            // workers start no new work from here on.
            stopping.cancel();
        };
        self.server
            .serve(http::routes(self.state.clone()), shutdown, grace)
            .await;
        self.state.stopping.cancel();
        tracing::info!("intake stopped; waiting for the work under way");
        let deadline = tokio::time::Instant::now() + self.state.settings.shutdown_work_grace;
        let _ = tokio::time::timeout_at(deadline, futures::future::join_all(self.workers)).await;
        self.state.outbox.stop().await;
        let left = self
            .state
            .tasks
            .wait(deadline.saturating_duration_since(tokio::time::Instant::now()))
            .await;
        if !left.is_empty() {
            tracing::warn!(
                count = left.len(),
                still_running = ?left.iter().take(20).collect::<Vec<_>>(),
                "INBOX_SHUTDOWN_WORK_GRACE_SECS is over: stopping with this work unfinished (a message \
                 among it may be sent again once its claim expires)"
            );
        }
        tracing::info!("work under way done; stopping actors");
        self.state
            .streams
            .conversations
            .stop(ACTORS_STOP_TIMEOUT)
            .await;
        self.accounts.stop(ACTORS_STOP_TIMEOUT).await;
        self.state.identity.stop(ACTORS_STOP_TIMEOUT).await;
        self.state.workspace.stop(ACTORS_STOP_TIMEOUT).await;
        self.projections_stop.cancel();
        if let Some(runners) = self.runners {
            runners.join().await;
        }
        self.state.checkpoints.shutdown();
        self.pg_store.shutdown();
        self.pool.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// The HTTP settings, with the connection cap lowered to what the open-file limit (raised to its hard
/// limit first) allows.
fn connection_limits(settings: &Settings) -> ConnectionLimits {
    let http = &settings.http;
    let fd_limit = raise_fd_limit();
    let max_connections = connection_cap(http.max_connections, fd_limit);
    if max_connections < http.max_connections {
        tracing::warn!(
            configured = http.max_connections,
            max_connections,
            open_file_limit = fd_limit,
            "INBOX_HTTP_MAX_CONNECTIONS lowered to fit the open-file limit"
        );
    }
    tracing::info!(
        open_file_limit = fd_limit,
        max_connections,
        "open-file limit and connection cap"
    );
    ConnectionLimits {
        header_timeout: http.header_timeout,
        idle_timeout: http.idle_timeout,
        max_connections,
    }
}

/// The master key from the settings; in development without one, a key kept in `.inbox/master.key`
/// (created on first use).
fn master_key(settings: &Settings) -> anyhow::Result<MasterKey> {
    if let Some(key) = &settings.master_key {
        return Ok(key.clone());
    }
    anyhow::ensure!(
        settings.development,
        "INBOX_MASTER_KEY is required outside development"
    );
    let path = std::path::Path::new(".inbox/master.key");
    if let Ok(text) = std::fs::read_to_string(path) {
        return MasterKey::parse(&text).with_context(|| format!("reading {}", path.display()));
    }
    let key = MasterKey::generate();
    std::fs::create_dir_all(".inbox").context("creating .inbox/")?;
    write_private(path, &key.to_hex()).with_context(|| format!("writing {}", path.display()))?;
    tracing::warn!(
        path = %path.display(),
        "development: created a master key file; set INBOX_MASTER_KEY in production"
    );
    Ok(key)
}

fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(text.as_bytes())
}

pub fn graph_client(settings: &Settings) -> anyhow::Result<GraphClient> {
    GraphClient::new(GraphConfig {
        base_url: settings.graph.base_url.clone(),
        version: settings.graph.version.clone(),
        timeout: settings.graph.timeout,
    })
    .context("building the Graph API client")
}

fn sender_config(settings: &Settings) -> SenderConfig {
    let s = &settings.sending;
    SenderConfig {
        rate_per_second: s.rate_per_second as f64,
        recipient_gap: s.recipient_gap,
        lease: s.lease,
        retry: RetryPolicy {
            max_attempts: s.max_attempts,
            base: s.retry_base,
            ..RetryPolicy::default()
        },
    }
}

/// Records the number from the settings on its account stream, over what the API set for it (a no-op
/// when unchanged: re-sealed secrets compare by their fingerprints).
async fn configure_account(
    accounts: &StreamRouter<Account>,
    settings: &Settings,
    key: &MasterKey,
) -> anyhow::Result<()> {
    let w = &settings.whatsapp;
    let stream = StreamId::account(&w.phone_number_id);
    let (current, _) = accounts
        .inspect(stream.clone())
        .await
        .context("reading the configured WhatsApp account")?;
    let mut configured = current
        .configuration()
        .cloned()
        .unwrap_or_else(|| AccountConfigured::new(&w.phone_number_id));
    let seal = |field: &str, secret: &str| {
        key.seal(
            &AccountConfigured::context(&w.phone_number_id, field),
            secret,
        )
    };
    configured.phone_number.clone_from(&w.phone_number);
    configured.meta_app_id.clone_from(&w.app_id);
    if w.business_account_id.is_some() {
        configured
            .business_account_id
            .clone_from(&w.business_account_id);
    }
    if let Some(token) = &w.token {
        configured.access_token = Some(seal("access_token", token.expose()));
    }
    configured.verify_token = Some(seal("verify_token", w.verify_token.expose()));
    configured.app_secret = Some(seal("app_secret", w.app_secret.expose()));
    let fact = AccountFact::Configured(configured);
    accounts
        .record(
            stream,
            vec![fact],
            EventMetadata::system("configuration from environment"),
        )
        .await
        .context("recording the configured WhatsApp account")?;
    Ok(())
}

/// Completes on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutdown signal received");
}
