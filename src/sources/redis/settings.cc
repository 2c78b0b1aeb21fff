#include "sources/redis/settings.h"

#include <charconv>

namespace summit::sources::redis {
namespace {

Result<std::string> PercentDecode(std::string_view s, std::string_view what) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    auto hex = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    if (i + 2 >= s.size() || hex(s[i + 1]) < 0 || hex(s[i + 2]) < 0)
      return Fail(ErrorCode::kInvalidInput, "bad percent-escape in the redis url's " + std::string(what),
                  "write '%' as %25");
    out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
    i += 2;
  }
  return out;
}

Result<int> ParseInt(std::string_view s, std::string_view what, int lo, int hi) {
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < lo || v > hi)
    return Fail(ErrorCode::kInvalidInput,
                "invalid " + std::string(what) + " '" + std::string(s) + "' in redis url",
                "expected redis://[user:password@]host:port/db with a number " + std::to_string(lo) + ".." +
                    std::to_string(hi));
  return v;
}

}  // namespace

std::string Settings::ToString() const {
  std::string out = "redis://";
  if (!username.empty() || !password.empty()) out += username + (password.empty() ? "" : ":***") + "@";
  out += host + ":" + std::to_string(port) + "/" + std::to_string(db);
  return out;
}

Result<Settings> ParseUrl(std::string_view url) {
  constexpr std::string_view kScheme = "redis://";
  if (url.substr(0, kScheme.size()) != kScheme)
    return Fail(ErrorCode::kInvalidInput, "redis url '" + std::string(url) + "' does not start with redis://",
                "use redis://[user:password@]host:port/db (rediss:// TLS is not supported)");
  std::string_view rest = url.substr(kScheme.size());
  Settings s;
  size_t at = rest.rfind('@');
  if (at != std::string_view::npos) {
    std::string_view userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    size_t colon = userinfo.find(':');
    std::string_view user = colon == std::string_view::npos ? userinfo : userinfo.substr(0, colon);
    SUMMIT_ASSIGN_OR_RETURN(s.username, PercentDecode(user, "user name"));
    if (colon != std::string_view::npos) {
      SUMMIT_ASSIGN_OR_RETURN(std::string pw, PercentDecode(userinfo.substr(colon + 1), "password"));
      s.password = SecretString(std::move(pw));
    } else if (!s.username.empty()) {
      // "redis://secret@host" is how some clients spell a password without a user.
      s.password = SecretString(std::move(s.username));
      s.username.clear();
    }
  }
  size_t slash = rest.find('/');
  std::string_view hostport = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    std::string_view db = rest.substr(slash + 1);
    size_t q = db.find('?');
    if (q != std::string_view::npos) db = db.substr(0, q);
    if (!db.empty()) {
      SUMMIT_ASSIGN_OR_RETURN(s.db, ParseInt(db, "database number", 0, 1 << 20));
    }
  }
  if (!hostport.empty() && hostport.front() == '[') {  // [ipv6]:port
    size_t close = hostport.find(']');
    if (close == std::string_view::npos)
      return Fail(ErrorCode::kInvalidInput, "unterminated '[' in redis url host '" + std::string(hostport) + "'");
    s.host = std::string(hostport.substr(1, close - 1));
    hostport = hostport.substr(close + 1);
    if (!hostport.empty()) {
      if (hostport.front() != ':')
        return Fail(ErrorCode::kInvalidInput, "unexpected text after ']' in redis url");
      SUMMIT_ASSIGN_OR_RETURN(s.port, ParseInt(hostport.substr(1), "port", 1, 65535));
    }
  } else {
    size_t colon = hostport.rfind(':');
    if (colon != std::string_view::npos) {
      SUMMIT_ASSIGN_OR_RETURN(s.port, ParseInt(hostport.substr(colon + 1), "port", 1, 65535));
      hostport = hostport.substr(0, colon);
    }
    if (!hostport.empty()) s.host = std::string(hostport);
  }
  if (s.host.empty())
    return Fail(ErrorCode::kInvalidInput, "redis url '" + std::string(url.substr(0, kScheme.size())) + "...' has no host");
  return s;
}

namespace {

// Redis's stringmatchlen, iterative over '*' with backtracking to the last star.
bool MatchAt(std::string_view p, std::string_view s) {
  size_t pi = 0, si = 0;
  size_t star_p = std::string_view::npos, star_s = 0;
  while (si < s.size()) {
    if (pi < p.size()) {
      char c = p[pi];
      if (c == '*') {
        while (pi < p.size() && p[pi] == '*') ++pi;
        if (pi == p.size()) return true;
        star_p = pi;
        star_s = si;
        continue;
      }
      if (c == '?') {
        ++pi;
        ++si;
        continue;
      }
      if (c == '[') {
        size_t q = pi + 1;
        bool negate = false;
        if (q < p.size() && p[q] == '^') {
          negate = true;
          ++q;
        }
        bool match = false;
        while (q < p.size() && p[q] != ']') {
          if (p[q] == '\\' && q + 1 < p.size()) {
            if (p[q + 1] == s[si]) match = true;
            q += 2;
          } else if (q + 2 < p.size() && p[q + 1] == '-' && p[q + 2] != ']') {
            unsigned char a = p[q], b = p[q + 2], x = s[si];
            if (a > b) std::swap(a, b);
            if (x >= a && x <= b) match = true;
            q += 3;
          } else {
            if (p[q] == s[si]) match = true;
            ++q;
          }
        }
        if (negate) match = !match;
        if (match) {
          pi = q < p.size() ? q + 1 : q;
          ++si;
          continue;
        }
      } else {
        char lit = c;
        size_t adv = 1;
        if (c == '\\' && pi + 1 < p.size()) {
          lit = p[pi + 1];
          adv = 2;
        }
        if (lit == s[si]) {
          pi += adv;
          ++si;
          continue;
        }
      }
    }
    if (star_p == std::string_view::npos) return false;
    pi = star_p;
    si = ++star_s;
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view text) { return MatchAt(pattern, text); }

}  // namespace summit::sources::redis
