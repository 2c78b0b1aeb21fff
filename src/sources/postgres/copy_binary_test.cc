// The COPY text -> binary conversions, value by value. That the server reads back exactly what
// a text COPY would have produced is checked against a real PostgreSQL in
// tests/integration/postgres_logical_test.cc (BinaryCopyLoadsEveryConvertedTypeExactly).
#include "sources/postgres/copy_binary.h"

#include <gtest/gtest.h>

#include <limits>

namespace summit::sources::postgres {
namespace {

using copy_binary::AppendNumeric;
using copy_binary::ParseDateDays;
using copy_binary::ParseTimestampMicros;

std::string Hex(const std::string& bytes) {
  static const char* d = "0123456789abcdef";
  std::string h;
  for (unsigned char c : bytes) {
    h.push_back(d[c >> 4]);
    h.push_back(d[c & 15]);
  }
  return h;
}

std::string Numeric(const std::string& text) {
  std::string out;
  EXPECT_TRUE(AppendNumeric(text, out)) << text;
  return Hex(out);
}

TEST(CopyBinary, TimestampsAreMicrosecondsSince2000Utc) {
  EXPECT_EQ(ParseTimestampMicros("2000-01-01 00:00:00+00"), 0);
  EXPECT_EQ(ParseTimestampMicros("2000-01-01 00:00:00"), 0);  // timestamp without time zone
  EXPECT_EQ(ParseTimestampMicros("2000-01-01 00:00:01.5+00"), 1500000);
  EXPECT_EQ(ParseTimestampMicros("2000-01-01 00:00:00.000001+00"), 1);
  EXPECT_EQ(ParseTimestampMicros("1999-12-31 23:59:59.5+00"), -500000);
  EXPECT_EQ(ParseTimestampMicros("2025-01-20 00:00:00+00"), int64_t{790646400} * 1000000);
  EXPECT_EQ(ParseTimestampMicros("1970-01-01 00:00:00+00"), int64_t{-946684800} * 1000000);
  EXPECT_EQ(ParseTimestampMicros("2000-01-01 05:30:00+05:30"), 0);
  EXPECT_EQ(ParseTimestampMicros("2000-01-01 00:00:00-01"), int64_t{3600} * 1000000);
  EXPECT_EQ(ParseTimestampMicros("2000-01-01 00:00:00+00:00:30"), int64_t{-30} * 1000000);
  EXPECT_EQ(ParseTimestampMicros("0099-03-01 00:00:00+00"), int64_t{-59984582400} * 1000000);
  EXPECT_EQ(ParseTimestampMicros("infinity"), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(ParseTimestampMicros("-infinity"), std::numeric_limits<int64_t>::min());
}

TEST(CopyBinary, TimestampsOutsideTheCaptureFormAreRefused) {
  for (const char* s : {"0044-03-15 00:00:00+00 BC", "2000-02-30 00:00:00+00", "2001-02-29 00:00:00+00",
                        "2000-01-01T00:00:00+00", "2000-01-01 24:00:00+00", "2000-01-01 00:00:00.1234567+00",
                        "2000-01-01 00:00:00 UTC", "2000-1-01 00:00:00+00", "", "2000-01-01 00:00:00+0"}) {
    EXPECT_EQ(ParseTimestampMicros(s), std::nullopt) << s;
  }
}

TEST(CopyBinary, DatesAreDaysSince2000) {
  EXPECT_EQ(ParseDateDays("2000-01-01"), 0);
  EXPECT_EQ(ParseDateDays("1970-01-01"), -10957);
  EXPECT_EQ(ParseDateDays("2000-03-01"), 60);  // 2000 is a leap year
  EXPECT_EQ(ParseDateDays("2024-02-29"), 8825);
  EXPECT_EQ(ParseDateDays("2023-02-29"), std::nullopt);
  EXPECT_EQ(ParseDateDays("0001-01-01 BC"), std::nullopt);
  EXPECT_EQ(ParseDateDays("infinity"), std::numeric_limits<int32_t>::max());
}

TEST(CopyBinary, NumericsAreBase10000Digits) {
  // ndigits, weight, sign, dscale, digits...
  EXPECT_EQ(Numeric("12345.67"), "0003" "0001" "0000" "0002" "0001" "0929" "1a2c");  // 1 2345 6700
  EXPECT_EQ(Numeric("0.05"), "0001" "ffff" "0000" "0002" "01f4");                    // weight -1: 0500
  EXPECT_EQ(Numeric("-7"), "0001" "0000" "4000" "0000" "0007");
  EXPECT_EQ(Numeric("0"), "0000" "ffff" "0000" "0000");
  EXPECT_EQ(Numeric("10000"), "0002" "0001" "0000" "0000" "0001" "0000");
  EXPECT_EQ(Numeric("NaN"), "0000" "0000" "c000" "0000");
  EXPECT_EQ(Numeric("-Infinity"), "0000" "0000" "f000" "0000");
  std::string out;
  for (const char* bad : {"", "-", "1.", ".5", "1e5", "1,5", " 1", "+1"}) {
    EXPECT_FALSE(AppendNumeric(bad, out)) << bad;
  }
}

TEST(CopyBinary, RowsCarryOneLengthPrefixedFieldPerColumn) {
  std::string why;
  auto enc = CopyBinaryEncoder::ForColumnTypes(
      {"bigint", "text", "timestamp with time zone", "jsonb", "uuid", "boolean", "real[]", "bytea", "integer"}, false, &why);
  ASSERT_TRUE(enc) << why;
  std::string out;
  ASSERT_TRUE(enc->AppendRow("-2\ta\\tb\\\\\t2000-01-01 00:00:00+00\t{\"k\": 1}\t"
                             "00112233-4455-6677-8899-aabbccddeeff\tt\t{1,NULL}\t\\\\x00ff\t\\N",
                             out, &why))
      << why;
  EXPECT_EQ(Hex(out),
            "0009"                                          // fields
            "00000008" "fffffffffffffffe"                   // bigint -2
            "00000004" "6109625c"                           // "a\tb\\"
            "00000008" "0000000000000000"                   // timestamptz 0
            "00000009" "01" "7b226b223a20317d"              // jsonb version 1 + text
            "00000010" "00112233445566778899aabbccddeeff"   // uuid
            "00000001" "01"                                 // true
            "00000020" "00000001" "00000001" "000002bc"     // real[]: 1 dim, has nulls, float4
            "00000002" "00000001"                           //   2 elements from 1
            "00000004" "3f800000" "ffffffff"                //   1.0, NULL
            "00000002" "00ff"                               // bytea
            "ffffffff");                                    // NULL
}

TEST(CopyBinary, ValuesWithoutAnExactBinaryFormRefuseTheRowAndLeaveTheOutputAsItWas) {
  std::string why;
  auto enc = CopyBinaryEncoder::ForColumnTypes({"integer", "date"}, false, &why);
  ASSERT_TRUE(enc) << why;
  std::string out = "kept";
  for (const char* line : {"1\t0001-01-01 BC", "99999999999\t2000-01-01", "1", "1\t2000-01-01\t3", "x\t2000-01-01",
                           "1\\\t2000-01-01"}) {
    EXPECT_FALSE(enc->AppendRow(line, out, &why)) << line;
    EXPECT_FALSE(why.empty());
    EXPECT_EQ(out, "kept");
  }
  EXPECT_TRUE(enc->AppendRow("1\t2000-01-01", out, &why)) << why;
  auto uuid = CopyBinaryEncoder::ForColumnTypes({"uuid"}, false, &why);
  ASSERT_TRUE(uuid) << why;
  out = "kept";
  for (const char* bad : {"00112233-4455-6677-8899-aabbccddeefg", "0011223-34455-6677-8899-aabbccddeeff",
                          "00112233-4455-6677-8899-aabbccddeef", "x0112233-4455-6677-8899-aabbccddeeff"}) {
    EXPECT_FALSE(uuid->AppendRow(bad, out, &why)) << bad;
    EXPECT_EQ(out, "kept");
  }
}

TEST(CopyBinary, TablesWithATypeItDoesNotKnowAreLoadedInText) {
  std::string why;
  EXPECT_FALSE(CopyBinaryEncoder::ForColumnTypes({"bigint", "interval"}, false, &why));
  EXPECT_NE(why.find("interval"), std::string::npos);
  EXPECT_FALSE(CopyBinaryEncoder::ForColumnTypes({"vector(8)"}, false, &why)) << "vector without the extension";
  EXPECT_TRUE(CopyBinaryEncoder::ForColumnTypes({"vector(8)", "numeric(12,2)", "timestamp(3) with time zone",
                                                 "character varying(20)", "double precision[]"},
                                                true, &why))
      << why;
  EXPECT_FALSE(CopyBinaryEncoder::ForColumnTypes({"text[]"}, false, &why));
  EXPECT_FALSE(CopyBinaryEncoder::ForColumnTypes({"public.vec8"}, true, &why));
}

TEST(CopyBinary, VectorsAreDimensionsThenFloat4s) {
  std::string why;
  auto enc = CopyBinaryEncoder::ForColumnTypes({"vector(2)"}, true, &why);
  ASSERT_TRUE(enc) << why;
  std::string out;
  ASSERT_TRUE(enc->AppendRow("[1,-2.5]", out, &why)) << why;
  EXPECT_EQ(Hex(out), "0001" "0000000c" "0002" "0000" "3f800000" "c0200000");
  EXPECT_FALSE(enc->AppendRow("[1,NaN]", out, &why));
}

TEST(CopyBinary, StreamStartsWithTheSignatureAndEndsWithMinusOne) {
  std::string out;
  CopyBinaryEncoder::AppendHeader(out);
  CopyBinaryEncoder::AppendTrailer(out);
  EXPECT_EQ(Hex(out), "5047434f50590aff0d0a00" "00000000" "00000000" "ffff");
}

}  // namespace
}  // namespace summit::sources::postgres
