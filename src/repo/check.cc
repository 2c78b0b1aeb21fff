#include "repo/check.h"

#include <atomic>
#include <map>
#include <set>
#include <thread>
#include <unordered_map>

#include "codec/compress.h"
#include "repo/retention.h"
#include "repo/snapshot.h"

namespace summit::repo {

nlohmann::json CheckReport::ToJson() const {
  nlohmann::json d = nlohmann::json::array();
  for (const auto& x : damaged)
    d.push_back({{"snapshot", x.snapshot}, {"component", x.component}, {"stream", x.stream}, {"reason", x.reason}});
  return {{"ok", ok()},          {"packs", packs},           {"index_files", index_files},
          {"blobs", blobs},      {"snapshots", snapshots},   {"packs_read", packs_read},
          {"bytes_read", bytes_read}, {"errors", errors},    {"warnings", warnings},
          {"damaged_packs", damaged_packs}, {"damaged", std::move(d)}};
}

namespace {

// Verifies one blob's sealed bytes; returns the reason it is bad, or "" when it is good.
std::string VerifyBlob(const crypto::MasterKey& key, const PackBlob& b, ByteView sealed) {
  auto plain = crypto::Open(key.encryption, sealed, ByteView(b.id.data(), b.id.size()));
  if (!plain.has_value()) return "fails authentication";
  Bytes raw;
  if (b.flags & kBlobCompressed) {
    auto d = codec::Decompress(*plain, b.raw_length);
    if (!d.has_value()) return d.error().message();
    raw = std::move(*d);
  } else {
    raw = std::move(*plain);
  }
  if (raw.size() != b.raw_length) return "has the wrong length";
  if (crypto::HmacSha256(key.id, raw) != b.id) return "fails its hash";
  return "";
}

}  // namespace

Result<CheckReport> Check(Repository& repo, const CheckOptions& options) {
  CheckReport report;
  storage::Backend& backend = repo.backend();
  SUMMIT_TRY_CTX(repo.ReloadIndex(), "check: loading the index");
  report.index_files = repo.IndexFiles().size();
  SUMMIT_ASSIGN_OR_RETURN_CTX(auto pack_objects, backend.List(kDataPrefix), "check: listing packs");
  std::unordered_map<std::string, uint64_t> pack_sizes;
  for (const auto& o : pack_objects) pack_sizes[o.key] = o.size;
  report.packs = pack_objects.size();

  std::vector<IndexPack> entries = repo.IndexEntries();
  std::unordered_map<BlobId, std::string, IdHash> bad;  // blob -> reason
  std::set<std::string> indexed_packs;
  for (const auto& p : entries) {
    std::string key = PackKey(p.pack);
    indexed_packs.insert(key);
    report.blobs += p.blobs.size();
    auto it = pack_sizes.find(key);
    if (it == pack_sizes.end()) {
      report.errors.push_back("index lists pack " + key + " which does not exist");
      for (const auto& b : p.blobs) bad.emplace(b.id, "pack " + key + " is missing");
      continue;
    }
    for (const auto& b : p.blobs) {
      if (static_cast<uint64_t>(b.offset) + b.stored_length + 4 > it->second) {
        report.errors.push_back("index entry for chunk " + IdHex(b.id).substr(0, 16) + " lies outside pack " + key);
        bad.emplace(b.id, "index entry lies outside pack " + key);
      }
    }
  }
  for (const auto& o : pack_objects)
    if (!indexed_packs.count(o.key))
      report.warnings.push_back("pack " + o.key + " is not in any index (left by an interrupted backup; prune removes it)");

  // Snapshots.
  std::vector<SnapshotManifest> snaps;
  if (options.snapshots.empty()) {
    SUMMIT_ASSIGN_OR_RETURN_CTX(auto objects, backend.List(kSnapshotsPrefix), "check: listing snapshots");
    for (const auto& o : objects) {
      std::string id = o.key.substr(kSnapshotsPrefix.size());
      auto m = LoadManifest(repo, id);
      if (!m.has_value()) {
        report.errors.push_back("snapshot " + id + ": " + m.error().message());
        report.damaged.push_back({id, "", "", m.error().message()});
        continue;
      }
      snaps.push_back(std::move(*m));
    }
  } else {
    for (const auto& id : options.snapshots) {
      SUMMIT_ASSIGN_OR_RETURN(SnapshotManifest m, LoadManifest(repo, id));
      snaps.push_back(std::move(m));
    }
  }
  report.snapshots = snaps.size();

  // Incremental snapshots: every base in the chain must exist.
  {
    SUMMIT_ASSIGN_OR_RETURN_CTX(auto objects, backend.List(kSnapshotsPrefix), "check: listing snapshots");
    std::map<std::string, std::vector<std::string>> bases_of;
    for (const auto& o : objects) bases_of[o.key.substr(kSnapshotsPrefix.size())];
    std::vector<std::string> ids;
    for (const auto& s : snaps) bases_of[s.id] = s.bases, ids.push_back(s.id);
    // Bases outside `snaps` (verify ID) are read for their own bases.
    std::vector<std::string> todo;
    for (const auto& s : snaps) todo.insert(todo.end(), s.bases.begin(), s.bases.end());
    std::set<std::string> loaded(ids.begin(), ids.end());
    while (!todo.empty()) {
      std::string id = todo.back();
      todo.pop_back();
      if (!loaded.insert(id).second || !bases_of.count(id)) continue;
      auto m = LoadManifest(repo, id);
      if (!m.has_value()) continue;  // reported with the scan of all snapshots, or below as missing
      bases_of[id] = m->bases;
      todo.insert(todo.end(), m->bases.begin(), m->bases.end());
    }
    for (const auto& id : ids) {
      for (const auto& [base, dependent] : ClosureOfBases(bases_of, {id}).missing) {
        std::string why = "depends on base snapshot " + base + (dependent == id ? "" : " (through " + dependent + ")") +
                          ", which does not exist";
        report.errors.push_back("snapshot " + id + " " + why + ": it cannot be restored");
        report.damaged.push_back({id, "", "", why});
      }
    }
  }

  std::set<PackId> wanted_packs;
  for (const auto& s : snaps)
    for (const auto& c : s.components)
      for (const auto& st : c.streams)
        for (const auto& id : st.chunks) {
          auto loc = repo.Find(id);
          if (!loc) {
            bad.emplace(id, "chunk " + IdHex(id).substr(0, 16) + " is not in the index");
          } else {
            wanted_packs.insert(loc->pack);
          }
        }

  if (options.read_data) {
    // Which packs to read: every indexed pack for a full check, else those the snapshots use.
    std::vector<const IndexPack*> to_read;
    for (const auto& p : entries)
      if ((options.snapshots.empty() || wanted_packs.count(p.pack)) && pack_sizes.count(PackKey(p.pack)))
        to_read.push_back(&p);
    std::mutex mu;
    std::atomic<size_t> next{0};
    auto worker = [&] {
      for (;;) {
        size_t i = next++;
        if (i >= to_read.size()) return;
        const IndexPack& p = *to_read[i];
        std::string key = PackKey(p.pack);
        auto data = backend.Get(key);
        std::lock_guard lock(mu);
        if (!data.has_value()) {
          report.damaged_packs.push_back(key + ": " + data.error().message());
          for (const auto& b : p.blobs) bad.emplace(b.id, "pack " + key + " cannot be read");
          continue;
        }
        ++report.packs_read;
        report.bytes_read += data->size();
        std::vector<std::string> problems;
        if (crypto::Sha256(*data) != p.pack) problems.push_back("content does not match its name");
        // The header must list what the index says.
        ByteView all(*data);
        auto off = all.size() >= 4 ? PackHeaderOffset(all.last(4), all.size()) : Result<uint64_t>(Fail(ErrorCode::kCorruption, "too short"));
        if (!off.has_value()) {
          problems.push_back(off.error().message());
        } else {
          auto header = crypto::Open(repo.master_key().encryption, all.subspan(*off, all.size() - 4 - *off),
                                     AsBytes(kAadPackHeader));
          if (!header.has_value()) {
            problems.push_back("header fails authentication");
          } else {
            auto blobs = ParsePackHeader(*header);
            if (!blobs.has_value()) problems.push_back(blobs.error().message());
          }
        }
        for (const auto& b : p.blobs) {
          if (static_cast<uint64_t>(b.offset) + b.stored_length > all.size()) continue;  // reported above
          std::string why = VerifyBlob(repo.master_key(), b, all.subspan(b.offset, b.stored_length));
          if (!why.empty()) {
            problems.push_back("chunk " + IdHex(b.id).substr(0, 16) + " " + why);
            bad.emplace(b.id, "chunk " + IdHex(b.id).substr(0, 16) + " in pack " + key + " " + why);
          }
        }
        if (!problems.empty()) {
          std::string line = key + ":";
          for (const auto& pr : problems) line += " " + pr + ";";
          line.pop_back();
          report.damaged_packs.push_back(line);
        }
      }
    };
    std::vector<std::thread> threads;
    int n = std::max(1, repo.workers());
    for (int i = 0; i < n; ++i) threads.emplace_back(worker);
    for (auto& t : threads) t.join();
    std::sort(report.damaged_packs.begin(), report.damaged_packs.end());
  }

  // Map bad chunks to exactly the streams they break.
  if (!bad.empty()) {
    for (const auto& s : snaps)
      for (const auto& c : s.components)
        for (const auto& st : c.streams)
          for (const auto& id : st.chunks) {
            auto it = bad.find(id);
            if (it != bad.end()) {
              report.damaged.push_back({s.id, c.name, st.name, it->second});
              break;
            }
          }
  }
  return report;
}

}  // namespace summit::repo
