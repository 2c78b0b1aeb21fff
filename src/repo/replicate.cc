#include "repo/replicate.h"

#include <map>
#include <set>
#include <unordered_set>

#include "repo/retention.h"
#include "repo/snapshot.h"

namespace summit::repo {

nlohmann::json ReplicateReport::ToJson() const {
  return {{"snapshots_copied", snapshots_copied}, {"snapshots_present", snapshots_present},
          {"packs_copied", packs_copied},         {"packs_present", packs_present},
          {"bytes_copied", bytes_copied},         {"initialized_destination", initialized_destination}};
}

namespace {

// Puts `data` and reads it back: "verify what was copied".
Status PutVerified(storage::Backend& dst, const std::string& key, ByteView data) {
  SUMMIT_TRY_CTX(dst.Put(key, data), "replicate: writing " + key + " to " + dst.Describe());
  SUMMIT_ASSIGN_OR_RETURN_CTX(Bytes back, dst.Get(key), "replicate: reading back " + key);
  if (back.size() != data.size() || crypto::Sha256(back) != crypto::Sha256(data))
    return Fail(ErrorCode::kCorruption, "replicate: " + key + " reads back differently from " + dst.Describe());
  return Ok();
}

}  // namespace

Result<ReplicateReport> Replicate(Repository& src, storage::Backend& dst, const std::vector<std::string>& ids) {
  ReplicateReport report;
  storage::Backend& sb = src.backend();
  SUMMIT_TRY_CTX(src.Flush(), "replicate: flushing the source");

  // The destination must be empty or the same repository.
  SUMMIT_ASSIGN_OR_RETURN_CTX(Bytes src_config, sb.Get(kConfigKey), "replicate: reading the source config");
  auto dst_config = dst.Get(kConfigKey);
  if (dst_config.has_value()) {
    if (*dst_config != src_config)
      return Fail(Error(ErrorCode::kInvalidInput,
                        "replicate: " + dst.Describe() + " holds a different repository than " + sb.Describe(),
                        "replicate into an empty location, or into a replica made by `summit-dr replicate`"));
  } else if (dst_config.error().code() == ErrorCode::kNotFound) {
    // Same order as Init: key files, then the config.
    SUMMIT_ASSIGN_OR_RETURN(auto keys, sb.List(kKeysPrefix));
    for (const auto& k : keys) {
      SUMMIT_ASSIGN_OR_RETURN(Bytes data, sb.Get(k.key));
      SUMMIT_TRY(PutVerified(dst, k.key, data));
    }
    SUMMIT_TRY(PutVerified(dst, std::string(kConfigKey), src_config));
    report.initialized_destination = true;
  } else {
    return Fail(dst_config.error().Context("replicate: reading the destination config"));
  }

  // Which snapshots.
  std::vector<SnapshotManifest> snaps;
  if (ids.empty()) {
    SUMMIT_ASSIGN_OR_RETURN(snaps, ListSnapshots(src));
  } else {
    // An incremental snapshot is useless without its chain: bring its bases along, first.
    SUMMIT_ASSIGN_OR_RETURN(std::vector<SnapshotManifest> all, ListSnapshots(src));
    std::map<std::string, std::vector<std::string>> bases_of;
    for (const auto& m : all) bases_of[m.id] = m.bases;
    for (const auto& id : ids)
      if (!bases_of.count(id)) SUMMIT_TRY(LoadManifest(src, id));  // the not-found error, with its hint
    BaseClosure chain = ClosureOfBases(bases_of, ids);
    if (!chain.missing.empty())
      return Fail(Error(ErrorCode::kCorruption,
                        "replicate: snapshot " + chain.missing.front().second + " depends on base " +
                            chain.missing.front().first + ", which is not in " + sb.Describe(),
                        "run `summit-dr check` on the source"));
    std::set<std::string> wanted(ids.begin(), ids.end());
    for (const auto& [base, dependent] : chain.bases) wanted.insert(base);
    for (auto& m : all)  // ListSnapshots order (oldest first): bases before what depends on them
      if (wanted.count(m.id)) snaps.push_back(std::move(m));
  }
  std::vector<const SnapshotManifest*> todo;
  for (const auto& s : snaps) {
    auto there = dst.Stat(SnapshotKey(s.id));
    if (there.has_value()) report.snapshots_present.push_back(s.id);
    else if (there.error().code() == ErrorCode::kNotFound) todo.push_back(&s);
    else return Fail(there.error().Context("replicate: checking snapshot " + s.id + " on " + dst.Describe()));
  }
  if (todo.empty()) return report;

  // The packs those snapshots need.
  std::set<PackId> needed;
  for (const auto* s : todo)
    for (const auto& c : s->components)
      for (const auto& st : c.streams)
        for (const auto& id : st.chunks) {
          auto loc = src.Find(id);
          if (!loc)
            return Fail(Error(ErrorCode::kCorruption, "replicate: chunk " + IdHex(id).substr(0, 16) + " of snapshot " +
                                                          s->id + " is not in the source index",
                              "run `summit-dr check` on the source"));
          needed.insert(loc->pack);
        }
  SUMMIT_ASSIGN_OR_RETURN(auto dst_packs, dst.List(kDataPrefix));
  std::set<std::string> present;
  for (const auto& o : dst_packs) present.insert(o.key);

  // 1. Packs (verified against their content-addressed names on both sides).
  for (const auto& pack : needed) {
    std::string key = PackKey(pack);
    if (present.count(key)) {
      ++report.packs_present;
      continue;
    }
    SUMMIT_ASSIGN_OR_RETURN_CTX(Bytes data, sb.Get(key), "replicate: reading pack " + key);
    if (crypto::Sha256(data) != pack)
      return Fail(Error(ErrorCode::kCorruption, "replicate: source pack " + key + " does not match its name",
                        "run `summit-dr check --read-data` on the source"));
    SUMMIT_TRY(PutVerified(dst, key, data));
    ++report.packs_copied;
    report.bytes_copied += data.size();
  }
  // 2. An index file for every needed pack (duplicates of existing entries merge harmlessly,
  //    and this also covers packs an interrupted earlier run copied without an index).
  std::vector<IndexPack> entries;
  for (auto& p : src.IndexEntries())
    if (needed.count(p.pack)) entries.push_back(std::move(p));
  Bytes index = crypto::Seal(src.master_key().encryption, EncodeIndex(entries), AsBytes(kAadIndex));
  SUMMIT_TRY(PutVerified(dst, IndexKey(crypto::Sha256(index)), index));
  report.bytes_copied += index.size();
  // 3. Manifests last.
  for (const auto* s : todo) {
    SUMMIT_ASSIGN_OR_RETURN(Bytes data, sb.Get(SnapshotKey(s->id)));
    SUMMIT_TRY(PutVerified(dst, SnapshotKey(s->id), data));
    report.bytes_copied += data.size();
    report.snapshots_copied.push_back(s->id);
  }
  return report;
}

}  // namespace summit::repo
