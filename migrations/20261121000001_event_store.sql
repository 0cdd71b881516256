-- The event store: an append-only log of immutable events, one row per event.
--
-- Every event belongs to one stream (`conversation-{phone_number_id}-{contact}`, `account-{phone_number_id}`,
-- ...) at a gap-free version 1, 2, 3, ... and has one position in the global log that projections follow.

-- pgvector: the search index of a later change relies on it being present everywhere.
create extension if not exists vector;

-- One row per stream: its current version. Appends lock the rows of the streams they write
-- (`select ... for update`), which is what makes the expected-version check race-free across nodes.
create table streams (
    stream_id  text primary key check (length(stream_id) between 1 and 512),
    version    bigint not null default 0 check (version >= 0),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

create table events (
    -- The position in the global log. Sequence values are taken only while the append lock below is held,
    -- so they are handed out in commit order. Keep `cache 1`: a cache would hand blocks of values to
    -- sessions and break that order.
    global_position bigint generated always as identity (cache 1) primary key,
    -- Derived from Meta's ids where they exist (a name-based UUID of the wamid and the kind of fact), so a
    -- redelivered webhook appends nothing. Unique across the whole store.
    event_id        uuid not null,
    stream_id       text not null references streams (stream_id),
    stream_version  bigint not null check (stream_version >= 1),
    -- The stable wire name ("message.received") and schema version, separate from any Rust type name.
    event_type      text not null,
    schema_version  integer not null check (schema_version >= 1),
    payload         jsonb not null,
    -- Correlation and causation ids and who caused the event (webhook, user, bot, system).
    metadata        jsonb not null,
    -- The time the fact happened as Meta (or the user) gave it; null when the source gave none.
    occurred_at     timestamptz,
    -- The time it was recorded here (the appending transaction's start).
    recorded_at     timestamptz not null default now(),
    constraint events_event_id_key unique (event_id),
    constraint events_stream_version_key unique (stream_id, stream_version)
);

-- Why readers following the global log never skip an event
-- ---------------------------------------------------------
-- A bare identity column hands out numbers when a row is inserted, not when its transaction commits: T1
-- takes 101, T2 takes 102, T2 commits first, a reader sees 102, moves its checkpoint past 101 and never
-- sees T1's event. We serialise the *numbering* instead: every insert into `events` first takes one
-- transaction-scoped advisory lock, held until commit. PostgreSQL makes a transaction visible before it
-- releases its locks, so when T2 can take numbers, T1 has already committed (or rolled back, leaving a hole
-- that nobody waits for). Positions therefore become visible in increasing order, and a reader may
-- checkpoint at the highest position it has read. The lock is taken by a BEFORE STATEMENT trigger, i.e.
-- before any row of the statement draws its number, so no insert path can forget it.
--
-- The cost is one appending transaction at a time across all nodes; appends are batched (many streams'
-- events in one transaction), and the lock is taken as late as possible (after the stream rows are locked
-- and checked), so it is held only for the insert and the commit.
create function events_take_append_lock() returns trigger
language plpgsql as $$
begin
    -- 7460001: the one lock key of the append path (any constant works; it only has to be the same).
    perform pg_advisory_xact_lock(7460001);
    return null;
end;
$$;

create trigger events_append_lock
    before insert on events
    for each statement execute function events_take_append_lock();

-- Live delivery: one notification per appending statement, carrying the highest new position. NOTIFY is
-- delivered at commit, so a listener that wakes up can read the new rows at once; listeners also poll
-- slowly as a safety net for a lost connection. Payloads are small (positions, never events).
create function events_notify_appended() returns trigger
language plpgsql as $$
declare
    head bigint;
begin
    select max(global_position) into head from appended;
    if head is not null then
        perform pg_notify('inbox_events', head::text);
    end if;
    return null;
end;
$$;

create trigger events_notify
    after insert on events
    referencing new table as appended
    for each statement execute function events_notify_appended();

-- Immutability: stored events are facts and are never edited or removed. Auditors rely on this.
create function events_forbid_change() returns trigger
language plpgsql as $$
begin
    raise exception 'events are immutable: % is not allowed', tg_op
        using errcode = 'restrict_violation';
end;
$$;

create trigger events_immutable
    before update or delete on events
    for each row execute function events_forbid_change();

create trigger events_no_truncate
    before truncate on events
    for each statement execute function events_forbid_change();

-- Reading one stream in order is the actors' rebuild path; the unique constraint's index serves it.
-- Reading by time (audit "as of") uses this one.
create index events_stream_recorded_idx on events (stream_id, recorded_at);
