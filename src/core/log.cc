#include "core/log.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>

#include <nlohmann/json.hpp>

namespace summit::log {
namespace {
std::atomic<int> g_level{static_cast<int>(Level::kInfo)};
std::atomic<int> g_format{static_cast<int>(Format::kText)};

const char* LevelName(Level l) {
  switch (l) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
  }
  return "info";
}

std::string Timestamp() {
  auto now = std::chrono::system_clock::now();
  auto t = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}
}  // namespace

void SetLevel(Level level) { g_level = static_cast<int>(level); }
void SetFormat(Format format) { g_format = static_cast<int>(format); }
Level CurrentLevel() { return static_cast<Level>(g_level.load()); }
Format CurrentFormat() { return static_cast<Format>(g_format.load()); }
bool Enabled(Level level) { return static_cast<int>(level) >= g_level.load(); }

void Write(Level level, std::string_view message, std::initializer_list<Field> fields) {
  if (!Enabled(level)) return;
  std::string line;
  if (CurrentFormat() == Format::kJson) {
    nlohmann::json j;
    j["ts"] = Timestamp();
    j["level"] = LevelName(level);
    j["msg"] = std::string(message);
    for (const auto& [k, v] : fields) j[std::string(k)] = v;
    line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } else {
    line = level == Level::kInfo ? "" : std::string(LevelName(level)) + ": ";
    line.append(message);
    for (const auto& [k, v] : fields) line.append(" ").append(k).append("=").append(v);
  }
  line.push_back('\n');
  ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

void InitFromEnvironment() {
  SetFormat(isatty(STDERR_FILENO) ? Format::kText : Format::kJson);
  if (const char* f = std::getenv("SUMMIT_LOG_FORMAT")) {
    std::string v = f;
    if (v == "json") SetFormat(Format::kJson);
    if (v == "text") SetFormat(Format::kText);
  }
  if (const char* l = std::getenv("SUMMIT_LOG_LEVEL")) {
    std::string v = l;
    if (v == "debug") SetLevel(Level::kDebug);
    if (v == "info") SetLevel(Level::kInfo);
    if (v == "warn") SetLevel(Level::kWarn);
    if (v == "error") SetLevel(Level::kError);
  }
}

}  // namespace summit::log
