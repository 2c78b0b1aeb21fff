#include "core/result.h"

#include <cerrno>
#include <cstring>

namespace summit {

ErrorCode ErrorCodeFromErrno(int err) {
  switch (err) {
    case ENOENT: return ErrorCode::kNotFound;
    case EACCES: case EPERM: case EROFS: return ErrorCode::kPermission;
    case ENOSPC: case EDQUOT: return ErrorCode::kNoSpace;
    case EEXIST: return ErrorCode::kAlreadyExists;
    case EIO: return ErrorCode::kCorruption;
    case EINTR: case EAGAIN: return ErrorCode::kTransient;
    default: return ErrorCode::kInternal;
  }
}

Error ErrnoError(const std::string& what, const std::string& path, int err, std::string hint) {
  return Error(ErrorCodeFromErrno(err), what + " " + path + ": " + std::strerror(err), std::move(hint));
}

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kNotFound: return "not found";
    case ErrorCode::kCorruption: return "corruption";
    case ErrorCode::kTransient: return "transient";
    case ErrorCode::kInvalidInput: return "invalid input";
    case ErrorCode::kPermission: return "permission denied";
    case ErrorCode::kWrongKey: return "wrong key";
    case ErrorCode::kUnavailable: return "unavailable";
    case ErrorCode::kNoSpace: return "no space";
    case ErrorCode::kUnsupported: return "unsupported";
    case ErrorCode::kAlreadyExists: return "already exists";
    case ErrorCode::kCancelled: return "cancelled";
    case ErrorCode::kLocked: return "locked";
    case ErrorCode::kInternal: return "internal error";
  }
  return "unknown";
}

int ExitCodeFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidInput: return 2;
    case ErrorCode::kUnsupported: return 2;
    case ErrorCode::kNotFound: return 3;
    case ErrorCode::kCorruption: return 4;
    case ErrorCode::kUnavailable: return 5;
    case ErrorCode::kTransient: return 5;
    case ErrorCode::kWrongKey: return 6;
    case ErrorCode::kPermission: return 6;
    case ErrorCode::kNoSpace: return 7;
    case ErrorCode::kLocked: return 8;
    case ErrorCode::kAlreadyExists: return 9;
    case ErrorCode::kCancelled: return 130;
    case ErrorCode::kInternal: return 1;
  }
  return 1;
}

Error Error::Context(std::string_view context) const& {
  Error copy = *this;
  return std::move(copy).Context(context);
}

Error Error::Context(std::string_view context) && {
  std::string m;
  m.reserve(context.size() + 2 + message_.size());
  m.append(context).append(": ").append(message_);
  message_ = std::move(m);
  return std::move(*this);
}

Error Error::WithHint(std::string hint) && {
  hint_ = std::move(hint);
  return std::move(*this);
}

std::string Error::ToString() const {
  std::string s = message_;
  if (!hint_.empty()) s.append("\nHINT: ").append(hint_);
  return s;
}

}  // namespace summit
