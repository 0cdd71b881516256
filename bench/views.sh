#!/usr/bin/env bash
# What each view costs: bench/ingest.sh with no view on the node, then all, then each view alone
# (INBOX_RUN_PROJECTIONS), then none and all again. Extra arguments go to inbox-load.
#   bench/views.sh --conversations 2000 --connections 64
set -euo pipefail
cd "$(dirname "$0")/.."
views="false true inbox contacts accounts rbac listings search bot workspace reports false true"
for v in $views; do
  echo "=== views=$v $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)"
  INBOX_RUN_PROJECTIONS=$v bench/ingest.sh "$@" 2>&1 | grep -E "^acknowledged|exactly|cpu:|visibility"
done
