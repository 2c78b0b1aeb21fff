// Fuzzes the snapshot manifest and repository config parsers (docs/repository-format.md,
// "Snapshots", "Config"): malformed input is an error value, never a crash; a parsed manifest
// survives an encode/parse round trip with the same chunk lists.
#include <cstddef>
#include <cstdint>

#include "repo/format.h"
#include "repo/snapshot.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  summit::ByteView in(data, size);
  (void)summit::repo::ParseConfig(in);
  auto parsed = summit::repo::ParseManifest(in);
  if (parsed.has_value()) {
    auto again = summit::repo::ParseManifest(summit::AsBytes(summit::repo::EncodeManifest(*parsed)));
    if (!again.has_value() || again->components.size() != parsed->components.size()) __builtin_trap();
    for (size_t i = 0; i < parsed->components.size(); ++i)
      if (again->components[i].streams.size() != parsed->components[i].streams.size()) __builtin_trap();
  }
  return 0;
}
