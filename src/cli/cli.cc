#include "cli/cli.h"

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "core/log.h"
#include "core/result.h"

namespace summit::cli {
namespace {

constexpr int kNotBuilt = 2;

int NotBuilt(const std::string& what) {
  std::fprintf(stderr, "summit-dr %s: not built yet in this version (%s)\n", what.c_str(), SUMMIT_VERSION);
  return kNotBuilt;
}

}  // namespace

int Run(int argc, char** argv) {
  log::InitFromEnvironment();
  CLI::App app{
      "summit-dr: backup, restore and disaster recovery for PostgreSQL (pgvector, TimescaleDB), Neo4j,\n"
      "Redis, configuration, secrets and the provenance/policy/catalog stores.\n"
      "Data is deduplicated, compressed (zstd) and encrypted (AES-256-GCM) in a repository on disk or S3."};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("summit-dr ") + SUMMIT_VERSION);
  std::string config_path;
  app.add_option("--config", config_path, "configuration file (default: $SUMMIT_DR_CONFIG or config/backup-sets.yaml)");
  bool json = false;
  app.add_flag("--json", json, "machine-readable output on stdout");

  struct Cmd {
    const char* name;
    const char* help;
  };
  const std::vector<Cmd> cmds = {
      {"init", "create a repository (random master key wrapped by ENCRYPTION_KEY)"},
      {"key", "add | list | remove | rotate repository keys"},
      {"backup", "back up a set: --set=full|minimal|tenant|project|config_only|disaster_recovery"},
      {"list", "list snapshots [--set=NAME] [--json]"},
      {"show", "show one snapshot's metadata"},
      {"restore", "restore a snapshot: ID [--mode=full|selective|verify-only] [--env=ENV] [--dry-run] [--pitr=TIME]"},
      {"verify", "decrypt and hash every byte of a snapshot"},
      {"check", "check repository structure [--read-data]"},
      {"prune", "apply retention and remove unreferenced data [--dry-run]"},
      {"replicate", "copy snapshots to another repository: --to=NAME [ID...]"},
      {"export", "write a snapshot component in a standard format: ID --component=postgres --format=custom"},
      {"scan", "scan an environment for PII and production credentials: --env=ENV"},
      {"config", "config check [FILE]: validate a configuration file"},
      {"wal-push", "PostgreSQL archive_command: wal-push %p"},
      {"wal-fetch", "PostgreSQL restore_command: wal-fetch %f %p"},
      {"drill", "drill run SCENARIO: run a DR drill of RUNBOOKS/dr-drill-scenarios.yaml"},
      {"daemon", "run schedules, serve /metrics, /healthz and a status page"},
  };
  for (const auto& c : cmds) {
    auto* sub = app.add_subcommand(c.name, c.help);
    sub->allow_extras();
    sub->callback([name = std::string(c.name)]() { throw CLI::RuntimeError(NotBuilt(name)); });
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::RuntimeError& e) {
    return e.get_exit_code();
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  return 0;
}

}  // namespace summit::cli
