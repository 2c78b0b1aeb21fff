// Two processes back up into one S3 repository at the same time, each under its shared lock
// (issue 3 item 5): both snapshots exist afterwards, restore bit-exactly, share deduplicated
// chunks, `check --read-data` passes, and prune's exclusive lock is granted once both are done.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <random>

#include "core/log.h"
#include "crypto/crypto.h"
#include "harness_env.h"
#include "repo/check.h"
#include "repo/lock.h"
#include "repo/repository.h"
#include "repo/snapshot.h"
#include "storage/retry.h"
#include "storage/s3/s3_backend.h"

namespace summit::repo {
namespace {

using namespace std::chrono_literals;
using storage::s3::S3Backend;
using storage::s3::S3Settings;
using testing::Env;

const SecretString kPassword("concurrent-backup-test");
constexpr size_t kStreamBytes = 3u << 20;

std::unique_ptr<storage::Backend> OpenS3(const std::string& prefix) {
  S3Settings s;
  s.endpoint = Env("S3_PRIMARY_ENDPOINT");
  s.region = Env("S3_PRIMARY_REGION");
  s.bucket = Env("S3_PRIMARY_BUCKET");
  s.access_key = Env("S3_PRIMARY_ACCESS_KEY");
  s.secret_key = SecretString(Env("S3_PRIMARY_SECRET_KEY"));
  s.prefix = prefix;
  auto b = S3Backend::Open(s);
  if (!b) return nullptr;
  return std::make_unique<storage::RetryBackend>(std::move(*b));
}

// Half of each stream is common to both writers (dedup), half is the writer's own.
std::string StreamContent(int writer) {
  std::string out(kStreamBytes, '\0');
  std::mt19937_64 common(1), own(100 + writer);
  for (size_t i = 0; i < kStreamBytes; i += 8) {
    uint64_t v = i < kStreamBytes / 2 ? common() : own();
    for (size_t j = 0; j < 8 && i + j < kStreamBytes; ++j) out[i + j] = static_cast<char>(v >> (8 * j));
  }
  return out;
}

LockOptions Options(std::string purpose) {
  LockOptions o;
  o.purpose = std::move(purpose);
  o.settle = 100ms;
  o.poll_interval = 100ms;
  o.refresh_interval = 2s;
  return o;
}

// The child: open the repository, take a shared lock, tell the parent, wait for "go", write a
// snapshot, release. Exit codes name the step that failed.
[[noreturn]] void BackupChild(const std::string& prefix, int writer, int to_parent, int from_parent) {
  auto backend = OpenS3(prefix);
  if (!backend) _exit(10);
  OpenOptions oo;
  oo.workers = 1;
  auto repo = Repository::Open(*backend, kPassword, oo);
  if (!repo) _exit(11);
  SystemClock clock;
  auto lock = RepositoryLock::Acquire(*backend, LockKind::kShared, clock, Options("backup"));
  if (!lock) _exit(12);
  char c;
  if (write(to_parent, "L", 1) != 1 || read(from_parent, &c, 1) != 1) _exit(13);
  SnapshotInfo info;
  info.id = "concurrent-" + std::to_string(writer);
  info.set = "full";
  info.host = "writer-" + std::to_string(writer);
  auto snap = SnapshotWriter::Begin(**repo, info, clock);
  if (!snap) _exit(14);
  auto sink = (*snap)->Component("postgres");
  if (!sink) _exit(15);
  auto stream = (*sink)->OpenStream("data/public.users");
  if (!stream) _exit(16);
  const std::string content = StreamContent(writer);
  for (size_t off = 0; off < content.size(); off += 100000) {
    if (!(*stream)->Write(std::string_view(content).substr(off, 100000))) _exit(17);
  }
  if (!(*stream)->Close()) _exit(18);
  stream->reset();
  if (!(*snap)->Finish()) _exit(19);
  if (!(*lock)->Release()) _exit(20);
  _exit(0);
}

TEST(ConcurrentBackupsOnS3, TwoProcessesBackUpIntoOneRepositoryAndBothSucceed) {
  SUMMIT_REQUIRE_SERVICE("s3");
  log::SetLevel(log::Level::kError);
  std::random_device rd;
  const std::string prefix = "it-concurrent-" + std::to_string(rd());
  auto backend = OpenS3(prefix);
  ASSERT_TRUE(backend);
  {
    InitOptions io;
    io.chunker = {4096, 16384, 65536};
    io.pack_size = 256u << 10;
    io.kdf = crypto::TestKdfParams();
    io.workers = 1;
    io.host = "test-host";
    FakeClock clock(std::chrono::system_clock::now());
    auto repo = Repository::Init(*backend, kPassword, io, clock);
    ASSERT_TRUE(repo) << repo.error().ToString();
  }  // the repository's worker threads are joined before fork()

  int up[2][2], down[2][2];
  pid_t children[2];
  for (int w = 0; w < 2; ++w) {
    ASSERT_EQ(pipe(up[w]), 0);
    ASSERT_EQ(pipe(down[w]), 0);
    children[w] = fork();
    ASSERT_GE(children[w], 0);
    if (children[w] == 0) BackupChild(prefix, w, up[w][1], down[w][0]);
    close(up[w][1]);
    close(down[w][0]);
  }
  // Both children hold their shared locks at the same moment...
  for (int w = 0; w < 2; ++w) {
    char c = 0;
    ASSERT_EQ(read(up[w][0], &c, 1), 1) << "writer " << w << " could not open or lock the repository";
  }
  auto locks = ListLocks(*backend);
  ASSERT_TRUE(locks) << locks.error().ToString();
  EXPECT_EQ(locks->size(), 2u);
  SystemClock clock;
  auto refused = RepositoryLock::Acquire(*backend, LockKind::kExclusive, clock, Options("prune"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::kLocked);
  // ...and then write their snapshots concurrently.
  for (int w = 0; w < 2; ++w) ASSERT_EQ(write(down[w][1], "G", 1), 1);
  for (int w = 0; w < 2; ++w) {
    int status = 0;
    ASSERT_EQ(waitpid(children[w], &status, 0), children[w]);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "writer " << w << " failed (exit code names the step)";
  }

  auto repo = Repository::Open(*backend, kPassword);
  ASSERT_TRUE(repo) << repo.error().ToString();
  auto snaps = ListSnapshots(**repo);
  ASSERT_TRUE(snaps) << snaps.error().ToString();
  ASSERT_EQ(snaps->size(), 2u);
  for (int w = 0; w < 2; ++w) {
    auto reader = SnapshotReader::Open(**repo, "concurrent-" + std::to_string(w));
    ASSERT_TRUE(reader) << reader.error().ToString();
    auto comp = (*reader)->Component("postgres");
    ASSERT_TRUE(comp);
    auto src = (*comp)->OpenStream("data/public.users");
    ASSERT_TRUE(src) << src.error().ToString();
    auto all = (*src)->ReadAll();
    ASSERT_TRUE(all) << all.error().ToString();
    EXPECT_TRUE(*all == StreamContent(w)) << "writer " << w << " did not restore bit-exactly";
  }
  CheckOptions co;
  co.read_data = true;
  auto report = Check(**repo, co);
  ASSERT_TRUE(report) << report.error().ToString();
  EXPECT_TRUE(report->ok()) << report->ToJson().dump(2);

  auto prune = RepositoryLock::Acquire(*backend, LockKind::kExclusive, clock, Options("prune"));
  ASSERT_TRUE(prune) << prune.error().ToString();
  ASSERT_TRUE((*prune)->Release());

  repo->reset();
  auto everything = backend->List("");
  if (everything) {
    for (const auto& o : *everything) (void)backend->Delete(o.key);
  }
}

}  // namespace
}  // namespace summit::repo
