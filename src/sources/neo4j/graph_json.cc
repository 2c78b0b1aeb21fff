#include "sources/neo4j/graph_json.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace summit::sources::neo4j {

using bolt::Value;
using json = nlohmann::json;

namespace {

constexpr int64_t kMaxSafe = int64_t{1} << 53;
constexpr int64_t kNanosPerSecond = 1000000000;
constexpr int64_t kSecondsPerDay = 86400;

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }
int64_t FloorMod(int64_t a, int64_t b) { return a - FloorDiv(a, b) * b; }

std::string Pad(int64_t v, int width) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%0*lld", width, static_cast<long long>(v));
  return buf;
}

std::string FormatDate(int64_t days) {
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, y, m, d);
  std::string year;
  if (y < 0) year = "-" + Pad(-y, 4);
  else if (y > 9999) year = "+" + std::to_string(y);
  else year = Pad(y, 4);
  return year + "-" + Pad(m, 2) + "-" + Pad(d, 2);
}

std::string FormatTimeOfDay(int64_t nanos_of_day) {
  int64_t secs = nanos_of_day / kNanosPerSecond, nanos = nanos_of_day % kNanosPerSecond;
  std::string s = Pad(secs / 3600, 2) + ":" + Pad(secs / 60 % 60, 2) + ":" + Pad(secs % 60, 2);
  if (nanos != 0) s += "." + Pad(nanos, 9);
  return s;
}

std::string FormatOffset(int64_t offset) {
  std::string s = offset < 0 ? "-" : "+";
  int64_t a = offset < 0 ? -offset : offset;
  s += Pad(a / 3600, 2) + ":" + Pad(a / 60 % 60, 2);
  if (a % 60 != 0) s += ":" + Pad(a % 60, 2);
  return s;
}

std::string FormatLocalDateTime(int64_t seconds, int64_t nanos) {
  int64_t days = FloorDiv(seconds, kSecondsPerDay);
  int64_t sod = FloorMod(seconds, kSecondsPerDay);
  return FormatDate(days) + "T" + FormatTimeOfDay(sod * kNanosPerSecond + nanos);
}

Unexpected Bad(const std::string& what, const std::string& text) {
  return Fail(ErrorCode::kInvalidInput, "neo4j export format: bad " + what + " '" + text + "'",
              "the capture's nodes.jsonl/relationships.jsonl may be damaged; run summit-dr check");
}

// A tiny cursor over the textual forms above.
struct Cursor {
  std::string_view s;
  size_t p = 0;
  bool Eat(char c) {
    if (p < s.size() && s[p] == c) {
      ++p;
      return true;
    }
    return false;
  }
  bool Digits(size_t min, size_t max, int64_t& out) {
    size_t start = p;
    int64_t v = 0;
    while (p < s.size() && p - start < max && s[p] >= '0' && s[p] <= '9') v = v * 10 + (s[p++] - '0');
    out = v;
    return p - start >= min;
  }
  bool End() const { return p == s.size(); }
  char Peek() const { return p < s.size() ? s[p] : '\0'; }
};

bool ParseDate(Cursor& c, int64_t& days) {
  int sign = 1;
  if (c.Eat('-')) sign = -1;
  else c.Eat('+');
  int64_t y, m, d;
  if (!c.Digits(4, 10, y) || !c.Eat('-') || !c.Digits(2, 2, m) || !c.Eat('-') || !c.Digits(2, 2, d)) return false;
  if (m < 1 || m > 12 || d < 1 || d > 31) return false;
  days = DaysFromCivil(sign * y, static_cast<unsigned>(m), static_cast<unsigned>(d));
  return true;
}

bool ParseTimeOfDay(Cursor& c, int64_t& nanos_of_day) {
  int64_t h, mi, s, n = 0;
  if (!c.Digits(2, 2, h) || !c.Eat(':') || !c.Digits(2, 2, mi) || !c.Eat(':') || !c.Digits(2, 2, s)) return false;
  if (c.Eat('.')) {
    size_t start = c.p;
    if (!c.Digits(1, 9, n)) return false;
    for (size_t k = c.p - start; k < 9; ++k) n *= 10;
  }
  if (h > 23 || mi > 59 || s > 59) return false;
  nanos_of_day = ((h * 60 + mi) * 60 + s) * kNanosPerSecond + n;
  return true;
}

bool ParseOffset(Cursor& c, int64_t& offset) {
  int sign = c.Eat('+') ? 1 : c.Eat('-') ? -1 : 0;
  if (sign == 0) return false;
  int64_t h, m, s = 0;
  if (!c.Digits(2, 2, h) || !c.Eat(':') || !c.Digits(2, 2, m)) return false;
  if (c.Eat(':') && !c.Digits(2, 2, s)) return false;
  offset = sign * (h * 3600 + m * 60 + s);
  return true;
}

Result<json> FloatToJson(double d) {
  if (std::isnan(d)) return json{{"$float", "NaN"}};
  if (std::isinf(d)) return json{{"$float", d > 0 ? "Infinity" : "-Infinity"}};
  return json(d);
}

Result<int64_t> JInt(const json& j, const char* key, const std::string& ctx) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return Bad(std::string(ctx) + " field " + key, j.dump());
  return it->get<int64_t>();
}

Result<double> JFloat(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) return Bad(std::string("point field ") + key, j.dump());
  if (it->is_number()) return it->get<double>();
  if (it->is_object()) {
    SUMMIT_ASSIGN_OR_RETURN(Value v, FromJson(*it));
    if (v.Is<double>()) return v.As<double>();
  }
  return Bad(std::string("point field ") + key, j.dump());
}

}  // namespace

// Howard Hinnant's civil calendar algorithms.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = FloorDiv(y, 400);
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void CivilFromDays(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = FloorDiv(z, 146097);
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = yoe + era * 400;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  d = static_cast<unsigned>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<unsigned>(mp < 10 ? mp + 3 : mp - 9);
  y += m <= 2;
}

std::string Base64Encode(ByteView data) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    uint32_t v = (uint32_t{data[i]} << 16) | (uint32_t{data[i + 1]} << 8) | data[i + 2];
    out += k[v >> 18];
    out += k[(v >> 12) & 63];
    out += k[(v >> 6) & 63];
    out += k[v & 63];
  }
  if (i < data.size()) {
    uint32_t v = uint32_t{data[i]} << 16;
    if (i + 1 < data.size()) v |= uint32_t{data[i + 1]} << 8;
    out += k[v >> 18];
    out += k[(v >> 12) & 63];
    out += i + 1 < data.size() ? k[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

Result<Bytes> Base64Decode(std::string_view text) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  if (text.size() % 4 != 0) return Bad("base64", std::string(text.substr(0, 40)));
  Bytes out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    int a = val(text[i]), b = val(text[i + 1]);
    int c = text[i + 2] == '=' ? -2 : val(text[i + 2]);
    int d = text[i + 3] == '=' ? -2 : val(text[i + 3]);
    bool last = i + 4 == text.size();
    if (a < 0 || b < 0 || c == -1 || d == -1 || (!last && (c < 0 || d < 0)) || (c == -2 && d != -2)) {
      return Bad("base64", std::string(text.substr(0, 40)));
    }
    uint32_t v = (uint32_t(a) << 18) | (uint32_t(b) << 12) | (uint32_t(c < 0 ? 0 : c) << 6) | uint32_t(d < 0 ? 0 : d);
    out.push_back(static_cast<uint8_t>(v >> 16));
    if (c >= 0) out.push_back(static_cast<uint8_t>(v >> 8));
    if (d >= 0) out.push_back(static_cast<uint8_t>(v));
  }
  return out;
}

Result<json> ToJson(const Value& value) {
  return std::visit(
      [&](const auto& x) -> Result<json> {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::nullptr_t>) {
          return json(nullptr);
        } else if constexpr (std::is_same_v<T, bool>) {
          return json(x);
        } else if constexpr (std::is_same_v<T, int64_t>) {
          if (x > kMaxSafe || x < -kMaxSafe) return json{{"$int", std::to_string(x)}};
          return json(x);
        } else if constexpr (std::is_same_v<T, double>) {
          return FloatToJson(x);
        } else if constexpr (std::is_same_v<T, std::string>) {
          return json(x);
        } else if constexpr (std::is_same_v<T, Bytes>) {
          return json{{"$bytes", Base64Encode(x)}};
        } else if constexpr (std::is_same_v<T, bolt::List>) {
          json a = json::array();
          for (const auto& e : x) {
            SUMMIT_ASSIGN_OR_RETURN(json j, ToJson(e));
            a.push_back(std::move(j));
          }
          return a;
        } else if constexpr (std::is_same_v<T, bolt::Date>) {
          return json{{"$date", FormatDate(x.days)}};
        } else if constexpr (std::is_same_v<T, bolt::LocalTime>) {
          return json{{"$localtime", FormatTimeOfDay(x.nanoseconds)}};
        } else if constexpr (std::is_same_v<T, bolt::Time>) {
          return json{{"$time", FormatTimeOfDay(x.nanoseconds) + FormatOffset(x.tz_offset_seconds)}};
        } else if constexpr (std::is_same_v<T, bolt::LocalDateTime>) {
          return json{{"$localdatetime", FormatLocalDateTime(x.seconds, x.nanoseconds)}};
        } else if constexpr (std::is_same_v<T, bolt::DateTime>) {
          return json{{"$datetime", FormatLocalDateTime(x.seconds + x.tz_offset_seconds, x.nanoseconds) +
                                        FormatOffset(x.tz_offset_seconds)}};
        } else if constexpr (std::is_same_v<T, bolt::DateTimeZoneId>) {
          return json{{"$datetime", FormatLocalDateTime(x.seconds, x.nanoseconds) + (x.utc ? "Z[" : "[") +
                                        x.tz_id + "]"}};
        } else if constexpr (std::is_same_v<T, bolt::Duration>) {
          return json{{"$duration",
                       {{"months", x.months}, {"days", x.days}, {"seconds", x.seconds}, {"nanoseconds", x.nanoseconds}}}};
        } else if constexpr (std::is_same_v<T, bolt::Point2D>) {
          SUMMIT_ASSIGN_OR_RETURN(json jx, FloatToJson(x.x));
          SUMMIT_ASSIGN_OR_RETURN(json jy, FloatToJson(x.y));
          return json{{"$point", {{"srid", x.srid}, {"x", jx}, {"y", jy}}}};
        } else if constexpr (std::is_same_v<T, bolt::Point3D>) {
          SUMMIT_ASSIGN_OR_RETURN(json jx, FloatToJson(x.x));
          SUMMIT_ASSIGN_OR_RETURN(json jy, FloatToJson(x.y));
          SUMMIT_ASSIGN_OR_RETURN(json jz, FloatToJson(x.z));
          return json{{"$point", {{"srid", x.srid}, {"x", jx}, {"y", jy}, {"z", jz}}}};
        } else {
          return Fail(ErrorCode::kUnsupported, "a " + value.DebugString() + " is not a neo4j property value");
        }
      },
      value.v);
}

Result<json> PropertiesToJson(const bolt::Map& properties) {
  json o = json::object();
  for (const auto& [k, v] : properties) {
    SUMMIT_ASSIGN_OR_RETURN(json j, ToJson(v));
    o[k] = std::move(j);
  }
  return o;
}

Result<Value> FromJson(const json& j) {
  switch (j.type()) {
    case json::value_t::null: return Value(nullptr);
    case json::value_t::boolean: return Value(j.get<bool>());
    case json::value_t::number_integer: return Value(j.get<int64_t>());
    case json::value_t::number_unsigned: {
      uint64_t u = j.get<uint64_t>();
      if (u > static_cast<uint64_t>(INT64_MAX)) return Bad("integer (beyond 64 bits)", j.dump());
      return Value(static_cast<int64_t>(u));
    }
    case json::value_t::number_float: return Value(j.get<double>());
    case json::value_t::string: return Value(j.get<std::string>());
    case json::value_t::array: {
      bolt::List l;
      l.reserve(j.size());
      for (const auto& e : j) {
        SUMMIT_ASSIGN_OR_RETURN(Value v, FromJson(e));
        l.push_back(std::move(v));
      }
      return Value(std::move(l));
    }
    case json::value_t::object: break;
    default: return Bad("value", j.dump());
  }
  if (j.size() != 1) return Bad("typed value (one $key expected)", j.dump());
  const std::string& key = j.begin().key();
  const json& body = j.begin().value();
  if (key == "$duration" || key == "$point") {
    if (!body.is_object()) return Bad(key, j.dump());
    if (key == "$duration") {
      bolt::Duration d;
      SUMMIT_ASSIGN_OR_RETURN(d.months, JInt(body, "months", key));
      SUMMIT_ASSIGN_OR_RETURN(d.days, JInt(body, "days", key));
      SUMMIT_ASSIGN_OR_RETURN(d.seconds, JInt(body, "seconds", key));
      SUMMIT_ASSIGN_OR_RETURN(d.nanoseconds, JInt(body, "nanoseconds", key));
      return Value(d);
    }
    SUMMIT_ASSIGN_OR_RETURN(int64_t srid, JInt(body, "srid", key));
    SUMMIT_ASSIGN_OR_RETURN(double x, JFloat(body, "x"));
    SUMMIT_ASSIGN_OR_RETURN(double y, JFloat(body, "y"));
    if (body.contains("z")) {
      SUMMIT_ASSIGN_OR_RETURN(double z, JFloat(body, "z"));
      return Value(bolt::Point3D{srid, x, y, z});
    }
    return Value(bolt::Point2D{srid, x, y});
  }
  if (!body.is_string()) return Bad(key, j.dump());
  const std::string& text = body.get_ref<const std::string&>();
  Cursor c{text};
  if (key == "$int") {
    int64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size()) return Bad("$int", text);
    return Value(v);
  }
  if (key == "$float") {
    if (text == "NaN") return Value(std::nan(""));
    if (text == "Infinity") return Value(HUGE_VAL);
    if (text == "-Infinity") return Value(-HUGE_VAL);
    return Bad("$float", text);
  }
  if (key == "$bytes") {
    SUMMIT_ASSIGN_OR_RETURN(Bytes b, Base64Decode(text));
    return Value(std::move(b));
  }
  if (key == "$date") {
    int64_t days;
    if (!ParseDate(c, days) || !c.End()) return Bad("$date", text);
    return Value(bolt::Date{days});
  }
  if (key == "$localtime") {
    int64_t n;
    if (!ParseTimeOfDay(c, n) || !c.End()) return Bad("$localtime", text);
    return Value(bolt::LocalTime{n});
  }
  if (key == "$time") {
    int64_t n, off;
    if (!ParseTimeOfDay(c, n) || !ParseOffset(c, off) || !c.End()) return Bad("$time", text);
    return Value(bolt::Time{n, off});
  }
  if (key == "$localdatetime" || key == "$datetime") {
    int64_t days, n;
    if (!ParseDate(c, days) || !c.Eat('T') || !ParseTimeOfDay(c, n)) return Bad(key, text);
    int64_t local = days * kSecondsPerDay + n / kNanosPerSecond, nanos = n % kNanosPerSecond;
    if (key == "$localdatetime") {
      if (!c.End()) return Bad(key, text);
      return Value(bolt::LocalDateTime{local, nanos});
    }
    bool utc = c.Eat('Z');
    if (c.Peek() == '[') {
      c.Eat('[');
      size_t close = text.find(']', c.p);
      if (close == std::string::npos || close + 1 != text.size() || close == c.p) return Bad(key, text);
      return Value(bolt::DateTimeZoneId{local, nanos, text.substr(c.p, close - c.p), utc});
    }
    int64_t off = 0;
    if (!utc && !ParseOffset(c, off)) return Bad(key, text);
    if (!c.End()) return Bad(key, text);
    return Value(bolt::DateTime{local - off, nanos, off});
  }
  return Bad("typed value (unknown wrapper " + key + ")", j.dump());
}

Result<bolt::Map> PropertiesFromJson(const json& object) {
  if (!object.is_object()) return Bad("properties (not an object)", object.dump().substr(0, 80));
  bolt::Map m;
  for (auto it = object.begin(); it != object.end(); ++it) {
    SUMMIT_ASSIGN_OR_RETURN(Value v, FromJson(it.value()));
    m.emplace(it.key(), std::move(v));
  }
  return m;
}

std::string CanonicalDump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace summit::sources::neo4j
