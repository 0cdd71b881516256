-- What the keyword index costs a document (round 12): search_keys evaluated alone, and inserts of 200,000
-- documents with each text index in turn. Run on a scratch database migrated with every migration (so
-- search_keys is migration 26's), from the repository's root:
--
--   psql -X -v ON_ERROR_STOP=1 -d SCRATCH -f bench/search-scale/keys_cost.sql
--
-- Documents are drawn from 47 watch-trade words, 8 to 27 a message (130 characters on average), a
-- third of them with two references, positions 1 to 200,000 (two stretches of 2^17). Each step is timed
-- twice, in turns. Migration 25's search_keys is defined again here as search_keys_25, for comparison.
\timing off
set client_min_messages = warning;
drop table if exists keys_cost_source;
create table keys_cost_source as
select 'c' || (i % 5000) as conversation_id, 'm' || i as message_id, 'acct' || (i % 7) as account_id,
       'k' || (i % 5000) as contact_id, 'inbound' as direction, 'text' as kind, t as body, t as folded,
       case when i % 3 = 0 then array['116610LN', 'REF' || (i % 977) || 'X'] else '{}'::text[] end as codes,
       md5(i::text) as passage_sha256, now() as written_at, '{}'::text[] as brands, '{}'::text[] as models,
       '{}'::text[] as refs, i::bigint as position
from (select i, (select string_agg(w, ' ')
                 from (select (array['rolex', 'daytona', 'vendre', 'achat', 'montre', 'prix', 'bonjour',
                                     'submariner', 'omega', 'speedmaster', 'full', 'set', 'papers', 'box',
                                     'etat', 'neuf', 'bracelet', 'acier', 'cadran', 'noir', 'blanc',
                                     'vintage', 'patek', 'nautilus', 'royal', 'oak', 'audemars', 'merci',
                                     'disponible', 'livraison', 'paris', 'euros', 'dollars', 'condition',
                                     'mint', 'excellent', 'tudor', 'black', 'bay', 'gmt', 'master', 'pepsi',
                                     'batman', 'seiko', 'cartier', 'tank', 'santos'])[1 + ((i * 7919 + k * 104729) % 47)]
                              || case when k % 4 = 0 then (i % 1000 + k)::text else '' end as w
                       from generate_series(1, 8 + (i % 20)) k) x) t
      from generate_series(1, 200000) i) s;

create or replace function search_keys_25(tsv tsvector, codes text[], account text, log_position bigint)
    returns tsvector
    language sql immutable parallel safe
    as $$
        select tsv || array_to_tsvector(array[
            '~s14 ' || (log_position >> 14)::text, '~s17 ' || (log_position >> 17)::text,
            '~s20 ' || (log_position >> 20)::text, '~s23 ' || (log_position >> 23)::text,
            '~s14 ' || (log_position >> 14)::text || ' ' || md5(account),
            '~s17 ' || (log_position >> 17)::text || ' ' || md5(account),
            '~s20 ' || (log_position >> 20)::text || ' ' || md5(account),
            '~s23 ' || (log_position >> 23)::text || ' ' || md5(account)]
            || case
                   when length(tsv) <= 2000 and octet_length(tsv::text) <= 200000 then
                       array(select l || ' ~w ' || (log_position >> 17)::text
                             from unnest(tsvector_to_array(tsv)) l where octet_length(l) <= 2000)
                   else array['~w ' || (log_position >> 17)::text || ' *']
               end
            || case
                   when cardinality(codes) <= 100 and octet_length(array_to_string(codes, '')) <= 20000 then
                       array(select k
                             from unnest(codes) c,
                                  lateral (values ('~c ' || c),
                                                  ('~c ' || c || ' ~w ' || (log_position >> 17)::text)) v(k)
                             where octet_length(c) <= 2000)
                   else array['~c *', '~c * ~w ' || (log_position >> 17)::text]
               end)
    $$;

truncate search_documents;
drop index if exists search_documents_keys_idx;
drop index if exists keys_cost_idx;
insert into search_documents (conversation_id, message_id, account_id, contact_id, direction, kind, body,
                              folded, codes, passage_sha256, written_at, brands, models, refs, position)
select * from keys_cost_source;

\echo '# migration 26 keeps migration 25 keys, less the lexemes themselves and the tags of 2^23 (documents that differ: 0)'
select count(*) as differing from search_documents d
where array(select x from unnest(tsvector_to_array(search_keys_25(d.tsv, d.codes, d.account_id, d.position))) x
            where x like '% %' and x not like '~s23 %' order by 1)
      is distinct from
      array(select x from unnest(tsvector_to_array(search_keys(d.tsv, d.codes, d.account_id, d.position))) x
            order by 1);

\echo '# search_keys over 200,000 documents: migration 25, then 26, twice'
\timing on
select sum(length(search_keys_25(tsv, codes, account_id, position))) from search_documents;
select sum(length(search_keys(tsv, codes, account_id, position))) from search_documents;
select sum(length(search_keys_25(tsv, codes, account_id, position))) from search_documents;
select sum(length(search_keys(tsv, codes, account_id, position))) from search_documents;
\timing off

\echo '# inserting the 200,000 documents in one statement, with gin (tsv), migration 25 index, migration 26 index, twice'
\set insert 'insert into search_documents (conversation_id, message_id, account_id, contact_id, direction, kind, body, folded, codes, passage_sha256, written_at, brands, models, refs, position) select * from keys_cost_source'
\set index_26 'search_keys(tsv, codes, account_id, position)'
\set index_25 'search_keys_25(tsv, codes, account_id, position)'
\set index_tsv 'tsv'
\set round 1
\ir keys_cost_round.sql
\set round 2
\ir keys_cost_round.sql
truncate search_documents;
drop table keys_cost_source;
drop function search_keys_25(tsvector, text[], text, bigint);
create index search_documents_keys_idx on search_documents using gin (search_keys(tsv, codes, account_id, position));
