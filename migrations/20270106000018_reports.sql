-- The reports projection (issue 19): what the reports count, folded from the conversation streams and
-- the numbers' `teamwork.configured` events. Every figure is either carried on an event (a wait, how long
-- a conversation stayed open) or counted from events; the business-hours variants are worked out with the
-- hours in force when the event was recorded (the last `teamwork.configured` before it in the log), so a
-- rebuild gives the same figures.

-- Each number's business hours as last saved: what the fold counts business time with.
create table report_hours (
    account_id  text primary key,
    -- `BusinessHours` (actors/src/teamwork/hours.rs) as saved.
    hours       jsonb not null,
    position    bigint not null
);

-- What the fold remembers of each conversation: its labels (every report filters by label), and what
-- happened in its current open period, to tell whether the bot closed it without a person.
create table report_conversations (
    conversation_id text primary key,
    account_id      text not null,
    -- Label ids, sorted.
    labels          text[] not null default '{}',
    resolved        boolean not null default false,
    -- In the current open period: the bot answered, a person wrote (the inbox or the WhatsApp Business
    -- app), the bot handed over.
    bot_replied     boolean not null default false,
    person_wrote    boolean not null default false,
    escalated       boolean not null default false,
    -- The bot's messages whose `message.queued` is still to come (recorded right after the bot's event).
    bot_messages    uuid[] not null default '{}',
    position        bigint not null
);

create index report_conversations_labels_idx on report_conversations using gin (labels);

-- One row per `conversation.responded`: a waiting customer answered.
create table report_responses (
    conversation_id      text not null,
    -- The answering message.
    message_id           text not null,
    account_id           text not null,
    at                   timestamptz not null,
    waited_secs          bigint not null,
    -- The wait counted in the number's business hours; null when the number had no business hours
    -- enabled at the time (always open: the same as `waited_secs`).
    waited_business_secs bigint,
    -- The first answer since the conversation (re)opened.
    first                boolean not null,
    -- `agent`, `bot` or `app`.
    responder            text not null,
    -- The user who answered (for `agent`).
    agent                text,
    primary key (conversation_id, message_id)
);

create index report_responses_at_idx on report_responses (at);

-- One row per resolving `conversation.status_changed`.
create table report_resolutions (
    conversation_id    text not null,
    command_id         uuid not null,
    account_id         text not null,
    resolved_at        timestamptz not null,
    -- How long it was open since it (re)opened; null when the aggregate did not know.
    open_secs          bigint,
    -- The same in business hours; null as for `report_responses.waited_business_secs`.
    open_business_secs bigint,
    resolved_by        text,
    -- The open period had bot answers, and no person's message and no hand-over.
    by_bot_alone       boolean not null,
    primary key (conversation_id, command_id)
);

create index report_resolutions_at_idx on report_resolutions (resolved_at);

-- Messages per conversation and UTC hour, by direction and by who wrote them.
create table report_volume (
    conversation_id text not null,
    -- The start of the UTC hour.
    hour            timestamptz not null,
    -- `inbound` or `outbound`.
    direction       text not null,
    -- `customer`, `agent`, `bot`, `app` (the WhatsApp Business app) or `inbox` (the inbox's own
    -- messages: away messages, hand-over phrases).
    who             text not null,
    -- The user who wrote (for `agent`); '' otherwise (a key column cannot be null).
    agent           text not null,
    account_id      text not null,
    messages        bigint not null,
    primary key (conversation_id, hour, direction, who, agent)
);

create index report_volume_hour_idx on report_volume (hour);

-- The bot's turns and their outcome: `replied` or `escalated`.
create table report_bot_turns (
    conversation_id text not null,
    turn_id         uuid not null,
    account_id      text not null,
    at              timestamptz not null,
    outcome         text not null,
    primary key (conversation_id, turn_id)
);

create index report_bot_turns_at_idx on report_bot_turns (at);
