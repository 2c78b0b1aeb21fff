#include "sources/neo4j/bolt/connection.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "core/log.h"

namespace summit::sources::neo4j::bolt {
namespace {

// Request and response message tags (Bolt protocol "Messages").
constexpr uint8_t kHello = 0x01, kGoodbye = 0x02, kReset = 0x0F, kRunMsg = 0x10, kBegin = 0x11, kCommit = 0x12,
                  kRollback = 0x13, kDiscard = 0x2F, kPull = 0x3F, kLogon = 0x6A;
constexpr uint8_t kSuccess = 0x70, kRecord = 0x71, kIgnored = 0x7E, kFailure = 0x7F;

std::string MapString(const Map& m, const std::string& key) {
  auto it = m.find(key);
  if (it == m.end()) return {};
  if (auto* s = it->second.If<std::string>()) return *s;
  return {};
}

bool MapBool(const Map& m, const std::string& key) {
  auto it = m.find(key);
  return it != m.end() && it->second.Is<bool>() && it->second.As<bool>();
}

}  // namespace

Result<std::unique_ptr<Connection>> Connection::Open(const ConnectOptions& options) {
  std::unique_ptr<Connection> c(new Connection(options));
  SUMMIT_TRY(c->Connect());
  SUMMIT_TRY(c->Handshake());
  SUMMIT_TRY(c->Authenticate());
  c->healthy_ = true;
  return c;
}

Connection::~Connection() {
  if (fd_ >= 0) {
    if (healthy_) {
      // Best effort: GOODBYE tells the server to close without logging a dropped connection.
      out_.clear();
      if (Send(kGoodbye, {}).has_value()) (void)Flush();
    }
    ::close(fd_);
  }
}

Error Connection::IoError(const std::string& what, int err) {
  healthy_ = false;
  std::string m = what + " " + options_.uri;
  if (err != 0) m += ": " + std::string(std::strerror(err));
  return Error(ErrorCode::kTransient, m,
               "the connection to neo4j broke or timed out; retry, and check the server's health and load");
}

Status Connection::Connect() {
  std::string rest;
  const std::string& uri = options_.uri;
  for (const char* scheme : {"bolt://", "neo4j://"}) {
    if (uri.rfind(scheme, 0) == 0) rest = uri.substr(std::strlen(scheme));
  }
  if (rest.empty()) {
    if (uri.find("+s://") != std::string::npos || uri.find("+ssc://") != std::string::npos) {
      return Fail(ErrorCode::kUnsupported, "tls neo4j uri " + uri + " is not supported by this build",
                  "use bolt://host:port on a trusted network, or a TLS tunnel (stunnel) in front of neo4j");
    }
    return Fail(ErrorCode::kInvalidInput, "neo4j uri '" + uri + "' is not bolt://host:port",
                "set NEO4J_URI to bolt://host:7687");
  }
  if (auto slash = rest.find('/'); slash != std::string::npos) rest.resize(slash);
  if (!rest.empty() && rest[0] == '[') {  // [ipv6]:port
    auto close = rest.find(']');
    if (close == std::string::npos) return Fail(ErrorCode::kInvalidInput, "bad neo4j uri " + uri);
    host_ = rest.substr(1, close - 1);
    port_ = close + 2 <= rest.size() ? rest.substr(close + 2) : "";
  } else if (auto colon = rest.rfind(':'); colon != std::string::npos) {
    host_ = rest.substr(0, colon);
    port_ = rest.substr(colon + 1);
  } else {
    host_ = rest;
  }
  if (port_.empty()) port_ = "7687";

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int rc = ::getaddrinfo(host_.c_str(), port_.c_str(), &hints, &res);
  if (rc != 0) {
    return Fail(ErrorCode::kUnavailable, "cannot resolve neo4j host " + host_ + " (" + uri + "): " + gai_strerror(rc),
                "check NEO4J_URI and DNS");
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> guard(res, &::freeaddrinfo);
  std::string last_error = "no address";
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0) {
      last_error = std::strerror(errno);
      continue;
    }
    int r = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (r != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      int n = ::poll(&p, 1, static_cast<int>(options_.connect_timeout.count()));
      if (n == 0) {
        last_error = "timed out after " + std::to_string(options_.connect_timeout.count()) + " ms";
        ::close(fd);
        continue;
      }
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      r = err == 0 ? 0 : -1;
      errno = err;
    }
    if (r != 0) {
      last_error = std::strerror(errno);
      ::close(fd);
      continue;
    }
    // Back to blocking mode with timeouts for the protocol's request/response exchanges.
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    timeval tv{};
    tv.tv_sec = options_.io_timeout.count() / 1000;
    tv.tv_usec = (options_.io_timeout.count() % 1000) * 1000;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fd_ = fd;
    return Ok();
  }
  return Fail(ErrorCode::kUnavailable, "cannot connect to neo4j at " + uri + ": " + last_error,
              "check that neo4j is running and that its bolt connector listens on " + host_ + ":" + port_);
}

Status Connection::WriteAll(const uint8_t* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::send(fd_, p, n, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      return Fail(IoError("writing to neo4j at", errno));
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return Ok();
}

Status Connection::ReadExact(uint8_t* p, size_t n) {
  while (n > 0) {
    if (in_pos_ == in_len_) {
      if (in_buf_.empty()) in_buf_.resize(1 << 16);
      ssize_t r = ::recv(fd_, in_buf_.data(), in_buf_.size(), 0);
      if (r < 0) {
        if (errno == EINTR) continue;
        return Fail(IoError("reading from neo4j at", errno));
      }
      if (r == 0) return Fail(IoError("neo4j closed the connection at", 0));
      in_pos_ = 0;
      in_len_ = static_cast<size_t>(r);
    }
    size_t k = std::min(n, in_len_ - in_pos_);
    std::memcpy(p, in_buf_.data() + in_pos_, k);
    in_pos_ += k;
    p += k;
    n -= k;
  }
  return Ok();
}

Status Connection::Handshake() {
  // Magic, then four proposals [0, range, minor, major]: 5.7 with 7 earlier minors, then 4.4.
  const uint8_t hs[20] = {0x60, 0x60, 0xB0, 0x17, 0, 7, 7, 5, 0, 0, 4, 4, 0, 0, 0, 0, 0, 0, 0, 0};
  SUMMIT_TRY(WriteAll(hs, sizeof hs));
  uint8_t v[4];
  auto st = ReadExact(v, 4);
  if (!st) {
    return Fail(ErrorCode::kUnavailable, "no bolt handshake from " + options_.uri + ": " + st.error().message(),
                "check that the port is neo4j's bolt connector (usually 7687), not its http port");
  }
  if (v[0] == 'H' && v[1] == 'T' && v[2] == 'T' && v[3] == 'P') {
    return Fail(ErrorCode::kUnavailable, options_.uri + " answered with http, not bolt",
                "use the bolt port (usually 7687), not the http port (7474)");
  }
  version_ = BoltVersion{v[3], v[2]};
  if (version_.major == 0) {
    return Fail(ErrorCode::kUnsupported, "neo4j at " + options_.uri + " supports none of bolt 5.0-5.7 or 4.4",
                "summit-dr needs neo4j 4.4 or 5.x");
  }
  utc_datetime_ = version_.major >= 5;
  return Ok();
}

Status Connection::Authenticate() {
  Map hello;
  hello["user_agent"] = options_.user_agent;
  Map auth;
  auth["scheme"] = "basic";
  auth["principal"] = options_.user;
  auth["credentials"] = options_.password.Reveal();
  if (version_.AtLeast(5, 3)) {
    Map agent;
    agent["product"] = options_.user_agent;
    agent["language"] = "C++/20";
    hello["bolt_agent"] = Value(std::move(agent));
  }
  if (version_.major == 4) hello["patch_bolt"] = Value(List{Value("utc")});
  const bool separate_logon = version_.AtLeast(5, 1);
  if (!separate_logon) {
    for (auto& [k, v] : auth) hello[k] = v;
  }
  SUMMIT_TRY(Send(kHello, {Value(std::move(hello))}));
  SUMMIT_TRY(Flush());
  SUMMIT_ASSIGN_OR_RETURN(Map meta, ExpectSuccess("hello"));
  server_agent_ = MapString(meta, "server");
  if (version_.major == 4) {
    auto it = meta.find("patch_bolt");
    utc_datetime_ = false;
    if (it != meta.end() && it->second.Is<List>()) {
      for (const auto& p : it->second.As<List>()) {
        if (p.Is<std::string>() && p.As<std::string>() == "utc") utc_datetime_ = true;
      }
    }
  }
  if (separate_logon) {
    SUMMIT_TRY(Send(kLogon, {Value(std::move(auth))}));
    SUMMIT_TRY(Flush());
    SUMMIT_TRY(ExpectSuccess("logon"));
  }
  log::Debug("connected to neo4j", {{"uri", options_.uri}, {"bolt", version_.ToString()}, {"server", server_agent_}});
  return Ok();
}

Status Connection::Send(uint8_t tag, const std::vector<Value>& fields) {
  msg_.clear();
  EncodeStructHeader(tag, fields.size(), msg_);
  EncodeOptions eo;
  eo.utc_datetime = utc_datetime_;
  for (const auto& f : fields) Encode(f, msg_, eo);
  // Chunks of at most 65535 bytes, then the 0-size end marker.
  for (size_t off = 0; off < msg_.size(); off += 0xFFFF) {
    size_t n = std::min<size_t>(0xFFFF, msg_.size() - off);
    out_.push_back(static_cast<uint8_t>(n >> 8));
    out_.push_back(static_cast<uint8_t>(n));
    out_.insert(out_.end(), msg_.begin() + off, msg_.begin() + off + n);
  }
  out_.push_back(0);
  out_.push_back(0);
  return Ok();
}

Status Connection::Flush() {
  Status st = WriteAll(out_.data(), out_.size());
  out_.clear();
  return st;
}

Result<std::pair<uint8_t, List>> Connection::Receive() {
  msg_.clear();
  for (;;) {
    uint8_t h[2];
    SUMMIT_TRY(ReadExact(h, 2));
    size_t n = (size_t{h[0]} << 8) | h[1];
    if (n == 0) {
      if (msg_.empty()) continue;  // a NOOP keep-alive chunk between messages
      break;
    }
    size_t old = msg_.size();
    msg_.resize(old + n);
    SUMMIT_TRY(ReadExact(msg_.data() + old, n));
  }
  Decoder d(msg_);
  auto header = d.NextStructHeader();
  if (!header) {
    healthy_ = false;
    return Fail(std::move(header).error().Context("bolt message from " + options_.uri));
  }
  List fields;
  for (size_t i = 0; i < header->second; ++i) {
    auto v = d.Next();
    if (!v) {
      healthy_ = false;
      return Fail(std::move(v).error().Context("bolt message from " + options_.uri));
    }
    fields.push_back(std::move(*v));
  }
  return std::pair<uint8_t, List>{header->first, std::move(fields)};
}

Error Connection::FailureToError(const Map& meta, const std::string& what) {
  std::string code = MapString(meta, "neo4j_code");
  if (code.empty()) code = MapString(meta, "code");
  std::string message = MapString(meta, "message");
  if (code.find("Security.Unauthorized") != std::string::npos ||
      code.find("Security.AuthenticationRateLimit") != std::string::npos) {
    return Error(ErrorCode::kPermission,
                 "authentication failed for user " + options_.user + " at " + options_.uri + ": " + message,
                 "check NEO4J_USER and NEO4J_PASSWORD");
  }
  if (code.find("Security.") != std::string::npos) {
    return Error(ErrorCode::kPermission, what + " refused for user " + options_.user + " at " + options_.uri +
                                             ": " + code + ": " + message,
                 "grant the user the needed privileges (or use an admin user)");
  }
  if (code.find("TransientError") != std::string::npos) {
    return Error(ErrorCode::kTransient, what + " failed at " + options_.uri + ": " + code + ": " + message,
                 "a transient neo4j error; retry");
  }
  if (code.find("DatabaseNotFound") != std::string::npos) {
    return Error(ErrorCode::kNotFound, what + " failed at " + options_.uri + ": " + code + ": " + message,
                 "check the database name (SHOW DATABASES)");
  }
  return Error(ErrorCode::kInvalidInput, what + " failed at " + options_.uri + ": " + code + ": " + message);
}

Result<Map> Connection::ExpectSuccess(const std::string& what) {
  SUMMIT_ASSIGN_OR_RETURN(auto msg, Receive());
  auto meta = [&]() -> Map {
    if (!msg.second.empty() && msg.second[0].Is<Map>()) return std::move(msg.second[0].As<Map>());
    return {};
  };
  switch (msg.first) {
    case kSuccess: return meta();
    case kFailure: return Fail(FailureToError(meta(), what));
    case kIgnored:
      return Fail(ErrorCode::kInternal, what + " ignored by neo4j at " + options_.uri + " after an earlier failure");
    default:
      healthy_ = false;
      return Fail(ErrorCode::kCorruption, "unexpected bolt message 0x" + HexEncode(ByteView(&msg.first, 1)) +
                                              " in reply to " + what + " from " + options_.uri);
  }
}

Status Connection::Reset() {
  SUMMIT_TRY(Send(kReset, {}));
  SUMMIT_TRY(Flush());
  // Replies still pending for pipelined requests arrive first as IGNORED/FAILURE.
  for (;;) {
    SUMMIT_ASSIGN_OR_RETURN(auto msg, Receive());
    if (msg.first == kSuccess) break;
    if (msg.first == kFailure) {
      Map m = !msg.second.empty() && msg.second[0].Is<Map>() ? msg.second[0].As<Map>() : Map{};
      if (MapString(m, "message").find("RESET") != std::string::npos) break;
    }
  }
  in_tx_ = false;
  return Ok();
}

Status Connection::Begin(const std::string& database, bool read_only) {
  Map extra;
  if (!database.empty()) extra["db"] = database;
  if (read_only) extra["mode"] = "r";
  SUMMIT_TRY(Send(kBegin, {Value(std::move(extra))}));
  SUMMIT_TRY(Flush());
  auto r = ExpectSuccess("begin transaction on database '" + database + "'");
  if (!r) {
    (void)Reset();
    return Fail(std::move(r).error());
  }
  in_tx_ = true;
  return Ok();
}

Status Connection::Commit() {
  SUMMIT_TRY(Send(kCommit, {}));
  SUMMIT_TRY(Flush());
  in_tx_ = false;
  auto r = ExpectSuccess("commit");
  if (!r) {
    (void)Reset();
    return Fail(std::move(r).error());
  }
  return Ok();
}

Status Connection::Rollback() {
  SUMMIT_TRY(Send(kRollback, {}));
  SUMMIT_TRY(Flush());
  in_tx_ = false;
  auto r = ExpectSuccess("rollback");
  if (!r) {
    (void)Reset();
    return Fail(std::move(r).error());
  }
  return Ok();
}

Result<RunResult> Connection::Run(const std::string& query, const Map& params, const std::string& database) {
  Map extra;
  if (!in_tx_ && !database.empty()) extra["db"] = database;
  SUMMIT_TRY(Send(kRunMsg, {Value(query), Value(params), Value(std::move(extra))}));
  SUMMIT_TRY(Flush());
  std::string what = "query '" + query.substr(0, 120) + (query.size() > 120 ? "...'" : "'");
  auto r = ExpectSuccess(what);
  if (!r) {
    // Clear the failure state; an open transaction is rolled back by the server.
    if (healthy_) (void)Reset();
    return Fail(std::move(r).error());
  }
  RunResult rr;
  if (auto it = r->find("fields"); it != r->end() && it->second.Is<List>()) {
    for (const auto& f : it->second.As<List>()) {
      if (f.Is<std::string>()) rr.fields.push_back(f.As<std::string>());
    }
  }
  if (auto it = r->find("qid"); it != r->end() && it->second.Is<int64_t>()) rr.qid = it->second.As<int64_t>();
  return rr;
}

Result<Map> Connection::Pull(const std::function<Status(List&)>& on_record, int64_t fetch_size) {
  std::optional<Error> callback_error;
  for (;;) {
    Map extra;
    extra["n"] = callback_error ? int64_t{-1} : fetch_size;
    SUMMIT_TRY(Send(callback_error ? kDiscard : kPull, {Value(std::move(extra))}));
    SUMMIT_TRY(Flush());
    for (;;) {
      SUMMIT_ASSIGN_OR_RETURN(auto msg, Receive());
      if (msg.first == kRecord) {
        if (callback_error) continue;
        if (msg.second.empty() || !msg.second[0].Is<List>()) {
          healthy_ = false;
          return Fail(ErrorCode::kCorruption, "record without a list of values from " + options_.uri);
        }
        Status st = on_record(msg.second[0].As<List>());
        if (!st) callback_error = std::move(st).error();
        continue;
      }
      Map meta = !msg.second.empty() && msg.second[0].Is<Map>() ? std::move(msg.second[0].As<Map>()) : Map{};
      if (msg.first == kSuccess) {
        if (MapBool(meta, "has_more")) break;  // ask for the next batch (or discard the rest)
        if (callback_error) return Fail(std::move(*callback_error));
        return meta;
      }
      if (msg.first == kFailure) {
        Error e = FailureToError(meta, "reading query results");
        if (healthy_) (void)Reset();
        return Fail(std::move(e));
      }
      healthy_ = false;
      return Fail(ErrorCode::kCorruption, "unexpected bolt message 0x" + HexEncode(ByteView(&msg.first, 1)) +
                                              " while pulling records from " + options_.uri);
    }
  }
}

Result<std::vector<List>> Connection::Query(const std::string& query, const Map& params,
                                            const std::string& database) {
  SUMMIT_TRY(Run(query, params, database));
  std::vector<List> rows;
  SUMMIT_TRY(Pull([&](List& r) {
    rows.push_back(std::move(r));
    return Ok();
  }));
  return rows;
}

}  // namespace summit::sources::neo4j::bolt
