#!/usr/bin/env bash
# Memory: the inbox's resident set after webhook bodies for N distinct conversations have been ingested
# (one body per conversation, as fast as 32 connections go), once the projections have caught up.
# Usage: bench/memory.sh [conversations]   (default 100000)
set -euo pipefail
cd "$(dirname "$0")/.."
conversations=${1:-100000}
source bench/common.sh
fresh_database inbox_memory_bench
inbox_env 8006
"$bin/inbox" serve &
inbox=$!
trap 'kill $inbox 2>/dev/null || true' EXIT
wait_for_inbox
rss() { awk -v k="$1" '$1 == k":" {printf "%.1f MB", $2 / 1024}' "/proc/$inbox/status"; }
echo "memory: at start: resident $(rss VmRSS)"
"$bin/inbox-load" --url http://127.0.0.1:8006 --round-robin --conversations "$conversations" \
  --bodies "$conversations"
echo "memory: after $conversations conversations: resident $(rss VmRSS), peak $(rss VmHWM)"
curl -s http://127.0.0.1:8006/health | python3 -c \
  'import json,sys; h=json.load(sys.stdin); print("memory: conversation actors", h["conversation_actors"])'
