// libFuzzer target for the PackStream decoder (src/sources/neo4j/bolt/packstream.h): any byte
// string must decode to values or fail with kCorruption, never crash, hang or read out of
// bounds; and whatever decodes must re-encode to bytes that decode to an equal value.
//
// Build by hand (from the repository root):
//   clang++-14 -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
//     tests/fuzz/packstream_fuzz.cc src/sources/neo4j/bolt/packstream.cc src/core/bytes.cc \
//     src/core/result.cc -o /tmp/packstream_fuzz && /tmp/packstream_fuzz -max_total_time=60
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "sources/neo4j/bolt/packstream.h"

using namespace summit;
using namespace summit::sources::neo4j::bolt;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Decoder d(ByteView(data, size));
  // A Bolt message is a structure header and its fields; try both readings of the input.
  int values = 0;
  while (!d.AtEnd() && values < 64) {
    auto v = d.Next();
    if (!v.has_value()) {
      if (v.error().code() != ErrorCode::kCorruption) std::abort();
      break;
    }
    ++values;
    for (bool utc : {true, false}) {
      Bytes again;
      Encode(*v, again, EncodeOptions{utc});
      auto back = DecodeOne(again);
      if (!back.has_value() || !(*back == *v)) std::abort();
    }
  }
  Decoder m(ByteView(data, size));
  auto header = m.NextStructHeader();
  if (header.has_value()) {
    for (size_t i = 0; i < header->second; ++i) {
      if (!m.Next().has_value()) break;
    }
  }
  return 0;
}
