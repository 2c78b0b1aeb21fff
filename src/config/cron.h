// Cron expressions for backup schedules: the classic five fields (minute hour day-of-month
// month day-of-week) with lists, ranges, steps and names (JAN..DEC, SUN..SAT, 7 = Sunday), and
// the @hourly/@daily/@weekly/@monthly/@yearly macros. Times are evaluated in UTC.
//
// As in Vixie cron, when both day-of-month and day-of-week are restricted a day matches if
// either matches. A CronExpr is an immutable value: thread-safe after construction.
#pragma once

#include <bitset>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/result.h"

namespace summit::config {

class CronExpr {
 public:
  // Parses `text`; fails with kInvalidInput naming the bad field and why.
  static Result<CronExpr> Parse(std::string_view text);

  // The first matching minute strictly after `t` (seconds dropped), or nullopt when none
  // exists within the next eight years (e.g. "0 0 30 2 *").
  std::optional<TimePoint> NextAfter(TimePoint t) const;

  // True when the minute containing `t` matches.
  bool Matches(TimePoint t) const;

  const std::string& text() const { return text_; }

 private:
  CronExpr() = default;
  bool DayMatches(int year, unsigned month, unsigned day) const;

  std::string text_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;     // 1..31
  std::bitset<13> months_;   // 1..12
  std::bitset<7> weekdays_;  // 0 = Sunday
  bool dom_restricted_ = false;
  bool dow_restricted_ = false;
};

}  // namespace summit::config
