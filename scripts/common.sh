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

# release_build WHAT PACKAGE...: builds the packages' release binaries (each is named like its package) and
# prints the folder holding them. The first build is long, so it is announced when a binary is missing and
# shows cargo's progress. Later builds show cargo's output only when they fail: cargo repeats every warning
# of the first build each time, even when there is nothing to rebuild.
release_build() {
  local what=$1 dir p missing=0 output
  shift
  # Explicit returns: callers take the folder by command substitution, where `set -e` does not hold.
  dir=$(target_dir) || return 1
  for p in "$@"; do [ -x "$dir/release/$p" ] || missing=1; done
  if [ "$missing" = 1 ]; then
    log "building $what (the first build takes about 10 minutes)"
    (cd "$root" && SQLX_OFFLINE=true cargo build --release --locked "${@/#/--package=}" >&2) || return 1
  elif ! output=$(cd "$root" && SQLX_OFFLINE=true cargo build --release --locked "${@/#/--package=}" 2>&1); then
    printf '%s\n' "$output" >&2
    log "building $what failed"
    return 1
  fi
  echo "$dir/release"
}
