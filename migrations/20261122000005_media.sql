-- Files of media messages, fetched from Meta (whose links expire) into the inbox's media store.
alter table inbox_messages
    add column media_state text,
    add column media_file  jsonb;

-- What the media fetcher still has to do (found again after a restart).
create index inbox_messages_media_pending_idx on inbox_messages (conversation_id, message_id)
    where media_state = 'pending';
