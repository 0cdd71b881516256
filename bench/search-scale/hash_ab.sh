#!/usr/bin/env bash
# Round 8: the hash indexes on the texts' SHA-256 (migration 20270110000022) against the btrees, query by
# query on one database: the documents' old btree is built beside the hash index for the run (the
# planner prefers the hash index while both exist), and each query runs once as it is and once inside a
# transaction that drops the two hash indexes, rolled back, after a first run that warms the caches, in
# turns first. Both variants see the same load.
#
#   bench/search-scale/hash_ab.sh URL [QUERIES]    URL: a database filled by search_scale (fill + hnsw)
#
# Measured: the exact ranking of the 1 % number (k = 10) and the walk of the 4 % number to 200 documents,
# as nearest() runs them (force_custom_plan, ef_search 1000, relaxed iterative scan, no parallel workers).
# Query vectors: documents' own vectors, picked at random (seeded). Prints p50 / p95 of each.
set -euo pipefail
url=${1:?database URL}
n=${2:-40}
q() { psql -X -q "$url" "$@"; }
model=$(q -tAc "select model from search_vectors limit 1")
small=$(q -tAc "select account_id from search_documents group by 1 order by count(*) limit 1")
mid=$(q -tAc "select account_id from (select account_id, count(*) c from search_documents group by 1) a
              where c between 30000 and 60000 order by c limit 1")
echo "# $(date -u +%FT%TZ) $(q -tAc "select count(*) from search_documents") documents; exact: $small, walk: $mid; load $(cut -d' ' -f1-3 /proc/loadavg)"
mapfile -t vectors < <(q -tAc "select embedding::text from search_vectors tablesample system (0.1) repeatable (8) limit $n")
q -c "create index if not exists search_documents_passage_idx on search_documents (passage_sha256)"
trap 'q -c "drop index if exists search_documents_passage_idx"' EXIT
without='begin; drop index search_vectors_sha256_hash_idx; drop index search_documents_passage_hash_idx;'
run() { # run VARIANT SQL: prints the execution time in ms
  local pre='' post=''
  [ "$1" = btree ] && { pre=$without; post='rollback;'; }
  q -tA <<SQL | sed -n 's/^Execution Time: \([0-9.]*\) ms$/\1/p'
set max_parallel_workers_per_gather = 0; set plan_cache_mode = force_custom_plan;
set hnsw.ef_search = 1000; set hnsw.iterative_scan = relaxed_order;
$pre
explain (analyze, costs off, timing off) $2;
$post
SQL
}
declare -A times
i=0
for v in "${vectors[@]}"; do
  exact="select v.sha256, (v.embedding <=> '$v'::halfvec) + 0 from search_documents d
         join search_vectors v on v.model = '$model' and v.sha256 = d.passage_sha256
         where d.account_id = '$small' order by 2 limit 10"
  walk="select v.sha256, v.embedding <=> '$v'::halfvec from search_vectors v
        join search_documents d on d.passage_sha256 = v.sha256
        where v.model = '$model' and d.account_id = '$mid' order by v.embedding <=> '$v'::halfvec limit 200"
  # A first run reads the query's pages into the caches; then both variants, in turns first.
  run hash "$exact" >/dev/null
  run hash "$walk" >/dev/null
  order="hash btree"
  [ $((i++ % 2)) = 0 ] || order="btree hash"
  for variant in $order; do
    times[exact-$variant]+="$(run $variant "$exact") "
    times[walk-$variant]+="$(run $variant "$walk") "
  done
done
for k in exact-hash exact-btree walk-hash walk-btree; do
  python3 -c "import statistics, sys; t = sorted(map(float, sys.argv[2].split()));
print(f'{sys.argv[1]}: {len(t)} queries, p50 {statistics.median(t):.1f} ms, p95 {t[int(0.95 * (len(t) - 1))]:.1f} ms')" "$k" "${times[$k]}"
done
echo "# done $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
