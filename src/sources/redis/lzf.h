// LZF decompression (the format of liblzf, which Redis uses for compressed RDB strings).
// Pure function; thread-safe. Never reads or writes out of bounds on malformed input.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace summit::sources::redis {

// Decompresses `in`, which must expand to exactly `expected_len` bytes (RDB stores it).
// Fails with kCorruption when a back reference points before the start, a run overflows the
// output or the input, or the output length differs from `expected_len`.
Result<std::string> LzfDecompress(std::string_view in, size_t expected_len);

// Compresses with a simple greedy LZF encoder (for tests and for building RDB files); the
// output is always decodable by LzfDecompress and by Redis.
std::string LzfCompress(std::string_view in);

}  // namespace summit::sources::redis
