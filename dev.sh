#!/usr/bin/env bash
# summit-dr developer entry point (run as root on Debian 12 for the first install).
#
#   ./dev.sh test           install what is missing, build, unit tests, start the test bed,
#                           integration tests, stop the test bed; non-zero if anything failed
#   ./dev.sh demo [--keep] [--no-build]
#                           install, build, start the test bed, fill it with `small` data, run the
#                           engine steps that exist (backup --set=full, verify, restore --env=dev);
#                           tears the stack down unless --keep
#   ./dev.sh build          install build dependencies, configure and build into ./build
#   ./dev.sh asan           build into ./build-asan with -DSUMMIT_SANITIZE=ON and run unit tests
#   ./dev.sh fuzz [SECONDS] build the libFuzzer targets (clang-14) and run each (default 20 s)
#   ./dev.sh up | down      start (printing `export ...` lines) / stop the test bed
#
# Environment: BUILD_DIR (default build), JOBS (default nproc), SUMMIT_CACHE (MinIO, Neo4j jars).
set -Eeuo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"
BUILD_DIR="${BUILD_DIR:-build}"
JOBS="${JOBS:-$(nproc)}"
HARNESS="$ROOT/tests/harness"

say() { printf '\n==> %s\n' "$*" >&2; }
die() { echo "dev.sh: $*" >&2; exit 1; }

install_deps() { "$HARNESS/install.sh" "$@"; }

configure_build() { # dir [cmake args...]
  local dir="$1"
  shift
  say "configure + build ($dir, -j$JOBS)"
  cmake -S "$ROOT" -B "$dir" -G Ninja "$@" >/dev/null
  ninja -C "$dir" -j "$JOBS"
}

# Starts the test bed in $HARNESS_DIR and loads its settings into this shell.
harness_up() {
  say "starting the test bed (PostgreSQL, Redis, Neo4j, MinIO x2) in $HARNESS_DIR"
  local exports
  exports="$("$HARNESS/up.sh" --dir "$HARNESS_DIR")" || die "the test bed did not start (logs in $HARNESS_DIR)"
  eval "$exports"
}

harness_down() {
  if [[ -n "${HARNESS_DIR:-}" && -d "$HARNESS_DIR/dev-targets" ]]; then
    "$HARNESS/down.sh" --dir "$HARNESS_DIR/dev-targets" || true
  fi
  if [[ -n "${HARNESS_DIR:-}" && -d "$HARNESS_DIR" ]]; then
    say "stopping the test bed"
    "$HARNESS/down.sh" --dir "$HARNESS_DIR" || true
  fi
}

cmd_test() {
  local t0 unit_rc=0 it_rc=0 fuzz_rc=0
  t0=$(date +%s)
  install_deps
  configure_build "$BUILD_DIR"
  say "unit tests"
  ctest --test-dir "$BUILD_DIR" -L unit --no-tests=error --output-on-failure -j "$JOBS" --timeout 600 || unit_rc=$?
  say "fuzz smoke: every libFuzzer target of tests/fuzz/ for ${FUZZ_SECONDS:-20} s (clang-14, ASan + UBSan)"
  "$ROOT/tests/fuzz/run.sh" || fuzz_rc=$?

  HARNESS_DIR="$(mktemp -d "${TMPDIR:-/tmp}/summit-test-harness.XXXXXX")"
  export HARNESS_DIR
  trap harness_down EXIT
  harness_up
  say "integration tests (one at a time: they share the servers)"
  ctest --test-dir "$BUILD_DIR" -L integration --no-tests=error --output-on-failure -j 1 --timeout 1200 || it_rc=$?
  harness_down
  trap - EXIT

  say "summary: unit tests $([[ $unit_rc == 0 ]] && echo passed || echo FAILED), fuzz smoke" \
    "$([[ $fuzz_rc == 0 ]] && echo passed || echo FAILED), integration tests" \
    "$([[ $it_rc == 0 ]] && echo passed || echo FAILED) ($(($(date +%s) - t0))s)"
  [[ $unit_rc == 0 && $fuzz_rc == 0 && $it_rc == 0 ]]
}

# Runs one engine step; returns 0 when done, 2 when the binary says it is not built yet.
engine_step() {
  local out rc=0
  echo "\$ summit-dr $*" >&2
  out="$("$SUMMIT_DR" "$@" 2>&1)" || rc=$?
  echo "$out" >&2
  if [[ $rc == 2 ]] && grep -qi "not built yet" <<<"$out"; then
    return 2
  fi
  return "$rc"
}

cmd_demo() {
  local keep=0 build=1
  for a in "$@"; do
    case "$a" in
      --keep) keep=1 ;;
      --no-build) build=0 ;;  # use the binary already in $BUILD_DIR
      *) die "demo: unknown option '$a' (known: --keep, --no-build)" ;;
    esac
  done
  install_deps
  ((build == 0)) || configure_build "$BUILD_DIR"
  HARNESS_DIR="${HARNESS_DIR:-${TMPDIR:-/tmp}/summit-harness-$(id -u)}"
  export HARNESS_DIR
  ((keep)) || trap harness_down EXIT
  harness_up
  say "generating the 'small' Summit dataset (about 100 MB) into every store"
  # --anchor today: the dev profile keeps the last 30 days of events and audit logs.
  python3 "$HARNESS/generate.py" --seed 1 --size small --anchor today --files "$HARNESS_DIR/files" >"$HARNESS_DIR/dataset.json"
  jq -c '{tenants, postgres_rows: .postgres.tables, neo4j: .neo4j.labels, redis: .redis.keys, files: .files.files, seconds}' \
    "$HARNESS_DIR/dataset.json" >&2
  say "connection settings (also in $HARNESS_DIR/env)"
  cat "$HARNESS_DIR/env"

  export BACKUP_BASE="${BACKUP_BASE:-$HARNESS_DIR/backups}"
  export SUMMIT_ROOT="${SUMMIT_ROOT:-$HARNESS_DIR/files}"  # the config files, policies and secrets to back up
  # The dev environment gets stores of its own: database summit_dev on the same PostgreSQL, and
  # a second Redis and Neo4j (a Redis capture restores every database it holds, and Neo4j
  # community has one database), so the sanitized copy never touches the demo's source data.
  say "starting the dev environment's own Redis and Neo4j"
  local dev_env
  dev_env="$("$HARNESS/up.sh" --dir "$HARNESS_DIR/dev-targets" --only redis,neo4j)" || die "the dev targets did not start"
  export DEV_PGDATABASE="${DEV_PGDATABASE:-summit_dev}"
  export DEV_REDIS_URL="$(bash -c "$dev_env"$'\n''echo "$REDIS_URL"')"
  export DEV_NEO4J_URI="$(bash -c "$dev_env"$'\n''echo "$NEO4J_URI"')"
  export DEV_NEO4J_PASSWORD="$(bash -c "$dev_env"$'\n''echo "$NEO4J_PASSWORD"')"
  export ENCRYPTION_KEY="${ENCRYPTION_KEY:-demo-only-$(python3 -c 'import secrets; print(secrets.token_hex(16))')}"
  SUMMIT_DR="$BUILD_DIR/src/cli/summit-dr"
  [[ "$SUMMIT_DR" == /* ]] || SUMMIT_DR="$ROOT/$SUMMIT_DR"
  [[ -x "$SUMMIT_DR" ]] || die "the build produced no $SUMMIT_DR"
  export SUMMIT_DR_BIN="$SUMMIT_DR"
  say "engine: backup --set=full, verify, restore --env=dev"
  local rc=0 id=""
  engine_step backup --set=full || rc=$?
  if [[ $rc == 0 ]]; then
    id="$("$SUMMIT_DR" --json list --set=full 2>/dev/null | jq -r '[.[]?.id // empty] | last // empty' || true)"
    if [[ -z "$id" ]]; then
      echo "dev.sh: backup succeeded but 'summit-dr list --json' named no backup" >&2
      rc=1
    else
      engine_step restore "$id" --mode=verify-only || rc=$?
      [[ $rc == 0 ]] && { engine_step restore "$id" --env=dev || rc=$?; }
    fi
  fi
  if [[ $rc == 2 ]]; then
    say "the engine steps are not built yet: the demo stops here, with the stack up and filled"
    rc=0
  elif [[ $rc != 0 ]]; then
    echo "dev.sh: an engine step failed (exit $rc)" >&2
  fi
  if ((keep)); then
    say "stack left running (--keep): eval \"\$(cat $HARNESS_DIR/env)\"; stop with ./dev.sh down"
  fi
  return "$rc"
}

cmd_asan() {
  install_deps --no-servers
  configure_build build-asan -DSUMMIT_SANITIZE=ON -DSUMMIT_BENCH=OFF
  say "unit tests under AddressSanitizer + UndefinedBehaviorSanitizer"
  ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}" \
    UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}" \
    ctest --test-dir build-asan -L unit --output-on-failure -j "$JOBS" --timeout 900
}

case "${1:-}" in
  test) shift; cmd_test "$@" ;;
  demo) shift; cmd_demo "$@" ;;
  build) install_deps --no-servers; configure_build "$BUILD_DIR" ;;
  asan) cmd_asan ;;
  fuzz) shift; install_deps --no-servers; exec "$ROOT/tests/fuzz/run.sh" "$@" ;;
  up) shift; install_deps; exec "$HARNESS/up.sh" "$@" ;;
  down) shift; exec "$HARNESS/down.sh" "$@" ;;
  *) sed -n '2,15p' "$0" >&2; exit 2 ;;
esac
