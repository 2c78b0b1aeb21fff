// Fuzzes the pack trailer and header parsers (docs/repository-format.md, "Packs") on untrusted
// bytes: they must reject garbage with kCorruption and never crash; what parses must re-encode
// to the same bytes.
#include <cstddef>
#include <cstdint>

#include "repo/format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  summit::ByteView in(data, size);
  if (size >= 4) (void)summit::repo::PackHeaderOffset(in.last(4), size);
  auto parsed = summit::repo::ParsePackHeader(in);
  if (parsed.has_value()) {
    summit::Bytes again = summit::repo::EncodePackHeader(*parsed);
    if (again.size() != size || !std::equal(again.begin(), again.end(), data)) __builtin_trap();
  }
  return 0;
}
