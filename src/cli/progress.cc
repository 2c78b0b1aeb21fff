#include "cli/progress.h"

#include <unistd.h>

#include <cstdio>

#include "core/bytes.h"
#include "core/log.h"

namespace summit::cli {

std::string FormatRate(double bps) { return FormatBytes(static_cast<uint64_t>(bps)) + "/s"; }

std::string FormatDuration(double seconds) {
  char buf[32];
  auto s = static_cast<long long>(seconds + 0.5);
  if (s < 60) std::snprintf(buf, sizeof buf, "%llds", s);
  else if (s < 3600) std::snprintf(buf, sizeof buf, "%lldm%02llds", s / 60, s % 60);
  else std::snprintf(buf, sizeof buf, "%lldh%02lldm", s / 3600, (s % 3600) / 60);
  return buf;
}

Progress::Progress(std::string verb, bool terminal, bool enabled)
    : verb_(std::move(verb)), terminal_(terminal), enabled_(enabled) {
  start_ = last_render_ = std::chrono::steady_clock::now();
}

Progress::~Progress() { Finish(); }

void Progress::BeginComponent(const std::string& component, uint64_t expected_bytes) {
  if (!enabled_) return;
  std::lock_guard lock(mu_);
  component_ = component;
  expected_ = expected_bytes;
  component_bytes_ = 0;
  component_start_ = std::chrono::steady_clock::now();
  if (!terminal_) log::Info(verb_ + " " + component, {{"component", component}, {"phase", "start"}});
}

void Progress::Add(uint64_t bytes) {
  component_bytes_ += bytes;
  total_ += bytes;
  if (enabled_) Render(false);
}

void Progress::EndComponent() {
  if (!enabled_) return;
  std::lock_guard lock(mu_);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - component_start_).count();
  if (terminal_) {
    std::fprintf(stderr, "\r\033[K  %-12s %10s  %s  %s\n", component_.c_str(), FormatBytes(component_bytes_).c_str(),
                 FormatRate(secs > 0 ? component_bytes_ / secs : 0).c_str(), FormatDuration(secs).c_str());
    line_open_ = false;
  } else {
    log::Info(verb_ + " " + component_ + " done", {{"component", component_},
                                                    {"bytes", std::to_string(component_bytes_.load())},
                                                    {"seconds", std::to_string(secs)}});
  }
}

void Progress::Finish() {
  if (!enabled_) return;
  std::lock_guard lock(mu_);
  if (terminal_ && line_open_) std::fprintf(stderr, "\r\033[K");
  line_open_ = false;
}

void Progress::Render(bool force) {
  auto now = std::chrono::steady_clock::now();
  std::unique_lock lock(mu_, std::try_to_lock);
  if (!lock.owns_lock()) return;
  auto interval = terminal_ ? std::chrono::milliseconds(100) : std::chrono::milliseconds(5000);
  if (!force && now - last_render_ < interval) return;
  last_render_ = now;
  double secs = std::chrono::duration<double>(now - component_start_).count();
  uint64_t done = component_bytes_;
  double rate = secs > 0 ? done / secs : 0;
  std::string eta;
  if (expected_ > done && rate > 0) eta = " ETA " + FormatDuration((expected_ - done) / rate);
  if (terminal_) {
    std::string pct = expected_ ? " " + std::to_string(std::min<uint64_t>(100, done * 100 / expected_)) + "%" : "";
    std::fprintf(stderr, "\r\033[K%s %s: %s%s  %s%s", verb_.c_str(), component_.c_str(), FormatBytes(done).c_str(),
                 pct.c_str(), FormatRate(rate).c_str(), eta.c_str());
    line_open_ = true;
  } else {
    log::Info(verb_ + " progress", {{"component", component_}, {"bytes", std::to_string(done)},
                                    {"rate_bps", std::to_string(static_cast<uint64_t>(rate))}});
  }
}

}  // namespace summit::cli
