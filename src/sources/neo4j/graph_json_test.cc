#include "sources/neo4j/graph_json.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "io/stream.h"
#include "sources/neo4j/neo4j.h"

namespace summit::sources::neo4j {
namespace {

using bolt::Value;
using json = nlohmann::json;

json J(const Value& v) {
  auto r = ToJson(v);
  EXPECT_TRUE(r.has_value()) << r.error().ToString();
  return r.has_value() ? *r : json();
}

Value V(const json& j) {
  auto r = FromJson(j);
  EXPECT_TRUE(r.has_value()) << r.error().ToString();
  return r.has_value() ? *r : Value();
}

TEST(GraphJson, TypedWrappersHaveTheDocumentedText) {
  EXPECT_EQ(J(Value(bolt::Date{DaysFromCivil(2025, 1, 20)})).dump(), R"({"$date":"2025-01-20"})");
  EXPECT_EQ(J(Value(bolt::LocalTime{36000LL * 1000000000})).dump(), R"({"$localtime":"10:00:00"})");
  EXPECT_EQ(J(Value(bolt::Time{36000LL * 1000000000 + 5, 3600})).dump(), R"({"$time":"10:00:00.000000005+01:00"})");
  EXPECT_EQ(J(Value(bolt::Time{0, -(5 * 3600 + 30 * 60 + 15)})).dump(), R"({"$time":"00:00:00-05:30:15"})");
  // 2025-01-20T09:00:00Z is 1737363600.
  EXPECT_EQ(J(Value(bolt::DateTime{1737363600, 0, 3600})).dump(), R"({"$datetime":"2025-01-20T10:00:00+01:00"})");
  EXPECT_EQ(J(Value(bolt::DateTimeZoneId{1737363600, 500000000, "Europe/Paris", true})).dump(),
            R"({"$datetime":"2025-01-20T09:00:00.500000000Z[Europe/Paris]"})");
  EXPECT_EQ(J(Value(bolt::LocalDateTime{-1, 0})).dump(), R"({"$localdatetime":"1969-12-31T23:59:59"})");
  EXPECT_EQ(J(Value(bolt::Date{DaysFromCivil(-1, 1, 1)})).dump(), R"({"$date":"-0001-01-01"})");
  EXPECT_EQ(J(Value(bolt::Date{DaysFromCivil(12345, 6, 7)})).dump(), R"({"$date":"+12345-06-07"})");
  EXPECT_EQ(J(Value(Bytes{0, 1, 2, 255})).dump(), R"({"$bytes":"AAEC/w=="})");
  EXPECT_EQ(J(Value(bolt::Point2D{4326, 2.5, 48.0})).dump(), R"({"$point":{"srid":4326,"x":2.5,"y":48.0}})");
  EXPECT_EQ(J(Value(int64_t{1} << 53)).dump(), "9007199254740992");
  EXPECT_EQ(J(Value((int64_t{1} << 53) + 1)).dump(), R"({"$int":"9007199254740993"})");
  EXPECT_EQ(J(Value(1.0)).dump(), "1.0");
  EXPECT_EQ(J(Value(std::nan(""))).dump(), R"({"$float":"NaN"})");
}

TEST(GraphJson, EveryPropertyTypeRoundTripsExactly) {
  const Value values[] = {
      Value(nullptr),
      Value(true),
      Value(int64_t{0}),
      Value(std::numeric_limits<int64_t>::min()),
      Value(std::numeric_limits<int64_t>::max()),
      Value(-(int64_t{1} << 53)),
      Value(0.1),
      Value(-0.0),
      Value(1e300),
      Value(5e-324),
      Value(std::numeric_limits<double>::infinity()),
      Value(-std::numeric_limits<double>::infinity()),
      Value(std::string("tab\there \"quoted\" \xc3\xa9\xe2\x82\xac")),
      Value(Bytes{}),
      Value(Bytes{1, 2, 3, 4, 5}),
      Value(bolt::List{Value("a"), Value("b")}),
      Value(bolt::List{Value(bolt::Date{3}), Value(bolt::Date{-3})}),
      Value(bolt::Date{0}),
      Value(bolt::Date{DaysFromCivil(-999999, 1, 1)}),
      Value(bolt::Time{86399999999999LL, -64800}),
      Value(bolt::LocalTime{1}),
      Value(bolt::DateTime{-86401, 999999999, 50400}),
      Value(bolt::DateTimeZoneId{1737363600, 1, "America/New_York", true}),
      Value(bolt::DateTimeZoneId{1737363600, 0, "Europe/Paris", false}),
      Value(bolt::LocalDateTime{253402300799, 123}),
      Value(bolt::Duration{-14, 3, -3600, 999999999}),
      Value(bolt::Point2D{7203, -1.25, 3e-10}),
      Value(bolt::Point3D{4979, 2.35, 48.85, 35.5}),
  };
  for (const auto& v : values) {
    json j = J(v);
    // Through text too: what is written to nodes.jsonl must read back the same.
    json reparsed = json::parse(j.dump());
    EXPECT_TRUE(V(reparsed) == v) << j.dump();
    EXPECT_EQ(J(V(reparsed)), j);
  }
}

TEST(GraphJson, FloatsNeverReadBackAsIntegers) {
  Value v = V(json::parse(J(Value(3.0)).dump()));
  EXPECT_TRUE(v.Is<double>());
  v = V(json::parse(J(Value(1e21)).dump()));
  EXPECT_TRUE(v.Is<double>());
}

TEST(GraphJson, MalformedWrappersAreInvalidInput) {
  for (const char* bad : {R"({"$date":"2025-13-01"})", R"({"$date":"2025-01-01T"})", R"({"$time":"10:00:00"})",
                          R"({"$bytes":"abc"})", R"({"$unknown":1})", R"({"$int":"12x"})", R"({"a":1,"b":2})",
                          R"({"$point":{"x":1,"y":2}})", R"({"$datetime":"2025-01-01T00:00:00[]"})",
                          R"({"$duration":{"months":1}})"}) {
    auto r = FromJson(json::parse(bad));
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().code(), ErrorCode::kInvalidInput) << bad;
  }
}

TEST(GraphJson, CivilCalendarMatchesKnownDays) {
  EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(DaysFromCivil(2000, 3, 1), 11017);
  EXPECT_EQ(DaysFromCivil(1969, 12, 31), -1);
  for (int64_t d = -800000; d < 800000; d += 997) {
    int64_t y;
    unsigned m, dd;
    CivilFromDays(d, y, m, dd);
    EXPECT_EQ(DaysFromCivil(y, m, dd), d);
  }
}

// A capture written by hand: its fingerprint does not depend on line order or internal ids.
TEST(GraphJson, CaptureFingerprintIgnoresOrderAndIds) {
  auto make = [](const std::string& dir, bool swapped) {
    DirCaptureWriter w(dir);
    auto n = w.OpenStream("nodes.jsonl");
    std::string a = R"({"id":1,"labels":["User"],"props":{"uid":"u1","since":{"$date":"2025-01-20"}}})" "\n";
    std::string b = R"({"id":2,"labels":["Entity","Classified"],"props":{"uid":"e1","score":0.5}})" "\n";
    std::string a2 = R"({"id":7,"labels":["User"],"props":{"since":{"$date":"2025-01-20"},"uid":"u1"}})" "\n";
    std::string b2 = R"({"id":9,"labels":["Classified","Entity"],"props":{"score":0.5,"uid":"e1"}})" "\n";
    EXPECT_TRUE((*n)->Write(swapped ? b2 + a2 : a + b).has_value());
    EXPECT_TRUE((*n)->Close().has_value());
    auto r = w.OpenStream("relationships.jsonl");
    EXPECT_TRUE((*r)->Write(swapped ? std::string(R"({"id":5,"type":"FLAGGED","start":7,"end":9,"props":{}})" "\n")
                                    : std::string(R"({"id":1,"type":"FLAGGED","start":1,"end":2,"props":{}})" "\n"))
                    .has_value());
    EXPECT_TRUE((*r)->Close().has_value());
    EXPECT_TRUE(w.Finish().has_value());
  };
  std::string base = ::testing::TempDir() + "/graph_json_fp_" + std::to_string(::getpid());
  make(base + "a", false);
  make(base + "b", true);
  auto ra = DirCaptureReader::Open(base + "a");
  auto rb = DirCaptureReader::Open(base + "b");
  ASSERT_TRUE(ra.has_value() && rb.has_value());
  auto fa = FingerprintCapture(**ra);
  auto fb = FingerprintCapture(**rb);
  ASSERT_TRUE(fa.has_value()) << fa.error().ToString();
  ASSERT_TRUE(fb.has_value()) << fb.error().ToString();
  EXPECT_EQ(*fa, *fb);
  EXPECT_EQ(fa->nodes_by_labels.at("Classified:Entity"), 1u);
  EXPECT_EQ(fa->relationships_by_type.at("FLAGGED"), 1u);
}

}  // namespace
}  // namespace summit::sources::neo4j
