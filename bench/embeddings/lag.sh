#!/usr/bin/env bash
# Embedding lag under a steady webhook rate (issue 17, "Measured → Embedding throughput"): the inbox with
# the local model (INBOX_EMBEDDINGS=local, one compute thread), `inbox-load` posting signed webhook bodies
# at RATE bodies per second for SECONDS, then, per message, the time from its `message.received` event
# being recorded to its vector being stored (`search_vectors.embedded_at - events.recorded_at`), and the
# inbox's resident memory sampled every second.
#
#   bench/embeddings/lag.sh [RATE [SECONDS]]          default 5 bodies/s for 180 s
#
# INBOX_BIN and LOAD_BIN: the inbox and inbox-load binaries to use (default: release builds, as
# bench/ingest.sh). LAG_DB: the database (default inbox_embed_lag, recreated beside the development one).
# The model file comes from scripts/model. Output: stdout and bench/embeddings/out/lag-RATE-SECONDS.log.
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/common.sh
rate=${1:-5}
seconds=${2:-180}
out=bench/embeddings/out
mkdir -p "$out"
log="$out/lag-$rate-$seconds.log"
model_file=$(scripts/model | tail -n 1)
fresh_database "${LAG_DB:-inbox_embed_lag}"
if [ -z "${INBOX_BIN:-}" ] || [ -z "${LOAD_BIN:-}" ]; then
  cargo build --release --locked -p inbox -p inbox-load
fi
inbox_bin=${INBOX_BIN:-target/release/inbox}
load_bin=${LOAD_BIN:-target/release/inbox-load}
export WHATSAPP_PHONE_ID=1122334455667 META_APP_SECRET="$(secret)" WHATSAPP_VERIFY_TOKEN="$(secret)"
export INBOX_MASTER_KEY="$(master_key)"
export INBOX_LISTEN=127.0.0.1:${LAG_PORT:-8013} RUST_LOG=${RUST_LOG:-warn}
export INBOX_EMBEDDINGS=local INBOX_EMBEDDING_MODEL_FILE="$model_file"

"$inbox_bin" serve &
inbox=$!
sampler=
trap 'kill $inbox $sampler 2>/dev/null || true' EXIT
wait_for_inbox
# Resident memory of the inbox (VmRSS, kB), once a second.
(while kill -0 "$inbox" 2>/dev/null; do
   awk '/VmRSS/ {print $2}' "/proc/$inbox/status" 2>/dev/null || true
   sleep 1
 done) >"$out/rss.tmp" &
sampler=$!

{
  echo "# $(date -u +%FT%TZ) rate=$rate bodies/s for $seconds s, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# inbox: $inbox_bin"
  "$load_bin" --url "http://$INBOX_LISTEN" --rate "$rate" --duration-secs "$seconds" \
    --bodies $((rate * seconds)) --connections 4
  # Until the worker has caught up: nothing pending in /health, and every document has its vector.
  for _ in $(seq 600); do
    left=$(psql -X -qtA "$DATABASE_URL" -c "select count(*) from search_documents d
      where not exists (select from search_vectors v where v.sha256 = d.passage_sha256)")
    [ "$left" = 0 ] && break
    sleep 1
  done
  echo "documents without a vector after the run: $left"
  curl -s "http://$INBOX_LISTEN/metrics" | grep -E '^inbox_search_embedd' || true
  psql -X -q "$DATABASE_URL" <<'SQL'
with received as (
  select e.payload->>'wamid' as message_id, e.recorded_at
  from events e where e.event_type = 'message.received'),
lag as (
  select extract(epoch from v.embedded_at - r.recorded_at) as s, r.recorded_at
  from search_documents d
  join received r on r.message_id = d.message_id
  join search_vectors v on v.sha256 = d.passage_sha256)
select count(*) as messages,
       round((count(*) / nullif(extract(epoch from max(recorded_at) - min(recorded_at)), 0))::numeric, 2)
         as "messages/s",
       round(percentile_cont(0.5) within group (order by s)::numeric, 3) as p50_s,
       round(percentile_cont(0.95) within group (order by s)::numeric, 3) as p95_s,
       round(percentile_cont(0.99) within group (order by s)::numeric, 3) as p99_s,
       round(max(s)::numeric, 3) as max_s
from lag;
SQL
  sort -n "$out/rss.tmp" | awk '{a[NR] = $1} END {printf "inbox VmRSS: median %.0f MB, max %.0f MB (%d samples)\n", a[int((NR + 1) / 2)] / 1024, a[NR] / 1024, NR}'
  echo "# done $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
} 2>&1 | tee "$log"
rm -f "$out/rss.tmp"
