#include "sources/redis/rdb_reader.h"

#include <algorithm>
#include <climits>
#include <cstring>

#include "sources/redis/crc64.h"
#include "sources/redis/lzf.h"

namespace summit::sources::redis {
namespace {

uint64_t LoadLe(const char* p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

// An in-memory input with the same interface as RdbReader::Input.
class MemIn {
 public:
  explicit MemIn(std::string_view data) : data_(data) {}
  Result<uint8_t> Byte() {
    if (pos_ >= data_.size()) return Truncated();
    return static_cast<uint8_t>(data_[pos_++]);
  }
  Status Bytes(uint64_t n, std::string* out) {
    if (n > data_.size() - pos_) return Truncated();
    if (out) out->append(data_.data() + pos_, n);
    pos_ += n;
    return Ok();
  }
  uint64_t Offset() const { return pos_; }
  bool AtEnd() const { return pos_ == data_.size(); }

 private:
  Unexpected Truncated() const {
    return Fail(ErrorCode::kCorruption, "value ends early at byte " + std::to_string(data_.size()));
  }
  std::string_view data_;
  size_t pos_ = 0;
};

// Walks the RDB encodings on any input with Byte()/Bytes()/Offset().
template <class In>
class Walker {
 public:
  explicit Walker(In& in) : in_(in) {}

  // A length; `*special` is set when it is a string's special encoding (then the value is the
  // encoding kind 0..3).
  Result<uint64_t> Len(bool* special = nullptr) {
    if (special) *special = false;
    SUMMIT_ASSIGN_OR_RETURN(uint8_t b, in_.Byte());
    switch (b >> 6) {
      case 0:
        return uint64_t{b & 0x3fu};
      case 1: {
        SUMMIT_ASSIGN_OR_RETURN(uint8_t c, in_.Byte());
        return uint64_t{((b & 0x3fu) << 8) | c};
      }
      case 2: {
        int n;
        if (b == 0x80) n = 4;
        else if (b == 0x81) n = 8;
        else return Corrupt("invalid length encoding 0x" + Hex(b));
        std::string raw;
        SUMMIT_TRY(in_.Bytes(n, &raw));
        uint64_t v = 0;
        for (char c : raw) v = (v << 8) | static_cast<uint8_t>(c);
        return v;
      }
      default:
        if (!special) return Corrupt("string encoding where a length was expected");
        *special = true;
        return uint64_t{b & 0x3fu};
    }
  }

  // Reads a string; decodes it into `*out` when non-null, else only consumes it.
  Status String(std::string* out) {
    bool special = false;
    SUMMIT_ASSIGN_OR_RETURN(uint64_t len, Len(&special));
    if (!special) {
      if (out) out->clear();
      return in_.Bytes(len, out);
    }
    if (len <= 2) {  // int8 / int16 / int32, little-endian
      int n = 1 << len;
      std::string raw;
      SUMMIT_TRY(in_.Bytes(n, &raw));
      if (out) {
        uint64_t u = LoadLe(raw.data(), n);
        int64_t v = n == 1 ? static_cast<int8_t>(u) : n == 2 ? static_cast<int16_t>(u) : static_cast<int32_t>(u);
        *out = std::to_string(v);
      }
      return Ok();
    }
    if (len == 3) {
      SUMMIT_ASSIGN_OR_RETURN(uint64_t clen, Len());
      SUMMIT_ASSIGN_OR_RETURN(uint64_t ulen, Len());
      // LZF expands at most 88:1 (a 3-byte back reference yields 264 bytes).
      if (ulen > clen * 100 + 64) return Corrupt("lzf string claims an impossible length " + std::to_string(ulen));
      if (!out) return in_.Bytes(clen, nullptr);
      std::string comp;
      SUMMIT_TRY(in_.Bytes(clen, &comp));
      SUMMIT_ASSIGN_OR_RETURN(*out, LzfDecompress(comp, ulen));
      return Ok();
    }
    return Corrupt("unknown string encoding " + std::to_string(len));
  }

  // Consumes one object of `type` (the type byte already read).
  Status Object(uint8_t type) {
    switch (type) {
      case rdb::kString:
      case rdb::kHashZipmap:
      case rdb::kListZiplist:
      case rdb::kSetIntset:
      case rdb::kZsetZiplist:
      case rdb::kHashZiplist:
      case rdb::kHashListpack:
      case rdb::kZsetListpack:
      case rdb::kSetListpack:
        return String(nullptr);
      case rdb::kList:
      case rdb::kSet:
      case rdb::kListQuicklist:
        return Strings(1);
      case rdb::kHash:
        return Strings(2);
      case rdb::kZset: {
        SUMMIT_ASSIGN_OR_RETURN(uint64_t n, Len());
        for (uint64_t i = 0; i < n; ++i) {
          SUMMIT_TRY(String(nullptr));
          SUMMIT_ASSIGN_OR_RETURN(uint8_t dl, in_.Byte());
          if (dl < 253) SUMMIT_TRY(in_.Bytes(dl, nullptr));  // 253..255: nan, +inf, -inf
        }
        return Ok();
      }
      case rdb::kZset2: {
        SUMMIT_ASSIGN_OR_RETURN(uint64_t n, Len());
        for (uint64_t i = 0; i < n; ++i) {
          SUMMIT_TRY(String(nullptr));
          SUMMIT_TRY(in_.Bytes(8, nullptr));  // binary double
        }
        return Ok();
      }
      case rdb::kListQuicklist2: {
        SUMMIT_ASSIGN_OR_RETURN(uint64_t n, Len());
        for (uint64_t i = 0; i < n; ++i) {
          SUMMIT_ASSIGN_OR_RETURN(uint64_t container, Len());
          if (container != 1 && container != 2) return Corrupt("invalid quicklist container " + std::to_string(container));
          SUMMIT_TRY(String(nullptr));
        }
        return Ok();
      }
      case rdb::kStreamListpacks:
      case rdb::kStreamListpacks2:
      case rdb::kStreamListpacks3:
        return Stream(type);
      case rdb::kModule:
      case rdb::kModule2:
        return Fail(ErrorCode::kUnsupported, "module value type " + std::to_string(type) + " is not supported",
                    "module data (RedisJSON, RediSearch, ...) cannot be restored by summit-dr; exclude these keys");
      default:
        if (type >= 22 && type <= 25)  // Redis 7.4 hashes with field expiry (RDB 12)
          return Fail(ErrorCode::kUnsupported, "value type " + std::to_string(type) + " (Redis 7.4+) is not supported");
        return Corrupt("unknown value type " + std::to_string(type));
    }
  }

  Unexpected Corrupt(const std::string& what) {
    return Fail(ErrorCode::kCorruption, what + " at byte " + std::to_string(in_.Offset()));
  }

 private:
  static std::string Hex(uint8_t b) {
    static const char* d = "0123456789abcdef";
    return {d[b >> 4], d[b & 15]};
  }

  Status Strings(int per_element) {
    SUMMIT_ASSIGN_OR_RETURN(uint64_t n, Len());
    for (uint64_t i = 0; i < n; ++i)
      for (int k = 0; k < per_element; ++k) SUMMIT_TRY(String(nullptr));
    return Ok();
  }

  Status Lens(int n) {
    for (int i = 0; i < n; ++i) SUMMIT_TRY(Len());
    return Ok();
  }

  Status Stream(uint8_t type) {
    SUMMIT_ASSIGN_OR_RETURN(uint64_t nodes, Len());
    for (uint64_t i = 0; i < nodes; ++i) {
      SUMMIT_TRY(String(nullptr));  // master entry id (16 bytes)
      SUMMIT_TRY(String(nullptr));  // listpack
    }
    SUMMIT_TRY(Lens(3));  // length, last id ms, last id seq
    if (type >= rdb::kStreamListpacks2) SUMMIT_TRY(Lens(5));  // first id, max deleted id, entries added
    SUMMIT_ASSIGN_OR_RETURN(uint64_t groups, Len());
    for (uint64_t g = 0; g < groups; ++g) {
      SUMMIT_TRY(String(nullptr));  // group name
      SUMMIT_TRY(Lens(type >= rdb::kStreamListpacks2 ? 3 : 2));  // last id (+ entries read)
      SUMMIT_ASSIGN_OR_RETURN(uint64_t pel, Len());
      for (uint64_t p = 0; p < pel; ++p) {
        SUMMIT_TRY(in_.Bytes(16 + 8, nullptr));  // id, delivery time
        SUMMIT_TRY(Len());                       // delivery count
      }
      SUMMIT_ASSIGN_OR_RETURN(uint64_t consumers, Len());
      for (uint64_t c = 0; c < consumers; ++c) {
        SUMMIT_TRY(String(nullptr));  // consumer name
        SUMMIT_TRY(in_.Bytes(type >= rdb::kStreamListpacks3 ? 16 : 8, nullptr));  // seen (+ active) time
        SUMMIT_ASSIGN_OR_RETURN(uint64_t cpel, Len());
        for (uint64_t p = 0; p < cpel; ++p) SUMMIT_TRY(in_.Bytes(16, nullptr));
      }
    }
    return Ok();
  }

  In& in_;
};

}  // namespace

// Buffered input over a ByteSource that keeps the running CRC-64 and can copy every consumed
// byte into a capture string (the current key's value).
class RdbReader::Input {
 public:
  explicit Input(ByteSource* src) : src_(src), buf_(1 << 16) {}

  Result<uint8_t> Byte() {
    if (pos_ == end_) SUMMIT_TRY(Fill());
    uint8_t b = buf_[pos_++];
    if (capture_) capture_->push_back(static_cast<char>(b));
    return b;
  }

  Status Bytes(uint64_t n, std::string* out) {
    while (n > 0) {
      if (pos_ == end_) SUMMIT_TRY(Fill());
      size_t k = static_cast<size_t>(std::min<uint64_t>(n, end_ - pos_));
      const char* p = reinterpret_cast<const char*>(buf_.data() + pos_);
      if (out) out->append(p, k);
      if (capture_) capture_->append(p, k);
      pos_ += k;
      n -= k;
    }
    return Ok();
  }

  uint64_t Offset() const { return base_ + pos_; }
  void SetCapture(std::string* s) { capture_ = s; }

  // CRC-64 of every byte consumed so far.
  uint64_t Crc() {
    crc_ = Crc64(crc_, buf_.data() + crc_pos_, pos_ - crc_pos_);
    crc_pos_ = pos_;
    return crc_;
  }

 private:
  Status Fill() {
    crc_ = Crc64(crc_, buf_.data() + crc_pos_, end_ - crc_pos_);
    base_ += end_;
    pos_ = end_ = crc_pos_ = 0;
    SUMMIT_ASSIGN_OR_RETURN(size_t n, src_->Read(std::span<uint8_t>(buf_.data(), buf_.size())));
    if (n == 0)
      return Fail(ErrorCode::kCorruption, "rdb file ends early at byte " + std::to_string(base_),
                  "the capture is truncated; take a new backup");
    end_ = n;
    return Ok();
  }

  ByteSource* src_;
  std::vector<uint8_t> buf_;
  size_t pos_ = 0, end_ = 0, crc_pos_ = 0;
  uint64_t base_ = 0;
  uint64_t crc_ = 0;
  std::string* capture_ = nullptr;
};

std::string_view TypeName(uint8_t type) {
  switch (type) {
    case rdb::kString: return "string";
    case rdb::kList: case rdb::kListZiplist: case rdb::kListQuicklist: case rdb::kListQuicklist2: return "list";
    case rdb::kSet: case rdb::kSetIntset: case rdb::kSetListpack: return "set";
    case rdb::kZset: case rdb::kZset2: case rdb::kZsetZiplist: case rdb::kZsetListpack: return "zset";
    case rdb::kHash: case rdb::kHashZipmap: case rdb::kHashZiplist: case rdb::kHashListpack: return "hash";
    case rdb::kStreamListpacks: case rdb::kStreamListpacks2: case rdb::kStreamListpacks3: return "stream";
    case rdb::kModule: case rdb::kModule2: return "module";
    default: return "unknown";
  }
}

std::string PrintableKey(std::string_view key) {
  std::string out;
  size_t n = std::min<size_t>(key.size(), 120);
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = key[i];
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      static const char* d = "0123456789abcdef";
      out += "\\x";
      out.push_back(d[c >> 4]);
      out.push_back(d[c & 15]);
    }
  }
  if (key.size() > n) out += "...";
  return out;
}

RdbReader::RdbReader(std::unique_ptr<Input> in, int version) : in_(std::move(in)), version_(version) {}
RdbReader::~RdbReader() = default;

uint64_t RdbReader::offset() const { return in_->Offset(); }

Result<std::unique_ptr<RdbReader>> RdbReader::Open(ByteSource* src) {
  auto in = std::make_unique<Input>(src);
  std::string header;
  auto st = in->Bytes(9, &header);
  if (!st || header.compare(0, 5, "REDIS") != 0)
    return Fail(ErrorCode::kCorruption, "not an rdb file: it does not start with 'REDIS' and a 4-digit version",
                "check that the stream is a Redis dump (dump.rdb)");
  int version = 0;
  for (int i = 5; i < 9; ++i) {
    if (header[i] < '0' || header[i] > '9')
      return Fail(ErrorCode::kCorruption, "not an rdb file: bad version digits in the header");
    version = version * 10 + (header[i] - '0');
  }
  if (version < 1 || version > rdb::kMaxVersion)
    return Fail(ErrorCode::kUnsupported, "rdb version " + std::to_string(version) + " is not supported (1.." +
                                             std::to_string(rdb::kMaxVersion) + ")",
                "the dump comes from a newer Redis than this build understands");
  return std::unique_ptr<RdbReader>(new RdbReader(std::move(in), version));
}

Result<bool> RdbReader::Next(RdbKey* out) {
  if (done_) return false;
  Walker<Input> w(*in_);
  auto where = [&](uint64_t off) {
    return "at byte " + std::to_string(off) +
           (last_key_.empty() ? std::string(" (before the first key)") : " (after key '" + PrintableKey(last_key_) + "')");
  };
  out->expire_ms.reset();
  uint64_t record_start = in_->Offset();
  for (;;) {
    uint64_t op_off = in_->Offset();
    SUMMIT_ASSIGN_OR_RETURN_CTX(uint8_t op, in_->Byte(), "reading rdb");
    switch (op) {
      case rdb::kOpAux: {
        std::string k, v;
        SUMMIT_TRY_CTX(w.String(&k), "reading rdb aux field " + where(op_off));
        SUMMIT_TRY_CTX(w.String(&v), "reading rdb aux field '" + PrintableKey(k) + "' " + where(op_off));
        aux_.emplace_back(std::move(k), std::move(v));
        record_start = in_->Offset();
        continue;
      }
      case rdb::kOpResizeDb: {
        SUMMIT_TRY_CTX(w.Len(), "reading rdb resizedb " + where(op_off));
        SUMMIT_TRY_CTX(w.Len(), "reading rdb resizedb " + where(op_off));
        record_start = in_->Offset();
        continue;
      }
      case rdb::kOpSelectDb: {
        SUMMIT_ASSIGN_OR_RETURN_CTX(uint64_t db, w.Len(), "reading rdb selectdb " + where(op_off));
        if (db > INT_MAX) return Fail(ErrorCode::kCorruption, "rdb selects impossible database " + std::to_string(db) + " " + where(op_off));
        db_ = static_cast<int>(db);
        record_start = in_->Offset();
        continue;
      }
      case rdb::kOpExpireTime: {
        std::string raw;
        SUMMIT_TRY_CTX(in_->Bytes(4, &raw), "reading rdb expiry " + where(op_off));
        out->expire_ms = static_cast<int64_t>(static_cast<int32_t>(LoadLe(raw.data(), 4))) * 1000;
        continue;
      }
      case rdb::kOpExpireTimeMs: {
        std::string raw;
        SUMMIT_TRY_CTX(in_->Bytes(8, &raw), "reading rdb expiry " + where(op_off));
        out->expire_ms = static_cast<int64_t>(LoadLe(raw.data(), 8));
        continue;
      }
      case rdb::kOpIdle:
        SUMMIT_TRY_CTX(w.Len(), "reading rdb idle time " + where(op_off));
        continue;
      case rdb::kOpFreq:
        SUMMIT_TRY_CTX(in_->Byte(), "reading rdb lfu frequency " + where(op_off));
        continue;
      case rdb::kOpSlotInfo:
        for (int i = 0; i < 3; ++i) SUMMIT_TRY_CTX(w.Len(), "reading rdb slot info " + where(op_off));
        record_start = in_->Offset();
        continue;
      case rdb::kOpFunction2: {
        std::string code;
        SUMMIT_TRY_CTX(w.String(&code), "reading rdb function library " + where(op_off));
        functions_.push_back(std::move(code));
        record_start = in_->Offset();
        continue;
      }
      case rdb::kOpFunctionPreGa:
        return Fail(ErrorCode::kUnsupported, "rdb holds a pre-release (7.0-rc) function record " + where(op_off),
                    "load and save the dump with a Redis 7.0 GA server first");
      case rdb::kOpModuleAux:
        return Fail(ErrorCode::kUnsupported, "rdb holds module aux data " + where(op_off),
                    "dumps of servers with modules loaded are not supported; unload the module or use the "
                    "filtered capture (SCAN + DUMP)");
      case rdb::kOpEof: {
        uint64_t computed = in_->Crc();
        if (version_ >= 5) {
          std::string raw;
          SUMMIT_TRY_CTX(in_->Bytes(8, &raw), "reading rdb checksum");
          uint64_t stored = LoadLe(raw.data(), 8);
          if (stored != 0 && stored != computed)
            return Fail(ErrorCode::kCorruption, "rdb checksum mismatch at byte " + std::to_string(op_off) +
                                                    ": the file is damaged",
                        "take a new backup; do not restore this capture");
          checksum_verified_ = stored != 0;
        }
        done_ = true;
        return false;
      }
      default: {
        out->db = db_;
        out->type = op;
        out->offset = record_start;
        SUMMIT_TRY_CTX(w.String(&out->key), "reading a key name " + where(op_off));
        last_key_ = out->key;
        out->value.clear();
        out->value.push_back(static_cast<char>(op));
        in_->SetCapture(&out->value);
        Status st = w.Object(op);
        in_->SetCapture(nullptr);
        if (!st)
          return Fail(std::move(st).error().Context("reading key '" + PrintableKey(out->key) + "' (db " +
                                                    std::to_string(db_) + ", " + std::string(TypeName(op)) +
                                                    ") at byte " + std::to_string(op_off)));
        return true;
      }
    }
  }
}

std::string MakeDumpPayload(std::string_view value, int rdb_version) {
  std::string out;
  out.reserve(value.size() + 10);
  out.append(value);
  out.push_back(static_cast<char>(rdb_version & 0xff));
  out.push_back(static_cast<char>((rdb_version >> 8) & 0xff));
  uint64_t crc = Crc64(0, out);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
  return out;
}

Result<DumpParts> SplitDumpPayload(std::string_view payload) {
  if (payload.size() < 11) return Fail(ErrorCode::kCorruption, "dump payload of " + std::to_string(payload.size()) + " bytes is too short");
  uint64_t stored = LoadLe(payload.data() + payload.size() - 8, 8);
  uint64_t computed = Crc64(0, payload.data(), payload.size() - 8);
  if (stored != computed) return Fail(ErrorCode::kCorruption, "dump payload checksum mismatch");
  DumpParts parts;
  parts.value = payload.substr(0, payload.size() - 10);
  parts.rdb_version = static_cast<int>(LoadLe(payload.data() + payload.size() - 10, 2));
  return parts;
}

Status ValidateValue(std::string_view value) {
  MemIn in(value);
  Walker<MemIn> w(in);
  SUMMIT_ASSIGN_OR_RETURN(uint8_t type, in.Byte());
  SUMMIT_TRY(w.Object(type));
  if (!in.AtEnd()) return Fail(ErrorCode::kCorruption, "value has trailing bytes after byte " + std::to_string(in.Offset()));
  return Ok();
}

Result<std::string> DecodeStringValue(std::string_view value) {
  if (value.empty() || static_cast<uint8_t>(value[0]) != rdb::kString)
    return Fail(ErrorCode::kInvalidInput, "value is not a string");
  MemIn in(value.substr(1));
  Walker<MemIn> w(in);
  std::string out;
  SUMMIT_TRY(w.String(&out));
  if (!in.AtEnd()) return Fail(ErrorCode::kCorruption, "string value has trailing bytes");
  return out;
}

std::string EncodeStringValue(std::string_view s) {
  std::string out(1, static_cast<char>(rdb::kString));
  uint64_t n = s.size();
  if (n < 64) {
    out.push_back(static_cast<char>(n));
  } else if (n < 16384) {
    out.push_back(static_cast<char>(0x40 | (n >> 8)));
    out.push_back(static_cast<char>(n & 0xff));
  } else if (n <= UINT32_MAX) {
    out.push_back(static_cast<char>(0x80));
    for (int i = 3; i >= 0; --i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  } else {
    out.push_back(static_cast<char>(0x81));
    for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  }
  out.append(s);
  return out;
}

Result<std::string> CanonicalValue(std::string_view value) {
  if (value.empty()) return Fail(ErrorCode::kCorruption, "empty value");
  uint8_t type = static_cast<uint8_t>(value[0]);
  if (type != rdb::kSet && type != rdb::kHash) {
    SUMMIT_TRY(ValidateValue(value));
    return std::string(value);
  }
  MemIn in(value.substr(1));
  Walker<MemIn> w(in);
  SUMMIT_ASSIGN_OR_RETURN(uint64_t n, w.Len());
  std::vector<std::string> items;
  for (uint64_t i = 0; i < n; ++i) {
    std::string a;
    SUMMIT_TRY(w.String(&a));
    if (type == rdb::kHash) {
      std::string b;
      SUMMIT_TRY(w.String(&b));
      // Length-prefix the field so that ("ab","c") and ("a","bc") differ.
      a = std::to_string(a.size()) + ":" + a + b;
    }
    items.push_back(std::move(a));
  }
  if (!in.AtEnd()) return Fail(ErrorCode::kCorruption, "value has trailing bytes");
  std::sort(items.begin(), items.end());
  std::string out(1, static_cast<char>(type));
  for (const auto& s : items) out += std::to_string(s.size()) + ":" + s;
  return out;
}

}  // namespace summit::sources::redis
