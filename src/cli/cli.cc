#include "cli/cli.h"

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "core/log.h"
#include "core/result.h"

namespace summit::cli {

// `config check --backup=ID` (cmd_repo.cc): the rules files against the backup's captured schema.
int CmdConfigCheckBackup(const GlobalOptions& options, const std::string& file, const std::string& backup_id,
                         const std::string& from);

namespace {

int NotBuilt(const std::string& what, const std::string& instead) {
  std::fprintf(stderr, "summit-dr %s: not built yet in this version (%s)\n", what.c_str(), SUMMIT_VERSION);
  if (!instead.empty()) std::fprintf(stderr, "HINT: %s\n", instead.c_str());
  return 2;
}

constexpr const char* kFooter =
    "\nExit codes: 0 ok, 1 internal error, 2 invalid input or not built, 3 not found, 4 corrupt data or a "
    "failed verification,\n5 a store or repository unreachable, 6 wrong key or permission, 7 no space, 8 repository locked.\n"
    "Environment: BACKUP_BASE, S3_BUCKET, ENCRYPTION_KEY, TENANT_ID, PROJECT_ID, RETENTION_DAYS, RESTORE_ENV,\n"
    "RESTORE_POSTGRES/NEO4J/REDIS/CONFIG, PG*, REDIS_URL, NEO4J_URI/USER/PASSWORD, SUMMIT_DR_CONFIG.";

}  // namespace

int Run(int argc, char** argv) {
  log::InitFromEnvironment();
  CLI::App app{
      "summit-dr: backup, restore and disaster recovery for PostgreSQL (pgvector, TimescaleDB), Neo4j,\n"
      "Redis, configuration, secrets and the provenance/policy/catalog stores. Data is deduplicated,\n"
      "compressed (zstd) and encrypted (AES-256-GCM) in a repository on disk or S3."};
  app.footer(kFooter);
  app.require_subcommand(1);
  // Global options may also follow the subcommand (`summit-dr backup --set=full --json`): the
  // subcommands, which inherit this, pass what they do not know up to here.
  app.fallthrough();
  app.set_version_flag("--version", std::string("summit-dr ") + SUMMIT_VERSION);
  GlobalOptions g;
  app.add_option("--config", g.config_path, "configuration file (default: $SUMMIT_DR_CONFIG or config/backup-sets.yaml)");
  app.add_flag("--json", g.json, "machine-readable result on stdout");
  app.add_flag("-q,--quiet", g.quiet, "no progress output");
  std::string repository;

  int rc = 0;
  auto with_ctx = [&](auto fn) {
    return [&, fn]() {
      auto ctx = Context::Create(g);
      if (!ctx) {
        rc = ReportError(ctx.error(), g);
        return;
      }
      rc = fn(**ctx);
    };
  };

  // backup
  BackupFlags bf;
  auto* backup = app.add_subcommand("backup", "back up a set into the repository");
  backup->add_option("--set", bf.set, "full | minimal | tenant | project | config_only | disaster_recovery")->required();
  backup->add_option("--tenant", bf.tenant, "tenant id for --set=tenant (default: $TENANT_ID)");
  backup->add_option("--project,--investigation", bf.project, "project/investigation id for --set=project (default: $PROJECT_ID)");
  backup->add_option("--only", bf.only, "narrow the set to components: postgres,neo4j,redis,config,secrets,kubernetes,terraform");
  backup->add_flag("--dry-run", bf.dry_run, "print what would be captured and stop");
  backup->add_flag("--no-hooks", bf.no_hooks, "skip the set's pre and post hooks");
  backup->add_flag("--incremental", bf.incremental,
                   "capture postgres tables as row-level deltas on the newest snapshot of the set (docs/incremental.md)");
  backup->add_option("--base", bf.base, "with --incremental: the base snapshot id (default: the newest of the set)");
  backup->footer("\nExamples:\n  summit-dr backup --set=full\n  TENANT_ID=customer-acme summit-dr backup --set=tenant\n"
                 "  S3_BUCKET=summit-dr-backups summit-dr backup --set=disaster_recovery");
  backup->callback(with_ctx([&](Context& c) { return CmdBackup(c, bf); }));

  // restore
  RestoreFlags rf;
  auto* restore = app.add_subcommand("restore", "restore, verify or plan the restore of a backup");
  restore->add_option("backup_id", rf.backup_id, "e.g. summit-backup-full-20250120T020000Z")->required();
  restore->add_option("--mode", rf.mode, "full | selective | verify-only")->capture_default_str();
  restore->add_option("--env", rf.env, "production | staging | dr_rehearsal | dev | test (default: $RESTORE_ENV or production)");
  restore->add_option("--only", rf.only, "components to restore (selective); or RESTORE_POSTGRES=true ...");
  restore->add_option("--tables", rf.tables, "postgres: restore only these tables");
  restore->add_option("--target", rf.targets, "COMPONENT=URL, e.g. postgres=postgresql://h:5432/db (repeatable)");
  restore->add_option("--sanitize", rf.sanitize, "true | false: force or (with --yes) skip the environment's sanitization");
  restore->add_option("--pitr", rf.pitr, "PostgreSQL point in time (RFC 3339)");
  restore->add_option("--from", rf.from, "repository to read from (default: the first that holds the backup)");
  restore->add_flag("--dry-run", rf.dry_run, "print the plan; change nothing");
  restore->add_flag("-y,--yes", rf.yes, "confirm a destructive restore (required for production without a terminal)");
  restore->add_flag("--no-safety-backup", rf.no_safety_backup, "production: skip the backup of the current state");
  restore->add_flag("--skip-scan", rf.skip_scan, "dev/test: skip the PII scan after the restore");
  restore->footer("\nExamples:\n  summit-dr restore ID --mode=verify-only\n  summit-dr restore ID --env=dev\n"
                  "  RESTORE_POSTGRES=true summit-dr restore ID --mode=selective --env=dr_rehearsal\n"
                  "  summit-dr restore ID --env=production --mode=full --yes");
  restore->callback(with_ctx([&](Context& c) { return CmdRestore(c, rf); }));

  // verify: restore --mode=verify-only under its own name
  std::string verify_id;
  auto* verify = app.add_subcommand("verify", "decrypt and hash every byte of a backup, and report its audit chain");
  verify->add_option("backup_id", verify_id)->required();
  verify->add_option("--from", rf.from, "repository to read from");
  verify->callback(with_ctx([&](Context& c) {
    RestoreFlags v;
    v.backup_id = verify_id;
    v.mode = "verify-only";
    v.from = rf.from;
    return CmdRestore(c, v);
  }));

  auto* init = app.add_subcommand("init", "create a repository (a random master key wrapped by ENCRYPTION_KEY)");
  init->add_option("--repository,-r", repository, "repository name from the config (default: local)");
  init->callback(with_ctx([&](Context& c) { return CmdInit(c, repository); }));

  std::string key_action, key_id;
  auto* key = app.add_subcommand("key", "add | list | remove ID | rotate the repository's keys (new key in NEW_ENCRYPTION_KEY)");
  key->add_option("action", key_action, "add | list | remove | rotate")->required();
  key->add_option("id", key_id, "key id (remove)");
  key->add_option("--repository,-r", repository, "repository name");
  key->callback(with_ctx([&](Context& c) { return CmdKey(c, key_action, repository, key_id); }));

  std::string list_set;
  auto* list = app.add_subcommand("list", "list backups");
  list->add_option("--set", list_set, "only this set");
  list->add_option("--repository,-r", repository, "repository name");
  list->callback(with_ctx([&](Context& c) { return CmdList(c, list_set, repository); }));

  std::string show_id;
  auto* show = app.add_subcommand("show", "print a backup's metadata (JSON)");
  show->add_option("backup_id", show_id)->required();
  show->add_option("--repository,-r", repository, "repository name");
  show->callback(with_ctx([&](Context& c) { return CmdShow(c, show_id, repository); }));

  bool read_data = false;
  std::vector<std::string> check_ids;
  auto* check = app.add_subcommand("check", "check the repository's structure; --read-data decrypts and hashes everything");
  check->add_flag("--read-data", read_data, "read and verify every byte");
  check->add_option("ids", check_ids, "only these backups");
  check->add_option("--repository,-r", repository, "repository name");
  check->callback(with_ctx([&](Context& c) { return CmdCheck(c, read_data, check_ids, repository); }));

  bool prune_dry = false;
  auto* prune = app.add_subcommand("prune", "forget backups past their set's retention (RETENTION_DAYS overrides) and free their data");
  prune->add_flag("--dry-run", prune_dry, "list what would go and how many bytes");
  prune->add_option("--repository,-r", repository, "repository name");
  prune->callback(with_ctx([&](Context& c) { return CmdPrune(c, prune_dry, repository); }));

  std::string rep_to, rep_from;
  std::vector<std::string> rep_ids;
  auto* replicate = app.add_subcommand("replicate", "copy backups to another repository and verify the copies");
  replicate->add_option("--to", rep_to, "destination repository (e.g. dr)")->required();
  replicate->add_option("--from", rep_from, "source repository (default: local)");
  replicate->add_option("ids", rep_ids, "backups (default: all)");
  replicate->callback(with_ctx([&](Context& c) { return CmdReplicate(c, rep_to, rep_ids, rep_from); }));

  std::string ex_id, ex_component, ex_format, ex_out, ex_from;
  auto* exp = app.add_subcommand("export", "write a component in a standard format (pg_restore/psql, redis-server, cypher-shell)");
  exp->add_option("backup_id", ex_id)->required();
  exp->add_option("--component", ex_component, "postgres | redis | neo4j")->required();
  exp->add_option("--format", ex_format, "postgres: plain | custom; redis: rdb; neo4j: cypher");
  exp->add_option("-o,--output", ex_out, "output file, or - for standard output")->required();
  exp->add_option("--from", ex_from, "repository");
  exp->callback(with_ctx([&](Context& c) { return CmdExport(c, ex_id, ex_component, ex_format, ex_out, ex_from); }));

  std::string config_file, config_backup, config_from;
  auto* config = app.add_subcommand("config", "config check [FILE] [--backup=ID]: validate a configuration file");
  auto* config_check = config->add_subcommand(
      "check", "validate a configuration file and its sanitization rules, reporting errors with their line");
  config_check->add_option("file", config_file, "file (default: --config, $SUMMIT_DR_CONFIG, config/backup-sets.yaml)");
  config_check->add_option("--backup", config_backup,
                           "also check that every table, column, label and property the sanitization rules name exists "
                           "in this backup (exit 2 if not)");
  config_check->add_option("--from", config_from, "repository holding the backup (default: the first that has it)");
  config_check->footer("\nExamples:\n  summit-dr config check\n  summit-dr config check --backup=summit-backup-full-20250120T020000Z");
  config_check->callback([&]() {
    rc = config_backup.empty() ? CmdConfigCheck(g, config_file) : CmdConfigCheckBackup(g, config_file, config_backup, config_from);
  });
  config->require_subcommand(1);

  std::string scan_env;
  auto* scan = app.add_subcommand("scan", "scan an environment's stores for PII and production credentials");
  scan->add_option("--env", scan_env, "environment");
  scan->callback(with_ctx([&](Context& c) { return CmdScan(c, scan_env); }));

  auto* wal_push = app.add_subcommand("wal-push", "PostgreSQL archive_command: wal-push %p");
  wal_push->allow_extras();
  wal_push->callback([&]() { rc = NotBuilt("wal-push", "WAL archiving and --pitr come with point-in-time recovery"); });
  auto* wal_fetch = app.add_subcommand("wal-fetch", "PostgreSQL restore_command: wal-fetch %f %p");
  wal_fetch->allow_extras();
  wal_fetch->callback([&]() { rc = NotBuilt("wal-fetch", "WAL archiving and --pitr come with point-in-time recovery"); });
  auto* drill = app.add_subcommand("drill", "drill run SCENARIO: the DR drills of RUNBOOKS/dr-drill-scenarios.yaml");
  drill->allow_extras();
  drill->callback([&]() { rc = NotBuilt("drill", "run the scenario's steps by hand: backup, restore --env=dr_rehearsal, verify"); });
  auto* daemon = app.add_subcommand("daemon", "run the schedules; serve /metrics, /healthz and a status page");
  daemon->allow_extras();
  daemon->callback([&]() { rc = NotBuilt("daemon", "schedule `summit-dr backup` with cron (see the spec's crontab)"); });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  return rc;
}

}  // namespace summit::cli
