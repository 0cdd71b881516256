//! The inbox API (`/api/v1`), described by OpenAPI at `/openapi.json` with Swagger UI at `/docs`.
//!
//! Every handler authenticates with [`auth::ApiAuth`] and states the permission it needs in its first
//! line; every error has the shape of [`error::ErrorBody`].

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod bot;
pub mod contacts;
pub mod contract;
pub mod conversations;
pub mod cursor;
pub mod error;
pub mod identity;
pub mod limits;
pub mod listings;
pub mod live;
pub mod media;
pub mod messages;
pub mod models;
pub mod permissions;
pub mod reports;
pub mod roles;
pub mod search;
pub mod session;
pub mod teamwork;
pub mod tokens;
pub mod users;
pub mod whatsapp;
pub mod workspace;

use poem_openapi::{OpenApiService, Tags};

#[derive(Tags)]
pub enum Tag {
    /// The WhatsApp business numbers.
    Accounts,
    /// Conversations, their messages, and commands on them.
    Conversations,
    /// Customers across all accounts.
    Contacts,
    /// Immutable history and point-in-time replay.
    Audit,
    /// Live updates.
    Live,
    /// Watch listings read in messages, their statistics and matches.
    Listings,
    /// Files of media messages.
    Media,
    /// Everything ever said: by words, by meaning, or both.
    Search,
    /// The bot: its settings per number, its prompt, trying it, and its turns in each conversation.
    Bot,
    /// Sign-in, users, roles, permissions and API tokens.
    Identity,
    /// Managing a WhatsApp number through Meta: profile, templates, registration, webhook subscription,
    /// token.
    WhatsApp,
    /// Team work across the install: teams, labels, canned replies, and agents' availability.
    Workspace,
    /// Volumes, response and resolution times, per agent, per number, per label; as JSON or CSV.
    Reports,
}

/// Every API, held to [`contract::Contract`]'s promises.
pub type Apis = contract::Contract<(
    session::SessionApi,
    roles::RolesApi,
    users::UsersApi,
    tokens::TokensApi,
    (conversations::ConversationsApi, teamwork::TeamworkApi),
    messages::MessagesApi,
    limits::LimitsApi,
    media::MediaApi,
    whatsapp::WhatsAppApi,
    accounts::AccountsApi,
    contacts::ContactsApi,
    listings::ListingsApi,
    (
        search::SearchApi,
        bot::BotApi,
        workspace::WorkspaceApi,
        reports::ReportsApi,
    ),
    audit::AuditApi,
    live::LiveApi,
)>;

pub fn service() -> OpenApiService<Apis, ()> {
    OpenApiService::new(
        contract::Contract((
            session::SessionApi,
            roles::RolesApi,
            users::UsersApi,
            tokens::TokensApi,
            (conversations::ConversationsApi, teamwork::TeamworkApi),
            messages::MessagesApi,
            limits::LimitsApi,
            media::MediaApi,
            whatsapp::WhatsAppApi,
            accounts::AccountsApi,
    contacts::ContactsApi,
            listings::ListingsApi,
            (search::SearchApi, bot::BotApi, workspace::WorkspaceApi, reports::ReportsApi),
            audit::AuditApi,
            live::LiveApi,
        )),
        "WhatsApp shared inbox",
        env!("CARGO_PKG_VERSION"),
    )
    .description(
        "Conversations, messages, contacts and accounts of a self-hosted WhatsApp Business inbox. \
         Authenticate with `Authorization: Bearer <token>`: a session token from `POST /api/v1/auth/sign-in`, \
         an API token, a token of the configured identity provider, or the operator's `INBOX_API_TOKEN`.",
    )
}

#[cfg(test)]
mod tests {
    /// The browser app's client is generated from `web/openapi.json`: a route changed here without
    /// regenerating it would break the app in users' hands instead of at its build.
    #[test]
    fn the_web_apps_copy_of_the_openapi_document_is_the_servers() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/web/openapi.json");
        let committed = std::fs::read_to_string(path).expect("web/openapi.json is committed");
        let committed: serde_json::Value = serde_json::from_str(&committed).unwrap();
        let served: serde_json::Value = serde_json::from_str(&super::service().spec()).unwrap();
        assert!(
            committed == served,
            "web/openapi.json differs from the server's document: run \
             `cargo run --bin inbox -- openapi > web/openapi.json`, then rebuild the web app"
        );
    }
}
