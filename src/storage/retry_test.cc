#include "storage/retry.h"

#include <gtest/gtest.h>

#include <mutex>
#include <thread>

#include "core/log.h"
#include "storage/memory/memory_backend.h"
#include "testing/backend_conformance.h"
#include "testing/flaky_backend.h"

namespace summit::storage {
namespace {

using std::chrono::milliseconds;
using testing::FlakyBackend;

// The retry wrapper warns on every retry; these tests provoke hundreds.
const bool kQuietLogs = (log::SetLevel(log::Level::kError), true);

// Advances a fake steady clock by each sleep, and records the sleeps. Thread-safe: the
// conformance suite retries from several threads at once (ASan caught two of them growing
// `sleeps` together).
class FakeTimer final : public RetryTimer {
 public:
  std::chrono::steady_clock::time_point Now() override {
    std::lock_guard<std::mutex> lock(mu_);
    return now_;
  }
  void Sleep(milliseconds d, std::stop_token) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      sleeps.push_back(d);
      now_ += d;
    }
    if (on_sleep) on_sleep();
  }
  std::function<void()> on_sleep;
  void Advance(milliseconds d) {
    std::lock_guard<std::mutex> lock(mu_);
    now_ += d;
  }
  std::vector<milliseconds> sleeps;  // read once the operations are done

 private:
  std::mutex mu_;
  std::chrono::steady_clock::time_point now_{};
};

// A retry wrapper over flaky(memory), keeping pointers to the layers for inspection.
struct Stack {
  explicit Stack(RetryPolicy policy = {}, uint64_t seed = 42, std::stop_token stop = {}) {
    auto memory_owner = std::make_unique<MemoryBackend>();
    memory = memory_owner.get();
    auto flaky_owner = std::make_unique<FlakyOwner>(std::move(memory_owner));
    flaky = &flaky_owner->flaky;
    retry = std::make_unique<RetryBackend>(std::move(flaky_owner), policy, &timer, seed, stop);
  }
  // Owns the memory backend under a FlakyBackend (which does not own its inner).
  struct FlakyOwner final : Backend {
    explicit FlakyOwner(std::unique_ptr<MemoryBackend> m) : mem(std::move(m)), flaky(mem.get()) {}
    Status Put(std::string_view k, ByteView d) override { return flaky.Put(k, d); }
    Result<Bytes> Get(std::string_view k, uint64_t o, uint64_t l) override { return flaky.Get(k, o, l); }
    Result<ObjectInfo> Stat(std::string_view k) override { return flaky.Stat(k); }
    Result<std::vector<ObjectInfo>> List(std::string_view p) override { return flaky.List(p); }
    Status Delete(std::string_view k) override { return flaky.Delete(k); }
    std::string Describe() const override { return flaky.Describe(); }
    std::unique_ptr<MemoryBackend> mem;
    FlakyBackend flaky;
  };
  FakeTimer timer;
  MemoryBackend* memory;
  FlakyBackend* flaky;
  std::unique_ptr<RetryBackend> retry;
};

TEST(RetryBackend, RetriesTransientFailuresUntilTheCallSucceeds) {
  Stack s;
  s.flaky->FailNext(3, ErrorCode::kTransient);
  ASSERT_TRUE(s.retry->Put("k", AsBytes("v")));
  EXPECT_EQ(s.flaky->calls(), 4u);
  EXPECT_EQ(s.retry->retries(), 3u);
  EXPECT_EQ(s.timer.sleeps.size(), 3u);
  auto got = s.memory->Get("k");
  ASSERT_TRUE(got);
  EXPECT_EQ(AsString(*got), "v");
}

TEST(RetryBackend, RetriesEveryOperationKind) {
  Stack s;
  ASSERT_TRUE(s.memory->Put("a/k", AsBytes("v")));
  s.flaky->FailNext(1);
  EXPECT_TRUE(s.retry->Get("a/k"));
  s.flaky->FailNext(1);
  EXPECT_TRUE(s.retry->Stat("a/k"));
  s.flaky->FailNext(1);
  auto l = s.retry->List("a/");
  ASSERT_TRUE(l);
  EXPECT_EQ(l->size(), 1u);
  s.flaky->FailNext(1);
  EXPECT_TRUE(s.retry->Delete("a/k"));
  EXPECT_EQ(s.retry->retries(), 4u);
  EXPECT_EQ(s.memory->ObjectCount(), 0u);
}

TEST(RetryBackend, ReturnsNonTransientErrorsAtOnce) {
  for (ErrorCode code : {ErrorCode::kNotFound, ErrorCode::kPermission, ErrorCode::kUnavailable,
                         ErrorCode::kCorruption, ErrorCode::kNoSpace}) {
    Stack s;
    s.flaky->FailNext(1, code);
    auto st = s.retry->Put("k", AsBytes("v"));
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().code(), code);
    EXPECT_EQ(s.flaky->calls(), 1u) << ErrorCodeName(code);
    EXPECT_TRUE(s.timer.sleeps.empty());
  }
  Stack s;
  auto missing = s.retry->Get("missing");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(s.retry->retries(), 0u);
}

TEST(RetryBackend, GivesUpAfterMaxAttemptsWithTheLastErrorAndTheCount) {
  RetryPolicy p;
  p.max_attempts = 5;
  Stack s(p);
  s.flaky->FailNext(100);
  auto st = s.retry->Put("k", AsBytes("v"));
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code(), ErrorCode::kTransient);
  EXPECT_NE(st.error().message().find("giving up after 5 attempts"), std::string::npos) << st.error().ToString();
  EXPECT_NE(st.error().message().find("injected"), std::string::npos);
  EXPECT_FALSE(st.error().hint().empty());
  EXPECT_EQ(s.flaky->calls(), 5u);
  EXPECT_EQ(s.timer.sleeps.size(), 4u);
}

TEST(RetryBackend, StopsWhenTheTotalTimeBudgetIsSpent) {
  RetryPolicy p;
  p.max_attempts = 1000;
  p.initial_backoff = milliseconds(1000);
  p.max_backoff = milliseconds(1000);
  p.max_total = milliseconds(10000);
  Stack s(p);
  s.flaky->FailNext(1000);
  auto st = s.retry->Get("k");
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code(), ErrorCode::kTransient);
  milliseconds total{0};
  for (auto d : s.timer.sleeps) total += d;
  EXPECT_LT(total, p.max_total);
  EXPECT_LT(s.flaky->calls(), 1000u);
  EXPECT_GT(s.flaky->calls(), 5u);  // jittered 0..1 s sleeps: many attempts fit in 10 s
}

TEST(RetryBackend, BackoffCeilingDoublesPerRetryUpToTheCap) {
  RetryPolicy p;
  p.initial_backoff = milliseconds(100);
  p.max_backoff = milliseconds(3000);
  const double almost_one = 0.999999;
  EXPECT_EQ(RetryBackend::Backoff(p, 0, almost_one).count(), 99);
  EXPECT_EQ(RetryBackend::Backoff(p, 1, almost_one).count(), 199);
  EXPECT_EQ(RetryBackend::Backoff(p, 3, almost_one).count(), 799);
  EXPECT_EQ(RetryBackend::Backoff(p, 5, almost_one).count(), 2999);
  EXPECT_EQ(RetryBackend::Backoff(p, 500, almost_one).count(), 2999);
  EXPECT_EQ(RetryBackend::Backoff(p, 4, 0.0).count(), 0);
  EXPECT_EQ(RetryBackend::Backoff(p, 4, 0.5).count(), 800);
}

TEST(RetryBackend, SleepsAreFullyJitteredWithinTheCeiling) {
  RetryPolicy p;
  p.max_attempts = 200;
  p.initial_backoff = milliseconds(100);
  p.max_backoff = milliseconds(1000);
  p.max_total = std::chrono::hours(10);
  Stack s(p, 7);
  s.flaky->FailNext(150);
  ASSERT_TRUE(s.retry->Put("k", AsBytes("v")));
  ASSERT_EQ(s.timer.sleeps.size(), 150u);
  std::set<int64_t> distinct;
  milliseconds late_sum{0};
  for (size_t i = 0; i < s.timer.sleeps.size(); ++i) {
    auto d = s.timer.sleeps[i];
    auto ceiling = RetryBackend::Backoff(p, static_cast<int>(i), 1.0);
    EXPECT_GE(d.count(), 0);
    EXPECT_LE(d, ceiling);
    distinct.insert(d.count());
    if (i >= 10) late_sum += d;
  }
  EXPECT_GT(distinct.size(), 100u);  // not a fixed schedule
  // Uniform over [0, 1000): the mean of 140 draws is far from both ends.
  double mean = static_cast<double>(late_sum.count()) / 140.0;
  EXPECT_GT(mean, 300.0);
  EXPECT_LT(mean, 700.0);
}

TEST(RetryBackend, ManyCallsSucceedDespiteARandomFractionOfTransientFailures) {
  RetryPolicy p;
  p.max_attempts = 12;
  Stack s(p);
  s.flaky->FailFraction(0.3, 1234);
  for (int i = 0; i < 200; ++i) {
    std::string key = "k/" + std::to_string(i);
    ASSERT_TRUE(s.retry->Put(key, AsBytes(key)));
    auto got = s.retry->Get(key);
    ASSERT_TRUE(got) << got.error().ToString();
    EXPECT_EQ(AsString(*got), key);
  }
  auto all = s.retry->List("k/");
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 200u);
  EXPECT_GT(s.flaky->injected_failures(), 60u);
  EXPECT_EQ(s.retry->retries(), s.flaky->injected_failures());
}

TEST(RetryBackend, AStopRequestEndsRetryingWithCancelled) {
  std::stop_source stop;
  Stack s({}, 42, stop.get_token());
  s.flaky->FailNext(100);
  s.timer.on_sleep = [&] {
    if (s.timer.sleeps.size() == 2) stop.request_stop();
  };
  auto st = s.retry->Put("k", AsBytes("v"));
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code(), ErrorCode::kCancelled);
  EXPECT_NE(st.error().message().find("put k"), std::string::npos) << st.error().ToString();
  EXPECT_EQ(s.flaky->calls(), 2u);  // no attempt after the stop
  // Once stopped, a failing call does not even sleep.
  auto again = s.retry->Get("k");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), ErrorCode::kCancelled);
  EXPECT_EQ(s.timer.sleeps.size(), 2u);
}

TEST(RetryBackend, TheRealTimerWakesUpEarlyOnStop) {
  RealRetryTimer timer;
  std::stop_source stop;
  std::thread stopper([&] {
    std::this_thread::sleep_for(milliseconds(50));
    stop.request_stop();
  });
  auto t0 = std::chrono::steady_clock::now();
  timer.Sleep(milliseconds(10000), stop.get_token());
  auto slept = std::chrono::steady_clock::now() - t0;
  stopper.join();
  EXPECT_LT(slept, milliseconds(5000));
  t0 = std::chrono::steady_clock::now();
  timer.Sleep(milliseconds(30), std::stop_token{});
  EXPECT_GE(std::chrono::steady_clock::now() - t0, milliseconds(30));
}

TEST(RetryBackend, PassesBackendConformanceOverAFlakyBackend) {
  std::vector<std::unique_ptr<FakeTimer>> timers;
  summit::testing::RunBackendConformance([&] {
    timers.push_back(std::make_unique<FakeTimer>());
    RetryPolicy p;
    p.max_attempts = 20;
    auto mem = std::make_unique<MemoryBackend>();
    auto owner = std::make_unique<Stack::FlakyOwner>(std::move(mem));
    owner->flaky.FailFraction(0.2, timers.size());
    return std::make_unique<RetryBackend>(std::move(owner), p, timers.back().get(), 99);
  });
}

}  // namespace
}  // namespace summit::storage
