#include "sources/redis/key_stream.h"

#include <algorithm>

namespace summit::sources::redis {
namespace {

constexpr std::string_view kMagic("SUMMIT-REDIS-KEYS\x01", 18);
constexpr uint32_t kMaxKeyLen = 512u << 20;  // Redis's proto-max-bulk-len default

void Put32(std::string& s, uint32_t v) {
  for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void Put64(std::string& s, uint64_t v) {
  for (int i = 0; i < 8; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint64_t Get(const std::string& s, size_t at, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(s[at + i]);
  return v;
}

}  // namespace

Result<std::unique_ptr<KeyStreamWriter>> KeyStreamWriter::Open(ByteSink* sink) {
  std::unique_ptr<KeyStreamWriter> w(new KeyStreamWriter(sink));
  w->buf_.append(kMagic);
  return w;
}

Status KeyStreamWriter::Add(const KeyRecord& rec) {
  if (rec.key.size() > kMaxKeyLen || rec.payload.size() > UINT32_MAX)
    return Fail(ErrorCode::kUnsupported, "key or value too large for the keys stream (over 4 GiB)");
  buf_.push_back('K');
  Put32(buf_, static_cast<uint32_t>(rec.db));
  Put32(buf_, static_cast<uint32_t>(rec.key.size()));
  buf_.append(rec.key);
  Put64(buf_, static_cast<uint64_t>(rec.expire_ms.value_or(-1)));
  Put32(buf_, static_cast<uint32_t>(rec.payload.size()));
  buf_.append(rec.payload);
  ++count_;
  if (buf_.size() >= (1 << 20)) return Flush();
  return Ok();
}

Status KeyStreamWriter::Flush() {
  bytes_ += buf_.size();
  SUMMIT_TRY(sink_->Write(AsBytes(buf_)));
  buf_.clear();
  return Ok();
}

Status KeyStreamWriter::Finish() {
  buf_.push_back('E');
  Put64(buf_, count_);
  SUMMIT_TRY(Flush());
  return sink_->Close();
}

Result<std::unique_ptr<KeyStreamReader>> KeyStreamReader::Open(ByteSource* src) {
  std::unique_ptr<KeyStreamReader> r(new KeyStreamReader(src));
  std::string magic;
  auto st = r->ReadExact(kMagic.size(), &magic);
  if (!st || magic != kMagic)
    return Fail(ErrorCode::kCorruption, "not a summit redis keys stream (bad magic)",
                "the capture's keys.dump is damaged or from another tool");
  return r;
}

Status KeyStreamReader::ReadExact(size_t n, std::string* out) {
  while (n > 0) {
    if (pos_ == end_) {
      SUMMIT_ASSIGN_OR_RETURN(size_t got, src_->Read(std::span<uint8_t>(buf_.data(), buf_.size())));
      if (got == 0)
        return Fail(ErrorCode::kCorruption, "keys stream ends early at byte " + std::to_string(offset_),
                    "the capture is truncated; take a new backup");
      pos_ = 0;
      end_ = got;
    }
    size_t k = std::min(n, end_ - pos_);
    out->append(reinterpret_cast<const char*>(buf_.data() + pos_), k);
    pos_ += k;
    offset_ += k;
    n -= k;
  }
  return Ok();
}

Result<bool> KeyStreamReader::Next(KeyRecord* out) {
  if (done_) return false;
  uint64_t at = offset_;
  std::string h;
  SUMMIT_TRY(ReadExact(1, &h));
  if (h[0] == 'E') {
    std::string c;
    SUMMIT_TRY(ReadExact(8, &c));
    if (Get(c, 0, 8) != count_)
      return Fail(ErrorCode::kCorruption, "keys stream end record counts " + std::to_string(Get(c, 0, 8)) +
                                              " keys but " + std::to_string(count_) + " were read");
    done_ = true;
    return false;
  }
  if (h[0] != 'K') return Fail(ErrorCode::kCorruption, "keys stream has an unknown record type at byte " + std::to_string(at));
  std::string f;
  SUMMIT_TRY(ReadExact(8, &f));
  uint32_t db = static_cast<uint32_t>(Get(f, 0, 4));
  uint32_t klen = static_cast<uint32_t>(Get(f, 4, 4));
  if (db > (1u << 20) || klen > kMaxKeyLen)
    return Fail(ErrorCode::kCorruption, "keys stream record at byte " + std::to_string(at) + " has an impossible db or key length");
  out->db = static_cast<int>(db);
  out->key.clear();
  SUMMIT_TRY(ReadExact(klen, &out->key));
  f.clear();
  SUMMIT_TRY(ReadExact(12, &f));
  int64_t exp = static_cast<int64_t>(Get(f, 0, 8));
  out->expire_ms = exp < 0 ? std::nullopt : std::optional<int64_t>(exp);
  uint32_t plen = static_cast<uint32_t>(Get(f, 8, 4));
  out->payload.clear();
  SUMMIT_TRY(ReadExact(plen, &out->payload));
  ++count_;
  return true;
}

}  // namespace summit::sources::redis
