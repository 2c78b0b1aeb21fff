// Logging: one line per event, to stderr, as text on a terminal or JSON lines otherwise
// (SUMMIT_LOG_FORMAT=json|text, SUMMIT_LOG_LEVEL=debug|info|warn|error).
// Lower layers log sparingly (debug, warn); the CLI decides what the user sees.
// Never log a SecretString's value. Thread-safe: each line is written with one write(2).
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace summit::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };
enum class Format { kText, kJson };

void SetLevel(Level level);
void SetFormat(Format format);
Level CurrentLevel();
Format CurrentFormat();
bool Enabled(Level level);

using Field = std::pair<std::string_view, std::string>;
void Write(Level level, std::string_view message, std::initializer_list<Field> fields = {});

inline void Debug(std::string_view m, std::initializer_list<Field> f = {}) { Write(Level::kDebug, m, f); }
inline void Info(std::string_view m, std::initializer_list<Field> f = {}) { Write(Level::kInfo, m, f); }
inline void Warn(std::string_view m, std::initializer_list<Field> f = {}) { Write(Level::kWarn, m, f); }
inline void Error(std::string_view m, std::initializer_list<Field> f = {}) { Write(Level::kError, m, f); }

// Reads SUMMIT_LOG_LEVEL / SUMMIT_LOG_FORMAT; format defaults to text on a TTY, else JSON.
void InitFromEnvironment();

}  // namespace summit::log
