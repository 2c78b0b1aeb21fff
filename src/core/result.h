// Errors as values: Error (a classified, contextual message) and Result<T>, shaped like
// std::expected so that it can be replaced by it once the project moves to C++23.
//
// Every fallible function in summit-dr returns Result<T> or Status (= Result<void>). The
// error's Code decides retries (kTransient), the process exit code (see ExitCodeFor) and the
// hint an operator is shown. Context is added at each layer with Error::Context so the final
// message reads "restoring postgres: table public.users: COPY failed: ...".
//
// Thread-safety: values; no shared state.
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace summit {

enum class ErrorCode {
  kNotFound,       // an object, snapshot, table, key or file that does not exist
  kCorruption,     // stored data failed a checksum, a MAC or a parse: do not retry
  kTransient,      // a timeout, a reset, a 5xx: worth retrying
  kInvalidInput,   // bad flags, config, environment or arguments: the user must fix it
  kPermission,     // refused by the OS or a server (including authentication)
  kWrongKey,       // the encryption key does not open the repository
  kUnavailable,    // a store or endpoint cannot be reached at all
  kNoSpace,        // ENOSPC or a quota
  kUnsupported,    // a feature, format version or type this build does not handle
  kAlreadyExists,  // refusing to overwrite
  kCancelled,      // stopped by the user or a stop token
  kLocked,         // a conflicting repository lock is held
  kInternal,       // a bug: an invariant of our own was broken
};

std::string_view ErrorCodeName(ErrorCode code);

// Process exit code for an error class (documented in README "Exit codes").
int ExitCodeFor(ErrorCode code);

class Error {
 public:
  Error(ErrorCode code, std::string message, std::string hint = {})
      : code_(code), message_(std::move(message)), hint_(std::move(hint)) {}

  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // A line telling the operator what to do; may be empty.
  const std::string& hint() const { return hint_; }

  // Returns a copy whose message is "context: message".
  Error Context(std::string_view context) const&;
  Error Context(std::string_view context) &&;
  Error WithHint(std::string hint) &&;

  bool retryable() const { return code_ == ErrorCode::kTransient; }
  std::string ToString() const;

 private:
  ErrorCode code_;
  std::string message_;
  std::string hint_;
};

// The ErrorCode of a failed system call's errno: ENOENT not found, EACCES/EPERM/EROFS
// permission, ENOSPC/EDQUOT no space, EEXIST exists, EIO corruption, EINTR/EAGAIN transient,
// anything else internal.
ErrorCode ErrorCodeFromErrno(int err);

// "<what> <path>: <strerror>" with the code above, e.g. ErrnoError("writing", "/x/y", errno).
Error ErrnoError(const std::string& what, const std::string& path, int err, std::string hint = {});

// Wraps an Error to construct a failed Result, like std::unexpected.
struct Unexpected {
  Error error;
};

inline Unexpected Fail(ErrorCode code, std::string message, std::string hint = {}) {
  return Unexpected{Error(code, std::move(message), std::move(hint))};
}
inline Unexpected Fail(Error error) { return Unexpected{std::move(error)}; }

template <typename T>
class [[nodiscard]] Result {
 public:
  using value_type = T;

  Result(const T& value) : v_(std::in_place_index<0>, value) {}  // NOLINT(implicit)
  Result(T&& value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT(implicit)
  template <typename U>
    requires(std::is_constructible_v<T, U &&> && !std::is_same_v<std::decay_t<U>, T> &&
             !std::is_same_v<std::decay_t<U>, Unexpected> && !std::is_same_v<std::decay_t<U>, Error> &&
             !std::is_same_v<std::decay_t<U>, Result<T>>)
  Result(U&& value) : v_(std::in_place_index<0>, T(std::forward<U>(value))) {}  // NOLINT
  Result(Unexpected u) : v_(std::in_place_index<1>, std::move(u.error)) {}  // NOLINT
  Result(Error e) : v_(std::in_place_index<1>, std::move(e)) {}  // NOLINT

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & { assert(has_value()); return std::get<0>(v_); }
  const T& value() const& { assert(has_value()); return std::get<0>(v_); }
  T&& value() && { assert(has_value()); return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& { assert(!has_value()); return std::get<1>(v_); }
  Error&& error() && { assert(!has_value()); return std::get<1>(std::move(v_)); }

  template <typename U>
  T value_or(U&& fallback) const& {
    return has_value() ? value() : T(std::forward<U>(fallback));
  }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  using value_type = void;
  Result() = default;
  Result(Unexpected u) : error_(std::move(u.error)), ok_(false) {}  // NOLINT
  Result(Error e) : error_(std::move(e)), ok_(false) {}             // NOLINT

  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  void value() const { assert(ok_); }
  const Error& error() const& { assert(!ok_); return error_; }
  Error&& error() && { assert(!ok_); return std::move(error_); }

 private:
  Error error_{ErrorCode::kInternal, ""};
  bool ok_ = true;
};

using Status = Result<void>;

inline Status Ok() { return Status(); }

}  // namespace summit

#define SUMMIT_CONCAT_INNER(a, b) a##b
#define SUMMIT_CONCAT(a, b) SUMMIT_CONCAT_INNER(a, b)

// Returns the error of a Status/Result expression from the enclosing function.
#define SUMMIT_TRY(expr)                                      \
  do {                                                        \
    auto&& summit_try_result_ = (expr);                       \
    if (!summit_try_result_.has_value())                      \
      return ::summit::Unexpected{std::move(summit_try_result_).error()}; \
  } while (0)

// As SUMMIT_TRY, adding context to the error: SUMMIT_TRY_CTX(Load(), "loading index " + id).
#define SUMMIT_TRY_CTX(expr, ctx)                             \
  do {                                                        \
    auto&& summit_try_result_ = (expr);                       \
    if (!summit_try_result_.has_value())                      \
      return ::summit::Unexpected{std::move(summit_try_result_).error().Context(ctx)}; \
  } while (0)

// Declares or assigns `lhs` from a Result expression, returning its error on failure:
//   SUMMIT_ASSIGN_OR_RETURN(auto conn, PgConnection::Open(url));
#define SUMMIT_ASSIGN_OR_RETURN(lhs, expr) \
  SUMMIT_ASSIGN_OR_RETURN_IMPL(SUMMIT_CONCAT(summit_result_, __LINE__), lhs, expr, )
#define SUMMIT_ASSIGN_OR_RETURN_CTX(lhs, expr, ctx) \
  SUMMIT_ASSIGN_OR_RETURN_IMPL(SUMMIT_CONCAT(summit_result_, __LINE__), lhs, expr, .Context(ctx))
#define SUMMIT_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr, ctx_call)      \
  auto tmp = (expr);                                               \
  if (!tmp.has_value())                                            \
    return ::summit::Unexpected{std::move(tmp).error() ctx_call};  \
  lhs = std::move(tmp).value()
