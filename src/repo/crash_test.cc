// Crash safety (issue 3, item 8; docs/repository-format.md "Write order and invariants"): a
// child process runs backups and then a prune against a local repository and is SIGKILLed
// before its N-th Put (for every N the workload reaches), or after a random delay. Afterwards
// `check --read-data` passes and every snapshot that exists restores bit-exactly.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <random>

#include "repo/check.h"
#include "repo/prune.h"
#include "repo/repo_test_util.h"
#include "repo/snapshot.h"
#include "storage/local/local_backend.h"
#include "testing/faulty_backend.h"

namespace summit::repo {
namespace {

namespace fs = std::filesystem;
using testutil::SmallRepo;
using testutil::TableDump;
using testutil::TestClock;

constexpr int kSnapshots = 4;

// Snapshot k: a table that grows each time (dedup against k-1), one that changes, a small file.
std::string Users(int k) { return TableDump(2000 + 300 * k, 1); }
std::string Events(int k) { return TableDump(1500, 100 + k); }
std::string Config(int k) { return "setting=" + std::to_string(k) + "\n"; }
std::string SnapId(int k) { return "summit-backup-full-2025012" + std::to_string(k) + "T020000Z"; }

// Compares without printing megabytes on failure.
::testing::AssertionResult Same(const Result<std::string>& got, const std::string& want) {
  if (!got.has_value()) return ::testing::AssertionFailure() << got.error().ToString();
  if (*got != want)
    return ::testing::AssertionFailure() << "content differs: " << got->size() << " bytes vs " << want.size();
  return ::testing::AssertionSuccess();
}

Status RunWorkload(storage::Backend& backend) {
  SUMMIT_ASSIGN_OR_RETURN(auto repo, Repository::Open(backend, SecretString("pw"), {.workers = 2}));
  for (int k = 0; k < kSnapshots; ++k) {
    SUMMIT_ASSIGN_OR_RETURN(auto w, SnapshotWriter::Begin(*repo, {.id = SnapId(k), .set = "full"}, TestClock()));
    SUMMIT_ASSIGN_OR_RETURN(CaptureSink * pg, w->Component("postgres"));
    for (auto [name, data] : {std::pair{"data/public.users", Users(k)}, std::pair{"data/public.events", Events(k)}}) {
      SUMMIT_ASSIGN_OR_RETURN(auto s, pg->OpenStream(name));
      SUMMIT_TRY(s->Write(data));
      SUMMIT_TRY(s->Close());
    }
    SUMMIT_ASSIGN_OR_RETURN(CaptureSink * cfg, w->Component("config"));
    SUMMIT_ASSIGN_OR_RETURN(auto s, cfg->OpenStream("app.env"));
    SUMMIT_TRY(s->Write(Config(k)));
    SUMMIT_TRY(s->Close());
    SUMMIT_TRY(w->Finish());
  }
  SUMMIT_TRY(Prune(*repo, {.forget = {SnapId(0), SnapId(1)}, .repack_garbage_fraction = 0.2}));
  return Ok();
}

class CrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/summit-crash-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string FreshRepo(const std::string& name) {
    std::string path = dir_ + "/" + name;
    auto b = storage::LocalBackend::Open(path);
    EXPECT_TRUE(b.has_value());
    InitOptions options = SmallRepo();
    options.pack_size = 16u << 10;  // many packs: many Puts to kill before
    auto r = Repository::Init(**b, SecretString("pw"), options, TestClock());
    EXPECT_TRUE(r.has_value());
    return path;
  }

  // Returns the child's exit status as from waitpid.
  int RunChild(const std::string& path, uint64_t kill_before_put, int kill_after_us) {
    pid_t pid = ::fork();
    if (pid == 0) {
      auto local = storage::LocalBackend::Open(path, false);
      if (!local) ::_exit(3);
      summit::testing::FaultyBackend faulty(local->get());
      if (kill_before_put > 0)
        faulty.SetBeforePut([&](uint64_t seq, std::string_view) {
          if (seq == kill_before_put) ::raise(SIGKILL);
        });
      Status st = RunWorkload(faulty);
      ::_exit(st.has_value() ? 0 : 4);
    }
    if (kill_after_us > 0) {
      ::usleep(static_cast<useconds_t>(kill_after_us));
      ::kill(pid, SIGKILL);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return status;
  }

  // The invariant after any crash.
  void ExpectValidAndRestorable(const std::string& path, const std::string& what) {
    SCOPED_TRACE(what);
    auto local = storage::LocalBackend::Open(path, false);
    ASSERT_TRUE(local.has_value());
    auto repo = Repository::Open(**local, SecretString("pw"), {.workers = 2});
    ASSERT_TRUE(repo.has_value()) << repo.error().ToString();
    auto report = Check(**repo, {.read_data = true});
    ASSERT_TRUE(report.has_value()) << report.error().ToString();
    EXPECT_TRUE(report->ok()) << report->ToJson().dump(2);
    auto snaps = ListSnapshots(**repo);
    ASSERT_TRUE(snaps.has_value());
    for (const auto& m : *snaps) {
      int k = m.id[26] - '0';
      ASSERT_TRUE(k >= 0 && k < kSnapshots) << m.id;
      auto reader = SnapshotReader::Open(**repo, m.id);
      ASSERT_TRUE(reader.has_value());
      auto pg = (*reader)->Component("postgres");
      ASSERT_TRUE(pg.has_value()) << m.id;
      auto users = (*pg)->OpenStream("data/public.users");
      ASSERT_TRUE(users.has_value());
      EXPECT_TRUE(Same((*users)->ReadAll(), Users(k))) << m.id;
      auto events = (*pg)->OpenStream("data/public.events");
      ASSERT_TRUE(events.has_value());
      EXPECT_TRUE(Same((*events)->ReadAll(), Events(k))) << m.id;
      auto cfg = (*reader)->Component("config");
      ASSERT_TRUE(cfg.has_value());
      EXPECT_TRUE(Same((*(*cfg)->OpenStream("app.env"))->ReadAll(), Config(k))) << m.id;
    }
    // A prune afterwards cleans up whatever the crash left, and the repository stays valid.
    auto cleanup = Prune(**repo, {});
    ASSERT_TRUE(cleanup.has_value()) << cleanup.error().ToString();
    auto after = Check(**repo, {.read_data = true});
    ASSERT_TRUE(after.has_value());
    EXPECT_TRUE(after->ok()) << after->ToJson().dump(2);
    EXPECT_TRUE(after->warnings.empty()) << after->ToJson().dump(2);
  }

  std::string dir_;
};

TEST_F(CrashTest, KilledBeforeEveryPutOfBackupAndPruneLeavesAValidRepository) {
  // Count the Puts of an uninterrupted run (and check its end state).
  std::string full = FreshRepo("full");
  uint64_t total_puts;
  {
    auto local = storage::LocalBackend::Open(full, false);
    summit::testing::FaultyBackend counting(local->get());
    ASSERT_TRUE(RunWorkload(counting).has_value());
    total_puts = counting.put_calls();
  }
  ASSERT_GT(total_puts, 20u);
  ExpectValidAndRestorable(full, "uninterrupted run");

  int killed = 0;
  for (uint64_t n = 1; n <= total_puts; ++n) {
    std::string path = FreshRepo("kill" + std::to_string(n));
    int status = RunChild(path, n, 0);
    // Pack boundaries depend on worker timing, so the count varies by a Put or two: a child
    // that finished before reaching put n must have finished cleanly.
    if (WIFSIGNALED(status)) {
      ASSERT_EQ(WTERMSIG(status), SIGKILL) << "before put " << n;
      ++killed;
    } else {
      ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child failed, status " << status;
    }
    ExpectValidAndRestorable(path, "killed before put " + std::to_string(n) + " of " + std::to_string(total_puts));
    if (HasFatalFailure() || HasNonfatalFailure()) break;
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  EXPECT_GE(static_cast<uint64_t>(killed) + 3, total_puts);
}

TEST_F(CrashTest, KilledAtRandomTimesLeavesAValidRepository) {
  std::mt19937 rng(12345);
  for (int i = 0; i < 12; ++i) {
    std::string path = FreshRepo("random" + std::to_string(i));
    int delay = 1000 + static_cast<int>(rng() % 150000);
    RunChild(path, 0, delay);
    ExpectValidAndRestorable(path, "killed after " + std::to_string(delay) + " us");
    if (HasFatalFailure() || HasNonfatalFailure()) break;
  }
}

}  // namespace
}  // namespace summit::repo
