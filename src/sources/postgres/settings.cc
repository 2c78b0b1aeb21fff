#include "sources/postgres/settings.h"

#include <cctype>
#include <charconv>

namespace summit::sources::postgres {
namespace {

Result<std::string> PercentDecode(std::string_view s, std::string_view what) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) {
      return Fail(ErrorCode::kInvalidInput, "postgres url: truncated %-escape in " + std::string(what));
    }
    auto hex = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
    if (hi < 0 || lo < 0) {
      return Fail(ErrorCode::kInvalidInput, "postgres url: bad %-escape in " + std::string(what));
    }
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

void AppendKV(std::string& out, std::string_view key, std::string_view value) {
  if (!out.empty()) out.push_back(' ');
  out.append(key);
  out.append("='");
  for (char c : value) {
    if (c == '\'' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('\'');
}

}  // namespace

Result<Settings> Settings::ParseUrl(const std::string& url) {
  std::string_view rest(url);
  if (rest.starts_with("postgresql://")) {
    rest.remove_prefix(13);
  } else if (rest.starts_with("postgres://")) {
    rest.remove_prefix(11);
  } else {
    return Fail(ErrorCode::kInvalidInput, "postgres url must start with postgresql:// (got another scheme)",
                "write it as postgresql://user:password@host:port/database");
  }
  Settings s;
  std::string_view query;
  if (auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  std::string_view path;
  if (auto p = rest.find('/'); p != std::string_view::npos) {
    path = rest.substr(p + 1);
    rest = rest.substr(0, p);
  }
  // userinfo is everything before the last '@' (a password may contain '@' when not escaped).
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    std::string_view user = userinfo, pw;
    bool has_pw = false;
    if (auto c = userinfo.find(':'); c != std::string_view::npos) {
      user = userinfo.substr(0, c);
      pw = userinfo.substr(c + 1);
      has_pw = true;
    }
    SUMMIT_ASSIGN_OR_RETURN(s.user, PercentDecode(user, "user"));
    if (has_pw) {
      SUMMIT_ASSIGN_OR_RETURN(std::string decoded, PercentDecode(pw, "password"));
      s.password = SecretString(std::move(decoded));
    }
  }
  std::string_view host = rest, port;
  if (rest.starts_with("[")) {  // [ipv6]:port
    auto close = rest.find(']');
    if (close == std::string_view::npos) return Fail(ErrorCode::kInvalidInput, "postgres url: unterminated [ipv6] host");
    host = rest.substr(1, close - 1);
    std::string_view after = rest.substr(close + 1);
    if (after.starts_with(":")) port = after.substr(1);
  } else if (auto c = rest.rfind(':'); c != std::string_view::npos) {
    host = rest.substr(0, c);
    port = rest.substr(c + 1);
  }
  SUMMIT_ASSIGN_OR_RETURN(s.host, PercentDecode(host, "host"));
  if (!port.empty()) {
    int v = 0;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), v);
    if (ec != std::errc() || ptr != port.data() + port.size() || v <= 0 || v > 65535) {
      return Fail(ErrorCode::kInvalidInput, "postgres url: bad port '" + std::string(port) + "'",
                  "the port must be a number between 1 and 65535");
    }
    s.port = v;
  }
  SUMMIT_ASSIGN_OR_RETURN(s.dbname, PercentDecode(path, "database"));
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view kv = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (kv.empty()) continue;
    auto eq = kv.find('=');
    if (eq == std::string_view::npos) {
      return Fail(ErrorCode::kInvalidInput, "postgres url: parameter '" + std::string(kv) + "' has no value");
    }
    SUMMIT_ASSIGN_OR_RETURN(std::string key, PercentDecode(kv.substr(0, eq), "parameter"));
    SUMMIT_ASSIGN_OR_RETURN(std::string value, PercentDecode(kv.substr(eq + 1), "parameter"));
    if (key == "password") {
      s.password = SecretString(std::move(value));
    } else if (key == "user") {
      s.user = value;
    } else if (key == "host") {
      s.host = value;
    } else if (key == "dbname") {
      s.dbname = value;
    } else {
      s.extra[key] = value;
    }
  }
  return s;
}

std::string Settings::ConnInfo(bool with_password) const {
  std::string out;
  if (!host.empty()) AppendKV(out, "host", host);
  if (port != 0) AppendKV(out, "port", std::to_string(port));
  if (!user.empty()) AppendKV(out, "user", user);
  if (with_password && !password.empty()) AppendKV(out, "password", password.Reveal());
  if (!dbname.empty()) AppendKV(out, "dbname", dbname);
  for (const auto& [k, v] : extra) AppendKV(out, k, v);
  return out;
}

Settings Settings::WithDatabase(std::string db) const {
  Settings s = *this;
  s.dbname = std::move(db);
  return s;
}

std::string Settings::Describe() const {
  std::string out = user.empty() ? std::string() : user + "@";
  out += host.empty() ? "(default host)" : host;
  if (port != 0) out += ":" + std::to_string(port);
  out += "/" + (dbname.empty() ? std::string("(default db)") : dbname);
  return out;
}

std::map<std::string, std::string> Settings::ChildEnvironment() const {
  std::map<std::string, std::string> env;
  if (!host.empty()) env["PGHOST"] = host;
  if (port != 0) env["PGPORT"] = std::to_string(port);
  if (!user.empty()) env["PGUSER"] = user;
  if (!password.empty()) env["PGPASSWORD"] = password.Reveal();
  if (!dbname.empty()) env["PGDATABASE"] = dbname;
  static const std::map<std::string, std::string> kEnvOf = {
      {"sslmode", "PGSSLMODE"}, {"sslrootcert", "PGSSLROOTCERT"}, {"sslcert", "PGSSLCERT"},
      {"sslkey", "PGSSLKEY"}, {"application_name", "PGAPPNAME"}, {"connect_timeout", "PGCONNECT_TIMEOUT"},
      {"options", "PGOPTIONS"}, {"service", "PGSERVICE"}, {"passfile", "PGPASSFILE"}};
  for (const auto& [k, v] : extra) {
    if (auto it = kEnvOf.find(k); it != kEnvOf.end()) env[it->second] = v;
  }
  return env;
}

}  // namespace summit::sources::postgres
