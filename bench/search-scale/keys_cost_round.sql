-- One round of keys_cost.sql's inserts (included twice): the 200,000 documents into an empty table with
-- gin (tsv), migration 25's index, then migration 26's.
\echo round :round: gin (tsv)
truncate search_documents; create index keys_cost_idx on search_documents using gin (:index_tsv); checkpoint;
\timing on
:insert;
\timing off
drop index keys_cost_idx;
\echo round :round: migration 25
truncate search_documents; create index keys_cost_idx on search_documents using gin (:index_25); checkpoint;
\timing on
:insert;
\timing off
drop index keys_cost_idx;
\echo round :round: migration 26
truncate search_documents; create index keys_cost_idx on search_documents using gin (:index_26); checkpoint;
\timing on
:insert;
\timing off
drop index keys_cost_idx;
