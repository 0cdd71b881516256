-- Team work on the inbox view: each conversation's status, assignee, team and labels (issue 19), folded
-- from the conversation's `conversation.status_changed`, `conversation.assigned` and
-- `conversation.label_set` events. Private notes are rows of `inbox_messages` with direction `note`.

alter table inbox_conversations
    add column status         text not null default 'open',
    -- When the status last changed (for "resolved today" and the snooze worker's order).
    add column status_at      timestamptz,
    -- Snoozed until then; null for a snooze until the customer writes, and for every other status.
    add column snoozed_until  timestamptz,
    -- The agent (a user id) and the team (a team id) the conversation is assigned to.
    add column assignee       text,
    add column team_id        text,
    add column assigned_at    timestamptz,
    -- Whether the current assignment was made by round robin (what the next turn is decided from).
    add column auto_assigned  boolean not null default false,
    -- Label ids, sorted.
    add column labels         text[] not null default '{}';

alter table inbox_conversations
    add constraint inbox_conversations_status_check
        check (status in ('open', 'pending', 'snoozed', 'resolved'));

create index inbox_conversations_status_idx
    on inbox_conversations (status, sort_at desc, conversation_id desc);
create index inbox_conversations_assignee_idx
    on inbox_conversations (assignee, sort_at desc, conversation_id desc) where assignee is not null;
create index inbox_conversations_team_idx
    on inbox_conversations (team_id, sort_at desc, conversation_id desc) where team_id is not null;
create index inbox_conversations_labels_idx on inbox_conversations using gin (labels);
-- The snooze worker's question: whose snooze has ended?
create index inbox_conversations_snoozed_idx
    on inbox_conversations (snoozed_until) where status = 'snoozed' and snoozed_until is not null;

-- The team's private notes are searchable (direction `note`).
alter table search_documents drop constraint search_documents_direction_check;
alter table search_documents
    add constraint search_documents_direction_check check (direction in ('inbound', 'outbound', 'note'));
