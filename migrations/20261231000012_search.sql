-- Search over everything ever said.
--
-- `search_documents` is the search projection's view: one row per searchable thing (a message's text or a
-- media caption), with its facets, indexed for French, English and exact tokens. Like every view it can
-- be dropped and rebuilt from the events.
--
-- `search_vectors` is not a view: it is a content-addressed cache of embeddings, keyed by the model and
-- the SHA-256 of the exact text the model read. The embedding worker fills it; a rebuilt view finds its
-- vectors there again without a single model call.
create table search_documents (
    conversation_id   text not null,
    message_id        text not null,
    account_id        text not null,
    contact_id        text not null,
    -- `inbound`: the customer wrote it; `outbound`: the business did.
    direction         text not null check (direction in ('inbound', 'outbound')),
    -- The message's kind: text, image, video, document, interactive, template, ...
    kind              text not null,
    body              text not null,
    -- The body lower-cased and without accents (the text index reads this, and queries are folded alike).
    folded            text not null,
    -- Exact tokens (references such as 116610LN, 5711/1A, 311.30.42.30.01.005), upper-cased, each also
    -- without its separators.
    codes             text[] not null,
    -- SHA-256 (hex) of the passage the embedder reads: the key into `search_vectors`.
    passage_sha256    text not null,
    written_at        timestamptz not null,
    -- From the message's latest watch reading (`watch.detected`), empty or null when none.
    brands            text[] not null,
    models            text[] not null,
    refs              text[] not null,
    listing_type      text,
    price             double precision,
    currency          text,
    extractor_version integer,
    position          bigint not null,
    tsv               tsvector generated always as (
                          to_tsvector('simple', folded)
                          || to_tsvector('french', folded)
                          || to_tsvector('english', folded)) stored,
    primary key (conversation_id, message_id)
);

create index search_documents_tsv_idx on search_documents using gin (tsv);
create index search_documents_codes_idx on search_documents using gin (codes);
create index search_documents_written_idx on search_documents (written_at desc, conversation_id, message_id);
create index search_documents_account_idx on search_documents (account_id, written_at desc);
create index search_documents_position_idx on search_documents (position);
create index search_documents_passage_idx on search_documents (passage_sha256);

create table search_vectors (
    model       text not null,
    sha256      text not null,
    embedding   vector(384) not null,
    embedded_at timestamptz not null default now(),
    primary key (model, sha256)
);

create index search_vectors_hnsw_idx on search_vectors using hnsw (embedding vector_cosine_ops);

-- How far the embedding worker got through `search_documents` (by position) for each model.
create table search_embedder (
    model      text primary key,
    position   bigint not null,
    updated_at timestamptz not null default now()
);
