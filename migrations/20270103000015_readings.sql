-- Who read a message's watches: the extractor's rules, or a model asked because the rules were unsure
-- (`watch.detected` with method `llm`). A model's reading replaces the rules' of the same extractor
-- version in both views, so each keeps the method beside the version.
alter table listings
    add column method text not null default 'rules' check (method in ('rules', 'llm')),
    add column read_by text;
alter table search_documents
    add column listing_method text check (listing_method in ('rules', 'llm'));

-- A voice note's words as the model heard them (`message.transcribed`), shown under the voice note.
-- Transcripts recorded before this migration are copied from the bot view; `inbox projections rebuild
-- search` indexes them for search.
alter table inbox_messages add column transcript jsonb;
update inbox_messages m
   set transcript = jsonb_build_object('text', t.text, 'model', t.model, 'at', t.transcribed_at)
  from bot_transcripts t
 where t.conversation_id = m.conversation_id and t.message_id = m.message_id;

-- What the model reader looks for: the newest rules readings, with their confidence.
create index listings_unsure_idx on listings (written_at desc, confidence)
    where method = 'rules' and idx = 0;
