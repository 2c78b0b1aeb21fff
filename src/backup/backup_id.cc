#include "backup/backup_id.h"

namespace summit::backup {

Status ValidateQualifier(const std::string& value, const std::string& what) {
  if (value.empty())
    return Fail(ErrorCode::kInvalidInput, what + " is empty");
  if (value.size() > 128) return Fail(ErrorCode::kInvalidInput, what + " is longer than 128 characters");
  for (char c : value) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-';
    if (!ok)
      return Fail(ErrorCode::kInvalidInput, what + " '" + value + "' contains '" + std::string(1, c) + "'",
                  "use letters, digits, '.', '_' and '-' only");
  }
  if (value == "." || value == "..") return Fail(ErrorCode::kInvalidInput, what + " '" + value + "' is not allowed");
  return Ok();
}

std::string FormatBackupId(const BackupId& id) {
  std::string s = "summit-backup-" + id.set + "-";
  if (!id.qualifier.empty()) s += id.qualifier + "-";
  return s + FormatCompactUtc(id.time);
}

Result<BackupId> ParseBackupId(const std::string& text) {
  static const std::string kPrefix = "summit-backup-";
  auto bad = [&](const std::string& why) {
    return Fail(ErrorCode::kInvalidInput, "'" + text + "' is not a backup id: " + why,
                "backup ids look like summit-backup-full-20250120T020000Z; `summit-dr list` shows them");
  };
  if (!text.starts_with(kPrefix)) return bad("it does not start with summit-backup-");
  std::string rest = text.substr(kPrefix.size());
  size_t last = rest.rfind('-');
  if (last == std::string::npos) return bad("no timestamp");
  BackupId id;
  if (!ParseUtc(rest.substr(last + 1), &id.time) || rest.size() - last - 1 != 16) return bad("bad timestamp");
  std::string head = rest.substr(0, last);
  size_t dash = head.find('-');
  id.set = head.substr(0, dash);
  if (dash != std::string::npos) id.qualifier = head.substr(dash + 1);
  if (id.set.empty()) return bad("no set name");
  return id;
}

}  // namespace summit::backup
