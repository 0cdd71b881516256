-- Identity: the RBAC snapshot (a read model folded from the `identity` stream), and the two things that
-- are not events: password hashes (kept out of the immutable log so they can be replaced and erased) and
-- sign-in sessions (operational, short-lived).

-- The whole snapshot in one row: a few hundred users at most, read by every node into memory.
create table rbac_snapshot (
    id         smallint primary key check (id = 1),
    snapshot   jsonb not null,
    position   bigint not null,
    updated_at timestamptz not null
);

-- argon2id hashes (PHC strings). A row without a user (a registration whose event was refused) is inert.
create table user_credentials (
    user_id       text primary key,
    password_hash text not null,
    updated_at    timestamptz not null default now()
);

-- Sessions are looked up by the SHA-256 of their secret; the secret itself is never stored.
create table auth_sessions (
    session_id   uuid primary key,
    token_hash   text not null unique,
    user_id      text not null,
    created_at   timestamptz not null default now(),
    expires_at   timestamptz not null,
    revoked_at   timestamptz,
    last_seen_at timestamptz,
    user_agent   text,
    address      text
);
create index auth_sessions_user_idx on auth_sessions (user_id) where revoked_at is null;

-- Who uploaded which file: an upload is visible to its uploader until a message on an account they can
-- see uses it. Files are content-addressed, so two users uploading the same bytes both own the id.
create table media_uploads (
    media_id    text not null,
    user_id     text not null,
    uploaded_at timestamptz not null default now(),
    primary key (media_id, user_id)
);

-- Finding the messages that use a stored file, to decide who may download it.
create index inbox_messages_media_file_idx on inbox_messages ((media_file ->> 'id'))
    where media_file is not null;
create index inbox_messages_media_sent_idx on inbox_messages ((media ->> 'media_id'))
    where media ? 'media_id';
