// An in-memory storage Backend: the reference implementation of the Backend contract
// (storage/backend.h), used by unit tests and benchmarks that must not touch a disk.
//
// Invariant: objects are immutable values; Put replaces a whole object atomically under a mutex,
// so readers see either the old or the new bytes. Thread-safety: every method is safe for
// concurrent calls.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "storage/backend.h"

namespace summit::storage {

class MemoryBackend final : public Backend {
 public:
  explicit MemoryBackend(std::string name = "memory") : name_(std::move(name)) {}

  Status Put(std::string_view key, ByteView data) override;
  Result<Bytes> Get(std::string_view key, uint64_t offset = 0, uint64_t length = kToEnd) override;
  Result<ObjectInfo> Stat(std::string_view key) override;
  Result<std::vector<ObjectInfo>> List(std::string_view prefix) override;
  Status Delete(std::string_view key) override;
  std::string Describe() const override { return "memory:" + name_; }

  // Test helpers: the number of objects, and direct mutation (to simulate bit rot).
  size_t ObjectCount() const;
  // Applies `fn` to the stored bytes of `key`; false when the key does not exist.
  bool Mutate(std::string_view key, const std::function<void(Bytes&)>& fn);

 private:
  std::string name_;
  mutable std::mutex mu_;
  std::map<std::string, Bytes, std::less<>> objects_;
};

// Validates an object key: non-empty '/'-separated segments, none "." or "..", no NUL.
// Returns kInvalidInput naming the key otherwise. Shared by the local and memory backends.
Status ValidateObjectKey(std::string_view key);

}  // namespace summit::storage
