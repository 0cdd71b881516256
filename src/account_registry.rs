//! The WhatsApp accounts this install connects with, their secrets opened in memory: the access token
//! each number sends with, the verify token of Meta's handshake, and the app secret that signs its
//! webhooks. Loaded from the `accounts` view (where the secrets are sealed) whenever it moves. The
//! account from the environment is laid over it: what the environment sets wins, as it is recorded
//! again at every start.

use crate::config::{Secret, Settings};
use actors::account::events::AccountConfigured;
use actors::account::sealed::{MasterKey, Sealed};
use actors::graph::AccessToken;
use actors::outbound::Outbox;
use projections::accounts::queries;
use sqlx::types::Json;
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};

#[derive(Debug, Clone)]
pub struct Connection {
    pub phone_number_id: String,
    pub business_account_id: Option<String>,
    pub access_token: Option<AccessToken>,
    pub verify_token: Option<Secret>,
    pub app_secret: Option<Secret>,
}

#[derive(Clone)]
pub struct AccountRegistry {
    current: Arc<RwLock<Arc<HashMap<String, Connection>>>>,
    /// The view position of the newest configuration loaded (-1 before the first load).
    loaded: Arc<AtomicI64>,
    key: MasterKey,
    from_environment: Connection,
    outbox: Outbox,
    pool: PgPool,
}

/// The account the environment configures, as a connection.
pub fn environment_connection(settings: &Settings) -> Connection {
    let w = &settings.whatsapp;
    Connection {
        phone_number_id: w.phone_number_id.clone(),
        business_account_id: w.business_account_id.clone(),
        access_token: w.token.as_ref().map(|t| AccessToken::new(t.expose())),
        verify_token: Some(w.verify_token.clone()),
        app_secret: Some(w.app_secret.clone()),
    }
}

impl AccountRegistry {
    pub async fn load(
        pool: PgPool,
        key: MasterKey,
        from_environment: Connection,
        outbox: Outbox,
    ) -> anyhow::Result<AccountRegistry> {
        let registry = AccountRegistry {
            current: Arc::default(),
            loaded: Arc::new(AtomicI64::new(-1)),
            key,
            from_environment,
            outbox,
            pool,
        };
        registry.reload().await?;
        Ok(registry)
    }

    pub fn get(&self, phone_number_id: &str) -> Option<Connection> {
        self.all().get(phone_number_id).cloned()
    }

    pub fn all(&self) -> Arc<HashMap<String, Connection>> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn key(&self) -> &MasterKey {
        &self.key
    }

    /// Whether a setting of this account comes from the environment (and so cannot be changed here).
    pub fn environment_account(&self) -> &str {
        &self.from_environment.phone_number_id
    }

    /// Reads the configured accounts from the view, opens their secrets, and hands the tokens to the
    /// senders, when a configuration changed since the last load: the accounts view moves with every
    /// conversation, and one look at the newest configuration (a table of a few rows) is all that costs. A secret that
    /// does not open (sealed under another key) is left out and logged.
    pub async fn reload(&self) -> anyhow::Result<()> {
        let newest = queries::newest_configuration(&self.pool).await?;
        if newest == self.loaded.load(Ordering::Acquire) {
            return Ok(());
        }
        let rows = queries::configured_accounts(&self.pool).await?;
        let mut accounts = HashMap::new();
        for row in rows {
            let open = |field: &str, sealed: Option<Json<Sealed>>| -> Option<String> {
                let sealed = sealed?;
                let context = AccountConfigured::context(&row.account_id, field);
                match self.key.open(&context, &sealed.0) {
                    Ok(secret) => Some(secret),
                    Err(e) => {
                        tracing::error!(account = %row.account_id, field, error = %e, "cannot open a stored secret");
                        None
                    }
                }
            };
            let connection = Connection {
                phone_number_id: row.account_id.clone(),
                business_account_id: row.business_account_id.clone(),
                access_token: open("access_token", row.access_token).map(AccessToken::new),
                verify_token: open("verify_token", row.verify_token).map(Secret::new),
                app_secret: open("app_secret", row.app_secret).map(Secret::new),
            };
            accounts.insert(row.account_id, connection);
        }
        let env = &self.from_environment;
        let entry = accounts
            .entry(env.phone_number_id.clone())
            .or_insert_with(|| env.clone());
        if env.business_account_id.is_some() {
            entry
                .business_account_id
                .clone_from(&env.business_account_id);
        }
        if env.access_token.is_some() {
            entry.access_token.clone_from(&env.access_token);
        }
        entry.verify_token.clone_from(&env.verify_token);
        entry.app_secret.clone_from(&env.app_secret);
        let tokens = accounts
            .values()
            .filter_map(|c| Some((c.phone_number_id.clone(), c.access_token.clone()?)))
            .collect();
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(accounts);
        self.outbox.set_tokens(tokens).await;
        // A change recorded while this ran has a higher position, so the next look loads it.
        self.loaded.store(newest, Ordering::Release);
        Ok(())
    }
}

/// Reloads whenever the `accounts` projection moves.
impl crate::workers::policy::Sweep for AccountRegistry {
    const WHAT: &'static str = "changes to the accounts";

    async fn sweep(&mut self) -> anyhow::Result<()> {
        self.reload().await
    }
}
