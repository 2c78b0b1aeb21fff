#include "repo/prune.h"

#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "repo/retention.h"
#include "repo/snapshot.h"

namespace summit::repo {

nlohmann::json PruneReport::ToJson() const {
  return {{"dry_run", dry_run},           {"snapshots_removed", snapshots_removed},
          {"packs_deleted", packs_deleted}, {"packs_repacked", packs_repacked},
          {"blobs_kept", blobs_kept},     {"blobs_removed", blobs_removed},
          {"bytes_freed", bytes_freed},   {"bytes_repacked", bytes_repacked}};
}

Result<PruneReport> Prune(Repository& repo, const PruneOptions& options) {
  storage::Backend& backend = repo.backend();
  PruneReport report;
  report.dry_run = options.dry_run;
  SUMMIT_TRY_CTX(repo.Flush(), "prune: flushing pending writes");
  SUMMIT_TRY_CTX(repo.ReloadIndex(), "prune: loading the index");

  // 1. What stays referenced.
  std::set<std::string> forget(options.forget.begin(), options.forget.end());
  SUMMIT_ASSIGN_OR_RETURN_CTX(auto snaps, ListSnapshots(repo), "prune: loading snapshots");
  std::set<std::string> existing;
  for (const auto& s : snaps) existing.insert(s.id);
  for (const auto& id : forget)
    if (!existing.count(id))
      return Fail(Error(ErrorCode::kNotFound, "prune: snapshot " + id + " does not exist",
                        "list snapshots with `summit-dr list`"));
  // An incremental snapshot cannot be restored without its bases: never remove a base of a
  // snapshot that stays (retention keeps them; this guards every other caller).
  std::map<std::string, std::vector<std::string>> bases_of;
  std::vector<std::string> staying;
  for (const auto& s : snaps) {
    bases_of[s.id] = s.bases;
    if (!forget.count(s.id)) staying.push_back(s.id);
  }
  for (const auto& [base, dependent] : ClosureOfBases(bases_of, staying).bases)
    if (forget.count(base))
      return Fail(Error(ErrorCode::kInvalidInput,
                        "prune: snapshot " + base + " is a base of snapshot " + dependent + ", which is kept",
                        "forget " + dependent + " too, or keep " + base));
  std::unordered_set<BlobId, IdHash> used;
  for (const auto& s : snaps) {
    if (forget.count(s.id)) continue;
    for (const auto& c : s.components)
      for (const auto& st : c.streams) used.insert(st.chunks.begin(), st.chunks.end());
  }
  // Every used chunk must be indexed, or pruning would delete data that a snapshot needs but
  // that we cannot see: refuse rather than guess.
  for (const auto& id : used)
    if (!repo.Find(id))
      return Fail(Error(ErrorCode::kCorruption, "prune: chunk " + IdHex(id).substr(0, 16) +
                                                    " used by a snapshot is not in the index",
                        "run `summit-dr check` and repair the repository before pruning"));

  // 2. Classify packs.
  std::vector<IndexPack> entries = repo.IndexEntries();
  SUMMIT_ASSIGN_OR_RETURN_CTX(auto pack_objects, backend.List(kDataPrefix), "prune: listing packs");
  std::unordered_map<std::string, uint64_t> pack_sizes;
  for (const auto& o : pack_objects) pack_sizes[o.key] = o.size;
  std::set<std::string> indexed;
  std::vector<IndexPack> keep, repack;
  std::vector<std::string> remove;
  for (const auto& p : entries) {
    std::string key = PackKey(p.pack);
    indexed.insert(key);
    uint64_t total = 0, live = 0, live_blobs = 0;
    for (const auto& b : p.blobs) {
      total += b.stored_length;
      if (used.count(b.id)) live += b.stored_length, ++live_blobs;
    }
    report.blobs_kept += live_blobs;
    report.blobs_removed += p.blobs.size() - live_blobs;
    if (live == 0) {
      remove.push_back(key);
    } else if (total > 0 && static_cast<double>(total - live) / static_cast<double>(total) >
                                options.repack_garbage_fraction) {
      repack.push_back(p);
      report.packs_repacked.push_back(key);
      report.bytes_repacked += live;
    } else {
      keep.push_back(p);
    }
  }
  // Packs no index lists: left by interrupted backups (we hold the exclusive lock).
  for (const auto& o : pack_objects)
    if (!indexed.count(o.key)) remove.push_back(o.key);
  report.packs_deleted = remove;
  for (const auto& key : remove) report.bytes_freed += pack_sizes.count(key) ? pack_sizes[key] : 0;
  for (const auto& p : repack) {
    std::string key = PackKey(p.pack);
    report.bytes_freed += pack_sizes.count(key) ? pack_sizes[key] : 0;
  }
  report.bytes_freed -= std::min(report.bytes_freed, report.bytes_repacked);
  report.snapshots_removed.assign(forget.begin(), forget.end());
  if (options.dry_run) return report;

  std::vector<std::string> old_index_files = repo.IndexFiles();

  // 3. ("Prune" step 1) Remove the manifests: from here on their data is merely unreferenced.
  for (const auto& id : forget) SUMMIT_TRY_CTX(backend.Delete(SnapshotKey(id)), "prune: deleting snapshot " + id);

  // 4. (step 2) Copy live blobs out of mostly-garbage packs into new packs, verifying each.
  size_t packs_before = repo.PacksWritten().size();
  for (const auto& p : repack) {
    std::string key = PackKey(p.pack);
    SUMMIT_ASSIGN_OR_RETURN_CTX(Bytes data, backend.Get(key), "prune: reading pack " + key + " to repack it");
    for (const auto& b : p.blobs) {
      if (!used.count(b.id)) continue;
      if (static_cast<uint64_t>(b.offset) + b.stored_length > data.size())
        return Fail(ErrorCode::kCorruption, "prune: pack " + key + " is shorter than its index says");
      ByteView sealed(data.data() + b.offset, b.stored_length);
      auto plain = crypto::Open(repo.master_key().encryption, sealed, ByteView(b.id.data(), b.id.size()));
      if (!plain.has_value())
        return Fail(Error(ErrorCode::kCorruption, "prune: chunk " + IdHex(b.id).substr(0, 16) + " in pack " + key +
                                                      " fails authentication; not repacking damaged data",
                          "run `summit-dr check --read-data`"));
      SUMMIT_TRY_CTX(repo.AddSealedBlob(b, sealed), "prune: repacking pack " + key);
    }
  }
  SUMMIT_TRY_CTX(repo.Flush(), "prune: writing repacked packs");
  std::vector<IndexPack> written = repo.PacksWritten();
  std::vector<IndexPack> fresh(written.begin() + static_cast<std::ptrdiff_t>(packs_before), written.end());

  // 5. (step 3) One complete index of what stays, written before any old index file goes.
  std::vector<IndexPack> next = keep;
  next.insert(next.end(), fresh.begin(), fresh.end());
  SUMMIT_ASSIGN_OR_RETURN_CTX(std::string new_index, repo.WriteIndexFile(next), "prune: writing the new index");

  // 6. (step 4) Old index files, including the one Flush wrote for the repacked packs.
  for (const auto& key : repo.IndexFiles())
    if (key != new_index) SUMMIT_TRY_CTX(backend.Delete(key), "prune: deleting old index file " + key);
  (void)old_index_files;

  // 7. (step 5) Packs that no index lists any more.
  for (const auto& key : remove) SUMMIT_TRY_CTX(backend.Delete(key), "prune: deleting pack " + key);
  for (const auto& p : repack) SUMMIT_TRY_CTX(backend.Delete(PackKey(p.pack)), "prune: deleting repacked pack");
  SUMMIT_TRY_CTX(repo.ReloadIndex(), "prune: reloading the index");
  return report;
}

}  // namespace summit::repo
