#!/usr/bin/env bash
# Redelivery: the same bodies posted once in order into one fresh database, and three times each, shuffled,
# into another; the two stores must hold the same facts (stream, event type, payload; positions and
# versions may differ with arrival order) and as many events. Exits non-zero otherwise.
# Usage: bench/redelivery.sh [bodies] [conversations]
set -euo pipefail
cd "$(dirname "$0")/.."
bodies=${1:-10000}
conversations=${2:-1000}
source bench/common.sh
inbox_env 8007
facts() { # the stored facts of the conversations, as one digest and a count
  psql "$DATABASE_URL" -tAc "select count(*) || ' events, digest ' || md5(string_agg(f, E'\n' order by f)) from
    (select stream_id || ' ' || event_type || ' ' || payload::text as f from events
     where stream_id like 'conversation-%') t"
}
run() { # database deliveries
  fresh_database "$1"
  "$bin/inbox" serve &
  local inbox=$!
  wait_for_inbox
  "$bin/inbox-load" --url http://127.0.0.1:8007 --run redelivery --bodies "$bodies" \
    --conversations "$conversations" --deliveries "$2" >&2
  kill "$inbox"; wait "$inbox" 2>/dev/null || true
  facts
}
once=$(run inbox_redelivery_once 1)
thrice=$(run inbox_redelivery_thrice 3)
echo "redelivery: delivered once, in order: $once"
echo "redelivery: delivered three times, shuffled: $thrice"
[ "$once" = "$thrice" ] || { echo "redelivery: the stores differ" >&2; exit 1; }
echo "redelivery: the stores hold the same facts"
