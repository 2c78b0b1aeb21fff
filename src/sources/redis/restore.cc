// Restore (pipelined RESTORE ... REPLACE ABSTTL) and Export (RDB file). See redis_source.h.
#include <chrono>
#include <set>

#include "sources/redis/capture_reader.h"
#include "sources/redis/client.h"
#include "sources/redis/crc64.h"
#include "sources/redis/redis_source.h"

namespace summit::sources::redis {
namespace {

// Commands queued on the connection whose replies are not read yet. Each remembers what it
// was for (a label, or a key and its db) so that an error reply can name it; the message is
// only formatted on error.
class Pipeline {
 public:
  Pipeline(Connection* conn, const RestoreOptions& options) : conn_(conn), options_(options) {}

  Status Add(const std::vector<std::string_view>& args, std::string label, size_t bytes) {
    return Queue(args, Pending{std::move(label), {}, -1}, bytes);
  }
  Status AddKey(const std::vector<std::string_view>& args, const std::string& key, int db, size_t bytes) {
    return Queue(args, Pending{{}, key, db}, bytes);
  }

  // Reads every pending reply; fails with the first error reply, naming its command.
  Status Drain() {
    std::optional<Error> first;
    for (const auto& p : pending_) {
      SUMMIT_ASSIGN_OR_RETURN(Reply r, conn_->GetReply());
      if (r->type == REDIS_REPLY_ERROR && !first) {
        std::string label = p.db < 0 ? p.label
                                     : "restoring key '" + PrintableKey(p.key) + "' (db " + std::to_string(p.db) + ")";
        Error e = ReplyError(r.get(), label);
        std::string_view msg = ReplyString(r.get());
        if (msg.find("payload version") != std::string_view::npos)
          e = std::move(e).WithHint("the target redis is older than the one the capture came from; restore into the same "
                                    "or a newer redis version");
        first = std::move(e);
      }
    }
    pending_.clear();
    pending_bytes_ = 0;
    if (first) return Fail(std::move(*first));
    return Ok();
  }

 private:
  struct Pending {
    std::string label;
    std::string key;
    int db;
  };

  Status Queue(const std::vector<std::string_view>& args, Pending p, size_t bytes) {
    SUMMIT_TRY(conn_->Append(args));
    pending_.push_back(std::move(p));
    pending_bytes_ += bytes;
    if (pending_.size() >= options_.batch_keys || pending_bytes_ >= options_.batch_bytes) return Drain();
    return Ok();
  }

  Connection* conn_;
  const RestoreOptions& options_;
  std::vector<Pending> pending_;
  size_t pending_bytes_ = 0;
};

nlohmann::json PerDb(const std::map<int, uint64_t>& m) {
  nlohmann::json j = nlohmann::json::object();
  for (auto& [db, n] : m) j[std::to_string(db)] = n;
  return j;
}

}  // namespace

nlohmann::json RestorePlan::ToJson() const {
  return {{"dry_run", dry_run},
          {"keys", keys},
          {"bytes", bytes},
          {"keys_per_db", PerDb(keys_per_db)},
          {"skipped_expired", skipped_expired},
          {"skipped_filtered", skipped_filtered},
          {"dropped", dropped},
          {"replaced", replaced},
          {"functions", functions},
          {"flushed_dbs", flushed_dbs}};
}

Result<RestorePlan> Restore(const Settings& target, const RestoreOptions& options, CaptureSource& in,
                            const transform::RedisTransform* transform) {
  static const SystemClock kSystemClock;
  const Clock& clock = options.clock ? *options.clock : kSystemClock;
  const std::string what = std::string(options.dry_run ? "planning the restore of" : "restoring") + " redis into " +
                           target.ToString();
  RestorePlan plan;
  plan.dry_run = options.dry_run;
  SUMMIT_ASSIGN_OR_RETURN_CTX(auto reader, CaptureKeyReader::Open(in), what);
  std::unique_ptr<Connection> conn;
  if (!options.dry_run) {
    SUMMIT_ASSIGN_OR_RETURN_CTX(conn, Connection::Open(target), what);
  }
  Pipeline pipe(conn.get(), options);
  std::set<int> flushed;
  int current_db = conn ? conn->current_db() : 0;

  auto flush_db = [&](int db) -> Status {
    if (!options.flush || options.dry_run || flushed.count(db)) return Ok();
    std::string d = std::to_string(db);
    SUMMIT_TRY(pipe.Add({"SELECT", d}, "selecting db " + d, 0));
    SUMMIT_TRY(pipe.Add({"FLUSHDB"}, "flushing db " + d, 0));
    SUMMIT_TRY(pipe.Drain());
    current_db = db;
    flushed.insert(db);
    plan.flushed_dbs.push_back(db);
    return Ok();
  };
  // Flush every database the capture holds (and the filter selects) before writing anything,
  // so a failure half-way leaves no mix of old and new data within a database.
  if (options.flush) {
    auto per_db = in.Attributes().value("keys_per_db", nlohmann::json::object());
    for (auto& [db_text, n] : per_db.items()) {
      int db = std::stoi(db_text);
      if (options.filter.SelectsDb(db)) SUMMIT_TRY_CTX(flush_db(db), what);
    }
  }

  size_t functions_loaded = 0;
  auto load_functions = [&]() -> Status {
    const auto& libs = reader->functions();
    for (; functions_loaded < libs.size(); ++functions_loaded) {
      ++plan.functions;
      if (options.dry_run || !options.functions) continue;
      SUMMIT_TRY_CTX(pipe.Add({"FUNCTION", "LOAD", "REPLACE", libs[functions_loaded]}, "loading a function library", 0),
                     what);
    }
    return Ok();
  };

  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(clock.Now().time_since_epoch()).count();
  CapturedKey k;
  std::string ttl_text;
  for (;;) {
    SUMMIT_ASSIGN_OR_RETURN_CTX(bool more, reader->Next(&k), what);
    SUMMIT_TRY(load_functions());
    if (!more) break;
    if (!options.filter.SelectsDb(k.db) || !options.filter.SelectsKey(k.key)) {
      ++plan.skipped_filtered;
      continue;
    }
    if (k.expire_ms && *k.expire_ms <= now_ms) {
      ++plan.skipped_expired;
      continue;
    }
    transform::RedisKeyDecision decision;
    if (transform) {
      std::optional<std::string> str;
      if (k.type() == rdb::kString) {
        auto s = DecodeStringValue(k.value());
        if (!s) return Fail(std::move(s).error().Context(what + ": decoding string key '" + PrintableKey(k.key) + "'"));
        str = std::move(*s);
      }
      decision = transform->Apply(k.db, k.key, str ? std::optional<std::string_view>(*str) : std::nullopt);
      if (decision.kind == transform::RedisKeyDecision::Kind::kDrop) {
        ++plan.dropped;
        continue;
      }
    }
    ++plan.keys;
    ++plan.keys_per_db[k.db];
    if (options.dry_run) {
      plan.bytes += decision.kind == transform::RedisKeyDecision::Kind::kReplaceString ? decision.value.size()
                                                                                        : k.payload.size();
      if (decision.kind == transform::RedisKeyDecision::Kind::kReplaceString) ++plan.replaced;
      continue;
    }
    SUMMIT_TRY_CTX(flush_db(k.db), what);
    if (current_db != k.db) {
      std::string d = std::to_string(k.db);
      SUMMIT_TRY_CTX(pipe.Add({"SELECT", d}, "selecting db " + d, 0), what);
      current_db = k.db;
    }
    if (decision.kind == transform::RedisKeyDecision::Kind::kReplaceString) {
      ++plan.replaced;
      plan.bytes += decision.value.size();
      if (k.expire_ms) {
        ttl_text = std::to_string(*k.expire_ms);
        SUMMIT_TRY_CTX(pipe.AddKey({"SET", k.key, decision.value, "PXAT", ttl_text}, k.key, k.db,
                                  k.key.size() + decision.value.size()),
                     what);
      } else {
        SUMMIT_TRY_CTX(pipe.AddKey({"SET", k.key, decision.value}, k.key, k.db, k.key.size() + decision.value.size()),
                     what);
      }
      continue;
    }
    plan.bytes += k.payload.size();
    ttl_text = k.expire_ms ? std::to_string(*k.expire_ms) : "0";
    SUMMIT_TRY_CTX(pipe.AddKey({"RESTORE", k.key, ttl_text, k.payload, "REPLACE", "ABSTTL"}, k.key, k.db,
                               k.key.size() + k.payload.size()),
                   what);
  }
  if (!options.dry_run) SUMMIT_TRY_CTX(pipe.Drain(), what);
  return plan;
}

namespace {

// A sink wrapper that keeps the CRC-64 of everything written.
class RdbOut {
 public:
  explicit RdbOut(ByteSink& out) : out_(out) {}
  void Put(std::string_view s) {
    buf_.append(s);
  }
  void PutByte(uint8_t b) { buf_.push_back(static_cast<char>(b)); }
  void PutLen(uint64_t n) {
    if (n < 64) {
      PutByte(static_cast<uint8_t>(n));
    } else if (n < 16384) {
      PutByte(static_cast<uint8_t>(0x40 | (n >> 8)));
      PutByte(static_cast<uint8_t>(n & 0xff));
    } else if (n <= UINT32_MAX) {
      PutByte(0x80);
      for (int i = 3; i >= 0; --i) PutByte(static_cast<uint8_t>((n >> (8 * i)) & 0xff));
    } else {
      PutByte(0x81);
      for (int i = 7; i >= 0; --i) PutByte(static_cast<uint8_t>((n >> (8 * i)) & 0xff));
    }
  }
  Status MaybeFlush() { return buf_.size() >= (1 << 20) ? Flush() : Ok(); }
  Status Flush() {
    crc_ = Crc64(crc_, buf_);
    SUMMIT_TRY(out_.Write(AsBytes(buf_)));
    buf_.clear();
    return Ok();
  }
  // EOF opcode and checksum, then close.
  Status Finish() {
    PutByte(rdb::kOpEof);
    SUMMIT_TRY(Flush());
    std::string crc;
    for (int i = 0; i < 8; ++i) crc.push_back(static_cast<char>((crc_ >> (8 * i)) & 0xff));
    SUMMIT_TRY(out_.Write(AsBytes(crc)));
    return out_.Close();
  }

 private:
  ByteSink& out_;
  std::string buf_;
  uint64_t crc_ = 0;
};

}  // namespace

Status Export(CaptureSource& in, ExportFormat format, ByteSink& out) {
  (void)format;  // kRdb is the only format
  const std::string what = "exporting the redis capture as rdb";
  if (in.HasStream(kRdbStream)) {
    SUMMIT_ASSIGN_OR_RETURN_CTX(auto src, in.OpenStream(kRdbStream), what);
    std::vector<uint8_t> buf(1 << 20);
    for (;;) {
      SUMMIT_ASSIGN_OR_RETURN_CTX(size_t n, src->Read(buf), what);
      if (n == 0) break;
      SUMMIT_TRY_CTX(out.Write(ByteView(buf.data(), n)), what);
    }
    return out.Close();
  }
  SUMMIT_ASSIGN_OR_RETURN_CTX(auto reader, CaptureKeyReader::Open(in), what);
  RdbOut rdb(out);
  CapturedKey k;
  int version = -1;
  int db = -1;
  auto header = [&](int v) {
    char h[16];
    std::snprintf(h, sizeof(h), "REDIS%04d", v);
    rdb.Put(h);
    version = v;
  };
  for (;;) {
    SUMMIT_ASSIGN_OR_RETURN_CTX(bool more, reader->Next(&k), what);
    if (!more) break;
    if (version < 0) header(k.rdb_version);
    if (k.rdb_version != version)
      return Fail(ErrorCode::kUnsupported, what + ": key '" + PrintableKey(k.key) + "' has rdb version " +
                                               std::to_string(k.rdb_version) + " but earlier keys have " +
                                               std::to_string(version),
                  "the capture mixes payloads of different redis versions; restore it with `restore` instead");
    SUMMIT_TRY_CTX(ValidateValue(k.value()), what + ": key '" + PrintableKey(k.key) + "'");
    if (k.db != db) {
      rdb.PutByte(rdb::kOpSelectDb);
      rdb.PutLen(static_cast<uint64_t>(k.db));
      db = k.db;
    }
    if (k.expire_ms) {
      rdb.PutByte(rdb::kOpExpireTimeMs);
      for (int i = 0; i < 8; ++i) rdb.PutByte(static_cast<uint8_t>((static_cast<uint64_t>(*k.expire_ms) >> (8 * i)) & 0xff));
    }
    std::string_view value = k.value();
    rdb.PutByte(static_cast<uint8_t>(value[0]));  // type, then key, then the object
    rdb.PutLen(k.key.size());
    rdb.Put(k.key);
    rdb.Put(value.substr(1));
    SUMMIT_TRY_CTX(rdb.MaybeFlush(), what);
  }
  if (version < 0) {
    int v = in.Attributes().value("rdb_version", 9);
    header(v);
  }
  return rdb.Finish();
}

}  // namespace summit::sources::redis
