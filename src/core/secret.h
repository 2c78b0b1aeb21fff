// Secret<T>: a value that never prints. Passwords, keys and credential values travel as
// Secret so that logging, metadata and error messages cannot leak them by accident; code that
// truly needs the value calls Reveal() at the point of use.
#pragma once

#include <ostream>
#include <string>
#include <utility>

namespace summit {

class SecretString {
 public:
  SecretString() = default;
  explicit SecretString(std::string value) : value_(std::move(value)) {}
  ~SecretString() {
    // Best effort: overwrite before the allocator gets the memory back.
    volatile char* p = value_.data();
    for (size_t i = 0; i < value_.size(); ++i) p[i] = 0;
  }
  SecretString(const SecretString&) = default;
  SecretString& operator=(const SecretString&) = default;
  SecretString(SecretString&&) noexcept = default;
  SecretString& operator=(SecretString&&) noexcept = default;

  const std::string& Reveal() const { return value_; }
  bool empty() const { return value_.empty(); }
  std::string ToString() const { return value_.empty() ? "" : "***"; }

 private:
  std::string value_;
};

inline std::ostream& operator<<(std::ostream& os, const SecretString& s) { return os << s.ToString(); }

}  // namespace summit
