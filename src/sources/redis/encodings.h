// Decoders for Redis's compact in-memory encodings as they appear inside RDB values:
// listpack (Redis 7 lists, hashes, sorted sets, sets, stream nodes), ziplist (older RDBs) and
// intset. Integers come back as their decimal text, as Redis would reply them.
//
// Pure functions; thread-safe. Every length is checked against the buffer: malformed input
// yields kCorruption naming the byte offset, never an out-of-bounds read.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace summit::sources::redis {

// Elements of a listpack blob (header, entries with back-lengths, 0xFF terminator).
Result<std::vector<std::string>> DecodeListpack(std::string_view blob);

// Elements of a ziplist blob (header, entries with prev-lengths, 0xFF terminator).
Result<std::vector<std::string>> DecodeZiplist(std::string_view blob);

// Members of an intset blob (encoding 2/4/8, count, sorted little-endian integers).
Result<std::vector<std::string>> DecodeIntset(std::string_view blob);

}  // namespace summit::sources::redis
