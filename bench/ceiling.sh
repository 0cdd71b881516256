#!/usr/bin/env bash
# The ceiling: what this machine's PostgreSQL does at best for the inbox's durable writes. pgbench inserts
# rows shaped like `events` (same columns, same indexes, payload and metadata of the average size
# measured in DATABASE_URL's `events`, a SHA-256 per row like the hash chain), synchronous commit on:
#   - one row per transaction, at 1 to 64 clients (PostgreSQL's own group commit merges concurrent
#     commits): the best is the ceiling for one-commit-per-message writers;
#   - BATCH rows per transaction, as the inbox's group commit writes them.
# Usage: bench/ceiling.sh [seconds per run] [rows per batched transaction]
# Prints one `ceiling:` line per run and a final `ceiling best:` line (rows/s).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
batch=${2:-50}
# An assignment, not `eval "$(...)"`: a failing scripts/db stops the script here.
db_url=$(scripts/db up | tail -n 1)
export DATABASE_URL="${db_url#DATABASE_URL=}"
source_url=${CEILING_SIZES_FROM:-$DATABASE_URL}
base=${DATABASE_URL%/*}
# shellcheck source=scripts/common.sh
. scripts/common.sh
pgbin=$pg_bin
export LD_LIBRARY_PATH="$pg_libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

sizes=$(psql "$source_url" -tAc "select coalesce(round(avg(octet_length(payload::text))), 400)::int || ' ' ||
  coalesce(round(avg(octet_length(metadata::text))), 150)::int from events where stream_id like 'conversation-%'")
read -r payload_len metadata_len <<<"$sizes"
echo "ceiling: rows sized like the inbox's: payload ${payload_len} B, metadata ${metadata_len} B (as jsonb text)"

psql "$base/postgres" -qc "drop database if exists inbox_ceiling" -c "create database inbox_ceiling"
url="$base/inbox_ceiling"
psql "$url" -q <<SQL
create table events (
    global_position bigserial primary key,
    event_id uuid not null unique,
    stream_id text not null,
    stream_version bigint not null,
    event_type text not null,
    schema_version int not null,
    payload jsonb not null,
    metadata jsonb not null,
    occurred_at timestamptz,
    recorded_at timestamptz not null default now(),
    hash bytea not null,
    unique (stream_id, stream_version)
);
create index on events (stream_id, recorded_at);
SQL

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
row="gen_random_uuid(), 'conversation-1122334455667-1555' || (random() * 1e7)::bigint, (random() * 1e15)::bigint,
     'message.received', 1,
     jsonb_build_object('type', 'text', 'body', repeat('x', ${payload_len} - 20)),
     jsonb_build_object('cause', repeat('y', ${metadata_len} - 14)),
     now(), sha256(convert_to(random()::text, 'UTF8'))"
cat >"$work/one.sql" <<SQL
insert into events (event_id, stream_id, stream_version, event_type, schema_version, payload, metadata, occurred_at, hash)
values ($row);
SQL
cat >"$work/batch.sql" <<SQL
insert into events (event_id, stream_id, stream_version, event_type, schema_version, payload, metadata, occurred_at, hash)
select $row from generate_series(1, ${batch});
SQL

best=0
run() { # name script clients rows-per-transaction
  local tps
  tps=$("$pgbin/pgbench" -n -M prepared -T "$seconds" -c "$3" -j "$(($3 < 2 ? $3 : 2))" -f "$2" "$url" 2>/dev/null |
    sed -n 's/^tps = \([0-9.]*\).*/\1/p')
  local rows
  rows=$(python3 -c "print(round($tps * $4))")
  echo "ceiling: $1, $3 clients: $(printf '%.0f' "$tps") transactions/s = $rows rows/s"
  [ "$rows" -gt "$best" ] && best=$rows || true
}
psql "$url" -tAc "show synchronous_commit" | sed 's/^/ceiling: synchronous_commit = /'
for clients in 1 4 16 64; do run "one row per transaction" "$work/one.sql" "$clients" 1; done
one_best=$best
best=0
for clients in 1 2 4; do run "$batch rows per transaction" "$work/batch.sql" "$clients" "$batch"; done
echo "ceiling best: one row per transaction $one_best rows/s; $batch rows per transaction $best rows/s"
