// Digests the sanitization rules need: MD5 (to equal PostgreSQL's md5()) and HMAC-SHA-256
// (keyed pseudonyms, deterministic noise, reduction sampling). Pure functions; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace summit::transform {

// Lower-case hex MD5, as PostgreSQL's md5(text).
std::string Md5Hex(std::string_view data);
std::array<uint8_t, 32> HmacSha256(std::string_view key, std::string_view data);
std::array<uint8_t, 32> Sha256(std::string_view data);
// SipHash-2-4 (Aumasson & Bernstein): a fast keyed 64-bit hash, for per-row sampling.
uint64_t SipHash24(const std::array<uint8_t, 16>& key, std::string_view data);
// The first 8 bytes of a digest as a big-endian integer.
uint64_t First64(const std::array<uint8_t, 32>& digest);

}  // namespace summit::transform
