#!/usr/bin/env bash
# Fault run: the inbox is killed with SIGKILL at random moments while inbox-load posts, and restarted;
# inbox-load redelivers every body that got no 200 (as Meta does), then checks that every acknowledged
# message is stored exactly once. Exits non-zero on any loss or duplicate.
# Usage: bench/fault_kill.sh [kills] [inbox-load options...]
set -euo pipefail
cd "$(dirname "$0")/.."
kills=${1:-3}
shift || true
source bench/common.sh
fresh_database inbox_fault_bench
inbox_env 8004
start() {
  "$bin/inbox" serve &
  inbox=$!
  wait_for_inbox
}
start
trap 'kill $inbox $load 2>/dev/null || true' EXIT
"$bin/inbox-load" --url http://127.0.0.1:8004 --rate 300 --bodies 12000 --retry-for-secs 120 "$@" &
load=$!
for k in $(seq "$kills"); do
  sleep "$(python3 -c 'import random; print(round(random.uniform(3, 8), 2))')"
  kill -9 "$inbox"
  wait "$inbox" 2>/dev/null || true
  echo "fault_kill: SIGKILL $k of $kills; restarting" >&2
  sleep 1
  start
done
wait "$load"
