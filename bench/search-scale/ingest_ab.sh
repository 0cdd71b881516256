#!/usr/bin/env bash
# Does the keyword index (search_keys, migrations 25 and 26: stretch and number tags, each word and code
# keyed with its stretch) slow ingest? One release build, `bench/ingest.sh`'s load, in turns on two fresh
# databases that differ only in the text index: `old` swaps it back to migration 12's `gin (tsv)` right
# after start-up (the database is empty then, so the swap is instant), `new` keeps it. Run from the
# repository's root:
#
#   bench/search-scale/ingest_ab.sh ROUNDS [inbox-load arguments]
#   e.g. bench/search-scale/ingest_ab.sh 2 --bodies 400000 --conversations 10000 --connections 256 --duration-secs 60
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/common.sh
rounds=${1:?rounds}
shift
inbox_env 8003
for round in $(seq "$rounds"); do
  for variant in new old; do
    fresh_database inbox_ingest_ab
    "$bin/inbox" serve &
    inbox=$!
    trap 'kill $inbox 2>/dev/null || true' EXIT
    wait_for_inbox
    if [ "$variant" = old ]; then
      psql -X -q "$DATABASE_URL" -c "drop index search_documents_keys_idx" \
        -c "create index search_documents_tsv_idx on search_documents using gin (tsv)"
    fi
    echo "# round $round, $variant text index (load $(cut -d' ' -f1-3 /proc/loadavg))"
    "$bin/inbox-load" --url http://127.0.0.1:8003 "$@" | grep -E "messages/s|latency|caught up|exactly-once" || true
    echo "search documents: $(psql -X -At "$DATABASE_URL" -c 'select count(*) from search_documents')"
    kill "$inbox"
    wait "$inbox" 2>/dev/null || true
  done
done
