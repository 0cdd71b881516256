//! Who is calling, and whether they may. Until users and roles exist, one bearer token
//! (`INBOX_API_TOKEN`) stands for a caller with every permission; every handler already states the
//! permission it needs with one `caller.require(...)` line, which is where per-user checks will plug in.

use super::error::ApiError;
use crate::http::AppState;
use poem::Request;
use poem_openapi::auth::Bearer;
use poem_openapi::SecurityScheme;
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// What a caller may do: the one catalogue roles, overrides and tokens are made of.
pub use actors::identity::Permission;

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Recorded on the events the caller causes.
    pub user_id: String,
}

impl Caller {
    /// Fails with 403 unless the caller holds `permission`. The single API token holds all of them.
    pub fn require(&self, _permission: Permission) -> Result<(), ApiError> {
        Ok(())
    }
}

/// Bearer token authentication.
#[derive(SecurityScheme)]
#[oai(ty = "bearer", checker = "check_token")]
pub struct ApiAuth(pub Caller);

async fn check_token(req: &Request, bearer: Bearer) -> poem::Result<Caller> {
    let state = req
        .data::<Arc<AppState>>()
        .ok_or_else(|| poem::Error::from(ApiError::unavailable("application state missing")))?;
    let Some(expected) = &state.settings.api_token else {
        return Err(ApiError::unauthorized(
            "the API is disabled: set INBOX_API_TOKEN on the server",
        )
        .into());
    };
    let given = bearer.token.as_bytes();
    if bool::from(given.ct_eq(expected.expose().as_bytes())) {
        Ok(Caller {
            user_id: "api-token".to_owned(),
        })
    } else {
        Err(ApiError::unauthorized("the bearer token is not valid").into())
    }
}
