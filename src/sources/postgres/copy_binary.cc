#include "sources/postgres/copy_binary.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <utility>

#include "sources/postgres/copy_text.h"

namespace summit::sources::postgres {
namespace {

using Kind = CopyBinaryEncoder::Kind;

constexpr int64_t kMicrosPerSecond = 1000000;
constexpr int64_t kSecondsPerDay = 86400;
constexpr int64_t kUnixEpochToPostgresEpochDays = 10957;  // 1970-01-01 .. 2000-01-01

// Element type OIDs that an array's binary form names (fixed in pg_type.dat).
constexpr uint32_t kInt2Oid = 21, kInt4Oid = 23, kInt8Oid = 20, kFloat4Oid = 700, kFloat8Oid = 701;

void Put16(std::string& out, uint16_t v) {
  const char b[2] = {static_cast<char>(v >> 8), static_cast<char>(v)};
  out.append(b, 2);
}
void Put32(std::string& out, uint32_t v) {
  const char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
                     static_cast<char>(v)};
  out.append(b, 4);
}
void Put64(std::string& out, uint64_t v) {
  Put32(out, static_cast<uint32_t>(v >> 32));
  Put32(out, static_cast<uint32_t>(v));
}
void Patch32(std::string& out, size_t at, uint32_t v) {
  out[at] = static_cast<char>(v >> 24);
  out[at + 1] = static_cast<char>(v >> 16);
  out[at + 2] = static_cast<char>(v >> 8);
  out[at + 3] = static_cast<char>(v);
}

// "timestamp(3) with time zone" -> "timestamp with time zone", "numeric(12,2)" -> "numeric".
std::string BaseTypeName(std::string_view type) {
  std::string base;
  int depth = 0;
  for (char c : type) {
    if (c == '(') ++depth;
    if (depth == 0) base.push_back(c);
    if (c == ')') --depth;
  }
  return base;
}

std::optional<Kind> KindOf(std::string_view type, bool pgvector) {
  static const std::map<std::string, Kind, std::less<>> kKinds = {
      {"text", Kind::kText},
      {"character varying", Kind::kText},
      {"character", Kind::kText},
      {"json", Kind::kText},
      {"jsonb", Kind::kJsonb},
      {"boolean", Kind::kBool},
      {"smallint", Kind::kInt2},
      {"integer", Kind::kInt4},
      {"bigint", Kind::kInt8},
      {"oid", Kind::kOid},
      {"real", Kind::kFloat4},
      {"double precision", Kind::kFloat8},
      {"numeric", Kind::kNumeric},
      {"uuid", Kind::kUuid},
      {"bytea", Kind::kBytea},
      {"date", Kind::kDate},
      {"timestamp with time zone", Kind::kTimestamp},
      {"timestamp without time zone", Kind::kTimestamp},
      {"smallint[]", Kind::kArrayInt2},
      {"integer[]", Kind::kArrayInt4},
      {"bigint[]", Kind::kArrayInt8},
      {"real[]", Kind::kArrayFloat4},
      {"double precision[]", Kind::kArrayFloat8},
  };
  const std::string base = BaseTypeName(type);
  if (auto it = kKinds.find(base); it != kKinds.end()) return it->second;
  // pgvector's type, in whatever schema the extension lives ("vector", "extensions.vector").
  if (pgvector && (base == "vector" || (base.size() > 7 && base.ends_with(".vector")))) return Kind::kVector;
  return std::nullopt;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Exactly `n` digits at s[pos], advancing pos.
bool FixedDigits(std::string_view s, size_t& pos, size_t n, int64_t& value) {
  if (pos + n > s.size()) return false;
  value = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (!IsDigit(c)) return false;
    value = value * 10 + (c - '0');
  }
  pos += n;
  return true;
}

bool IsLeapYear(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int64_t DaysInMonth(int64_t y, int64_t m) {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeapYear(y) ? 29 : kDays[m - 1];
}

// Days from 1970-01-01 in the proleptic Gregorian calendar, which PostgreSQL uses for every
// date (H. Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

// "YYYY-MM-DD" (4 to 7 year digits, AD) at s[pos]: days since 2000-01-01, pos after it.
std::optional<int64_t> ParseYmd(std::string_view s, size_t& pos) {
  size_t year_digits = 0;
  while (pos + year_digits < s.size() && IsDigit(s[pos + year_digits])) ++year_digits;
  int64_t y = 0, m = 0, d = 0;
  if (year_digits < 4 || year_digits > 7 || !FixedDigits(s, pos, year_digits, y)) return std::nullopt;
  if (pos >= s.size() || s[pos++] != '-' || !FixedDigits(s, pos, 2, m)) return std::nullopt;
  if (pos >= s.size() || s[pos++] != '-' || !FixedDigits(s, pos, 2, d)) return std::nullopt;
  if (y == 0 || m < 1 || m > 12 || d < 1 || d > DaysInMonth(y, m)) return std::nullopt;
  return DaysFromCivil(y, m, d) - kUnixEpochToPostgresEpochDays;
}

template <typename T>
bool ParseInteger(std::string_view s, T& v) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

// float4in/float8in's spellings of the special values, then any decimal form (from_chars
// rounds correctly, as strtod does on the server).
template <typename F>
bool ParseFloat(std::string_view s, F& v) {
  if (s == "NaN") {
    v = std::numeric_limits<F>::quiet_NaN();
    return true;
  }
  if (s == "Infinity" || s == "-Infinity") {
    v = s[0] == '-' ? -std::numeric_limits<F>::infinity() : std::numeric_limits<F>::infinity();
    return true;
  }
  if (s.empty() || !(IsDigit(s[0]) || s[0] == '-' || s[0] == '.')) return false;  // no "inf", "nan", "+1"
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, std::chars_format::general);
  return ec == std::errc() && p == s.data() + s.size() && std::isfinite(v);
}

template <typename F>
void PutFloat(std::string& out, F v) {
  if constexpr (sizeof(F) == 4) {
    uint32_t bits;
    std::memcpy(&bits, &v, 4);
    Put32(out, bits);
  } else {
    uint64_t bits;
    std::memcpy(&bits, &v, 8);
    Put64(out, bits);
  }
}

bool AppendScalar(Kind kind, std::string_view s, std::string& out) {
  switch (kind) {
    case Kind::kInt2: {
      int16_t v;
      if (!ParseInteger(s, v)) return false;
      Put16(out, static_cast<uint16_t>(v));
      return true;
    }
    case Kind::kInt4: {
      int32_t v;
      if (!ParseInteger(s, v)) return false;
      Put32(out, static_cast<uint32_t>(v));
      return true;
    }
    case Kind::kInt8: {
      int64_t v;
      if (!ParseInteger(s, v)) return false;
      Put64(out, static_cast<uint64_t>(v));
      return true;
    }
    case Kind::kFloat4: {
      float v;
      if (!ParseFloat(s, v)) return false;
      PutFloat(out, v);
      return true;
    }
    case Kind::kFloat8: {
      double v;
      if (!ParseFloat(s, v)) return false;
      PutFloat(out, v);
      return true;
    }
    default:
      return false;
  }
}

// An array kind's element kind and the element type's OID.
std::pair<Kind, uint32_t> ArrayElementOf(Kind array) {
  switch (array) {
    case Kind::kArrayInt2: return {Kind::kInt2, kInt2Oid};
    case Kind::kArrayInt4: return {Kind::kInt4, kInt4Oid};
    case Kind::kArrayInt8: return {Kind::kInt8, kInt8Oid};
    case Kind::kArrayFloat4: return {Kind::kFloat4, kFloat4Oid};
    default: return {Kind::kFloat8, kFloat8Oid};
  }
}

// "{1,2,NULL}" (one dimension, lower bound 1, no quoting) of integers or floats; "{}".
bool AppendArray(Kind element, uint32_t element_oid, std::string_view s, std::string& out) {
  if (s.size() < 2 || s.front() != '{' || s.back() != '}') return false;
  std::string_view body = s.substr(1, s.size() - 2);
  Put32(out, body.empty() ? 0 : 1);  // dimensions
  const size_t flags_at = out.size();
  Put32(out, 0);  // has nulls: patched below
  Put32(out, element_oid);
  if (body.empty()) return true;
  const size_t count_at = out.size();
  Put32(out, 0);  // elements: patched below
  Put32(out, 1);  // lower bound
  uint32_t count = 0;
  bool nulls = false;
  for (size_t pos = 0;;) {
    size_t comma = body.find(',', pos);
    std::string_view e = body.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    if (e == "NULL") {
      Put32(out, 0xFFFFFFFFu);
      nulls = true;
    } else {
      const size_t len_at = out.size();
      Put32(out, 0);
      if (!AppendScalar(element, e, out)) return false;  // also "{...}" nesting and quotes
      Patch32(out, len_at, static_cast<uint32_t>(out.size() - len_at - 4));
    }
    ++count;
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  Patch32(out, flags_at, nulls ? 1 : 0);
  Patch32(out, count_at, count);
  return true;
}

// pgvector's text form "[1,2.5,-3]" -> int16 dimensions, int16 0, float4 each.
bool AppendVector(std::string_view s, std::string& out) {
  if (s.size() < 2 || s.front() != '[' || s.back() != ']') return false;
  std::string_view body = s.substr(1, s.size() - 2);
  const size_t dim_at = out.size();
  Put32(out, 0);
  uint32_t dim = 0;
  for (size_t pos = 0; !body.empty();) {
    size_t comma = body.find(',', pos);
    float v;
    if (!ParseFloat(body.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos), v) ||
        !std::isfinite(v)) {
      return false;  // pgvector refuses NaN and infinities
    }
    PutFloat(out, v);
    if (++dim > 16000) return false;  // pgvector's limit
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  Patch32(out, dim_at, dim << 16);  // dimensions in the high half, the unused int16 0
  return true;
}

// Hex digit values, -1 for anything else (bytea is most of some tables: this is a hot loop).
constexpr std::array<int8_t, 256> kHexValue = [] {
  std::array<int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int c = '0'; c <= '9'; ++c) t[c] = static_cast<int8_t>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c) t[c] = static_cast<int8_t>(c - 'a' + 10);
  for (int c = 'A'; c <= 'F'; ++c) t[c] = static_cast<int8_t>(c - 'A' + 10);
  return t;
}();

bool AppendHexBytes(std::string_view hex, std::string& out) {
  if (hex.size() % 2 != 0) return false;
  const size_t at = out.size();
  out.resize(at + hex.size() / 2);
  char* dst = out.data() + at;
  int bad = 0;
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = kHexValue[static_cast<uint8_t>(hex[i])], lo = kHexValue[static_cast<uint8_t>(hex[i + 1])];
    bad |= hi | lo;  // negative when either is not a hex digit
    *dst++ = static_cast<char>((hi << 4) | (lo & 15));
  }
  if (bad < 0) {
    out.resize(at);
    return false;
  }
  return true;
}

bool AppendUuid(std::string_view s, std::string& out) {
  if (s.size() != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-') return false;
  // The five groups of hex digits, decoded in place (no copy without the dashes).
  const size_t at = out.size();
  for (auto [from, len] : {std::pair<size_t, size_t>{0, 8}, {9, 4}, {14, 4}, {19, 4}, {24, 12}}) {
    if (!AppendHexBytes(s.substr(from, len), out)) {
      out.resize(at);
      return false;
    }
  }
  return true;
}

}  // namespace

namespace copy_binary {

std::optional<int64_t> ParseTimestampMicros(std::string_view s) {
  if (s == "infinity") return std::numeric_limits<int64_t>::max();
  if (s == "-infinity") return std::numeric_limits<int64_t>::min();
  size_t pos = 0;
  auto days = ParseYmd(s, pos);
  if (!days) return std::nullopt;
  int64_t h = 0, mi = 0, sec = 0;
  if (pos >= s.size() || s[pos++] != ' ' || !FixedDigits(s, pos, 2, h)) return std::nullopt;
  if (pos >= s.size() || s[pos++] != ':' || !FixedDigits(s, pos, 2, mi)) return std::nullopt;
  if (pos >= s.size() || s[pos++] != ':' || !FixedDigits(s, pos, 2, sec)) return std::nullopt;
  if (h > 23 || mi > 59 || sec > 59) return std::nullopt;
  int64_t micros = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    size_t n = 0;
    while (pos + n < s.size() && IsDigit(s[pos + n])) ++n;
    if (n == 0 || n > 6 || !FixedDigits(s, pos, n, micros)) return std::nullopt;
    for (size_t i = n; i < 6; ++i) micros *= 10;
  }
  int64_t offset = 0;  // seconds east of UTC
  if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    const int64_t sign = s[pos++] == '-' ? -1 : 1;
    int64_t oh = 0, om = 0, os = 0;
    if (!FixedDigits(s, pos, 2, oh)) return std::nullopt;
    for (int64_t* part : {&om, &os}) {
      if (pos >= s.size() || s[pos] != ':') break;
      ++pos;
      if (!FixedDigits(s, pos, 2, *part)) return std::nullopt;
    }
    if (om > 59 || os > 59) return std::nullopt;
    offset = sign * (oh * 3600 + om * 60 + os);
  }
  if (pos != s.size()) return std::nullopt;  // " BC", a zone name, anything else: not ours
  return ((*days * kSecondsPerDay + h * 3600 + mi * 60 + sec) - offset) * kMicrosPerSecond + micros;
}

std::optional<int32_t> ParseDateDays(std::string_view s) {
  if (s == "infinity") return std::numeric_limits<int32_t>::max();
  if (s == "-infinity") return std::numeric_limits<int32_t>::min();
  size_t pos = 0;
  auto days = ParseYmd(s, pos);
  if (!days || pos != s.size()) return std::nullopt;
  return static_cast<int32_t>(*days);
}

// numeric_send(): int16 ndigits, int16 weight (of the first base-10000 digit), uint16 sign,
// uint16 display scale, then the base-10000 digits. Leading and trailing zero digits are
// allowed (numeric_recv strips them), so the groups are cut straight from the text.
bool AppendNumeric(std::string_view s, std::string& out) {
  uint16_t special = 0;
  if (s == "NaN") special = 0xC000;
  if (s == "Infinity") special = 0xD000;
  if (s == "-Infinity") special = 0xF000;
  if (special != 0) {
    Put16(out, 0);
    Put16(out, 0);
    Put16(out, special);
    Put16(out, 0);
    return true;
  }
  const bool negative = !s.empty() && s[0] == '-';
  if (negative) s.remove_prefix(1);
  const size_t dot = s.find('.');
  std::string_view int_part = s.substr(0, dot);
  std::string_view frac_part = dot == std::string_view::npos ? std::string_view() : s.substr(dot + 1);
  if (int_part.empty() || (dot != std::string_view::npos && frac_part.empty())) return false;
  for (char c : int_part) {
    if (!IsDigit(c)) return false;
  }
  for (char c : frac_part) {
    if (!IsDigit(c)) return false;
  }
  if (frac_part.size() > 0x3FFF) return false;
  const size_t first = int_part.find_first_not_of('0');
  int_part = first == std::string_view::npos ? std::string_view() : int_part.substr(first);
  const size_t int_groups = (int_part.size() + 3) / 4;
  const size_t frac_groups = (frac_part.size() + 3) / 4;
  if (int_groups > 0x7FFF || int_groups + frac_groups > 0xFFFF) return false;
  Put16(out, static_cast<uint16_t>(int_groups + frac_groups));
  Put16(out, static_cast<uint16_t>(static_cast<int16_t>(static_cast<int>(int_groups) - 1)));
  Put16(out, negative ? 0x4000 : 0x0000);
  Put16(out, static_cast<uint16_t>(frac_part.size()));
  // Integer groups, the first one short: "1234567" -> 123, 4567.
  size_t pos = 0;
  for (size_t g = 0; g < int_groups; ++g) {
    size_t len = g == 0 ? int_part.size() - 4 * (int_groups - 1) : 4;
    int v = 0;
    for (size_t i = 0; i < len; ++i) v = v * 10 + (int_part[pos + i] - '0');
    pos += len;
    Put16(out, static_cast<uint16_t>(v));
  }
  // Fraction groups, the last one padded: ".05" -> 0500.
  for (size_t g = 0; g < frac_groups; ++g) {
    int v = 0;
    for (size_t i = 0; i < 4; ++i) {
      size_t k = g * 4 + i;
      v = v * 10 + (k < frac_part.size() ? frac_part[k] - '0' : 0);
    }
    Put16(out, static_cast<uint16_t>(v));
  }
  return true;
}

}  // namespace copy_binary

std::optional<CopyBinaryEncoder> CopyBinaryEncoder::ForColumnTypes(const std::vector<std::string>& types, bool pgvector,
                                                                   std::string* why) {
  std::vector<Kind> kinds;
  kinds.reserve(types.size());
  for (const auto& t : types) {
    auto k = KindOf(t, pgvector);
    if (!k) {
      if (why != nullptr) *why = "no binary conversion for type " + t;
      return std::nullopt;
    }
    kinds.push_back(*k);
  }
  if (kinds.empty() || kinds.size() > 0x7FFF) {
    if (why != nullptr) *why = "no columns";
    return std::nullopt;
  }
  return CopyBinaryEncoder(std::move(kinds));
}

void CopyBinaryEncoder::AppendHeader(std::string& out) {
  out.append("PGCOPY\n\377\r\n\0", 11);
  Put32(out, 0);  // flags: no OIDs
  Put32(out, 0);  // header extension length
}

void CopyBinaryEncoder::AppendTrailer(std::string& out) { Put16(out, 0xFFFF); }

bool CopyBinaryEncoder::AppendField(Kind kind, std::string_view s, std::string& out) {
  const size_t len_at = out.size();
  Put32(out, 0);  // length: patched below
  bool ok = true;
  switch (kind) {
    case Kind::kText:
      out.append(s);
      break;
    case Kind::kJsonb:
      out.push_back(1);  // jsonb's binary format version; the rest is the JSON text
      out.append(s);
      break;
    case Kind::kBool:
      ok = s == "t" || s == "f";
      out.push_back(s == "t" ? 1 : 0);
      break;
    case Kind::kInt2:
    case Kind::kInt4:
    case Kind::kInt8:
    case Kind::kFloat4:
    case Kind::kFloat8:
      ok = AppendScalar(kind, s, out);
      break;
    case Kind::kOid: {
      uint32_t v;
      ok = ParseInteger(s, v);
      if (ok) Put32(out, v);
      break;
    }
    case Kind::kNumeric:
      ok = copy_binary::AppendNumeric(s, out);
      break;
    case Kind::kUuid:
      ok = AppendUuid(s, out);
      break;
    case Kind::kBytea:
      ok = s.starts_with("\\x") && AppendHexBytes(s.substr(2), out);
      break;
    case Kind::kDate: {
      auto d = copy_binary::ParseDateDays(s);
      ok = d.has_value();
      if (ok) Put32(out, static_cast<uint32_t>(*d));
      break;
    }
    case Kind::kTimestamp: {
      auto t = copy_binary::ParseTimestampMicros(s);
      ok = t.has_value();
      if (ok) Put64(out, static_cast<uint64_t>(*t));
      break;
    }
    case Kind::kVector:
      ok = AppendVector(s, out);
      break;
    case Kind::kArrayInt2:
    case Kind::kArrayInt4:
    case Kind::kArrayInt8:
    case Kind::kArrayFloat4:
    case Kind::kArrayFloat8: {
      const auto [element, oid] = ArrayElementOf(kind);
      ok = AppendArray(element, oid, s, out);
      break;
    }
  }
  if (!ok) return false;
  const size_t len = out.size() - len_at - 4;
  if (len > 0x7FFFFFFF) return false;
  Patch32(out, len_at, static_cast<uint32_t>(len));
  return true;
}

bool CopyBinaryEncoder::AppendRow(std::string_view line, std::string& out, std::string* why) {
  const size_t mark = out.size();
  auto refuse = [&](std::string reason) {
    out.resize(mark);
    if (why != nullptr) *why = std::move(reason);
    return false;
  };
  Put16(out, static_cast<uint16_t>(kinds_.size()));
  size_t column = 0;
  for (size_t pos = 0;;) {
    // COPY TO writes a tab inside a value as "\t", so every raw tab separates two fields.
    const size_t tab = line.find('\t', pos);
    std::string_view raw = line.substr(pos, tab == std::string_view::npos ? std::string_view::npos : tab - pos);
    if (column >= kinds_.size()) return refuse("the row has more fields than the table's " + std::to_string(kinds_.size()) + " columns");
    if (raw == "\\N") {
      Put32(out, 0xFFFFFFFFu);
    } else if (kinds_[column] == Kind::kBytea && raw.starts_with("\\\\x")) {
      // bytea's hex form as COPY writes it, "\\x" then digits: decoded straight from the line
      // (nothing else in it is escaped), not copied through the field buffer first.
      const size_t len_at = out.size();
      Put32(out, 0);
      if (!AppendHexBytes(raw.substr(3), out)) return refuse("column " + std::to_string(column + 1) + ": a bytea that is not hex");
      Patch32(out, len_at, static_cast<uint32_t>(out.size() - len_at - 4));
    } else {
      std::string_view value = raw;
      if (raw.find('\\') != std::string_view::npos) {
        // A field ending in an odd run of backslashes escapes the tab after it: not COPY TO's output.
        size_t run = 0;
        while (run < raw.size() && raw[raw.size() - 1 - run] == '\\') ++run;
        if (run % 2 == 1) return refuse("a field ends in an escaping backslash");
        field_.clear();
        AppendDecodedCopyField(raw, field_);
        value = field_;
      }
      if (!AppendField(kinds_[column], value, out)) {
        std::string shown(value.substr(0, 64));
        return refuse("column " + std::to_string(column + 1) + ": no exact binary form for '" + shown + "'");
      }
    }
    ++column;
    if (tab == std::string_view::npos) break;
    pos = tab + 1;
  }
  if (column != kinds_.size()) {
    return refuse("the row has " + std::to_string(column) + " fields, the table " + std::to_string(kinds_.size()) + " columns");
  }
  return true;
}

}  // namespace summit::sources::postgres
