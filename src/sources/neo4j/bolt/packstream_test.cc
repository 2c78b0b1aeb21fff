#include "sources/neo4j/bolt/packstream.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

namespace summit::sources::neo4j::bolt {
namespace {

Bytes Enc(const Value& v, EncodeOptions o = {}) {
  Bytes b;
  Encode(v, b, o);
  return b;
}

std::string Hex(const Value& v) { return HexEncode(Enc(v)); }

Value RoundTrip(const Value& v, EncodeOptions o = {}) {
  auto r = DecodeOne(Enc(v, o));
  EXPECT_TRUE(r.has_value()) << r.error().ToString();
  return r.has_value() ? *r : Value();
}

TEST(PackStream, ScalarsUseTheSpecMarkers) {
  EXPECT_EQ(Hex(nullptr), "c0");
  EXPECT_EQ(Hex(true), "c3");
  EXPECT_EQ(Hex(false), "c2");
  EXPECT_EQ(Hex(1.1), "c13ff199999999999a");
  EXPECT_EQ(Hex(std::string("a")), "8161");
  EXPECT_EQ(Hex(std::string()), "80");
}

TEST(PackStream, IntegersUseTheSmallestWidthAtEveryBoundary) {
  struct Case {
    int64_t v;
    std::string hex;
  };
  const Case cases[] = {
      {0, "00"},
      {127, "7f"},
      {-16, "f0"},
      {-1, "ff"},
      {-17, "c8ef"},
      {-128, "c880"},
      {128, "c90080"},
      {-129, "c9ff7f"},
      {32767, "c97fff"},
      {-32768, "c98000"},
      {32768, "ca00008000"},
      {-32769, "caffff7fff"},
      {2147483647, "ca7fffffff"},
      {-2147483648LL, "ca80000000"},
      {2147483648LL, "cb0000000080000000"},
      {-2147483649LL, "cbffffffff7fffffff"},
      {std::numeric_limits<int64_t>::max(), "cb7fffffffffffffff"},
      {std::numeric_limits<int64_t>::min(), "cb8000000000000000"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(Hex(c.v), c.hex) << c.v;
    EXPECT_EQ(RoundTrip(c.v).As<int64_t>(), c.v);
  }
}

TEST(PackStream, DecoderAcceptsNonMinimalIntegerWidths) {
  // 1 written as INT_64 is still 1: servers and other drivers may not pick the smallest width.
  auto r = DecodeOne(*HexDecode("cb0000000000000001"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->As<int64_t>(), 1);
  r = DecodeOne(*HexDecode("c9ffff"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->As<int64_t>(), -1);
}

TEST(PackStream, SizedValuesSwitchHeaderAtEveryBoundary) {
  for (size_t n : {size_t{0}, size_t{15}, size_t{16}, size_t{255}, size_t{256}, size_t{65535}, size_t{65536}}) {
    std::string s(n, 'x');
    Bytes enc = Enc(Value(s));
    uint8_t expect = n < 16 ? static_cast<uint8_t>(0x80 | n) : n <= 0xFF ? 0xD0 : n <= 0xFFFF ? 0xD1 : 0xD2;
    EXPECT_EQ(enc[0], expect) << n;
    EXPECT_EQ(RoundTrip(Value(s)).As<std::string>(), s);

    List l(n, Value(int64_t{1}));
    Bytes le = Enc(Value(l));
    uint8_t lexpect = n < 16 ? static_cast<uint8_t>(0x90 | n) : n <= 0xFF ? 0xD4 : n <= 0xFFFF ? 0xD5 : 0xD6;
    EXPECT_EQ(le[0], lexpect) << n;
    EXPECT_EQ(RoundTrip(Value(l)).As<List>().size(), n);

    Bytes b(n, 7);
    Bytes be = Enc(Value(b));
    uint8_t bexpect = n <= 0xFF ? 0xCC : n <= 0xFFFF ? 0xCD : 0xCE;
    EXPECT_EQ(be[0], bexpect) << n;
    EXPECT_EQ(RoundTrip(Value(b)).As<Bytes>(), b);
  }
  Map m;
  for (int i = 0; i < 300; ++i) m["k" + std::to_string(i)] = Value(int64_t{i});
  Bytes me = Enc(Value(m));
  EXPECT_EQ(me[0], 0xD9);  // 300 entries: MAP_16
  EXPECT_EQ(RoundTrip(Value(m)), Value(m));
}

TEST(PackStream, FloatsRoundTripBitForBit) {
  for (double d : {0.0, -0.0, 1.0 / 3, 1e308, -5e-324, std::numeric_limits<double>::infinity(),
                   std::numeric_limits<double>::quiet_NaN()}) {
    Value v = RoundTrip(Value(d));
    EXPECT_TRUE(v == Value(d)) << d;
  }
}

TEST(PackStream, EveryStructureRoundTrips) {
  Node n{42, {"User", "Classified"}, Map{{"name", Value("x")}}, "4:abc:42"};
  Relationship r{7, 42, 43, "OWNS", Map{{"since", Value(Date{20000})}}, "5:abc:7", "4:abc:42", "4:abc:43"};
  UnboundRelationship u{7, "OWNS", Map{}, "5:abc:7"};
  Path p{{n, n}, {u}, {1, 1}};
  const Value values[] = {
      Value(n),
      Value(r),
      Value(u),
      Value(p),
      Value(Date{-719528}),
      Value(Time{3600LL * 1000000000 + 5, 3600}),
      Value(LocalTime{86399999999999LL}),
      Value(DateTime{1737331200, 123456789, -18000}),
      Value(DateTimeZoneId{1737331200, 1, "Europe/Paris", true}),
      Value(DateTimeZoneId{1737331200, 1, "Europe/Paris", false}),
      Value(LocalDateTime{-1, 999999999}),
      Value(Duration{14, -3, 3600, 5}),
      Value(Point2D{4326, 2.35, 48.85}),
      Value(Point3D{9157, 1.5, -2.5, 1e9}),
      Value(List{Value(Date{1}), Value(nullptr), Value(Map{{"a", Value(Bytes{1, 2})}})}),
  };
  for (const auto& v : values) {
    EXPECT_TRUE(RoundTrip(v) == v) << v.DebugString();
  }
}

TEST(PackStream, DateTimeUsesUtcOrLegacyFormAsNegotiated) {
  DateTime dt{1000, 5, 3600};
  Bytes utc = Enc(Value(dt), EncodeOptions{true});
  Bytes legacy = Enc(Value(dt), EncodeOptions{false});
  EXPECT_EQ(utc[1], 0x49);     // 'I'
  EXPECT_EQ(legacy[1], 0x46);  // 'F'
  EXPECT_EQ(legacy[2], 0xC9);  // legacy seconds are local: 1000 + 3600 = 4600 (INT_16)
  // Both decode to the same instant.
  EXPECT_TRUE(*DecodeOne(utc) == Value(dt));
  EXPECT_TRUE(*DecodeOne(legacy) == Value(dt));
  Bytes zoned = Enc(Value(DateTimeZoneId{1, 0, "UTC", false}));
  EXPECT_EQ(zoned[1], 0x66);  // 'f'
}

TEST(PackStream, MalformedInputIsCorruptionNotACrash) {
  const char* bad[] = {
      "",                  // empty
      "d1ff",              // string of 65535 bytes, 0 present
      "c9ff",              // truncated INT_16
      "c1000000",          // truncated float
      "9301",              // list of 3 with 1 element
      "a101",              // map with a non-string key
      "c4",                // reserved marker
      "b17a01",            // unknown structure tag 'z'
      "b14401ff",          // Date with 1 field, then trailing byte
      "b2440101",          // Date with 2 fields
      "b3580101c13ff0000000000000",  // point with integer x
      "d6ffffffff",        // list claiming 4G elements
      "daffffffff",        // map claiming 4G entries
      "ceffffffff",        // bytes claiming 4G
  };
  for (const char* h : bad) {
    auto r = DecodeOne(*HexDecode(h));
    ASSERT_FALSE(r.has_value()) << h;
    EXPECT_EQ(r.error().code(), ErrorCode::kCorruption) << h;
  }
}

TEST(PackStream, DeepNestingIsRejected) {
  Bytes b(kMaxDepth + 10, 0x91);  // lists of one list of one list ...
  b.push_back(0x01);
  auto r = DecodeOne(b);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("nested"), std::string::npos);
}

}  // namespace
}  // namespace summit::sources::neo4j::bolt
