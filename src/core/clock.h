// The clock seam: code that needs "now" takes a Clock&, so tests can use a FakeClock.
// Only the composition roots (cli, daemon) choose SystemClock.
#pragma once

#include <chrono>
#include <string>

namespace summit {

using TimePoint = std::chrono::system_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::system_clock::now(); }
};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimePoint start) : now_(start) {}
  TimePoint Now() const override { return now_; }
  void Advance(std::chrono::milliseconds d) { now_ += d; }
  void Set(TimePoint t) { now_ = t; }

 private:
  TimePoint now_;
};

// "20250120T020000Z" (the backup id form) and "2025-01-20T02:00:00Z" (RFC 3339).
std::string FormatCompactUtc(TimePoint t);
std::string FormatRfc3339(TimePoint t);
// Parses RFC 3339 with 'Z' or a numeric offset, or the compact form; fails with kInvalidInput.
bool ParseUtc(const std::string& text, TimePoint* out);

}  // namespace summit
