#!/usr/bin/env bash
# Builds every libFuzzer target of tests/fuzz/ with clang-14 (ASan + UBSan) from just the sources
# it needs, and runs each for FUZZ_SECONDS (default 20) on an empty corpus. Any crash, leak or
# sanitizer report fails the run. `./dev.sh test` runs it after the unit tests.
#   tests/fuzz/run.sh [SECONDS]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SECONDS_EACH="${1:-${FUZZ_SECONDS:-20}}"
OUT="${FUZZ_DIR:-$ROOT/build-fuzz}"
CXX="${FUZZ_CXX:-clang++-14}"
command -v "$CXX" >/dev/null || { echo "fuzz: $CXX not found (tests/harness/install.sh installs clang-14)" >&2; exit 1; }
mkdir -p "$OUT/obj"
FLAGS=(-std=c++20 -g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
       -I "$ROOT/src" -isystem /usr/include/hiredis -DSUMMIT_VERSION='"fuzz"' -DSUMMIT_SOURCE_DIR="\"$ROOT\"")

# Repository objects need the repository's sources; the store parsers only their own.
repo_srcs=$(cd "$ROOT" && ls src/core/*.cc src/io/*.cc src/crypto/*.cc src/codec/*.cc src/repo/*.cc \
  src/storage/memory/*.cc src/storage/local/*.cc | grep -v '_test\.cc$')
declare -A TARGET_SRCS=(
  [rdb_fuzz]="src/sources/redis/rdb_reader.cc src/sources/redis/crc64.cc src/sources/redis/lzf.cc src/sources/redis/encodings.cc src/sources/redis/key_stream.cc src/io/stream.cc src/core/result.cc src/core/bytes.cc"
  [packstream_fuzz]="src/sources/neo4j/bolt/packstream.cc src/core/bytes.cc src/core/result.cc"
)
for f in "$ROOT"/tests/fuzz/repo_*_fuzz.cc; do TARGET_SRCS[$(basename "$f" .cc)]="$repo_srcs"; done

# Per-file flags, as src/*/CMakeLists.txt set them (the run-time dispatched AVX-512 XXH3).
declare -A EXTRA_FLAGS=([src/codec/xxh3_avx512.cc]="-mavx512f -mavx512bw")
compile() { # source -> object path (cached by content)
  local src="$1" obj="$OUT/obj/$(echo "$1" | tr '/' '_').o"
  if [[ ! -f "$obj" || "$ROOT/$src" -nt "$obj" ]]; then
    # shellcheck disable=SC2086  # the extra flags are words
    "$CXX" "${FLAGS[@]}" ${EXTRA_FLAGS[$src]:-} -c "$ROOT/$src" -o "$obj"
  fi
  echo "$obj"
}
export -f compile
failed=0
for target in "${!TARGET_SRCS[@]}"; do
  objs=()
  for s in ${TARGET_SRCS[$target]}; do objs+=("$(compile "$s")"); done
  "$CXX" "${FLAGS[@]}" -fsanitize=fuzzer "$ROOT/tests/fuzz/$target.cc" "${objs[@]}" \
    -lssl -lcrypto -lsodium -lzstd -lxxhash -o "$OUT/$target"
  mkdir -p "$OUT/corpus/$target"
  echo "fuzz: $target for ${SECONDS_EACH}s" >&2
  if ! (cd "$OUT" && "./$target" -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 "corpus/$target" \
        >"$OUT/$target.log" 2>&1); then
    echo "fuzz: $target FAILED; last lines of $OUT/$target.log:" >&2
    tail -30 "$OUT/$target.log" >&2
    failed=1
  else
    grep -E "^#[0-9]+.*DONE|Done [0-9]+ runs" "$OUT/$target.log" | tail -1 >&2 || true
  fi
done
exit "$failed"
