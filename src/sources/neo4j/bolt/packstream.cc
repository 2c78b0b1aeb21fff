#include "sources/neo4j/bolt/packstream.h"

#include <bit>
#include <cstring>
#include <sstream>

namespace summit::sources::neo4j::bolt {
namespace {

// Structure tags (Bolt protocol, "Structure Semantics").
constexpr uint8_t kNode = 0x4E, kRel = 0x52, kUnboundRel = 0x72, kPath = 0x50, kDate = 0x44, kTime = 0x54,
                  kLocalTime = 0x74, kDateTime = 0x49, kDateTimeZoneId = 0x69, kLegacyDateTime = 0x46,
                  kLegacyDateTimeZoneId = 0x66, kLocalDateTime = 0x64, kDuration = 0x45, kPoint2D = 0x58,
                  kPoint3D = 0x59;

void PutBE(Bytes& out, uint64_t v, int n) {
  for (int i = n - 1; i >= 0; --i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

void EncodeInt(int64_t v, Bytes& out) {
  if (v >= -16 && v <= 127) {
    out.push_back(static_cast<uint8_t>(v));
  } else if (v >= INT8_MIN && v <= INT8_MAX) {
    out.push_back(0xC8);
    PutBE(out, static_cast<uint64_t>(v), 1);
  } else if (v >= INT16_MIN && v <= INT16_MAX) {
    out.push_back(0xC9);
    PutBE(out, static_cast<uint64_t>(v), 2);
  } else if (v >= INT32_MIN && v <= INT32_MAX) {
    out.push_back(0xCA);
    PutBE(out, static_cast<uint64_t>(v), 4);
  } else {
    out.push_back(0xCB);
    PutBE(out, static_cast<uint64_t>(v), 8);
  }
}

// Header of a sized value: tiny (0..15 in the low nibble) or 8/16/32-bit size.
void EncodeSize(size_t n, uint8_t tiny, uint8_t wide, Bytes& out) {
  if (n < 16 && tiny != 0) {
    out.push_back(static_cast<uint8_t>(tiny | n));
  } else if (n <= 0xFF) {
    out.push_back(wide);
    PutBE(out, n, 1);
  } else if (n <= 0xFFFF) {
    out.push_back(static_cast<uint8_t>(wide + 1));
    PutBE(out, n, 2);
  } else {
    out.push_back(static_cast<uint8_t>(wide + 2));
    PutBE(out, n, 4);
  }
}

void EncodeString(std::string_view s, Bytes& out) {
  EncodeSize(s.size(), 0x80, 0xD0, out);
  out.insert(out.end(), s.begin(), s.end());
}

void EncodeFloat(double d, Bytes& out) {
  out.push_back(0xC1);
  PutBE(out, std::bit_cast<uint64_t>(d), 8);
}

void EncodeMap(const Map& m, Bytes& out, const EncodeOptions& o) {
  EncodeSize(m.size(), 0xA0, 0xD8, out);
  for (const auto& [k, v] : m) {
    EncodeString(k, out);
    Encode(v, out, o);
  }
}

void EncodeNodeFields(const Node& n, Bytes& out, const EncodeOptions& o) {
  EncodeStructHeader(kNode, 4, out);
  EncodeInt(n.id, out);
  EncodeSize(n.labels.size(), 0x90, 0xD4, out);
  for (const auto& l : n.labels) EncodeString(l, out);
  EncodeMap(n.properties, out, o);
  EncodeString(n.element_id, out);
}

void EncodeUnbound(const UnboundRelationship& r, Bytes& out, const EncodeOptions& o) {
  EncodeStructHeader(kUnboundRel, 4, out);
  EncodeInt(r.id, out);
  EncodeString(r.type, out);
  EncodeMap(r.properties, out, o);
  EncodeString(r.element_id, out);
}

struct EncodeVisitor {
  Bytes& out;
  const EncodeOptions& o;
  void operator()(std::nullptr_t) { out.push_back(0xC0); }
  void operator()(bool b) { out.push_back(b ? 0xC3 : 0xC2); }
  void operator()(int64_t i) { EncodeInt(i, out); }
  void operator()(double d) { EncodeFloat(d, out); }
  void operator()(const std::string& s) { EncodeString(s, out); }
  void operator()(const Bytes& b) {
    EncodeSize(b.size(), 0, 0xCC, out);
    out.insert(out.end(), b.begin(), b.end());
  }
  void operator()(const List& l) {
    EncodeSize(l.size(), 0x90, 0xD4, out);
    for (const auto& v : l) Encode(v, out, o);
  }
  void operator()(const Map& m) { EncodeMap(m, out, o); }
  void operator()(const Node& n) { EncodeNodeFields(n, out, o); }
  void operator()(const Relationship& r) {
    EncodeStructHeader(kRel, 8, out);
    EncodeInt(r.id, out);
    EncodeInt(r.start, out);
    EncodeInt(r.end, out);
    EncodeString(r.type, out);
    EncodeMap(r.properties, out, o);
    EncodeString(r.element_id, out);
    EncodeString(r.start_element_id, out);
    EncodeString(r.end_element_id, out);
  }
  void operator()(const UnboundRelationship& r) { EncodeUnbound(r, out, o); }
  void operator()(const Path& p) {
    EncodeStructHeader(kPath, 3, out);
    EncodeSize(p.nodes.size(), 0x90, 0xD4, out);
    for (const auto& n : p.nodes) EncodeNodeFields(n, out, o);
    EncodeSize(p.relationships.size(), 0x90, 0xD4, out);
    for (const auto& r : p.relationships) EncodeUnbound(r, out, o);
    EncodeSize(p.indices.size(), 0x90, 0xD4, out);
    for (int64_t i : p.indices) EncodeInt(i, out);
  }
  void operator()(const Date& d) {
    EncodeStructHeader(kDate, 1, out);
    EncodeInt(d.days, out);
  }
  void operator()(const Time& t) {
    EncodeStructHeader(kTime, 2, out);
    EncodeInt(t.nanoseconds, out);
    EncodeInt(t.tz_offset_seconds, out);
  }
  void operator()(const LocalTime& t) {
    EncodeStructHeader(kLocalTime, 1, out);
    EncodeInt(t.nanoseconds, out);
  }
  void operator()(const DateTime& d) {
    EncodeStructHeader(o.utc_datetime ? kDateTime : kLegacyDateTime, 3, out);
    EncodeInt(o.utc_datetime ? d.seconds : d.seconds + d.tz_offset_seconds, out);
    EncodeInt(d.nanoseconds, out);
    EncodeInt(d.tz_offset_seconds, out);
  }
  void operator()(const DateTimeZoneId& d) {
    // A value received in one form can only be sent in the same form: converting between UTC
    // and wall-clock seconds for a named zone needs a tz database, which the server has.
    EncodeStructHeader(d.utc ? kDateTimeZoneId : kLegacyDateTimeZoneId, 3, out);
    EncodeInt(d.seconds, out);
    EncodeInt(d.nanoseconds, out);
    EncodeString(d.tz_id, out);
  }
  void operator()(const LocalDateTime& d) {
    EncodeStructHeader(kLocalDateTime, 2, out);
    EncodeInt(d.seconds, out);
    EncodeInt(d.nanoseconds, out);
  }
  void operator()(const Duration& d) {
    EncodeStructHeader(kDuration, 4, out);
    EncodeInt(d.months, out);
    EncodeInt(d.days, out);
    EncodeInt(d.seconds, out);
    EncodeInt(d.nanoseconds, out);
  }
  void operator()(const Point2D& p) {
    EncodeStructHeader(kPoint2D, 3, out);
    EncodeInt(p.srid, out);
    EncodeFloat(p.x, out);
    EncodeFloat(p.y, out);
  }
  void operator()(const Point3D& p) {
    EncodeStructHeader(kPoint3D, 4, out);
    EncodeInt(p.srid, out);
    EncodeFloat(p.x, out);
    EncodeFloat(p.y, out);
    EncodeFloat(p.z, out);
  }
};

Unexpected Corrupt(std::string what, size_t pos) {
  return Fail(ErrorCode::kCorruption, "packstream: " + what + " at offset " + std::to_string(pos),
              "the server sent data this client cannot parse; check that it speaks Bolt 4.4 or 5.x");
}

// Field accessors for structure decoding.
Result<int64_t> Int(const Value& v, const char* what, size_t pos) {
  if (auto* i = v.If<int64_t>()) return *i;
  return Corrupt(std::string("expected an integer for ") + what, pos);
}
Result<double> Float(const Value& v, const char* what, size_t pos) {
  if (auto* d = v.If<double>()) return *d;
  return Corrupt(std::string("expected a float for ") + what, pos);
}
Result<std::string> Str(const Value& v, const char* what, size_t pos) {
  if (auto* s = v.If<std::string>()) return *s;
  return Corrupt(std::string("expected a string for ") + what, pos);
}
Result<Map> MapOf(Value&& v, const char* what, size_t pos) {
  if (auto* m = std::get_if<Map>(&v.v)) return std::move(*m);
  return Corrupt(std::string("expected a map for ") + what, pos);
}
Result<List> ListOf(Value&& v, const char* what, size_t pos) {
  if (auto* m = std::get_if<List>(&v.v)) return std::move(*m);
  return Corrupt(std::string("expected a list for ") + what, pos);
}

Result<Node> NodeFrom(std::vector<Value>& f, size_t pos) {
  if (f.size() != 3 && f.size() != 4) return Corrupt("node with " + std::to_string(f.size()) + " fields", pos);
  Node n;
  SUMMIT_ASSIGN_OR_RETURN(n.id, Int(f[0], "node id", pos));
  SUMMIT_ASSIGN_OR_RETURN(List labels, ListOf(std::move(f[1]), "node labels", pos));
  for (auto& l : labels) {
    SUMMIT_ASSIGN_OR_RETURN(std::string s, Str(l, "node label", pos));
    n.labels.push_back(std::move(s));
  }
  SUMMIT_ASSIGN_OR_RETURN(n.properties, MapOf(std::move(f[2]), "node properties", pos));
  if (f.size() == 4) {
    SUMMIT_ASSIGN_OR_RETURN(n.element_id, Str(f[3], "node element id", pos));
  }
  return n;
}

Result<UnboundRelationship> UnboundFrom(std::vector<Value>& f, size_t pos) {
  if (f.size() != 3 && f.size() != 4) return Corrupt("unbound relationship with wrong field count", pos);
  UnboundRelationship r;
  SUMMIT_ASSIGN_OR_RETURN(r.id, Int(f[0], "relationship id", pos));
  SUMMIT_ASSIGN_OR_RETURN(r.type, Str(f[1], "relationship type", pos));
  SUMMIT_ASSIGN_OR_RETURN(r.properties, MapOf(std::move(f[2]), "relationship properties", pos));
  if (f.size() == 4) {
    SUMMIT_ASSIGN_OR_RETURN(r.element_id, Str(f[3], "relationship element id", pos));
  }
  return r;
}

}  // namespace

void EncodeStructHeader(uint8_t tag, size_t fields, Bytes& out) {
  out.push_back(static_cast<uint8_t>(0xB0 | (fields & 0x0F)));
  out.push_back(tag);
}

void Encode(const Value& value, Bytes& out, const EncodeOptions& options) {
  std::visit(EncodeVisitor{out, options}, value.v);
}

Status Decoder::Need(size_t n) const {
  if (data_.size() - pos_ < n) return Corrupt("truncated value (need " + std::to_string(n) + " bytes)", pos_);
  return Ok();
}

uint64_t Decoder::BigEndian(size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v = (v << 8) | data_[pos_++];
  return v;
}

Result<size_t> Decoder::Size(uint8_t marker, uint8_t tiny_base, uint8_t wide_base) {
  if (tiny_base != 0 && (marker & 0xF0) == tiny_base) return static_cast<size_t>(marker & 0x0F);
  size_t width = size_t{1} << (marker - wide_base);  // 1, 2 or 4 bytes
  SUMMIT_TRY(Need(width));
  return static_cast<size_t>(BigEndian(width));
}

Result<std::pair<uint8_t, size_t>> Decoder::NextStructHeader() {
  SUMMIT_TRY(Need(2));
  uint8_t m = U8();
  if ((m & 0xF0) != 0xB0) return Corrupt("expected a structure", pos_ - 1);
  uint8_t tag = U8();
  return std::pair<uint8_t, size_t>{tag, m & 0x0F};
}

Result<Value> Decoder::Next() { return Read(0); }

Result<Value> Decoder::Read(int depth) {
  if (depth > kMaxDepth) return Corrupt("values nested deeper than " + std::to_string(kMaxDepth), pos_);
  SUMMIT_TRY(Need(1));
  const size_t start = pos_;
  const uint8_t m = U8();
  if (m <= 0x7F) return Value(int64_t{m});
  if (m >= 0xF0) return Value(int64_t{static_cast<int8_t>(m)});
  switch (m) {
    case 0xC0: return Value(nullptr);
    case 0xC2: return Value(false);
    case 0xC3: return Value(true);
    case 0xC1: {
      SUMMIT_TRY(Need(8));
      return Value(std::bit_cast<double>(BigEndian(8)));
    }
    case 0xC8: SUMMIT_TRY(Need(1)); return Value(int64_t{static_cast<int8_t>(BigEndian(1))});
    case 0xC9: SUMMIT_TRY(Need(2)); return Value(int64_t{static_cast<int16_t>(BigEndian(2))});
    case 0xCA: SUMMIT_TRY(Need(4)); return Value(int64_t{static_cast<int32_t>(BigEndian(4))});
    case 0xCB: SUMMIT_TRY(Need(8)); return Value(static_cast<int64_t>(BigEndian(8)));
    case 0xCC: case 0xCD: case 0xCE: {
      SUMMIT_ASSIGN_OR_RETURN(size_t n, Size(m, 0, 0xCC));
      SUMMIT_TRY(Need(n));
      Bytes b(data_.begin() + pos_, data_.begin() + pos_ + n);
      pos_ += n;
      return Value(std::move(b));
    }
    default: break;
  }
  if ((m & 0xF0) == 0x80 || (m >= 0xD0 && m <= 0xD2)) {
    SUMMIT_ASSIGN_OR_RETURN(size_t n, Size(m, 0x80, 0xD0));
    SUMMIT_TRY(Need(n));
    std::string s(reinterpret_cast<const char*>(data_.data()) + pos_, n);
    pos_ += n;
    return Value(std::move(s));
  }
  if ((m & 0xF0) == 0x90 || (m >= 0xD4 && m <= 0xD6)) {
    SUMMIT_ASSIGN_OR_RETURN(size_t n, Size(m, 0x90, 0xD4));
    SUMMIT_TRY(Need(n));  // every element takes at least one byte
    List l;
    l.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      SUMMIT_ASSIGN_OR_RETURN(Value v, Read(depth + 1));
      l.push_back(std::move(v));
    }
    return Value(std::move(l));
  }
  if ((m & 0xF0) == 0xA0 || (m >= 0xD8 && m <= 0xDA)) {
    SUMMIT_ASSIGN_OR_RETURN(size_t n, Size(m, 0xA0, 0xD8));
    SUMMIT_TRY(Need(n * 2));
    Map map;
    for (size_t i = 0; i < n; ++i) {
      const size_t kpos = pos_;
      SUMMIT_ASSIGN_OR_RETURN(Value k, Read(depth + 1));
      if (!k.Is<std::string>()) return Corrupt("map key is not a string", kpos);
      SUMMIT_ASSIGN_OR_RETURN(Value v, Read(depth + 1));
      map.insert_or_assign(std::move(k.As<std::string>()), std::move(v));  // last key wins
    }
    return Value(std::move(map));
  }
  if ((m & 0xF0) == 0xB0) {
    return ReadStruct(m & 0x0F, depth);
  }
  return Corrupt("unknown marker 0x" + HexEncode(ByteView(&m, 1)), start);
}

Result<Value> Decoder::ReadStruct(size_t nfields, int depth) {
  SUMMIT_TRY(Need(1));
  const size_t pos = pos_ - 1;
  const uint8_t tag = U8();
  std::vector<Value> f;
  f.reserve(nfields);
  for (size_t i = 0; i < nfields; ++i) {
    SUMMIT_ASSIGN_OR_RETURN(Value v, Read(depth + 1));
    f.push_back(std::move(v));
  }
  auto want = [&](size_t n) -> Status {
    if (f.size() != n) {
      return Corrupt("structure 0x" + HexEncode(ByteView(&tag, 1)) + " with " + std::to_string(f.size()) +
                         " fields (expected " + std::to_string(n) + ")",
                     pos);
    }
    return Ok();
  };
  switch (tag) {
    case kNode: {
      SUMMIT_ASSIGN_OR_RETURN(Node n, NodeFrom(f, pos));
      return Value(std::move(n));
    }
    case kRel: {
      if (f.size() != 5 && f.size() != 8) return Corrupt("relationship with wrong field count", pos);
      Relationship r;
      SUMMIT_ASSIGN_OR_RETURN(r.id, Int(f[0], "relationship id", pos));
      SUMMIT_ASSIGN_OR_RETURN(r.start, Int(f[1], "relationship start", pos));
      SUMMIT_ASSIGN_OR_RETURN(r.end, Int(f[2], "relationship end", pos));
      SUMMIT_ASSIGN_OR_RETURN(r.type, Str(f[3], "relationship type", pos));
      SUMMIT_ASSIGN_OR_RETURN(r.properties, MapOf(std::move(f[4]), "relationship properties", pos));
      if (f.size() == 8) {
        SUMMIT_ASSIGN_OR_RETURN(r.element_id, Str(f[5], "relationship element id", pos));
        SUMMIT_ASSIGN_OR_RETURN(r.start_element_id, Str(f[6], "relationship start element id", pos));
        SUMMIT_ASSIGN_OR_RETURN(r.end_element_id, Str(f[7], "relationship end element id", pos));
      }
      return Value(std::move(r));
    }
    case kUnboundRel: {
      SUMMIT_ASSIGN_OR_RETURN(UnboundRelationship r, UnboundFrom(f, pos));
      return Value(std::move(r));
    }
    case kPath: {
      SUMMIT_TRY(want(3));
      Path p;
      SUMMIT_ASSIGN_OR_RETURN(List nodes, ListOf(std::move(f[0]), "path nodes", pos));
      for (auto& n : nodes) {
        if (!n.Is<Node>()) return Corrupt("path element is not a node", pos);
        p.nodes.push_back(std::move(n.As<Node>()));
      }
      SUMMIT_ASSIGN_OR_RETURN(List rels, ListOf(std::move(f[1]), "path relationships", pos));
      for (auto& r : rels) {
        if (!r.Is<UnboundRelationship>()) return Corrupt("path element is not an unbound relationship", pos);
        p.relationships.push_back(std::move(r.As<UnboundRelationship>()));
      }
      SUMMIT_ASSIGN_OR_RETURN(List idx, ListOf(std::move(f[2]), "path indices", pos));
      for (auto& i : idx) {
        SUMMIT_ASSIGN_OR_RETURN(int64_t x, Int(i, "path index", pos));
        p.indices.push_back(x);
      }
      return Value(std::move(p));
    }
    case kDate: {
      SUMMIT_TRY(want(1));
      SUMMIT_ASSIGN_OR_RETURN(int64_t d, Int(f[0], "date days", pos));
      return Value(Date{d});
    }
    case kTime: {
      SUMMIT_TRY(want(2));
      Time t;
      SUMMIT_ASSIGN_OR_RETURN(t.nanoseconds, Int(f[0], "time nanoseconds", pos));
      SUMMIT_ASSIGN_OR_RETURN(t.tz_offset_seconds, Int(f[1], "time offset", pos));
      return Value(t);
    }
    case kLocalTime: {
      SUMMIT_TRY(want(1));
      SUMMIT_ASSIGN_OR_RETURN(int64_t n, Int(f[0], "local time nanoseconds", pos));
      return Value(LocalTime{n});
    }
    case kDateTime:
    case kLegacyDateTime: {
      SUMMIT_TRY(want(3));
      DateTime d;
      SUMMIT_ASSIGN_OR_RETURN(d.seconds, Int(f[0], "datetime seconds", pos));
      SUMMIT_ASSIGN_OR_RETURN(d.nanoseconds, Int(f[1], "datetime nanoseconds", pos));
      SUMMIT_ASSIGN_OR_RETURN(d.tz_offset_seconds, Int(f[2], "datetime offset", pos));
      // Legacy seconds are wall-clock time at the offset; keep UTC inside the Value.
      if (tag == kLegacyDateTime) d.seconds = static_cast<int64_t>(static_cast<uint64_t>(d.seconds) -
                                                                    static_cast<uint64_t>(d.tz_offset_seconds));
      return Value(d);
    }
    case kDateTimeZoneId:
    case kLegacyDateTimeZoneId: {
      SUMMIT_TRY(want(3));
      DateTimeZoneId d;
      SUMMIT_ASSIGN_OR_RETURN(d.seconds, Int(f[0], "datetime seconds", pos));
      SUMMIT_ASSIGN_OR_RETURN(d.nanoseconds, Int(f[1], "datetime nanoseconds", pos));
      SUMMIT_ASSIGN_OR_RETURN(d.tz_id, Str(f[2], "datetime zone id", pos));
      d.utc = tag == kDateTimeZoneId;
      return Value(std::move(d));
    }
    case kLocalDateTime: {
      SUMMIT_TRY(want(2));
      LocalDateTime d;
      SUMMIT_ASSIGN_OR_RETURN(d.seconds, Int(f[0], "local datetime seconds", pos));
      SUMMIT_ASSIGN_OR_RETURN(d.nanoseconds, Int(f[1], "local datetime nanoseconds", pos));
      return Value(d);
    }
    case kDuration: {
      SUMMIT_TRY(want(4));
      Duration d;
      SUMMIT_ASSIGN_OR_RETURN(d.months, Int(f[0], "duration months", pos));
      SUMMIT_ASSIGN_OR_RETURN(d.days, Int(f[1], "duration days", pos));
      SUMMIT_ASSIGN_OR_RETURN(d.seconds, Int(f[2], "duration seconds", pos));
      SUMMIT_ASSIGN_OR_RETURN(d.nanoseconds, Int(f[3], "duration nanoseconds", pos));
      return Value(d);
    }
    case kPoint2D: {
      SUMMIT_TRY(want(3));
      Point2D p;
      SUMMIT_ASSIGN_OR_RETURN(p.srid, Int(f[0], "point srid", pos));
      SUMMIT_ASSIGN_OR_RETURN(p.x, Float(f[1], "point x", pos));
      SUMMIT_ASSIGN_OR_RETURN(p.y, Float(f[2], "point y", pos));
      return Value(p);
    }
    case kPoint3D: {
      SUMMIT_TRY(want(4));
      Point3D p;
      SUMMIT_ASSIGN_OR_RETURN(p.srid, Int(f[0], "point srid", pos));
      SUMMIT_ASSIGN_OR_RETURN(p.x, Float(f[1], "point x", pos));
      SUMMIT_ASSIGN_OR_RETURN(p.y, Float(f[2], "point y", pos));
      SUMMIT_ASSIGN_OR_RETURN(p.z, Float(f[3], "point z", pos));
      return Value(p);
    }
    default:
      return Corrupt("unknown structure tag 0x" + HexEncode(ByteView(&tag, 1)), pos);
  }
}

Result<Value> DecodeOne(ByteView data) {
  Decoder d(data);
  SUMMIT_ASSIGN_OR_RETURN(Value v, d.Next());
  if (!d.AtEnd()) return Corrupt("trailing bytes after value", d.position());
  return v;
}

namespace {
bool SameDouble(double a, double b) { return std::bit_cast<uint64_t>(a) == std::bit_cast<uint64_t>(b); }

struct EqVisitor {
  template <typename A, typename B>
  bool operator()(const A&, const B&) const { return false; }
  bool operator()(std::nullptr_t, std::nullptr_t) const { return true; }
  bool operator()(double a, double b) const { return SameDouble(a, b); }
  template <typename A>
    requires(!std::is_same_v<A, double>)
  bool operator()(const A& a, const A& b) const { return a == b; }
};
}  // namespace

bool operator==(const Date& a, const Date& b) { return a.days == b.days; }
bool operator==(const Time& a, const Time& b) {
  return a.nanoseconds == b.nanoseconds && a.tz_offset_seconds == b.tz_offset_seconds;
}
bool operator==(const LocalTime& a, const LocalTime& b) { return a.nanoseconds == b.nanoseconds; }
bool operator==(const DateTime& a, const DateTime& b) {
  return a.seconds == b.seconds && a.nanoseconds == b.nanoseconds && a.tz_offset_seconds == b.tz_offset_seconds;
}
bool operator==(const DateTimeZoneId& a, const DateTimeZoneId& b) {
  return a.seconds == b.seconds && a.nanoseconds == b.nanoseconds && a.tz_id == b.tz_id && a.utc == b.utc;
}
bool operator==(const LocalDateTime& a, const LocalDateTime& b) {
  return a.seconds == b.seconds && a.nanoseconds == b.nanoseconds;
}
bool operator==(const Duration& a, const Duration& b) {
  return a.months == b.months && a.days == b.days && a.seconds == b.seconds && a.nanoseconds == b.nanoseconds;
}
bool operator==(const Point2D& a, const Point2D& b) {
  return a.srid == b.srid && SameDouble(a.x, b.x) && SameDouble(a.y, b.y);
}
bool operator==(const Point3D& a, const Point3D& b) {
  return a.srid == b.srid && SameDouble(a.x, b.x) && SameDouble(a.y, b.y) && SameDouble(a.z, b.z);
}
bool operator==(const Node& a, const Node& b) {
  return a.id == b.id && a.labels == b.labels && a.properties == b.properties && a.element_id == b.element_id;
}
bool operator==(const Relationship& a, const Relationship& b) {
  return a.id == b.id && a.start == b.start && a.end == b.end && a.type == b.type &&
         a.properties == b.properties && a.element_id == b.element_id &&
         a.start_element_id == b.start_element_id && a.end_element_id == b.end_element_id;
}
bool operator==(const UnboundRelationship& a, const UnboundRelationship& b) {
  return a.id == b.id && a.type == b.type && a.properties == b.properties && a.element_id == b.element_id;
}
bool operator==(const Path& a, const Path& b) {
  return a.nodes == b.nodes && a.relationships == b.relationships && a.indices == b.indices;
}

bool Value::operator==(const Value& o) const { return std::visit(EqVisitor{}, v, o.v); }

std::string Value::DebugString() const {
  std::ostringstream s;
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::nullptr_t>) s << "null";
        else if constexpr (std::is_same_v<T, bool>) s << (x ? "true" : "false");
        else if constexpr (std::is_same_v<T, int64_t> || std::is_same_v<T, double>) s << x;
        else if constexpr (std::is_same_v<T, std::string>) s << '"' << x << '"';
        else if constexpr (std::is_same_v<T, List>) {
          s << '[';
          for (size_t i = 0; i < x.size(); ++i) s << (i ? "," : "") << x[i].DebugString();
          s << ']';
        } else if constexpr (std::is_same_v<T, Map>) {
          s << '{';
          bool first = true;
          for (const auto& [k, v] : x) {
            s << (first ? "" : ",") << k << ':' << v.DebugString();
            first = false;
          }
          s << '}';
        } else {
          s << "<struct #" << v.index() << '>';
        }
      },
      v);
  return s.str();
}

}  // namespace summit::sources::neo4j::bolt
