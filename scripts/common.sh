# Shared by the scripts in this folder; sourced, never run.
# shellcheck shell=bash

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }

random() { python3 -c 'import secrets; print(secrets.token_hex(24))'; }

# Where cargo puts what it builds: asking cargo honours CARGO_TARGET_DIR and a `build.target-dir` in any
# .cargo/config.toml, which a fixed `target/` would not.
target_dir() {
  (cd "$root" && cargo metadata --format-version 1 --no-deps --locked) |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])'
}

# Cargo's output without the compiler's warnings: cargo shows every warning of the crates again at each
# build, even with nothing to rebuild, a thousand lines that bury what it is doing. A warning runs from its
# `warning:` line to the next blank line, status line or error, which are all kept.
without_warnings() {
  awk '/^warning: / { skip = 1; next }
       /^error/ || /^ +[A-Z][a-z]+ / { skip = 0 }
       /^$/ && skip { skip = 0; next }
       !skip { print; fflush() }'
}

# release_build WHAT PACKAGE...: builds the packages' release binaries (each is named like its package) and
# prints the folder holding them. The first build is long, so it is announced when a binary is missing.
release_build() {
  local what=$1 dir p
  shift
  # Explicit returns: callers take the folder by command substitution, where `set -e` does not hold.
  dir=$(target_dir) || return 1
  for p in "$@"; do
    if [ ! -x "$dir/release/$p" ]; then
      log "building $what (the first build takes about 10 minutes)"
      break
    fi
  done
  (cd "$root" && SQLX_OFFLINE=true cargo build --release --locked "${@/#/--package=}" 2>&1) | without_warnings >&2
  [ "${PIPESTATUS[0]}" = 0 ] || { log "building $what failed"; return 1; }
  echo "$dir/release"
}
