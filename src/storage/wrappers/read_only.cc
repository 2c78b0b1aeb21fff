#include "storage/wrappers/read_only.h"

namespace summit::storage {

namespace {
Unexpected Refuse(std::string_view op, std::string_view key, const Backend& b) {
  return Fail(ErrorCode::kPermission,
              "refusing to " + std::string(op) + " " + std::string(key) + " in " + b.Describe(),
              "this command opens the repository read-only; use a command that may modify it");
}
}  // namespace

Status ReadOnlyBackend::Put(std::string_view key, ByteView) { return Refuse("put", key, *this); }
Status ReadOnlyBackend::Delete(std::string_view key) { return Refuse("delete", key, *this); }

}  // namespace summit::storage
