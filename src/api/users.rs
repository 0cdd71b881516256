//! The users: who they are, whether they are active, the roles they hold and their per-user overrides.

use super::auth::ApiAuth;
use super::error::ApiError;
use super::identity::{change, change_all, current_user, gone, now};
use super::roles::parse_permission;
use super::session::{check_password, forget_password, store_password};
use super::Tag;
use crate::auth::sessions;
use crate::http::AppState;
use actors::identity::access::UserAccess;
use actors::identity::{Effect, IdentityEvent, IdentityFact, Rbac};
use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use projections::rbac::queries;
use std::collections::BTreeMap;
use std::sync::Arc;
use uuid::Uuid;

pub struct UsersApi;

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

#[derive(ApiResponse)]
pub enum UserCreated {
    #[oai(status = 201)]
    Created(Json<User>),
}

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Identity")]
impl UsersApi {
    /// The users, with their roles and overrides.
    #[oai(path = "/users", method = "get", operation_id = "listUsers")]
    async fn users(&self, ApiAuth(caller): ApiAuth) -> Json<Vec<User>> {
        let users = queries::users(&caller.snapshot().rbac);
        Json(users.into_iter().map(|(id, u)| user_view(id, u)).collect())
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
        let user = queries::user(&rbac, &user_id)
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
        queries::user(&caller.snapshot().rbac, &id.0)
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
        // An unknown user is a 404 before anything is sent. Which grants to add and which to remove is
        // decided by the identity aggregate against what the user holds when it records, so replacements
        // made at once (on this node or another) never end as a union of both.
        current_user(&state, &id.0).await?;
        let fact = IdentityFact::ReplaceRoles {
            user_id: id.0.clone(),
            roles: body
                .0
                .roles
                .into_iter()
                .map(|g| (g.role, g.account))
                .collect(),
            at: now(),
            by: Some(caller.user_id.clone()),
        };
        let rbac = change(&state, &caller, vec![fact]).await?;
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
}

pub(super) fn clean_name(name: Option<String>) -> Option<String> {
    name.map(|n| n.trim().chars().take(200).collect::<String>())
        .filter(|n| !n.is_empty())
}

fn user_in(rbac: &Rbac, user_id: &str) -> Result<Json<User>, ApiError> {
    queries::user(rbac, user_id)
        .map(|u| Json(user_view(user_id, u)))
        .ok_or_else(|| ApiError::not_found("user", user_id))
}

pub(super) fn user_view(id: &str, u: &UserAccess) -> User {
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
