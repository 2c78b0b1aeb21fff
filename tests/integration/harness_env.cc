#include "harness_env.h"

#include <cstdlib>

namespace summit::testing {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

bool HaveService(const std::string& service) {
  if (service == "postgres") return !Env("PGHOST").empty() && !Env("PGPORT").empty();
  if (service == "redis") return !Env("REDIS_URL").empty();
  if (service == "neo4j") return !Env("NEO4J_URI").empty();
  if (service == "s3") return !Env("S3_PRIMARY_ENDPOINT").empty() && !Env("S3_DR_ENDPOINT").empty();
  return false;
}

}  // namespace summit::testing
