# Sourced by the bench scripts (from the repository's root): the local PostgreSQL of scripts/db, a fresh
# database of the benchmark's own beside the development one, and random secrets.

# fresh_database NAME: (re)creates NAME and points DATABASE_URL at it; SQL is checked against .sqlx/.
fresh_database() {
  eval "$(scripts/db up | tail -n 1 | sed 's/^/export /')"
  local base=${DATABASE_URL%/*}
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
