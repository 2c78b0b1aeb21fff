#include "core/clock.h"

#include <cstdio>
#include <ctime>

namespace summit {

static std::tm ToTm(TimePoint t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  return tm;
}

std::string FormatCompactUtc(TimePoint t) {
  std::tm tm = ToTm(t);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d%02d%02dT%02d%02d%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

std::string FormatRfc3339(TimePoint t) {
  std::tm tm = ToTm(t);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

bool ParseUtc(const std::string& text, TimePoint* out) {
  int y, mo, d, h, mi, s;
  char tail[16] = {0};
  std::tm tm{};
  int offset_sec = 0;
  if (std::sscanf(text.c_str(), "%4d%2d%2dT%2d%2d%2d%15s", &y, &mo, &d, &h, &mi, &s, tail) == 7 &&
      std::string(tail) == "Z") {
  } else if (std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%d%15s", &y, &mo, &d, &h, &mi, &s, tail) >= 6) {
    std::string t = tail;
    // Skip fractional seconds.
    size_t pos = 0;
    if (!t.empty() && t[0] == '.') {
      pos = 1;
      while (pos < t.size() && t[pos] >= '0' && t[pos] <= '9') ++pos;
    }
    t = t.substr(pos);
    if (t.empty() || t == "Z") {
      offset_sec = 0;
    } else if ((t[0] == '+' || t[0] == '-') && t.size() == 6 && t[3] == ':') {
      int oh = std::stoi(t.substr(1, 2)), om = std::stoi(t.substr(4, 2));
      offset_sec = (oh * 3600 + om * 60) * (t[0] == '-' ? -1 : 1);
    } else {
      return false;
    }
  } else {
    return false;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return false;
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  std::time_t tt = timegm(&tm);
  *out = std::chrono::system_clock::from_time_t(tt - offset_sec);
  return true;
}

}  // namespace summit
