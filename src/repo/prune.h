// prune, the data side (docs/repository-format.md, "Prune"): removes the given snapshots, then
// every pack no remaining snapshot uses, and repacks packs that are mostly garbage. Which
// snapshots to remove is decided elsewhere (repo/retention.h); this takes a list of ids.
//
// Crash safety: the steps run in the documented order (manifests, repacked packs + their index,
// a complete new index, deletion of old index files, deletion of packs), so a kill at any point
// leaves a valid repository: at worst unreferenced packs that the next prune removes.
//
// Thread-safety: the caller must hold the repository's exclusive lock (repo/lock.h): a
// concurrent backup could otherwise deduplicate against a pack that is being deleted.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "repo/repository.h"

namespace summit::repo {

struct PruneOptions {
  std::vector<std::string> forget;  // snapshot ids to delete
  bool dry_run = false;
  // Repack a pack when more than this fraction of its bytes is unused.
  double repack_garbage_fraction = 0.5;
};

struct PruneReport {
  std::vector<std::string> snapshots_removed;
  std::vector<std::string> packs_deleted;  // keys
  std::vector<std::string> packs_repacked;  // keys (old packs, rewritten then deleted)
  uint64_t blobs_kept = 0;
  uint64_t blobs_removed = 0;
  uint64_t bytes_freed = 0;     // size of deleted packs minus bytes rewritten
  uint64_t bytes_repacked = 0;  // live bytes copied into new packs
  bool dry_run = false;
  nlohmann::json ToJson() const;
};

// kNotFound when a snapshot to forget does not exist (nothing is changed then).
Result<PruneReport> Prune(Repository& repo, const PruneOptions& options);

}  // namespace summit::repo
