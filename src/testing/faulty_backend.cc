#include "testing/faulty_backend.h"

namespace summit::testing {

void FaultyBackend::FailPutsAfterBytes(uint64_t bytes, ErrorCode code) {
  std::lock_guard lock(mu_);
  bytes_left_ = bytes;
  code_ = code;
}

void FaultyBackend::FailPutsAfterCalls(uint64_t calls, ErrorCode code) {
  std::lock_guard lock(mu_);
  calls_left_ = calls;
  code_ = code;
}

void FaultyBackend::SetBeforePut(std::function<void(uint64_t, std::string_view)> hook) {
  std::lock_guard lock(mu_);
  before_put_ = std::move(hook);
}

void FaultyBackend::Heal() {
  std::lock_guard lock(mu_);
  bytes_left_.reset();
  calls_left_.reset();
}

Status FaultyBackend::Put(std::string_view key, ByteView data) {
  uint64_t seq = ++put_calls_;
  std::function<void(uint64_t, std::string_view)> hook;
  {
    std::lock_guard lock(mu_);
    hook = before_put_;
    bool fail = false;
    if (bytes_left_) {
      if (*bytes_left_ < data.size()) fail = true;
      else *bytes_left_ -= data.size();
    }
    if (calls_left_) {
      if (*calls_left_ == 0) fail = true;
      else --*calls_left_;
    }
    if (fail) {
      ++failed_puts_;
      return Fail(code_, "injected fault writing " + std::string(key) + " to " + inner_->Describe());
    }
  }
  if (hook) hook(seq, key);
  return inner_->Put(key, data);
}

}  // namespace summit::testing
