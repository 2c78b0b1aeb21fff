// End to end, through the real command line: for every backup set of the spec, fill the stores
// (tests/harness/generate.py), back up, destroy the affected data, restore, and compare a
// fingerprint of every store with the baseline. Tenant and project restores must leave every
// other tenant and project untouched.
//
// Needs the harness (./dev.sh test starts it). The stores are reset by each test.
#include <sys/wait.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "harness_env.h"
#include "io/process.h"
#include "sources/files/files.h"
#include "sources/neo4j/bolt/connection.h"
#include "sources/neo4j/neo4j.h"
#include "sources/postgres/fingerprint.h"
#include "sources/postgres/pg_conn.h"
#include "sources/redis/redis_source.h"

namespace summit {
namespace {
namespace fs = std::filesystem;
using testing::Env;

const fs::path kRoot = fs::path(__FILE__).parent_path().parent_path().parent_path();

struct Stack {
  sources::postgres::Settings pg;
  sources::redis::Settings redis;
  sources::neo4j::Settings neo4j;
  std::string files;
  std::string backups;
};

class SetsE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    SUMMIT_REQUIRE_SERVICE("postgres");
    SUMMIT_REQUIRE_SERVICE("redis");
    SUMMIT_REQUIRE_SERVICE("neo4j");
    char tmpl[] = "/tmp/summit-e2e-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    s_.files = dir_ + "/files";
    s_.backups = dir_ + "/backups";
    s_.pg = testing::HarnessPostgres();
    s_.redis = *sources::redis::ParseUrl(Env("REDIS_URL"));
    s_.neo4j = testing::HarnessNeo4j();
    auto gen = RunProcess(ShellCommand("python3 " + (kRoot / "tests/harness/generate.py").string() +
                                       " --seed 11 --size tiny --anchor today --files " + s_.files));
    ASSERT_TRUE(gen.has_value()) << gen.error().ToString();
    ASSERT_EQ(gen->exit_code, 0) << gen->err;
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  // Runs summit-dr with the harness's settings; returns stdout, failing the test on a non-zero exit
  // unless `expect_rc` says otherwise.
  std::string Cli(const std::string& args, std::map<std::string, std::string> extra = {}, int expect_rc = 0) {
    std::map<std::string, std::string> env = {{"SUMMIT_DR_CONFIG", (kRoot / "config/backup-sets.yaml").string()},
                                              {"BACKUP_BASE", s_.backups},
                                              {"SUMMIT_ROOT", s_.files},
                                              {"ENCRYPTION_KEY", "e2e-test-key"},
                                              {"S3_PREFIX", "e2e/" + fs::path(dir_).filename().string()},
                                              {"SUMMIT_LOG_FORMAT", "text"}};
    for (auto& [k, v] : extra) env[k] = v;
    return testing::RunSummitDr(args, env, expect_rc, &last_err_);
  }

  std::string BackupId(const std::string& json_out) {
    auto j = nlohmann::json::parse(json_out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << json_out;
    return j.is_discarded() ? "" : j.value("id", "");
  }

  nlohmann::json PgPrint(sources::postgres::FingerprintOptions o = {}) {
    auto f = sources::postgres::Fingerprint(s_.pg, o);
    EXPECT_TRUE(f.has_value()) << f.error().ToString();
    return f ? *f : nlohmann::json();
  }
  nlohmann::json RedisPrint(sources::redis::KeyFilter filter = {}) {
    auto f = sources::redis::Fingerprint(s_.redis, filter);
    EXPECT_TRUE(f.has_value()) << f.error().ToString();
    return f ? sources::redis::FingerprintToJson(*f) : nlohmann::json();
  }
  nlohmann::json GraphPrint(std::optional<std::string> tenant = {}) {
    auto f = sources::neo4j::Fingerprint(s_.neo4j, tenant);
    EXPECT_TRUE(f.has_value()) << f.error().ToString();
    return f ? f->ToJson() : nlohmann::json();
  }
  nlohmann::json FilesPrint(const std::vector<std::string>& globs) {
    auto f = sources::files::Fingerprint(s_.files, globs);
    EXPECT_TRUE(f.has_value()) << f.error().ToString();
    return f ? *f : nlohmann::json();
  }

  void Sql(const std::string& sql, const std::string& db = "") {
    auto settings = db.empty() ? s_.pg : s_.pg.WithDatabase(db);
    auto conn = sources::postgres::PgConn::Open(settings);
    ASSERT_TRUE(conn.has_value()) << conn.error().ToString();
    auto r = (*conn)->Exec(sql);
    ASSERT_TRUE(r.has_value()) << r.error().ToString();
  }
  std::string SqlValue(const std::string& sql) {
    auto conn = sources::postgres::PgConn::Open(s_.pg);
    EXPECT_TRUE(conn.has_value());
    auto r = (*conn)->Exec(sql);
    EXPECT_TRUE(r.has_value() && r->rows() > 0);
    return r && r->rows() > 0 ? r->GetString(0, 0) : "";
  }
  void Cypher(const std::string& q) {
    sources::neo4j::bolt::ConnectOptions o;
    o.uri = s_.neo4j.uri;
    o.user = s_.neo4j.user;
    o.password = s_.neo4j.password;
    auto c = sources::neo4j::bolt::Connection::Open(o);
    ASSERT_TRUE(c.has_value()) << c.error().ToString();
    auto r = (*c)->Query(q);
    ASSERT_TRUE(r.has_value()) << r.error().ToString();
  }
  void RedisCmd(const std::string& args) {
    auto r = RunProcess(ShellCommand("redis-cli -u '" + Env("REDIS_URL") + "' " + args));
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(r->exit_code, 0) << r->err;
  }

  std::string dir_;
  Stack s_;
  std::string last_err_;
};

const std::vector<std::string> kConfigGlobs = {"docker-compose*.yml", "Justfile", "policies/**/*.rego",
                                               "policy-bundles/*", "catalog/**/*.yaml", "secrets/**", ".env*"};

TEST_F(SetsE2E, FullSetRestoresEveryStoreBitForBitAfterTotalLoss) {
  auto pg = PgPrint(), redis = RedisPrint(), graph = GraphPrint();
  auto files = FilesPrint({"docker-compose*.yml", ".env*", "Justfile", "secrets/**"});
  ASSERT_GT(pg["tables"].size(), 10u);
  std::string id = BackupId(Cli("--json backup --set=full"));
  ASSERT_FALSE(id.empty());
  // The spec's metadata file, readable with jq.
  std::ifstream meta(s_.backups + "/" + id + "/backup-metadata.json");
  auto m = nlohmann::json::parse(meta);
  EXPECT_EQ(m["set"], "full");
  for (const char* c : {"postgres", "neo4j", "redis", "config", "secrets"}) EXPECT_TRUE(m["components"].contains(c)) << c;
  EXPECT_TRUE(m["components"]["postgres"]["attributes"]["audit_chain.audit_logs"]["verified"].get<bool>());
  EXPECT_EQ(m.dump().find("sk_live"), std::string::npos);  // no secret value in the plain metadata
  Cli("restore " + id + " --mode=verify-only");
  // The spec's own commands, verbatim, from the directory holding backups/.
  ProcessOptions spec = ShellCommand(
      "BACKUP_ID=$(ls -t backups/summit-backup-full-* | head -1 | xargs basename) && echo \"$BACKUP_ID\" && " +
      (kRoot / "scripts/restore-enhanced.sh").string() + " \"$BACKUP_ID\" --mode=verify-only && "
      "cat \"backups/$BACKUP_ID/backup-metadata.json\" | jq -r .id");
  spec.cwd = dir_;
  spec.env = {{"SUMMIT_DR_BIN", SUMMIT_DR_BIN}, {"SUMMIT_DR_CONFIG", (kRoot / "config/backup-sets.yaml").string()},
              {"BACKUP_BASE", s_.backups}, {"SUMMIT_ROOT", s_.files}, {"ENCRYPTION_KEY", "e2e-test-key"},
              {"S3_PREFIX", "e2e/" + fs::path(dir_).filename().string()}};
  auto spec_run = RunProcess(spec);
  ASSERT_TRUE(spec_run.has_value());
  EXPECT_EQ(spec_run->exit_code, 0) << spec_run->out << spec_run->err;
  EXPECT_EQ(spec_run->out.substr(0, id.size()), id) << spec_run->out;
  EXPECT_NE(spec_run->out.rfind(id + "\n"), std::string::npos) << spec_run->out;

  // Total data loss.
  Sql("DROP DATABASE " + s_.pg.dbname + " WITH (FORCE)", "postgres");
  RedisCmd("FLUSHALL");
  Cypher("MATCH (n) DETACH DELETE n");
  fs::remove(s_.files + "/docker-compose.yml");
  fs::remove(s_.files + "/.env");
  fs::remove_all(s_.files + "/secrets");

  // Without confirmation, production is refused and nothing changes.
  Cli("restore " + id + " --env=production --mode=full --no-safety-backup", {}, 2);
  Cli("restore " + id + " --env=production --mode=full --yes --no-safety-backup");
  EXPECT_EQ(PgPrint(), pg);
  EXPECT_EQ(RedisPrint(), redis);
  EXPECT_EQ(GraphPrint(), graph);
  auto restored_files = FilesPrint({"docker-compose*.yml", ".env*", "Justfile", "secrets/**"});
  for (auto& [path, v] : restored_files.items()) {
    if (path.starts_with("secrets/") || path.starts_with(".env")) {
      EXPECT_EQ(v["mode"], 0600) << path;
    }
  }
  for (auto& [path, v] : files.items()) EXPECT_EQ(restored_files[path]["sha256"], v["sha256"]) << path;
}

TEST_F(SetsE2E, MinimalSetRestoresCoreTablesAndLeavesSessionsOut) {
  std::vector<std::string> core = {"public.entities", "public.investigations", "public.users",
                                   "public.runs",     "public.tasks",          "public.runbooks"};
  auto before = PgPrint({.tables = core, .constraints = false});
  sources::redis::KeyFilter no_sessions{{}, {"session:*", "tmp:*", "temp:*"}, {}};
  auto redis = RedisPrint(no_sessions);
  std::string id = BackupId(Cli("--json backup --set=minimal"));
  ASSERT_FALSE(id.empty());
  Sql("UPDATE entities SET name = 'corrupted'; DELETE FROM tasks; UPDATE users SET email = email || '.x'");
  RedisCmd("FLUSHALL");
  Cli("restore " + id + " --env=production --yes --no-safety-backup");
  EXPECT_EQ(PgPrint({.tables = core, .constraints = false}), before);
  EXPECT_EQ(RedisPrint(no_sessions), redis);
  EXPECT_EQ(RedisPrint(sources::redis::KeyFilter{{"session:*"}, {}, {}})["0"].value("keys", 0), 0);
}

TEST_F(SetsE2E, TenantSetReplacesOneTenantAndLeavesOthersUntouched) {
  Cli("backup --set=tenant", {}, 2);  // TENANT_ID missing: a clear error, nothing written
  EXPECT_NE(last_err_.find("TENANT_ID"), std::string::npos) << last_err_;
  auto acme = PgPrint({.tenant = "customer-acme", .constraints = false});
  auto globex = PgPrint({.tenant = "customer-globex", .constraints = false});
  auto acme_graph = GraphPrint("customer-acme"), globex_graph = GraphPrint("customer-globex");
  std::string id = BackupId(Cli("--json backup --set=tenant", {{"TENANT_ID", "customer-acme"}}));
  ASSERT_EQ(id.rfind("summit-backup-tenant-customer-acme-", 0), 0u) << id;
  Sql("UPDATE users SET email = 'lost-' || id || '@acme.test' WHERE tenant_id = 'customer-acme';"
      "DELETE FROM policy_decisions WHERE tenant_id = 'customer-acme'");
  Cypher("MATCH (n {tenant_id: 'customer-acme'}) DETACH DELETE n");
  Cli("restore " + id + " --env=production --yes --no-safety-backup");
  EXPECT_EQ(PgPrint({.tenant = "customer-acme", .constraints = false}), acme);
  EXPECT_EQ(PgPrint({.tenant = "customer-globex", .constraints = false}), globex);
  EXPECT_EQ(GraphPrint("customer-acme"), acme_graph);
  EXPECT_EQ(GraphPrint("customer-globex"), globex_graph);
}

TEST_F(SetsE2E, ProjectSetReplacesOneInvestigationAndLeavesOthersUntouched) {
  std::string p1 = SqlValue("SELECT id FROM investigations ORDER BY id LIMIT 1");
  std::string p2 = SqlValue("SELECT id FROM investigations ORDER BY id DESC LIMIT 1");
  ASSERT_NE(p1, p2);
  auto a = PgPrint({.tables = {"public.runs", "public.tasks", "public.entities"}, .project = p1, .constraints = false});
  auto b = PgPrint({.tables = {"public.runs", "public.tasks", "public.entities"}, .project = p2, .constraints = false});
  std::string id = BackupId(Cli("--json backup --set=project", {{"PROJECT_ID", p1}}));
  ASSERT_FALSE(id.empty());
  Sql("UPDATE runs SET status = 'corrupted' WHERE investigation_id = '" + p1 + "'");
  Cli("restore " + id + " --env=production --yes --no-safety-backup --only=postgres");
  EXPECT_EQ(PgPrint({.tables = {"public.runs", "public.tasks", "public.entities"}, .project = p1, .constraints = false}), a);
  EXPECT_EQ(PgPrint({.tables = {"public.runs", "public.tasks", "public.entities"}, .project = p2, .constraints = false}), b);
}

TEST_F(SetsE2E, ConfigOnlySetRestoresFilesWithSecretsAt0600) {
  auto before = FilesPrint(kConfigGlobs);
  ASSERT_GT(before.size(), 5u);
  std::string id = BackupId(Cli("--json backup --set=config_only"));
  ASSERT_FALSE(id.empty());
  auto meta = Cli("show " + id);
  EXPECT_EQ(meta.find("\"sha256\": null"), std::string::npos);
  for (const auto& rel : {"docker-compose.yml", "Justfile"}) fs::remove(s_.files + "/" + rel);
  fs::remove_all(s_.files + "/policies");
  fs::remove_all(s_.files + "/secrets");
  Cli("restore " + id + " --env=production --yes --no-safety-backup --dry-run");
  EXPECT_FALSE(fs::exists(s_.files + "/Justfile"));  // the dry run changed nothing
  Cli("restore " + id + " --env=production --yes --no-safety-backup");
  auto after = FilesPrint(kConfigGlobs);
  for (auto& [path, v] : before.items()) EXPECT_EQ(after[path]["sha256"], v["sha256"]) << path;
}

TEST_F(SetsE2E, DisasterRecoverySetLandsInBothRegionsAndRestoresFromDr) {
  SUMMIT_REQUIRE_SERVICE("s3");
  auto pg = PgPrint(), graph = GraphPrint();
  // No cluster or state backend here: kubectl and terraform are pointed at a program that does not exist, so the Kubernetes
  // manifests are taken from the files tree (the fallback the plan notes).
  std::string id = BackupId(Cli("--json backup --set=disaster_recovery", {{"KUBECTL", "summit-no-kubectl"}, {"TERRAFORM", "summit-no-terraform"}}));
  ASSERT_FALSE(id.empty());
  auto meta = nlohmann::json::parse(std::ifstream(s_.backups + "/" + id + "/backup-metadata.json"));
  EXPECT_TRUE(meta.value("replication_verified", false));
  for (const char* c : {"postgres", "neo4j", "redis", "config", "secrets", "kubernetes", "terraform"})
    EXPECT_TRUE(meta["components"].contains(c)) << c;
  Sql("DROP DATABASE " + s_.pg.dbname + " WITH (FORCE)", "postgres");
  Cypher("MATCH (n) DETACH DELETE n");
  // The primary region is gone: restore from the DR region's copy.
  Cli("restore " + id + " --from=dr --env=production --yes --no-safety-backup --only=postgres,neo4j");
  EXPECT_EQ(PgPrint(), pg);
  EXPECT_EQ(GraphPrint(), graph);
}

TEST_F(SetsE2E, BrokenAuditChainIsReportedWithItsPositionAndFailsVerification) {
  Sql("UPDATE audit_logs SET action = 'tampered' WHERE id = (SELECT min(id) + 6 FROM audit_logs)");
  std::string id = BackupId(Cli("--json backup --set=full --only=postgres"));
  ASSERT_FALSE(id.empty());  // backed up as found, for investigation
  EXPECT_NE(last_err_.find("audit chain of audit_logs is broken"), std::string::npos) << last_err_;
  EXPECT_NE(last_err_.find("at position 3"), std::string::npos) << last_err_;
  std::string out = Cli("restore " + id + " --mode=verify-only", {}, 4);
  EXPECT_NE(out.find("audit chain audit_logs: BROKEN"), std::string::npos) << out;
  // A full restore verifies the chain inside its task graph, as soon as audit_logs is loaded.
  const std::string copy = s_.pg.dbname + "_chain_copy";
  std::string full = Cli("restore " + id + " --only=postgres --env=dr_rehearsal --yes", {{"DR_PGDATABASE", copy}}, 4);
  EXPECT_NE((full + last_err_).find("audit chain broken after restore: chain 'customer-"), std::string::npos) << full << last_err_;
  EXPECT_NE((full + last_err_).find("position 3"), std::string::npos) << full << last_err_;
  Sql("DROP DATABASE IF EXISTS " + copy + " WITH (FORCE)", "postgres");
}

TEST_F(SetsE2E, HooksRunAroundTheCaptureAndAFailedComponentRecordsNoSnapshot) {
  // A copy of the shipped config whose config_only set has hooks.
  std::ifstream in(kRoot / "config/backup-sets.yaml");
  std::string yaml((std::istreambuf_iterator<char>(in)), {});
  size_t at = yaml.find("  config_only:\n");
  ASSERT_NE(at, std::string::npos);
  yaml.insert(at + std::string("  config_only:\n").size(),
              "    hooks:\n      pre: [\"echo pre $SUMMIT_BACKUP_ID >> " + dir_ + "/hooks.log\"]\n"
              "      post: [\"echo post >> " + dir_ + "/hooks.log\"]\n");
  std::string cfg = (kRoot / "config").string() + "/.e2e-hooks-" + fs::path(dir_).filename().string() + ".yaml";
  std::ofstream(cfg) << yaml;
  std::string id = BackupId(Cli("--json backup --set=config_only", {{"SUMMIT_DR_CONFIG", cfg}}));
  std::ifstream log(dir_ + "/hooks.log");
  std::string hooks((std::istreambuf_iterator<char>(log)), {});
  EXPECT_EQ(hooks, "pre " + id + "\npost\n");
  fs::remove(cfg);

  // Redis unreachable: the minimal backup fails with exit 5 naming redis, and no snapshot exists.
  auto before = Cli("--json list");
  Cli("backup --set=minimal", {{"REDIS_URL", "redis://127.0.0.1:1/0"}}, 5);
  EXPECT_NE(last_err_.find("redis"), std::string::npos) << last_err_;
  EXPECT_NE(last_err_.find("no snapshot was recorded"), std::string::npos) << last_err_;
  EXPECT_EQ(Cli("--json list"), before);
}

TEST_F(SetsE2E, DevRestoreIsSanitizedReducedAndScannedClean) {
  std::string id = BackupId(Cli("--json backup --set=full --only=postgres,neo4j"));
  ASSERT_FALSE(id.empty());
  // The dev environment's Neo4j defaults to the source's: refused rather than overwritten.
  Cli("restore " + id + " --env=dev", {}, 2);
  EXPECT_NE(last_err_.find("production source for neo4j"), std::string::npos) << last_err_;
  auto out = nlohmann::json::parse(Cli("--json restore " + id + " --env=dev --only=postgres"));
  EXPECT_TRUE(out.value("sanitized", false));
  EXPECT_TRUE(out["pii_scan"].value("clean", false)) << out["pii_scan"].dump();
  EXPECT_GT(out["pii_scan"].value("values_scanned", 0), 1000);
  auto dev = s_.pg.WithDatabase("summit_dev");
  auto conn = sources::postgres::PgConn::Open(dev);
  ASSERT_TRUE(conn.has_value()) << conn.error().ToString();
  auto bad = (*conn)->Exec("SELECT count(*) FROM users WHERE email NOT LIKE 'dev\\_%@example.com'");
  ASSERT_TRUE(bad.has_value()) << bad.error().ToString();
  EXPECT_EQ(bad->GetInt(0, 0), 0);
  auto keys = (*conn)->Exec("SELECT count(*) FROM configuration WHERE name LIKE '%\\_KEY' AND value <> 'dev_test_key_' || name");
  ASSERT_TRUE(keys.has_value());
  EXPECT_EQ(keys->GetInt(0, 0), 0);
  auto reduced = (*conn)->Exec("SELECT (SELECT count(*) FROM entities), (SELECT count(*) FROM users)");
  ASSERT_TRUE(reduced.has_value());
  auto src_counts = SqlValue("SELECT (SELECT count(*) FROM entities)::text || ',' || (SELECT count(*) FROM users)::text");
  int64_t src_entities = std::stoll(src_counts.substr(0, src_counts.find(',')));
  EXPECT_LT(reduced->GetInt(0, 0), src_entities / 4);                             // about 10 % kept
  EXPECT_EQ(std::to_string(reduced->GetInt(0, 1)), src_counts.substr(src_counts.find(',') + 1));  // users are critical
  // The standalone scan of the dev environment agrees.
  Cli("scan --env=dev", {{"DEV_REDIS_URL", "redis://127.0.0.1:1/0"}}, 5);  // an unreachable store is an error, not "clean"
}

TEST_F(SetsE2E, WrongKeyAndUnknownSetFailCleanly) {
  std::string id = BackupId(Cli("--json backup --set=config_only"));
  ASSERT_FALSE(id.empty());
  Cli("restore " + id + " --mode=verify-only", {{"ENCRYPTION_KEY", "not-the-key"}}, 6);
  EXPECT_NE(last_err_.find("wrong encryption key"), std::string::npos) << last_err_;
  Cli("backup --set=everything", {}, 2);
  EXPECT_NE(last_err_.find("unknown backup set 'everything'"), std::string::npos) << last_err_;
  Cli("restore summit-backup-full-20250120T020000Z --mode=verify-only", {}, 3);
}

}  // namespace
}  // namespace summit
