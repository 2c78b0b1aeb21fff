// check and verify (docs/repository-format.md, "Checking"): structure — every index entry
// points into an existing pack, every snapshot chunk is in the index — and, with read_data,
// every byte: each pack's SHA-256 against its name, its header, and every blob decrypted,
// decompressed and hashed against its keyed id.
//
// A damaged object is reported as exactly the snapshots, components and streams whose chunks it
// breaks; a pack whose header alone is damaged (all blobs still verify) is reported as a
// damaged pack that breaks no stream. Unreferenced packs (left by a crash) are warnings, not
// errors: prune removes them.
//
// Thread-safety: Check reads only; it may run alongside backups (it reloads the index first).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "repo/repository.h"

namespace summit::repo {

struct Damage {
  std::string snapshot;
  std::string component;
  std::string stream;
  std::string reason;  // the first failing chunk's error
  bool operator==(const Damage&) const = default;
};

struct CheckOptions {
  bool read_data = false;
  // Restrict to these snapshots (verify ID); empty: all snapshots.
  std::vector<std::string> snapshots;
};

struct CheckReport {
  uint64_t packs = 0;
  uint64_t index_files = 0;
  uint64_t blobs = 0;
  uint64_t snapshots = 0;
  uint64_t packs_read = 0;
  uint64_t bytes_read = 0;
  std::vector<std::string> errors;         // structural problems, one line each
  std::vector<std::string> warnings;       // e.g. unreferenced packs
  std::vector<std::string> damaged_packs;  // "data/ab/ab...: reason"
  std::vector<Damage> damaged;             // streams that cannot be restored bit-exactly
  bool ok() const { return errors.empty() && damaged_packs.empty() && damaged.empty(); }
  nlohmann::json ToJson() const;
};

// Fails only when the check itself cannot run (backend unreachable, index unreadable);
// problems found are in the report.
Result<CheckReport> Check(Repository& repo, const CheckOptions& options = {});

}  // namespace summit::repo
