// Running a restore: one snapshot's components into the stores of a target environment,
// through the environment's transforms (sanitization, reduction) while the data is in flight,
// so that a transformed value never lands in the target (DESIGN.md, "Restore environments").
//
// The caller (the CLI) has already decided what is allowed: confirmation for production, the
// safety backup, the transforms of the environment profile. This layer plans, then applies.
// Thread-safety: one RunRestore at a time per SnapshotReader.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "repo/snapshot.h"
#include "sources/neo4j/neo4j.h"
#include "sources/postgres/settings.h"
#include "sources/redis/settings.h"
#include "transform/hooks.h"

namespace summit::restore {

struct TargetSettings {
  sources::postgres::Settings postgres;
  sources::redis::Settings redis;
  sources::neo4j::Settings neo4j;
  std::string files_root;                               // config, kubernetes and terraform files
  std::string secrets_root;                             // secret files (mode 0600)
  std::map<std::string, std::vector<std::string>> commands;  // component -> restore argv (stdin)
};

struct RestoreOptions {
  std::vector<std::string> components;  // which of the snapshot's components; empty: all
  std::vector<std::string> tables;      // postgres: only these tables
  bool dry_run = false;
  // May replace what is in the target (drop the database, wipe the graph, flush Redis dbs).
  bool allow_destructive = false;
  bool skip_secrets = false;            // sanitized environments never receive production secrets
  int jobs = 0;
  bool postgres_group_for_index = true;  // sources.postgres.restore.load_order: index
  std::string postgres_spill_dir;        // sources.postgres.restore.spill_dir
  const transform::PgRowTransform* postgres_transform = nullptr;
  const transform::GraphTransform* neo4j_transform = nullptr;
  const transform::RedisTransform* redis_transform = nullptr;
  bool verify_audit_chain = true;       // after restoring postgres (off when sanitized)
  bool audit_truncated_head = false;    // reduction keeps only recent audit rows
};

class RestoreObserver {
 public:
  virtual ~RestoreObserver() = default;
  virtual void ComponentStarted(const std::string& component, uint64_t expected_bytes) {}
  virtual void BytesRestored(uint64_t bytes) {}
  virtual void ComponentFinished(const std::string& component, const nlohmann::json& summary) {}
  virtual void Warning(const std::string& message) {}
};

struct RestoreOutcome {
  nlohmann::json components = nlohmann::json::object();  // per component: what was done (or planned)
  std::vector<std::string> warnings;
  bool audit_chain_ok = true;
};

// The capture of component `name` of `snapshot` as every consumer must read it: a postgres
// capture holding row-level deltas (docs/incremental.md) is presented as a full one, its bases
// read from the snapshot's repository (sources/postgres/incremental.h). Fails with kNotFound
// for a missing component or a missing base (naming both snapshots), kCorruption for a
// malformed delta entry.
Result<std::unique_ptr<CaptureSource>> OpenComponent(repo::SnapshotReader& snapshot, std::string_view name);

// Restores (or, with dry_run, plans) the selected components. Fails with kInvalidInput when a
// selected component is not in the snapshot; otherwise with the first component's error, named
// ("postgres: ..."). Components already restored stay restored (each store's restore is atomic
// on its own where the store allows it; see the connectors).
Result<RestoreOutcome> RunRestore(repo::SnapshotReader& snapshot, const TargetSettings& targets,
                                  const RestoreOptions& options, RestoreObserver& observer);

}  // namespace summit::restore
