#include "repo/lock.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "core/log.h"
#include "storage/memory/memory_backend.h"
#include "storage/wrappers/metrics.h"

namespace summit::repo {
namespace {

using namespace std::chrono_literals;
using storage::MemoryBackend;

const bool kQuietLogs = (log::SetLevel(log::Level::kError), true);

TimePoint T0() {
  TimePoint t;
  EXPECT_TRUE(ParseUtc("2026-01-10T02:00:00Z", &t));
  return t;
}

LockOptions Opts(std::string purpose, std::string host = "host-a", int64_t pid = 100) {
  LockOptions o;
  o.purpose = std::move(purpose);
  o.host = std::move(host);
  o.pid = pid;
  o.settle = 0ms;
  o.poll_interval = 10ms;
  o.process_alive = [](int64_t) { return true; };
  return o;
}

TEST(RepositoryLock, TwoSharedLocksCoexist) {
  MemoryBackend mem;
  FakeClock clock(T0());
  auto a = RepositoryLock::Acquire(mem, LockKind::kShared, clock, Opts("backup", "host-a", 1));
  ASSERT_TRUE(a) << a.error().ToString();
  auto b = RepositoryLock::Acquire(mem, LockKind::kShared, clock, Opts("backup", "host-b", 2));
  ASSERT_TRUE(b) << b.error().ToString();
  auto locks = ListLocks(mem);
  ASSERT_TRUE(locks);
  EXPECT_EQ(locks->size(), 2u);
}

TEST(RepositoryLock, ExclusiveIsRefusedWhileASharedLockIsHeldAndNamesTheHolder) {
  MemoryBackend mem;
  FakeClock clock(T0());
  auto shared = RepositoryLock::Acquire(mem, LockKind::kShared, clock, Opts("backup", "worker-7", 4242));
  ASSERT_TRUE(shared);
  clock.Advance(90s);
  auto ex = RepositoryLock::Acquire(mem, LockKind::kExclusive, clock, Opts("prune", "host-b", 2));
  ASSERT_FALSE(ex);
  EXPECT_EQ(ex.error().code(), ErrorCode::kLocked);
  const std::string msg = ex.error().message();
  EXPECT_NE(msg.find("worker-7"), std::string::npos) << msg;
  EXPECT_NE(msg.find("4242"), std::string::npos) << msg;
  EXPECT_NE(msg.find("backup"), std::string::npos) << msg;
  EXPECT_NE(msg.find("memory:"), std::string::npos) << msg;
  EXPECT_FALSE(ex.error().hint().empty());
  // The refused attempt left no lock object behind.
  EXPECT_EQ(ListLocks(mem)->size(), 1u);
}

TEST(RepositoryLock, SharedAndExclusiveAreRefusedWhileAnExclusiveLockIsHeld) {
  MemoryBackend mem;
  FakeClock clock(T0());
  auto ex = RepositoryLock::Acquire(mem, LockKind::kExclusive, clock, Opts("prune"));
  ASSERT_TRUE(ex);
  auto shared = RepositoryLock::Acquire(mem, LockKind::kShared, clock, Opts("backup", "host-b", 2));
  ASSERT_FALSE(shared);
  EXPECT_EQ(shared.error().code(), ErrorCode::kLocked);
  EXPECT_NE(shared.error().message().find("exclusive lock"), std::string::npos);
  auto ex2 = RepositoryLock::Acquire(mem, LockKind::kExclusive, clock, Opts("prune", "host-b", 2));
  ASSERT_FALSE(ex2);
  EXPECT_EQ(ex2.error().code(), ErrorCode::kLocked);
}

TEST(RepositoryLock, ReleaseAndDestructionDeleteTheLockObject) {
  MemoryBackend mem;
  FakeClock clock(T0());
  {
    auto a = RepositoryLock::Acquire(mem, LockKind::kExclusive, clock, Opts("prune"));
    ASSERT_TRUE(a);
    EXPECT_EQ(mem.ObjectCount(), 1u);
    EXPECT_TRUE(mem.Stat((*a)->key()));
    ASSERT_TRUE((*a)->Release());
    EXPECT_EQ(mem.ObjectCount(), 0u);
    ASSERT_TRUE((*a)->Release());  // idempotent
  }
  {
    auto b = RepositoryLock::Acquire(mem, LockKind::kExclusive, clock, Opts("prune"));
    ASSERT_TRUE(b);
    EXPECT_EQ(mem.ObjectCount(), 1u);
  }
  EXPECT_EQ(mem.ObjectCount(), 0u);
}

TEST(RepositoryLock, AStaleLockIsIgnoredAndCanBeRemoved) {
  MemoryBackend mem;
  FakeClock clock(T0());
  auto old = RepositoryLock::Acquire(mem, LockKind::kExclusive, clock, Opts("prune", "crashed-host", 9));
  ASSERT_TRUE(old);
  std::string old_key = (*old)->key();
  clock.Advance(29min);
  LockOptions o = Opts("backup", "host-b", 2);
  auto refused = RepositoryLock::Acquire(mem, LockKind::kShared, clock, o);
  ASSERT_FALSE(refused);  // 29 min without refresh: still live
  clock.Advance(2min);    // 31 min: stale
  auto now_ok = RepositoryLock::Acquire(mem, LockKind::kShared, clock, o);
  ASSERT_TRUE(now_ok) << now_ok.error().ToString();
  auto removed = RemoveStaleLocks(mem, clock, o);
  ASSERT_TRUE(removed);
  ASSERT_EQ(removed->size(), 1u);
  EXPECT_EQ((*removed)[0].host, "crashed-host");
  EXPECT_FALSE(mem.Stat(old_key));
  EXPECT_TRUE(mem.Stat((*now_ok)->key()));  // the live lock stays
  // The old holder learns that its lock is lost.
  auto st = (*old)->Refresh();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code(), ErrorCode::kLocked);
  EXPECT_NE(st.error().message().find("lost"), std::string::npos);
  EXPECT_FALSE((*old)->Healthy());
}

TEST(RepositoryLock, ALockOfADeadProcessOnThisHostIsStale) {
  MemoryBackend mem;
  FakeClock clock(T0());
  auto held = RepositoryLock::Acquire(mem, LockKind::kExclusive, clock, Opts("prune", "host-a", 555));
  ASSERT_TRUE(held);
  LockOptions o = Opts("backup", "host-a", 556);
  o.process_alive = [](int64_t pid) { return pid != 555; };
  auto ok = RepositoryLock::Acquire(mem, LockKind::kShared, clock, o);
  ASSERT_TRUE(ok) << ok.error().ToString();
  // The same pid on another host is not judged by this host's process table.
  LockOptions other = Opts("backup", "host-z", 556);
  other.process_alive = [](int64_t) { return false; };
  auto refused = RepositoryLock::Acquire(mem, LockKind::kShared, clock, other);
  ASSERT_FALSE(refused);
}

TEST(RepositoryLock, RefreshRewritesTheRefreshedTime) {
  MemoryBackend mem;
  FakeClock clock(T0());
  auto a = RepositoryLock::Acquire(mem, LockKind::kShared, clock, Opts("backup"));
  ASSERT_TRUE(a);
  clock.Advance(20min);
  ASSERT_TRUE((*a)->Refresh());
  auto locks = ListLocks(mem);
  ASSERT_TRUE(locks);
  ASSERT_EQ(locks->size(), 1u);
  EXPECT_EQ((*locks)[0].created, T0());
  EXPECT_EQ((*locks)[0].refreshed, T0() + 20min);
  clock.Advance(20min);  // 40 min after creation, 20 after the refresh: not stale
  auto ex = RepositoryLock::Acquire(mem, LockKind::kExclusive, clock, Opts("prune", "host-b", 2));
  EXPECT_FALSE(ex);
  EXPECT_TRUE((*a)->Healthy());
}

TEST(RepositoryLock, TheBackgroundRefresherRewritesTheLockPeriodicallyAndStopsOnRelease) {
  auto metrics_owner = std::make_unique<storage::MetricsBackend>(std::make_unique<MemoryBackend>());
  storage::MetricsBackend& mb = *metrics_owner;
  SystemClock clock;
  LockOptions o = Opts("backup");
  o.refresh_interval = 20ms;
  auto a = RepositoryLock::Acquire(mb, LockKind::kShared, clock, o);
  ASSERT_TRUE(a);
  std::this_thread::sleep_for(250ms);
  uint64_t puts = mb.Snapshot().of(storage::StorageOp::kPut).calls;
  EXPECT_GE(puts, 4u);  // the first write plus several refreshes
  ASSERT_TRUE((*a)->Release());
  uint64_t after_release = mb.Snapshot().of(storage::StorageOp::kPut).calls;
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(mb.Snapshot().of(storage::StorageOp::kPut).calls, after_release);
  EXPECT_TRUE(mb.List("locks/")->empty());
}

TEST(RepositoryLock, WaitsForAConflictingLockToBeReleased) {
  MemoryBackend mem;
  SystemClock clock;
  auto ex = RepositoryLock::Acquire(mem, LockKind::kExclusive, clock, Opts("prune"));
  ASSERT_TRUE(ex);
  std::thread releaser([&] {
    std::this_thread::sleep_for(150ms);
    (void)(*ex)->Release();
  });
  LockOptions o = Opts("backup", "host-b", 2);
  o.wait = 5s;
  auto t0 = std::chrono::steady_clock::now();
  auto shared = RepositoryLock::Acquire(mem, LockKind::kShared, clock, o);
  auto waited = std::chrono::steady_clock::now() - t0;
  releaser.join();
  ASSERT_TRUE(shared) << shared.error().ToString();
  EXPECT_GE(waited, 100ms);
  EXPECT_LT(waited, 4s);
}

TEST(RepositoryLock, RacingExclusiveLockersNeverHoldTheLockTogether) {
  MemoryBackend mem;
  SystemClock clock;
  std::atomic<int> holders{0}, max_holders{0}, successes{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 40; ++i) {
        auto l = RepositoryLock::Acquire(mem, LockKind::kExclusive, clock, Opts("prune", "h", 1000 + t));
        if (!l) {
          EXPECT_EQ(l.error().code(), ErrorCode::kLocked);
          continue;
        }
        int now = ++holders;
        int prev = max_holders.load();
        while (now > prev && !max_holders.compare_exchange_weak(prev, now)) {
        }
        ++successes;
        std::this_thread::sleep_for(200us);
        --holders;
        ASSERT_TRUE((*l)->Release());
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(max_holders.load(), 1);
  EXPECT_GT(successes.load(), 0);
  EXPECT_TRUE(mem.List("locks/")->empty());
}

TEST(RepositoryLock, AnUnreadableLockObjectIsReportedAsCorruptionNamingIt) {
  MemoryBackend mem;
  FakeClock clock(T0());
  ASSERT_TRUE(mem.Put("locks/garbage", AsBytes("{not json")));
  auto a = RepositoryLock::Acquire(mem, LockKind::kShared, clock, Opts("backup"));
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code(), ErrorCode::kCorruption);
  EXPECT_NE(a.error().message().find("locks/garbage"), std::string::npos);
}

TEST(RepositoryLock, RejectsARefreshIntervalNotBelowTheStaleAge) {
  MemoryBackend mem;
  FakeClock clock(T0());
  LockOptions o = Opts("backup");
  o.refresh_interval = 40min;
  auto a = RepositoryLock::Acquire(mem, LockKind::kShared, clock, o);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code(), ErrorCode::kInvalidInput);
}

TEST(LockCodec, RoundTripsEveryField) {
  LockInfo l;
  l.id = "abc";
  l.kind = LockKind::kExclusive;
  l.host = "h\"ost";
  l.pid = 77;
  l.purpose = "prune";
  l.created = T0();
  l.refreshed = T0() + 5min;
  auto d = DecodeLock("abc", EncodeLock(l));
  ASSERT_TRUE(d) << d.error().ToString();
  EXPECT_EQ(d->kind, LockKind::kExclusive);
  EXPECT_EQ(d->host, "h\"ost");
  EXPECT_EQ(d->pid, 77);
  EXPECT_EQ(d->purpose, "prune");
  EXPECT_EQ(d->created, l.created);
  EXPECT_EQ(d->refreshed, l.refreshed);
  EXPECT_FALSE(DecodeLock("x", R"({"kind":"weird","created":"2026-01-01T00:00:00Z","refreshed":"2026-01-01T00:00:00Z"})"));
  EXPECT_FALSE(DecodeLock("x", R"({"kind":"shared","created":"yesterday","refreshed":"2026-01-01T00:00:00Z"})"));
  EXPECT_FALSE(DecodeLock("x", "[]"));
}

}  // namespace
}  // namespace summit::repo
