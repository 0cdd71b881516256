#!/usr/bin/env bash
# Ingest benchmark: `inbox-load` posting signed webhook bodies to the inbox (release build) on this
# machine, then checking in the database that every acknowledged message is stored exactly once.
# Usage: bench/ingest.sh [inbox-load options...]   e.g. bench/ingest.sh --bodies 20000 --rate 1000
# Uses a fresh database `inbox_ingest_bench` beside the development one of scripts/db.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(scripts/db up | tail -n 1 | sed 's/^/export /')"
base=${DATABASE_URL%/*}
psql "$base/postgres" -qc "drop database if exists inbox_ingest_bench" -c "create database inbox_ingest_bench"
export DATABASE_URL="$base/inbox_ingest_bench"
export SQLX_OFFLINE=true
cargo build --release --locked --bin inbox --bin inbox-load
secret() { python3 -c 'import secrets; print(secrets.token_hex(24))'; }
export WHATSAPP_PHONE_ID=1122334455667 META_APP_SECRET="$(secret)" WHATSAPP_VERIFY_TOKEN="$(secret)"
export INBOX_MASTER_KEY="$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
export INBOX_LISTEN=127.0.0.1:8003 RUST_LOG=warn
target/release/inbox serve &
inbox=$!
trap 'kill $inbox 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf http://127.0.0.1:8003/health >/dev/null && break; sleep 0.2; done
target/release/inbox-load --url http://127.0.0.1:8003 "$@"
