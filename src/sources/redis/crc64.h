// CRC-64 as Redis computes it for RDB files and DUMP payloads: the "Jones" polynomial
// 0xad93d23594c935a9, reflected input and output, initial value 0, no final xor.
// Check value: Crc64(0, "123456789") == 0xe9c6d914c4b8d9ca.
//
// Slice-by-8 tables are built once (thread-safe static initialisation); the functions are pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace summit::sources::redis {

// Continues `crc` over `n` bytes at `data`; start with crc = 0.
uint64_t Crc64(uint64_t crc, const void* data, size_t n);
inline uint64_t Crc64(uint64_t crc, std::string_view s) { return Crc64(crc, s.data(), s.size()); }

}  // namespace summit::sources::redis
