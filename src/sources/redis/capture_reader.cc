#include "sources/redis/capture_reader.h"

#include "sources/redis/redis_source.h"

namespace summit::sources::redis {

Result<std::unique_ptr<CaptureKeyReader>> CaptureKeyReader::Open(CaptureSource& in) {
  std::unique_ptr<CaptureKeyReader> r(new CaptureKeyReader());
  if (in.HasStream(kRdbStream)) {
    SUMMIT_ASSIGN_OR_RETURN_CTX(r->src_, in.OpenStream(kRdbStream), "opening redis capture stream dump.rdb");
    SUMMIT_ASSIGN_OR_RETURN_CTX(r->rdb_, RdbReader::Open(r->src_.get()), "reading redis capture dump.rdb");
  } else if (in.HasStream(kKeysStream)) {
    SUMMIT_ASSIGN_OR_RETURN_CTX(r->src_, in.OpenStream(kKeysStream), "opening redis capture stream keys.dump");
    SUMMIT_ASSIGN_OR_RETURN_CTX(r->keys_, KeyStreamReader::Open(r->src_.get()), "reading redis capture keys.dump");
  } else {
    return Fail(ErrorCode::kNotFound, "the redis capture has neither dump.rdb nor keys.dump",
                "check that the snapshot has a redis component");
  }
  return r;
}

const std::vector<std::string>& CaptureKeyReader::functions() const {
  static const std::vector<std::string> kNone;
  return rdb_ ? rdb_->functions() : kNone;
}

Result<bool> CaptureKeyReader::Next(CapturedKey* out) {
  if (rdb_) {
    SUMMIT_ASSIGN_OR_RETURN_CTX(bool more, rdb_->Next(&rdb_key_), "reading redis capture dump.rdb");
    if (!more) return false;
    out->db = rdb_key_.db;
    out->key.swap(rdb_key_.key);
    out->expire_ms = rdb_key_.expire_ms;
    out->payload = MakeDumpPayload(rdb_key_.value, rdb_->version());
    out->rdb_version = rdb_->version();
    return true;
  }
  SUMMIT_ASSIGN_OR_RETURN_CTX(bool more, keys_->Next(&rec_), "reading redis capture keys.dump");
  if (!more) return false;
  auto parts = SplitDumpPayload(rec_.payload);
  if (!parts)
    return Fail(std::move(parts).error().Context("reading redis capture keys.dump: key '" + PrintableKey(rec_.key) + "'"));
  out->rdb_version = parts->rdb_version;
  out->db = rec_.db;
  out->key.swap(rec_.key);
  out->expire_ms = rec_.expire_ms;
  out->payload.swap(rec_.payload);
  return true;
}

}  // namespace summit::sources::redis
