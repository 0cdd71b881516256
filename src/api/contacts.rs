//! Contacts: the customers who wrote to the accounts the caller may see.

use super::auth::{ApiAuth, Permission};
use super::conversations::search_text;
use super::cursor::{self, Cursor};
use super::error::ApiError;
use super::models::{ContactDetail, ContactPage, ContactWithConversations, Conversation};
use super::Tag;
use crate::http::AppState;
use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::OpenApi;
use projections::contacts::queries::{self, ContactFilter};
use projections::inbox::queries::contact_conversations;
use std::sync::Arc;

/// How many of a contact's conversations their page shows (the most recent).
const CONVERSATIONS_SHOWN: i64 = 100;

/// The routes under `/contacts`.
pub struct ContactsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Contacts")]
impl ContactsApi {
    /// Customers who wrote to an account the caller may see, by name.
    #[oai(path = "/contacts", method = "get", operation_id = "listContacts")]
    async fn contacts(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        /// Text to find in the name, username or number.
        q: Query<Option<String>>,
        /// 1 to 200 (default 50).
        limit: Query<Option<u32>>,
        cursor: Query<Option<String>>,
    ) -> Result<Json<ContactPage>, ApiError> {
        let limit = cursor::limit(limit.0, 50, 200)?;
        let after = cursor.0.as_deref().map(Cursor::decode).transpose()?;
        let text = search_text(q.0.as_deref())?;
        // The cursor's time part is unused here: contacts page by (name, id).
        let after = match &after {
            Some(c) => match c.key.split_once('\u{1f}') {
                Some((name, id)) => Some((name.to_owned(), id.to_owned())),
                None => return Err(cursor::invalid()),
            },
            None => None,
        };
        let filter = ContactFilter {
            text: text.map(str::to_owned),
            after,
        };
        let page = queries::list_contacts(&state.pool, &filter, &caller.accounts(), limit).await?;
        let contacts = page.rows;
        let next_cursor = page.more.then(|| contacts.last()).flatten().map(|c| {
            let key = format!(
                "{}\u{1f}{}",
                c.name.clone().unwrap_or_default(),
                c.contact_id
            );
            Cursor::new(DateTime::<Utc>::UNIX_EPOCH, key).encode()
        });
        Ok(Json(ContactPage {
            contacts: contacts.into_iter().map(ContactDetail::from).collect(),
            next_cursor,
        }))
    }

    /// One customer, with their conversations on every account.
    #[oai(path = "/contacts/:id", method = "get", operation_id = "getContact")]
    async fn contact(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        id: Path<String>,
    ) -> Result<Json<ContactWithConversations>, ApiError> {
        let contact = queries::contact(&state.pool, &id.0, &caller.accounts())
            .await?
            .ok_or_else(|| ApiError::not_found("contact", &id.0))?;
        // Their conversations on the accounts where the caller may see conversations.
        let conversations = contact_conversations(
            &state.pool,
            &id.0,
            &caller.accounts_for(Permission::ConversationsView),
            CONVERSATIONS_SHOWN,
        )
        .await?;
        let now = Utc::now();
        Ok(Json(ContactWithConversations {
            contact: contact.into(),
            conversations: conversations
                .into_iter()
                .map(|c| Conversation::from_row(c, now))
                .collect(),
        }))
    }
}
