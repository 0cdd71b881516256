-- Read models: views folded from the event log by the projections in `projections/`. Nothing here is a
-- source of truth; `inbox projections rebuild` recreates any of them from the events.

-- How far each projection has applied the global log. Written in the same transaction as the view rows,
-- so a view and its checkpoint never disagree.
create table projection_checkpoints (
    name       text primary key,
    position   bigint not null default 0 check (position >= 0),
    updated_at timestamptz not null default now()
);

-- Every node's live feed (SSE) waits for the inbox projection through this notification, so a client that
-- is told about a change can read it at once, whichever node applied it.
create function projection_checkpoint_notify() returns trigger
language plpgsql as $$
begin
    perform pg_notify('inbox_projections', new.name || ':' || new.position::text);
    return null;
end;
$$;

create trigger projection_checkpoint_notify
    after insert or update on projection_checkpoints
    for each row execute function projection_checkpoint_notify();

-- One row per conversation stream (`conversation-{account_id}-{contact_id}`).
create table inbox_conversations (
    conversation_id        text primary key,
    account_id             text not null,
    contact_id             text not null,
    contact_wa_id          text,
    contact_user_id        text,
    contact_name           text,
    contact_username       text,
    is_group               boolean not null default false,
    last_message_id        text,
    last_message_at        timestamptz,
    last_message_preview   text,
    last_message_kind      text,
    last_message_direction text,
    -- The customer's last message: the 24-hour window for free-form replies runs from here.
    last_inbound_at        timestamptz,
    unread_count           integer not null default 0,
    read_at                timestamptz,
    favourite              boolean not null default false,
    archived               boolean not null default false,
    bot_enabled            boolean not null default true,
    message_count          integer not null default 0,
    created_at             timestamptz not null,
    updated_at             timestamptz not null,
    -- The inbox order: the last message's time, or when the conversation began. With the id as a tie-break
    -- it is the keyset the API pages by.
    sort_at                timestamptz not null,
    -- The global position of the last event applied to this row.
    position               bigint not null
);

create index inbox_conversations_account_order_idx
    on inbox_conversations (account_id, sort_at desc, conversation_id desc);
create index inbox_conversations_order_idx on inbox_conversations (sort_at desc, conversation_id desc);
create index inbox_conversations_contact_idx on inbox_conversations (contact_id);

-- One row per message. A row can exist before its message is known (`present` false) when a status, a
-- reaction or an edit arrived first; the API shows only present rows.
create table inbox_messages (
    conversation_id text not null,
    message_id      text not null,
    present         boolean not null default false,
    direction       text,
    kind            text,
    -- The text, or the media's caption, after edits; null once revoked.
    body            text,
    media           jsonb,
    content         jsonb,
    reply_to        text,
    forwarded       boolean not null default false,
    sender          text,
    sent_at         timestamptz,
    sort_at         timestamptz not null,
    seq             bigint not null,
    status          text,
    -- First time each status was reported: {"sent": "...", "delivered": "...", ...}.
    statuses        jsonb not null default '{}',
    failure         jsonb,
    -- [{"from": "...", "emoji": "...", "at": "..."}], one per person.
    reactions       jsonb not null default '[]',
    edited_at       timestamptz,
    -- Earlier versions of an edited message, oldest first.
    edits           jsonb not null default '[]',
    revoked_at      timestamptz,
    position        bigint not null,
    primary key (conversation_id, message_id)
);

create index inbox_messages_order_idx
    on inbox_messages (conversation_id, sort_at desc, seq desc) where present;

-- Customers across all accounts, keyed by the contact part of their conversations' stream names.
create table inbox_contacts (
    contact_id    text primary key,
    wa_id         text,
    user_id       text,
    name          text,
    username      text,
    first_seen_at timestamptz not null,
    last_seen_at  timestamptz not null,
    position      bigint not null
);

create index inbox_contacts_name_idx on inbox_contacts (name, contact_id);

-- WhatsApp business numbers: configured ones, and any number a conversation was seen on.
create table inbox_accounts (
    account_id    text primary key,
    phone_number  text,
    meta_app_id   text,
    configured    boolean not null default false,
    first_seen_at timestamptz not null,
    updated_at    timestamptz not null,
    position      bigint not null
);

-- What Meta reports about a number (quality, messaging limit, throughput upgrades, approved display name)
-- names it only by its display form, so it is kept by digits and joined to the accounts when read.
create table inbox_number_quality (
    phone_digits    text primary key,
    waba_id         text,
    display_name    text,
    quality_event   text,
    messaging_limit text,
    reported_at     timestamptz,
    position        bigint not null
);
