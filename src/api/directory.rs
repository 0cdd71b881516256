//! Accounts (the business numbers) and contacts (the customers).

use super::auth::{ApiAuth, Permission, SqlScope};
use super::conversations::{escape_like, search_text};
use super::cursor::{self, Cursor};
use super::error::ApiError;
use super::models::{Account, ContactDetail, ContactPage, ContactWithConversations, Conversation};
use super::Tag;
use crate::http::AppState;
use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::OpenApi;
use projections::accounts::{AccountRow, NumberQualityRow};
use projections::contacts::ContactRow;
use projections::inbox::view::ConversationRow;
use sqlx::types::Json as SqlJson;
use std::sync::Arc;

pub struct DirectoryApi;

#[OpenApi(prefix_path = "/api/v1")]
impl DirectoryApi {
    /// The WhatsApp business numbers, with the quality and messaging limit Meta last reported.
    #[oai(
        path = "/accounts",
        method = "get",
        operation_id = "listAccounts",
        tag = "Tag::Accounts"
    )]
    async fn accounts(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
    ) -> Result<Json<Vec<Account>>, ApiError> {
        let scope = caller.accounts();
        let rows = sqlx::query!(
            r#"select to_jsonb(a) as "account!: SqlJson<AccountRow>",
                      to_jsonb(q) as "quality: SqlJson<NumberQualityRow>"
               from inbox_accounts a
               left join inbox_number_quality q
                 on q.phone_digits = regexp_replace(coalesce(a.phone_number, ''), '\D', '', 'g')
               where (($1::bool and a.account_id <> all($2::text[])) or (not $1::bool and a.account_id = any($2::text[])))
               order by a.account_id"#,
            scope.all,
            &scope.accounts,
        )
        .fetch_all(&state.pool)
        .await?;
        Ok(Json(
            rows.into_iter()
                .map(|r| Account::from_rows(r.account.0, r.quality.map(|q| q.0)))
                .collect(),
        ))
    }

    /// One business number.
    #[oai(
        path = "/accounts/:id",
        method = "get",
        operation_id = "getAccount",
        tag = "Tag::Accounts"
    )]
    async fn account(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        id: Path<String>,
    ) -> Result<Json<Account>, ApiError> {
        let scope = caller.accounts();
        let row = sqlx::query!(
            r#"select to_jsonb(a) as "account!: SqlJson<AccountRow>",
                      to_jsonb(q) as "quality: SqlJson<NumberQualityRow>"
               from inbox_accounts a
               left join inbox_number_quality q
                 on q.phone_digits = regexp_replace(coalesce(a.phone_number, ''), '\D', '', 'g')
               where a.account_id = $1 and (($2::bool and a.account_id <> all($3::text[])) or (not $2::bool and a.account_id = any($3::text[])))"#,
            id.0,
            scope.all,
            &scope.accounts,
        )
        .fetch_optional(&state.pool)
        .await?
        .ok_or_else(|| ApiError::not_found("account", &id.0))?;
        Ok(Json(Account::from_rows(
            row.account.0,
            row.quality.map(|q| q.0),
        )))
    }

    /// Customers who wrote to an account the caller may see, by name.
    #[oai(
        path = "/contacts",
        method = "get",
        operation_id = "listContacts",
        tag = "Tag::Contacts"
    )]
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
        let scope = caller.accounts();
        let limit = cursor::limit(limit.0, 50, 200)?;
        let after = cursor.0.as_deref().map(Cursor::decode).transpose()?;
        let text = search_text(q.0.as_deref())?;
        let pattern = text.map(|t| format!("%{}%", escape_like(t)));
        // The cursor's time part is unused here: contacts page by (name, id).
        let (after_name, after_id) = match &after {
            Some(c) => match c.key.split_once('\u{1f}') {
                Some((name, id)) => (Some(name.to_owned()), Some(id.to_owned())),
                None => {
                    return Err(ApiError::bad_request(
                        "invalid_cursor",
                        "the cursor is not one this API gave out",
                    ))
                }
            },
            None => (None, None),
        };
        let rows = sqlx::query_scalar!(
            r#"select to_jsonb(c) as "row!: SqlJson<ContactRow>" from inbox_contacts c
               where ($1::text is null or name ilike $1 or username ilike $1 or contact_id ilike $1
                      or wa_id ilike $1)
                 and ($2::text is null or (coalesce(name, ''), contact_id) > ($2, $3))
                 and exists (select 1 from inbox_conversations v
                             where v.contact_id = c.contact_id and (($5::bool and v.account_id <> all($6::text[])) or (not $5::bool and v.account_id = any($6::text[]))))
               order by coalesce(name, ''), contact_id
               limit $4"#,
            pattern,
            after_name,
            after_id,
            limit + 1,
            scope.all,
            &scope.accounts,
        )
        .fetch_all(&state.pool)
        .await?;
        let mut contacts: Vec<ContactRow> = rows.into_iter().map(|r| r.0).collect();
        let more = contacts.len() as i64 > limit;
        contacts.truncate(limit as usize);
        let next_cursor = more.then(|| contacts.last()).flatten().map(|c| {
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
    #[oai(
        path = "/contacts/:id",
        method = "get",
        operation_id = "getContact",
        tag = "Tag::Contacts"
    )]
    async fn contact(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        id: Path<String>,
    ) -> Result<Json<ContactWithConversations>, ApiError> {
        let scope = caller.accounts();
        let conversations_scope: SqlScope =
            caller.accounts_for(Permission::ConversationsView).into();
        let contact = sqlx::query_scalar!(
            r#"select to_jsonb(c) as "row!: SqlJson<ContactRow>" from inbox_contacts c
               where contact_id = $1
                 and exists (select 1 from inbox_conversations v
                             where v.contact_id = c.contact_id and (($2::bool and v.account_id <> all($3::text[])) or (not $2::bool and v.account_id = any($3::text[]))))"#,
            id.0,
            scope.all,
            &scope.accounts,
        )
        .fetch_optional(&state.pool)
        .await?
        .ok_or_else(|| ApiError::not_found("contact", &id.0))?;
        let conversations = sqlx::query_scalar!(
            r#"select to_jsonb(c) as "row!: SqlJson<ConversationRow>" from inbox_conversations c
               where contact_id = $1 and (($2::bool and account_id <> all($3::text[])) or (not $2::bool and account_id = any($3::text[])))
               order by sort_at desc, conversation_id desc limit 100"#,
            id.0,
            conversations_scope.all,
            &conversations_scope.accounts,
        )
        .fetch_all(&state.pool)
        .await?;
        let now = Utc::now();
        Ok(Json(ContactWithConversations {
            contact: contact.0.into(),
            conversations: conversations
                .into_iter()
                .map(|c| Conversation::from_row(c.0, now))
                .collect(),
        }))
    }
}
