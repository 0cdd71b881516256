//! Who is calling, and what they may reach. Every operation authenticates with [`ApiAuth`]; the route's
//! need comes from [`super::permissions::ROUTES`], and is checked here before any handler runs. Handlers
//! then pass [`Caller::accounts`] to the read side's queries, which narrow rows to it, and refuse single
//! resources of other accounts as not found (so nobody learns what exists elsewhere).
//!
//! Bearer tokens accepted, in this order: the operator token (`INBOX_API_TOKEN`, every permission), a
//! session (`inbox_ses_…`), an API token (`inbox_pat_…`), a JWT of the configured identity provider.

use super::error::ApiError;
use super::permissions::{self, Need};
use crate::auth::snapshot::Loaded;
use crate::auth::{hash_secret, idp, sessions, API_TOKEN_PREFIX, SESSION_PREFIX};
use crate::config::Secret;
use crate::http::AppState;
use actors::event::EventMetadata;
use actors::identity::access::Principal;
use actors::identity::aggregate::stream;
use actors::identity::AccountScope;
use actors::identity::{IdentityEvent, IdentityFact};
use actors::stream_actor::CommandError;
use chrono::SubsecRound;
use chrono::{DateTime, Utc};
use poem::Request;
use poem_openapi::auth::Bearer;
use poem_openapi::SecurityScheme;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use subtle::ConstantTimeEq;
use uuid::Uuid;

/// How long a first sign-in waits for this node's snapshot to hold the subject it linked.
const LINK_WAIT: Duration = Duration::from_secs(5);

/// What a caller may do: the one catalogue roles, overrides and tokens are made of.
pub use actors::identity::Permission;

/// How the caller authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// `INBOX_API_TOKEN`: the operator, with every permission on every account.
    Operator,
    Session(Uuid),
    ApiToken(String),
    /// A token of the external identity provider.
    External,
}

/// The authenticated caller, with the snapshot their checks read (one snapshot per request, so a request
/// never sees two different versions of the rules).
#[derive(Clone)]
pub struct Caller {
    /// Recorded on the events the caller causes (for an API token, its owner).
    pub user_id: String,
    pub via: Via,
    /// The permission the route needs (`None` for routes any signed-in caller may use).
    pub permission: Option<Permission>,
    /// When the credential stops working by itself (a session's or token's expiry), if it does.
    pub valid_until: Option<DateTime<Utc>>,
    /// The bearer token, kept so a long-lived request can check it again ([`Caller::recheck`]).
    credential: Secret,
    access: Arc<Loaded>,
    now: DateTime<Utc>,
}

impl std::fmt::Debug for Caller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Caller")
            .field("user_id", &self.user_id)
            .field("via", &self.via)
            .finish_non_exhaustive()
    }
}

impl Caller {
    fn principal(&self) -> Option<Principal> {
        match &self.via {
            Via::Operator => None,
            Via::ApiToken(token_id) => Some(Principal::Token(token_id.clone())),
            Via::Session(_) | Via::External => Some(Principal::User(self.user_id.clone())),
        }
    }

    /// Whether the caller may do `permission` on `account` (install-wide when `None`).
    pub fn may(&self, permission: Permission, account: Option<&str>) -> bool {
        match self.principal() {
            None => true,
            Some(principal) => self
                .access
                .rbac
                .principal_allows(&principal, permission, account, self.now),
        }
    }

    /// The accounts on which the caller may do `permission`.
    pub fn accounts_for(&self, permission: Permission) -> AccountScope {
        match self.principal() {
            None => AccountScope::All {
                except: BTreeSet::new(),
            },
            Some(principal) => self
                .access
                .rbac
                .principal_accounts(&principal, permission, self.now),
        }
    }

    /// The accounts the route's permission reaches: what the read side's queries narrow rows to.
    pub fn accounts(&self) -> AccountScope {
        match self.permission {
            Some(p) => self.accounts_for(p),
            None => projections::scope::nothing(),
        }
    }

    /// Whether the route's permission reaches `account`.
    pub fn sees(&self, account: &str) -> bool {
        self.permission.is_some_and(|p| self.may(p, Some(account)))
    }

    /// Refuses a resource of an account the route's permission does not reach, as if it did not exist.
    pub fn require_account(&self, account: &str, what: &str, id: &str) -> Result<(), ApiError> {
        match self.sees(account) {
            true => Ok(()),
            false => Err(ApiError::not_found(what, id)),
        }
    }

    /// A second permission a handler needs beyond the route's (on `account`, or install-wide).
    pub fn require(&self, permission: Permission, account: Option<&str>) -> Result<(), ApiError> {
        match self.may(permission, account) {
            true => Ok(()),
            false => Err(ApiError::forbidden(format!(
                "this needs the {permission} permission"
            ))),
        }
    }

    /// The same caller judged by another snapshot (a long-lived stream re-checks with each change).
    pub fn with_snapshot(&self, access: Arc<Loaded>) -> Caller {
        Caller {
            access,
            now: Utc::now(),
            ..self.clone()
        }
    }

    /// Checks the caller's credential again exactly as a new request with it would be checked (the
    /// session, token or identity-provider token, the user, and the route's permission), for a request
    /// that outlives a moment: a live stream. The answer is the caller as of now, or why they no longer
    /// may go on.
    pub async fn recheck(&self, state: &AppState) -> Result<Caller, ApiError> {
        let mut again = authenticate(state, self.credential.expose()).await?;
        if again.user_id != self.user_id || again.via != self.via {
            return Err(invalid());
        }
        again.permission = self.permission;
        if let Some(p) = self.permission {
            again.require_route(p)?;
        }
        Ok(again)
    }

    /// Refuses a caller who holds the route's permission nowhere.
    fn require_route(&self, p: Permission) -> Result<(), ApiError> {
        let allowed = match p.is_account_scoped() {
            true => !self.accounts_for(p).is_empty(),
            false => self.may(p, None),
        };
        match allowed {
            true => Ok(()),
            false => Err(ApiError::forbidden(format!(
                "this needs the {p} permission"
            ))),
        }
    }

    pub fn snapshot(&self) -> &Arc<Loaded> {
        &self.access
    }

    pub fn is_operator(&self) -> bool {
        self.via == Via::Operator
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
    let path = req.original_uri().path();
    let need = permissions::need_for(req.method(), path).ok_or_else(|| {
        tracing::error!(method = %req.method(), path, "route declares no permission; refused");
        poem::Error::from(ApiError::forbidden("this route declares no permission"))
    })?;
    let mut caller = match authenticate(state, &bearer.token).await {
        Ok(caller) => {
            within_api_limit(state, format!("user:{}", caller.user_id))?;
            caller
        }
        Err(e) => {
            metrics::counter!("inbox_api_auth_failures_total", "reason" => e.code().to_owned())
                .increment(1);
            let address = state.settings.trusted_proxies.client_of(req);
            within_api_limit(
                state,
                format!("address:{}", crate::auth::client::address_key(address)),
            )?;
            return Err(e.into());
        }
    };
    caller.permission = match need {
        Need::Permission(p) => Some(p),
        Need::SignedIn | Need::Public => None,
    };
    if let Some(p) = caller.permission {
        caller.require_route(p).inspect_err(|_| {
            metrics::counter!("inbox_api_auth_failures_total", "reason" => "forbidden")
                .increment(1);
        })?;
    }
    Ok(caller)
}

/// `RATE_LIMIT_DEFAULT`: one more call under `key`, or 429 with `Retry-After`.
fn within_api_limit(state: &AppState, key: String) -> Result<(), ApiError> {
    state.rate_limits.api.check(&key).map_err(|wait| {
        crate::http::rate_limit::refused("api");
        ApiError::rate_limited(
            "too many requests; slow down and retry after the time Retry-After gives",
            wait,
        )
    })
}

/// Resolves a bearer token to a caller, or a 401 that says why.
pub async fn authenticate(state: &AppState, token: &str) -> Result<Caller, ApiError> {
    let access = state.access.current();
    let now = Utc::now();
    let caller = |user_id: String, via: Via, valid_until: Option<DateTime<Utc>>| Caller {
        user_id,
        via,
        permission: None,
        valid_until,
        credential: Secret::new(token),
        access: access.clone(),
        now,
    };
    if let Some(expected) = &state.settings.api_token {
        if bool::from(token.as_bytes().ct_eq(expected.expose().as_bytes())) {
            return Ok(caller("api-token".to_owned(), Via::Operator, None));
        }
    }
    let active = |user_id: &str| -> Result<(), ApiError> {
        match access.rbac.is_active(user_id) {
            true => Ok(()),
            false => Err(ApiError::unauthenticated(
                "user_disabled",
                "this user is disabled or no longer exists",
            )),
        }
    };
    if token.starts_with(SESSION_PREFIX) {
        return match sessions::find(&state.pool, token).await? {
            sessions::Lookup::Valid {
                session_id,
                user_id,
                expires_at,
            } => {
                active(&user_id)?;
                Ok(caller(user_id, Via::Session(session_id), Some(expires_at)))
            }
            sessions::Lookup::Expired => Err(ApiError::unauthenticated(
                "token_expired",
                "the session has expired; sign in again",
            )),
            sessions::Lookup::Revoked | sessions::Lookup::Unknown => Err(invalid()),
        };
    }
    if token.starts_with(API_TOKEN_PREFIX) {
        let hash = hash_secret(token);
        let Some((token_id, found)) = access.rbac.token_by_hash(&hash) else {
            return Err(invalid());
        };
        if found.revoked_at.is_some() {
            return Err(ApiError::unauthenticated(
                "token_revoked",
                "this API token was revoked",
            ));
        }
        if !found.usable_at(now) {
            return Err(ApiError::unauthenticated(
                "token_expired",
                "this API token has expired",
            ));
        }
        active(&found.user_id)?;
        return Ok(caller(
            found.user_id.clone(),
            Via::ApiToken(token_id.clone()),
            found.expires_at,
        ));
    }
    if let (Some(provider), true) = (&state.idp, idp::looks_like_jwt(token)) {
        let claims = provider.verify(token).await.map_err(|e| match e {
            idp::IdpError::Expired => ApiError::unauthenticated(
                "token_expired",
                "the identity provider's token has expired",
            ),
            idp::IdpError::KeysUnavailable => {
                ApiError::dependency_failed("the identity provider's keys", e)
            }
            idp::IdpError::Invalid(reason) => {
                tracing::info!(reason, "identity provider token refused");
                invalid()
            }
        })?;
        let valid_until = DateTime::from_timestamp(claims.exp, 0);
        if let Some((user_id, _)) = access.rbac.user_by_subject(&claims.sub) {
            active(user_id)?;
            return Ok(caller(user_id.clone(), Via::External, valid_until));
        }
        let unknown = || {
            ApiError::unauthenticated(
                "unknown_user",
                "no inbox user matches this identity; ask an administrator to add you",
            )
        };
        // Found by email: only one the provider verified, and only a user no subject holds yet.
        let (user_id, user) = claims
            .verified_email()
            .and_then(|email| access.rbac.user_by_email(email))
            .ok_or_else(unknown)?;
        if user.external_subject.is_some() {
            return Err(identity_mismatch());
        }
        active(user_id)?;
        link_subject(state, user_id, &claims.sub).await?;
        let linked = caller(user_id.clone(), Via::External, valid_until);
        return Ok(linked.with_snapshot(state.access.current()));
    }
    Err(invalid())
}

/// Records that the identity provider's `subject` is `user_id` from now on (the first sign-in by a
/// verified email), and waits until this node's snapshot holds it.
async fn link_subject(state: &AppState, user_id: &str, subject: &str) -> Result<(), ApiError> {
    let event = IdentityEvent::ExternalSubjectLinked {
        user_id: user_id.to_owned(),
        external_subject: subject.to_owned(),
        at: Utc::now().trunc_subsecs(6),
        by: None,
    };
    let outcome = state
        .identity
        .record(
            stream(),
            vec![IdentityFact::Change(event)],
            EventMetadata::system("identity provider sign-in by a verified email"),
        )
        .await
        .map_err(|e| match e {
            CommandError::Refused(refusal) => {
                tracing::info!(code = %refusal.code, "external subject not linked");
                identity_mismatch()
            }
            other => other.into(),
        })?;
    if let Some(position) = outcome.last_position {
        if !state.access.wait_for(position, LINK_WAIT).await {
            tracing::warn!(
                position,
                "the RBAC snapshot has not caught up with a link yet"
            );
        }
    }
    Ok(())
}

fn identity_mismatch() -> ApiError {
    ApiError::unauthenticated(
        "identity_mismatch",
        "this inbox user signs in with another identity of the provider; ask an administrator",
    )
}

fn invalid() -> ApiError {
    ApiError::unauthenticated("invalid_token", "the bearer token is not valid")
}
