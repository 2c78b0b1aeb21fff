// The local filesystem Backend: objects are files under a root directory, key "a/b/c" at
// <root>/a/b/c.
//
// Durability (docs/repository-format.md, "Write order and invariants"): Put writes a unique
// temporary file "<name>.tmp-<random>" beside the target, fsyncs it, renames it over the
// target and fsyncs the directory, so after Put returns the object survives a power loss and a
// crash during Put leaves no object under the key (only a temp file, which List skips and
// Open-time cleanup may remove). Errors: ENOENT -> kNotFound, ENOSPC/EDQUOT -> kNoSpace,
// EACCES/EPERM/EROFS -> kPermission, EIO -> kCorruption.
//
// Thread-safety: safe for concurrent use by threads and processes (unique temp names,
// rename(2) is atomic, mkdir tolerates EEXIST).
#pragma once

#include <memory>
#include <string>

#include "storage/backend.h"

namespace summit::storage {

class LocalBackend final : public Backend {
 public:
  // Opens the repository directory `root`, creating it (and its parents) when `create` is true.
  // Fails with kNotFound when it does not exist and create is false, kInvalidInput when `root`
  // is not a directory, kPermission when it cannot be created.
  static Result<std::unique_ptr<LocalBackend>> Open(const std::string& root, bool create = true);

  Status Put(std::string_view key, ByteView data) override;
  Result<Bytes> Get(std::string_view key, uint64_t offset = 0, uint64_t length = kToEnd) override;
  Result<ObjectInfo> Stat(std::string_view key) override;
  Result<std::vector<ObjectInfo>> List(std::string_view prefix) override;
  Status Delete(std::string_view key) override;
  std::string Describe() const override { return "local:" + root_; }

  const std::string& root() const { return root_; }

 private:
  explicit LocalBackend(std::string root) : root_(std::move(root)) {}
  std::string PathOf(std::string_view key) const { return root_ + "/" + std::string(key); }
  std::string root_;
};

}  // namespace summit::storage
