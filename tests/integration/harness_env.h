// Connection settings of the harness's servers, read from the environment that
// tests/harness/up.sh prints. In CI (CI=true) a missing service fails the test; on a developer's
// machine the test is skipped with a loud message.
#pragma once

#include <map>
#include <string>

#include "sources/neo4j/neo4j.h"
#include "sources/postgres/settings.h"

namespace summit::testing {

// Returns the variable's value, or "" when unset.
std::string Env(const char* name);

// The harness's PostgreSQL (PGHOST, PGPORT, PGUSER, PGPASSWORD) with database `db`, by
// default PGDATABASE.
sources::postgres::Settings HarnessPostgres(const std::string& db = Env("PGDATABASE"));

// The harness's Neo4j (NEO4J_URI, NEO4J_USER or "neo4j", NEO4J_PASSWORD).
sources::neo4j::Settings HarnessNeo4j();

// Runs the summit-dr binary under test (SUMMIT_DR_BIN) through the shell with `args`, its
// environment plus `env`, and records a test failure (with both outputs) unless it exits with
// `expect_rc`. Returns stdout; stderr goes to *err when given.
std::string RunSummitDr(const std::string& args, const std::map<std::string, std::string>& env, int expect_rc,
                        std::string* err = nullptr);

// True when the harness variables for `service` ("postgres", "redis", "neo4j", "s3") are set.
bool HaveService(const std::string& service);

}  // namespace summit::testing

// Use at the top of an integration test body.
#define SUMMIT_REQUIRE_SERVICE(service)                                                          \
  do {                                                                                           \
    if (!::summit::testing::HaveService(service)) {                                              \
      if (!::summit::testing::Env("CI").empty())                                                 \
        FAIL() << "CI: harness service '" << service << "' is not running (tests/harness/up.sh)"; \
      GTEST_SKIP() << "\n\n*** SKIPPED: harness service '" << service                           \
                   << "' not running; run ./dev.sh test or eval $(tests/harness/up.sh) ***\n";  \
    }                                                                                            \
  } while (0)
