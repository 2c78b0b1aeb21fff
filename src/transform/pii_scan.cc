#include "transform/pii_scan.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

namespace summit::transform {
namespace {

// ASCII classification without the locale lookups of <cctype> (the scan runs on every value).
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsAlnum(char c) { return IsDigit(c) || IsAlpha(c); }
bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool IsEmailLocal(char c) {
  return IsAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-' || c == '\'' ||
         static_cast<unsigned char>(c) >= 0x80;
}
bool IsDomainChar(char c) { return IsAlnum(c) || c == '-' || c == '.' || static_cast<unsigned char>(c) >= 0x80; }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

void FindEmails(std::string_view v, std::vector<PiiFinding>& out) {
  for (size_t at = v.find('@'); at != std::string_view::npos; at = v.find('@', at + 1)) {
    size_t b = at;
    while (b > 0 && IsEmailLocal(v[b - 1])) --b;
    size_t e = at + 1;
    while (e < v.size() && IsDomainChar(v[e])) ++e;
    std::string_view local = v.substr(b, at - b);
    std::string_view domain = v.substr(at + 1, e - at - 1);
    while (!domain.empty() && (domain.back() == '.' || domain.back() == '-')) domain.remove_suffix(1);
    while (!local.empty() && local.front() == '.') {
      local.remove_prefix(1);
      ++b;
    }
    size_t dot = domain.rfind('.');
    if (local.empty() || dot == std::string_view::npos || dot == 0 || domain.size() - dot - 1 < 2) continue;
    std::string_view tld = domain.substr(dot + 1);
    if (!std::all_of(tld.begin(), tld.end(), [](char c) { return IsAlpha(c) || static_cast<unsigned char>(c) >= 0x80; })) continue;
    if (IsAllowedEmailDomain(domain)) continue;
    out.push_back({PiiKind::kEmail, b, at + 1 + domain.size() - b});
  }
}

// Runs of digits joined by single separators (space, '-', '.', '(' ')'), optionally after '+'.
void FindNumbers(std::string_view v, std::vector<PiiFinding>& out) {
  size_t i = 0;
  while (i < v.size()) {
    bool plus = v[i] == '+' && i + 1 < v.size() && (IsDigit(v[i + 1]) || v[i + 1] == '(');
    bool paren = v[i] == '(' && i + 1 < v.size() && IsDigit(v[i + 1]);
    if (!IsDigit(v[i]) && !plus && !paren) {
      ++i;
      continue;
    }
    if (i > 0 && (IsAlnum(v[i - 1]) || v[i - 1] == '.' || v[i - 1] == '_' || v[i - 1] == '-' || v[i - 1] == '/' ||
                  v[i - 1] == ':')) {
      // Part of a word, an id, a date, a version, a path or a time: skip the whole token.
      while (i < v.size() && (IsAlnum(v[i]) || v[i] == '.' || v[i] == '-' || v[i] == '_')) ++i;
      if (i < v.size() && !IsAlnum(v[i])) ++i;
      continue;
    }
    size_t start = i;
    if (plus) ++i;
    std::string digits;
    int groups = 0;
    std::string seps;
    size_t end = i;
    bool bad = false;
    while (i < v.size()) {
      if (v[i] == '(') {
        ++i;
        continue;
      }
      if (!IsDigit(v[i])) break;
      ++groups;
      while (i < v.size() && IsDigit(v[i])) digits.push_back(v[i++]);
      end = i;
      if (i < v.size() && v[i] == ')') ++i;
      // One separator (or ") ") between groups.
      size_t j = i;
      char sep = 0;
      if (j < v.size() && (v[j] == ' ' || v[j] == '-' || v[j] == '.')) sep = v[j++];
      if (j < v.size() && (IsDigit(v[j]) || v[j] == '(') && j > end) {
        if (sep != 0) seps.push_back(sep);
        i = j;
        continue;
      }
      break;
    }
    // A token glued to letters or more digits afterwards (e.g. "123abc") is an identifier.
    if (end < v.size() && (IsAlnum(v[end]) || v[end] == '_')) bad = true;
    if (end < v.size() && (v[end] == ':' || v[end] == '/')) bad = true;  // times, ratios, paths
    i = std::max(end, start + 1);
    if (bad || digits.empty()) continue;
    // A dotted quad is an IP address (reported by FindIps), not a phone number.
    if (groups == 4 && seps == "..." && IsIpv4(v.substr(start, end - start))) continue;
    bool all_dash_or_space = std::all_of(seps.begin(), seps.end(), [](char c) { return c == ' ' || c == '-'; });
    if (digits.size() >= 13 && digits.size() <= 19 && all_dash_or_space && !plus && LuhnValid(digits)) {
      out.push_back({PiiKind::kCardNumber, start, end - start});
      continue;
    }
    // Dates like 2025-01-20 have too few digits; ISO dates with times are cut at ':'.
    bool phone_shape = plus ? digits.size() >= 10 : groups >= 3;
    if (digits.size() >= 10 && digits.size() <= 15 && phone_shape) {
      bool fictional = digits.rfind("1555", 0) == 0 || (!plus && digits.rfind("555", 0) == 0);
      if (!fictional) out.push_back({PiiKind::kPhone, start, end - start});
    }
  }
}

void FindIps(std::string_view v, std::vector<PiiFinding>& out) {
  size_t i = 0;
  while (i < v.size()) {
    char c = v[i];
    bool hex = IsHex(c);
    if (!hex && c != ':') {
      ++i;
      continue;
    }
    size_t start = i;
    while (i < v.size() && (IsHex(v[i]) || v[i] == ':' || v[i] == '.')) ++i;
    // The candidate must not be part of a longer word ("std::string", "abc1.2.3.4x").
    bool glued = (start > 0 && (IsAlnum(v[start - 1]) || v[start - 1] == '_')) || (i < v.size() && (IsAlnum(v[i]) || v[i] == '_'));
    std::string_view tok = v.substr(start, i - start);
    while (!tok.empty() && tok.back() == '.') tok.remove_suffix(1);  // end of a sentence
    if (glued || tok.empty()) {
      while (i < v.size() && (IsAlnum(v[i]) || v[i] == '_')) ++i;
      continue;
    }
    if (IsIpv4(tok) || IsIpv6(tok)) out.push_back({PiiKind::kIpAddress, start, tok.size()});
  }
}

}  // namespace

std::string_view PiiKindName(PiiKind kind) {
  switch (kind) {
    case PiiKind::kEmail: return "e-mail address";
    case PiiKind::kPhone: return "phone number";
    case PiiKind::kCardNumber: return "card number";
    case PiiKind::kIpAddress: return "IP address";
    case PiiKind::kCredential: return "production credential";
  }
  return "unknown";
}

bool LuhnValid(std::string_view digits) {
  if (digits.empty()) return false;
  int sum = 0;
  bool dbl = false;
  for (size_t k = digits.size(); k-- > 0;) {
    if (!IsDigit(digits[k])) return false;
    int d = digits[k] - '0';
    if (dbl) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    dbl = !dbl;
  }
  return sum % 10 == 0;
}

bool IsIpv4(std::string_view t) {
  int parts = 0;
  size_t i = 0;
  while (i <= t.size()) {
    size_t j = i;
    int value = 0;
    while (j < t.size() && IsDigit(t[j]) && j - i < 4) value = value * 10 + (t[j++] - '0');
    size_t len = j - i;
    if (len == 0 || len > 3 || value > 255 || (len > 1 && t[i] == '0')) return false;
    ++parts;
    if (j == t.size()) break;
    if (t[j] != '.') return false;
    i = j + 1;
  }
  return parts == 4;
}

bool IsIpv6(std::string_view t) {
  if (t.size() < 3 || t.size() > 45 || std::count(t.begin(), t.end(), ':') < 2) return false;
  if (t == "::") return false;  // the unspecified address says nothing about anyone
  std::string s(t);
  unsigned char buf[16];
  return inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

bool IsAllowedEmailDomain(std::string_view domain) {
  std::string d = Lower(domain);
  return d == "example.com" || (d.size() > 12 && d.compare(d.size() - 12, 12, ".example.com") == 0);
}

PiiScanner::PiiScanner(const std::vector<SecretString>& credentials) {
  for (const auto& c : credentials) {
    if (c.Reveal().size() >= 6) credentials_.insert(c.Reveal());
  }
}

std::vector<PiiFinding> PiiScanner::Scan(std::string_view value) const {
  std::vector<PiiFinding> out;
  if (!credentials_.empty() && credentials_.count(std::string(value))) {
    out.push_back({PiiKind::kCredential, 0, value.size()});
  }
  FindEmails(value, out);
  FindNumbers(value, out);
  FindIps(value, out);
  std::sort(out.begin(), out.end(), [](const PiiFinding& a, const PiiFinding& b) { return a.offset < b.offset; });
  return out;
}

}  // namespace summit::transform
