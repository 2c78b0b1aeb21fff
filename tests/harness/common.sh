# Shared by up.sh and down.sh (sourced, not run): where the harness lives and small helpers.
# HARNESS_DIR holds one sub-directory per server (data + log), pids/, and env (the exports).

HARNESS_DEFAULT_DIR="${TMPDIR:-/tmp}/summit-harness-$(id -u)"
HARNESS_CACHE="${SUMMIT_CACHE:-$HOME/.cache/summit-dr}"
HARNESS_ALL_SERVICES="postgres,redis,neo4j,s3"

hlog() { echo "harness: $*" >&2; }

# Runs a command as the postgres user when we are root (PostgreSQL refuses to run as root).
as_pg() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

pg_bin() { echo "/usr/lib/postgresql/15/bin/$1"; }

# True when the process whose id is in FILE is alive.
pid_alive() {
  local f="$1" pid
  [[ -f "$f" ]] || return 1
  pid="$(cat "$f" 2>/dev/null)"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null
}

# Sends SIGNAL (default TERM) to the pid in FILE, waits up to SECS, then SIGKILL. Only that process.
stop_pid() {
  local f="$1" secs="${2:-30}" sig="${3:-TERM}" pid i
  pid_alive "$f" || return 0
  pid="$(cat "$f")"
  kill -"$sig" "$pid" 2>/dev/null || true
  for ((i = 0; i < secs * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  hlog "process $pid ($(basename "$f")) ignored SIGTERM for ${secs}s; killing it"
  kill -KILL "$pid" 2>/dev/null || true
}
