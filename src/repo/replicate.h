// replicate (docs/repository-format.md, "Replication"): copies snapshots and exactly the packs
// they need from an open source repository to another backend (the DR region), then verifies
// what it copied by reading it back.
//
// Both sides share one master key: the destination receives the source's config and key files
// byte for byte on first use (so `ENCRYPTION_KEY` opens both and nothing is re-encrypted), and
// a destination holding a different repository is refused. Write order on the destination is
// the repository's own: packs, then an index file for them, then snapshot manifests.
//
// Thread-safety: reads the source like a backup does (take a shared lock on the source and an
// exclusive one on the destination around it).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "repo/repository.h"

namespace summit::repo {

struct ReplicateReport {
  std::vector<std::string> snapshots_copied;
  std::vector<std::string> snapshots_present;  // already on the destination
  uint64_t packs_copied = 0;
  uint64_t packs_present = 0;
  uint64_t bytes_copied = 0;
  bool initialized_destination = false;
  nlohmann::json ToJson() const;
};

// `ids` empty: every snapshot of the source. kNotFound for an unknown id, kInvalidInput when the
// destination holds another repository, kCorruption when a copied object does not read back
// identically (or a source pack does not match its name).
Result<ReplicateReport> Replicate(Repository& source, storage::Backend& destination,
                                  const std::vector<std::string>& ids = {});

}  // namespace summit::repo
