#include "sources/redis/crc64.h"

#include <array>
#include <cstring>

namespace summit::sources::redis {
namespace {

// The bit-reversed form of 0xad93d23594c935a9, for the reflected (LSB-first) algorithm.
constexpr uint64_t kReflectedPoly = 0x95ac9329ac4bc9b5ULL;

struct Tables {
  std::array<std::array<uint64_t, 256>, 8> t;
  Tables() {
    for (int i = 0; i < 256; ++i) {
      uint64_t c = static_cast<uint64_t>(i);
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kReflectedPoly : c >> 1;
      t[0][i] = c;
    }
    for (int i = 0; i < 256; ++i)
      for (int k = 1; k < 8; ++k) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xff];
  }
};

const Tables& GetTables() {
  static const Tables tables;
  return tables;
}

}  // namespace

uint64_t Crc64(uint64_t crc, const void* data, size_t n) {
  const auto& t = GetTables().t;
  const auto* p = static_cast<const uint8_t*>(data);
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);  // little-endian host assumed (x86-64, aarch64)
    crc ^= w;
    crc = t[7][crc & 0xff] ^ t[6][(crc >> 8) & 0xff] ^ t[5][(crc >> 16) & 0xff] ^ t[4][(crc >> 24) & 0xff] ^
          t[3][(crc >> 32) & 0xff] ^ t[2][(crc >> 40) & 0xff] ^ t[1][(crc >> 48) & 0xff] ^ t[0][crc >> 56];
    p += 8;
    n -= 8;
  }
  while (n--) crc = t[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
  return crc;
}

}  // namespace summit::sources::redis
