// A RAII connection to one Redis server (hiredis), with AUTH and SELECT done at Open, plain
// commands and pipelining (Append ... GetReply). Internal to the redis source module.
//
// Errors: kUnavailable when the server cannot be reached, kPermission when AUTH is refused,
// kTransient for I/O failures and timeouts on an open connection; an error *reply* to a
// command sent through Command() becomes kInvalidInput (kPermission for NOPERM/NOAUTH).
// Thread-safety: a Connection is used by one thread at a time.
#pragma once

#include <hiredis/hiredis.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "sources/redis/settings.h"

namespace summit::sources::redis {

struct ReplyDeleter {
  void operator()(redisReply* r) const {
    if (r) freeReplyObject(r);
  }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

inline std::string_view ReplyString(const redisReply* r) {
  return r && r->str ? std::string_view(r->str, r->len) : std::string_view();
}

class Connection {
 public:
  static Result<std::unique_ptr<Connection>> Open(const Settings& settings);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Sends one command and waits for its reply; an error reply is returned as an Error.
  Result<Reply> Command(const std::vector<std::string_view>& args);
  // Queues a command without waiting (pipelining); its reply comes from a later GetReply.
  Status Append(const std::vector<std::string_view>& args);
  // The next reply of the pipeline, which may be an error reply (REDIS_REPLY_ERROR).
  Result<Reply> GetReply();
  // The database selected at Open (Settings::db). Callers that send SELECT themselves track
  // the current database on their side.
  int current_db() const { return db_; }
  void set_current_db(int db) { db_ = db; }

  // "7.0.15", from INFO server at Open.
  const std::string& server_version() const { return server_version_; }
  const Settings& settings() const { return settings_; }

 private:
  Connection(redisContext* ctx, Settings settings) : ctx_(ctx), settings_(std::move(settings)) {}
  Error IoError(std::string_view what) const;

  redisContext* ctx_;
  Settings settings_;
  int db_ = 0;
  std::string server_version_;
};

// Turns an error reply into an Error naming `what`.
Error ReplyError(const redisReply* r, std::string_view what);

// Databases holding keys, from INFO keyspace ("db0:keys=3,expires=1,..."), ascending.
Result<std::vector<int>> NonEmptyDatabases(Connection& conn);

}  // namespace summit::sources::redis
