#include "core/result.h"

#include <gtest/gtest.h>

#include "core/bytes.h"
#include "core/clock.h"

namespace summit {
namespace {

Result<int> Half(int x) {
  if (x % 2 != 0) return Fail(ErrorCode::kInvalidInput, "odd number " + std::to_string(x));
  return x / 2;
}

Result<int> Quarter(int x) {
  SUMMIT_ASSIGN_OR_RETURN_CTX(int h, Half(x), "first half");
  SUMMIT_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

Status CheckEven(int x) {
  SUMMIT_TRY_CTX(Half(x), "checking " + std::to_string(x));
  return Ok();
}

TEST(Result, PropagatesValueAndErrorWithContext) {
  auto ok = Quarter(8);
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(*ok, 2);
  auto bad = Quarter(3);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code(), ErrorCode::kInvalidInput);
  EXPECT_EQ(bad.error().message(), "first half: odd number 3");
  auto bad2 = Quarter(6);
  ASSERT_FALSE(bad2);
  EXPECT_EQ(bad2.error().message(), "odd number 3");
  EXPECT_TRUE(CheckEven(2).has_value());
  EXPECT_EQ(CheckEven(5).error().message(), "checking 5: odd number 5");
}

TEST(Result, ExitCodesDistinguishClasses) {
  EXPECT_EQ(ExitCodeFor(ErrorCode::kInvalidInput), 2);
  EXPECT_NE(ExitCodeFor(ErrorCode::kWrongKey), ExitCodeFor(ErrorCode::kCorruption));
  Error e = Error(ErrorCode::kUnavailable, "postgres at 127.0.0.1:5432 refused").WithHint("start it");
  EXPECT_EQ(e.ToString(), "postgres at 127.0.0.1:5432 refused\nHINT: start it");
}

TEST(Bytes, HexRoundTripAndRejectsGarbage) {
  Bytes b = {0x00, 0x7f, 0xff, 0x10};
  EXPECT_EQ(HexEncode(b), "007fff10");
  EXPECT_EQ(*HexDecode("007FFF10"), b);
  EXPECT_FALSE(HexDecode("0g").has_value());
  EXPECT_FALSE(HexDecode("abc").has_value());
  Bytes le;
  PutU64(le, 0x0102030405060708ULL);
  EXPECT_EQ(GetU64(le.data()), 0x0102030405060708ULL);
  EXPECT_EQ(FormatBytes(1536), "1.5 KiB");
}

TEST(Clock, FormatsAndParsesUtc) {
  TimePoint t;
  ASSERT_TRUE(ParseUtc("2025-01-20T02:13:00Z", &t));
  EXPECT_EQ(FormatCompactUtc(t), "20250120T021300Z");
  EXPECT_EQ(FormatRfc3339(t), "2025-01-20T02:13:00Z");
  TimePoint t2;
  ASSERT_TRUE(ParseUtc("20250120T021300Z", &t2));
  EXPECT_EQ(t, t2);
  ASSERT_TRUE(ParseUtc("2025-01-20T04:13:00+02:00", &t2));
  EXPECT_EQ(t, t2);
  EXPECT_FALSE(ParseUtc("yesterday", &t2));
  EXPECT_FALSE(ParseUtc("2025-13-20T02:13:00Z", &t2));
}

}  // namespace
}  // namespace summit
