#!/usr/bin/env bash
# Authentication benchmark: what signing in costs (argon2id) and what each kind of caller adds to an API
# read, against the inbox (release build) on this machine.
# Usage: bench/auth.sh [requests per caller kind] [threads]
# Uses a fresh database `inbox_auth_bench` beside the development one of scripts/db.
set -euo pipefail
cd "$(dirname "$0")/.."
requests=${1:-2000}
threads=${2:-8}
source bench/common.sh
fresh_database inbox_auth_bench
cargo build --release --locked --bin inbox
export WHATSAPP_PHONE_ID=1122334455667 META_APP_SECRET="$(secret)" WHATSAPP_VERIFY_TOKEN="$(secret)"
export INBOX_API_TOKEN="$(secret)" INBOX_MASTER_KEY="$(master_key)"
export INBOX_LISTEN=127.0.0.1:8002 RUST_LOG=warn
target/release/inbox serve &
inbox=$!
trap 'kill $inbox 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf http://127.0.0.1:8002/health >/dev/null && break; sleep 0.2; done
python3 bench/auth.py http://127.0.0.1:8002 "$INBOX_API_TOKEN" "$META_APP_SECRET" "$requests" "$threads"
