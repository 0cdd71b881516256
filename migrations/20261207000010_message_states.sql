-- Each message names its business number, so reads scope messages by account without taking the
-- conversation id apart (it is `{phone_number_id}-{contact}`, and a phone number id holds no dash).
alter table inbox_messages add column account_id text;
update inbox_messages set account_id = split_part(conversation_id, '-', 1);
alter table inbox_messages alter column account_id set not null;

-- The states are closed sets (actors::conversation::status: SendState, MediaState, MessageStatus); a value
-- outside them is refused here as it is refused when read.
alter table inbox_messages
    add constraint inbox_messages_send_state_check
        check (send_state in ('queued', 'sending', 'retrying', 'accepted', 'failed')),
    add constraint inbox_messages_media_state_check
        check (media_state in ('pending', 'stored', 'failed')),
    add constraint inbox_messages_status_check
        check (status in ('queued', 'sending', 'retrying', 'accepted', 'sent', 'delivered', 'read',
                          'played', 'failed'));
