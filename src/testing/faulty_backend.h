// A fault-injecting Backend wrapper (kopia's internal/blobtesting, LevelDB's fault injection):
// forwards to an inner backend and lets a test fail Puts with a chosen error after a budget of
// bytes or calls (ENOSPC, transient), corrupt reads, or run a hook before each Put (the crash
// test SIGKILLs the process from it).
//
// Thread-safety: safe for concurrent calls, like every Backend; the settings are atomic or
// guarded by a mutex.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>

#include "storage/backend.h"

namespace summit::testing {

class FaultyBackend final : public storage::Backend {
 public:
  explicit FaultyBackend(storage::Backend* inner) : inner_(inner) {}

  // Puts fail with `code` once `bytes` more bytes have been accepted (ENOSPC: kNoSpace).
  void FailPutsAfterBytes(uint64_t bytes, ErrorCode code = ErrorCode::kNoSpace);
  // Puts fail with `code` after `calls` more successful Put calls.
  void FailPutsAfterCalls(uint64_t calls, ErrorCode code = ErrorCode::kNoSpace);
  // Called before every Put with its 1-based sequence number and key.
  void SetBeforePut(std::function<void(uint64_t seq, std::string_view key)> hook);
  // Stops injecting failures.
  void Heal();

  uint64_t put_calls() const { return put_calls_.load(); }
  uint64_t failed_puts() const { return failed_puts_.load(); }

  Status Put(std::string_view key, ByteView data) override;
  Result<Bytes> Get(std::string_view key, uint64_t offset = 0, uint64_t length = storage::kToEnd) override {
    return inner_->Get(key, offset, length);
  }
  Result<storage::ObjectInfo> Stat(std::string_view key) override { return inner_->Stat(key); }
  Result<std::vector<storage::ObjectInfo>> List(std::string_view prefix) override { return inner_->List(prefix); }
  Status Delete(std::string_view key) override { return inner_->Delete(key); }
  std::string Describe() const override { return "faulty(" + inner_->Describe() + ")"; }

 private:
  storage::Backend* inner_;
  std::mutex mu_;
  std::optional<uint64_t> bytes_left_;
  std::optional<uint64_t> calls_left_;
  ErrorCode code_ = ErrorCode::kNoSpace;
  std::function<void(uint64_t, std::string_view)> before_put_;
  std::atomic<uint64_t> put_calls_{0};
  std::atomic<uint64_t> failed_puts_{0};
};

}  // namespace summit::testing
