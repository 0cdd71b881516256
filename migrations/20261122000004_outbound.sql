-- Messages sent through the inbox: keyed by the inbox's own id from the moment they are queued; Meta's
-- wamid arrives when Meta accepts them, and statuses and reactions name that wamid.
alter table inbox_messages
    add column wamid           text,
    add column send_state      text,
    add column attempts        integer not null default 0,
    add column next_attempt_at timestamptz;

create index inbox_messages_wamid_idx on inbox_messages (conversation_id, wamid) where wamid is not null;

-- What the senders still have to do (found again after a restart).
create index inbox_messages_unsent_idx on inbox_messages (conversation_id, message_id)
    where send_state in ('queued', 'sending', 'retrying');
