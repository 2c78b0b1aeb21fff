#include "sources/redis/client.h"

#include <sys/time.h>

#include <algorithm>
#include <charconv>

namespace summit::sources::redis {
namespace {

timeval ToTimeval(int ms) {
  timeval tv;
  tv.tv_sec = ms / 1000;
  tv.tv_usec = (ms % 1000) * 1000;
  return tv;
}

}  // namespace

Error ReplyError(const redisReply* r, std::string_view what) {
  std::string msg(ReplyString(r));
  ErrorCode code = ErrorCode::kInvalidInput;
  std::string hint;
  if (msg.rfind("NOAUTH", 0) == 0 || msg.rfind("WRONGPASS", 0) == 0 || msg.rfind("NOPERM", 0) == 0) {
    code = ErrorCode::kPermission;
    hint = "check the redis user's password and ACL permissions";
  } else if (msg.rfind("LOADING", 0) == 0 || msg.rfind("BUSY", 0) == 0 || msg.rfind("TRYAGAIN", 0) == 0) {
    code = ErrorCode::kTransient;
  } else if (msg.rfind("OOM", 0) == 0) {
    code = ErrorCode::kNoSpace;
    hint = "raise the target's maxmemory or restore fewer keys";
  }
  std::transform(msg.begin(), msg.end(), msg.begin(), [](char c) { return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c; });
  return Error(code, std::string(what) + ": redis replied: " + msg, hint);
}

Result<std::unique_ptr<Connection>> Connection::Open(const Settings& settings) {
  redisContext* ctx = redisConnectWithTimeout(settings.host.c_str(), settings.port, ToTimeval(settings.connect_timeout_ms));
  if (ctx == nullptr) return Fail(ErrorCode::kInternal, "out of memory creating a redis context");
  std::unique_ptr<Connection> conn(new Connection(ctx, settings));
  if (ctx->err)
    return Fail(ErrorCode::kUnavailable, "cannot connect to redis at " + settings.host + ":" + std::to_string(settings.port) +
                                             ": " + ctx->errstr,
                "check that redis is running and reachable, and the host and port in the url");
  redisSetTimeout(ctx, ToTimeval(settings.io_timeout_ms));
  if (!settings.password.empty()) {
    std::vector<std::string_view> args{"AUTH"};
    if (!settings.username.empty()) args.push_back(settings.username);
    args.push_back(settings.password.Reveal());
    auto r = conn->Command(args);
    if (!r) {
      Error e = std::move(r).error();
      return Fail(ErrorCode::kPermission, "authenticating to " + settings.ToString() + " failed: " + e.message(),
                  "check the user name and password (REDIS_URL or the config's redis url)");
    }
  }
  {
    SUMMIT_ASSIGN_OR_RETURN_CTX(Reply info, conn->Command({"INFO", "server"}), "connecting to " + settings.ToString());
    std::string_view text = ReplyString(info.get());
    size_t p = text.find("redis_version:");
    if (p != std::string_view::npos) {
      size_t e = text.find_first_of("\r\n", p);
      conn->server_version_ = std::string(text.substr(p + 14, e - p - 14));
    }
  }
  if (settings.db != 0) {
    std::string db = std::to_string(settings.db);
    SUMMIT_TRY_CTX(conn->Command({"SELECT", db}), "selecting database " + db + " on " + settings.ToString());
    conn->db_ = settings.db;
  }
  return conn;
}

Connection::~Connection() { redisFree(ctx_); }

Error Connection::IoError(std::string_view what) const {
  return Error(ErrorCode::kTransient,
               std::string(what) + " on " + settings_.ToString() + ": " + (ctx_->err ? ctx_->errstr : "connection lost"),
               "check the redis server's health and the network; retry");
}

Status Connection::Append(const std::vector<std::string_view>& args) {
  constexpr size_t kInline = 8;  // RESTORE has 6 arguments: no allocation per key
  const char* argv_inline[kInline];
  size_t lens_inline[kInline];
  std::vector<const char*> argv_heap;
  std::vector<size_t> lens_heap;
  const char** argv = argv_inline;
  size_t* lens = lens_inline;
  if (args.size() > kInline) {
    argv_heap.resize(args.size());
    lens_heap.resize(args.size());
    argv = argv_heap.data();
    lens = lens_heap.data();
  }
  for (size_t i = 0; i < args.size(); ++i) {
    argv[i] = args[i].data();
    lens[i] = args[i].size();
  }
  if (redisAppendCommandArgv(ctx_, static_cast<int>(args.size()), argv, lens) != REDIS_OK)
    return IoError("queueing a command");
  return Ok();
}

Result<Reply> Connection::GetReply() {
  void* raw = nullptr;
  if (redisGetReply(ctx_, &raw) != REDIS_OK) return IoError("reading a reply");
  return Reply(static_cast<redisReply*>(raw));
}

Result<Reply> Connection::Command(const std::vector<std::string_view>& args) {
  SUMMIT_TRY(Append(args));
  SUMMIT_ASSIGN_OR_RETURN(Reply r, GetReply());
  if (r->type == REDIS_REPLY_ERROR) return ReplyError(r.get(), std::string(args.empty() ? "" : args[0]));
  return r;
}

Result<std::vector<int>> NonEmptyDatabases(Connection& conn) {
  SUMMIT_ASSIGN_OR_RETURN(Reply info, conn.Command({"INFO", "keyspace"}));
  std::string_view text = ReplyString(info.get());
  std::vector<int> dbs;
  size_t p = 0;
  while ((p = text.find("\ndb", p)) != std::string_view::npos) {
    p += 3;
    int db = 0;
    auto [end, ec] = std::from_chars(text.data() + p, text.data() + text.size(), db);
    if (ec == std::errc() && end < text.data() + text.size() && *end == ':') dbs.push_back(db);
  }
  std::sort(dbs.begin(), dbs.end());
  return dbs;
}

}  // namespace summit::sources::redis
