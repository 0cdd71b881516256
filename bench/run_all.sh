#!/usr/bin/env bash
# Reproduces every figure of bench/RESULTS.md, in order, on this machine (about 10 minutes after the build; nothing else
# should run meanwhile). The whole output goes to target/bench-results.log as well.
#   1. ingest at full speed for 60 s (256 connections), then, in the same run, the pgbench ceiling with rows
#      of the size just stored;
#   1c. every projection rebuilt from the log that step 1 stored (events/s of the log, all of them in turn);
#   1d. the same as 1 without projections on this node (they can run on another: INBOX_RUN_PROJECTIONS);
#   2. ingest at 1,000 messages/s for 60 s (833 bodies/s: the mix averages 1.2 messages a body);
#   3. every body delivered three times, shuffled; and the store compared with one in-order delivery;
#   4. SIGKILL at random moments under load, restart, redelivery;
#   5. PostgreSQL stopped for 6 s under load;
#   6. memory after 100,000 distinct conversations.
# Usage: bench/run_all.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# An assignment, not `eval "$(...)"`: a failing scripts/db stops the script here.
db_url=$(scripts/db up | tail -n 1)
export DATABASE_URL="${db_url#DATABASE_URL=}"
mkdir -p target
log=target/bench-results.log
: >"$log"
step() { echo; echo "=== $*" | tee -a "$log"; }
{
  echo "commit $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (with uncommitted changes)'), $(date -u +%FT%TZ)"
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/ {print $2}') GiB"
} | tee -a "$log"

step "1. ingest, full speed, 60 s"
bench/ingest.sh --bodies 400000 --conversations 10000 --connections 256 --duration-secs 60 2>&1 | tee -a "$log"
events=$(psql "${DATABASE_URL%/*}/inbox_ingest_bench" -tAc "select count(*) from events where stream_id like 'conversation-%'")
echo "events stored in conversation streams: $events" | tee -a "$log"
step "1b. the ceiling, same run"
CEILING_SIZES_FROM="${DATABASE_URL%/*}/inbox_ingest_bench" bench/ceiling.sh 10 50 2>&1 | tee -a "$log"

step "1c. rebuild every projection from the log of step 1"
(
  bin=${BENCH_BIN_DIR:-target/release}
  DATABASE_URL="${DATABASE_URL%/*}/inbox_ingest_bench" SQLX_OFFLINE=true INBOX_EMBEDDINGS=none RUST_LOG=warn \
    "$bin/inbox" projections rebuild --all 2>/dev/null
) | tee -a "$log"

step "1d. ingest, full speed, 60 s, projections left to another node (INBOX_RUN_PROJECTIONS=false)"
INBOX_RUN_PROJECTIONS=false bench/ingest.sh --bodies 400000 --conversations 10000 --connections 256 \
  --duration-secs 60 2>&1 | tee -a "$log"

step "2. ingest at 1,000 messages/s for 60 s"
bench/ingest.sh --rate 833 --bodies 50000 --conversations 10000 --connections 64 2>&1 | tee -a "$log"

step "3. every body delivered three times, shuffled"
bench/ingest.sh --bodies 10000 --conversations 1000 --deliveries 3 2>&1 | tee -a "$log"
bench/redelivery.sh 10000 1000 2>&1 | tee -a "$log"

step "4. SIGKILL at random moments"
bench/fault_kill.sh 3 2>&1 | tee -a "$log"

step "5. PostgreSQL stopped for 6 s"
bench/fault_pg_stop.sh 6 2>&1 | tee -a "$log"

step "6. memory after 100,000 conversations"
bench/memory.sh 100000 2>&1 | tee -a "$log"

echo
echo "=== summary" | tee -a "$log"
grep -E '^(===|all [0-9]+ projections|acknowledged|acknowledgement latency|answers by status|exactly-once|projections caught|cpu:|inbox-load itself|ceiling|memory:|fault_|redelivered|redelivery:)' "$log" \
  | grep -v '^=== summary'
