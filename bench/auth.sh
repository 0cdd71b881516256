#!/usr/bin/env bash
# Authentication benchmark: what signing in costs (argon2id) and what each kind of caller adds to an API
# read, against the inbox (release build) on this machine.
# Usage: bench/auth.sh [requests per caller kind] [threads]
# Uses a fresh database `inbox_auth_bench` beside the development one of scripts/db.
set -euo pipefail
cd "$(dirname "$0")/.."
requests=${1:-2000}
threads=${2:-8}
eval "$(scripts/db up | tail -n 1 | sed 's/^/export /')"
base=${DATABASE_URL%/*}
psql "$base/postgres" -qc "drop database if exists inbox_auth_bench" -c "create database inbox_auth_bench"
export DATABASE_URL="$base/inbox_auth_bench"
export SQLX_OFFLINE=true
cargo build --release --locked --bin inbox
secret() { python3 -c 'import secrets; print(secrets.token_hex(24))'; }
export WHATSAPP_PHONE_ID=1122334455667 META_APP_SECRET="$(secret)" WHATSAPP_VERIFY_TOKEN="$(secret)"
export INBOX_API_TOKEN="$(secret)" INBOX_MASTER_KEY="$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
export INBOX_LISTEN=127.0.0.1:8002 RUST_LOG=warn
target/release/inbox serve &
inbox=$!
trap 'kill $inbox 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf http://127.0.0.1:8002/health >/dev/null && break; sleep 0.2; done
python3 bench/auth.py http://127.0.0.1:8002 "$INBOX_API_TOKEN" "$META_APP_SECRET" "$requests" "$threads"
