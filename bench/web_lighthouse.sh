#!/usr/bin/env bash
# Lighthouse's performance, accessibility and best-practices scores for the browser app, signed in with
# N conversations on screen, on the mobile preset (slow 4G, CPU slowed 4×) and the desktop preset.
#
#   bench/web_lighthouse.sh [conversations=1000] [runs=3]
#
# Builds the web app and the debug binaries as the tests do, starts the inbox, wa-sim and a fresh database
# (scripts/common.sh), has wa-sim's customers write, creates the first admin with a browser session, and
# runs Lighthouse (pinned, installed into .local/lighthouse) in Debian's chromium with that session's cookie.
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "$0")/../scripts/common.sh"
cd "$root"
conversations=${1:-1000}
runs=${2:-3}
version=13.5.0
lh="$root/.local/lighthouse"

scripts/web build
if [ "$("$lh/node_modules/.bin/lighthouse" --version 2>/dev/null)" != "$version" ]; then
  log "installing lighthouse $version into $lh"
  mkdir -p "$lh"
  (cd "$lh" && npm install --no-audit --no-fund --loglevel=error "lighthouse@$version" >/dev/null)
fi
chromium=$(command -v chromium) || { log "needs Debian's chromium (apt-get install chromium)"; exit 1; }

bin_dir=$(debug_build)
export INBOX_WEB_DIR="$root/web/dist"
start_test_server inbox_bench_web "$bin_dir"

log "$conversations customers write through wa-sim"
curl -fsS -o /dev/null "$sim_url/sim/load" -H 'content-type: application/json' \
  --data "{\"messages\": $conversations, \"conversations\": $conversations, \"concurrency\": 4}"
headers="$work/headers"
curl -fsS -o /dev/null -D "$headers" "$base/api/v1/auth/setup" -H 'content-type: application/json' \
  -H "origin: $base" --data '{"email": "bench@example.com", "password": "a long bench passphrase", "cookie": true}'
cookie=$(grep -i '^set-cookie: inbox_session=' "$headers" | sed -E 's/^[^:]+: ([^;]+);.*/\1/' | tr -d '\r')
[ -n "$cookie" ] || { log "no session cookie"; exit 1; }

run() {
  local preset=$1 i out
  for i in $(seq 1 "$runs"); do
    out="$work/lh-$preset-$i.json"
    CHROME_PATH="$chromium" "$lh/node_modules/.bin/lighthouse" "$base/" --quiet --output json --output-path "$out" \
      --only-categories=performance,accessibility,best-practices \
      --extra-headers "{\"Cookie\": \"$cookie\"}" \
      --chrome-flags="--headless=new --no-sandbox --disable-gpu" \
      $([ "$preset" = desktop ] && echo --preset=desktop) || { log "lighthouse failed"; exit 1; }
    python3 - "$out" "$preset" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
c, a = report["categories"], report["audits"]
score = lambda k: round(c[k]["score"] * 100)
ms = lambda k: a[k]["numericValue"] / 1000
print(f"{sys.argv[2]:8} performance {score('performance'):3}  accessibility {score('accessibility'):3}  "
      f"best practices {score('best-practices'):3}  first paint {ms('first-contentful-paint'):.1f} s  "
      f"largest paint {ms('largest-contentful-paint'):.1f} s  blocking {a['total-blocking-time']['numericValue']:.0f} ms")
PY
  done
}
run mobile
run desktop
