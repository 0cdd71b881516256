#!/usr/bin/env bash
# Fault run: PostgreSQL is stopped for some seconds while inbox-load posts. Meanwhile the inbox must answer
# 503 (never 200 for what it did not store), and once PostgreSQL is back it must answer 200 again by itself,
# without a restart. inbox-load then redelivers what got no 200 and checks that every acknowledged message
# is stored exactly once. Exits non-zero on a loss, a duplicate, or if the inbox did not recover.
# Usage: bench/fault_pg_stop.sh [seconds down] [inbox-load options...]
# Stops and starts the PostgreSQL of scripts/db (every database on it goes down together).
set -euo pipefail
cd "$(dirname "$0")/.."
down_for=${1:-6}
shift || true
source bench/common.sh
fresh_database inbox_fault_pg_bench
inbox_env 8005
mkdir -p target
# Every 503 is logged; the log is kept apart from the figures.
"$bin/inbox" serve 2>target/fault_pg_stop.inbox.log &
inbox=$!
trap 'kill $inbox $load 2>/dev/null || true; scripts/db up >/dev/null 2>&1 || true' EXIT
wait_for_inbox
"$bin/inbox-load" --url http://127.0.0.1:8005 --rate 300 --bodies 9000 --retry-for-secs 120 "$@" &
load=$!
sleep 8
echo "fault_pg_stop: stopping PostgreSQL for ${down_for} s" >&2
scripts/db down
sleep "$down_for"
scripts/db up >/dev/null
echo "fault_pg_stop: PostgreSQL is back" >&2
# The inbox itself, not a restart, must come back: its health sees the database again.
recovered=""
for _ in $(seq 300); do
  if curl -sf http://127.0.0.1:8005/health | grep -q '"reachable":true'; then recovered=yes; break; fi
  sleep 0.1
done
[ -n "$recovered" ] || { echo "fault_pg_stop: the inbox did not recover within 30 s" >&2; exit 1; }
echo "fault_pg_stop: the inbox reaches the database again, same process ($inbox)" >&2
wait "$load"
kill -0 "$inbox"
