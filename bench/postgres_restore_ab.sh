#!/usr/bin/env bash
# PostgreSQL restore only, interleaved rounds (issue #4's restore target): summit-dr through its
# command line and repository (which also verifies the audit chain), the same engine reading a
# plain capture directory through bench/postgres_bench (as pg_restore reads a dump directory),
# that engine with the earlier settings (COPY text, the server's parallel index workers), and
# pg_restore -j N of a pg_dump -Fd, each
# into a fresh database, N rounds in turn so that they see the same machine load. Reports per tool
# the median wall time, the client's CPU, and the CPU the PostgreSQL cluster spent (its processes'
# own plus reaped backends', from /proc; needs the harness's server on this machine), and the
# ratios to pg_restore. Restores are checked: per table, row count and sum(hashtext(row::text))
# equal the source's. Each restore starts after a CHECKPOINT, and its database is checked and
# dropped before the next tool runs (no autovacuum or checkpoint work carried into another's
# measurement). Results: bench/postgres_compare.md ("Restore, interleaved").
#
#   eval "$(tests/harness/up.sh --dir /tmp/pgbench-harness --only postgres)"
#   python3 tests/harness/generate.py --seed 1 --size 2048MB --only postgres   # into $PGDATABASE
#   bench/postgres_restore_ab.sh [--db summit] [--rounds 3] [--jobs 2] [--build build]
set -Eeuo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DB="${PGDATABASE:-summit}" ROUNDS=3 JOBS=2 BUILD="$HERE/build"
while (($#)); do
  case "$1" in
    --db) DB="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --jobs) JOBS="$2"; shift 2 ;;
    --build) BUILD="$2"; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "usage: $0 [--db NAME] [--rounds N] [--jobs N] [--build DIR]" >&2; exit 2 ;;
  esac
done
: "${PGHOST:?run eval \"\$(tests/harness/up.sh --only postgres)\" first}" "${PGPORT:?}" "${PGUSER:?}"
: "${HARNESS_PGDATA:?HARNESS_PGDATA (exported by tests/harness/up.sh) is needed to count the server CPU}"
SUMMIT="$BUILD/src/cli/summit-dr" PGB="$BUILD/bench/postgres_bench"
[[ -x "$SUMMIT" && -x "$PGB" ]] || { echo "build first: ninja -C $BUILD summit-dr postgres_bench" >&2; exit 1; }

T="$(mktemp -d /tmp/summit-pgrestore-ab-XXXXXX)"
chmod 755 "$T"
trap 'rm -rf "$T"' EXIT
URL="postgresql://$PGUSER:$PGPASSWORD@$PGHOST:$PGPORT"
log() { printf '[%s load %s] %s\n' "$(date -u +%H:%M:%S)" "$(cut -d' ' -f1-3 /proc/loadavg)" "$*" >&2; }

# CPU seconds of the whole cluster: live processes plus the children the postmaster has reaped.
server_cpu() {
  local pm tot=0 f p
  pm=$(head -1 "$HARNESS_PGDATA/postmaster.pid")
  for p in $pm $(pgrep -P "$pm"); do
    read -r -a f <"/proc/$p/stat" 2>/dev/null || continue
    tot=$((tot + f[13] + f[14]))
    [[ $p == "$pm" ]] && tot=$((tot + f[15] + f[16]))
  done
  echo "scale=2; $tot / $(getconf CLK_TCK)" | bc
}
fresh() { psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" 2>/dev/null; }
check() { # db -> per-table "table rows hash" lines
  psql -X -At -d "$1" -c "SELECT c.relname FROM pg_class c WHERE c.relkind = 'r' AND c.relnamespace = 'public'::regnamespace ORDER BY 1" |
    while read -r t; do psql -X -At -d "$1" -c "SELECT '$t', count(*), coalesce(sum(hashtext(x::text)), 0) FROM public.\"$t\" x"; done
}
declare -A WALL CLIENT SERVER
measure() { # name round command...
  local name="$1" round="$2" a b
  shift 2
  a=$(server_cpu)
  /usr/bin/time -f "%e %U %S" -o "$T/time" "$@" >"$T/$name.out" 2>"$T/$name.err" || { cat "$T/$name.err" >&2; exit 1; }
  b=$(server_cpu)
  read -r wall user sys <"$T/time"
  WALL[$name]+="$wall " CLIENT[$name]+="$(echo "$user + $sys" | bc) " SERVER[$name]+="$(echo "$b - $a" | bc) "
  log "round $round $name: ${wall}s, client $(echo "$user + $sys" | bc) CPU-s, server $(echo "$b - $a" | bc) CPU-s"
}

log "capturing $DB: summit-dr backup, postgres_bench capture, pg_dump -Fd -j$JOBS"
export SUMMIT_JOBS="$JOBS" BACKUP_BASE="$T/summit" ENCRYPTION_KEY="bench-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
export SUMMIT_DR_CONFIG="$HERE/config/backup-sets.yaml"
unset S3_PRIMARY_ACCESS_KEY S3_PRIMARY_SECRET_KEY S3_DR_ACCESS_KEY S3_DR_SECRET_KEY AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
mkdir -p "$BACKUP_BASE"
PGDATABASE=$DB "$SUMMIT" backup --set=full --only=postgres >/dev/null 2>"$T/backup.err" || { cat "$T/backup.err" >&2; exit 1; }
ID=$(ls -t "$BACKUP_BASE" | grep -v '^\.' | head -1)
"$PGB" backup "$URL/$DB" "$T/capture" "$JOBS" >/dev/null
pg_dump -Fd -j "$JOBS" -f "$T/dump.fd" -d "$DB"
check "$DB" >"$T/source.check"
psql -X -q -d "$DB" -c CHECKPOINT

# Each restore starts after a CHECKPOINT and its database is checked and dropped right after it,
# so no restore's checkpoint or autovacuum work (pg_restore leaves every table to be vacuumed and
# analyzed) falls into the next tool's measurement.
settle() { psql -X -q -d postgres -c CHECKPOINT; }
done_with() { # db: check against the source, then drop
  if check "$1" | cmp -s - "$T/source.check"; then log "check $1: ok"; else echo "check $1: DIFFERENT" >&2; exit 1; fi
  fresh "$1"
}
for ((r = 1; r <= ROUNDS; r++)); do
  fresh ab_summit
  settle
  DR_PGDATABASE=ab_summit measure summit "$r" "$SUMMIT" restore "$ID" --only=postgres --env=dr_rehearsal --yes
  done_with ab_summit
  fresh ab_engine
  settle
  measure engine "$r" "$PGB" restore "$URL/ab_engine" "$T/capture" "$JOBS"
  done_with ab_engine
  fresh ab_before
  settle
  POSTGRES_BENCH_COPY=text POSTGRES_BENCH_PMW=-1 measure engine_before "$r" "$PGB" restore "$URL/ab_before" "$T/capture" "$JOBS"
  done_with ab_before
  fresh ab_pgrestore
  psql -X -q -d postgres -c "CREATE DATABASE ab_pgrestore"
  settle
  measure pg_restore "$r" pg_restore -j "$JOBS" -d ab_pgrestore "$T/dump.fd"
  done_with ab_pgrestore
done
python3 - "$ROUNDS" <<EOF
import statistics as st, sys
w = {"summit": "${WALL[summit]}", "engine": "${WALL[engine]}", "engine_before": "${WALL[engine_before]}", "pg_restore": "${WALL[pg_restore]}"}
c = {"summit": "${CLIENT[summit]}", "engine": "${CLIENT[engine]}", "engine_before": "${CLIENT[engine_before]}", "pg_restore": "${CLIENT[pg_restore]}"}
s = {"summit": "${SERVER[summit]}", "engine": "${SERVER[engine]}", "engine_before": "${SERVER[engine_before]}", "pg_restore": "${SERVER[pg_restore]}"}
med = lambda d, k: st.median(float(x) for x in d[k].split())
print("| tool | wall s (median) | client CPU-s | server CPU-s | wall / pg_restore | CPU / pg_restore |")
print("|---|---|---|---|---|---|")
for k in w:
    cpu = med(c, k) + med(s, k)
    ref = med(c, "pg_restore") + med(s, "pg_restore")
    print("| %s | %.2f | %.2f | %.2f | %.2f | %.2f |" % (k, med(w, k), med(c, k), med(s, k), med(w, k) / med(w, "pg_restore"), cpu / ref))
print("per round, summit / pg_restore wall:", " ".join("%.2f" % (float(a) / float(b)) for a, b in zip(w["summit"].split(), w["pg_restore"].split())))
EOF
