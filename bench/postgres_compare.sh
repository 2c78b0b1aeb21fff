#!/usr/bin/env bash
# PostgreSQL end to end, one run, one database (issue #4): summit-dr through its real command line
# and repository against pg_dump -Fc, pg_dump -Fd -j N + pg_restore -j N, pgBackRest (full, then
# incremental) and restic fed a pg_dump stream. Reports wall time and peak RSS (/usr/bin/time -v),
# size in the repository, the bytes added by a second backup after a realistic day of changes
# (tests/harness/day2.py), full and row-level incremental (`backup --incremental` every day, in a
# second repository: its day-1 backup is full plus the key lists), the restore of both day-2 backups
# into fresh databases, checks that the restores hold the source's rows, and prints the ratios
# the issue's targets are stated in. Results: bench/postgres_compare.md.
#
#   PGBR=/tmp/pgbench-pgbr; mkdir -p $PGBR; chown postgres: $PGBR
#   SUMMIT_PG_ARCHIVE_COMMAND="pgbackrest --config=$PGBR/pgbackrest.conf --stanza=bench archive-push %p" \
#     eval "$(tests/harness/up.sh --dir /tmp/pgbench-harness --only postgres)"
#   bench/postgres_compare.sh [--size 2048MB] [--jobs 2] [--build build-pgbench] [--reuse-db]
#                             [--no-pgbackrest] [--no-phases] [--keep] [--generate-only]
#
# pgBackRest: the config path and stanza are read from the server's archive_command (so WAL
# archiving really works); the config is written next to it with repo1-path=<that dir>/repo,
# compress-type=zst (level 3), process-max=N, and the stanza created if needed. It runs as the
# postgres user. Without a pgbackrest archive_command, pgBackRest is skipped with a message.
# --reuse-db: use an already generated database $SRC (default summit_cmp_src) instead of
# generating it (the generation command is the same: generate.py --seed 1 --size S --only postgres).
# Restores run last, from the first (day-1) backups, into fresh databases, so their WAL does not
# count in pgBackRest's incremental.
set -Eeuo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SIZE=2048MB JOBS=2 BUILD="$HERE/build-pgbench" REUSE=0 PGBR_ON=1 PHASES=1 KEEP=0 GEN_ONLY=0
SRC="${SRC:-summit_cmp_src}"
while (($#)); do
  case "$1" in
    --size) SIZE="$2"; shift 2 ;;
    --jobs) JOBS="$2"; shift 2 ;;
    --build) BUILD="$2"; shift 2 ;;
    --reuse-db) REUSE=1; shift ;;
    --no-pgbackrest) PGBR_ON=0; shift ;;
    --no-phases) PHASES=0; shift ;;
    --keep) KEEP=1; shift ;;
    --generate-only) GEN_ONLY=1; shift ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "usage: $0 [--size S] [--jobs N] [--build DIR] [--reuse-db] [--no-pgbackrest] [--no-phases] [--keep]" >&2; exit 2 ;;
  esac
done
: "${PGHOST:?run eval \"\$(tests/harness/up.sh --only postgres)\" first}" "${PGPORT:?}" "${PGUSER:?}"
SUMMIT="$BUILD/src/cli/summit-dr"
[[ -x "$SUMMIT" ]] || SUMMIT="$(find "$BUILD" -name summit-dr -type f -perm -u+x 2>/dev/null | head -1)"
[[ -x "$SUMMIT" ]] || ((GEN_ONLY)) || { echo "build it first: ninja -C $BUILD summit-dr postgres_bench" >&2; exit 1; }
PGB="$BUILD/bench/postgres_bench"
for tool in pg_dump pg_restore vacuumdb restic /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install restic time postgresql-client-15)" >&2; exit 1; }
done

T="$(mktemp -d /tmp/summit-pgcompare-XXXXXX)"
chmod 755 "$T"
cleanup() {
  local rc=$?
  if ((KEEP)); then echo "kept $T" >&2; else rm -rf "$T"; fi
  exit $rc
}
trap cleanup EXIT
R_SUMMIT=summit_cmp_r_summit R_PG=summit_cmp_r_pgrestore R_PHASES=summit_cmp_r_phases
R_DAY2=summit_cmp_r_day2 R_INCR=summit_cmp_r_incr
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -d postgres)
q() { psql -X -At -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }
dropdb_() { "${PSQL[@]}" -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)"; }
log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
load1() { cut -d' ' -f1-3 /proc/loadavg; }
for d in $R_SUMMIT $R_PG $R_PHASES $R_DAY2 $R_INCR; do dropdb_ $d; done
# The binary's age is not known here: note the checkout's commit and state at the start.
BUILT="$(git -C "$HERE" rev-parse --short HEAD)$(git -C "$HERE" diff --quiet HEAD -- src || echo ' + uncommitted src changes'); binary from $(date -u -r "$SUMMIT" +%H:%M:%SZ 2>/dev/null || echo "?")"

# ---- the database ---------------------------------------------------------------------------------
GEN_CMD="generate.py --seed 1 --size $SIZE --only postgres --jobs $JOBS"
if ((REUSE)); then
  [[ "$(q postgres "SELECT count(*) FROM pg_database WHERE datname = '$SRC'")" == 1 ]] ||
    { echo "--reuse-db: database $SRC does not exist" >&2; exit 1; }
  log "reusing database $SRC (made by $GEN_CMD)"
else
  dropdb_ $SRC
  "${PSQL[@]}" -c "CREATE DATABASE $SRC"
  log "generating: $GEN_CMD into $SRC"
  # generate.py's analytics_traces time, i::bigint * (90 days in us) / n, overflows bigint from
  # about 790 MB (1.19 M traces): the same value is computed with div() on numeric here, so the
  # rows are those generate.py means to make, at any size (until generate.py itself is fixed).
  PGDATABASE=$SRC python3 - "$HERE/tests/harness" --seed 1 --size "$SIZE" --only postgres --jobs "$JOBS" >"$T/generate.json" <<'EOF'
import sys
sys.path.insert(0, sys.argv[1])
import generate as g
orig = g.sql_analytics_traces
def traces(p):
    sql = orig(p)
    bad = "(i::bigint * %d / %d) * interval" % (90 * 86400 * 10 ** 6, p.n_traces + 1)
    return sql.replace(bad, "div(i::numeric * %d, %d)::bigint * interval" % (90 * 86400 * 10 ** 6, p.n_traces + 1))
g.PG_SQL_GENERATORS["analytics_traces"] = traces
sys.argv = ["generate.py"] + sys.argv[2:]
g.main()
EOF
  if ((GEN_ONLY)); then cat "$T/generate.json"; exit 0; fi
fi
# Hint bits and the visibility map set once, so no tool below pays for the generator's writes.
log "VACUUM ANALYZE, CHECKPOINT"
psql -X -q -d $SRC -c "VACUUM ANALYZE" -c "CHECKPOINT"
DBSIZE=$(q $SRC "SELECT pg_database_size(current_database())")
TABLES=$(q $SRC "SELECT string_agg(quote_ident(relname), ' ' ORDER BY relname) FROM pg_stat_user_tables WHERE schemaname = 'public'")

# counts DB: "table rows fingerprint" per table (fingerprint = sum of hashtext of every row's text).
counts() {
  local db="$1" sql="" t
  for t in $TABLES; do
    sql+="SELECT '$t', count(*), coalesce(sum(hashtext(x::text)::bigint), 0) FROM $t x UNION ALL "
  done
  sql+="SELECT 'large_objects', count(*), 0 FROM pg_largeobject_metadata"
  q "$db" "$sql" | tr '|' ' '
}
log "counting rows and fingerprints of $SRC (day 1)"
counts $SRC >"$T/counts.day1"
ROWS1=$(awk '{s += $2} END {print s}' "$T/counts.day1")

# ---- measuring -------------------------------------------------------------------------------------
declare -A WALL RSS LOAD
measure() { # LABEL CMD...: WALL[LABEL] seconds, RSS[LABEL] KiB (largest process of the tree)
  local label="$1"; shift
  sync
  LOAD[$label]="$(load1)"
  log "run $label (load $(load1))"
  if ! /usr/bin/time -v "$@" >"$T/$label.out" 2>"$T/$label.time"; then
    tail -n 40 "$T/$label.time" >&2; echo "FAILED: $label" >&2; exit 1
  fi
  WALL[$label]=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$T/$label.time")
  RSS[$label]=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$T/$label.time")
  log "  $label: ${WALL[$label]} s, $((RSS[$label] / 1024)) MiB"
}
size() { du -sb "$1" | cut -f1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
declare -A SIZE_ ADDED

# ---- pgBackRest: stanza from the server's archive_command -----------------------------------------
if ((PGBR_ON)); then
  AC="$(q postgres "SHOW archive_command")"
  PGBR_CONF="$(sed -n 's/.*--config[= ]\([^ ]*\).*/\1/p' <<<"$AC")"
  STANZA="$(sed -n 's/.*--stanza[= ]\([^ ]*\).*/\1/p' <<<"$AC")"
  if [[ "$AC" != *pgbackrest* || -z "$PGBR_CONF" || -z "$STANZA" ]] || ! command -v pgbackrest >/dev/null; then
    log "pgBackRest skipped: archive_command is '$AC' (start the harness with SUMMIT_PG_ARCHIVE_COMMAND='pgbackrest --config=DIR/pgbackrest.conf --stanza=bench archive-push %p')"
    PGBR_ON=0
  fi
fi
if ((PGBR_ON)); then
  PGBR_DIR="$(dirname "$PGBR_CONF")"
  mkdir -p "$PGBR_DIR/log" "$PGBR_DIR/lock"
  cat >"$PGBR_CONF" <<EOF
[global]
repo1-path=$PGBR_DIR/repo
repo1-retention-full=2
compress-type=zst
compress-level=3
process-max=$JOBS
start-fast=y
archive-check=y
log-path=$PGBR_DIR/log
lock-path=$PGBR_DIR/lock
log-level-console=warn
log-level-file=info

[$STANZA]
pg1-path=${HARNESS_PGDATA:?HARNESS_PGDATA is exported by up.sh}
pg1-port=$PGPORT
pg1-socket-path=$(dirname "$HARNESS_PGDATA")/run
pg1-user=postgres
EOF
  chown -R postgres:postgres "$PGBR_DIR"
  PGBR=(runuser -u postgres -- pgbackrest "--config=$PGBR_CONF" "--stanza=$STANZA")
  "${PGBR[@]}" stanza-create
  "${PGBR[@]}" check
  pgbr_backup_delta() { # the repository bytes of the newest backup (pgbackrest info)
    "${PGBR[@]}" info --output=json | python3 -c 'import json,sys; b=json.load(sys.stdin)[0]["backup"][-1]; print(b["info"]["repository"]["delta"], b["label"])'
  }
  ARCH0=$(size "$PGBR_DIR/repo/archive")
  measure pgbr_full "${PGBR[@]}" backup --type=full
  read -r SIZE_[pgbr_full] PGBR_FULL_LABEL < <(pgbr_backup_delta)
  ARCH1=$(size "$PGBR_DIR/repo/archive")
  WAL_FULL=$((ARCH1 - ARCH0))
fi

# ---- pg_dump -Fc, pg_dump -Fd -j N -------------------------------------------------------------------
measure pgdump_fc pg_dump -Fc -f "$T/dump.fc" -d $SRC
SIZE_[pgdump_fc]=$(size "$T/dump.fc")
measure pgdump_fd pg_dump -Fd -j "$JOBS" -f "$T/dump.fd" -d $SRC
SIZE_[pgdump_fd]=$(size "$T/dump.fd")

# ---- summit-dr through its command line and repository ----------------------------------------------
export BACKUP_BASE="$T/summit" ENCRYPTION_KEY="bench-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
export SUMMIT_DR_CONFIG="$HERE/config/backup-sets.yaml"
unset S3_PRIMARY_ACCESS_KEY S3_PRIMARY_SECRET_KEY S3_DR_ACCESS_KEY S3_DR_SECRET_KEY AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
mkdir -p "$BACKUP_BASE"
newest_id() { ls -t "$BACKUP_BASE" | grep -v '^\.' | head -1; }
PGDATABASE=$SRC measure summit_backup "$SUMMIT" backup --set=full --only=postgres
ID1=$(newest_id)
SIZE_[summit_backup]=$(size "$BACKUP_BASE/.repository")
# The same day 1 taken as an operator running `--incremental` every day would: a full capture
# (no base yet) that also stores every table's key list, in a repository of its own.
INCR_BASE="$T/summit-incr"
mkdir -p "$INCR_BASE"
BACKUP_BASE="$INCR_BASE" PGDATABASE=$SRC measure summit_incr1 "$SUMMIT" backup --set=full --only=postgres --incremental
SIZE_[summit_incr1]=$(size "$INCR_BASE/.repository")

# ---- restic fed a pg_dump stream ----------------------------------------------------------------------
export RESTIC_REPOSITORY="$T/restic" RESTIC_PASSWORD="bench" RESTIC_CACHE_DIR="$T/restic-cache"
restic init -q >/dev/null
RESTIC_DUMP="pg_dump -Fp -d $SRC | restic backup -q --stdin --stdin-filename summit.sql"
measure restic_day1 bash -o pipefail -c "$RESTIC_DUMP"
SIZE_[restic_day1]=$(size "$RESTIC_REPOSITORY")

# ---- day 2 ----------------------------------------------------------------------------------------------
log "day2.py: a realistic day of changes on $SRC"
PGDATABASE=$SRC python3 "$HERE/tests/harness/day2.py" --seed 1 --day 1 >"$T/day2.json"
psql -X -q -d $SRC -c "CHECKPOINT"

S0=$(size "$BACKUP_BASE/.repository")
PGDATABASE=$SRC measure summit_day2 "$SUMMIT" backup --set=full --only=postgres
ID2=$(newest_id)
ADDED[summit_day2]=$(($(size "$BACKUP_BASE/.repository") - S0))

S0=$(size "$INCR_BASE/.repository")
BACKUP_BASE="$INCR_BASE" PGDATABASE=$SRC measure summit_incr2 "$SUMMIT" --json backup --set=full --only=postgres --incremental
ID2I=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$T/summit_incr2.out")
INCR_INFO=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["incremental"])' "$T/summit_incr2.out")
ADDED[summit_incr2]=$(($(size "$INCR_BASE/.repository") - S0))

R0=$(size "$RESTIC_REPOSITORY")
measure restic_day2 bash -o pipefail -c "$RESTIC_DUMP"
ADDED[restic_day2]=$(($(size "$RESTIC_REPOSITORY") - R0))

if ((PGBR_ON)); then
  measure pgbr_incr "${PGBR[@]}" backup --type=incr
  read -r ADDED[pgbr_incr] PGBR_INCR_LABEL < <(pgbr_backup_delta)
  ARCH2=$(size "$PGBR_DIR/repo/archive")
  WAL_DAY2=$((ARCH2 - ARCH1))
  PGBR_REPO=$(size "$PGBR_DIR/repo")
fi

# ---- restores of the day-1 backups into fresh databases, then their rows against the source's -----
DR_PGDATABASE=$R_SUMMIT measure summit_restore "$SUMMIT" restore "$ID1" --only=postgres --env=dr_rehearsal --yes
"${PSQL[@]}" -c "CREATE DATABASE $R_PG"
measure pgrestore_j pg_restore -j "$JOBS" -d $R_PG "$T/dump.fd"
measure pg_analyze vacuumdb --analyze-only -j "$JOBS" -d $R_PG
measure summit_verify "$SUMMIT" verify "$ID1"
# The day-2 state restored from the full day-2 backup and from the incremental one.
log "counting rows and fingerprints of $SRC (day 2)"
counts $SRC >"$T/counts.day2"
DR_PGDATABASE=$R_DAY2 measure summit_restore_day2 "$SUMMIT" restore "$ID2" --only=postgres --env=dr_rehearsal --yes
BACKUP_BASE="$INCR_BASE" DR_PGDATABASE=$R_INCR measure summit_restore_incr "$SUMMIT" restore "$ID2I" --only=postgres --env=dr_rehearsal --yes

log "counting rows and fingerprints of the restored databases"
counts $R_SUMMIT >"$T/counts.summit"
counts $R_PG >"$T/counts.pgrestore"
check_counts() { # COUNTS NAME [SOURCE COUNTS]
  if diff "${3:-$T/counts.day1}" "$1" >"$T/diff.$2"; then echo "equal to the source ($(wc -l <"$1") tables + large objects; rows and fingerprints)"
  else echo "DIFFERENT from the source:"; sed 's/^/    /' "$T/diff.$2"; fi
}
OK_SUMMIT="$(check_counts "$T/counts.summit" summit)"
OK_PG="$(check_counts "$T/counts.pgrestore" pgrestore)"
counts $R_DAY2 >"$T/counts.r_day2"
counts $R_INCR >"$T/counts.r_incr"
OK_DAY2="$(check_counts "$T/counts.r_day2" day2 "$T/counts.day2")"
OK_INCR="$(check_counts "$T/counts.r_incr" incr "$T/counts.day2")"
STATS_SUMMIT=$(q $R_SUMMIT "SELECT count(*) FROM pg_stats WHERE schemaname = 'public'")
STATS_PG=$(q $R_PG "SELECT count(*) FROM pg_stats WHERE schemaname = 'public'")

# ---- where summit's restore spends its time: the same engine through bench/postgres_bench ---------
PHASE_JSON=""
if ((PHASES)) && [[ -x "$PGB" ]]; then
  URL="postgresql://$PGUSER@$PGHOST:$PGPORT"
  measure phases_capture "$PGB" backup "$URL/$SRC" "$T/capture" "$JOBS"
  measure phases_restore "$PGB" restore "$URL/$R_PHASES" "$T/capture" "$JOBS"
  PHASE_JSON="$(tail -n 1 "$T/phases_restore.out")"
fi

# ---- report -----------------------------------------------------------------------------------------------
mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
echo
echo "## postgres_compare: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, load average now $(load1)"
echo "database $SRC: $GEN_CMD -> $(mib "$DBSIZE") MiB on disk, $ROWS1 rows; jobs $JOBS"
echo "$("$SUMMIT" --version 2>/dev/null | head -1); checkout at start: $BUILT"
echo "day 2: $(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("appended", d["appended"], "updated", {k: v for k, v in d["updated"].items() if not k.endswith("_of")}, "deleted", d["deleted"])' "$T/day2.json")"
echo
echo "| run | wall s | peak RSS MiB | stored MiB | day-2 added MiB | load (1/5/15) at start |"
echo "|---|---|---|---|---|---|"
row() { # label name stored added
  printf '| %s | %s | %s | %s | %s | %s |\n' "$2" "${WALL[$1]}" "$((RSS[$1] / 1024))" "${3:--}" "${4:--}" "${LOAD[$1]}"
}
row summit_backup "summit-dr backup (day 1)" "$(mib "${SIZE_[summit_backup]}")"
row summit_day2 "summit-dr backup (day 2)" "" "$(mib "${ADDED[summit_day2]}")"
row summit_incr1 "summit-dr backup --incremental (day 1: full + key lists)" "$(mib "${SIZE_[summit_incr1]}")"
row summit_incr2 "summit-dr backup --incremental (day 2, on day 1)" "" "$(mib "${ADDED[summit_incr2]}")"
row pgdump_fc "pg_dump -Fc" "$(mib "${SIZE_[pgdump_fc]}")"
row pgdump_fd "pg_dump -Fd -j$JOBS" "$(mib "${SIZE_[pgdump_fd]}")"
if ((PGBR_ON)); then
  row pgbr_full "pgBackRest full (zst-3, process-max=$JOBS)" "$(mib "${SIZE_[pgbr_full]}") (+ $(mib "$WAL_FULL") WAL)"
  row pgbr_incr "pgBackRest incr (day 2)" "" "$(mib "${ADDED[pgbr_incr]}") (+ $(mib "$WAL_DAY2") WAL since full)"
fi
row restic_day1 "pg_dump -Fp \| restic (day 1)" "$(mib "${SIZE_[restic_day1]}")"
row restic_day2 "pg_dump -Fp \| restic (day 2)" "" "$(mib "${ADDED[restic_day2]}")"
row summit_restore "summit-dr restore (incl. ANALYZE)"
row pgrestore_j "pg_restore -j$JOBS"
row pg_analyze "vacuumdb --analyze-only -j$JOBS"
row summit_verify "summit-dr verify"
row summit_restore_day2 "summit-dr restore of the full day-2 backup"
row summit_restore_incr "summit-dr restore of the incremental day-2 backup"
if [[ -n "$PHASE_JSON" ]]; then
  row phases_capture "postgres_bench backup (engine, no repository)"
  row phases_restore "postgres_bench restore (engine, phases below)"
fi
echo
pass() { awk -v a="$1" -v t="$2" 'BEGIN { print (a <= t ? "met" : "NOT met") }'; }
RB=$(ratio "${WALL[summit_backup]}" "${WALL[pgdump_fc]}")
RR=$(ratio "${WALL[summit_restore]}" "${WALL[pgrestore_j]}")
RRA=$(ratio "${WALL[summit_restore]}" "$(awk -v a="${WALL[pgrestore_j]}" -v b="${WALL[pg_analyze]}" 'BEGIN{print a+b}')")
RD=$(ratio "${ADDED[summit_day2]}" "${ADDED[restic_day2]}")
echo "backup wall, summit-dr / pg_dump -Fc: $RB (target <= 0.5: $(pass "$RB" 0.5)); / pg_dump -Fd -j$JOBS: $(ratio "${WALL[summit_backup]}" "${WALL[pgdump_fd]}")"
echo "restore wall, summit-dr / pg_restore -j$JOBS: $RR (target <= 0.8: $(pass "$RR" 0.8)); / (pg_restore -j$JOBS + vacuumdb --analyze-only -j$JOBS): $RRA ($(pass "$RRA" 0.8) with ANALYZE on both sides)"
echo "day-2 added bytes, summit-dr / restic: $RD (target <= 0.25: $(pass "$RD" 0.25))"
RI=$(ratio "${ADDED[summit_incr2]}" "${ADDED[restic_day2]}")
echo "day-2 added bytes, summit-dr --incremental / restic: $RI (target <= 0.25: $(pass "$RI" 0.25)); / summit-dr full day 2: $(ratio "${ADDED[summit_incr2]}" "${ADDED[summit_day2]}")"
echo "days 1 + 2 stored, summit-dr --incremental / restic: $(ratio $((SIZE_[summit_incr1] + ADDED[summit_incr2])) $((SIZE_[restic_day1] + ADDED[restic_day2]))); summit-dr full both days / restic: $(ratio $((SIZE_[summit_backup] + ADDED[summit_day2])) $((SIZE_[restic_day1] + ADDED[restic_day2])))"
echo "day-2 backup wall, incremental / full: $(ratio "${WALL[summit_incr2]}" "${WALL[summit_day2]}"); restore wall of the day-2 state, incremental / full: $(ratio "${WALL[summit_restore_incr]}" "${WALL[summit_restore_day2]}")"
echo "incremental day 2: $ID2I, $INCR_INFO"
echo "restore check, full day 2 ($ID2 -> $R_DAY2): $OK_DAY2"
echo "restore check, incremental day 2 ($ID2I -> $R_INCR): $OK_INCR"
if ((PGBR_ON)); then
  RP=$(ratio "${ADDED[summit_day2]}" "${ADDED[pgbr_incr]}")
  echo "day-2 added bytes, summit-dr / pgBackRest incr: $RP (target <= 1: $(pass "$RP" 1)); with the WAL archived since the full: $(ratio "${ADDED[summit_day2]}" $((ADDED[pgbr_incr] + WAL_DAY2)))"
  echo "pgBackRest repository now $(mib "$PGBR_REPO") MiB (backups $PGBR_FULL_LABEL, $PGBR_INCR_LABEL; archive $(mib "$ARCH2") MiB incl. the generator's WAL)"
fi
PEAK=$(printf '%s\n' "${RSS[summit_backup]}" "${RSS[summit_day2]}" "${RSS[summit_incr1]}" "${RSS[summit_incr2]}" "${RSS[summit_restore]}" \
  "${RSS[summit_restore_day2]}" "${RSS[summit_restore_incr]}" "${RSS[summit_verify]}" | sort -n | tail -1)
echo "summit-dr peak RSS (backups full and incremental, restores, verify): $((PEAK / 1024)) MiB (target < 300: $(awk -v a="$PEAK" 'BEGIN { print (a < 300 * 1024 ? "met" : "NOT met") }'))"
echo "storage, day 1: summit-dr $(mib "${SIZE_[summit_backup]}") MiB, pg_dump -Fc $(mib "${SIZE_[pgdump_fc]}") MiB, restic $(mib "${SIZE_[restic_day1]}") MiB$( ((PGBR_ON)) && echo ", pgBackRest $(mib "${SIZE_[pgbr_full]}") MiB")"
echo "restore check, summit-dr ($ID1 -> $R_SUMMIT): $OK_SUMMIT; pg_stats rows $STATS_SUMMIT"
echo "restore check, pg_restore -j$JOBS ($R_PG): $OK_PG; pg_stats rows $STATS_PG (after vacuumdb)"
echo "summit-dr verify $ID1: exit 0 ($(grep -c . "$T/summit_verify.out" || true) lines of output)"
if [[ -n "$PHASE_JSON" ]]; then
  echo "$PHASE_JSON" >"$T/phases.json"
  python3 - "$T/phases.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
print("engine restore (bench/postgres_bench restore, same code as the CLI's): %.1f s, phases: %s" % (
    d["seconds"], ", ".join("%s %.1f s" % (k, v) for k, v in d["phases"].items())))
steps = d.get("steps", [])
if steps:
    busy = {}
    for name, start, secs, conn in steps:
        kind = name.split(" ")[0] if not name.startswith("validating") else "validating"
        busy[kind] = busy.get(kind, 0) + secs
    print("  connection-seconds by kind: " + ", ".join("%s %.1f" % kv for kv in sorted(busy.items(), key=lambda kv: -kv[1])))
    print("  longest steps (name: start +duration s, connection):")
    for name, start, secs, conn in sorted(steps, key=lambda s: -s[2])[:12]:
        print("    %-60s %7.1f +%6.1f  c%d" % (name, start, secs, conn))
EOF
fi
echo "summit-dr day-2 backup: $ID2"
if ((KEEP == 0)); then for d in $R_SUMMIT $R_PG $R_PHASES $R_DAY2 $R_INCR; do dropdb_ $d; done; fi
