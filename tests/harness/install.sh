#!/usr/bin/env bash
# Installs everything summit-dr's build, tests and test bed need on Debian 12, as root.
# Idempotent and fast when everything is present: apt-get runs only for missing packages (and
# `apt-get update` only then); MinIO is built with `go install` once into the cache; Neo4j's jars
# are fetched from Maven Central once into the cache and the launcher is compiled once.
#
# Cache: $SUMMIT_CACHE (default $HOME/.cache/summit-dr):
#   bin/minio             MinIO server (go install, pinned pseudo-version)
#   neo4j/lib/*.jar       Neo4j 5.26 community (org.neo4j.test:neo4j-harness) and its dependencies
#   neo4j/classes/        the compiled tests/harness/neo4j/Launcher.java
#
# Options: --no-servers   only what the build and unit tests need (skip MinIO and Neo4j)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${SUMMIT_CACHE:-$HOME/.cache/summit-dr}"
MINIO_VERSION="v0.0.0-20260212201848-7aac2a2c5b7c"
# Used only when no Go toolchain is installed (Debian 12's golang-go is too old for MinIO).
GO_VERSION="${SUMMIT_GO_VERSION:-1.26.8}"
SERVERS=1
for a in "$@"; do
  case "$a" in
    --no-servers) SERVERS=0 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option '$a' (try --help)" >&2; exit 2 ;;
  esac
done

say() { echo "install: $*" >&2; }

PACKAGES=(
  # build
  build-essential cmake ninja-build pkg-config git ca-certificates curl
  libpq-dev libhiredis-dev libssl-dev libzstd-dev libcurl4-openssl-dev libyaml-cpp-dev
  nlohmann-json3-dev libcli11-dev libfmt-dev libgtest-dev libgmock-dev libbenchmark-dev
  libsodium-dev libxxhash-dev jq python3 python3-venv procps
  # fuzz targets (libFuzzer needs clang)
  clang-14 libfuzzer-14-dev libclang-rt-14-dev
  # servers of the test bed and their clients
  postgresql-15 postgresql-client-15 redis-server redis-tools
  # Neo4j launcher (Java 17) and its jars from Maven Central
  openjdk-17-jdk-headless maven
)

missing=()
for p in "${PACKAGES[@]}"; do
  if [[ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)" != "installed" ]]; then
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "install.sh: missing Debian packages: ${missing[*]}" >&2
    echo "HINT: run as root (or: sudo apt-get install -y ${missing[*]})" >&2
    exit 1
  fi
  say "installing ${#missing[@]} Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

if ((SERVERS == 0)); then
  say "build dependencies present (servers skipped)"
  exit 0
fi

mkdir -p "$CACHE/bin"

# --- MinIO (S3-compatible server for the primary and DR repositories) -------------------------
if [[ ! -x "$CACHE/bin/minio" ]]; then
  GO="$(command -v go || true)"
  [[ -z "$GO" && -x /usr/local/go/bin/go ]] && GO=/usr/local/go/bin/go
  [[ -z "$GO" && -x "$CACHE/go-dist/go/bin/go" ]] && GO="$CACHE/go-dist/go/bin/go"
  # Go 1.21+ fetches the toolchain MinIO asks for by itself (GOTOOLCHAIN=auto); older ones cannot.
  if [[ -n "$GO" ]] && ! "$GO" version | grep -Eq 'go1\.(2[1-9]|[3-9][0-9])'; then
    say "$("$GO" version) is too old to build MinIO; using the official Go $GO_VERSION instead"
    GO=""
  fi
  if [[ -z "$GO" ]]; then
    say "no usable Go toolchain: fetching go$GO_VERSION from go.dev into $CACHE/go-dist"
    mkdir -p "$CACHE/go-dist"
    curl -fsSL "https://go.dev/dl/go${GO_VERSION}.linux-amd64.tar.gz" | tar -xz -C "$CACHE/go-dist"
    GO="$CACHE/go-dist/go/bin/go"
  fi
  say "building MinIO $MINIO_VERSION with go install (about 3 minutes the first time)"
  GOBIN="$CACHE/bin" GOFLAGS=-buildvcs=false GOTOOLCHAIN="${GOTOOLCHAIN:-auto}" \
    "$GO" install "github.com/minio/minio@$MINIO_VERSION" >&2
fi

# --- Neo4j 5 community (embedded harness jars) and the launcher ---------------------------------
NEO_LIB="$CACHE/neo4j/lib"
if [[ ! -f "$NEO_LIB/.complete" ]]; then
  say "fetching Neo4j 5.26 community jars from Maven Central (about 150 MB the first time)"
  rm -rf "$NEO_LIB"
  mkdir -p "$NEO_LIB"
  mvn -q -B -f "$HERE/neo4j/pom.xml" dependency:copy-dependencies -DoutputDirectory="$NEO_LIB" \
    -DincludeScope=runtime >&2
  ls "$NEO_LIB"/neo4j-harness-*.jar >/dev/null
  touch "$NEO_LIB/.complete"
fi
NEO_CLASSES="$CACHE/neo4j/classes"
SRC_SUM="$(sha256sum "$HERE/neo4j/Launcher.java" | cut -d' ' -f1)"
if [[ "$(cat "$NEO_CLASSES/.source-sha256" 2>/dev/null || true)" != "$SRC_SUM" ]]; then
  say "compiling the Neo4j launcher"
  rm -rf "$NEO_CLASSES"
  mkdir -p "$NEO_CLASSES"
  javac -nowarn -d "$NEO_CLASSES" -cp "$NEO_LIB/*" "$HERE/neo4j/Launcher.java" >&2
  echo "$SRC_SUM" >"$NEO_CLASSES/.source-sha256"
fi

say "all dependencies present (cache: $CACHE)"
