#include "storage/wrappers/dry_run.h"

#include "core/log.h"

namespace summit::storage {

Status DryRunBackend::Put(std::string_view key, ByteView data) {
  log::Info("dry-run: would put", {{"key", std::string(key)}, {"bytes", std::to_string(data.size())}});
  std::lock_guard<std::mutex> lock(mu_);
  skipped_.push_back({SkippedMutation::kPut, std::string(key), data.size()});
  return Ok();
}

Status DryRunBackend::Delete(std::string_view key) {
  uint64_t size = 0;
  auto info = inner_->Stat(key);
  if (info) {
    size = info->size;
  } else if (info.error().code() != ErrorCode::kNotFound) {
    return Unexpected{std::move(info).error().Context("dry-run delete")};
  }
  log::Info("dry-run: would delete", {{"key", std::string(key)}, {"bytes", std::to_string(size)}});
  std::lock_guard<std::mutex> lock(mu_);
  skipped_.push_back({SkippedMutation::kDelete, std::string(key), size});
  return Ok();
}

std::vector<SkippedMutation> DryRunBackend::skipped() const {
  std::lock_guard<std::mutex> lock(mu_);
  return skipped_;
}

uint64_t DryRunBackend::bytes_would_write() const {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t n = 0;
  for (const auto& s : skipped_) n += s.kind == SkippedMutation::kPut ? s.bytes : 0;
  return n;
}

uint64_t DryRunBackend::bytes_would_delete() const {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t n = 0;
  for (const auto& s : skipped_) n += s.kind == SkippedMutation::kDelete ? s.bytes : 0;
  return n;
}

}  // namespace summit::storage
