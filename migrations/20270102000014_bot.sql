-- The bot projection: each number's bot settings, each conversation's bot state (what the bot worker
-- looks for: customer messages not answered yet), each turn, and the transcripts of voice notes.

create table bot_settings (
    account_id text primary key,
    -- The number of saves so far: the playbook version a turn names.
    version    bigint not null,
    settings   jsonb not null,
    saved_at   timestamptz not null,
    -- When the bot was last switched on: it answers customer messages recorded after this only, never a
    -- number's whole past.
    enabled_since timestamptz,
    position   bigint not null
);

create table bot_conversations (
    conversation_id        text primary key,
    account_id             text not null,
    -- Switched off by a person, by an agent's reply (the hand-over) or by the bot's own escalation.
    enabled                boolean not null default true,
    -- The customer's latest message the bot could answer, and when it was recorded (the debounce runs
    -- from here).
    latest_message_id      text,
    latest_at              timestamptz,
    -- The latest customer message a finished turn covered.
    answered_through       text,
    claimed_turn           uuid,
    claimed_at             timestamptz,
    replies                integer not null default 0,
    escalations            integer not null default 0,
    last_escalated_at      timestamptz,
    last_escalation_reason text,
    -- Why the bot was last switched off (`agent_replied`, `escalated`), none when a person chose it.
    off_reason             text,
    position               bigint not null
);

-- The worker's question: which conversations have a customer message the bot has not answered?
create index bot_conversations_waiting on bot_conversations (latest_at)
    where enabled and latest_message_id is not null
      and latest_message_id is distinct from answered_through;

create table bot_turns (
    conversation_id    text not null,
    turn_id            uuid not null,
    through            text not null,
    -- `claimed`, `replied` or `escalated`.
    outcome            text not null,
    -- For replies: `answer` or `attachment`; for hand-overs: the reason.
    kind               text,
    message_id         text,
    model              text,
    playbook_version   bigint,
    confidence         double precision,
    reasons            jsonb not null default '[]',
    input_tokens       bigint,
    output_tokens      bigint,
    latency_ms         bigint,
    would_have_replied text,
    error              text,
    escalation_number  text,
    claimed_at         timestamptz not null,
    finished_at        timestamptz,
    position           bigint not null,
    primary key (conversation_id, turn_id)
);

create index bot_turns_by_time on bot_turns (conversation_id, claimed_at);

create table bot_transcripts (
    conversation_id text not null,
    message_id      text not null,
    text            text not null,
    model           text not null,
    transcribed_at  timestamptz not null,
    position        bigint not null,
    primary key (conversation_id, message_id)
);

-- Each number's knowledge base: questions and answers the bot retrieves by similarity into its prompt.
create table bot_qa (
    account_id          text not null,
    qa_id               uuid not null,
    question            text not null,
    answer              text not null,
    source_conversation text,
    saved_at            timestamptz not null,
    position            bigint not null,
    primary key (account_id, qa_id)
);
