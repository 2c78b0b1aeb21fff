#!/usr/bin/env bash
# Cost of in-flight sanitization and reduction (issue #7's target: a dev restore takes at most
# 1.3x a plain restore of the same backup). One backup of a generated dataset, then, alternating
# for --rounds rounds, into the same emptied targets:
#   plain      restore ID --env=dr_rehearsal --yes            (no transform)
#   dev        restore ID --env=dev                            (sanitized + reduced, then the PII scan)
#   sanitized  restore ID --env=dev with reduction 1.0        (sanitized only, every row, then the scan)
# "sanitized" is the fair measure of the transform's cost: reduction removes about 90 % of the
# non-critical rows and makes "dev" cheaper than "plain". Reduction is switched off the
# documented way: environments.dev.reduction in a copy of the config (1.0 keeps every row).
# Each run is timed with /usr/bin/time -v (wall, peak RSS); the JSON result's "seconds" is the
# restore alone, wall minus it is mostly the PII scan. Targets are emptied before every run,
# outside the timing (emptying a large graph dominates a Neo4j restore otherwise). --warmup
# rounds (default 1) run first and are not counted: the first restores into a freshly started
# Neo4j run while its JIT warms up, and were 2-4x slower than later ones here.
#
#   eval "$(tests/harness/up.sh --dir /tmp/h)"       # the source stores
#   bench/sanitize_bench.sh [--size 200MB] [--only postgres,neo4j,redis] [--rounds 3] [--build build]
# --no-generate reuses what an earlier generate.py left (PGDATABASE=summit_sanbench_src, and the
# harness's Neo4j and Redis), e.g. to measure --only postgres on the same data.
# The restores' Redis and Neo4j targets are a second test bed the script starts itself
# (tests/harness/up.sh --only redis,neo4j) and stops at the end. PostgreSQL targets are databases
# of the harness's server. Prints a markdown report on stdout (bench/sanitize_bench.md).
set -Eeuo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SIZE=200MB ONLY=postgres,neo4j,redis ROUNDS=3 WARMUP=1 BUILD="$HERE/build" SEED=1 GENERATE=1
while (($#)); do
  case "$1" in
    --size) SIZE="$2"; shift 2 ;;
    --only) ONLY="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --warmup) WARMUP="$2"; shift 2 ;;
    --build) BUILD="$2"; shift 2 ;;
    --seed) SEED="$2"; shift 2 ;;
    --no-generate) GENERATE=""; shift ;;  # reuse database summit_sanbench_src and the stores' data
    *) echo "usage: $0 [--size S] [--only LIST] [--rounds N] [--warmup N] [--build DIR] [--seed N] [--no-generate]" >&2; exit 2 ;;
  esac
done
: "${PGHOST:?run eval \"\$(tests/harness/up.sh)\" first}" "${PGPORT:?}" "${PGUSER:?}"
BIN="${SUMMIT_DR_BIN:-$BUILD/src/cli/summit-dr}"
[[ -x "$BIN" ]] || { echo "build it first: ninja -C $BUILD summit-dr" >&2; exit 1; }
want() { [[ ",$ONLY," == *",$1,"* ]]; }

T="$(mktemp -d /tmp/summit-sanbench-XXXXXX)"
SRC=summit_sanbench_src TARGET=summit_sanbench_target
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -d postgres)
TARGETS_UP=""
cleanup() {
  [[ -n "$TARGETS_UP" ]] && "$HERE/tests/harness/down.sh" --dir "$T/targets" >/dev/null 2>&1 || true
  for d in ${GENERATE:+$SRC} $TARGET; do "${PSQL[@]}" -c "DROP DATABASE IF EXISTS $d WITH (FORCE)" >/dev/null 2>&1 || true; done
  rm -rf "$T"
}
trap cleanup EXIT

# Config: the shipped files, with dev's reduction switchable by BENCH_DEV_REDUCTION.
mkdir -p "$T/config"
sed 's/^    reduction: 0\.10 /    reduction: ${BENCH_DEV_REDUCTION:-0.10} /' "$HERE/config/backup-sets.yaml" >"$T/config/backup-sets.yaml"
grep -q 'BENCH_DEV_REDUCTION' "$T/config/backup-sets.yaml" || { echo "could not find dev's reduction in config/backup-sets.yaml" >&2; exit 1; }
cp "$HERE"/config/sanitization*.yaml "$T/config/"

# Restore targets of their own.
if want redis || want neo4j; then
  echo "starting the restore targets (redis, neo4j) ..." >&2
  TGT_ENV="$("$HERE/tests/harness/up.sh" --dir "$T/targets" --only redis,neo4j)"
  TARGETS_UP=1
  TGT_REDIS_URL=$(sed -n 's/^export REDIS_URL=//p' <<<"$TGT_ENV")
  TGT_NEO4J_URI=$(sed -n 's/^export NEO4J_URI=//p' <<<"$TGT_ENV")
  TGT_NEO4J_HTTP=$(sed -n 's/^export NEO4J_HTTP_URL=//p' <<<"$TGT_ENV")
  TGT_NEO4J_PASSWORD=$(eval "$(grep '^export NEO4J_PASSWORD=' <<<"$TGT_ENV")"; echo "$NEO4J_PASSWORD")
fi

"${PSQL[@]}" -c "DROP DATABASE IF EXISTS $TARGET WITH (FORCE)"
GEN_SECS=0
if [[ -n "$GENERATE" ]]; then
  "${PSQL[@]}" -c "DROP DATABASE IF EXISTS $SRC WITH (FORCE)"
  "${PSQL[@]}" -c "CREATE DATABASE $SRC"
  echo "generating --size $SIZE (--only $ONLY) ..." >&2
  GEN_START=$(date +%s)
  PGDATABASE=$SRC python3 "$HERE/tests/harness/generate.py" --seed "$SEED" --size "$SIZE" --only "$ONLY" --files "$T/files" >"$T/generate.json"
  GEN_SECS=$(($(date +%s) - GEN_START))
else
  echo '{}' >"$T/generate.json"
fi
mkdir -p "$T/files"

run() {  # summit-dr with the bench's config, local repository only
  env -u S3_PRIMARY_ACCESS_KEY -u S3_PRIMARY_SECRET_KEY -u S3_DR_ACCESS_KEY -u S3_DR_SECRET_KEY \
      -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
      SUMMIT_DR_CONFIG="$T/config/backup-sets.yaml" BACKUP_BASE="$T/backups" SUMMIT_ROOT="$T/files" \
      ENCRYPTION_KEY=sanitize-bench PGDATABASE=$SRC SUMMIT_LOG_FORMAT=text \
      DR_PGDATABASE=$TARGET DEV_PGDATABASE=$TARGET \
      DR_REDIS_URL="${TGT_REDIS_URL:-redis://127.0.0.1:1/0}" DEV_REDIS_URL="${TGT_REDIS_URL:-redis://127.0.0.1:1/0}" \
      DR_NEO4J_URI="${TGT_NEO4J_URI:-bolt://127.0.0.1:1}" DEV_NEO4J_URI="${TGT_NEO4J_URI:-bolt://127.0.0.1:1}" \
      DR_NEO4J_PASSWORD="${TGT_NEO4J_PASSWORD:-}" DEV_NEO4J_PASSWORD="${TGT_NEO4J_PASSWORD:-}" \
      "$@"
}

echo "backing up ..." >&2
run "$BIN" --json backup --set=full --only="$ONLY" >"$T/backup.json"
ID=$(jq -r .id "$T/backup.json")
DBSIZE=$(psql -X -At -d $SRC -c "SELECT pg_database_size(current_database())")
SRC_ROWS=$(psql -X -At -d $SRC -c "SELECT sum(n_live_tup) FROM pg_stat_user_tables")

neo4j_empty() {
  python3 - "$TGT_NEO4J_HTTP" "$TGT_NEO4J_PASSWORD" <<'EOF'
import base64, json, sys, urllib.request
url, pw = sys.argv[1].rstrip("/") + "/db/neo4j/tx/commit", sys.argv[2]
auth = "Basic " + base64.b64encode(("neo4j:" + pw).encode()).decode()
def run(q):
    req = urllib.request.Request(url, json.dumps({"statements": [{"statement": q}]}).encode(),
                                 {"Content-Type": "application/json", "Authorization": auth})
    out = json.load(urllib.request.urlopen(req, timeout=600))
    if out.get("errors"): raise SystemExit(out["errors"])
    return [r["row"] for r in out["results"][0]["data"]]
while run("MATCH (n) WITH n LIMIT 20000 DETACH DELETE n RETURN count(*)")[0][0] > 0: pass
for (name,) in run("SHOW CONSTRAINTS YIELD name RETURN name"): run("DROP CONSTRAINT `%s`" % name)
for (name,) in run("SHOW INDEXES YIELD name, type WHERE type <> 'LOOKUP' RETURN name"): run("DROP INDEX `%s`" % name)
EOF
}
empty_targets() {
  "${PSQL[@]}" -c "DROP DATABASE IF EXISTS $TARGET WITH (FORCE)"
  if want redis; then redis-cli -u "$TGT_REDIS_URL" FLUSHALL >/dev/null; fi
  if want neo4j; then neo4j_empty; fi
  sync
}

declare -A WALL RSS SECS RC LOAD CPU
measure() {  # measure LABEL REDUCTION ARGS...
  local label="$1" reduction="$2"; shift 2
  empty_targets
  LOAD[$label]=$(cut -d' ' -f1 /proc/loadavg)
  set +e
  BENCH_DEV_REDUCTION=$reduction run /usr/bin/time -v "$BIN" --json "$@" >"$T/$label.out" 2>"$T/$label.time"
  RC[$label]=$?
  set -e
  WALL[$label]=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$T/$label.time")
  RSS[$label]=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$T/$label.time")
  CPU[$label]=$(awk -F': ' '/User time \(seconds\)|System time \(seconds\)/ {s += $2} END {printf "%.2f", s}' "$T/$label.time")
  SECS[$label]=$(jq -r '.seconds // empty' "$T/$label.out" 2>/dev/null || true)
  [[ -n "${SECS[$label]}" ]] || { echo "$label failed (exit ${RC[$label]}):" >&2; tail -20 "$T/$label.time" >&2; exit 1; }
  echo "  $label: wall ${WALL[$label]} s, restore ${SECS[$label]} s, exit ${RC[$label]}, load ${LOAD[$label]}" >&2
}

KINDS=(plain dev sanitized)
for ((w = 1; w <= WARMUP; w++)); do
  echo "warm-up round $w/$WARMUP (not counted) ..." >&2
  measure "warm.plain" 0.10 restore "$ID" --env=dr_rehearsal --yes
  measure "warm.dev" 0.10 restore "$ID" --env=dev
  measure "warm.sanitized" 1.0 restore "$ID" --env=dev
done
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
for ((r = 1; r <= ROUNDS; r++)); do
  echo "round $r/$ROUNDS ..." >&2
  for ((k = 0; k < 3; k++)); do
    kind=${KINDS[$(((k + r - 1) % 3))]}  # rotate the order each round
    case $kind in
      plain) measure "plain.$r" 0.10 restore "$ID" --env=dr_rehearsal --yes ;;
      dev) measure "dev.$r" 0.10 restore "$ID" --env=dev ;;
      sanitized) measure "sanitized.$r" 1.0 restore "$ID" --env=dev ;;
    esac
  done
done
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

median() { sort -g | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else printf "%.2f\n", (a[NR/2]+a[NR/2+1])/2}'; }
med() {  # med KIND ARRAY
  local -n arr=$2
  for ((r = 1; r <= ROUNDS; r++)); do echo "${arr[$1.$r]}"; done | median
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

cat <<EOF
## Run of $(date -u +%Y-%m-%dT%H:%MZ)

\`bench/sanitize_bench.sh --size $SIZE --only $ONLY --rounds $ROUNDS --warmup $WARMUP\` on $(nproc) cores; load average
$LOAD_START at the start, $LOAD_END at the end. Dataset: $(if [[ -n "$GENERATE" ]]; then
  echo "generate.py --seed $SEED --size $SIZE ($(jq -c '{postgres_rows: (.postgres.tables // {} | add), neo4j: .neo4j.labels, redis: .redis.keys}' "$T/generate.json" 2>/dev/null), generated in ${GEN_SECS} s)"
else echo "reused (--no-generate)"; fi); database $((DBSIZE / 1048576)) MB, $SRC_ROWS rows. Backup $ID.

| run | wall s | restore s | scan etc. s | client CPU s | peak RSS MiB | exit | load |
|---|---|---|---|---|---|---|---|
EOF
for ((r = 1; r <= ROUNDS; r++)); do
  for kind in "${KINDS[@]}"; do
    l="$kind.$r"
    printf '| %s | %s | %.2f | %.2f | %s | %d | %s | %s |\n' "$l" "${WALL[$l]}" "${SECS[$l]}" \
      "$(awk -v a="${WALL[$l]}" -v b="${SECS[$l]}" 'BEGIN{print a-b}')" "${CPU[$l]}" $((RSS[$l] / 1024)) "${RC[$l]}" "${LOAD[$l]}"
  done
done
PW=$(med plain WALL) DW=$(med dev WALL) SW=$(med sanitized WALL)
PS=$(med plain SECS) DS=$(med dev SECS) SS=$(med sanitized SECS)
PC=$(med plain CPU) DC=$(med dev CPU) SC=$(med sanitized CPU)
cat <<EOF

Medians over $ROUNDS rounds: plain $PW s wall ($PS s restore, $PC s client CPU), dev $DW s ($DS s, $DC s CPU),
sanitized-only $SW s ($SS s, $SC s CPU). Client CPU is summit-dr's user + system time (decoding,
transforming and re-encoding rows, the scan); the servers' work is in the wall time only.

| ratio (medians) | wall (with the PII scan) | restore alone | target |
|---|---|---|---|
| dev (sanitized + reduced) / plain | $(ratio "$DW" "$PW") | $(ratio "$DS" "$PS") | <= 1.3 |
| sanitized only / plain | $(ratio "$SW" "$PW") | $(ratio "$SS" "$PS") | <= 1.3 (the transform's cost) |

Note: a plain (dr_rehearsal) restore also re-verifies the audit chain of audit_logs; sanitized
restores skip that (the chain cannot verify over sanitized rows) and run the PII scan instead.

Per component (last round, seconds of each store's restore where the result reports them):
\`\`\`
plain:     $(jq -c '.components | with_entries(.value |= ({seconds, rows, nodes, keys} | with_entries(select(.value != null))))' "$T/plain.$ROUNDS.out" 2>/dev/null)
dev:       $(jq -c '.components | with_entries(.value |= ({seconds, rows, nodes, keys} | with_entries(select(.value != null))))' "$T/dev.$ROUNDS.out" 2>/dev/null)
sanitized: $(jq -c '.components | with_entries(.value |= ({seconds, rows, nodes, keys} | with_entries(select(.value != null))))' "$T/sanitized.$ROUNDS.out" 2>/dev/null)
\`\`\`
EOF
