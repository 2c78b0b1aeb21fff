// Connection settings of the harness's servers, read from the environment that
// tests/harness/up.sh prints. In CI (CI=true) a missing service fails the test; on a developer's
// machine the test is skipped with a loud message.
#pragma once

#include <string>

namespace summit::testing {

// Returns the variable's value, or "" when unset.
std::string Env(const char* name);

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
