-- Vectors in half precision (pgvector's halfvec, 0.7 and later): 2 bytes per dimension instead of 4.
-- Measured at 1M documents (bench/search-scale, round 9): the HNSW graph takes 1,365 MB instead of 2,125
-- and the table with its indexes 2,615 MB instead of 4,781, so a small machine keeps more of them in
-- memory. Recall@10 and latency did not change beyond the run-to-run noise; the build takes as long.
-- multilingual-e5-small's vectors are unit length with components near ±0.04: half precision moves a
-- cosine by 5e-6 (p50) to 3.5e-5 (max, 20,000 pairs of real vectors), so only near-exact ties can swap.
-- The table is rewritten and the graph rebuilt once, here. The bench built a million vectors' graph in
-- about 17 minutes on 2 cores with 4 GB of maintenance_work_mem; the 1 GB allowed here holds the graph of
-- about 750,000 half-precision vectors, and the rest of a larger one is built on disk, slower.
do $$
begin
    if to_regtype('halfvec') is null then
        alter extension vector update;
    end if;
    if to_regtype('halfvec') is null then
        raise exception 'search needs pgvector 0.7 or later (halfvec); this server has pgvector %',
            (select extversion from pg_extension where extname = 'vector');
    end if;
end
$$;
set local maintenance_work_mem = '1GB';
drop index if exists search_vectors_hnsw_idx;
alter table search_vectors alter column embedding type halfvec(384) using embedding::halfvec(384);
create index search_vectors_hnsw_idx on search_vectors
    using hnsw (embedding halfvec_cosine_ops) with (m = 32, ef_construction = 200);
