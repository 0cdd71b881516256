-- Texts are looked up by their SHA-256 (64 hex characters) thousands of times per semantic search: each
-- vector the HNSW walk yields is joined to its documents, and an exact ranking fetches one vector per
-- document of the filtered set. A hash index answers such an equality from one bucket page, where the
-- btree walks four levels of long keys. Measured at 1M documents (bench/search-scale, round 8, one worker):
-- the exact ranking of a number's 10,021 documents 238 -> 172 ms at p50, a 4 % number's walk to 200
-- documents 274 -> 236 ms.
-- search_vectors keeps its primary key (model, sha256), which makes a vector unique per model; the
-- documents' btree served only this equality and is replaced.
create index search_vectors_sha256_hash_idx on search_vectors using hash (sha256);
drop index if exists search_documents_passage_idx;
create index search_documents_passage_hash_idx on search_documents using hash (passage_sha256);
