// Fuzzes the key file parser (docs/repository-format.md, "Keys"): malformed JSON or fields are
// kCorruption/kUnsupported, never a crash. Unwrapping is not fuzzed (Argon2 is slow by design).
#include <cstddef>
#include <cstdint>

#include "crypto/keyfile.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto parsed = summit::crypto::ParseKeyFile(summit::ByteView(data, size));
  if (parsed.has_value()) {
    auto again = summit::crypto::ParseKeyFile(summit::AsBytes(summit::crypto::EncodeKeyFile(*parsed)));
    if (!again.has_value() || again->wrapped != parsed->wrapped || again->salt != parsed->salt) __builtin_trap();
  }
  return 0;
}
