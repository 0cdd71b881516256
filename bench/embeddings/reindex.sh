#!/usr/bin/env bash
# `inbox search reindex` with the local model over N documents (issue 17: "the time to reindex 100k
# messages ... and the resident memory"). The documents are the scale bench's synthetic dealer messages
# (projections/examples/search_scale.rs `fill N`: French and English sentences about watches, 20 % small
# talk, every one a distinct document to embed); then the reindex embeds every one with the local model
# (one compute thread, the default), printing its progress bar, and the inbox's resident memory is sampled
# every second.
#
#   bench/embeddings/reindex.sh N          e.g. reindex.sh 20000
#
# INBOX_BIN: the inbox binary (default target/release/inbox). SCALE_BIN: the search_scale example.
# REINDEX_DB: the database (default inbox_reindex_bench, recreated beside the development one).
# Output: stdout and bench/embeddings/out/reindex-N.log.
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/common.sh
n=${1:?N documents}
out=bench/embeddings/out
mkdir -p "$out"
inbox_bin=${INBOX_BIN:-target/release/inbox}
scale_bin=${SCALE_BIN:-target/debug/examples/search_scale}
model_file=$(scripts/model | tail -n 1)
fresh_database "${REINDEX_DB:-inbox_reindex_bench}"
"$inbox_bin" migrate
"$scale_bin" fill "$n" | grep -v '^size'
# The settings the inbox reads at start (none of them is used by the reindex itself).
export WHATSAPP_PHONE_ID=1122334455667 META_APP_SECRET="$(secret)" WHATSAPP_VERIFY_TOKEN="$(secret)"
export INBOX_MASTER_KEY="$(master_key)"
export INBOX_EMBEDDINGS=local INBOX_EMBEDDING_MODEL_FILE="$model_file" RUST_LOG=${RUST_LOG:-warn}

{
  echo "# $(date -u +%FT%TZ) reindex of $n documents, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# inbox: $inbox_bin"
  "$inbox_bin" search reindex &
  reindex=$!
  peak=0
  samples=()
  while kill -0 "$reindex" 2>/dev/null; do
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$reindex/status" 2>/dev/null || echo 0)
    samples+=("$rss")
    [ "$rss" -gt "$peak" ] && peak=$rss
    sleep 1
  done
  wait "$reindex"
  printf '%s\n' "${samples[@]}" | sort -n | awk -v peak="$peak" '$1 > 0 {a[++k] = $1}
    END {printf "inbox VmRSS: median %.0f MB, max %.0f MB (%d samples)\n", a[int((k + 1) / 2)] / 1024, peak / 1024, k}'
  echo "# done $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
} 2>&1 | tee "$out/reindex-$n.log"
