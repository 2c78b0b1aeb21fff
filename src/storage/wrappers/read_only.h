// The read-only wrapper: reads pass through; Put and Delete fail with kPermission naming the
// key, so that commands that must not change a repository (list, show, check, verify,
// restore) cannot, whatever the code above does (pgBackRest enforces this at the storage
// layer too).
//
// Thread-safety: as the inner backend.
#pragma once

#include <memory>

#include "storage/backend.h"

namespace summit::storage {

class ReadOnlyBackend final : public Backend {
 public:
  explicit ReadOnlyBackend(std::unique_ptr<Backend> inner) : inner_(std::move(inner)) {}

  // Always kPermission.
  Status Put(std::string_view key, ByteView data) override;
  Result<Bytes> Get(std::string_view key, uint64_t offset = 0, uint64_t length = kToEnd) override {
    return inner_->Get(key, offset, length);
  }
  Result<ObjectInfo> Stat(std::string_view key) override { return inner_->Stat(key); }
  Result<std::vector<ObjectInfo>> List(std::string_view prefix) override { return inner_->List(prefix); }
  // Always kPermission.
  Status Delete(std::string_view key) override;
  std::string Describe() const override { return inner_->Describe() + " [read-only]"; }

 private:
  std::unique_ptr<Backend> inner_;
};

}  // namespace summit::storage
