-- The workspace projection: the install-wide catalogue of team work, folded from the one `workspace`
-- stream. Every save event carries the whole item, so a row is always the last save of its item; a
-- deletion removes the row. Uniqueness (names, shortcuts) is the aggregate's rule, not a constraint here:
-- the view only mirrors what was decided.

create table workspace_teams (
    team_id    uuid primary key,
    name       text not null,
    -- User ids, sorted, without repeats.
    members    text[] not null default '{}',
    -- The phone-number ids the team serves, sorted, without repeats.
    accounts   text[] not null default '{}',
    saved_at   timestamptz not null,
    saved_by   text,
    position   bigint not null
);

-- "Which teams is this agent in?" (the agents list, round robin).
create index workspace_teams_members on workspace_teams using gin (members);

create table workspace_labels (
    label_id   uuid primary key,
    name       text not null,
    -- `#rrggbb`, lower case.
    colour     text not null,
    saved_at   timestamptz not null,
    saved_by   text,
    position   bigint not null
);

create table workspace_replies (
    reply_id   uuid primary key,
    -- What an agent types after `/` in the composer: a-z, 0-9, `_`, `-`.
    shortcut   text not null,
    text       text not null,
    -- The number the reply belongs to; none: every number.
    account    text,
    saved_at   timestamptz not null,
    saved_by   text,
    position   bigint not null
);

create index workspace_replies_shortcut on workspace_replies (shortcut);

-- Whether an agent takes conversations. A user with no row never said: they count as away.
create table agent_availability (
    user_id    text primary key,
    available  boolean not null,
    set_at     timestamptz not null,
    set_by     text,
    position   bigint not null
);
