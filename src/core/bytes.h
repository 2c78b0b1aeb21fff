// Byte buffers and encodings shared by every layer: Bytes, hex, little-endian integers.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace summit {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;

inline ByteView AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline std::string_view AsString(ByteView b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

std::string HexEncode(ByteView data);
// Fails with kInvalidInput on odd length or a non-hex digit.
Result<Bytes> HexDecode(std::string_view hex);

// Little-endian fixed-width integers, as used by the repository format.
void PutU32(Bytes& out, uint32_t v);
void PutU64(Bytes& out, uint64_t v);
uint32_t GetU32(const uint8_t* p);
uint64_t GetU64(const uint8_t* p);

// Human-readable size ("1.5 GiB") and rate.
std::string FormatBytes(uint64_t bytes);

}  // namespace summit
