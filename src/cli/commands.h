// One function per command; each returns the process exit code. Flags are parsed in cli.cc
// into these option structs; commands never read argv.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "backup/request.h"
#include "cli/context.h"

namespace summit::cli {

struct BackupFlags {
  std::string set, tenant, project, only, base;
  bool dry_run = false, no_hooks = false, incremental = false;
};
int CmdBackup(Context& ctx, BackupFlags flags);

struct RestoreFlags {
  std::string backup_id, mode = "full", env, only, tables, sanitize, pitr, from;
  std::vector<std::string> targets;
  bool dry_run = false, yes = false, no_safety_backup = false, skip_scan = false;
};
int CmdRestore(Context& ctx, RestoreFlags flags);

int CmdInit(Context& ctx, const std::string& repository);
int CmdKey(Context& ctx, const std::string& action, const std::string& repository, const std::string& id);
int CmdList(Context& ctx, const std::string& set, const std::string& repository);
int CmdShow(Context& ctx, const std::string& id, const std::string& repository);
int CmdCheck(Context& ctx, bool read_data, const std::vector<std::string>& ids, const std::string& repository);
int CmdPrune(Context& ctx, bool dry_run, const std::string& repository);
int CmdReplicate(Context& ctx, const std::string& to, const std::vector<std::string>& ids, const std::string& from);
int CmdExport(Context& ctx, const std::string& id, const std::string& component, const std::string& format,
              const std::string& output, const std::string& from);
int CmdConfigCheck(const GlobalOptions& options, const std::string& file);
int CmdScan(Context& ctx, const std::string& env);

}  // namespace summit::cli
