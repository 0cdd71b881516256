#!/usr/bin/env bash
# Outbound benchmark: the inbox (release build) sending through wa-sim on this machine.
# Usage: bench/outbound.sh [conversations] [messages] [send rate per second]
# Uses a fresh database `inbox_outbound_bench` beside the development one of scripts/db.
set -euo pipefail
cd "$(dirname "$0")/.."
conversations=${1:-100}
messages=${2:-2000}
rate=${3:-80}
source bench/common.sh
fresh_database inbox_outbound_bench
cargo build --release --locked -p inbox -p wa-sim
export WHATSAPP_PHONE_ID=1122334455667 META_APP_SECRET="$(secret)" WHATSAPP_TOKEN="$(secret)"
export WHATSAPP_VERIFY_TOKEN="$(secret)" INBOX_API_TOKEN="$(secret)" INBOX_ENV=development
export WHATSAPP_GRAPH_URL=http://127.0.0.1:8901 INBOX_LISTEN=127.0.0.1:8001 INBOX_SEND_RATE=$rate
export INBOX_MEDIA_DIR=.local/bench-media RUST_LOG=warn
target/release/wa-sim --listen 127.0.0.1:8901 --inbox-url http://127.0.0.1:8001/webhook/whatsapp \
  --status-delay-ms "${STATUS_DELAY_MS:-200}" &
sim=$!
target/release/inbox serve &
inbox=$!
trap 'kill $sim $inbox 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf http://127.0.0.1:8001/health >/dev/null && break; sleep 0.2; done
python3 bench/outbound.py http://127.0.0.1:8001 "$INBOX_API_TOKEN" http://127.0.0.1:8901 "$conversations" "$messages" "${THREADS:-8}" "${WAIT_SECS:-600}"
