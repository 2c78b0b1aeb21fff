// The metrics wrapper: forwards every call and counts, per operation, calls, errors by class,
// bytes moved and time spent, so that the daemon and `--json` reports can show storage
// traffic without the backends knowing about metrics. Counters are plain atomics; the caller
// exports a Snapshot() (src/metrics renders Prometheus text).
//
// Thread-safety: safe for concurrent calls; Snapshot() is consistent per counter, not across.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <memory>

#include "storage/backend.h"

namespace summit::storage {

enum class StorageOp { kPut = 0, kGet, kStat, kList, kDelete };
inline constexpr size_t kStorageOpCount = 5;
std::string_view StorageOpName(StorageOp op);

struct StorageOpStats {
  uint64_t calls = 0;
  uint64_t errors = 0;
  uint64_t not_found = 0;  // kNotFound results, also counted in errors
  uint64_t bytes = 0;      // written (put) or read (get)
  std::chrono::nanoseconds busy{0};
};

struct StorageStats {
  std::array<StorageOpStats, kStorageOpCount> ops;
  const StorageOpStats& of(StorageOp op) const { return ops[static_cast<size_t>(op)]; }
};

class MetricsBackend final : public Backend {
 public:
  explicit MetricsBackend(std::unique_ptr<Backend> inner) : inner_(std::move(inner)) {}

  Status Put(std::string_view key, ByteView data) override;
  Result<Bytes> Get(std::string_view key, uint64_t offset = 0, uint64_t length = kToEnd) override;
  Result<ObjectInfo> Stat(std::string_view key) override;
  Result<std::vector<ObjectInfo>> List(std::string_view prefix) override;
  Status Delete(std::string_view key) override;
  std::string Describe() const override { return inner_->Describe(); }

  StorageStats Snapshot() const;

 private:
  struct Counters {
    std::atomic<uint64_t> calls{0}, errors{0}, not_found{0}, bytes{0}, busy_ns{0};
  };
  template <typename R>
  void Record(StorageOp op, const R& result, uint64_t bytes, std::chrono::steady_clock::time_point start);

  std::unique_ptr<Backend> inner_;
  std::array<Counters, kStorageOpCount> counters_;
};

}  // namespace summit::storage
