//! The account scope of a read: which business numbers a caller may see rows of.
//!
//! The rule is written once, in the SQL function `account_in_scope(account, all_but, accounts)`
//! (`migrations/20261206000009_account_scope.sql`); every query that narrows rows to a caller's accounts
//! takes an [`AccountScope`] and calls that function with the two values of [`Binds`]. The same rule in
//! Rust is [`AccountScope::includes`]; a test holds the two together.

pub use actors::identity::AccountScope;

/// The arguments `account_in_scope` takes after the account: `all_but` true means every account except
/// `accounts`, false only `accounts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binds {
    /// Whether `accounts` are the exceptions (rather than the only accounts).
    pub all_but: bool,
    /// The accounts named, excepted or only.
    pub accounts: Vec<String>,
}

impl From<&AccountScope> for Binds {
    fn from(scope: &AccountScope) -> Self {
        match scope {
            AccountScope::All { except } => Binds {
                all_but: true,
                accounts: except.iter().cloned().collect(),
            },
            AccountScope::Only(only) => Binds {
                all_but: false,
                accounts: only.iter().cloned().collect(),
            },
        }
    }
}

/// No account at all: what a caller whose route needs no account permission may list.
pub fn nothing() -> AccountScope {
    AccountScope::Only(Default::default())
}
