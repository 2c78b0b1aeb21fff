#!/usr/bin/env bash
# Brings up the test bed of real servers on loopback, free ports and a temporary directory:
#   PostgreSQL 15 (Debian package, run as the postgres user), Redis 7 (Debian package),
#   Neo4j 5 community (Maven Central jars + tests/harness/neo4j/Launcher.java),
#   two MinIO servers standing for the primary (us-west-2) and DR (us-east-1) S3 repositories.
# Prints `export VAR=...` lines on stdout (and writes them to $HARNESS_DIR/env), so
#   eval "$(tests/harness/up.sh)"
# works; progress goes to stderr. On any failure it prints the failing server's log tail, stops
# what it started and exits non-zero (logs are kept in $HARNESS_DIR). tests/harness/down.sh stops it.
#
# Options:
#   --only LIST    comma-separated subset of postgres,redis,neo4j,s3 (default: all)
#   --dir DIR      where to put everything (default: $HARNESS_DIR or /tmp/summit-harness-<uid>)
#   --timeout SECS readiness time-out per server (default 120)
# Optional: tests/harness/pgvector-up.sh (a pgvector-enabled PostgreSQL) runs after PostgreSQL with
#   HARNESS_DIR set; its `export` lines join ours. It should write its server's pid to
#   $HARNESS_DIR/pids/pgvector (down.sh stops every pid there) or ship a pgvector-down.sh.
# Environment: SUMMIT_PG_ARCHIVE_COMMAND (PostgreSQL archive_command, default /bin/true),
#   SUMMIT_CACHE (where install.sh put MinIO and Neo4j).
set -Eeuo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
source "$HERE/common.sh"

ONLY="$HARNESS_ALL_SERVICES"
DIR="${HARNESS_DIR:-$HARNESS_DEFAULT_DIR}"
TIMEOUT=120
while (($#)); do
  case "$1" in
    --only) ONLY="$2"; shift 2 ;;
    --only=*) ONLY="${1#--only=}"; shift ;;
    --dir) DIR="$2"; shift 2 ;;
    --dir=*) DIR="${1#--dir=}"; shift ;;
    --timeout) TIMEOUT="$2"; shift 2 ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "up.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
done
IFS=',' read -r -a SERVICES <<<"$ONLY"
for s in "${SERVICES[@]}"; do
  case "$s" in postgres|redis|neo4j|s3) ;; *)
    echo "up.sh: unknown service '$s' in --only (known: $HARNESS_ALL_SERVICES)" >&2; exit 2 ;;
  esac
done
want() { [[ ",$ONLY," == *",$1,"* ]]; }

if [[ -e "$DIR/pids" ]]; then
  for f in "$DIR"/pids/*; do
    if pid_alive "$f"; then
      echo "up.sh: a harness is already running in $DIR ($(basename "$f") pid $(cat "$f"))" >&2
      echo "HINT: eval \"\$(cat $DIR/env)\" to use it, or run tests/harness/down.sh first" >&2
      exit 1
    fi
  done
fi
rm -rf "$DIR"
mkdir -p "$DIR/pids"
chmod 755 "$DIR"
DIR="$(cd "$DIR" && pwd)"
export HARNESS_DIR="$DIR"

START=$(date +%s)
EXPORTS=()
add_export() { EXPORTS+=("export $1=$(printf '%q' "$2")"); }
add_export HARNESS_DIR "$DIR"
add_export SUMMIT_HARNESS_SERVICES "$ONLY"

CURRENT="" # the server being started, for the failure message
fail() {
  local rc=$?
  trap - ERR INT TERM
  echo "up.sh: FAILED while starting ${CURRENT:-the harness}: ${1:-exit status $rc}" >&2
  for log in "$DIR"/*/*.log "$DIR"/*.log; do
    [[ -f "$log" ]] || continue
    if [[ -z "$CURRENT" || "$log" == *"$CURRENT"* ]]; then
      echo "----- last 40 lines of $log -----" >&2
      tail -n 40 "$log" >&2 || true
    fi
  done
  touch "$DIR/failed"
  HARNESS_DIR="$DIR" "$HERE/down.sh" --keep-logs >&2 || true
  echo "HINT: logs kept in $DIR" >&2
  exit 1
}
trap 'fail' ERR
trap 'fail "interrupted"' INT TERM

# N distinct free TCP ports on 127.0.0.1 (held open together so they differ).
free_ports() {
  python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}
random_secret() { python3 -c 'import secrets; print(secrets.token_hex(16))'; }

# wait_until SECS DESCRIPTION CMD...: polls CMD every 0.2 s until it succeeds.
wait_until() {
  local secs="$1" what="$2" deadline
  shift 2
  deadline=$(($(date +%s) + secs))
  until "$@" >/dev/null 2>&1; do
    if (($(date +%s) > deadline)); then
      fail "$what was not ready after ${secs}s"
    fi
    sleep 0.2
  done
}

read -r P_PG P_REDIS P_BOLT P_HTTP P_S3A P_S3B P_S3AC P_S3BC <<<"$(free_ports 8)"

# ---- Neo4j first: it takes longest, so it warms up while the others start -------------------
start_neo4j() {
  CURRENT=neo4j
  local lib="$HARNESS_CACHE/neo4j/lib" classes="$HARNESS_CACHE/neo4j/classes"
  if [[ ! -f "$lib/.complete" || ! -f "$classes/Launcher.class" ]]; then
    fail "Neo4j jars or launcher missing in $HARNESS_CACHE/neo4j (run tests/harness/install.sh)"
  fi
  mkdir -p "$DIR/neo4j/data"
  NEO4J_PASSWORD_VALUE="summit-$(random_secret)"
  (umask 077; echo "$NEO4J_PASSWORD_VALUE" >"$DIR/neo4j/password")
  hlog "starting neo4j (bolt $P_BOLT, http $P_HTTP)"
  setsid java -Xms256m -Xmx1g -XX:+UseSerialGC -Dfile.encoding=UTF-8 \
    -cp "$classes:$lib/*" Launcher "$DIR/neo4j/data" "$P_BOLT" "$P_HTTP" "$DIR/neo4j/password" \
    >"$DIR/neo4j/neo4j.log" 2>&1 </dev/null &
  echo $! >"$DIR/pids/neo4j"
}
wait_neo4j() {
  CURRENT=neo4j
  local deadline=$(($(date +%s) + TIMEOUT))
  until grep -q '^READY' "$DIR/neo4j/neo4j.log" 2>/dev/null; do
    pid_alive "$DIR/pids/neo4j" || fail "neo4j exited during start-up"
    (($(date +%s) > deadline)) && fail "neo4j was not ready after ${TIMEOUT}s"
    sleep 0.3
  done
  add_export NEO4J_URI "bolt://127.0.0.1:$P_BOLT"
  add_export NEO4J_HTTP_URL "http://127.0.0.1:$P_HTTP"
  add_export NEO4J_USER neo4j
  add_export NEO4J_PASSWORD "$NEO4J_PASSWORD_VALUE"
  hlog "neo4j ready"
}

# ---- PostgreSQL 15 ------------------------------------------------------------------------------
start_postgres() {
  CURRENT=postgres
  local d="$DIR/postgres"
  mkdir -p "$d/data" "$d/run" "$d/wal-archive"
  PG_PASSWORD_VALUE="summit-$(random_secret)"
  (umask 077; echo "$PG_PASSWORD_VALUE" >"$d/pwfile")
  touch "$d/postgres.log"
  [[ $(id -u) -eq 0 ]] && chown -R postgres:postgres "$d"
  hlog "starting postgres (port $P_PG)"
  as_pg "$(pg_bin initdb)" -D "$d/data" -U postgres --pwfile="$d/pwfile" \
    --auth-local=peer --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 \
    >"$d/initdb.log" 2>&1 || { cat "$d/initdb.log" >>"$d/postgres.log"; fail "initdb failed"; }
  cat >>"$d/data/postgresql.conf" <<EOF
# summit-dr test bed
listen_addresses = '127.0.0.1'
port = $P_PG
unix_socket_directories = '$d/run'
max_connections = 100
shared_buffers = 128MB
wal_level = replica
max_wal_senders = 10
max_replication_slots = 10
archive_mode = on
archive_command = '${SUMMIT_PG_ARCHIVE_COMMAND:-/bin/true}'
logging_collector = off
EOF
  as_pg "$(pg_bin pg_ctl)" -D "$d/data" -l "$d/postgres.log" -w -t "$TIMEOUT" start >/dev/null ||
    fail "pg_ctl start failed"
  as_pg "$(pg_bin pg_ctl)" -D "$d/data" status >/dev/null
  head -n 1 "$d/data/postmaster.pid" >"$DIR/pids/postgres"
  as_pg psql -h "$d/run" -p "$P_PG" -U postgres -d postgres -v ON_ERROR_STOP=1 -q >/dev/null <<EOF
CREATE ROLE summit LOGIN SUPERUSER REPLICATION PASSWORD '$PG_PASSWORD_VALUE';
CREATE DATABASE summit OWNER summit;
EOF
  wait_until "$TIMEOUT" "postgres (TCP)" env PGPASSWORD="$PG_PASSWORD_VALUE" \
    psql -h 127.0.0.1 -p "$P_PG" -U summit -d summit -c 'SELECT 1'
  add_export PGHOST 127.0.0.1
  add_export PGPORT "$P_PG"
  add_export PGUSER summit
  add_export PGPASSWORD "$PG_PASSWORD_VALUE"
  add_export PGDATABASE summit
  add_export PGSSLMODE disable
  add_export HARNESS_PGDATA "$d/data"
  hlog "postgres ready"
}

# ---- Redis 7 ------------------------------------------------------------------------------------
start_redis() {
  CURRENT=redis
  local d="$DIR/redis"
  mkdir -p "$d"
  hlog "starting redis (port $P_REDIS)"
  redis-server --bind 127.0.0.1 --port "$P_REDIS" --dir "$d" --daemonize yes \
    --pidfile "$d/redis.pid" --logfile "$d/redis.log" --save "" --appendonly no \
    --databases 16 --protected-mode yes || fail "redis-server did not start"
  wait_until "$TIMEOUT" "redis" bash -c "[[ \$(redis-cli -h 127.0.0.1 -p $P_REDIS PING) == PONG ]]"
  cp "$d/redis.pid" "$DIR/pids/redis"
  add_export REDIS_URL "redis://127.0.0.1:$P_REDIS/0"
  hlog "redis ready"
}

# ---- MinIO x2 -----------------------------------------------------------------------------------
start_minio() { # name port console_port region
  local name="$1" port="$2" cport="$3" region="$4" d="$DIR/minio-$1" key secret
  CURRENT="minio-$name"
  [[ -x "$HARNESS_CACHE/bin/minio" ]] ||
    fail "MinIO missing at $HARNESS_CACHE/bin/minio (run tests/harness/install.sh)"
  mkdir -p "$d/data"
  key="summit${name}$(random_secret | cut -c1-8)"
  secret="$(random_secret)$(random_secret | cut -c1-8)"
  echo "$key" >"$d/access_key"
  (umask 077; echo "$secret" >"$d/secret_key")
  hlog "starting minio-$name (port $port, region $region)"
  MINIO_ROOT_USER="$key" MINIO_ROOT_PASSWORD="$secret" MINIO_SITE_REGION="$region" \
    MINIO_BROWSER=off MINIO_UPDATE=off MINIO_CI=on \
    setsid "$HARNESS_CACHE/bin/minio" server "$d/data" --quiet \
    --address "127.0.0.1:$port" --console-address "127.0.0.1:$cport" \
    >"$d/minio-$name.log" 2>&1 </dev/null &
  echo $! >"$DIR/pids/minio-$name"
}
wait_minio() { # name port region bucket VAR_PREFIX
  local name="$1" port="$2" region="$3" bucket="$4" prefix="$5" d="$DIR/minio-$1" key secret
  CURRENT="minio-$name"
  key="$(cat "$d/access_key")"
  secret="$(cat "$d/secret_key")"
  wait_until "$TIMEOUT" "minio-$name" curl -fsS "http://127.0.0.1:$port/minio/health/live"
  wait_until "$TIMEOUT" "minio-$name (ready)" curl -fsS "http://127.0.0.1:$port/minio/health/ready"
  local code
  code=$(curl -sS -o "$d/create-bucket.out" -w '%{http_code}' -X PUT \
    --aws-sigv4 "aws:amz:$region:s3" --user "$key:$secret" \
    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" \
    "http://127.0.0.1:$port/$bucket")
  if [[ "$code" != 200 ]]; then
    cat "$d/create-bucket.out" >>"$d/minio-$name.log"
    fail "creating bucket $bucket on minio-$name answered HTTP $code"
  fi
  add_export "${prefix}_ENDPOINT" "http://127.0.0.1:$port"
  add_export "${prefix}_ACCESS_KEY" "$key"
  add_export "${prefix}_SECRET_KEY" "$secret"
  add_export "${prefix}_REGION" "$region"
  add_export "${prefix}_BUCKET" "$bucket"
  hlog "minio-$name ready (bucket $bucket)"
}

want neo4j && start_neo4j
if want s3; then
  start_minio primary "$P_S3A" "$P_S3AC" us-west-2
  start_minio dr "$P_S3B" "$P_S3BC" us-east-1
fi
want redis && start_redis
want postgres && start_postgres
if want s3; then
  wait_minio primary "$P_S3A" us-west-2 summit-backups-primary S3_PRIMARY
  wait_minio dr "$P_S3B" us-east-1 summit-backups-dr S3_DR
fi
want neo4j && wait_neo4j

# Optional: a pgvector-enabled PostgreSQL (another module's script); its exports join ours.
if want postgres && [[ -x "$HERE/pgvector-up.sh" ]]; then
  CURRENT=pgvector
  hlog "starting pgvector-up.sh"
  mkdir -p "$DIR/pgvector"
  if out="$(HARNESS_DIR="$DIR" "$HERE/pgvector-up.sh" 2>"$DIR/pgvector/pgvector-up.log")"; then
    while IFS= read -r line; do
      [[ "$line" == export\ * ]] && EXPORTS+=("$line")
    done <<<"$out"
  else
    fail "tests/harness/pgvector-up.sh failed"
  fi
fi

CURRENT=""
trap - ERR INT TERM
printf '%s\n' "${EXPORTS[@]}" >"$DIR/env"
chmod 600 "$DIR/env"
printf '%s\n' "${EXPORTS[@]}"
hlog "up in $(($(date +%s) - START))s: $ONLY (settings in $DIR/env; stop with tests/harness/down.sh)"
