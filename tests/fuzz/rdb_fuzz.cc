// libFuzzer target for the Redis RDB parser and the codecs it relies on: whatever the bytes,
// parsing ends in a value or a classified error (kCorruption / kUnsupported), never a crash,
// an out-of-bounds access or unbounded memory.
//
// The first input byte picks the target; for the RDB parser the rest is prefixed with a
// valid header when it lacks one, so the fuzzer spends its time inside the body.
// Build by hand (without the project's CMake):
//   clang++-14 -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -I src \
//     -isystem /usr/include/hiredis tests/fuzz/rdb_fuzz.cc src/sources/redis/rdb_reader.cc \
//     src/sources/redis/crc64.cc src/sources/redis/lzf.cc src/sources/redis/encodings.cc \
//     src/sources/redis/key_stream.cc src/io/stream.cc src/core/result.cc src/core/bytes.cc \
//     -o fuzz_rdb_fuzz && ./fuzz_rdb_fuzz -max_total_time=60
#include <cstddef>
#include <cstdint>
#include <string>

#include "io/stream.h"
#include "sources/redis/encodings.h"
#include "sources/redis/key_stream.h"
#include "sources/redis/lzf.h"
#include "sources/redis/rdb_reader.h"

using namespace summit;
using namespace summit::sources::redis;

namespace {

// Decodes the compact blob inside a value, as a deeper consumer would.
void DecodeInner(const RdbKey& k) {
  if (k.value.size() < 2) return;
  std::string_view body = std::string_view(k.value).substr(1);
  // The blob is a length-prefixed RDB string: let the string decoder unwrap it.
  std::string as_string = std::string(1, static_cast<char>(rdb::kString)) + std::string(body);
  auto blob = DecodeStringValue(as_string);
  if (!blob) return;
  switch (k.type) {
    case rdb::kHashListpack:
    case rdb::kZsetListpack:
    case rdb::kSetListpack:
      (void)DecodeListpack(*blob);
      break;
    case rdb::kListZiplist:
    case rdb::kZsetZiplist:
    case rdb::kHashZiplist:
      (void)DecodeZiplist(*blob);
      break;
    case rdb::kSetIntset:
      (void)DecodeIntset(*blob);
      break;
    default:
      break;
  }
}

void FuzzRdb(std::string_view data) {
  std::string file(data);
  if (file.compare(0, 5, "REDIS") != 0) file = "REDIS0010" + file;
  StringSource src(std::move(file));
  auto reader = RdbReader::Open(&src);
  if (!reader) return;
  RdbKey k;
  for (int i = 0; i < 100000; ++i) {
    auto more = (*reader)->Next(&k);
    if (!more || !*more) return;
    (void)ValidateValue(k.value);
    (void)CanonicalValue(k.value);
    if (k.type == rdb::kString) (void)DecodeStringValue(k.value);
    DecodeInner(k);
    std::string payload = MakeDumpPayload(k.value, (*reader)->version());
    auto parts = SplitDumpPayload(payload);
    if (!parts || parts->value != k.value) __builtin_trap();  // wrapping must round-trip
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 6) {
    case 0:
    case 1:
      FuzzRdb(in);
      break;
    case 2:
      (void)DecodeListpack(in);
      break;
    case 3:
      (void)DecodeZiplist(in);
      (void)DecodeIntset(in);
      break;
    case 4:
      if (in.size() >= 2) (void)LzfDecompress(in.substr(2), static_cast<uint8_t>(in[0]) * 256 + static_cast<uint8_t>(in[1]));
      break;
    case 5: {
      StringSource src{std::string(in)};
      auto r = KeyStreamReader::Open(&src);
      if (!r) break;
      KeyRecord rec;
      for (int i = 0; i < 100000; ++i) {
        auto more = (*r)->Next(&rec);
        if (!more || !*more) break;
        (void)SplitDumpPayload(rec.payload);
      }
      break;
    }
  }
  return 0;
}
