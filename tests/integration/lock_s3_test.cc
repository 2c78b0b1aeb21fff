// Repository locks on a real S3 server (MinIO), from two processes: shared locks held by two
// processes at once while both write, prune's exclusive lock refused while they hold them and
// granted once they are gone, a stale lock detected and removed, and the background refresh.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <thread>

#include "core/log.h"
#include "harness_env.h"
#include "repo/lock.h"
#include "storage/s3/s3_backend.h"

namespace summit::repo {
namespace {

using namespace std::chrono_literals;
using storage::s3::S3Backend;
using storage::s3::S3Settings;
using testing::Env;

std::unique_ptr<S3Backend> OpenS3(const std::string& prefix) {
  S3Settings s;
  s.endpoint = Env("S3_PRIMARY_ENDPOINT");
  s.region = Env("S3_PRIMARY_REGION");
  s.bucket = Env("S3_PRIMARY_BUCKET");
  s.access_key = Env("S3_PRIMARY_ACCESS_KEY");
  s.secret_key = SecretString(Env("S3_PRIMARY_SECRET_KEY"));
  s.prefix = prefix;
  auto b = S3Backend::Open(s);
  if (!b) return nullptr;
  return std::move(*b);
}

std::string UniquePrefix() {
  std::random_device rd;
  return "it-lock-" + std::to_string(rd()) + std::to_string(getpid());
}

LockOptions Options(std::string purpose) {
  LockOptions o;
  o.purpose = std::move(purpose);
  o.settle = 100ms;
  o.poll_interval = 100ms;
  o.refresh_interval = 1s;
  return o;
}

void Cleanup(S3Backend& b) {
  auto all = b.List("");
  if (all)
    for (const auto& o : *all) (void)b.Delete(o.key);
}

// A child process that takes a shared lock on `prefix`, writes `objects` objects, reports
// "locked" on `to_parent`, and releases when the parent writes to `from_parent` (or after
// `hold` if it is nonzero). Exit code 0 on success.
pid_t SpawnHolder(const std::string& prefix, int objects, int to_parent[2], int from_parent[2],
                  std::chrono::milliseconds hold = 0ms) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  close(to_parent[0]);
  close(from_parent[1]);
  auto b = OpenS3(prefix);
  if (!b) _exit(10);
  SystemClock clock;
  auto lock = RepositoryLock::Acquire(*b, LockKind::kShared, clock, Options("backup-child"));
  if (!lock) _exit(11);
  for (int i = 0; i < objects; ++i) {
    if (!b->Put("data/child-" + std::to_string(i), AsBytes("child"))) _exit(12);
  }
  if (write(to_parent[1], "L", 1) != 1) _exit(13);
  if (hold.count() > 0) {
    std::this_thread::sleep_for(hold);
  } else {
    char c;
    if (read(from_parent[0], &c, 1) != 1) _exit(14);
  }
  if (!(*lock)->Release()) _exit(15);
  _exit(0);
}

int WaitExit(pid_t pid) {
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST(LockOnS3, TwoProcessesHoldSharedLocksAndWriteConcurrentlyWhilePruneIsRefused) {
  SUMMIT_REQUIRE_SERVICE("s3");
  log::SetLevel(log::Level::kError);
  const std::string prefix = UniquePrefix();
  int up[2], down[2];
  ASSERT_EQ(pipe(up), 0);
  ASSERT_EQ(pipe(down), 0);
  pid_t child = SpawnHolder(prefix, 20, up, down);
  ASSERT_GT(child, 0);
  close(up[1]);
  close(down[0]);
  auto b = OpenS3(prefix);
  ASSERT_TRUE(b);
  SystemClock clock;
  // The parent takes its shared lock and writes while the child holds its own.
  auto mine = RepositoryLock::Acquire(*b, LockKind::kShared, clock, Options("backup-parent"));
  ASSERT_TRUE(mine) << mine.error().ToString();
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(b->Put("data/parent-" + std::to_string(i), AsBytes("parent")));
  char c = 0;
  ASSERT_EQ(read(up[0], &c, 1), 1) << "child failed to lock or write";
  auto locks = ListLocks(*b);
  ASSERT_TRUE(locks) << locks.error().ToString();
  ASSERT_EQ(locks->size(), 2u);
  EXPECT_NE((*locks)[0].pid, (*locks)[1].pid);

  auto prune = RepositoryLock::Acquire(*b, LockKind::kExclusive, clock, Options("prune"));
  ASSERT_FALSE(prune);
  EXPECT_EQ(prune.error().code(), ErrorCode::kLocked);
  EXPECT_NE(prune.error().message().find("s3://"), std::string::npos) << prune.error().ToString();

  ASSERT_TRUE((*mine)->Release());
  ASSERT_EQ(write(down[1], "R", 1), 1);
  EXPECT_EQ(WaitExit(child), 0);
  auto data = b->List("data/");
  ASSERT_TRUE(data);
  EXPECT_EQ(data->size(), 40u);  // both processes' writes landed

  auto prune_now = RepositoryLock::Acquire(*b, LockKind::kExclusive, clock, Options("prune"));
  ASSERT_TRUE(prune_now) << prune_now.error().ToString();
  ASSERT_TRUE((*prune_now)->Release());
  EXPECT_TRUE(b->List("locks/")->empty());
  Cleanup(*b);
}

TEST(LockOnS3, PruneWaitsForABackupInAnotherProcessToFinish) {
  SUMMIT_REQUIRE_SERVICE("s3");
  const std::string prefix = UniquePrefix();
  int up[2], down[2];
  ASSERT_EQ(pipe(up), 0);
  ASSERT_EQ(pipe(down), 0);
  pid_t child = SpawnHolder(prefix, 1, up, down, 1500ms);
  ASSERT_GT(child, 0);
  close(up[1]);
  close(down[0]);
  char c = 0;
  ASSERT_EQ(read(up[0], &c, 1), 1);
  auto b = OpenS3(prefix);
  ASSERT_TRUE(b);
  SystemClock clock;
  LockOptions o = Options("prune");
  o.wait = 20s;
  auto t0 = std::chrono::steady_clock::now();
  auto prune = RepositoryLock::Acquire(*b, LockKind::kExclusive, clock, o);
  auto waited = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(prune) << prune.error().ToString();
  EXPECT_GE(waited, 500ms);
  EXPECT_EQ(WaitExit(child), 0);
  ASSERT_TRUE((*prune)->Release());
  Cleanup(*b);
}

TEST(LockOnS3, AStaleLockIsIgnoredAndRemoved) {
  SUMMIT_REQUIRE_SERVICE("s3");
  auto b = OpenS3(UniquePrefix());
  ASSERT_TRUE(b);
  // A lock written "two hours ago" by a host that then vanished.
  FakeClock past(std::chrono::system_clock::now() - 2h);
  LockOptions old_opts = Options("backup");
  old_opts.host = "vanished-host";
  old_opts.refresh_interval = 10min;
  auto old = RepositoryLock::Acquire(*b, LockKind::kShared, past, old_opts);
  ASSERT_TRUE(old);
  const std::string old_key = (*old)->key();
  SystemClock clock;
  auto prune = RepositoryLock::Acquire(*b, LockKind::kExclusive, clock, Options("prune"));
  ASSERT_TRUE(prune) << prune.error().ToString();
  auto removed = RemoveStaleLocks(*b, clock, Options("prune"));
  ASSERT_TRUE(removed);
  ASSERT_EQ(removed->size(), 1u);
  EXPECT_EQ((*removed)[0].host, "vanished-host");
  EXPECT_FALSE(b->Stat(old_key));
  EXPECT_FALSE((*old)->Refresh());  // its holder, were it alive, learns the lock is lost
  ASSERT_TRUE((*prune)->Release());
  Cleanup(*b);
}

TEST(LockOnS3, TheRefresherKeepsTheStoredRefreshTimeCurrent) {
  SUMMIT_REQUIRE_SERVICE("s3");
  auto b = OpenS3(UniquePrefix());
  ASSERT_TRUE(b);
  SystemClock clock;
  LockOptions o = Options("backup");
  o.refresh_interval = 300ms;
  auto lock = RepositoryLock::Acquire(*b, LockKind::kShared, clock, o);
  ASSERT_TRUE(lock);
  std::this_thread::sleep_for(2500ms);
  auto locks = ListLocks(*b);
  ASSERT_TRUE(locks);
  ASSERT_EQ(locks->size(), 1u);
  EXPECT_GE((*locks)[0].refreshed - (*locks)[0].created, 1s);
  EXPECT_TRUE((*lock)->Healthy());
  ASSERT_TRUE((*lock)->Release());
  Cleanup(*b);
}

}  // namespace
}  // namespace summit::repo
