#!/usr/bin/env bash
# Stops every server tests/harness/up.sh started (by the pids it recorded, never by name) and
# removes its temporary directory. Reads $HARNESS_DIR, else the default location.
# Keeps the logs (removes only the data) when up.sh recorded a failure or with --keep-logs.
# Options: --dir DIR, --keep-logs. Safe to run twice or when nothing is running.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
source "$HERE/common.sh"

DIR="${HARNESS_DIR:-$HARNESS_DEFAULT_DIR}"
KEEP_LOGS=0
while (($#)); do
  case "$1" in
    --dir) DIR="$2"; shift 2 ;;
    --dir=*) DIR="${1#--dir=}"; shift ;;
    --keep-logs) KEEP_LOGS=1; shift ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "down.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
done
if [[ ! -d "$DIR" ]]; then
  hlog "nothing to stop ($DIR does not exist)"
  exit 0
fi
[[ -f "$DIR/failed" ]] && KEEP_LOGS=1

# The pgvector server belongs to another script; let it stop itself if it knows how.
if [[ -x "$HERE/pgvector-down.sh" && -d "$DIR/pgvector" ]]; then
  HARNESS_DIR="$DIR" "$HERE/pgvector-down.sh" >&2 || hlog "pgvector-down.sh failed"
fi

if [[ -f "$DIR/postgres/data/postmaster.pid" ]]; then
  as_pg "$(pg_bin pg_ctl)" -D "$DIR/postgres/data" -m fast -w -t 30 stop >/dev/null 2>&1 ||
    stop_pid "$DIR/pids/postgres" 30
fi
for f in "$DIR"/pids/*; do
  [[ -f "$f" ]] || continue
  case "$(basename "$f")" in
    postgres) stop_pid "$f" 30 ;;
    pgvector) stop_pid "$f" 30 INT ;;  # a postmaster: SIGINT is its fast shutdown
    neo4j) stop_pid "$f" 60 ;;
    *) stop_pid "$f" 20 ;;
  esac
done

if ((KEEP_LOGS)); then
  find "$DIR" -mindepth 2 -maxdepth 2 -type d -name data -exec rm -rf {} + 2>/dev/null
  rm -f "$DIR"/*/password "$DIR"/*/pwfile "$DIR"/*/secret_key "$DIR/env"
  rm -rf "$DIR/pids"
  hlog "stopped; logs kept in $DIR"
else
  rm -rf "$DIR"
  hlog "stopped and removed $DIR"
fi
