#!/usr/bin/env bash
# End-to-end repository comparison on the same bytes (issue #3): summit-dr's repository
# pipeline against restic and borg (Debian's packages), on a generated multi-GB COPY-text dump
# (day 1) and the same table after a realistic day of changes (day 2).
#
#   bench/repo_vs_restic.sh [--mb N] [--rounds R] [--work DIR] [--build DIR] [--tools "..."]
#                           [--memory "1024 8192"] [--no-drop-caches] [--keep]
#
#   --mb N        size of the day-1 dump in MB (default 2048); day 2 is ~0.5 % larger
#   --rounds R    repeat the whole comparison R times, rotating the tool order each round
#                 (default 2); the summary takes the median per tool
#   --work DIR    scratch directory (default /tmp/summit-vs-restic); needs ~3.5 x N MB
#   --build DIR   build directory holding bench/repo_bench (default build)
#   --tools LIST  any of: summit restic borg borg-lz4 (default all four)
#   --memory LIST also run the memory test: for each size (MB), summit-dr backup of a generated
#                 stream piped from `repo_bench gen` (no file) and its restore, with peak RSS
#   --no-drop-caches  do not drop the page cache before each timed step
#   --first-round N   number the rounds from N and append to an existing results.tsv (to add
#                 rounds from another invocation); --summary-only: print the summary of
#                 $WORK/results.tsv and exit
#
# For every tool and round: a fresh repository; backup of day 1 (wall time, MB/s, cores =
# (user+sys)/wall, peak RSS from /usr/bin/time); backup of day 2 (wall time, bytes added to the
# repository directory, measured with du); restore of the day-2 snapshot to a file (MB/s), whose
# sha256 must equal the day-2 input's. The page cache is dropped before each step (all tools
# alike). Settings of each tool (all encrypted, all compressed, all fsync their data):
#   summit  bench/repo_bench stream: repo::Repository + SnapshotWriter/Reader over
#           storage::LocalBackend with the CLI's settings from config/backup-sets.yaml (FastCDC
#           16/64/256 KiB, zstd level 1 (3 before 2026-11-24), 'jobs' workers, Argon2id key
#           file), AES-256-GCM, HMAC-SHA-256 chunk ids; restore authenticates every chunk and
#           checks the stream's XXH3-128 (its SHA-256 for snapshots older than that field; see
#           docs/repository-format.md, "Integrity"), writing the output straight from the
#           decoded runs.
#   restic  restic backup --stdin (repository version 2, default compression 'auto' = zstd
#           "default" level, about zstd 3), Rabin chunks 512 KiB..8 MiB (1 MiB average),
#           AES-256-CTR + Poly1305, SHA-256 ids; restore = `restic restore` (parallel) and also
#           `restic dump` (sequential; reported, the faster one is compared).
#   borg    borg 1.2 create from stdin, `repokey` (AES-256-CTR + HMAC-SHA-256; chosen over
#           repokey-blake2 because this CPU has SHA-NI), buzhash chunks 512 KiB..8 MiB (2 MiB
#           target), --compression zstd,3 ('borg'), or borg's default lz4 ('borg-lz4');
#           single-threaded by design; restore = borg extract --stdout.
set -euo pipefail

MB=2048
ROUNDS=2
WORK=/tmp/summit-vs-restic
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$ROOT/build
TOOLS="summit restic borg borg-lz4"
MEMORY=""
DROP=1
KEEP=0
FIRST=1
SUMMARY_ONLY=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --mb) MB=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    --build) BUILD=$2; shift 2 ;;
    --tools) TOOLS=$2; shift 2 ;;
    --memory) MEMORY=$2; shift 2 ;;
    --no-drop-caches) DROP=0; shift ;;
    --keep) KEEP=1; shift ;;
    --first-round) FIRST=$2; shift 2 ;;
    --summary-only) SUMMARY_ONLY=1; shift ;;
    -h|--help) sed -n '2,41p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
case "$BUILD" in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
BENCH=$BUILD/bench/repo_bench
[[ -x $BENCH ]] || { echo "missing $BENCH: ninja -C $BUILD repo_bench" >&2; exit 1; }

need_pkg() {  # command package
  command -v "$1" >/dev/null 2>&1 && return 0
  echo "installing $2 ..." >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" >/dev/null ||
    { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" >/dev/null; }
}
if [[ $SUMMARY_ONLY == 0 ]]; then
need_pkg restic restic
need_pkg borg borgbackup
[[ -x /usr/bin/time ]] || need_pkg /usr/bin/time time

mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
DAY1=$WORK/day1.copy
DAY2=$WORK/day2.copy
RESULTS=$WORK/results.tsv
export SUMMIT_DR_CONFIG=${SUMMIT_DR_CONFIG:-$ROOT/config/backup-sets.yaml}
export ENCRYPTION_KEY=${ENCRYPTION_KEY:-bench-password-$$}
export RESTIC_PASSWORD=$ENCRYPTION_KEY
export BORG_PASSPHRASE=$ENCRYPTION_KEY
export BORG_DISPLAY_PASSPHRASE=no
export BORG_RELOCATED_REPO_ACCESS_IS_OK=yes
export BORG_CHECK_I_KNOW_WHAT_I_AM_DOING=YES

log() { echo "[$(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)] $*" >&2; }

drop_caches() {
  sync
  if [[ $DROP == 1 ]]; then echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true; fi
}

# --- inputs ------------------------------------------------------------------------------------
gen() {  # day file
  local stamp=$2.mb$MB
  if [[ -f $2 && -f $stamp ]]; then return; fi
  rm -f "$2" "$stamp"
  log "generating day-$1 dump ($MB MB) into $2"
  "$BENCH" gen --mb "$MB" --day "$1" -o "$2"
  sha256sum "$2" | cut -d' ' -f1 > "$stamp"
}
gen 1 "$DAY1"
gen 2 "$DAY2"
SIZE1=$(stat -c %s "$DAY1"); SIZE2=$(stat -c %s "$DAY2")
SHA2=$(cat "$DAY2.mb$MB")
log "day 1: $SIZE1 bytes, day 2: $SIZE2 bytes (sha256 $SHA2)"

# --- one timed step ----------------------------------------------------------------------------
# timed NAME cmd...: runs under /usr/bin/time; sets WALL USER SYS RSSKB; output of the command
# goes to $WORK/NAME.log.
timed() {
  local name=$1; shift
  drop_caches
  /usr/bin/time -o "$WORK/$name.time" -f '%e %U %S %M' "$@" > "$WORK/$name.log" 2>&1 || {
    echo "FAILED: $*" >&2; cat "$WORK/$name.log" >&2; return 1; }
  read -r WALL USER SYS RSSKB < <(tail -1 "$WORK/$name.time")
}
timed_sh() { local name=$1; shift; timed "$name" bash -c "$*"; }
dus() { du -sb "$1" | cut -f1; }
record() {  # round tool phase bytes_in bytes_added sha_ok
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$WALL" "$USER" "$SYS" "$RSSKB" \
    "$4" "$5" "$6" "$(cut -d' ' -f1 /proc/loadavg)" "$(date -u +%H:%M:%S)" >> "$RESULTS"
  log "$2 $3: ${WALL}s cpu $(awk -v u="$USER" -v s="$SYS" -v w="$WALL" 'BEGIN{printf "%.2f", (u+s)/w}') cores, rss $((RSSKB / 1024)) MiB, added $5, sha $6"
}
check_out() {  # file -> ok|BAD
  local got; got=$(sha256sum "$1" | cut -d' ' -f1); rm -f "$1"
  [[ $got == "$SHA2" ]] && echo ok || echo BAD
}

run_tool() {  # round tool
  local r=$1 t=$2 repo=$WORK/repo-$2 out=$WORK/restored.copy before
  rm -rf "$repo" "$WORK/home-$t" "$out" "$WORK/restore-dir"
  mkdir -p "$WORK/home-$t"
  case $t in
    summit)
      timed "$t-b1" "$BENCH" stream backup --repo "$repo" --in "$DAY1" --id day1
      record "$r" "$t" backup1 "$SIZE1" "$(dus "$repo")" -
      before=$(dus "$repo")
      timed "$t-b2" "$BENCH" stream backup --repo "$repo" --in "$DAY2" --id day2
      record "$r" "$t" backup2 "$SIZE2" $(( $(dus "$repo") - before )) -
      timed "$t-r" "$BENCH" stream restore --repo "$repo" --out "$out" --id day2
      record "$r" "$t" restore "$SIZE2" - "$(check_out "$out")"
      ;;
    restic)
      export RESTIC_CACHE_DIR=$WORK/home-$t/cache
      restic -r "$repo" init -q >/dev/null
      timed_sh "$t-b1" "restic -r '$repo' backup -q --host bench --stdin --stdin-filename users.copy < '$DAY1'"
      record "$r" "$t" backup1 "$SIZE1" "$(dus "$repo")" -
      before=$(dus "$repo")
      timed_sh "$t-b2" "restic -r '$repo' backup -q --host bench --stdin --stdin-filename users.copy < '$DAY2'"
      record "$r" "$t" backup2 "$SIZE2" $(( $(dus "$repo") - before )) -
      timed "$t-r" restic -r "$repo" restore -q latest --target "$WORK/restore-dir"
      record "$r" "$t" restore "$SIZE2" - "$(check_out "$WORK/restore-dir/users.copy")"
      timed_sh "$t-dump" "restic -r '$repo' dump -q latest /users.copy > '$out'"
      record "$r" "$t" dump "$SIZE2" - "$(check_out "$out")"
      ;;
    borg|borg-lz4)
      local comp=zstd,3; [[ $t == borg-lz4 ]] && comp=lz4
      export BORG_BASE_DIR=$WORK/home-$t
      borg init -e repokey "$repo" >/dev/null 2>&1
      timed_sh "$t-b1" "borg create --compression $comp --stdin-name users.copy '$repo::day1' - < '$DAY1'"
      record "$r" "$t" backup1 "$SIZE1" "$(dus "$repo")" -
      before=$(dus "$repo")
      timed_sh "$t-b2" "borg create --compression $comp --stdin-name users.copy '$repo::day2' - < '$DAY2'"
      record "$r" "$t" backup2 "$SIZE2" $(( $(dus "$repo") - before )) -
      timed_sh "$t-r" "borg extract --stdout '$repo::day2' > '$out'"
      record "$r" "$t" restore "$SIZE2" - "$(check_out "$out")"
      ;;
    *) echo "unknown tool $t" >&2; return 1 ;;
  esac
  [[ $KEEP == 1 ]] || rm -rf "$repo" "$WORK/home-$t" "$WORK/restore-dir"
}

if [[ $FIRST == 1 || ! -f $RESULTS ]]; then
  printf 'round\ttool\tphase\twall_s\tuser_s\tsys_s\tmaxrss_kb\tbytes_in\tbytes_added\tsha\tload1\ttime\n' > "$RESULTS"
fi
log "start: $(nproc) cores, $(uname -r), restic $(restic version | cut -d' ' -f2), $(borg --version)"
read -r -a tools <<< "$TOOLS"
for ((r = FIRST; r < FIRST + ROUNDS; r++)); do
  n=${#tools[@]}
  for ((i = 0; i < n; i++)); do
    t=${tools[$(( (i + r - 1) % n ))]}
    log "round $r: $t"
    run_tool "$r" "$t"
  done
done

# --- memory: peak RSS at several input sizes, input streamed from the generator ---------------
# Numbers come from repo_bench's own report (getrusage of the backup/restore process only, not
# the generator feeding it).
mem_record() {  # phase logfile
  local line; line=$(grep -E '^(backup|restore) bytes=' "$2" | tail -1)
  local bytes secs cores rss
  bytes=$(sed -E 's/.*bytes=([0-9]+).*/\1/' <<< "$line"); secs=$(sed -E 's/.*seconds=([0-9.]+).*/\1/' <<< "$line")
  cores=$(sed -E 's/.*cores=([0-9.]+).*/\1/' <<< "$line"); rss=$(sed -E 's/.*peak_rss_mib=([0-9]+).*/\1/' <<< "$line")
  WALL=$secs; USER=$(awk -v c="$cores" -v s="$secs" 'BEGIN{printf "%.2f", c*s}'); SYS=0; RSSKB=$((rss * 1024))
  record mem summit "$1" "$bytes" - verified
}
if [[ -n $MEMORY ]]; then
  for m in $MEMORY; do
    repo=$WORK/repo-mem
    rm -rf "$repo"
    log "memory run: $m MB generated and piped into summit-dr backup"
    drop_caches
    "$BENCH" gen --mb "$m" --day 1 -o - 2>/dev/null | "$BENCH" stream backup --repo "$repo" --in - --id mem 2> "$WORK/mem-$m-b.log"
    mem_record "mem-backup-$m" "$WORK/mem-$m-b.log"
    drop_caches
    "$BENCH" stream restore --repo "$repo" --out /dev/null --id mem 2> "$WORK/mem-$m-r.log"
    mem_record "mem-restore-$m" "$WORK/mem-$m-r.log"
    rm -rf "$repo"
  done
fi

fi  # SUMMARY_ONLY
RESULTS=${RESULTS:-$WORK/results.tsv}

# --- summary -----------------------------------------------------------------------------------
python3 - "$RESULTS" "$MB" <<'EOF'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
def med(tool, phase, key):
    v = [float(r[key]) for r in rows if r["tool"] == tool and r["phase"] == phase and r[key] not in ("-", "")]
    return statistics.median(v) if v else None
def cores(tool, phase):
    v = [(float(r["user_s"]) + float(r["sys_s"])) / float(r["wall_s"]) for r in rows if r["tool"] == tool and r["phase"] == phase]
    return statistics.median(v) if v else None
def mbps(tool, phase):
    w, b = med(tool, phase, "wall_s"), med(tool, phase, "bytes_in")
    return b / 1e6 / w if w else None
tools = []
for r in rows:
    if r["round"] != "mem" and r["tool"] not in tools: tools.append(r["tool"])
loads = [float(r["load1"]) for r in rows]
print(f"\n{sys.argv[2]} MB day-1 dump; {len(set(r['round'] for r in rows if r['round'] != 'mem'))} round(s), medians; "
      f"load average during the runs {min(loads):.1f}-{max(loads):.1f}\n")
def cpu_per_gb(tool, phase):
    v = [(float(r["user_s"]) + float(r["sys_s"])) / (float(r["bytes_in"]) / 1e9) for r in rows if r["tool"] == tool and r["phase"] == phase]
    return statistics.median(v) if v else None
print("| tool | backup 1: s | MB/s | cores | CPU s/GB | peak RSS MiB | repo MB | backup 2: s | added MB | restore: s | MB/s | cores | CPU s/GB | RSS MiB | sha256 |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
best_restore = {}
for t in tools:
    for rphase in (["restore", "dump"] if t == "restic" else ["restore"]):
        if med(t, rphase, "wall_s") is None: continue
        ok = all(r["sha"] == "ok" for r in rows if r["tool"] == t and r["phase"] == rphase)
        label = t if rphase == "restore" else t + " (dump)"
        b1 = "| {:.1f} | {:.0f} | {:.2f} | {:.1f} | {:.0f} | {:.0f} | {:.1f} | {:.1f} ".format(
            med(t, "backup1", "wall_s"), mbps(t, "backup1"), cores(t, "backup1"), cpu_per_gb(t, "backup1"),
            med(t, "backup1", "maxrss_kb") / 1024,
            med(t, "backup1", "bytes_added") / 1e6, med(t, "backup2", "wall_s"), med(t, "backup2", "bytes_added") / 1e6) \
            if rphase == "restore" else "| | | | | | | | "
        print(f"| {label} {b1}| {med(t, rphase, 'wall_s'):.1f} | {mbps(t, rphase):.0f} | {cores(t, rphase):.2f} | "
              f"{cpu_per_gb(t, rphase):.1f} | {med(t, rphase, 'maxrss_kb') / 1024:.0f} | {'ok' if ok else 'MISMATCH'} |")
        best_restore[t] = max(best_restore.get(t, 0), mbps(t, rphase))
if "summit" in tools and "restic" in tools:
    s_b, r_b = mbps("summit", "backup1"), mbps("restic", "backup1")
    s_a, r_a = med("summit", "backup2", "bytes_added"), med("restic", "backup2", "bytes_added")
    s_r, r_r = best_restore["summit"], best_restore["restic"]
    # Per-round ratios (same round = closest conditions) as well as ratios of medians.
    def per_round(phase, key):
        out = []
        for rd in sorted(set(r["round"] for r in rows if r["round"] != "mem")):
            get = lambda t: [float(r[key]) for r in rows if r["round"] == rd and r["tool"] == t and r["phase"] == phase]
            s, p = get("summit"), get("restic")
            if s and p: out.append(p[0] / s[0])
        return out
    print("\nsummit-dr against restic (same run):")
    print(f"  first backup throughput  {s_b:.0f} vs {r_b:.0f} MB/s = {s_b / r_b:.2f}x (target >= 1.5x: {'met' if s_b / r_b >= 1.5 else 'NOT met'});"
          f" per round {', '.join(f'{x:.2f}x' for x in per_round('backup1', 'wall_s'))}")
    print(f"  day-2 bytes added        {s_a / 1e6:.1f} vs {r_a / 1e6:.1f} MB = {s_a / r_a:.2f}x (target <= 1.0x: {'met' if s_a <= r_a else 'NOT met'})")
    print(f"  restore throughput       {s_r:.0f} vs {r_r:.0f} MB/s (restic's faster of restore/dump) = {s_r / r_r:.2f}x (target >= 1.5x: {'met' if s_r / r_r >= 1.5 else 'NOT met'});"
          f" per round (vs restic restore) {', '.join(f'{x:.2f}x' for x in per_round('restore', 'wall_s'))}")
    print(f"  cores used, first backup {cores('summit', 'backup1'):.2f} (restic {cores('restic', 'backup1'):.2f}); restore {cores('summit', 'restore'):.2f} (restic {cores('restic', 'restore'):.2f})")
    print(f"  CPU seconds per GB       backup {cpu_per_gb('summit', 'backup1'):.1f} vs {cpu_per_gb('restic', 'backup1'):.1f} = {cpu_per_gb('restic', 'backup1') / cpu_per_gb('summit', 'backup1'):.2f}x less;"
          f" restore {cpu_per_gb('summit', 'restore'):.1f} vs {cpu_per_gb('restic', 'restore'):.1f} = {cpu_per_gb('restic', 'restore') / cpu_per_gb('summit', 'restore'):.2f}x less")
    print(f"  peak RSS backup/restore  {med('summit', 'backup1', 'maxrss_kb') / 1024:.0f} / {med('summit', 'restore', 'maxrss_kb') / 1024:.0f} MiB"
          f" (restic {med('restic', 'backup1', 'maxrss_kb') / 1024:.0f} / {med('restic', 'restore', 'maxrss_kb') / 1024:.0f} MiB)")
mem = [r for r in rows if r["round"] == "mem"]
if mem:
    print("\nmemory (summit-dr, input generated and piped, never on disk):")
    print("| input MB | step | s | MB/s | cores (this process) | peak RSS MiB |")
    print("|---|---|---|---|---|---|")
    for r in mem:
        step, size = r["phase"].rsplit("-", 1)
        w = float(r["wall_s"])
        print(f"| {size} | {step} | {w:.1f} | {float(r['bytes_in']) / 1e6 / w:.0f} | {(float(r['user_s']) + float(r['sys_s'])) / w:.2f} | {int(r['maxrss_kb']) // 1024} |")
EOF
echo "raw results: $RESULTS" >&2
