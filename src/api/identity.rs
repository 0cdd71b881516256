//! Sign-in, the caller's own profile and tokens, and the management of users, roles, grants and
//! overrides. Every change goes through the identity actor as an event that names who made it.

use super::auth::{ApiAuth, Caller, Permission, Via};
use super::error::ApiError;
use super::Tag;
use crate::auth::{new_secret, passwords, sessions, API_TOKEN_PREFIX};
use crate::http::AppState;

use actors::event::EventMetadata;
use actors::identity::access::UserAccess;
use actors::identity::aggregate::stream;
use actors::identity::{Effect, IdentityEvent, IdentityFact, Rbac};
use chrono::{DateTime, SubsecRound, Utc};
use poem::web::Data;
use poem::Request;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// How long a change waits for this node's snapshot to hold it, so the caller's next request sees it.
const SNAPSHOT_WAIT: Duration = Duration::from_secs(5);
const TOKEN_DEFAULT_DAYS: u32 = 90;
const TOKEN_MAX_DAYS: u32 = 3650;

pub struct IdentityApi;

/// No `Debug`: it holds a password.
#[derive(Clone, Object)]
pub struct Credentials {
    pub email: String,
    pub password: String,
}

/// No `Debug`: it holds a password.
#[derive(Clone, Object)]
pub struct Setup {
    pub email: String,
    pub password: String,
    pub name: Option<String>,
}

/// A new session. Send `token` as `Authorization: Bearer <token>`.
#[derive(Debug, Clone, Object)]
pub struct SessionCreated {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: User,
}

/// A role held globally (`account` absent) or on one WhatsApp account.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Object)]
pub struct Grant {
    pub role: String,
    #[oai(skip_serializing_if_is_none)]
    pub account: Option<String>,
}

/// A per-user exception: `allow` or `deny` one permission, globally or on one account.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
pub struct Override {
    pub permission: String,
    #[oai(skip_serializing_if_is_none)]
    pub account: Option<String>,
    /// `allow` or `deny`.
    pub effect: String,
}

#[derive(Debug, Clone, Object)]
pub struct User {
    pub id: String,
    pub email: String,
    pub name: Option<String>,
    pub active: bool,
    /// The subject an external identity provider knows this user by.
    pub external_subject: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub roles: Vec<Grant>,
    pub overrides: Vec<Override>,
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

#[derive(Debug, Clone, Object)]
pub struct PermissionInfo {
    pub name: String,
    /// Whether it can be granted on one account (otherwise install-wide only).
    pub account_scoped: bool,
}

#[derive(Debug, Clone, Object)]
pub struct Role {
    pub name: String,
    pub permissions: Vec<String>,
    /// How many users hold it (globally or on some account).
    pub users: u32,
}

#[derive(Debug, Clone, Object)]
pub struct NewRole {
    pub name: String,
    pub permissions: Vec<String>,
}

#[derive(Debug, Clone, Object)]
pub struct RolePermissions {
    pub permissions: Vec<String>,
}

/// No `Debug`: it holds a password.
#[derive(Clone, Object)]
pub struct NewUser {
    pub email: String,
    pub name: Option<String>,
    /// For built-in sign-in; leave out for users who only sign in through the identity provider.
    pub password: Option<String>,
    pub external_subject: Option<String>,
    #[oai(default)]
    pub roles: Vec<Grant>,
}

#[derive(Debug, Clone, Object)]
pub struct UserStatus {
    pub active: bool,
}

#[derive(Debug, Clone, Object)]
pub struct UserRoles {
    pub roles: Vec<Grant>,
}

#[derive(Debug, Clone, Object)]
pub struct UserOverrides {
    pub overrides: Vec<Override>,
}

/// No `Debug`: it holds a password.
#[derive(Clone, Object)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

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
pub enum SessionResponse {
    #[oai(status = 200)]
    SignedIn(Json<SessionCreated>),
    /// The install's first user, now its admin, signed in.
    #[oai(status = 201)]
    SetUp(Json<SessionCreated>),
}

#[derive(ApiResponse)]
pub enum UserCreated {
    #[oai(status = 201)]
    Created(Json<User>),
}

#[derive(ApiResponse)]
pub enum RoleCreated {
    #[oai(status = 201)]
    Created(Json<Role>),
}

#[derive(ApiResponse)]
pub enum TokenCreated {
    #[oai(status = 201)]
    Created(Json<ApiTokenCreated>),
}

#[derive(ApiResponse)]
pub enum Done {
    #[oai(status = 204)]
    NoContent,
}

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Identity")]
impl IdentityApi {
    /// Create the first user of a new install, who becomes admin, and sign them in. Refused (409) once
    /// any user exists.
    #[oai(path = "/auth/setup", method = "post", operation_id = "setUp")]
    async fn setup(
        &self,
        state: Data<&Arc<AppState>>,
        req: &Request,
        body: Json<Setup>,
    ) -> Result<SessionResponse, ApiError> {
        let Setup {
            email,
            password,
            name,
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
        let session = open_session(&state, req, &user_id).await?;
        Ok(SessionResponse::SetUp(Json(session)))
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
            Some(id) => {
                sqlx::query_scalar!(
                    "select password_hash from user_credentials where user_id = $1",
                    id
                )
                .fetch_optional(&state.pool)
                .await?
            }
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
        let session = open_session(&state, req, &user_id).await?;
        Ok(SessionResponse::SignedIn(Json(session)))
    }

    /// End the current session (its token stops working at once).
    #[oai(path = "/auth/sign-out", method = "post", operation_id = "signOut")]
    async fn sign_out(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
    ) -> Result<Done, ApiError> {
        if let Via::Session(session_id) = caller.via {
            sessions::revoke(&state.pool, &state.access, session_id).await?;
        }
        Ok(Done::NoContent)
    }

    /// The caller: profile, and effective permissions install-wide and on each account.
    #[oai(path = "/auth/me", method = "get", operation_id = "me")]
    async fn me(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
    ) -> Result<Json<Me>, ApiError> {
        let accounts: Vec<String> =
            sqlx::query_scalar!("select account_id from inbox_accounts order by account_id")
                .fetch_all(&state.pool)
                .await?;
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
            user: rbac
                .users
                .get(&caller.user_id)
                .map(|u| user_view(&caller.user_id, u)),
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
        let stored = sqlx::query_scalar!(
            "select password_hash from user_credentials where user_id = $1",
            caller.user_id
        )
        .fetch_optional(&state.pool)
        .await?;
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

    /// Every permission, and whether it can be granted on one account.
    #[oai(
        path = "/permissions",
        method = "get",
        operation_id = "listPermissions"
    )]
    async fn permissions(&self, ApiAuth(_caller): ApiAuth) -> Json<Vec<PermissionInfo>> {
        Json(
            Permission::ALL
                .into_iter()
                .map(|p| PermissionInfo {
                    name: p.as_str().to_owned(),
                    account_scoped: p.is_account_scoped(),
                })
                .collect(),
        )
    }

    /// The roles and what they hold.
    #[oai(path = "/roles", method = "get", operation_id = "listRoles")]
    async fn roles(&self, ApiAuth(caller): ApiAuth) -> Json<Vec<Role>> {
        let rbac = &caller.snapshot().rbac;
        Json(
            rbac.roles
                .keys()
                .filter_map(|name| role_view(rbac, name))
                .collect(),
        )
    }

    /// Create a role.
    #[oai(path = "/roles", method = "post", operation_id = "createRole")]
    async fn create_role(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        body: Json<NewRole>,
    ) -> Result<RoleCreated, ApiError> {
        let event = IdentityEvent::RoleDefined {
            role: body.0.name.clone(),
            permissions: parse_permissions(&body.0.permissions)?,
            at: now(),
            by: Some(caller.user_id.clone()),
        };
        let rbac = change(&state, &caller, vec![IdentityFact::CreateRole(event)]).await?;
        let role = role_view(&rbac, &body.0.name).ok_or_else(|| gone("role", &body.0.name))?;
        Ok(RoleCreated::Created(Json(role)))
    }

    /// Replace what a role holds.
    #[oai(path = "/roles/:name", method = "put", operation_id = "updateRole")]
    async fn update_role(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        name: Path<String>,
        body: Json<RolePermissions>,
    ) -> Result<Json<Role>, ApiError> {
        let event = IdentityEvent::RoleDefined {
            role: name.0.clone(),
            permissions: parse_permissions(&body.0.permissions)?,
            at: now(),
            by: Some(caller.user_id.clone()),
        };
        let rbac = change(&state, &caller, vec![IdentityFact::Change(event)]).await?;
        role_view(&rbac, &name.0)
            .map(Json)
            .ok_or_else(|| gone("role", &name.0))
    }

    /// Delete a role nobody holds.
    #[oai(path = "/roles/:name", method = "delete", operation_id = "deleteRole")]
    async fn delete_role(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        name: Path<String>,
    ) -> Result<Done, ApiError> {
        let event = IdentityEvent::RoleDeleted {
            role: name.0,
            at: now(),
            by: Some(caller.user_id.clone()),
        };
        change(&state, &caller, vec![IdentityFact::Change(event)]).await?;
        Ok(Done::NoContent)
    }

    /// The users, with their roles and overrides.
    #[oai(path = "/users", method = "get", operation_id = "listUsers")]
    async fn users(&self, ApiAuth(caller): ApiAuth) -> Json<Vec<User>> {
        let rbac = &caller.snapshot().rbac;
        let mut users: Vec<User> = rbac
            .users
            .iter()
            .filter(|(_, u)| u.registered)
            .map(|(id, u)| user_view(id, u))
            .collect();
        users.sort_by(|a, b| a.email.cmp(&b.email));
        Json(users)
    }

    /// Create a user, with a password for built-in sign-in and/or the subject of the identity provider.
    #[oai(path = "/users", method = "post", operation_id = "createUser")]
    async fn create_user(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        body: Json<NewUser>,
    ) -> Result<UserCreated, ApiError> {
        let NewUser {
            email,
            name,
            password,
            external_subject,
            roles,
        } = body.0;
        if let Some(password) = &password {
            check_password(password)?;
        }
        let user_id = Uuid::new_v4().to_string();
        let at = now();
        let by = Some(caller.user_id.clone());
        let mut events = vec![IdentityEvent::UserRegistered {
            user_id: user_id.clone(),
            email: email.trim().to_owned(),
            name: clean_name(name),
            external_subject: external_subject.filter(|s| !s.trim().is_empty()),
            at,
            by: by.clone(),
        }];
        events.extend(roles.into_iter().map(|g| IdentityEvent::RoleAssigned {
            user_id: user_id.clone(),
            role: g.role,
            account: g.account,
            at,
            by: by.clone(),
        }));
        if let Some(password) = password {
            store_password(&state, &user_id, password).await?;
        }
        let rbac = match change_all(&state, &caller, events).await {
            Ok(rbac) => rbac,
            Err(e) => {
                forget_password(&state, &user_id).await;
                return Err(e);
            }
        };
        let user = rbac
            .users
            .get(&user_id)
            .map(|u| user_view(&user_id, u))
            .ok_or_else(|| gone("user", &user_id))?;
        Ok(UserCreated::Created(Json(user)))
    }

    /// One user.
    #[oai(path = "/users/:id", method = "get", operation_id = "getUser")]
    async fn user(
        &self,
        ApiAuth(caller): ApiAuth,
        id: Path<String>,
    ) -> Result<Json<User>, ApiError> {
        caller
            .snapshot()
            .rbac
            .users
            .get(&id.0)
            .filter(|u| u.registered)
            .map(|u| Json(user_view(&id.0, u)))
            .ok_or_else(|| ApiError::not_found("user", &id.0))
    }

    /// Enable or disable a user. Disabling ends their sessions and stops their API tokens at once.
    #[oai(
        path = "/users/:id/status",
        method = "put",
        operation_id = "setUserStatus"
    )]
    async fn set_status(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        id: Path<String>,
        body: Json<UserStatus>,
    ) -> Result<Json<User>, ApiError> {
        let event = IdentityEvent::UserStatusSet {
            user_id: id.0.clone(),
            active: body.0.active,
            at: now(),
            by: Some(caller.user_id.clone()),
        };
        let rbac = change(&state, &caller, vec![IdentityFact::Change(event)]).await?;
        if !body.0.active {
            sessions::revoke_all(&state.pool, &state.access, &id.0, None).await?;
        }
        user_in(&rbac, &id.0)
    }

    /// Replace a user's roles (each global, or on one account).
    #[oai(
        path = "/users/:id/roles",
        method = "put",
        operation_id = "setUserRoles"
    )]
    async fn set_roles(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        id: Path<String>,
        body: Json<UserRoles>,
    ) -> Result<Json<User>, ApiError> {
        let current = current_user(&state, &id.0).await?;
        let wanted: BTreeSet<(String, Option<String>)> = body
            .0
            .roles
            .into_iter()
            .map(|g| (g.role, g.account))
            .collect();
        let (at, by) = (now(), Some(caller.user_id.clone()));
        // Additions first, so swapping one admin grant for another never looks like losing the last.
        let mut events: Vec<IdentityEvent> = wanted
            .difference(&current.roles)
            .map(|(role, account)| IdentityEvent::RoleAssigned {
                user_id: id.0.clone(),
                role: role.clone(),
                account: account.clone(),
                at,
                by: by.clone(),
            })
            .collect();
        events.extend(current.roles.difference(&wanted).map(|(role, account)| {
            IdentityEvent::RoleUnassigned {
                user_id: id.0.clone(),
                role: role.clone(),
                account: account.clone(),
                at,
                by: by.clone(),
            }
        }));
        let rbac = change_all(&state, &caller, events).await?;
        user_in(&rbac, &id.0)
    }

    /// Replace a user's overrides (allow or deny one permission, globally or on one account).
    #[oai(
        path = "/users/:id/overrides",
        method = "put",
        operation_id = "setUserOverrides"
    )]
    async fn set_overrides(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        id: Path<String>,
        body: Json<UserOverrides>,
    ) -> Result<Json<User>, ApiError> {
        let current = current_user(&state, &id.0).await?;
        let mut wanted = BTreeMap::new();
        for o in body.0.overrides {
            let permission = parse_permission(&o.permission)?;
            let effect = match o.effect.as_str() {
                "allow" => Effect::Allow,
                "deny" => Effect::Deny,
                other => {
                    return Err(ApiError::bad_request(
                        "invalid_effect",
                        format!("effect must be allow or deny, not {other:?}"),
                    ))
                }
            };
            if wanted.insert((permission, o.account), effect).is_some() {
                return Err(ApiError::bad_request(
                    "duplicate_override",
                    format!("{permission} is given twice for the same account"),
                ));
            }
        }
        let (at, by) = (now(), Some(caller.user_id.clone()));
        let mut events: Vec<IdentityEvent> = wanted
            .iter()
            .filter(|(key, effect)| current.overrides.get(key) != Some(effect))
            .map(
                |((permission, account), effect)| IdentityEvent::OverrideSet {
                    user_id: id.0.clone(),
                    permission: *permission,
                    account: account.clone(),
                    effect: *effect,
                    at,
                    by: by.clone(),
                },
            )
            .collect();
        events.extend(
            current
                .overrides
                .keys()
                .filter(|key| !wanted.contains_key(*key))
                .map(|(permission, account)| IdentityEvent::OverrideCleared {
                    user_id: id.0.clone(),
                    permission: *permission,
                    account: account.clone(),
                    at,
                    by: by.clone(),
                }),
        );
        let rbac = change_all(&state, &caller, events).await?;
        user_in(&rbac, &id.0)
    }

    /// The caller's API tokens (everyone's, for those who may manage users).
    #[oai(path = "/api-tokens", method = "get", operation_id = "listApiTokens")]
    async fn api_tokens(&self, ApiAuth(caller): ApiAuth) -> Json<Vec<ApiToken>> {
        let everyone = caller.may(Permission::UsersManage, None);
        Json(
            caller
                .snapshot()
                .rbac
                .tokens
                .iter()
                .filter(|(_, t)| everyone || t.user_id == caller.user_id)
                .map(|(id, t)| token_view(id, t))
                .collect(),
        )
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

/// Counts a sign-in attempt by outcome (`inbox_sign_ins_total`).
fn signed_in(outcome: &'static str) {
    metrics::counter!("inbox_sign_ins_total", "outcome" => outcome).increment(1);
}

/// Stored times have microsecond precision; keep the event's time exactly as it will read back.
fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

fn clean_name(name: Option<String>) -> Option<String> {
    name.map(|n| n.trim().chars().take(200).collect::<String>())
        .filter(|n| !n.is_empty())
}

fn check_password(password: &str) -> Result<(), ApiError> {
    match passwords::weakness(password) {
        Some(reason) => Err(ApiError::unprocessable("weak_password", reason)),
        None => Ok(()),
    }
}

async fn store_password(state: &AppState, user_id: &str, password: String) -> Result<(), ApiError> {
    let hash = passwords::hash(password).await?;
    sqlx::query!(
        "insert into user_credentials (user_id, password_hash) values ($1, $2)
         on conflict (user_id) do update set password_hash = excluded.password_hash, updated_at = now()",
        user_id,
        hash
    )
    .execute(&state.pool)
    .await?;
    Ok(())
}

/// Removes the password of a registration that was refused (best effort: without a user it is inert).
async fn forget_password(state: &AppState, user_id: &str) {
    let _ = sqlx::query!("delete from user_credentials where user_id = $1", user_id)
        .execute(&state.pool)
        .await;
}

/// The client's address: the connection's peer, or what a trusted proxy says in `X-Forwarded-For`. A
/// header line that is not text counts as an entry that is not an address (it ends the walk), so that
/// whatever a client wrote left of it cannot be taken for a hop.
fn client_address(state: &AppState, req: &Request) -> Option<std::net::IpAddr> {
    let forwarded_for = req
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .map(|v| v.to_str().unwrap_or("not text"));
    state.settings.trusted_proxies.client_address(
        req.remote_addr().as_socket_addr().map(|a| a.ip()),
        forwarded_for,
    )
}

async fn open_session(
    state: &AppState,
    req: &Request,
    user_id: &str,
) -> Result<SessionCreated, ApiError> {
    let session = sessions::create(
        &state.pool,
        user_id,
        state.settings.session_ttl,
        req.header("user-agent"),
        client_address(state, req).map(|a| a.to_string()).as_deref(),
    )
    .await?;
    let access = state.access.current();
    let user = access
        .rbac
        .users
        .get(user_id)
        .map(|u| user_view(user_id, u))
        .ok_or_else(|| gone("user", user_id))?;
    Ok(SessionCreated {
        token: session.token,
        expires_at: session.expires_at,
        user,
    })
}

/// Records facts on the identity stream and waits until this node's snapshot holds them; the answer is
/// the aggregate's state afterwards.
async fn change(
    state: &AppState,
    caller: &Caller,
    facts: Vec<IdentityFact>,
) -> Result<Rbac, ApiError> {
    let metadata = EventMetadata::user(&caller.user_id, Uuid::new_v4());
    record(state, facts, metadata).await
}

/// Several changes, checked in order and recorded together (or not at all).
async fn change_all(
    state: &AppState,
    caller: &Caller,
    events: Vec<IdentityEvent>,
) -> Result<Rbac, ApiError> {
    change(state, caller, vec![IdentityFact::All(events)]).await
}

async fn record(
    state: &AppState,
    facts: Vec<IdentityFact>,
    metadata: EventMetadata,
) -> Result<Rbac, ApiError> {
    let outcome = state.identity.record(stream(), facts, metadata).await?;
    if let Some(position) = outcome.last_position {
        if !state.access.wait_for(position, SNAPSHOT_WAIT).await {
            tracing::warn!(
                position,
                "the RBAC snapshot has not caught up with a change yet"
            );
        }
    }
    let (identity, _) = state.identity.inspect(stream()).await?;
    Ok(identity.access().clone())
}

async fn current_user(state: &AppState, user_id: &str) -> Result<UserAccess, ApiError> {
    let (identity, _) = state.identity.inspect(stream()).await?;
    identity
        .access()
        .users
        .get(user_id)
        .filter(|u| u.registered)
        .cloned()
        .ok_or_else(|| ApiError::not_found("user", user_id))
}

fn gone(what: &str, id: &str) -> ApiError {
    ApiError::unavailable(format!("{what} {id} missing right after it was recorded"))
}

fn parse_permission(name: &str) -> Result<Permission, ApiError> {
    Permission::parse(name).ok_or_else(|| {
        ApiError::bad_request(
            "unknown_permission",
            format!("{name:?} is not a permission; GET /api/v1/permissions lists them"),
        )
    })
}

fn parse_permissions(names: &[String]) -> Result<BTreeSet<Permission>, ApiError> {
    names.iter().map(|n| parse_permission(n)).collect()
}

fn user_in(rbac: &Rbac, user_id: &str) -> Result<Json<User>, ApiError> {
    rbac.users
        .get(user_id)
        .map(|u| Json(user_view(user_id, u)))
        .ok_or_else(|| ApiError::not_found("user", user_id))
}

fn user_view(id: &str, u: &UserAccess) -> User {
    User {
        id: id.to_owned(),
        email: u.email.clone(),
        name: u.name.clone(),
        active: u.active,
        external_subject: u.external_subject.clone(),
        created_at: u.created_at,
        roles: u
            .roles
            .iter()
            .map(|(role, account)| Grant {
                role: role.clone(),
                account: account.clone(),
            })
            .collect(),
        overrides: u
            .overrides
            .iter()
            .map(|((permission, account), effect)| Override {
                permission: permission.as_str().to_owned(),
                account: account.clone(),
                effect: match effect {
                    Effect::Allow => "allow",
                    Effect::Deny => "deny",
                }
                .to_owned(),
            })
            .collect(),
    }
}

fn role_view(rbac: &Rbac, name: &str) -> Option<Role> {
    let permissions = rbac.roles.get(name)?;
    Some(Role {
        name: name.to_owned(),
        permissions: permissions.iter().map(|p| p.as_str().to_owned()).collect(),
        users: rbac
            .users
            .values()
            .filter(|u| u.registered && u.roles.iter().any(|(r, _)| r == name))
            .count() as u32,
    })
}

fn token_view(id: &str, t: &actors::identity::access::ApiTokenAccess) -> ApiToken {
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
