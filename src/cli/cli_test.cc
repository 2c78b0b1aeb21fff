// The command line as a user types it: global options before or after the subcommand, and
// argument errors as exit code 2 with one line that says what was wrong.
#include "cli/cli.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace summit::cli {
namespace {

namespace fs = std::filesystem;

struct Outcome {
  int rc = -1;
  std::string out, err;
};

// Runs the command line in this process with stdout and stderr captured to files.
Outcome RunArgs(std::vector<std::string> args) {
  const fs::path dir = fs::temp_directory_path() / ("summit-cli-test-" + std::to_string(getpid()));
  fs::create_directories(dir / "repo");
  setenv("BACKUP_BASE", (dir / "repo").c_str(), 1);
  setenv("ENCRYPTION_KEY", "cli-test-key", 1);
  setenv("SUMMIT_DR_CONFIG", SUMMIT_SOURCE_DIR "/config/backup-sets.yaml", 1);
  args.insert(args.begin(), "summit-dr");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::fflush(stdout);
  std::fflush(stderr);
  const int saved_out = dup(1), saved_err = dup(2);
  FILE* out = std::fopen((dir / "out").c_str(), "w+");
  FILE* err = std::fopen((dir / "err").c_str(), "w+");
  dup2(fileno(out), 1);
  dup2(fileno(err), 2);
  Outcome o;
  o.rc = Run(static_cast<int>(args.size()), argv.data());
  std::fflush(stdout);
  std::fflush(stderr);
  dup2(saved_out, 1);
  dup2(saved_err, 2);
  close(saved_out);
  close(saved_err);
  std::fclose(out);
  std::fclose(err);
  auto slurp = [](const fs::path& p) {
    std::ifstream f(p);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
  };
  o.out = slurp(dir / "out");
  o.err = slurp(dir / "err");
  fs::remove_all(dir);
  return o;
}

TEST(Cli, GlobalOptionsGoBeforeOrAfterTheSubcommand) {
  for (const auto& args : std::vector<std::vector<std::string>>{{"--json", "list"}, {"list", "--json"}, {"list", "--json", "-q"}}) {
    Outcome o = RunArgs(args);
    EXPECT_EQ(o.rc, 0) << o.err;
    EXPECT_EQ(o.out, "[]\n") << "an empty repository lists as an empty JSON array";
  }
  // Without --json the same listing is for people.
  EXPECT_NE(RunArgs({"list"}).out, "[]\n");
}

TEST(Cli, UnknownArgumentsAreUsageErrors) {
  Outcome o = RunArgs({"list", "--bogus"});
  EXPECT_EQ(o.rc, 2);
  EXPECT_NE(o.err.find("--bogus"), std::string::npos) << o.err;
  o = RunArgs({"list", "extra"});
  EXPECT_EQ(o.rc, 2);
  EXPECT_NE(o.err.find("extra"), std::string::npos) << o.err;
}

}  // namespace
}  // namespace summit::cli
