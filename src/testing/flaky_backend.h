// A Backend wrapper that fails chosen calls of ANY operation with a chosen ErrorCode, to test
// the retry wrapper, locks and callers' error paths (kopia's blobtesting faulty storage).
// FaultyBackend (faulty_backend.h) covers Put budgets and crash hooks; this one covers reads,
// lists and deletes too, by call number or at random with a fixed seed.
//
// Thread-safety: safe for concurrent calls; the call counter and the RNG are under a mutex.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>

#include "storage/backend.h"

namespace summit::testing {

class FlakyBackend final : public storage::Backend {
 public:
  enum Op : unsigned { kPut = 1, kGet = 2, kStat = 4, kList = 8, kDelete = 16, kAll = 31 };

  // Does not own `inner`, which must outlive this wrapper.
  explicit FlakyBackend(storage::Backend* inner) : inner_(inner) {}

  // Fails the calls numbered `n` (1-based, counting only calls of the `ops` kinds).
  void FailCall(uint64_t n, ErrorCode code = ErrorCode::kTransient, unsigned ops = kAll);
  // Fails the next `count` calls of the `ops` kinds.
  void FailNext(uint64_t count, ErrorCode code = ErrorCode::kTransient, unsigned ops = kAll);
  // Fails each call of the `ops` kinds with probability `fraction`, drawn from `seed`.
  void FailFraction(double fraction, uint64_t seed, ErrorCode code = ErrorCode::kTransient,
                    unsigned ops = kAll);
  // Stops injecting failures.
  void Heal();

  uint64_t calls() const;           // calls of the watched kinds so far
  uint64_t injected_failures() const;

  Status Put(std::string_view key, ByteView data) override;
  Result<Bytes> Get(std::string_view key, uint64_t offset = 0, uint64_t length = storage::kToEnd) override;
  Result<storage::ObjectInfo> Stat(std::string_view key) override;
  Result<std::vector<storage::ObjectInfo>> List(std::string_view prefix) override;
  Status Delete(std::string_view key) override;
  std::string Describe() const override { return "flaky(" + inner_->Describe() + ")"; }

 private:
  // Returns an error to inject for this call, or nullopt to forward it.
  std::optional<Error> Decide(Op op, std::string_view what, std::string_view key);

  storage::Backend* inner_;
  mutable std::mutex mu_;
  unsigned ops_ = kAll;
  ErrorCode code_ = ErrorCode::kTransient;
  std::set<uint64_t> fail_calls_;
  uint64_t fail_next_ = 0;
  double fraction_ = 0;
  std::mt19937_64 rng_;
  uint64_t calls_ = 0;
  uint64_t injected_ = 0;
};

}  // namespace summit::testing
