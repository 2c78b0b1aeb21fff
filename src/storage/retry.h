// The retry wrapper: a Backend that forwards to an inner Backend and retries calls that fail
// with kTransient (5xx, 429/SlowDown, time-outs, resets), with exponential backoff and full
// jitter (sleep = uniform(0, min(max_backoff, initial_backoff * 2^attempt))), bounded by a
// number of attempts and a total time. Every other error class is returned at once. All
// Backend calls are idempotent (Put replaces a whole object), so retrying them is safe.
//
// Time and sleep go through RetryTimer so that unit tests run instantly with a fake. A stop
// token ends the waiting: a call that would sleep before its next attempt returns kCancelled.
// Thread-safety: safe for concurrent calls, as the inner backend is.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <stop_token>

#include "storage/backend.h"

namespace summit::storage {

struct RetryPolicy {
  int max_attempts = 8;  // including the first
  std::chrono::milliseconds initial_backoff{200};
  std::chrono::milliseconds max_backoff{20000};
  // No new attempt starts after this much time since the first one began (sleeps included).
  std::chrono::milliseconds max_total{std::chrono::minutes(5)};
};

// The time seam of the retry wrapper.
class RetryTimer {
 public:
  virtual ~RetryTimer() = default;
  virtual std::chrono::steady_clock::time_point Now() = 0;
  // Sleeps for `d` or until `stop` is requested, whichever comes first.
  virtual void Sleep(std::chrono::milliseconds d, std::stop_token stop) = 0;
};

class RealRetryTimer final : public RetryTimer {
 public:
  std::chrono::steady_clock::time_point Now() override { return std::chrono::steady_clock::now(); }
  void Sleep(std::chrono::milliseconds d, std::stop_token stop) override;
};

class RetryBackend final : public Backend {
 public:
  // `timer` may be null (the real clock); when given it must outlive this backend.
  // `seed` seeds the jitter (0: random). When `stop` is requested, pending and future retries
  // give up with kCancelled (first attempts still run).
  RetryBackend(std::unique_ptr<Backend> inner, RetryPolicy policy = {}, RetryTimer* timer = nullptr,
               uint64_t seed = 0, std::stop_token stop = {});

  Status Put(std::string_view key, ByteView data) override;
  Result<Bytes> Get(std::string_view key, uint64_t offset = 0, uint64_t length = kToEnd) override;
  Result<ObjectInfo> Stat(std::string_view key) override;
  Result<std::vector<ObjectInfo>> List(std::string_view prefix) override;
  Status Delete(std::string_view key) override;
  std::string Describe() const override { return inner_->Describe(); }

  Backend* inner() const { return inner_.get(); }
  // Total retries performed (attempts after the first), for metrics and tests.
  uint64_t retries() const;

  // The backoff before retry number `retry` (0-based) for a uniform draw u in [0,1): exposed
  // for tests of the schedule.
  static std::chrono::milliseconds Backoff(const RetryPolicy& policy, int retry, double u);

 private:
  // Runs `op` until it succeeds, fails with a non-transient error, or the budget is spent.
  // On giving up the last error is returned with context "after N attempts".
  template <typename R>
  R Run(std::string_view what, std::string_view key, const std::function<R()>& op);
  double Uniform();

  std::unique_ptr<Backend> inner_;
  RetryPolicy policy_;
  RealRetryTimer real_timer_;
  RetryTimer* timer_;
  mutable std::mutex mu_;
  std::mt19937_64 rng_;
  uint64_t retries_ = 0;
  std::stop_token stop_;
};

}  // namespace summit::storage
