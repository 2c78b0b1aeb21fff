// The one narrow storage interface every repository sits on (STYLE.md, "What they share" 1).
//
// A Backend stores immutable, whole objects under '/'-separated keys ("data/3f/3f2a...",
// "index/...", "snapshots/..."). Put is atomic: a reader sees the whole object or nothing, and
// a crash during Put leaves no object under the key. Objects are never modified in place; the
// repository only creates and deletes them (locks are the one exception: they are rewritten
// to refresh). Nothing above this interface knows which backend it has.
//
// Errors: kNotFound for a missing key, kTransient for what may succeed when retried (the retry
// wrapper retries those), kUnavailable when the endpoint cannot be reached, kPermission,
// kNoSpace, kCorruption when a checksum sent or received does not match.
//
// Thread-safety: every implementation is safe for concurrent calls.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/result.h"

namespace summit::storage {

struct ObjectInfo {
  std::string key;
  uint64_t size = 0;
};

inline constexpr uint64_t kToEnd = std::numeric_limits<uint64_t>::max();

class Backend {
 public:
  virtual ~Backend() = default;

  // Stores `data` under `key`, replacing an existing object atomically.
  virtual Status Put(std::string_view key, ByteView data) = 0;
  // Reads `length` bytes from `offset` (kToEnd: to the end). Fails with kNotFound when the key
  // does not exist; a range past the end returns what exists.
  virtual Result<Bytes> Get(std::string_view key, uint64_t offset = 0, uint64_t length = kToEnd) = 0;
  virtual Result<ObjectInfo> Stat(std::string_view key) = 0;
  // All objects whose key starts with `prefix`, sorted by key.
  virtual Result<std::vector<ObjectInfo>> List(std::string_view prefix) = 0;
  // Deletes `key`; deleting a missing key succeeds.
  virtual Status Delete(std::string_view key) = 0;
  // "local:/var/backups/summit" or "s3://bucket/prefix (http://127.0.0.1:9000)": for messages.
  virtual std::string Describe() const = 0;
};

}  // namespace summit::storage
