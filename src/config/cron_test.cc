#include "config/cron.h"

#include <gtest/gtest.h>

namespace summit::config {
namespace {

TimePoint At(const char* rfc3339) {
  TimePoint t;
  EXPECT_TRUE(ParseUtc(rfc3339, &t)) << rfc3339;
  return t;
}

std::string Next(const char* expr, const char* after) {
  auto c = CronExpr::Parse(expr);
  EXPECT_TRUE(c.has_value()) << expr << ": " << (c ? "" : c.error().ToString());
  if (!c) return "parse error";
  auto n = c->NextAfter(At(after));
  return n ? FormatRfc3339(*n) : "none";
}

TEST(Cron, DailyAtTwoRunsAtTwoUtcNextDayWhenPast) {
  EXPECT_EQ(Next("0 2 * * *", "2025-01-20T01:59:59Z"), "2025-01-20T02:00:00Z");
  EXPECT_EQ(Next("0 2 * * *", "2025-01-20T02:00:00Z"), "2025-01-21T02:00:00Z");
  EXPECT_EQ(Next("0 2 * * *", "2025-12-31T03:00:00Z"), "2026-01-01T02:00:00Z");
}

TEST(Cron, StepsEverySixAndFourHours) {
  EXPECT_EQ(Next("0 */6 * * *", "2025-01-20T06:00:00Z"), "2025-01-20T12:00:00Z");
  EXPECT_EQ(Next("0 */6 * * *", "2025-01-20T19:30:00Z"), "2025-01-21T00:00:00Z");
  EXPECT_EQ(Next("0 */4 * * *", "2025-01-20T05:00:00Z"), "2025-01-20T08:00:00Z");
  EXPECT_EQ(Next("0 * * * *", "2025-01-20T05:00:30Z"), "2025-01-20T06:00:00Z");
}

TEST(Cron, RangesListsAndStartStep) {
  EXPECT_EQ(Next("15,45 9-17 * * *", "2025-01-20T17:46:00Z"), "2025-01-21T09:15:00Z");
  EXPECT_EQ(Next("5/20 * * * *", "2025-01-20T10:26:00Z"), "2025-01-20T10:45:00Z");
  EXPECT_EQ(Next("0 0 1-10/3 * *", "2025-01-02T00:00:00Z"), "2025-01-04T00:00:00Z");
}

TEST(Cron, NamesForMonthsAndWeekdays) {
  // 2025-01-20 is a Monday.
  EXPECT_EQ(Next("30 3 * * sat", "2025-01-20T00:00:00Z"), "2025-01-25T03:30:00Z");
  EXPECT_EQ(Next("0 0 1 FEB *", "2025-01-20T00:00:00Z"), "2025-02-01T00:00:00Z");
  EXPECT_EQ(Next("0 0 * * 7", "2025-01-20T00:00:00Z"), "2025-01-26T00:00:00Z");  // 7 = Sunday
  EXPECT_EQ(Next("0 0 * * MON-FRI", "2025-01-24T12:00:00Z"), "2025-01-27T00:00:00Z");
}

TEST(Cron, DayOfMonthOrDayOfWeekWhenBothRestricted) {
  // Vixie cron: the 15th OR any Sunday.
  EXPECT_EQ(Next("0 0 15 * SUN", "2025-01-20T00:00:00Z"), "2025-01-26T00:00:00Z");
  EXPECT_EQ(Next("0 0 15 * SUN", "2025-02-10T00:00:00Z"), "2025-02-15T00:00:00Z");
}

TEST(Cron, LeapDayAndImpossibleDates) {
  EXPECT_EQ(Next("0 0 29 2 *", "2025-03-01T00:00:00Z"), "2028-02-29T00:00:00Z");
  EXPECT_EQ(Next("0 0 30 2 *", "2025-03-01T00:00:00Z"), "none");
  EXPECT_EQ(Next("0 0 31 * *", "2025-04-01T00:00:00Z"), "2025-05-31T00:00:00Z");
}

TEST(Cron, MacrosExpand) {
  EXPECT_EQ(Next("@hourly", "2025-01-20T05:10:00Z"), "2025-01-20T06:00:00Z");
  EXPECT_EQ(Next("@daily", "2025-01-20T05:10:00Z"), "2025-01-21T00:00:00Z");
}

TEST(Cron, MatchesIgnoresSeconds) {
  auto c = CronExpr::Parse("0 2 * * *");
  ASSERT_TRUE(c.has_value());
  EXPECT_TRUE(c->Matches(At("2025-01-20T02:00:59Z")));
  EXPECT_FALSE(c->Matches(At("2025-01-20T02:01:00Z")));
}

TEST(Cron, RejectsMalformedExpressionsWithTheField) {
  struct Case { const char* expr; const char* needle; };
  for (auto [expr, needle] : {Case{"0 2 * *", "4 fields"}, Case{"60 * * * *", "minute"}, Case{"0 24 * * *", "hour"},
                              Case{"0 0 0 * *", "day of month"}, Case{"0 0 * 13 *", "month"}, Case{"0 0 * * 8", "day of week"},
                              Case{"*/0 * * * *", "step"}, Case{"0 5-2 * * *", "backwards"}, Case{"0 0 * FOO *", "FOO"},
                              Case{"@sometimes", "macro"}, Case{"0 0 1,,2 * *", "empty"}, Case{"a * * * *", "minute"}}) {
    auto c = CronExpr::Parse(expr);
    ASSERT_FALSE(c.has_value()) << expr;
    EXPECT_NE(c.error().message().find(needle), std::string::npos) << expr << " -> " << c.error().message();
    EXPECT_EQ(c.error().code(), ErrorCode::kInvalidInput);
  }
}

}  // namespace
}  // namespace summit::config
