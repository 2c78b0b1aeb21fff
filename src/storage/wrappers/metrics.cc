#include "storage/wrappers/metrics.h"

namespace summit::storage {

std::string_view StorageOpName(StorageOp op) {
  switch (op) {
    case StorageOp::kPut: return "put";
    case StorageOp::kGet: return "get";
    case StorageOp::kStat: return "stat";
    case StorageOp::kList: return "list";
    case StorageOp::kDelete: return "delete";
  }
  return "unknown";
}

template <typename R>
void MetricsBackend::Record(StorageOp op, const R& result, uint64_t bytes,
                            std::chrono::steady_clock::time_point start) {
  Counters& c = counters_[static_cast<size_t>(op)];
  c.calls.fetch_add(1, std::memory_order_relaxed);
  c.busy_ns.fetch_add(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count(),
      std::memory_order_relaxed);
  if (result.has_value()) {
    c.bytes.fetch_add(bytes, std::memory_order_relaxed);
  } else {
    c.errors.fetch_add(1, std::memory_order_relaxed);
    if (result.error().code() == ErrorCode::kNotFound) c.not_found.fetch_add(1, std::memory_order_relaxed);
  }
}

Status MetricsBackend::Put(std::string_view key, ByteView data) {
  auto start = std::chrono::steady_clock::now();
  Status st = inner_->Put(key, data);
  Record(StorageOp::kPut, st, data.size(), start);
  return st;
}

Result<Bytes> MetricsBackend::Get(std::string_view key, uint64_t offset, uint64_t length) {
  auto start = std::chrono::steady_clock::now();
  Result<Bytes> r = inner_->Get(key, offset, length);
  Record(StorageOp::kGet, r, r ? r->size() : 0, start);
  return r;
}

Result<ObjectInfo> MetricsBackend::Stat(std::string_view key) {
  auto start = std::chrono::steady_clock::now();
  auto r = inner_->Stat(key);
  Record(StorageOp::kStat, r, 0, start);
  return r;
}

Result<std::vector<ObjectInfo>> MetricsBackend::List(std::string_view prefix) {
  auto start = std::chrono::steady_clock::now();
  auto r = inner_->List(prefix);
  Record(StorageOp::kList, r, 0, start);
  return r;
}

Status MetricsBackend::Delete(std::string_view key) {
  auto start = std::chrono::steady_clock::now();
  Status st = inner_->Delete(key);
  Record(StorageOp::kDelete, st, 0, start);
  return st;
}

StorageStats MetricsBackend::Snapshot() const {
  StorageStats s;
  for (size_t i = 0; i < kStorageOpCount; ++i) {
    const Counters& c = counters_[i];
    s.ops[i].calls = c.calls.load(std::memory_order_relaxed);
    s.ops[i].errors = c.errors.load(std::memory_order_relaxed);
    s.ops[i].not_found = c.not_found.load(std::memory_order_relaxed);
    s.ops[i].bytes = c.bytes.load(std::memory_order_relaxed);
    s.ops[i].busy = std::chrono::nanoseconds(c.busy_ns.load(std::memory_order_relaxed));
  }
  return s;
}

}  // namespace summit::storage
