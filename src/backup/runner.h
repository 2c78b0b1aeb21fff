// Running a backup plan: hooks, one capture per component into one snapshot, the audit chain
// check, then the snapshot's commit (the manifest is written last: DESIGN.md "The flow of
// data"). A failed component fails the backup and no snapshot is recorded: the writer is
// abandoned and at worst leaves unreferenced packs that prune removes.
//
// Thread-safety: one RunBackup at a time per Repository object; components run one after the
// other (each store's connector parallelises inside itself).
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "backup/plan.h"
#include "core/clock.h"
#include "core/result.h"
#include "repo/repository.h"
#include "sources/neo4j/neo4j.h"
#include "sources/postgres/settings.h"
#include "sources/redis/settings.h"

namespace summit::backup {

// Where the stores are (resolved by the composition root from the config and environment).
struct StoreSettings {
  sources::postgres::Settings postgres;
  sources::redis::Settings redis;
  sources::neo4j::Settings neo4j;
  std::map<std::string, std::string> environment;  // for the secrets component's variables
};

// Reports progress upward without printing (the CLI renders it).
class BackupObserver {
 public:
  virtual ~BackupObserver() = default;
  virtual void ComponentStarted(const std::string& component) {}
  virtual void BytesCaptured(uint64_t bytes) {}
  virtual void ComponentFinished(const std::string& component, const nlohmann::json& summary) {}
  virtual void Warning(const std::string& message) {}
};

struct BackupOutcome {
  std::string id;
  nlohmann::json metadata;  // backup-metadata.json
  std::vector<std::string> warnings;
  // With plan.incremental: {"base": id} when postgres was captured as deltas against it, or
  // {"base": null, "full_reason": why not}. Also in the metadata as "incremental".
  nlohmann::json incremental;
};

// Runs pre-hooks, captures every component once into a new snapshot `plan.id` in every one of
// `repos` (the bytes are teed: each repository is independent, with its own keys, so several
// hosts can share an S3 repository while each keeps a local one), commits them, and runs
// post-hooks (always, also after a failure, so paused writers resume). A failure records the
// snapshot in none of them. Errors name the component: "postgres: connecting to ...".
// The metadata returned is the first repository's.
Result<BackupOutcome> RunBackup(const BackupPlan& plan, const std::vector<repo::Repository*>& repos,
                                const StoreSettings& stores, BackupObserver& observer, const Clock& clock,
                                const std::string& host);

}  // namespace summit::backup
