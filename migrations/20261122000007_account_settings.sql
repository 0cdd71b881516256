-- Several WhatsApp accounts, managed through the API: each number's name, business account, and its
-- access token, verify token and app secret, sealed (AES-256-GCM) under the master key. The view keeps the
-- sealed form only; every node opens them in memory.
alter table inbox_accounts
    add column name                text,
    add column business_account_id text,
    add column access_token        jsonb,
    add column verify_token        jsonb,
    add column app_secret          jsonb;
