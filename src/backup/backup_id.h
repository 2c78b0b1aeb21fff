// Backup ids, as the spec and its shell examples use them:
//   summit-backup-<set>[-<tenant or project>]-<UTC yyyymmddThhmmssZ>
// e.g. summit-backup-full-20250120T020000Z, summit-backup-tenant-customer-acme-20250120T020000Z.
// `ls -t backups/summit-backup-full-*` finds a set's backups, so a set name never contains '-'
// (config_only, disaster_recovery). Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>

#include "core/clock.h"
#include "core/result.h"

namespace summit::backup {

struct BackupId {
  std::string set;        // "full", "tenant", ...
  std::string qualifier;  // tenant or project id; empty for other sets
  TimePoint time;
};

// A tenant or project id must be a slug: [A-Za-z0-9._-], 1..128 characters, so that it is
// safe in ids, file names and stream names. kInvalidInput otherwise, naming the variable.
Status ValidateQualifier(const std::string& value, const std::string& what);

std::string FormatBackupId(const BackupId& id);

// Parses an id produced by FormatBackupId. `known_sets` disambiguates nothing today (set names
// have no '-') but qualifiers may contain '-': the time is always the last segment.
Result<BackupId> ParseBackupId(const std::string& text);

}  // namespace summit::backup
