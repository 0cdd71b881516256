-- Watch listings read in messages (`watch.detected`): one row per watch of a message, as the latest
-- extractor version read it; a message that offers, seeks, asks or trades without naming a watch has one
-- row with no watch fields, so counts by type see it.
create table listings (
    conversation_id   text not null,
    message_id        text not null,
    idx               integer not null,
    account_id        text not null,
    contact_id        text not null,
    -- `inbound`: the customer wrote it; `outbound`: the business did.
    direction         text not null check (direction in ('inbound', 'outbound')),
    kind              text not null check (kind in ('sale', 'wanted', 'question', 'trade', 'general')),
    language          text,
    confidence        real not null,
    brand             text,
    model             text,
    reference         text,
    price             double precision,
    currency          text,
    currency_implied  boolean not null,
    price_type        text,
    condition         text,
    has_box           boolean,
    papers            boolean,
    year              integer,
    size_mm           real,
    movement          text,
    -- Where each field was read: {"brand": {"start", "end"}, ...} in characters; the message's own under "type".
    spans             jsonb not null,
    extractor_version integer not null,
    written_at        timestamptz not null,
    position          bigint not null,
    primary key (conversation_id, message_id, idx)
);

create index listings_written_idx on listings (written_at desc, conversation_id desc, message_id desc, idx desc);
create index listings_model_idx on listings (brand, model, written_at desc);
create index listings_account_idx on listings (account_id, written_at desc);
