//! The identity events: users, roles, role assignments, overrides, user status and API tokens, all on
//! the one `identity` stream. Every change names who made it (`by`; `None` for the system).

use super::{Effect, Permission, Scope};
use crate::event::{DecodeError, DomainEvent, RecordedEvent};
use crate::json::JsonText;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum IdentityEvent {
    UserRegistered {
        user_id: String,
        email: String,
        name: Option<String>,
        /// The subject (`sub`) an external identity provider knows this user by.
        #[serde(default)]
        external_subject: Option<String>,
        at: DateTime<Utc>,
        by: Option<String>,
    },
    UserStatusSet {
        user_id: String,
        active: bool,
        at: DateTime<Utc>,
        by: Option<String>,
    },
    /// The external identity provider's subject a user is known by from now on: recorded the first time
    /// the provider signs the user in by a verified email. Tokens of any other subject carrying that
    /// email are refused afterwards.
    ExternalSubjectLinked {
        user_id: String,
        external_subject: String,
        at: DateTime<Utc>,
        by: Option<String>,
    },
    /// A role created, or its permissions replaced.
    RoleDefined {
        role: String,
        permissions: BTreeSet<Permission>,
        at: DateTime<Utc>,
        by: Option<String>,
    },
    RoleDeleted {
        role: String,
        at: DateTime<Utc>,
        by: Option<String>,
    },
    RoleAssigned {
        user_id: String,
        role: String,
        account: Scope,
        at: DateTime<Utc>,
        by: Option<String>,
    },
    RoleUnassigned {
        user_id: String,
        role: String,
        account: Scope,
        at: DateTime<Utc>,
        by: Option<String>,
    },
    OverrideSet {
        user_id: String,
        permission: Permission,
        account: Scope,
        effect: Effect,
        at: DateTime<Utc>,
        by: Option<String>,
    },
    OverrideCleared {
        user_id: String,
        permission: Permission,
        account: Scope,
        at: DateTime<Utc>,
        by: Option<String>,
    },
    /// An API token for automation. Only the SHA-256 of the secret is recorded; it acts for `user_id`,
    /// never beyond what that user may do, and only with `permissions` on `accounts` (all when `None`).
    ApiTokenIssued {
        token_id: String,
        user_id: String,
        name: String,
        token_hash: String,
        permissions: BTreeSet<Permission>,
        accounts: Option<BTreeSet<String>>,
        expires_at: Option<DateTime<Utc>>,
        at: DateTime<Utc>,
        by: Option<String>,
    },
    ApiTokenRevoked {
        token_id: String,
        at: DateTime<Utc>,
        by: Option<String>,
    },
}

impl IdentityEvent {
    pub fn at(&self) -> DateTime<Utc> {
        match self {
            IdentityEvent::UserRegistered { at, .. }
            | IdentityEvent::UserStatusSet { at, .. }
            | IdentityEvent::ExternalSubjectLinked { at, .. }
            | IdentityEvent::RoleDefined { at, .. }
            | IdentityEvent::RoleDeleted { at, .. }
            | IdentityEvent::RoleAssigned { at, .. }
            | IdentityEvent::RoleUnassigned { at, .. }
            | IdentityEvent::OverrideSet { at, .. }
            | IdentityEvent::OverrideCleared { at, .. }
            | IdentityEvent::ApiTokenIssued { at, .. }
            | IdentityEvent::ApiTokenRevoked { at, .. } => *at,
        }
    }

    /// Who made the change (`None`: the system).
    pub fn by(&self) -> Option<&str> {
        match self {
            IdentityEvent::UserRegistered { by, .. }
            | IdentityEvent::UserStatusSet { by, .. }
            | IdentityEvent::ExternalSubjectLinked { by, .. }
            | IdentityEvent::RoleDefined { by, .. }
            | IdentityEvent::RoleDeleted { by, .. }
            | IdentityEvent::RoleAssigned { by, .. }
            | IdentityEvent::RoleUnassigned { by, .. }
            | IdentityEvent::OverrideSet { by, .. }
            | IdentityEvent::OverrideCleared { by, .. }
            | IdentityEvent::ApiTokenIssued { by, .. }
            | IdentityEvent::ApiTokenRevoked { by, .. } => by.as_deref(),
        }
    }
}

impl DomainEvent for IdentityEvent {
    const SCHEMA_VERSION: u32 = 1;

    fn event_type(&self) -> &'static str {
        match self {
            IdentityEvent::UserRegistered { .. } => "identity.user_registered",
            IdentityEvent::UserStatusSet { .. } => "identity.user_status_set",
            IdentityEvent::ExternalSubjectLinked { .. } => "identity.external_subject_linked",
            IdentityEvent::RoleDefined { .. } => "identity.role_defined",
            IdentityEvent::RoleDeleted { .. } => "identity.role_deleted",
            IdentityEvent::RoleAssigned { .. } => "identity.role_assigned",
            IdentityEvent::RoleUnassigned { .. } => "identity.role_unassigned",
            IdentityEvent::OverrideSet { .. } => "identity.override_set",
            IdentityEvent::OverrideCleared { .. } => "identity.override_cleared",
            IdentityEvent::ApiTokenIssued { .. } => "identity.api_token_issued",
            IdentityEvent::ApiTokenRevoked { .. } => "identity.api_token_revoked",
        }
    }

    /// The whole change, time and author included: two changes are the same event only when they are
    /// the same request.
    fn natural_key(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    fn occurred_at(&self) -> Option<DateTime<Utc>> {
        Some(self.at())
    }

    fn payload(&self) -> JsonText {
        JsonText::of(self)
    }

    fn from_recorded(event: &RecordedEvent) -> Result<Self, DecodeError> {
        if event.schema_version != Self::SCHEMA_VERSION {
            return Err(DecodeError::new(event, "unknown schema version"));
        }
        let decoded: IdentityEvent = crate::json::from_stored_str(event.payload.text())
            .map_err(|e| DecodeError::new(event, e.to_string()))?;
        if decoded.event_type() != event.event_type {
            return Err(DecodeError::new(
                event,
                "payload does not match the event type",
            ));
        }
        Ok(decoded)
    }
}
