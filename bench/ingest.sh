#!/usr/bin/env bash
# Ingest benchmark: `inbox-load` posting signed webhook bodies to the inbox (release build) on this
# machine, then checking in the database that every acknowledged message is stored exactly once.
# Usage: bench/ingest.sh [inbox-load options...]   e.g. bench/ingest.sh --bodies 20000 --rate 1000
# Uses a fresh database `inbox_ingest_bench` beside the development one of scripts/db.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
fresh_database inbox_ingest_bench
inbox_env 8003
"$bin/inbox" serve &
inbox=$!
trap 'kill $inbox 2>/dev/null || true' EXIT
wait_for_inbox
before_inbox=$(cpu_seconds "$bin/inbox serve") before_pg=$(cpu_seconds postgres) started=$(date +%s.%N)
# inbox-load's own CPU is read from its exit (it reports it); the inbox's and PostgreSQL's right after.
"$bin/inbox-load" --url http://127.0.0.1:8003 "$@"
curl -s http://127.0.0.1:8003/health | python3 -c 'import json, sys
s = json.load(sys.stdin)["event_store"]
a, t = s["appends"], s["transactions"]
print(f"group commit: {a} appends in {t} transactions, {a / max(t, 1):.1f} per transaction")'
python3 -c "
wall = $(date +%s.%N) - $started
print(f'cpu: over {wall:.1f} s of wall time: inbox {$(cpu_seconds "$bin/inbox serve") - $before_inbox:.1f} s, '
      f'PostgreSQL {$(cpu_seconds postgres) - $before_pg:.1f} s (2 cores = {2 * wall:.1f} s)')"
# How long after its acknowledgement each message showed in the inbox view (the inbox projection's
# inbox_projection_visibility_seconds histogram): the share within 250 ms and the bucket holding the p99.
curl -s http://127.0.0.1:8003/metrics | python3 -c 'import re, sys
buckets = sorted((float(le), float(v)) for le, v in re.findall(
    r"^inbox_projection_visibility_seconds_bucket\{[^}]*projection=\"inbox\"[^}]*le=\"([^\"]+)\"\} (\S+)$",
    sys.stdin.read(), re.M))
total = buckets[-1][1] if buckets else 0
if not buckets or total == 0:
    print("visibility: not measured (this build has no inbox_projection_visibility_seconds)")
    sys.exit()
within = dict(buckets).get(0.25, 0) / total
p99 = next((le for le, v in buckets if v >= 0.99 * total and le != float("inf")), None)
print(f"visibility in the inbox view after the acknowledgement: {within:.2%} of {total:.0f} events within 250 ms; "
      f"p99 " + (f"<= {p99 * 1000:g} ms" if p99 is not None else "> the last bucket"))'
