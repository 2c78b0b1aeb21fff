// The dry-run wrapper: reads pass through; Put and Delete are recorded, logged at info level
// and skipped (reported as success), so that `prune --dry-run` and friends run the real code
// path and can list what would be written or removed and how many bytes. As in pgBackRest,
// dry-run is enforced at the storage layer rather than by every caller.
//
// Note: a Get after a skipped Put sees the old state (the write did not happen).
// Thread-safety: safe for concurrent calls; the record is under a mutex.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "storage/backend.h"

namespace summit::storage {

struct SkippedMutation {
  enum Kind { kPut, kDelete } kind;
  std::string key;
  uint64_t bytes = 0;  // the Put's size, or the deleted object's size (0 if it did not exist)
};

class DryRunBackend final : public Backend {
 public:
  explicit DryRunBackend(std::unique_ptr<Backend> inner) : inner_(std::move(inner)) {}

  // Records and skips; succeeds.
  Status Put(std::string_view key, ByteView data) override;
  Result<Bytes> Get(std::string_view key, uint64_t offset = 0, uint64_t length = kToEnd) override {
    return inner_->Get(key, offset, length);
  }
  Result<ObjectInfo> Stat(std::string_view key) override { return inner_->Stat(key); }
  Result<std::vector<ObjectInfo>> List(std::string_view prefix) override { return inner_->List(prefix); }
  // Stats the object (for its size), records and skips. Fails only if the Stat fails with
  // something other than kNotFound.
  Status Delete(std::string_view key) override;
  std::string Describe() const override { return inner_->Describe() + " [dry-run]"; }

  std::vector<SkippedMutation> skipped() const;
  uint64_t bytes_would_write() const;
  uint64_t bytes_would_delete() const;

 private:
  std::unique_ptr<Backend> inner_;
  mutable std::mutex mu_;
  std::vector<SkippedMutation> skipped_;
};

}  // namespace summit::storage
