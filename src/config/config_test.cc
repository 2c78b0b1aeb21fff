#include "config/config.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <thread>

namespace summit::config {
namespace {

const std::string kShipped = std::string(SUMMIT_SOURCE_DIR) + "/config/backup-sets.yaml";

std::string ReadShipped() {
  std::ifstream in(kShipped);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> Types(const SetConfig& s) {
  std::vector<std::string> t;
  for (const auto& c : s.components) t.push_back(c.type);
  std::sort(t.begin(), t.end());
  return t;
}

TEST(Config, ShippedFileLoadsAndValidates) {
  auto c = LoadConfig(kShipped, MapEnv({}));
  ASSERT_TRUE(c.has_value()) << c.error().ToString();
  EXPECT_TRUE(ValidateConfig(*c).has_value());
  EXPECT_EQ(c->sets.size(), 6u);
  EXPECT_EQ(c->environments.size(), 5u);
  EXPECT_EQ(c->repositories.at("local").path, "./backups");
  EXPECT_EQ(c->repositories.at("primary").region, "us-west-2");
  EXPECT_EQ(c->repositories.at("dr").region, "us-east-1");
  EXPECT_EQ(c->sanitization_file, "sanitization.yaml");
}

TEST(Config, ShippedSetsMatchTheSpec) {
  auto c = LoadConfig(kShipped, MapEnv({}));
  ASSERT_TRUE(c.has_value()) << c.error().ToString();
  struct Expect { const char* set; int retention; std::vector<std::string> storage; const char* cron; };
  for (const auto& e : {Expect{"full", 30, {"local", "primary"}, "0 2 * * *"}, Expect{"minimal", 7, {"local"}, "0 * * * *"},
                        Expect{"tenant", 14, {"local", "primary"}, "0 * * * *"}, Expect{"project", 90, {"local", "primary"}, ""},
                        Expect{"config_only", 90, {"local", "primary"}, "0 */4 * * *"},
                        Expect{"disaster_recovery", 60, {"primary", "dr"}, "0 */6 * * *"}}) {
    const SetConfig* s = c->FindSet(e.set);
    ASSERT_NE(s, nullptr) << e.set;
    EXPECT_EQ(s->retention_days, e.retention) << e.set;
    EXPECT_EQ(s->storage, e.storage) << e.set;
    if (*e.cron) {
      ASSERT_TRUE(s->schedule.has_value()) << e.set;
      EXPECT_EQ(s->schedule->text(), e.cron) << e.set;
    } else {
      EXPECT_FALSE(s->schedule.has_value()) << e.set << " is on demand";
    }
  }
  using V = std::vector<std::string>;
  V full = {"audit_chain", "catalog", "config_files", "neo4j", "policy", "postgres", "provenance", "redis", "secrets", "timescaledb"};
  EXPECT_EQ(Types(*c->FindSet("full")), full);
  EXPECT_EQ(Types(*c->FindSet("minimal")), (V{"neo4j", "postgres", "redis"}));
  EXPECT_EQ(Types(*c->FindSet("tenant")), (V{"audit_chain", "neo4j", "postgres", "tenant_config"}));
  EXPECT_EQ(Types(*c->FindSet("project")), (V{"neo4j", "postgres", "project_artifacts", "provenance"}));
  EXPECT_EQ(Types(*c->FindSet("config_only")),
            (V{"catalog_definitions", "config_files", "opa_policies", "policy_bundles", "secrets"}));
  V dr = full;
  dr.push_back("kubernetes");
  dr.push_back("terraform");
  std::sort(dr.begin(), dr.end());
  EXPECT_EQ(Types(*c->FindSet("disaster_recovery")), dr);
  EXPECT_TRUE(c->FindSet("disaster_recovery")->replicate);

  const SetConfig* minimal = c->FindSet("minimal");
  EXPECT_EQ(minimal->components[0].tables, (V{"entities", "investigations", "users", "runs", "tasks", "runbooks"}));
  EXPECT_EQ(minimal->components[2].exclude, (V{"session:*", "tmp:*", "temp:*"}));
  EXPECT_EQ(c->FindSet("tenant")->required_params, V{"tenant_id"});
  EXPECT_EQ(c->FindSet("project")->required_params, V{"project_id"});
}

TEST(Config, ShippedEnvironmentsHaveTheSpecProfiles) {
  auto c = LoadConfig(kShipped, MapEnv({}));
  ASSERT_TRUE(c.has_value()) << c.error().ToString();
  using S = EnvironmentConfig::Sanitize;
  EXPECT_EQ(c->FindEnvironment("production")->sanitize, S::kNone);
  EXPECT_TRUE(c->FindEnvironment("production")->confirm);
  EXPECT_EQ(c->FindEnvironment("staging")->sanitize, S::kMinimal);
  EXPECT_EQ(c->FindEnvironment("dr_rehearsal")->sanitize, S::kNone);
  EXPECT_EQ(c->FindEnvironment("dev")->sanitize, S::kFull);
  EXPECT_DOUBLE_EQ(c->FindEnvironment("dev")->reduction, 0.10);
  EXPECT_EQ(c->FindEnvironment("test")->sanitize, S::kFull);
  EXPECT_DOUBLE_EQ(c->FindEnvironment("test")->reduction, 0.20);
  EXPECT_DOUBLE_EQ(c->FindEnvironment("staging")->reduction, 1.0);
}

TEST(Config, StandardEnvironmentVariablesFillConnections) {
  auto env = MapEnv({{"PGHOST", "db.internal"}, {"PGPORT", "6543"}, {"PGUSER", "summit"}, {"PGPASSWORD", "pw"},
                     {"PGDATABASE", "prod"}, {"REDIS_URL", "redis://10.0.0.5:6380/0"}, {"NEO4J_URI", "bolt://10.0.0.6:7688"},
                     {"NEO4J_PASSWORD", "np"}, {"BACKUP_BASE", "/srv/backups"}, {"S3_BUCKET", "summit-dr-backups"},
                     {"ENCRYPTION_KEY", "k3y"}, {"S3_PRIMARY_ENDPOINT", "http://127.0.0.1:9000"}});
  auto c = LoadConfig(kShipped, env);
  ASSERT_TRUE(c.has_value()) << c.error().ToString();
  EXPECT_EQ(c->sources.postgres.host, "db.internal");
  EXPECT_EQ(c->sources.postgres.port, 6543);
  EXPECT_EQ(c->sources.postgres.user, "summit");
  EXPECT_EQ(c->sources.postgres.password.Reveal(), "pw");
  EXPECT_EQ(c->sources.postgres.database, "prod");
  EXPECT_EQ(c->sources.redis.url.Reveal(), "redis://10.0.0.5:6380/0");
  EXPECT_EQ(c->sources.neo4j.uri, "bolt://10.0.0.6:7688");
  EXPECT_EQ(c->sources.neo4j.password.Reveal(), "np");
  EXPECT_EQ(c->repositories.at("local").path, "/srv/backups");
  EXPECT_EQ(c->repositories.at("primary").bucket, "summit-dr-backups");
  EXPECT_EQ(c->repositories.at("primary").endpoint, "http://127.0.0.1:9000");
  EXPECT_EQ(c->encryption.key.Reveal(), "k3y");
  // The dev target keeps its own database but takes the host from PGHOST.
  EXPECT_EQ(c->FindEnvironment("dev")->postgres.host, "db.internal");
  EXPECT_EQ(c->FindEnvironment("dev")->postgres.database, "summit_dev");
  EXPECT_EQ(c->FindEnvironment("production")->postgres.database, "prod");
}

TEST(Config, MissingConnectionKeysFallBackToEnvironment) {
  std::string yaml = ReadShipped();
  // Drop the explicit host line: the loader's own fallback must apply.
  size_t p = yaml.find("    host: ${PGHOST:-127.0.0.1}\n");
  ASSERT_NE(p, std::string::npos);
  yaml.erase(p, std::string("    host: ${PGHOST:-127.0.0.1}\n").size());
  auto c = ParseConfig(yaml, "x.yaml", MapEnv({{"PGHOST", "from-env"}}));
  ASSERT_TRUE(c.has_value()) << c.error().ToString();
  EXPECT_EQ(c->sources.postgres.host, "from-env");
  auto d = ParseConfig(yaml, "x.yaml", MapEnv({}));
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->sources.postgres.host, "127.0.0.1");
}

TEST(Config, JobsDefaultToOnePerCore) {
  const std::string yaml = ReadShipped();
  const int cores = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  auto c = ParseConfig(yaml, "x.yaml", MapEnv({}));
  ASSERT_TRUE(c.has_value()) << c.error().ToString();
  EXPECT_EQ(c->jobs, cores) << "the shipped file says ${SUMMIT_JOBS:-0}";
  EXPECT_EQ(DefaultJobs(), cores);
  auto three = ParseConfig(yaml, "x.yaml", MapEnv({{"SUMMIT_JOBS", "3"}}));
  ASSERT_TRUE(three.has_value()) << three.error().ToString();
  EXPECT_EQ(three->jobs, 3);
  // Without the key at all: one per core too.
  std::string without = yaml;
  const size_t p = without.find("\njobs:");
  ASSERT_NE(p, std::string::npos);
  without.erase(p + 1, without.find('\n', p + 1) - p);
  auto absent = ParseConfig(without, "x.yaml", MapEnv({}));
  ASSERT_TRUE(absent.has_value()) << absent.error().ToString();
  EXPECT_EQ(absent->jobs, cores);
  for (const char* bad : {"-1", "257"}) {
    auto b = ParseConfig(yaml, "x.yaml", MapEnv({{"SUMMIT_JOBS", bad}}));
    ASSERT_FALSE(b.has_value()) << bad;
    EXPECT_NE(b.error().message().find("jobs"), std::string::npos) << b.error().message();
  }
}

TEST(Config, PostgresRestoreLoadOrderAndSpillDirectory) {
  const std::string yaml = ReadShipped();
  auto shipped = ParseConfig(yaml, "x.yaml", MapEnv({}));
  ASSERT_TRUE(shipped.has_value()) << shipped.error().ToString();
  EXPECT_TRUE(shipped->sources.postgres_restore.group_for_index) << "the shipped file says load_order: index";
  EXPECT_EQ(shipped->sources.postgres_restore.spill_dir, "");
  auto with = [&](const std::string& lines) {
    std::string y = yaml;
    const std::string key = "      load_order: index";
    const size_t p = y.find(key);
    EXPECT_NE(p, std::string::npos);
    y.replace(p, y.find('\n', p) - p, lines);
    return ParseConfig(y, "x.yaml", MapEnv({}));
  };
  auto stream = with("      load_order: stream\n      spill_dir: /var/tmp/summit");
  ASSERT_TRUE(stream.has_value()) << stream.error().ToString();
  EXPECT_FALSE(stream->sources.postgres_restore.group_for_index);
  EXPECT_EQ(stream->sources.postgres_restore.spill_dir, "/var/tmp/summit");
  auto bad = with("      load_order: sorted");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message().find("load_order"), std::string::npos) << bad.error().message();
  EXPECT_NE(bad.error().message().find("index or stream"), std::string::npos) << bad.error().message();
  auto unknown = with("      load_ordr: index");
  ASSERT_FALSE(unknown.has_value());
  EXPECT_NE(unknown.error().message().find("load_ordr"), std::string::npos) << unknown.error().message();
}

TEST(Config, SubstitutionHandlesDefaultsNestingAndDollars) {
  auto env = MapEnv({{"A", "x"}, {"EMPTY", ""}});
  EXPECT_EQ(*SubstituteEnv("${A}", env), "x");
  EXPECT_EQ(*SubstituteEnv("pre-${A}-post", env), "pre-x-post");
  EXPECT_EQ(*SubstituteEnv("${B:-dflt}", env), "dflt");
  EXPECT_EQ(*SubstituteEnv("${EMPTY:-dflt}", env), "dflt");
  EXPECT_EQ(*SubstituteEnv("${B}", env), "");
  EXPECT_EQ(*SubstituteEnv("${B:-${A:-y}}", env), "x");
  EXPECT_EQ(*SubstituteEnv("${B:-${C:-y}}", env), "y");
  EXPECT_EQ(*SubstituteEnv("cost $$5 and $HOME", env), "cost $5 and $HOME");
  EXPECT_FALSE(SubstituteEnv("${A", env).has_value());
  EXPECT_FALSE(SubstituteEnv("${A-B}", env).has_value());
}

// Replaces the first occurrence of `from` in the shipped file and returns the load error.
Error BrokenError(const std::string& from, const std::string& to, int* line_out) {
  std::string yaml = ReadShipped();
  size_t p = yaml.find(from);
  EXPECT_NE(p, std::string::npos) << from;
  *line_out = 1 + static_cast<int>(std::count(yaml.begin(), yaml.begin() + static_cast<long>(p), '\n'));
  yaml.replace(p, from.size(), to);
  auto c = ParseConfig(yaml, "backup-sets.yaml", MapEnv({}));
  EXPECT_FALSE(c.has_value()) << "accepted: " << to;
  if (c.has_value()) return Error(ErrorCode::kInternal, "accepted");
  return c.error();
}

void ExpectError(const std::string& from, const std::string& to, const std::string& path, const std::string& what,
                 const std::string& hint = "", int line_delta = 0) {
  int line = 0;
  Error e = BrokenError(from, to, &line);
  line += line_delta;
  std::string prefix = "backup-sets.yaml:" + std::to_string(line) + ": " + path + ": ";
  EXPECT_EQ(e.message().rfind(prefix, 0), 0u) << e.message() << "\n expected prefix: " << prefix;
  EXPECT_NE(e.message().find(what), std::string::npos) << e.message();
  if (!hint.empty()) {
    EXPECT_NE(e.hint().find(hint), std::string::npos) << e.hint();
  }
  EXPECT_EQ(e.code(), ErrorCode::kInvalidInput);
}

TEST(ConfigErrors, UnknownKeyNamesLineAndSuggests) {
  ExpectError("    retention_days: 30\n", "    retension_days: 30\n", "sets.full.retension_days", "unknown key 'retension_days'",
              "did you mean 'retention_days'?");
}

TEST(ConfigErrors, WrongTypeNamesLine) {
  ExpectError("    storage: [local]\n", "    storage: local\n", "sets.minimal.storage", "must be a list");
  ExpectError("  level: 1\n", "  level: high\n", "compression.level", "must be an integer");
}

TEST(ConfigErrors, MissingRequiredFieldNamesTheSet) {
  // The error points at the set's mapping (the line after "minimal:").
  ExpectError("    schedule: \"0 * * * *\"        # hourly\n    retention_days: 7\n", "    retention_days: 7\n",
              "sets.minimal.schedule", "missing required field 'schedule'", "", -1);
}

TEST(ConfigErrors, UnknownComponentSuggests) {
  ExpectError("      - {type: audit_chain}\n", "      - {type: audit_chian}\n", "sets.full.components[4].type",
              "unknown component 'audit_chian'", "did you mean 'audit_chain'?");
}

TEST(ConfigErrors, SetNotAmongTheSix) {
  ExpectError("  config_only:\n", "  config_onyl:\n", "sets.config_onyl", "not one of the six backup sets", "config_only");
}

TEST(ConfigErrors, BadCronExpression) {
  ExpectError("schedule: \"0 2 * * *\"", "schedule: \"0 25 * * *\"", "sets.full.schedule", "hour field");
}

TEST(ConfigErrors, RetentionMustBePositive) {
  ExpectError("    retention_days: 14\n", "    retention_days: 0\n", "sets.tenant.retention_days", "must be a positive number");
  ExpectError("    retention_days: 14\n", "    retention_days: -3\n", "sets.tenant.retention_days", "got -3");
}

TEST(ConfigErrors, UnknownRepositoryInStorage) {
  ExpectError("    storage: [local]\n", "    storage: [locl]\n", "sets.minimal.storage", "unknown repository 'locl'", "did you mean 'local'?");
}

TEST(ConfigErrors, BadSanitizeLevelAndReduction) {
  ExpectError("    sanitize: minimal            # production", "    sanitize: some", "environments.staging.sanitize", "unknown sanitize level");
  ExpectError("    reduction: 0.10", "    reduction: 1.5", "environments.dev.reduction", "(0, 1]");
}

TEST(ConfigErrors, TenantSetMustRequireTenantId) {
  // The set's filtered components need it too; drop both to reach the set-level check.
  std::string yaml = ReadShipped();
  for (const char* from : {"    requires: [tenant_id]\n", "      - {type: postgres, filter: tenant}\n",
                           "      - {type: neo4j, filter: tenant}\n", "      - {type: audit_chain, filter: tenant}\n"}) {
    size_t p = yaml.find(from);
    ASSERT_NE(p, std::string::npos) << from;
    yaml.erase(p, std::string(from).size());
  }
  auto c = ParseConfig(yaml, "b.yaml", MapEnv({}));
  ASSERT_FALSE(c.has_value());
  EXPECT_NE(c.error().message().find("sets.tenant: the tenant set must list 'tenant_id'"), std::string::npos) << c.error().message();
}

TEST(ConfigErrors, YamlSyntaxErrorHasLine) {
  int line = 0;
  Error e = BrokenError("  minimal:\n", "  minimal: [\n", &line);
  EXPECT_NE(e.message().find("YAML syntax error"), std::string::npos) << e.message();
  EXPECT_EQ(e.message().rfind("backup-sets.yaml:", 0), 0u);
}

TEST(Config, ConfigPathComesFromFlagThenEnvironmentThenDefault) {
  EXPECT_EQ(ResolveConfigPath("/etc/x.yaml", MapEnv({{"SUMMIT_DR_CONFIG", "/y.yaml"}})), "/etc/x.yaml");
  EXPECT_EQ(ResolveConfigPath("", MapEnv({{"SUMMIT_DR_CONFIG", "/y.yaml"}})), "/y.yaml");
  EXPECT_EQ(ResolveConfigPath("", MapEnv({})), "config/backup-sets.yaml");
}

TEST(ConfigErrors, UnreadableFileIsNotFound) {
  auto c = LoadConfig("/nonexistent/backup-sets.yaml", MapEnv({}));
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(c.error().hint().find("--config"), std::string::npos);
}

TEST(ConfigErrors, EnvironmentSuppliedBadPortIsReported) {
  auto c = LoadConfig(kShipped, MapEnv({{"PGPORT", "notaport"}}));
  ASSERT_FALSE(c.has_value());
  EXPECT_NE(c.error().message().find("sources.postgres.port"), std::string::npos) << c.error().message();
}

}  // namespace
}  // namespace summit::config

#include "config/sanitization.h"

namespace summit::config {
namespace {

TEST(SanitizationConfig, ShippedFilesAgreeOnEveryEnvironment) {
  auto c = LoadConfig(kShipped, MapEnv({}));
  ASSERT_TRUE(c.has_value()) << c.error().ToString();
  EXPECT_EQ(SanitizationPath(*c), std::string(SUMMIT_SOURCE_DIR) + "/config/sanitization.yaml");
  auto rules = LoadSanitizationRules(*c);
  ASSERT_TRUE(rules.has_value()) << rules.error().ToString();
  EXPECT_TRUE(rules->ProfileFor("dev").has_value());
}

TEST(SanitizationConfig, EnvironmentLevelMustMatchItsProfile) {
  auto c = LoadConfig(kShipped, MapEnv({}));
  ASSERT_TRUE(c.has_value());
  c->environments["production"].sanitize = EnvironmentConfig::Sanitize::kFull;
  auto rules = LoadSanitizationRules(*c);
  ASSERT_FALSE(rules.has_value());
  EXPECT_NE(rules.error().message().find("environment 'production' says sanitize: full"), std::string::npos)
      << rules.error().message();
  c->environments["production"].sanitize = EnvironmentConfig::Sanitize::kNone;
  c->sanitization_file = "does-not-exist.yaml";
  EXPECT_EQ(LoadSanitizationRules(*c).error().code(), ErrorCode::kNotFound);
}

}  // namespace
}  // namespace summit::config
