// What a user asked for, before any store is touched: the parsed and validated form of
// `summit-dr backup` / `summit-dr restore` flags and the spec's environment variables.
// The CLI fills these from argv and the environment; everything below takes them as values.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace summit::backup {

inline const std::vector<std::string>& SetNames() {
  static const std::vector<std::string> kSets = {"full", "minimal", "tenant", "project", "config_only",
                                                 "disaster_recovery"};
  return kSets;
}

// Component names used in --only, RESTORE_* variables, snapshots and metadata.
inline const std::vector<std::string>& ComponentNames() {
  static const std::vector<std::string> kComponents = {"postgres", "neo4j",   "redis",      "config",
                                                       "secrets",  "kubernetes", "terraform"};
  return kComponents;
}

struct BackupRequest {
  std::string set;                     // one of SetNames()
  std::string tenant;                  // TENANT_ID / --tenant (tenant set)
  std::string project;                 // PROJECT_ID / --project / --investigation (project set)
  std::vector<std::string> only;       // --only=postgres,redis (empty: the set's components)
  std::optional<int> retention_days;   // RETENTION_DAYS
  bool dry_run = false;
  bool skip_hooks = false;
  // --incremental: capture postgres tables as row-level deltas against a base snapshot
  // (docs/incremental.md); --base=ID names the base instead of the newest of the set.
  bool incremental = false;
  std::string base;
};

// Validates a request against the fixed vocabulary (set names, components, ids); kInvalidInput
// with a hint naming what is allowed.
Status ValidateBackupRequest(const BackupRequest& request);

enum class RestoreMode { kFull, kSelective, kVerifyOnly };

struct RestoreRequest {
  std::string backup_id;
  RestoreMode mode = RestoreMode::kFull;
  std::string env;                                // production|staging|dr_rehearsal|dev|test
  std::vector<std::string> only;                  // components to restore (selective)
  std::map<std::string, std::string> targets;     // --target postgres=postgresql://...
  std::optional<bool> sanitize;                   // --sanitize=true|false (default: the env's profile)
  std::string pitr;                               // --pitr=2025-01-20T02:13:00Z
  std::string from;                               // repository name (default: the primary)
  bool dry_run = false;
  bool yes = false;                               // confirmed destructive action
  bool no_safety_backup = false;
};

inline const std::vector<std::string>& EnvironmentNames() {
  static const std::vector<std::string> kEnvs = {"production", "staging", "dr_rehearsal", "dev", "test"};
  return kEnvs;
}

Result<RestoreMode> ParseRestoreMode(const std::string& text);
std::string RestoreModeName(RestoreMode mode);

// Reads RESTORE_POSTGRES / RESTORE_NEO4J / RESTORE_REDIS / RESTORE_CONFIG (and RESTORE_SECRETS,
// RESTORE_KUBERNETES, RESTORE_TERRAFORM): returns the components whose variable is true, or
// nullopt when none of the variables is set. A value other than true/false/1/0/yes/no is an
// error naming the variable.
using EnvGetter = std::optional<std::string> (*)(const char*);
Result<std::optional<std::vector<std::string>>> ComponentsFromRestoreVariables(
    const std::map<std::string, std::string>& environment);

// Parses "--only=postgres,redis" into a validated component list.
Result<std::vector<std::string>> ParseComponentList(const std::string& text);

// Parses a "--target postgres=postgresql://h:p/db" entry.
Result<std::pair<std::string, std::string>> ParseTarget(const std::string& text);

Status ValidateRestoreRequest(const RestoreRequest& request);

}  // namespace summit::backup
