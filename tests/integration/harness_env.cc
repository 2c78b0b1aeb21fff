#include "harness_env.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "io/process.h"

namespace summit::testing {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

sources::postgres::Settings HarnessPostgres(const std::string& db) {
  sources::postgres::Settings s;
  s.host = Env("PGHOST");
  s.port = std::atoi(Env("PGPORT").c_str());
  s.user = Env("PGUSER");
  s.password = SecretString(Env("PGPASSWORD"));
  s.dbname = db;
  return s;
}

sources::neo4j::Settings HarnessNeo4j() {
  sources::neo4j::Settings s;
  s.uri = Env("NEO4J_URI");
  s.user = Env("NEO4J_USER").empty() ? "neo4j" : Env("NEO4J_USER");
  s.password = SecretString(Env("NEO4J_PASSWORD"));
  return s;
}

std::string RunSummitDr(const std::string& args, const std::map<std::string, std::string>& env, int expect_rc,
                        std::string* err) {
  ProcessOptions o = ShellCommand(std::string(SUMMIT_DR_BIN) + " " + args);
  for (const auto& [k, v] : env) o.env[k] = v;
  auto r = RunProcess(o);
  EXPECT_TRUE(r.has_value()) << r.error().ToString();
  if (!r) return "";
  EXPECT_EQ(r->exit_code, expect_rc) << "summit-dr " << args << "\nstdout:\n" << r->out << "\nstderr:\n" << r->err;
  if (err != nullptr) *err = r->err;
  return r->out;
}

bool HaveService(const std::string& service) {
  if (service == "postgres") return !Env("PGHOST").empty() && !Env("PGPORT").empty();
  if (service == "redis") return !Env("REDIS_URL").empty();
  if (service == "neo4j") return !Env("NEO4J_URI").empty();
  if (service == "s3") return !Env("S3_PRIMARY_ENDPOINT").empty() && !Env("S3_DR_ENDPOINT").empty();
  return false;
}

}  // namespace summit::testing
