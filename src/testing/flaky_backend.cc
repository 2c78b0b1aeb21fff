#include "testing/flaky_backend.h"

namespace summit::testing {

void FlakyBackend::FailCall(uint64_t n, ErrorCode code, unsigned ops) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_calls_.insert(n);
  code_ = code;
  ops_ = ops;
}

void FlakyBackend::FailNext(uint64_t count, ErrorCode code, unsigned ops) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_next_ = count;
  code_ = code;
  ops_ = ops;
}

void FlakyBackend::FailFraction(double fraction, uint64_t seed, ErrorCode code, unsigned ops) {
  std::lock_guard<std::mutex> lock(mu_);
  fraction_ = fraction;
  rng_.seed(seed);
  code_ = code;
  ops_ = ops;
}

void FlakyBackend::Heal() {
  std::lock_guard<std::mutex> lock(mu_);
  fail_calls_.clear();
  fail_next_ = 0;
  fraction_ = 0;
}

uint64_t FlakyBackend::calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return calls_;
}

uint64_t FlakyBackend::injected_failures() const {
  std::lock_guard<std::mutex> lock(mu_);
  return injected_;
}

std::optional<Error> FlakyBackend::Decide(Op op, std::string_view what, std::string_view key) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!(ops_ & op)) return std::nullopt;
  uint64_t n = ++calls_;
  bool fail = false;
  if (fail_calls_.erase(n)) fail = true;
  if (!fail && fail_next_ > 0) {
    --fail_next_;
    fail = true;
  }
  if (!fail && fraction_ > 0 && std::uniform_real_distribution<double>(0, 1)(rng_) < fraction_) fail = true;
  if (!fail) return std::nullopt;
  ++injected_;
  return Error(code_, "injected " + std::string(ErrorCodeName(code_)) + " failure of " + std::string(what) +
                          " " + std::string(key) + " (call " + std::to_string(n) + ")");
}

Status FlakyBackend::Put(std::string_view key, ByteView data) {
  if (auto e = Decide(kPut, "put", key)) return Unexpected{*e};
  return inner_->Put(key, data);
}

Result<Bytes> FlakyBackend::Get(std::string_view key, uint64_t offset, uint64_t length) {
  if (auto e = Decide(kGet, "get", key)) return Unexpected{*e};
  return inner_->Get(key, offset, length);
}

Result<storage::ObjectInfo> FlakyBackend::Stat(std::string_view key) {
  if (auto e = Decide(kStat, "stat", key)) return Unexpected{*e};
  return inner_->Stat(key);
}

Result<std::vector<storage::ObjectInfo>> FlakyBackend::List(std::string_view prefix) {
  if (auto e = Decide(kList, "list", prefix)) return Unexpected{*e};
  return inner_->List(prefix);
}

Status FlakyBackend::Delete(std::string_view key) {
  if (auto e = Decide(kDelete, "delete", key)) return Unexpected{*e};
  return inner_->Delete(key);
}

}  // namespace summit::testing
