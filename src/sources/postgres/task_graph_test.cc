#include "sources/postgres/task_graph.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

namespace summit::sources::postgres {
namespace {

using std::chrono::milliseconds;

TEST(LocksConflict, FollowsPostgresTable) {
  EXPECT_FALSE(LocksConflict(LockMode::kShare, LockMode::kShare));  // two CREATE INDEX on one table
  EXPECT_TRUE(LocksConflict(LockMode::kShare, LockMode::kShareUpdateExclusive));  // CREATE INDEX vs ANALYZE
  EXPECT_TRUE(LocksConflict(LockMode::kShareUpdateExclusive, LockMode::kShareUpdateExclusive));
  EXPECT_FALSE(LocksConflict(LockMode::kRowShare, LockMode::kShare));  // VALIDATE's parent lock vs CREATE INDEX
  EXPECT_TRUE(LocksConflict(LockMode::kShareRowExclusive, LockMode::kShareRowExclusive));
  EXPECT_TRUE(LocksConflict(LockMode::kRowShare, LockMode::kExclusive));
  EXPECT_FALSE(LocksConflict(LockMode::kRowExclusive, LockMode::kRowExclusive));
  EXPECT_TRUE(LocksConflict(LockMode::kRowExclusive, LockMode::kShare));
  for (int a = 0; a <= static_cast<int>(LockMode::kAccessExclusive); ++a) {
    for (int b = 0; b <= static_cast<int>(LockMode::kAccessExclusive); ++b) {
      EXPECT_EQ(LocksConflict(LockMode(a), LockMode(b)), LocksConflict(LockMode(b), LockMode(a))) << a << " " << b;
    }
    EXPECT_TRUE(LocksConflict(LockMode(a), LockMode::kAccessExclusive));
  }
}

// Records start/end order and checks invariants while tasks run.
struct Recorder {
  std::mutex mu;
  std::vector<size_t> started, finished;
  std::vector<char> done;
  explicit Recorder(size_t n) : done(n, 0) {}
};

TEST(RunTaskGraph, RespectsDependenciesAndRunsEverythingOnce) {
  // a diamond: 0 -> {1, 2} -> 3, plus an independent 4
  std::vector<GraphTask> tasks(5);
  tasks[1].deps = {0};
  tasks[2].deps = {0};
  tasks[3].deps = {1, 2};
  Recorder rec(tasks.size());
  std::atomic<int> violations{0};
  auto st = RunTaskGraph(2, tasks, [&](int, size_t k) -> Status {
    {
      std::lock_guard<std::mutex> l(rec.mu);
      for (size_t d : tasks[k].deps) violations += rec.done[d] ? 0 : 1;
      rec.started.push_back(k);
    }
    std::this_thread::sleep_for(milliseconds(5));
    std::lock_guard<std::mutex> l(rec.mu);
    rec.done[k] = 1;
    rec.finished.push_back(k);
    return Ok();
  });
  ASSERT_TRUE(st) << st.error().ToString();
  EXPECT_EQ(violations.load(), 0);
  EXPECT_EQ(rec.finished.size(), tasks.size());
  EXPECT_EQ(rec.finished.back(), 3u);
}

TEST(RunTaskGraph, NeverRunsConflictingLocksTogetherButOverlapsCompatibleOnes) {
  // Two index builds (SHARE) on t may overlap; ANALYZE (SHARE UPDATE EXCLUSIVE) may not overlap them.
  std::vector<GraphTask> tasks(3);
  tasks[0] = {"index a", {}, {}, {{"t", LockMode::kShare}}, 3};
  tasks[1] = {"index b", {}, {}, {{"t", LockMode::kShare}}, 2};
  tasks[2] = {"analyze", {}, {}, {{"t", LockMode::kShareUpdateExclusive}}, 1};
  std::mutex mu;
  int share_running = 0, sue_running = 0, max_share = 0;
  std::atomic<int> violations{0};
  auto st = RunTaskGraph(3, tasks, [&](int, size_t k) -> Status {
    {
      std::lock_guard<std::mutex> l(mu);
      if (k == 2) {
        violations += share_running > 0 ? 1 : 0;
        ++sue_running;
      } else {
        violations += sue_running > 0 ? 1 : 0;
        ++share_running;
        max_share = std::max(max_share, share_running);
      }
    }
    std::this_thread::sleep_for(milliseconds(30));
    std::lock_guard<std::mutex> l(mu);
    (k == 2 ? sue_running : share_running)--;
    return Ok();
  });
  ASSERT_TRUE(st) << st.error().ToString();
  EXPECT_EQ(violations.load(), 0);
  EXPECT_EQ(max_share, 2);
}

TEST(RunTaskGraph, HigherPriorityStartsFirst) {
  std::vector<GraphTask> tasks(4);
  for (size_t i = 0; i < tasks.size(); ++i) tasks[i].priority = static_cast<double>(i);
  std::vector<size_t> order;
  ASSERT_TRUE(RunTaskGraph(1, tasks, [&](int, size_t k) -> Status {
    order.push_back(k);
    return Ok();
  }));
  EXPECT_EQ(order, (std::vector<size_t>{3, 2, 1, 0}));
}

TEST(RunTaskGraph, BreaksASoftCycleButNotAHardOne) {
  std::vector<GraphTask> soft(2);
  soft[0].soft_deps = {1};
  soft[1].soft_deps = {0};
  soft[1].priority = 1;
  std::vector<size_t> order;
  ASSERT_TRUE(RunTaskGraph(2, soft, [&](int, size_t k) -> Status {
    order.push_back(k);
    return Ok();
  }));
  EXPECT_EQ(order, (std::vector<size_t>{1, 0}));  // the cycle broken at the higher priority

  std::vector<GraphTask> hard(3);
  hard[0].deps = {1};
  hard[1].deps = {0};
  int ran = 0;
  auto st = RunTaskGraph(2, hard, [&](int, size_t) -> Status {
    ++ran;
    return Ok();
  });
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code(), ErrorCode::kInternal);
  EXPECT_EQ(ran, 1);  // the independent task ran; the cycle never did
}

TEST(RunTaskGraph, FirstFailureStopsNewTasksAndNamesTheTask) {
  std::vector<GraphTask> tasks(6);
  for (size_t i = 0; i < tasks.size(); ++i) {
    tasks[i].label = "step " + std::to_string(i);
    tasks[i].priority = -static_cast<double>(i);
  }
  std::atomic<int> ran{0};
  auto st = RunTaskGraph(1, tasks, [&](int, size_t k) -> Status {
    ++ran;
    if (k == 2) return Fail(ErrorCode::kUnavailable, "server went away");
    return Ok();
  });
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code(), ErrorCode::kUnavailable);
  EXPECT_NE(st.error().ToString().find("step 2"), std::string::npos) << st.error().ToString();
  EXPECT_EQ(ran.load(), 3);
}

TEST(RunTaskGraph, RejectsBadDependencies) {
  std::vector<GraphTask> tasks(2);
  tasks[1].deps = {7};
  bool called = false;
  auto st = RunTaskGraph(2, tasks, [&](int, size_t) -> Status {
    called = true;
    return Ok();
  });
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code(), ErrorCode::kInvalidInput);
  EXPECT_FALSE(called);
}

TEST(RunTaskGraph, EachWorkerIndexIsUsedByOneThreadAtATime) {
  std::vector<GraphTask> tasks(40);
  std::atomic<int> busy[3] = {0, 0, 0};
  std::atomic<int> violations{0};
  ASSERT_TRUE(RunTaskGraph(3, tasks, [&](int w, size_t) -> Status {
    if (busy[w]++ != 0) ++violations;
    std::this_thread::sleep_for(milliseconds(1));
    --busy[w];
    return Ok();
  }));
  EXPECT_EQ(violations.load(), 0);
}

}  // namespace
}  // namespace summit::sources::postgres
