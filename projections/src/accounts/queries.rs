//! Every read the API and the account registry make of `inbox_accounts` and `inbox_number_quality`.

use super::{digits, AccountRow, NumberQualityRow};
use crate::scope::{AccountScope, Binds};
use actors::account::sealed::Sealed;
use actors::teamwork::TeamworkSettings;
use sqlx::types::Json;
use sqlx::{PgExecutor, PgPool};
use std::collections::HashMap;

/// A number, with Meta's latest quality report for it when there is one.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountWithQuality {
    /// The number.
    pub account: AccountRow,
    /// Meta's latest report about it, if Meta sent one.
    pub quality: Option<NumberQualityRow>,
}

/// The numbers in `scope`, by id.
pub async fn list_accounts(
    pool: &PgPool,
    scope: &AccountScope,
) -> sqlx::Result<Vec<AccountWithQuality>> {
    let scope = Binds::from(scope);
    let accounts = sqlx::query_as!(
        AccountRow,
        r#"select account_id, phone_number, meta_app_id, configured, first_seen_at, updated_at, position,
                  name, business_account_id,
                  access_token as "access_token: Json<Sealed>",
                  verify_token as "verify_token: Json<Sealed>",
                  app_secret as "app_secret: Json<Sealed>",
                  teamwork as "teamwork: Json<TeamworkSettings>"
           from inbox_accounts
           where account_in_scope(account_id, $1, $2)
           order by account_id"#,
        scope.all_but,
        &scope.accounts,
    )
    .fetch_all(pool)
    .await?;
    with_quality(pool, accounts).await
}

/// One number, if it is in `scope`.
pub async fn account(
    pool: &PgPool,
    id: &str,
    scope: &AccountScope,
) -> sqlx::Result<Option<AccountWithQuality>> {
    let scope = Binds::from(scope);
    let account = sqlx::query_as!(
        AccountRow,
        r#"select account_id, phone_number, meta_app_id, configured, first_seen_at, updated_at, position,
                  name, business_account_id,
                  access_token as "access_token: Json<Sealed>",
                  verify_token as "verify_token: Json<Sealed>",
                  app_secret as "app_secret: Json<Sealed>",
                  teamwork as "teamwork: Json<TeamworkSettings>"
           from inbox_accounts
           where account_id = $1 and account_in_scope(account_id, $2, $3)"#,
        id,
        scope.all_but,
        &scope.accounts,
    )
    .fetch_optional(pool)
    .await?;
    Ok(with_quality(pool, account.into_iter().collect())
        .await?
        .pop())
}

/// Pairs each number with its quality report, found by the number's digits as the fold keys reports
/// (Meta names a number in them only by its display form).
async fn with_quality(
    pool: &PgPool,
    accounts: Vec<AccountRow>,
) -> sqlx::Result<Vec<AccountWithQuality>> {
    let number = |a: &AccountRow| digits(a.phone_number.as_deref().unwrap_or_default());
    let wanted: Vec<String> = accounts.iter().map(number).collect();
    let reports: HashMap<String, NumberQualityRow> = sqlx::query_as!(
        NumberQualityRow,
        r#"select phone_digits, waba_id, display_name, quality_event, messaging_limit, reported_at,
                  position
           from inbox_number_quality where phone_digits = any($1)"#,
        &wanted,
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|q| (q.phone_digits.clone(), q))
    .collect();
    Ok(accounts
        .into_iter()
        .map(|account| AccountWithQuality {
            // Two numbers with the same digits share one report.
            quality: reports.get(&number(&account)).cloned(),
            account,
        })
        .collect())
}

/// The view position of the newest configuration (0 before any): it moves only when an account's
/// settings change, so the registry reloads only then.
pub async fn newest_configuration(db: impl PgExecutor<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"select coalesce(max(position), 0) as "newest!" from inbox_accounts where configured"#
    )
    .fetch_one(db)
    .await
}

/// Every configured number (not those only seen in webhooks), with its sealed secrets.
pub async fn configured_accounts(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<AccountRow>> {
    sqlx::query_as!(
        AccountRow,
        r#"select account_id, phone_number, meta_app_id, configured, first_seen_at, updated_at, position,
                  name, business_account_id,
                  access_token as "access_token: Json<Sealed>",
                  verify_token as "verify_token: Json<Sealed>",
                  app_secret as "app_secret: Json<Sealed>",
                  teamwork as "teamwork: Json<TeamworkSettings>"
           from inbox_accounts where configured"#
    )
    .fetch_all(db)
    .await
}
