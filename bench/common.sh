# Sourced by the bench scripts (from the repository's root): the local PostgreSQL of scripts/db, a fresh
# database of the benchmark's own beside the development one, and random secrets.

# fresh_database NAME: (re)creates NAME and points DATABASE_URL at it; SQL is checked against .sqlx/.
# BENCH_SERVER (a base URL without database, e.g. postgres://postgres@127.0.0.1:55434) puts it on another
# server than scripts/db's, to compare two servers with the same scripts.
fresh_database() {
  local base
  if [ -n "${BENCH_SERVER:-}" ]; then
    base=$BENCH_SERVER
  else
    # An assignment, not `eval "$(...)"`: a failing scripts/db stops the script here.
    db_url=$(scripts/db up | tail -n 1)
    base=${db_url#DATABASE_URL=}
    base=${base%/*}
  fi
  psql "$base/postgres" -qc "drop database if exists $1" -c "create database $1"
  export DATABASE_URL="$base/$1"
  export SQLX_OFFLINE=true
}

secret() { python3 -c 'import secrets; print(secrets.token_hex(24))'; }
master_key() { python3 -c 'import secrets; print(secrets.token_hex(32))'; }

# cpu_seconds PATTERN: user+system CPU seconds used so far by the processes whose command line matches
# PATTERN (pgrep -f), or by PostgreSQL's processes for `postgres`.
cpu_seconds() {
  local pids
  if [ "$1" = postgres ]; then pids=$(pgrep -x postgres || true); else pids=$(pgrep -f "$1" || true); fi
  local tick; tick=$(getconf CLK_TCK)
  local total=0
  for p in $pids; do
    [ -r "/proc/$p/stat" ] || continue
    total=$((total + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  python3 -c "print(round($total / $tick, 1))"
}

# The binaries the benches run: this checkout's release builds, or those in BENCH_BIN_DIR (to compare two
# builds from one checkout, run after run, with the same scripts).
bin=${BENCH_BIN_DIR:-target/release}

# inbox_env PORT: release builds of the inbox and inbox-load (unless BENCH_BIN_DIR names them), and the
# environment of an inbox on PORT with random secrets, for the number inbox-load signs for
# (WHATSAPP_PHONE_ID).
inbox_env() {
  [ -n "${BENCH_BIN_DIR:-}" ] || cargo build --release --locked -p inbox -p inbox-load
  export WHATSAPP_PHONE_ID=1122334455667 META_APP_SECRET="$(secret)" WHATSAPP_VERIFY_TOKEN="$(secret)"
  export INBOX_MASTER_KEY="$(master_key)"
  export INBOX_LISTEN=127.0.0.1:$1 RUST_LOG=${RUST_LOG:-warn}
  # Embedding is asynchronous and bound by the model: its cost is measured on its own (bench/embeddings),
  # not inside the ingest and memory figures (issue 21). INBOX_EMBEDDINGS=local puts it back.
  export INBOX_EMBEDDINGS=${INBOX_EMBEDDINGS:-none}
}

# wait_for_inbox: until the inbox on INBOX_LISTEN answers /health (20 s at most).
wait_for_inbox() {
  for _ in $(seq 200); do curl -sf "http://$INBOX_LISTEN/health" >/dev/null && return 0; sleep 0.1; done
  echo "the inbox on $INBOX_LISTEN did not start" >&2
  return 1
}
