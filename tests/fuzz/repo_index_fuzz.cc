// Fuzzes the index file parser (docs/repository-format.md, "Index"): garbage is kCorruption,
// never a crash or a huge allocation; what parses re-encodes to the same bytes.
#include <cstddef>
#include <cstdint>

#include "repo/format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto parsed = summit::repo::ParseIndex(summit::ByteView(data, size));
  if (parsed.has_value()) {
    summit::Bytes again = summit::repo::EncodeIndex(*parsed);
    if (again.size() != size || !std::equal(again.begin(), again.end(), data)) __builtin_trap();
  }
  return 0;
}
