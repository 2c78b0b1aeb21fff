#include "harness_env.h"

#include <cstdlib>

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

bool HaveService(const std::string& service) {
  if (service == "postgres") return !Env("PGHOST").empty() && !Env("PGPORT").empty();
  if (service == "redis") return !Env("REDIS_URL").empty();
  if (service == "neo4j") return !Env("NEO4J_URI").empty();
  if (service == "s3") return !Env("S3_PRIMARY_ENDPOINT").empty() && !Env("S3_DR_ENDPOINT").empty();
  return false;
}

}  // namespace summit::testing
