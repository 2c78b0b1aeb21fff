#include "sources/redis/replication.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace summit::sources::redis {
namespace {

Result<int> ConnectTcp(const Settings& s) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string port = std::to_string(s.port);
  int rc = getaddrinfo(s.host.c_str(), port.c_str(), &hints, &res);
  if (rc != 0)
    return Fail(ErrorCode::kUnavailable, "cannot resolve redis host '" + s.host + "': " + gai_strerror(rc),
                "check the host in the redis url");
  std::string last_err = "no address";
  int fd = -1;
  for (addrinfo* a = res; a; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
    if (fd < 0) continue;
    int r = connect(fd, a->ai_addr, a->ai_addrlen);
    if (r != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      r = poll(&p, 1, s.connect_timeout_ms);
      if (r == 1) {
        int err = 0;
        socklen_t len = sizeof(err);
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        r = err == 0 ? 0 : -1;
        errno = err;
      } else {
        if (r == 0) errno = ETIMEDOUT;
        r = -1;
      }
    }
    if (r == 0) break;
    last_err = std::strerror(errno);
    close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  if (fd < 0)
    return Fail(ErrorCode::kUnavailable, "cannot connect to redis at " + s.host + ":" + port + ": " + last_err,
                "check that redis is running and reachable");
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

std::string Lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

}  // namespace

RdbStream::~RdbStream() {
  if (fd_ >= 0) close(fd_);
}

Result<std::unique_ptr<RdbStream>> RdbStream::Open(const Settings& settings) {
  SUMMIT_ASSIGN_OR_RETURN(int fd, ConnectTcp(settings));
  std::unique_ptr<RdbStream> s(new RdbStream(fd, settings));
  SUMMIT_TRY_CTX(s->Handshake(), "starting a replication transfer from " + settings.ToString());
  return s;
}

Status RdbStream::SendCommand(std::initializer_list<std::string_view> args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (auto a : args) {
    out += "$" + std::to_string(a.size()) + "\r\n";
    out.append(a);
    out += "\r\n";
  }
  size_t off = 0;
  while (off < out.size()) {
    ssize_t n = send(fd_, out.data() + off, out.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd_, POLLOUT, 0};
      if (poll(&p, 1, settings_.io_timeout_ms) <= 0)
        return Fail(ErrorCode::kTransient, "timed out sending to redis");
      continue;
    }
    if (n <= 0) return Fail(ErrorCode::kTransient, std::string("sending to redis failed: ") + std::strerror(errno));
    off += static_cast<size_t>(n);
  }
  return Ok();
}

Result<size_t> RdbStream::RecvSome(char* dst, size_t n) {
  for (;;) {
    ssize_t got = recv(fd_, dst, n, 0);
    if (got > 0) return static_cast<size_t>(got);
    if (got == 0) return Fail(ErrorCode::kTransient, "redis closed the connection during the transfer",
                              "check the server log (repl-timeout, client-output-buffer-limit replica); retry");
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      pollfd p{fd_, POLLIN, 0};
      int r = poll(&p, 1, settings_.io_timeout_ms);
      if (r == 0)
        return Fail(ErrorCode::kTransient,
                    "timed out after " + std::to_string(settings_.io_timeout_ms) + " ms waiting for redis",
                    "a large dataset may need a longer io timeout");
      if (r < 0 && errno != EINTR) return Fail(ErrorCode::kTransient, std::string("poll failed: ") + std::strerror(errno));
      continue;
    }
    return Fail(ErrorCode::kTransient, std::string("reading from redis failed: ") + std::strerror(errno));
  }
}

Result<std::string> RdbStream::ReadLine() {
  for (;;) {
    size_t nl = pending_.find('\n');
    if (nl != std::string::npos) {
      std::string line = pending_.substr(0, nl);
      pending_.erase(0, nl + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      return line;
    }
    if (pending_.size() > (1 << 16)) return Fail(ErrorCode::kCorruption, "redis sent an over-long reply line");
    char tmp[4096];
    SUMMIT_ASSIGN_OR_RETURN(size_t n, RecvSome(tmp, sizeof(tmp)));
    pending_.append(tmp, n);
  }
}

Status RdbStream::Handshake() {
  auto expect_ok = [&](std::string_view what, bool optional) -> Status {
    SUMMIT_ASSIGN_OR_RETURN(std::string line, ReadLine());
    if (!line.empty() && line[0] == '+') return Ok();
    if (optional) return Ok();
    std::string msg = line.empty() ? "empty reply" : line.substr(1);
    ErrorCode code = ErrorCode::kInvalidInput;
    std::string hint;
    if (msg.rfind("WRONGPASS", 0) == 0 || msg.rfind("NOAUTH", 0) == 0 || msg.rfind("NOPERM", 0) == 0 ||
        msg.rfind("ERR invalid password", 0) == 0) {
      code = ErrorCode::kPermission;
      hint = "check the password; the user needs the +sync +psync +replconf commands (or +@admin)";
    } else if (msg.find("unknown command") != std::string::npos) {
      code = ErrorCode::kUnsupported;
      hint = "this server does not allow replication (a managed service?); use the filtered capture (SCAN + DUMP)";
    }
    return Fail(code, std::string(what) + " refused: " + Lower(msg), hint);
  };
  if (!settings_.password.empty()) {
    if (settings_.username.empty()) SUMMIT_TRY(SendCommand({"AUTH", settings_.password.Reveal()}));
    else SUMMIT_TRY(SendCommand({"AUTH", settings_.username, settings_.password.Reveal()}));
    SUMMIT_TRY(expect_ok("auth", false));
  }
  SUMMIT_TRY(SendCommand({"REPLCONF", "capa", "eof", "capa", "psync2"}));
  SUMMIT_TRY(expect_ok("replconf capa", false));
  SUMMIT_TRY(SendCommand({"REPLCONF", "rdb-only", "1"}));
  SUMMIT_TRY(expect_ok("replconf rdb-only", true));  // older than 7.0: not understood, harmless
  SUMMIT_TRY(SendCommand({"PSYNC", "?", "-1"}));
  // "+FULLRESYNC <replid> <offset>", then newlines as keep-alives while the master forks and
  // saves, then the payload header.
  std::string line;
  for (;;) {
    SUMMIT_ASSIGN_OR_RETURN(line, ReadLine());
    if (line.empty()) continue;
    if (line[0] == '-') {
      std::string msg = line.substr(1);
      ErrorCode code = msg.rfind("NOPERM", 0) == 0 || msg.rfind("NOAUTH", 0) == 0 ? ErrorCode::kPermission
                                                                                 : ErrorCode::kUnsupported;
      return Fail(code, "psync refused: " + Lower(msg),
                  "the user needs +psync +replconf (or +@admin); on a managed service use the filtered capture");
    }
    if (line.rfind("+FULLRESYNC ", 0) == 0) {
      std::string_view rest(line);
      rest.remove_prefix(12);
      size_t sp = rest.find(' ');
      if (sp == std::string_view::npos) return Fail(ErrorCode::kCorruption, "malformed FULLRESYNC reply: " + line);
      info_.replid = std::string(rest.substr(0, sp));
      std::string_view off = rest.substr(sp + 1);
      int64_t v = 0;
      auto [p, ec] = std::from_chars(off.data(), off.data() + off.size(), v);
      if (ec != std::errc()) return Fail(ErrorCode::kCorruption, "malformed FULLRESYNC offset: " + line);
      info_.offset = v;
      continue;
    }
    if (line[0] == '+') continue;  // e.g. +CONTINUE would be a partial sync: not requested
    if (line[0] != '$') return Fail(ErrorCode::kCorruption, "unexpected reply while waiting for the rdb: " + line.substr(0, 80));
    if (line.rfind("$EOF:", 0) == 0) {
      marker_ = line.substr(5);
      if (marker_.size() != 40) return Fail(ErrorCode::kCorruption, "malformed diskless marker in: " + line.substr(0, 80));
      info_.diskless = true;
    } else {
      int64_t len = 0;
      auto [p, ec] = std::from_chars(line.data() + 1, line.data() + line.size(), len);
      if (ec != std::errc() || len < 0) return Fail(ErrorCode::kCorruption, "malformed rdb length: " + line.substr(0, 80));
      info_.length = remaining_ = len;
    }
    return Ok();
  }
}

Result<size_t> RdbStream::Read(std::span<uint8_t> buf) {
  if (done_ || buf.empty()) return size_t{0};
  if (!info_.diskless) {
    if (remaining_ == 0) {
      done_ = true;
      return size_t{0};
    }
    size_t want = static_cast<size_t>(std::min<int64_t>(remaining_, static_cast<int64_t>(buf.size())));
    size_t n;
    if (!pending_.empty()) {
      n = std::min(want, pending_.size());
      std::memcpy(buf.data(), pending_.data(), n);
      pending_.erase(0, n);
    } else {
      SUMMIT_ASSIGN_OR_RETURN(n, RecvSome(reinterpret_cast<char*>(buf.data()), want));
    }
    remaining_ -= static_cast<int64_t>(n);
    delivered_ += n;
    return n;
  }
  // Diskless: the payload ends with the 40-byte marker, so the last 40 bytes received are
  // held back until more data proves they are not the marker.
  constexpr size_t kMark = 40;
  for (;;) {
    if (pending_.size() >= kMark && pending_.compare(pending_.size() - kMark, kMark, marker_) == 0) {
      size_t n = std::min(buf.size(), pending_.size() - kMark);
      if (n == 0) {
        done_ = true;
        return size_t{0};
      }
      std::memcpy(buf.data(), pending_.data(), n);
      pending_.erase(0, n);
      delivered_ += n;
      return n;
    }
    if (pending_.size() > kMark) {
      size_t n = std::min(buf.size(), pending_.size() - kMark);
      std::memcpy(buf.data(), pending_.data(), n);
      pending_.erase(0, n);
      delivered_ += n;
      return n;
    }
    char tmp[1 << 16];
    SUMMIT_ASSIGN_OR_RETURN(size_t got, RecvSome(tmp, sizeof(tmp)));
    pending_.append(tmp, got);
  }
}

}  // namespace summit::sources::redis
