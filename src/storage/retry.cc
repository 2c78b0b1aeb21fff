#include "storage/retry.h"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <mutex>

#include "core/log.h"

namespace summit::storage {

void RealRetryTimer::Sleep(std::chrono::milliseconds d, std::stop_token stop) {
  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock<std::mutex> lock(mu);
  cv.wait_for(lock, stop, d, [] { return false; });
}

RetryBackend::RetryBackend(std::unique_ptr<Backend> inner, RetryPolicy policy, RetryTimer* timer,
                           uint64_t seed, std::stop_token stop)
    : inner_(std::move(inner)),
      policy_(policy),
      timer_(timer ? timer : &real_timer_),
      rng_(seed ? seed : std::random_device{}()),
      stop_(std::move(stop)) {
  if (policy_.max_attempts < 1) policy_.max_attempts = 1;
}

uint64_t RetryBackend::retries() const {
  std::lock_guard<std::mutex> lock(mu_);
  return retries_;
}

double RetryBackend::Uniform() {
  std::lock_guard<std::mutex> lock(mu_);
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
}

std::chrono::milliseconds RetryBackend::Backoff(const RetryPolicy& policy, int retry, double u) {
  // Cap the exponent so that the shift cannot overflow; the cap below bounds it anyway.
  double ceiling = static_cast<double>(policy.initial_backoff.count()) * std::ldexp(1.0, std::min(retry, 30));
  ceiling = std::min(ceiling, static_cast<double>(policy.max_backoff.count()));
  return std::chrono::milliseconds(static_cast<int64_t>(u * ceiling));
}

template <typename R>
R RetryBackend::Run(std::string_view what, std::string_view key, const std::function<R()>& op) {
  const auto start = timer_->Now();
  for (int attempt = 1;; ++attempt) {
    R result = op();
    if (result.has_value() || result.error().code() != ErrorCode::kTransient) return result;
    auto elapsed = timer_->Now() - start;
    auto pause = Backoff(policy_, attempt - 1, Uniform());
    bool out_of_attempts = attempt >= policy_.max_attempts;
    bool out_of_time = elapsed + pause >= policy_.max_total;
    if (out_of_attempts || out_of_time) {
      auto secs = std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() / 1000.0;
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.1f", secs);
      return Unexpected{Error(ErrorCode::kTransient,
                              "giving up after " + std::to_string(attempt) + " attempts in " + buf +
                                  " s: " + std::move(result).error().message(),
                              "the storage endpoint keeps failing; check its health and retry later")};
    }
    auto cancelled = [&] {
      return Unexpected{Error(ErrorCode::kCancelled, "stopped while retrying " + std::string(what) + " " +
                                                         std::string(key) + ": " + result.error().message())};
    };
    if (stop_.stop_requested()) return cancelled();
    log::Warn("retrying storage call after a transient error",
              {{"op", std::string(what)}, {"key", std::string(key)}, {"attempt", std::to_string(attempt)},
               {"backoff_ms", std::to_string(pause.count())}, {"error", result.error().message()}});
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++retries_;
    }
    timer_->Sleep(pause, stop_);
    if (stop_.stop_requested()) return cancelled();
  }
}

Status RetryBackend::Put(std::string_view key, ByteView data) {
  return Run<Status>("put", key, [&] { return inner_->Put(key, data); });
}

Result<Bytes> RetryBackend::Get(std::string_view key, uint64_t offset, uint64_t length) {
  return Run<Result<Bytes>>("get", key, [&] { return inner_->Get(key, offset, length); });
}

Result<ObjectInfo> RetryBackend::Stat(std::string_view key) {
  return Run<Result<ObjectInfo>>("stat", key, [&] { return inner_->Stat(key); });
}

Result<std::vector<ObjectInfo>> RetryBackend::List(std::string_view prefix) {
  return Run<Result<std::vector<ObjectInfo>>>("list", prefix, [&] { return inner_->List(prefix); });
}

Status RetryBackend::Delete(std::string_view key) {
  return Run<Status>("delete", key, [&] { return inner_->Delete(key); });
}

}  // namespace summit::storage
