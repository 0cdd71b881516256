//! The roles and what they hold, and the catalogue of permissions they are made of.

use super::auth::{ApiAuth, Permission};
use super::error::ApiError;
use super::identity::{change, gone, now, Done};
use super::Tag;
use crate::http::AppState;
use actors::identity::{IdentityEvent, IdentityFact, Rbac};
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use projections::rbac::queries;
use std::collections::BTreeSet;
use std::sync::Arc;

pub struct RolesApi;

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

#[derive(ApiResponse)]
pub enum RoleCreated {
    #[oai(status = 201)]
    Created(Json<Role>),
}

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Identity")]
impl RolesApi {
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
}

pub(super) fn parse_permission(name: &str) -> Result<Permission, ApiError> {
    Permission::parse(name).ok_or_else(|| {
        ApiError::bad_request(
            "unknown_permission",
            format!("{name:?} is not a permission; GET /api/v1/permissions lists them"),
        )
    })
}

pub(super) fn parse_permissions(names: &[String]) -> Result<BTreeSet<Permission>, ApiError> {
    names.iter().map(|n| parse_permission(n)).collect()
}

fn role_view(rbac: &Rbac, name: &str) -> Option<Role> {
    let permissions = rbac.roles.get(name)?;
    Some(Role {
        name: name.to_owned(),
        permissions: permissions.iter().map(|p| p.as_str().to_owned()).collect(),
        users: queries::role_holders(rbac, name) as u32,
    })
}
