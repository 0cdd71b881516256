//! Signing in and out, setting up a new install, and the caller's own profile and password.

use super::auth::{ApiAuth, Permission, Via};
use super::error::ApiError;
use super::identity::{gone, now, record, Done};
use super::users::{clean_name, user_view, User};
use super::Tag;
use crate::auth::{passwords, sessions};
use crate::http::{browser_session, AppState};
use actors::event::EventMetadata;
use actors::identity::{IdentityEvent, IdentityFact};
use chrono::{DateTime, Utc};
use poem::web::Data;
use poem::Request;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use projections::rbac::queries;
use std::sync::Arc;
use uuid::Uuid;

pub struct SessionApi;

/// No `Debug`: it holds a password.
#[derive(Clone, Object)]
pub struct Credentials {
    pub email: String,
    pub password: String,
    /// For browsers: keep the session in an HttpOnly cookie (`inbox_session`) instead of returning its
    /// token, so no script can read it.
    #[oai(default)]
    pub cookie: bool,
}

/// No `Debug`: it holds a password.
#[derive(Clone, Object)]
pub struct Setup {
    pub email: String,
    pub password: String,
    pub name: Option<String>,
    /// As for signing in: keep the session in an HttpOnly cookie instead of returning its token.
    #[oai(default)]
    pub cookie: bool,
}

/// A new session. Send `token` as `Authorization: Bearer <token>`; a browser session (`cookie: true`)
/// has no `token`: its cookie authenticates it.
#[derive(Debug, Clone, Object)]
pub struct SessionCreated {
    pub token: Option<String>,
    pub expires_at: DateTime<Utc>,
    pub user: User,
}

/// Whether the install still needs its first user.
#[derive(Debug, Clone, Object)]
pub struct SetupState {
    /// True until the first admin is created (`POST /auth/setup`).
    pub needed: bool,
}

/// What the caller may do: install-wide, and per account.
#[derive(Debug, Clone, Object)]
pub struct Me {
    /// Absent for the operator token.
    pub user: Option<User>,
    /// `operator`, `session`, `api_token` or `external`.
    pub authenticated_by: String,
    /// Install-wide permissions (users, roles, settings).
    pub permissions: Vec<String>,
    pub accounts: Vec<AccountPermissions>,
}

#[derive(Debug, Clone, Object)]
pub struct AccountPermissions {
    pub account_id: String,
    pub permissions: Vec<String>,
}

/// No `Debug`: it holds a password.
#[derive(Clone, Object)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

#[derive(ApiResponse)]
pub enum SessionResponse {
    #[oai(status = 200)]
    SignedIn(
        Json<SessionCreated>,
        /// The browser session's cookie, when asked for.
        #[oai(header = "Set-Cookie")]
        Option<String>,
    ),
    /// The install's first user, now its admin, signed in.
    #[oai(status = 201)]
    SetUp(
        Json<SessionCreated>,
        /// The browser session's cookie, when asked for.
        #[oai(header = "Set-Cookie")]
        Option<String>,
    ),
}

#[derive(ApiResponse)]
pub enum SignedOut {
    /// The session ended; a browser's cookie is cleared.
    #[oai(status = 204)]
    NoContent(#[oai(header = "Set-Cookie")] String),
}

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Identity")]
impl SessionApi {
    /// Whether the install still needs its first user (the browser app then offers to create it).
    #[oai(path = "/auth/setup", method = "get", operation_id = "setupState")]
    async fn setup_state(&self, state: Data<&Arc<AppState>>) -> Json<SetupState> {
        Json(SetupState {
            needed: state.access.current().rbac.users.is_empty(),
        })
    }

    /// Create the first user of a new install, who becomes admin, and sign them in. Refused (409) once
    /// any user exists.
    #[oai(path = "/auth/setup", method = "post", operation_id = "setUp")]
    async fn setup(
        &self,
        state: Data<&Arc<AppState>>,
        req: &Request,
        body: Json<Setup>,
    ) -> Result<SessionResponse, ApiError> {
        within_auth_limit(&state, req)?;
        let Setup {
            email,
            password,
            name,
            cookie,
        } = body.0;
        let email = email.trim().to_owned();
        check_password(&password)?;
        let user_id = Uuid::new_v4().to_string();
        store_password(&state, &user_id, password).await?;
        let event = IdentityEvent::UserRegistered {
            user_id: user_id.clone(),
            email,
            name: clean_name(name),
            external_subject: None,
            at: now(),
            by: None,
        };
        let metadata = EventMetadata::system("first user set up");
        if let Err(e) = record(&state, vec![IdentityFact::Setup(event)], metadata).await {
            forget_password(&state, &user_id).await;
            return Err(e);
        }
        let (session, cookie) = open_session(&state, req, &user_id, cookie).await?;
        Ok(SessionResponse::SetUp(Json(session), cookie))
    }

    /// Sign in with email and password. The right password always signs in. Past a few failures for an
    /// email, from an address, or for an email from anywhere, attempts take turns and each wrong one makes
    /// the next wait longer (429 with `Retry-After`); an attempt that cannot have its turn soon is
    /// refused unchecked (429).
    #[oai(path = "/auth/sign-in", method = "post", operation_id = "signIn")]
    async fn sign_in(
        &self,
        state: Data<&Arc<AppState>>,
        req: &Request,
        body: Json<Credentials>,
    ) -> Result<SessionResponse, ApiError> {
        within_auth_limit(&state, req)?;
        let email = body.0.email.trim().to_owned();
        let address = client_address(&state, req);
        let attempt = match state.sign_in_throttle.admit(&email, address).await {
            Ok(attempt) => attempt,
            Err(wait) => {
                signed_in("too_many_attempts");
                return Err(ApiError::too_many_requests(
                    "too many failed sign-ins; try again later",
                    wait,
                ));
            }
        };
        let access = state.access.current();
        let user_id = access.rbac.user_by_email(&email).map(|(id, _)| id.clone());
        let stored = match &user_id {
            Some(id) => passwords::stored(&state.pool, id).await?,
            None => None,
        };
        let valid = passwords::verify(body.0.password, stored).await;
        let Some(user_id) = user_id.filter(|_| valid) else {
            let slowed = attempt.failed();
            tracing::info!(address = ?address, slowed = ?slowed, "sign-in failed");
            return Err(match slowed {
                None => {
                    signed_in("invalid_credentials");
                    ApiError::unauthenticated(
                        "invalid_credentials",
                        "the email or the password is wrong",
                    )
                }
                Some(wait) => {
                    signed_in("too_many_attempts");
                    ApiError::too_many_requests(
                        "the email or the password is wrong, and too many sign-ins have failed: \
                         the next attempt waits",
                        wait,
                    )
                }
            });
        };
        attempt.succeeded();
        if !access.rbac.is_active(&user_id) {
            signed_in("user_disabled");
            return Err(ApiError::forbidden_code(
                "user_disabled",
                "this user is disabled; ask an administrator",
            ));
        }
        signed_in("ok");
        let (session, cookie) = open_session(&state, req, &user_id, body.0.cookie).await?;
        Ok(SessionResponse::SignedIn(Json(session), cookie))
    }

    /// End the current session (its token stops working at once, and a browser's cookie is cleared).
    #[oai(path = "/auth/sign-out", method = "post", operation_id = "signOut")]
    async fn sign_out(
        &self,
        state: Data<&Arc<AppState>>,
        req: &Request,
        ApiAuth(caller): ApiAuth,
    ) -> Result<SignedOut, ApiError> {
        if let Via::Session(session_id) = caller.via {
            sessions::revoke(&state.pool, &state.access, session_id).await?;
        }
        Ok(SignedOut::NoContent(browser_session::clear_cookie(
            browser_session::over_https(&state, req),
        )))
    }

    /// The caller: profile, and effective permissions install-wide and on each account.
    #[oai(path = "/auth/me", method = "get", operation_id = "me")]
    async fn me(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
    ) -> Result<Json<Me>, ApiError> {
        let accounts = queries::account_ids(&state.pool).await?;
        let rbac = &caller.snapshot().rbac;
        let install = Permission::ALL
            .into_iter()
            .filter(|p| !p.is_account_scoped() && caller.may(*p, None))
            .map(|p| p.as_str().to_owned())
            .collect();
        let accounts = accounts
            .into_iter()
            .map(|account_id| AccountPermissions {
                permissions: Permission::ALL
                    .into_iter()
                    .filter(|p| p.is_account_scoped() && caller.may(*p, Some(&account_id)))
                    .map(|p| p.as_str().to_owned())
                    .collect(),
                account_id,
            })
            .filter(|a| !a.permissions.is_empty())
            .collect();
        Ok(Json(Me {
            user: queries::user(rbac, &caller.user_id).map(|u| user_view(&caller.user_id, u)),
            authenticated_by: match caller.via {
                Via::Operator => "operator",
                Via::Session(_) => "session",
                Via::ApiToken(_) => "api_token",
                Via::External => "external",
            }
            .to_owned(),
            permissions: install,
            accounts,
        }))
    }

    /// Change the caller's own password; their other sessions end.
    #[oai(
        path = "/auth/password",
        method = "put",
        operation_id = "changePassword"
    )]
    async fn change_password(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        body: Json<PasswordChange>,
    ) -> Result<Done, ApiError> {
        let Via::Session(session_id) = caller.via else {
            return Err(ApiError::forbidden_code(
                "session_required",
                "sign in with a password to change it",
            ));
        };
        check_password(&body.0.new_password)?;
        let stored = passwords::stored(&state.pool, &caller.user_id).await?;
        if !passwords::verify(body.0.current_password, stored).await {
            return Err(ApiError::forbidden_code(
                "invalid_credentials",
                "the current password is wrong",
            ));
        }
        store_password(&state, &caller.user_id, body.0.new_password).await?;
        sessions::revoke_all(
            &state.pool,
            &state.access,
            &caller.user_id,
            Some(session_id),
        )
        .await?;
        Ok(Done::NoContent)
    }
}

/// Counts a sign-in attempt by outcome (`inbox_sign_ins_total`).
fn signed_in(outcome: &'static str) {
    metrics::counter!("inbox_sign_ins_total", "outcome" => outcome).increment(1);
}

pub(super) fn check_password(password: &str) -> Result<(), ApiError> {
    match passwords::weakness(password) {
        Some(reason) => Err(ApiError::unprocessable("weak_password", reason)),
        None => Ok(()),
    }
}

pub(super) async fn store_password(
    state: &AppState,
    user_id: &str,
    password: String,
) -> Result<(), ApiError> {
    let hash = passwords::hash(password).await?;
    passwords::save(&state.pool, user_id, &hash).await?;
    Ok(())
}

/// Removes the password of a registration that was refused (best effort: without a user it is inert).
pub(super) async fn forget_password(state: &AppState, user_id: &str) {
    let _ = passwords::forget(&state.pool, user_id).await;
}

/// `RATE_LIMIT_AUTH`: sign-in and set-up attempts per client address, right or wrong (the throttle
/// slows wrong ones on top of this).
fn within_auth_limit(state: &AppState, req: &Request) -> Result<(), ApiError> {
    let key = crate::auth::client::address_key(client_address(state, req));
    state.rate_limits.auth.check(&key).map_err(|wait| {
        crate::http::rate_limit::refused("auth");
        ApiError::rate_limited(
            "too many sign-in attempts from this address; try again later",
            wait,
        )
    })
}

/// The client's address: the connection's peer, or what a trusted proxy says in `X-Forwarded-For`.
fn client_address(state: &AppState, req: &Request) -> Option<std::net::IpAddr> {
    state.settings.trusted_proxies.client_of(req)
}

/// Opens a session for `user_id`: its token in the answer, or, for a browser (`cookie`), in the
/// `Set-Cookie` value returned beside it.
async fn open_session(
    state: &AppState,
    req: &Request,
    user_id: &str,
    cookie: bool,
) -> Result<(SessionCreated, Option<String>), ApiError> {
    let session = sessions::create(
        &state.pool,
        user_id,
        state.settings.session_ttl,
        req.header("user-agent"),
        client_address(state, req).map(|a| a.to_string()).as_deref(),
    )
    .await?;
    let access = state.access.current();
    let user = queries::user(&access.rbac, user_id)
        .map(|u| user_view(user_id, u))
        .ok_or_else(|| gone("user", user_id))?;
    let (token, cookie) = match cookie {
        false => (Some(session.token), None),
        true => {
            let max_age = (session.expires_at - chrono::Utc::now()).num_seconds();
            let secure = browser_session::over_https(state, req);
            let cookie = browser_session::set_cookie(&session.token, max_age, secure);
            (None, Some(cookie))
        }
    };
    Ok((
        SessionCreated {
            token,
            expires_at: session.expires_at,
            user,
        },
        cookie,
    ))
}
