// The PII scanner's pure core: finds personal data and production credentials in one string
// value. After a dev or test restore every value of every store is passed through Scan; any
// finding fails the restore with where it was found (wiring to the stores lives with them).
//
// What counts (chosen so that the sanitized outputs of config/sanitization.yaml never match):
//   e-mail     local@domain.tld whose domain is not example.com (nor a subdomain of it)
//   phone      '+' followed by 10-15 digits, or 10-15 digits in at least three separated groups
//              ("(415) 555-0199", "415.555.0199"); not when the digits start 1555 / 555
//              (the +1-555 fictional range), not a Luhn-valid card, not a date or time
//   card       13-19 digits (spaces or dashes allowed between groups) passing the Luhn check
//   ip         an IPv4 dotted quad (each part 0-255) or an IPv6 literal (inet_pton)
//   credential the whole value equal to one of the given credential values
// Findings report byte offsets into the value, never the value itself.
//
// Immutable after construction: thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "core/secret.h"

namespace summit::transform {

enum class PiiKind { kEmail, kPhone, kCardNumber, kIpAddress, kCredential };
std::string_view PiiKindName(PiiKind kind);

struct PiiFinding {
  PiiKind kind;
  size_t offset = 0;
  size_t length = 0;
};

class PiiScanner {
 public:
  // `credentials`: production secret values (e.g. the source's configuration.value rows whose
  // names look like keys, the .env values). Values shorter than 6 bytes are ignored: too many
  // false positives ("true", "1234").
  explicit PiiScanner(const std::vector<SecretString>& credentials = {});

  std::vector<PiiFinding> Scan(std::string_view value) const;
  bool Clean(std::string_view value) const { return Scan(value).empty(); }

 private:
  std::unordered_set<std::string> credentials_;
};

// Building blocks, exposed for tests and for the scan report.
bool LuhnValid(std::string_view digits);            // digits only
bool IsIpv4(std::string_view text);                 // exactly a dotted quad
bool IsIpv6(std::string_view text);                 // exactly an IPv6 literal
bool IsAllowedEmailDomain(std::string_view domain); // example.com or *.example.com

}  // namespace summit::transform
