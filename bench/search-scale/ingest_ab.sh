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
# busy_seconds: CPU seconds the whole machine has spent busy (user, nice, system, interrupts) since boot.
busy_seconds() {
  awk -v tick="$(getconf CLK_TCK)" '/^cpu / { print ($2 + $3 + $4 + $7 + $8) / tick }' /proc/stat
}
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
    busy0=$(busy_seconds)
    inbox0=$(cpu_seconds "$bin/inbox serve")
    report=$("$bin/inbox-load" --url http://127.0.0.1:8003 "$@" | grep -E "messages/s|latency|caught up|exactly-once" || true)
    busy1=$(busy_seconds)
    inbox1=$(cpu_seconds "$bin/inbox serve")
    echo "$report"
    # CPU per message varies less than throughput on a shared machine: the throughput follows whatever
    # else runs, the work a message costs does not. The machine's busy time counts every process
    # (PostgreSQL's autovacuum workers come and go), the load generator too.
    stored=$(sed -nE 's/.* ([0-9]+) stored;.*/\1/p' <<<"$report")
    python3 -c "print(f'cpu per 1,000 stored messages: machine {($busy1 - $busy0) * 1000 / $stored:.3f} s, inbox {($inbox1 - $inbox0) * 1000 / $stored:.3f} s ({$stored} stored)')"
    echo "search documents: $(psql -X -At "$DATABASE_URL" -c 'select count(*) from search_documents')"
    kill "$inbox"
    wait "$inbox" 2>/dev/null || true
  done
done
