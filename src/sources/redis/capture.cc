// CaptureFull (replication RDB, parsed while it streams) and CaptureFiltered (SCAN + DUMP +
// PTTL), plus KeyFilter. See redis_source.h.
#include <chrono>
#include <unordered_set>

#include "core/log.h"
#include "sources/redis/client.h"
#include "sources/redis/key_stream.h"
#include "sources/redis/rdb_reader.h"
#include "sources/redis/redis_source.h"
#include "sources/redis/replication.h"

namespace summit::sources::redis {
namespace {

// Passes every byte read from `src` on to `sink`, so the parser and the capture see the same
// bytes in one pass.
class TeeSource final : public ByteSource {
 public:
  TeeSource(ByteSource* src, ByteSink* sink) : src_(src), sink_(sink) {}
  Result<size_t> Read(std::span<uint8_t> buf) override {
    SUMMIT_ASSIGN_OR_RETURN(size_t n, src_->Read(buf));
    if (n > 0) SUMMIT_TRY_CTX(sink_->Write(ByteView(buf.data(), n)), "writing dump.rdb");
    bytes_ += n;
    return n;
  }
  uint64_t bytes() const { return bytes_; }

 private:
  ByteSource* src_;
  ByteSink* sink_;
  uint64_t bytes_ = 0;
};

nlohmann::json PerDb(const std::map<int, uint64_t>& m) {
  nlohmann::json j = nlohmann::json::object();
  for (auto& [db, n] : m) j[std::to_string(db)] = n;
  return j;
}

}  // namespace

bool KeyFilter::SelectsDb(int db) const {
  if (dbs.empty()) return true;
  for (int d : dbs)
    if (d == db) return true;
  return false;
}

bool KeyFilter::SelectsKey(std::string_view key) const {
  bool in = include.empty();
  for (const auto& p : include)
    if (GlobMatch(p, key)) {
      in = true;
      break;
    }
  if (!in) return false;
  for (const auto& p : exclude)
    if (GlobMatch(p, key)) return false;
  return true;
}

nlohmann::json KeyFilter::ToJson() const {
  return {{"include", include}, {"exclude", exclude}, {"dbs", dbs}};
}

KeyFilter MinimalFilter() {
  KeyFilter f;
  f.exclude = {"session:*", "tmp:*", "temp:*"};
  return f;
}

nlohmann::json CaptureStats::ToJson() const {
  return {{"keys", keys}, {"bytes", bytes}, {"keys_per_db", PerDb(keys_per_db)}};
}

Result<CaptureStats> CaptureFull(const Settings& source, CaptureSink& out) {
  const std::string what = "capturing redis " + source.ToString();
  SUMMIT_ASSIGN_OR_RETURN_CTX(auto conn, Connection::Open(source), what);
  std::string version = conn->server_version();
  conn.reset();
  SUMMIT_ASSIGN_OR_RETURN_CTX(auto rdb, RdbStream::Open(source), what);
  SUMMIT_ASSIGN_OR_RETURN_CTX(auto sink, out.OpenStream(kRdbStream), what);
  TeeSource tee(rdb.get(), sink.get());
  SUMMIT_ASSIGN_OR_RETURN_CTX(auto reader, RdbReader::Open(&tee), what);
  CaptureStats stats;
  RdbKey key;
  for (;;) {
    SUMMIT_ASSIGN_OR_RETURN_CTX(bool more, reader->Next(&key), what);
    if (!more) break;
    ++stats.keys_per_db[key.db];
    ++stats.keys;
  }
  // The payload must end with the RDB's checksum: anything after it means we misread it.
  uint8_t extra[64];
  SUMMIT_ASSIGN_OR_RETURN_CTX(size_t n, tee.Read(extra), what);
  if (n != 0)
    return Fail(ErrorCode::kCorruption, what + ": the transfer has bytes after the rdb's end marker",
                "report this: the server's rdb format is not what this build understands");
  SUMMIT_TRY_CTX(sink->Close(), what + ": closing dump.rdb");
  stats.bytes = tee.bytes();
  const auto& info = rdb->info();
  out.SetAttribute("format", "rdb");
  out.SetAttribute("redis_version", version);
  out.SetAttribute("rdb_version", reader->version());
  out.SetAttribute("replication_id", info.replid);
  out.SetAttribute("replication_offset", info.offset);
  out.SetAttribute("diskless", info.diskless);
  out.SetAttribute("checksum_verified", reader->checksum_verified());
  out.SetAttribute("functions", reader->functions().size());
  out.SetAttribute("keys_per_db", PerDb(stats.keys_per_db));
  out.SetAttribute("keys", stats.keys);
  out.SetAttribute("bytes", stats.bytes);
  log::Debug("redis full capture done", {{"keys", std::to_string(stats.keys)}, {"bytes", std::to_string(stats.bytes)}});
  return stats;
}

Result<CaptureStats> CaptureFiltered(const Settings& source, const FilteredCaptureOptions& options, CaptureSink& out) {
  static const SystemClock kSystemClock;
  const Clock& clock = options.clock ? *options.clock : kSystemClock;
  const std::string what = "capturing redis keys from " + source.ToString();
  SUMMIT_ASSIGN_OR_RETURN_CTX(auto conn, Connection::Open(source), what);
  std::vector<int> dbs = options.filter.dbs;
  if (dbs.empty()) {
    SUMMIT_ASSIGN_OR_RETURN_CTX(dbs, NonEmptyDatabases(*conn), what);
  }
  SUMMIT_ASSIGN_OR_RETURN_CTX(auto sink, out.OpenStream(kKeysStream), what);
  SUMMIT_ASSIGN_OR_RETURN(auto writer, KeyStreamWriter::Open(sink.get()));
  CaptureStats stats;
  const std::string count = std::to_string(std::max<size_t>(options.batch, 1));
  // With exactly one include pattern the server filters for us; otherwise we filter here.
  const bool server_match = options.filter.include.size() == 1;
  std::vector<std::string> keys;
  KeyRecord rec;
  for (int db : dbs) {
    const std::string dbs_text = std::to_string(db);
    const std::string ctx = what + ": db " + dbs_text;
    SUMMIT_TRY_CTX(conn->Command({"SELECT", dbs_text}), ctx);
    // SCAN may return a key twice (when the table is resized mid-scan): remember what was
    // written. 64-bit hashes of the keys keep this at ~40 bytes per key.
    std::unordered_set<size_t> seen;
    std::string cursor = "0";
    do {
      std::vector<std::string_view> scan{"SCAN", cursor};
      if (server_match) {
        scan.push_back("MATCH");
        scan.push_back(options.filter.include[0]);
      }
      scan.push_back("COUNT");
      scan.push_back(count);
      SUMMIT_ASSIGN_OR_RETURN_CTX(Reply r, conn->Command(scan), ctx + ": SCAN");
      if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[1]->type != REDIS_REPLY_ARRAY)
        return Fail(ErrorCode::kCorruption, ctx + ": unexpected SCAN reply");
      cursor = std::string(ReplyString(r->element[0]));
      keys.clear();
      for (size_t i = 0; i < r->element[1]->elements; ++i) {
        std::string_view k = ReplyString(r->element[1]->element[i]);
        if (!options.filter.SelectsKey(k)) continue;
        if (!seen.insert(std::hash<std::string_view>()(k)).second) continue;
        keys.emplace_back(k);
      }
      for (const auto& k : keys) {
        SUMMIT_TRY_CTX(conn->Append({"DUMP", k}), ctx);
        SUMMIT_TRY_CTX(conn->Append({"PTTL", k}), ctx);
      }
      int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(clock.Now().time_since_epoch()).count();
      for (const auto& k : keys) {
        SUMMIT_ASSIGN_OR_RETURN_CTX(Reply dump, conn->GetReply(), ctx);
        SUMMIT_ASSIGN_OR_RETURN_CTX(Reply pttl, conn->GetReply(), ctx);
        if (dump->type == REDIS_REPLY_ERROR) return Fail(ReplyError(dump.get(), ctx + ": DUMP '" + PrintableKey(k) + "'"));
        if (dump->type == REDIS_REPLY_NIL) continue;  // deleted since SCAN
        if (pttl->type != REDIS_REPLY_INTEGER) return Fail(ErrorCode::kCorruption, ctx + ": unexpected PTTL reply");
        if (pttl->integer == -2) continue;  // expired since DUMP
        rec.db = db;
        rec.key = k;
        rec.expire_ms = pttl->integer >= 0 ? std::optional<int64_t>(now_ms + pttl->integer) : std::nullopt;
        rec.payload.assign(dump->str, dump->len);
        SUMMIT_TRY_CTX(writer->Add(rec), ctx + ": writing keys.dump");
        ++stats.keys_per_db[db];
        ++stats.keys;
      }
    } while (cursor != "0");
  }
  SUMMIT_TRY_CTX(writer->Finish(), what + ": closing keys.dump");
  stats.bytes = writer->bytes();
  out.SetAttribute("format", "keys");
  out.SetAttribute("redis_version", conn->server_version());
  out.SetAttribute("filter", options.filter.ToJson());
  out.SetAttribute("keys_per_db", PerDb(stats.keys_per_db));
  out.SetAttribute("keys", stats.keys);
  out.SetAttribute("bytes", stats.bytes);
  return stats;
}

}  // namespace summit::sources::redis
