// Progress of long work (backup, restore, verify, replicate): on a terminal one line redrawn
// at most 10 times a second — component, bytes, rate, ETA when the total is known; otherwise a
// structured log line every few seconds. Thread-safe: workers call Add concurrently.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace summit::cli {

class Progress {
 public:
  // `enabled` false makes every call a no-op (--json, --quiet).
  Progress(std::string verb, bool terminal, bool enabled);
  ~Progress();

  void BeginComponent(const std::string& component, uint64_t expected_bytes);
  void Add(uint64_t bytes);
  void EndComponent();
  void Finish();  // clears the line

  uint64_t total_bytes() const { return total_.load(); }

 private:
  void Render(bool force);

  std::string verb_;
  bool terminal_, enabled_;
  std::mutex mu_;
  std::string component_;
  uint64_t expected_ = 0;
  std::atomic<uint64_t> component_bytes_{0};
  std::atomic<uint64_t> total_{0};
  std::chrono::steady_clock::time_point start_, component_start_, last_render_;
  bool line_open_ = false;
};

// "12.3 MiB/s", "1m05s".
std::string FormatRate(double bytes_per_second);
std::string FormatDuration(double seconds);

}  // namespace summit::cli
