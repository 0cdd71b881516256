//! API tokens: issued by a signed-in user, acting for them, narrowed to some permissions and accounts.

use super::auth::{ApiAuth, Permission, Via};
use super::error::ApiError;
use super::identity::{change, gone, now, Done};
use super::roles::parse_permissions;
use super::Tag;
use crate::auth::{new_secret, API_TOKEN_PREFIX};
use crate::http::AppState;
use actors::identity::access::ApiTokenAccess;
use actors::identity::{IdentityEvent, IdentityFact};
use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use projections::rbac::queries;
use std::sync::Arc;
use uuid::Uuid;

const TOKEN_DEFAULT_DAYS: u32 = 90;
const TOKEN_MAX_DAYS: u32 = 3650;

pub struct TokensApi;

#[derive(Debug, Clone, Object)]
pub struct NewApiToken {
    pub name: String,
    pub permissions: Vec<String>,
    /// Only these accounts; absent: every account the owner may reach.
    pub accounts: Option<Vec<String>>,
    /// 1 to 3650 (default 90).
    pub expires_in_days: Option<u32>,
}

#[derive(Debug, Clone, Object)]
pub struct ApiToken {
    pub id: String,
    pub name: String,
    pub user_id: String,
    pub permissions: Vec<String>,
    pub accounts: Option<Vec<String>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// The secret is shown here once; only its hash is kept.
#[derive(Debug, Clone, Object)]
pub struct ApiTokenCreated {
    pub token: String,
    pub api_token: ApiToken,
}

#[derive(ApiResponse)]
pub enum TokenCreated {
    #[oai(status = 201)]
    Created(Json<ApiTokenCreated>),
}

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Identity")]
impl TokensApi {
    /// The caller's API tokens (everyone's, for those who may manage users).
    #[oai(path = "/api-tokens", method = "get", operation_id = "listApiTokens")]
    async fn api_tokens(&self, ApiAuth(caller): ApiAuth) -> Json<Vec<ApiToken>> {
        let owner = match caller.may(Permission::UsersManage, None) {
            true => None,
            false => Some(caller.user_id.as_str()),
        };
        let tokens = queries::api_tokens(&caller.snapshot().rbac, owner);
        Json(tokens.map(|(id, t)| token_view(id, t)).collect())
    }

    /// Create an API token acting for the caller, narrowed to some permissions and accounts. The secret
    /// is in this answer only.
    #[oai(path = "/api-tokens", method = "post", operation_id = "createApiToken")]
    async fn create_api_token(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        body: Json<NewApiToken>,
    ) -> Result<TokenCreated, ApiError> {
        if !matches!(caller.via, Via::Session(_) | Via::External) {
            return Err(ApiError::forbidden_code(
                "user_required",
                "API tokens are created by a signed-in user, not by another token",
            ));
        }
        let permissions = parse_permissions(&body.0.permissions)?;
        if let Some(p) = permissions.iter().find(|p| match p.is_account_scoped() {
            true => caller.accounts_for(**p).is_empty(),
            false => !caller.may(**p, None),
        }) {
            return Err(ApiError::forbidden(format!(
                "you do not hold {p}, so a token of yours cannot either"
            )));
        }
        let days = body.0.expires_in_days.unwrap_or(TOKEN_DEFAULT_DAYS);
        if !(1..=TOKEN_MAX_DAYS).contains(&days) {
            return Err(ApiError::bad_request(
                "invalid_expiry",
                format!("expires_in_days must be 1 to {TOKEN_MAX_DAYS}"),
            ));
        }
        let at = now();
        let token_id = Uuid::new_v4().to_string();
        let (token, token_hash) = new_secret(API_TOKEN_PREFIX);
        let event = IdentityEvent::ApiTokenIssued {
            token_id: token_id.clone(),
            user_id: caller.user_id.clone(),
            name: body.0.name.trim().to_owned(),
            token_hash,
            permissions,
            accounts: body.0.accounts.map(|a| a.into_iter().collect()),
            expires_at: Some(at + chrono::Duration::days(i64::from(days))),
            at,
            by: Some(caller.user_id.clone()),
        };
        let rbac = change(&state, &caller, vec![IdentityFact::Change(event)]).await?;
        let issued = rbac
            .tokens
            .get(&token_id)
            .ok_or_else(|| gone("API token", &token_id))?;
        Ok(TokenCreated::Created(Json(ApiTokenCreated {
            token,
            api_token: token_view(&token_id, issued),
        })))
    }

    /// Revoke an API token (one's own, or anyone's for those who may manage users).
    #[oai(
        path = "/api-tokens/:id",
        method = "delete",
        operation_id = "revokeApiToken"
    )]
    async fn revoke_api_token(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        id: Path<String>,
    ) -> Result<Done, ApiError> {
        let owner = caller
            .snapshot()
            .rbac
            .tokens
            .get(&id.0)
            .map(|t| t.user_id.clone());
        match owner {
            Some(owner) if owner == caller.user_id || caller.may(Permission::UsersManage, None) => {
            }
            _ => return Err(ApiError::not_found("API token", &id.0)),
        }
        let event = IdentityEvent::ApiTokenRevoked {
            token_id: id.0,
            at: now(),
            by: Some(caller.user_id.clone()),
        };
        change(&state, &caller, vec![IdentityFact::Change(event)]).await?;
        Ok(Done::NoContent)
    }
}

fn token_view(id: &str, t: &ApiTokenAccess) -> ApiToken {
    ApiToken {
        id: id.to_owned(),
        name: t.name.clone(),
        user_id: t.user_id.clone(),
        permissions: t
            .permissions
            .iter()
            .map(|p| p.as_str().to_owned())
            .collect(),
        accounts: t.accounts.as_ref().map(|a| a.iter().cloned().collect()),
        expires_at: t.expires_at,
        created_at: t.created_at,
        revoked_at: t.revoked_at,
    }
}
