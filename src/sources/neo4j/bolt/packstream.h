// PackStream v1: the binary value encoding of the Bolt protocol (Neo4j 4.4 and 5.x).
//
// Value is a std::variant over every PackStream type and every Bolt structure the client
// meets: graph structures (node, relationship, unbound relationship, path) and the temporal and
// spatial property types. Encode() writes the smallest encoding of each value; Decode() accepts
// every valid width and rejects, with kCorruption, anything truncated, oversized, nested deeper
// than kMaxDepth, or carrying an unknown marker or structure tag (never crashes: fuzzed by
// tests/fuzz/packstream_fuzz.cc).
//
// Date-times travel in two forms. Bolt 5.0+ (and 4.4 with the "utc" patch) sends 'I'/'i' whose
// seconds are UTC; 4.4 without the patch sends legacy 'F'/'f' whose seconds are local wall-clock
// time. The Value keeps what was received (DateTime.seconds is always UTC because the offset is
// known; DateTimeZoneId carries a `utc` flag since converting a zone id needs a tz database).
// EncodeOptions.utc_datetime picks the form to send.
//
// Thread-safety: values and pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/bytes.h"
#include "core/result.h"

namespace summit::sources::neo4j::bolt {

struct Value;
using List = std::vector<Value>;
using Map = std::map<std::string, Value>;

struct Node {
  int64_t id = 0;
  std::vector<std::string> labels;
  Map properties;
  std::string element_id;  // Bolt 5.0+ only
};

struct Relationship {
  int64_t id = 0;
  int64_t start = 0;
  int64_t end = 0;
  std::string type;
  Map properties;
  std::string element_id, start_element_id, end_element_id;  // Bolt 5.0+ only
};

struct UnboundRelationship {
  int64_t id = 0;
  std::string type;
  Map properties;
  std::string element_id;
};

struct Path {
  std::vector<Node> nodes;
  std::vector<UnboundRelationship> relationships;
  std::vector<int64_t> indices;
};

struct Date {
  int64_t days = 0;  // since 1970-01-01
};
struct Time {
  int64_t nanoseconds = 0;  // since midnight, local
  int64_t tz_offset_seconds = 0;
};
struct LocalTime {
  int64_t nanoseconds = 0;
};
struct DateTime {        // with a fixed offset
  int64_t seconds = 0;   // since the epoch, UTC
  int64_t nanoseconds = 0;
  int64_t tz_offset_seconds = 0;
};
struct DateTimeZoneId {  // with a named zone ("Europe/Paris")
  int64_t seconds = 0;   // UTC when `utc`, else local wall-clock (legacy 'f')
  int64_t nanoseconds = 0;
  std::string tz_id;
  bool utc = true;
};
struct LocalDateTime {
  int64_t seconds = 0;  // since the epoch, wall clock
  int64_t nanoseconds = 0;
};
struct Duration {
  int64_t months = 0, days = 0, seconds = 0, nanoseconds = 0;
};
struct Point2D {
  int64_t srid = 0;
  double x = 0, y = 0;
};
struct Point3D {
  int64_t srid = 0;
  double x = 0, y = 0, z = 0;
};

struct Value {
  using Variant = std::variant<std::nullptr_t, bool, int64_t, double, std::string, Bytes, List, Map, Node,
                               Relationship, UnboundRelationship, Path, Date, Time, LocalTime, DateTime,
                               DateTimeZoneId, LocalDateTime, Duration, Point2D, Point3D>;
  Variant v;

  Value() : v(nullptr) {}
  Value(std::nullptr_t) : v(nullptr) {}                 // NOLINT
  Value(bool b) : v(b) {}                               // NOLINT
  Value(int i) : v(int64_t{i}) {}                       // NOLINT
  Value(int64_t i) : v(i) {}                            // NOLINT
  Value(double d) : v(d) {}                             // NOLINT
  Value(const char* s) : v(std::string(s)) {}           // NOLINT
  Value(std::string s) : v(std::move(s)) {}             // NOLINT
  template <typename T>
    requires(!std::is_same_v<std::decay_t<T>, Value> && std::is_constructible_v<Variant, T &&> &&
             !std::is_arithmetic_v<std::decay_t<T>> && !std::is_convertible_v<T &&, std::string>)
  Value(T&& t) : v(std::forward<T>(t)) {}  // NOLINT

  template <typename T>
  bool Is() const { return std::holds_alternative<T>(v); }
  template <typename T>
  const T& As() const { return std::get<T>(v); }
  template <typename T>
  T& As() { return std::get<T>(v); }
  template <typename T>
  const T* If() const { return std::get_if<T>(&v); }

  bool operator==(const Value& o) const;
  // A short debugging rendering (never used for data).
  std::string DebugString() const;
};

bool operator==(const Date& a, const Date& b);
bool operator==(const Time& a, const Time& b);
bool operator==(const LocalTime& a, const LocalTime& b);
bool operator==(const DateTime& a, const DateTime& b);
bool operator==(const DateTimeZoneId& a, const DateTimeZoneId& b);
bool operator==(const LocalDateTime& a, const LocalDateTime& b);
bool operator==(const Duration& a, const Duration& b);
bool operator==(const Point2D& a, const Point2D& b);  // bitwise on coordinates (NaN == NaN)
bool operator==(const Point3D& a, const Point3D& b);
bool operator==(const Node& a, const Node& b);
bool operator==(const Relationship& a, const Relationship& b);
bool operator==(const UnboundRelationship& a, const UnboundRelationship& b);
bool operator==(const Path& a, const Path& b);

struct EncodeOptions {
  bool utc_datetime = true;  // 'I'/'i' (Bolt 5 or 4.4+utc patch); false: legacy 'F'/'f'
};

// Appends the encoding of `value`. Graph structures (node, relationship, path) are encoded
// too (tests and fuzzing need them) although a server never accepts them as parameters.
void Encode(const Value& value, Bytes& out, const EncodeOptions& options = {});

// Structure with explicit tag and fields, for Bolt messages (HELLO is tag 0x01 with one map).
void EncodeStructHeader(uint8_t tag, size_t fields, Bytes& out);

inline constexpr int kMaxDepth = 64;

// Decodes values one after another from a buffer.
class Decoder {
 public:
  explicit Decoder(ByteView data) : data_(data) {}
  // The next value; kCorruption on malformed input.
  Result<Value> Next();
  // A structure header: its tag and field count (messages are structures).
  Result<std::pair<uint8_t, size_t>> NextStructHeader();
  bool AtEnd() const { return pos_ >= data_.size(); }
  size_t position() const { return pos_; }

 private:
  Result<Value> Read(int depth);
  Result<Value> ReadStruct(size_t fields, int depth);
  Status Need(size_t n) const;
  uint8_t U8() { return data_[pos_++]; }
  uint64_t BigEndian(size_t n);
  Result<size_t> Size(uint8_t marker, uint8_t tiny_base, uint8_t wide_base);

  ByteView data_;
  size_t pos_ = 0;
};

// Decodes exactly one value filling the whole buffer.
Result<Value> DecodeOne(ByteView data);

}  // namespace summit::sources::neo4j::bolt
