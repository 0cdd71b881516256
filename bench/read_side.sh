#!/usr/bin/env bash
# Read-side benchmark: seeds 100k conversations x 20 messages (2M events) into a fresh database, rebuilds
# every projection (events/s), then measures the first inbox page and the first message page through the API.
#
#   bench/read_side.sh [conversations] [messages_per_conversation]
set -euo pipefail
cd "$(dirname "$0")/.."
conversations=${1:-100000}
per=${2:-20}
# An assignment, not `eval "$(...)"`: a failing scripts/db stops the script here.
db_url=$(scripts/db up | tail -n 1)
export DATABASE_URL="${db_url#DATABASE_URL=}"
admin_url=$DATABASE_URL
export DATABASE_URL=${admin_url%/*}/inbox_bench
psql "$admin_url" -qc "drop database if exists inbox_bench" -c "create database inbox_bench"
export SQLX_OFFLINE=true
cargo build --release --locked --bin inbox
bin=target/release/inbox
$bin migrate
echo "seeding $conversations conversations x $per messages"
/usr/bin/time -f "seeded in %e s" psql "$DATABASE_URL" -q -v conversations="$conversations" -v per_conversation="$per" -f bench/seed_read_side.sql
psql "$DATABASE_URL" -qc "vacuum analyze events"
$bin projections rebuild inbox contacts accounts
psql "$DATABASE_URL" -qc "vacuum analyze"

token=$(python3 -c 'import secrets; print(secrets.token_hex(24))')
INBOX_API_TOKEN=$token INBOX_LISTEN=127.0.0.1:8089 WHATSAPP_PHONE_ID=100000000000001 \
  WHATSAPP_VERIFY_TOKEN=bench META_APP_SECRET=bench INBOX_ENV=development RUST_LOG=warn $bin serve &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -fs http://127.0.0.1:8089/health >/dev/null && break; sleep 0.2; done
python3 bench/latency.py http://127.0.0.1:8089 "$token" 100000000000001 "$conversations" 1000
