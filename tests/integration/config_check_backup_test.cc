// `summit-dr config check --backup=ID`: the sanitization rules against what a real backup
// captured. The shipped rules pass against a full backup of the generated dataset; a
// misspelled column or label is rejected with its file and line and exit 2; a partial backup
// (the minimal set) only warns about the tables and labels it did not capture.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "harness_env.h"
#include "io/process.h"

namespace summit {
namespace {
namespace fs = std::filesystem;
using testing::Env;

const fs::path kRoot = fs::path(__FILE__).parent_path().parent_path().parent_path();

int LineOf(const std::string& text, const std::string& needle) {
  size_t p = text.find(needle);
  EXPECT_NE(p, std::string::npos) << needle;
  return p == std::string::npos ? 0 : 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(p), '\n'));
}

std::string Read(const fs::path& p) {
  std::ifstream in(p);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

class ConfigCheckBackup : public ::testing::Test {
 protected:
  void SetUp() override {
    SUMMIT_REQUIRE_SERVICE("postgres");
    SUMMIT_REQUIRE_SERVICE("neo4j");
    char tmpl[] = "/tmp/summit-cfgcheck-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    auto gen = RunProcess(ShellCommand("python3 " + (kRoot / "tests/harness/generate.py").string() +
                                       " --seed 3 --size tiny --only postgres,neo4j"));
    ASSERT_TRUE(gen.has_value()) << gen.error().ToString();
    ASSERT_EQ(gen->exit_code, 0) << gen->err;
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  struct Out {
    int rc = -1;
    std::string out, err;
  };
  Out Cli(const std::string& args, const std::string& config = "") {
    ProcessOptions o = ShellCommand(std::string(SUMMIT_DR_BIN) + " " + args);
    o.env = {{"SUMMIT_DR_CONFIG", config.empty() ? (kRoot / "config/backup-sets.yaml").string() : config},
             {"BACKUP_BASE", dir_ + "/backups"},
             {"SUMMIT_ROOT", dir_ + "/files"},
             {"ENCRYPTION_KEY", "config-check-test-key"},
             {"S3_PREFIX", "cfgcheck/" + fs::path(dir_).filename().string()},
             {"SUMMIT_LOG_FORMAT", "text"}};
    auto r = RunProcess(o);
    EXPECT_TRUE(r.has_value()) << r.error().ToString();
    if (!r) return {};
    return {r->exit_code, r->out, r->err};
  }
  std::string Backup(const std::string& args) {
    auto r = Cli("--json backup " + args);
    EXPECT_EQ(r.rc, 0) << r.out << r.err;
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    return j.is_discarded() ? "" : j.value("id", "");
  }
  // A copy of the shipped config directory with `from` replaced by `to` in sanitization.yaml.
  std::string ConfigWith(const std::string& from, const std::string& to) {
    fs::path d = dir_ + "/config";
    fs::create_directories(d);
    for (const char* f : {"backup-sets.yaml", "sanitization.yaml", "sanitization-beyond-spec.yaml"})
      fs::copy_file(kRoot / "config" / f, d / f, fs::copy_options::overwrite_existing);
    std::string rules = Read(d / "sanitization.yaml");
    size_t at = rules.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) rules.replace(at, from.size(), to);
    std::ofstream(d / "sanitization.yaml") << rules;
    return (d / "backup-sets.yaml").string();
  }

  std::string dir_;
};

TEST_F(ConfigCheckBackup, ShippedRulesPassAndMisspellingsAreRejectedWithTheirLine) {
  std::string id = Backup("--set=full --only=postgres,neo4j");
  ASSERT_FALSE(id.empty());

  auto ok = Cli("config check --backup=" + id);
  EXPECT_EQ(ok.rc, 0) << ok.out << ok.err;
  EXPECT_NE(ok.out.find("match backup " + id), std::string::npos) << ok.out;
  EXPECT_EQ(ok.err.find("warning"), std::string::npos) << ok.err;

  // A misspelled column of the users rule.
  std::string cfg = ConfigWith("      address: {null: true}", "      adress: {null: true}");
  std::string rules_file = dir_ + "/config/sanitization.yaml";
  int line = LineOf(Read(rules_file), "      adress: {null: true}");
  auto bad = Cli("config check --backup=" + id, cfg);
  EXPECT_EQ(bad.rc, 2) << bad.out << bad.err;
  EXPECT_NE(bad.err.find(rules_file + ":" + std::to_string(line) + ": table 'users' has no column 'adress' in backup " + id + "\n"),
            std::string::npos)
      << bad.err;
  EXPECT_NE(bad.out.find("1 rule reference"), std::string::npos) << bad.out;
  // Plain `config check` cannot know: the rules parse.
  EXPECT_EQ(Cli("config check " + cfg).rc, 0);

  // A misspelled column in a where clause, and a misspelled label; --json lists them.
  cfg = ConfigWith("    where: \"contact_email IS NOT NULL\"", "    where: \"contact_mail IS NOT NULL\"");
  std::string text = Read(rules_file);
  size_t at = text.find("  - match: Classified");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, std::string("  - match: Classified").size(), "  - match: Clasified");
  std::ofstream(rules_file) << text;
  auto j = Cli("--json config check --backup=" + id, cfg);
  EXPECT_EQ(j.rc, 2) << j.out << j.err;
  auto report = nlohmann::json::parse(j.out, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << j.out;
  EXPECT_FALSE(report.value("ok", true));
  std::vector<std::string> got;
  for (const auto& p : report["problems"]) got.push_back(p["file"].get<std::string>() + ":" + std::to_string(p["line"].get<int>()) + ": " +
                                                         p["message"].get<std::string>());
  EXPECT_EQ(got, (std::vector<std::string>{
                     rules_file + ":" + std::to_string(LineOf(text, "    where: \"contact_mail IS NOT NULL\"")) +
                         ": table 'entities' has no column 'contact_mail' in backup " + id,
                     rules_file + ":" + std::to_string(LineOf(text, "  - match: Clasified")) +
                         ": label 'Clasified' does not exist in backup " + id}));

  // An unknown backup is "not found".
  EXPECT_EQ(Cli("config check --backup=summit-backup-full-20250120T020000Z").rc, 3);
}

TEST_F(ConfigCheckBackup, APartialBackupWarnsAboutWhatItDidNotCapture) {
  std::string id = Backup("--set=minimal --only=postgres,neo4j");
  ASSERT_FALSE(id.empty());
  auto r = Cli("config check --backup=" + id);
  EXPECT_EQ(r.rc, 0) << r.out << r.err;
  // billing, configuration and audit_logs are not among the minimal set's tables.
  EXPECT_NE(r.err.find("warning: table 'billing' is not captured"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("warning: table 'configuration' is not captured"), std::string::npos) << r.err;
  // Columns of the tables it did capture are still checked.
  std::string cfg = ConfigWith("      phone: {template: \"+1-555-{id:07}\"}", "      phone: {template: \"+1-555-{uid:07}\"}");
  auto bad = Cli("config check --backup=" + id, cfg);
  EXPECT_EQ(bad.rc, 2) << bad.out << bad.err;
  EXPECT_NE(bad.err.find(": table 'users' has no column 'uid' in backup " + id), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace summit
