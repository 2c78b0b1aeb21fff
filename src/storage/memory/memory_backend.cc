#include "storage/memory/memory_backend.h"

#include <algorithm>

namespace summit::storage {

Status ValidateObjectKey(std::string_view key) {
  if (key.empty()) return Fail(ErrorCode::kInvalidInput, "empty object key");
  size_t start = 0;
  while (start <= key.size()) {
    size_t end = key.find('/', start);
    if (end == std::string_view::npos) end = key.size();
    std::string_view seg = key.substr(start, end - start);
    if (seg.empty() || seg == "." || seg == ".." || seg.find('\0') != std::string_view::npos)
      return Fail(ErrorCode::kInvalidInput, "invalid object key '" + std::string(key) + "'",
                  "keys are '/'-separated non-empty segments without '.' or '..'");
    start = end + 1;
  }
  return Ok();
}

Status MemoryBackend::Put(std::string_view key, ByteView data) {
  SUMMIT_TRY(ValidateObjectKey(key));
  Bytes copy(data.begin(), data.end());
  std::lock_guard lock(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) objects_.emplace(std::string(key), std::move(copy));
  else it->second = std::move(copy);
  return Ok();
}

Result<Bytes> MemoryBackend::Get(std::string_view key, uint64_t offset, uint64_t length) {
  std::lock_guard lock(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end())
    return Fail(ErrorCode::kNotFound, "object " + std::string(key) + " not found in " + Describe());
  const Bytes& b = it->second;
  if (offset >= b.size()) return Bytes{};
  uint64_t n = std::min<uint64_t>(length, b.size() - offset);
  return Bytes(b.begin() + offset, b.begin() + offset + n);
}

Result<ObjectInfo> MemoryBackend::Stat(std::string_view key) {
  std::lock_guard lock(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end())
    return Fail(ErrorCode::kNotFound, "object " + std::string(key) + " not found in " + Describe());
  return ObjectInfo{it->first, it->second.size()};
}

Result<std::vector<ObjectInfo>> MemoryBackend::List(std::string_view prefix) {
  std::lock_guard lock(mu_);
  std::vector<ObjectInfo> out;
  for (auto it = objects_.lower_bound(prefix); it != objects_.end(); ++it) {
    if (it->first.compare(0, prefix.size(), prefix) != 0) break;
    out.push_back({it->first, it->second.size()});
  }
  return out;
}

Status MemoryBackend::Delete(std::string_view key) {
  std::lock_guard lock(mu_);
  auto it = objects_.find(key);
  if (it != objects_.end()) objects_.erase(it);
  return Ok();
}

size_t MemoryBackend::ObjectCount() const {
  std::lock_guard lock(mu_);
  return objects_.size();
}

bool MemoryBackend::Mutate(std::string_view key, const std::function<void(Bytes&)>& fn) {
  std::lock_guard lock(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return false;
  fn(it->second);
  return true;
}

}  // namespace summit::storage
