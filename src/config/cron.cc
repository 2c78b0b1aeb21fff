#include "config/cron.h"

#include <array>
#include <cctype>
#include <charconv>
#include <chrono>
#include <vector>

namespace summit::config {
namespace {

struct FieldSpec {
  const char* name;
  int min;
  int max;
  const char* const* names;  // optional names for values min.., nullptr when none
  int names_base;
};

constexpr const char* kMonthNames[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                       "JUL", "AUG", "SEP", "OCT", "NOV", "DEC", nullptr};
constexpr const char* kDayNames[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", nullptr};

constexpr std::array<FieldSpec, 5> kFields = {{
    {"minute", 0, 59, nullptr, 0},
    {"hour", 0, 23, nullptr, 0},
    {"day of month", 1, 31, nullptr, 0},
    {"month", 1, 12, kMonthNames, 1},
    {"day of week", 0, 7, kDayNames, 0},
}};

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t p = s.find(sep, start);
    out.push_back(s.substr(start, p == std::string_view::npos ? std::string_view::npos : p - start));
    if (p == std::string_view::npos) break;
    start = p + 1;
  }
  return out;
}

Result<int> ParseValue(std::string_view tok, const FieldSpec& f) {
  if (tok.empty()) return Fail(ErrorCode::kInvalidInput, std::string("empty value in the ") + f.name + " field");
  if (std::isalpha(static_cast<unsigned char>(tok[0]))) {
    if (f.names != nullptr && tok.size() == 3) {
      std::string up;
      for (char c : tok) up.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
      for (int i = 0; f.names[i] != nullptr; ++i) {
        if (up == f.names[i]) return i + f.names_base;
      }
    }
    return Fail(ErrorCode::kInvalidInput,
                "unknown name '" + std::string(tok) + "' in the " + f.name + " field");
  }
  int v = 0;
  auto [p, ec] = std::from_chars(tok.data(), tok.data() + tok.size(), v);
  if (ec != std::errc() || p != tok.data() + tok.size()) {
    return Fail(ErrorCode::kInvalidInput, "'" + std::string(tok) + "' is not a number in the " + f.name + " field");
  }
  if (v < f.min || v > f.max) {
    return Fail(ErrorCode::kInvalidInput, std::to_string(v) + " is out of range " + std::to_string(f.min) + "-" +
                                              std::to_string(f.max) + " in the " + f.name + " field");
  }
  return v;
}

// Sets the bits of `out` (indexed by value) for one field; returns whether it was '*'-only.
Result<bool> ParseField(std::string_view field, const FieldSpec& f, std::vector<bool>& out) {
  out.assign(f.max + 1, false);
  bool star_only = true;
  for (std::string_view item : Split(field, ',')) {
    if (item.empty()) return Fail(ErrorCode::kInvalidInput, std::string("empty list item in the ") + f.name + " field");
    int step = 1;
    std::string_view range = item;
    if (size_t slash = item.find('/'); slash != std::string_view::npos) {
      std::string_view st = item.substr(slash + 1);
      auto [p, ec] = std::from_chars(st.data(), st.data() + st.size(), step);
      if (st.empty() || ec != std::errc() || p != st.data() + st.size() || step <= 0) {
        return Fail(ErrorCode::kInvalidInput, "bad step '" + std::string(st) + "' in the " + f.name + " field");
      }
      range = item.substr(0, slash);
    }
    int lo = f.min, hi = f.max;
    if (range == "*") {
      if (step != 1) star_only = false;
    } else {
      star_only = false;
      size_t dash = range.find('-');
      if (dash == std::string_view::npos) {
        SUMMIT_ASSIGN_OR_RETURN(lo, ParseValue(range, f));
        hi = (item.find('/') != std::string_view::npos) ? f.max : lo;  // "5/15" means 5-max/15
      } else {
        SUMMIT_ASSIGN_OR_RETURN(lo, ParseValue(range.substr(0, dash), f));
        SUMMIT_ASSIGN_OR_RETURN(hi, ParseValue(range.substr(dash + 1), f));
        if (hi < lo) {
          return Fail(ErrorCode::kInvalidInput, "range '" + std::string(range) + "' runs backwards in the " + f.name + " field");
        }
      }
    }
    for (int v = lo; v <= hi; v += step) out[v] = true;
  }
  return star_only;
}

// Days since 1970-01-01 for a civil date (Howard Hinnant's algorithm via <chrono>).
std::chrono::sys_days ToDays(int y, unsigned m, unsigned d) {
  return std::chrono::sys_days(std::chrono::year(y) / std::chrono::month(m) / std::chrono::day(d));
}

}  // namespace

Result<CronExpr> CronExpr::Parse(std::string_view text) {
  std::string_view t = text;
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.front()))) t.remove_prefix(1);
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.remove_suffix(1);
  std::string expanded(t);
  if (t == "@yearly" || t == "@annually") expanded = "0 0 1 1 *";
  else if (t == "@monthly") expanded = "0 0 1 * *";
  else if (t == "@weekly") expanded = "0 0 * * 0";
  else if (t == "@daily" || t == "@midnight") expanded = "0 0 * * *";
  else if (t == "@hourly") expanded = "0 * * * *";
  else if (!t.empty() && t[0] == '@') {
    return Fail(ErrorCode::kInvalidInput, "unknown cron macro '" + std::string(t) + "'",
                "use @hourly, @daily, @weekly, @monthly, @yearly or five fields");
  }
  std::vector<std::string_view> fields;
  std::string_view rest = expanded;
  while (!rest.empty()) {
    size_t b = 0;
    while (b < rest.size() && std::isspace(static_cast<unsigned char>(rest[b]))) ++b;
    size_t e = b;
    while (e < rest.size() && !std::isspace(static_cast<unsigned char>(rest[e]))) ++e;
    if (e > b) fields.push_back(rest.substr(b, e - b));
    rest.remove_prefix(e);
  }
  if (fields.size() != 5) {
    return Fail(ErrorCode::kInvalidInput,
                "cron expression '" + std::string(t) + "' has " + std::to_string(fields.size()) + " fields, expected 5",
                "write minute hour day-of-month month day-of-week, e.g. \"0 2 * * *\" for 02:00 UTC daily");
  }
  CronExpr c;
  c.text_ = std::string(t);
  std::vector<bool> bits;
  for (size_t i = 0; i < 5; ++i) {
    auto star = ParseField(fields[i], kFields[i], bits);
    if (!star) return Fail(std::move(star).error().Context("cron expression '" + std::string(t) + "'"));
    for (int v = kFields[i].min; v <= kFields[i].max; ++v) {
      if (!bits[v]) continue;
      switch (i) {
        case 0: c.minutes_.set(v); break;
        case 1: c.hours_.set(v); break;
        case 2: c.days_.set(v); break;
        case 3: c.months_.set(v); break;
        case 4: c.weekdays_.set(v % 7); break;
      }
    }
    if (i == 2) c.dom_restricted_ = !*star;
    if (i == 4) c.dow_restricted_ = !*star;
  }
  return c;
}

bool CronExpr::DayMatches(int year, unsigned month, unsigned day) const {
  if (!months_.test(month)) return false;
  std::chrono::weekday wd{ToDays(year, month, day)};
  bool dom = days_.test(day);
  bool dow = weekdays_.test(wd.c_encoding());
  if (dom_restricted_ && dow_restricted_) return dom || dow;
  return dom && dow;
}

bool CronExpr::Matches(TimePoint t) const {
  using namespace std::chrono;
  auto mins = floor<minutes>(t);
  auto day = floor<days>(mins);
  year_month_day ymd{day};
  hh_mm_ss<minutes> hms{mins - day};
  return DayMatches(int(ymd.year()), unsigned(ymd.month()), unsigned(ymd.day())) &&
         hours_.test(hms.hours().count()) && minutes_.test(hms.minutes().count());
}

std::optional<TimePoint> CronExpr::NextAfter(TimePoint t) const {
  using namespace std::chrono;
  auto start = floor<minutes>(t) + minutes(1);
  auto day = floor<days>(start);
  minutes first_minute = start - day;
  // At most eight years of days: covers Feb 29 schedules on leap years.
  for (int i = 0; i < 366 * 8 + 2; ++i, day += days(1), first_minute = minutes(0)) {
    year_month_day ymd{day};
    if (!DayMatches(int(ymd.year()), unsigned(ymd.month()), unsigned(ymd.day()))) continue;
    for (int m = static_cast<int>(first_minute.count()); m < 24 * 60; ++m) {
      if (hours_.test(m / 60) && minutes_.test(m % 60)) {
        return TimePoint(day) + minutes(m);
      }
    }
  }
  return std::nullopt;
}

}  // namespace summit::config
