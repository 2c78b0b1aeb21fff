// Turning a backup set of config/backup-sets.yaml and a request into the components a snapshot
// will hold (pure: no I/O, so every set's shape is unit-tested).
//
// The config names fine-grained component types (postgres, timescaledb, provenance, policy,
// catalog, audit_chain, config_files, opa_policies, ...). A snapshot holds one component per
// store that a restore can select: postgres, neo4j, redis, config, secrets, kubernetes,
// terraform. Table-backed types (timescaledb, provenance, policy, catalog, audit_chain) fold into
// the postgres component's table list (or are already covered when it takes every table); file
// groups fold into `config`. What each fine-grained type became is recorded in the plan's
// `coverage`, and from there in the metadata.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "backup/request.h"
#include "config/config.h"
#include "core/clock.h"
#include "core/result.h"
#include "sources/files/files.h"
#include "sources/neo4j/neo4j.h"
#include "sources/postgres/backup.h"
#include "sources/redis/redis_source.h"

namespace summit::backup {

struct ComponentPlan {
  std::string name;  // snapshot component: postgres, neo4j, redis, config, secrets, kubernetes, terraform
  sources::postgres::BackupOptions postgres;
  sources::neo4j::BackupOptions neo4j;
  bool redis_full = false;  // RDB over the replication protocol; otherwise SCAN + DUMP
  sources::redis::KeyFilter redis_filter;
  sources::files::FileSetOptions files;
  std::vector<std::string> secret_env;  // secrets: environment variable names
  std::vector<std::string> command;     // kubernetes/terraform: argv whose stdout is captured
  std::string command_workdir;
  std::vector<std::string> audit_tables;  // postgres: hash-chained tables verified at backup
};

// How the postgres component chooses and uses a base (docs/incremental.md).
struct IncrementalPlan {
  bool enabled = false;
  std::string base;               // --base=ID; empty: the newest snapshot of the set and scope
  int max_chain = 24;             // snapshots in a chain of bases; beyond: a full capture
  double max_delta_fraction = 0.2;
};

struct BackupPlan {
  std::string id;
  std::string set;
  std::string tenant;
  std::string project;
  std::vector<ComponentPlan> components;
  std::vector<std::string> storage;  // repository names, first = where the snapshot is written
  bool replicate = false;
  std::vector<std::string> pre_hooks, post_hooks;
  nlohmann::json coverage = nlohmann::json::object();  // config type -> what covers it
  std::vector<std::string> notes;                       // for the operator (e.g. fallbacks taken)
  std::vector<std::string> only;                        // --only, when it narrowed the set
  IncrementalPlan incremental;
};

struct PlanContext {
  TimePoint now;
  // True when a program is on PATH (kubectl, terraform); tests inject it.
  std::function<bool(const std::string&)> have_program;
  int jobs = 0;
};

// Fails with kInvalidInput when the request does not validate, the set is not in the config,
// or --only names a component the set does not have.
Result<BackupPlan> PlanBackup(const config::Config& config, const BackupRequest& request, const PlanContext& ctx);

}  // namespace summit::backup
