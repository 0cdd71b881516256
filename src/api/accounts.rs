//! Accounts: the business numbers, listing, adding and configuring them.

use super::auth::{ApiAuth, Caller, Permission};
use super::error::{ApiError, ErrorBody, ErrorDetail};
use super::models::Account;
use super::Tag;
use crate::http::AppState;
use actors::account::events::AccountConfigured;
use actors::account::sealed::{MasterKey, Sealed};
use actors::account::{Account as AccountState, AccountFact};
use actors::event::{EventMetadata, StreamId};
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use projections::accounts::queries;
use projections::scope::AccountScope;
use std::sync::Arc;
use std::time::Duration;

/// `/accounts` and `/accounts/{id}`: the numbers and their settings (managing a number through Meta is
/// [`super::whatsapp`]).
pub struct AccountsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Accounts")]
impl AccountsApi {
    /// The WhatsApp business numbers, with the quality and messaging limit Meta last reported.
    #[oai(path = "/accounts", method = "get", operation_id = "listAccounts")]
    async fn accounts(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
    ) -> Result<Json<Vec<Account>>, ApiError> {
        let accounts = queries::list_accounts(&state.pool, &caller.accounts()).await?;
        Ok(Json(accounts.into_iter().map(Account::from).collect()))
    }

    /// One business number.
    #[oai(path = "/accounts/:id", method = "get", operation_id = "getAccount")]
    async fn account(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        id: Path<String>,
    ) -> Result<Json<Account>, ApiError> {
        load_account(&state, &caller.accounts(), &id.0)
            .await
            .map(Json)
    }

    /// Add a WhatsApp account (needs `accounts.manage` on every account). Its access token, verify token
    /// and app secret are stored encrypted and never returned.
    #[oai(path = "/accounts", method = "post", operation_id = "createAccount")]
    async fn create_account(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        body: Json<NewAccount>,
    ) -> Result<AccountCreated, ApiError> {
        caller.require(Permission::AccountsManage, None)?;
        let NewAccount {
            phone_number_id,
            settings,
        } = body.0;
        if phone_number_id.is_empty()
            || phone_number_id.len() > 32
            || !phone_number_id.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(ApiError::bad_request(
                "invalid_account",
                "phone_number_id is Meta's id of the number: up to 32 digits",
            ));
        }
        let (current, _) = inspect_account(&state, &phone_number_id).await?;
        if current.configuration().is_some() {
            return Err(ApiError::conflict(
                "account_exists",
                format!("account {phone_number_id} exists; change it with PATCH"),
            ));
        }
        let configured = settings.apply(
            AccountConfigured::new(&phone_number_id),
            state.registry.key(),
        )?;
        configure(&state, &caller, configured).await?;
        let account = load_account(&state, &caller.accounts(), &phone_number_id).await?;
        Ok(AccountCreated::Created(Json(account)))
    }

    /// Change an account's settings: fields left out stay as they are; an empty string removes an
    /// optional one. Settings the server's environment sets for its own account cannot be changed here.
    #[oai(
        path = "/accounts/:id",
        method = "patch",
        operation_id = "updateAccount"
    )]
    async fn update_account(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        id: Path<String>,
        body: Json<AccountSettings>,
    ) -> Result<Json<Account>, ApiError> {
        caller.require_account(&id.0, "account", &id.0)?;
        let (current, _) = inspect_account(&state, &id.0).await?;
        let Some(configured) = current.configuration().cloned() else {
            return Err(ApiError::not_found("account", &id.0));
        };
        if id.0 == state.registry.environment_account() {
            if let Some(field) = body.0.set_by_environment(&state.settings.whatsapp) {
                return Err(ApiError::conflict(
                    "set_by_environment",
                    format!("{field} of this account comes from the server's environment; change it there"),
                ));
            }
        }
        let configured = body.0.apply(configured, state.registry.key())?;
        configure(&state, &caller, configured).await?;
        load_account(&state, &caller.accounts(), &id.0)
            .await
            .map(Json)
    }
}

#[derive(ApiResponse)]
pub enum AccountCreated {
    #[oai(status = 201)]
    Created(Json<Account>),
}

/// No `Debug`: it holds secrets.
#[derive(Clone, Object)]
pub struct NewAccount {
    /// Meta's id of the number.
    pub phone_number_id: String,
    #[oai(flatten)]
    pub settings: AccountSettings,
}

/// An account's settings. Secrets are write-only (and this has no `Debug`, so they are never logged).
#[derive(Clone, Default, Object)]
pub struct AccountSettings {
    /// The number as people dial it.
    pub phone_number: Option<String>,
    /// What the inbox calls this number.
    pub name: Option<String>,
    pub meta_app_id: Option<String>,
    pub business_account_id: Option<String>,
    /// The Graph API access token the number sends with.
    pub access_token: Option<String>,
    /// What Meta's webhook verification request must carry.
    pub verify_token: Option<String>,
    /// The secret of the Meta app that signs this number's webhooks.
    pub app_secret: Option<String>,
}

impl AccountSettings {
    /// The first field the environment sets for its account that this change touches.
    fn set_by_environment(&self, env: &crate::config::WhatsAppSettings) -> Option<&'static str> {
        let touched = |field: &Option<String>, from_env: bool| field.is_some() && from_env;
        [
            ("phone_number", touched(&self.phone_number, true)),
            ("meta_app_id", touched(&self.meta_app_id, true)),
            (
                "business_account_id",
                touched(&self.business_account_id, env.business_account_id.is_some()),
            ),
            (
                "access_token",
                touched(&self.access_token, env.token.is_some()),
            ),
            ("verify_token", touched(&self.verify_token, true)),
            ("app_secret", touched(&self.app_secret, true)),
        ]
        .into_iter()
        .find(|(_, touched)| *touched)
        .map(|(field, _)| field)
    }

    /// `configured` with these changes; secrets sealed under `key`.
    fn apply(
        self,
        mut configured: AccountConfigured,
        key: &MasterKey,
    ) -> Result<AccountConfigured, ApiError> {
        fn text(
            value: Option<String>,
            current: &mut Option<String>,
            field: &str,
            digits: bool,
        ) -> Result<(), ApiError> {
            let Some(value) = value else { return Ok(()) };
            let value = value.trim().to_owned();
            if value.len() > 200 || (digits && !value.chars().all(|c| c.is_ascii_digit())) {
                return Err(ApiError::bad_request(
                    "invalid_account",
                    format!(
                        "{field} must be {}at most 200 characters",
                        if digits { "digits, " } else { "" }
                    ),
                ));
            }
            *current = (!value.is_empty()).then_some(value);
            Ok(())
        }
        let id = configured.phone_number_id.clone();
        let secret = |value: Option<String>,
                      current: &mut Option<Sealed>,
                      field: &str|
         -> Result<(), ApiError> {
            let Some(value) = value else { return Ok(()) };
            if value.is_empty() {
                *current = None;
                return Ok(());
            }
            let problem = match actors::account::secret_problem(&value) {
                None if value.len() < 8 => Some("must be at least 8 characters".to_owned()),
                problem => problem,
            };
            if let Some(problem) = problem {
                return Err(invalid_secret(field, &problem));
            }
            *current = Some(key.seal(&AccountConfigured::context(&id, field), &value));
            Ok(())
        };
        text(
            self.phone_number,
            &mut configured.phone_number,
            "phone_number",
            false,
        )?;
        text(self.name, &mut configured.name, "name", false)?;
        text(
            self.meta_app_id,
            &mut configured.meta_app_id,
            "meta_app_id",
            true,
        )?;
        text(
            self.business_account_id,
            &mut configured.business_account_id,
            "business_account_id",
            true,
        )?;
        secret(
            self.access_token,
            &mut configured.access_token,
            "access_token",
        )?;
        secret(
            self.verify_token,
            &mut configured.verify_token,
            "verify_token",
        )?;
        secret(self.app_secret, &mut configured.app_secret, "app_secret")?;
        Ok(configured)
    }
}

/// 400 naming the secret field that was refused, and why.
fn invalid_secret(field: &str, problem: &str) -> ApiError {
    ApiError::BadRequest(Json(ErrorBody {
        error: ErrorDetail {
            code: "invalid_account".to_owned(),
            message: format!("{field} {problem}"),
            details: Some(serde_json::json!({ "field": field })),
        },
    }))
}

async fn inspect_account(state: &AppState, id: &str) -> Result<(AccountState, u64), ApiError> {
    state
        .streams
        .accounts
        .inspect(StreamId::account(id))
        .await
        .map_err(ApiError::from)
}

/// Records an account's configuration, then waits until this node's view and registry hold it.
async fn configure(
    state: &AppState,
    caller: &Caller,
    configured: AccountConfigured,
) -> Result<(), ApiError> {
    let id = configured.phone_number_id.clone();
    let outcome = state
        .streams
        .accounts
        .record(
            StreamId::account(&id),
            vec![AccountFact::Configured(configured)],
            EventMetadata::user(&caller.user_id, uuid::Uuid::new_v4()),
        )
        .await?;
    if let Some(position) = outcome.last_position {
        if !state
            .checkpoints
            .wait_for("accounts", position, Duration::from_secs(5))
            .await
        {
            tracing::warn!(account = %id, "the accounts view has not caught up with a change yet");
        }
    }
    state.registry.reload().await?;
    Ok(())
}

/// One account, if it is in `scope`.
async fn load_account(
    state: &AppState,
    scope: &AccountScope,
    id: &str,
) -> Result<Account, ApiError> {
    queries::account(&state.pool, id, scope)
        .await?
        .map(Account::from)
        .ok_or_else(|| ApiError::not_found("account", id))
}
