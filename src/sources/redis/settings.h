// Connection settings for one Redis server, and the glob matcher Redis itself uses for
// SCAN MATCH / KEYS, so that include/exclude patterns mean the same here as on the server.
//
// Invariant: the password only ever leaves a Settings through SecretString::Reveal() at the
// point of AUTH; ToString() prints it as ***.
// Thread-safety: values and pure functions.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"
#include "core/secret.h"

namespace summit::sources::redis {

struct Settings {
  std::string host = "127.0.0.1";
  int port = 6379;
  int db = 0;
  std::string username;   // empty: AUTH with the password only (default user)
  SecretString password;  // empty: no AUTH
  int connect_timeout_ms = 5000;
  int io_timeout_ms = 600000;  // a BGSAVE of a large dataset can take minutes before the first byte

  // "redis://user:***@host:port/db", for messages and logs.
  std::string ToString() const;
};

// Parses "redis://[[user]:password@]host[:port][/db]" (user and password may be
// percent-encoded). Fails with kInvalidInput naming the part that is wrong.
Result<Settings> ParseUrl(std::string_view url);

// True when `text` matches the glob `pattern` with Redis's rules: '*', '?', '[a-z]', '[^x]',
// and '\' escaping the next character. Binary-safe.
bool GlobMatch(std::string_view pattern, std::string_view text);

}  // namespace summit::sources::redis
