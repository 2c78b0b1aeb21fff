#include "repo/format.h"

#include <cstring>

#include <nlohmann/json.hpp>

namespace summit::repo {
namespace {

constexpr char kPackMagic[8] = {'S', 'D', 'R', 'P', 'A', 'C', 'K', '1'};
constexpr char kIndexMagic[8] = {'S', 'D', 'R', 'I', 'D', 'X', '0', '1'};
constexpr size_t kPackEntrySize = 32 + 1 + 4 + 4;
constexpr size_t kIndexBlobSize = 32 + 1 + 4 + 4 + 4;

Error Corrupt(const std::string& what) { return Error(ErrorCode::kCorruption, what); }

// A bounds-checked little-endian reader over untrusted bytes.
class Reader {
 public:
  explicit Reader(ByteView b) : b_(b) {}
  bool Has(size_t n) const { return b_.size() - pos_ >= n; }
  size_t left() const { return b_.size() - pos_; }
  uint32_t U32() { uint32_t v = GetU32(b_.data() + pos_); pos_ += 4; return v; }
  uint8_t U8() { return b_[pos_++]; }
  void Id(crypto::Digest& d) { std::memcpy(d.data(), b_.data() + pos_, 32); pos_ += 32; }
  bool Magic(const char (&m)[8]) {
    if (!Has(8) || std::memcmp(b_.data() + pos_, m, 8) != 0) return false;
    pos_ += 8;
    return true;
  }

 private:
  ByteView b_;
  size_t pos_ = 0;
};

}  // namespace

std::string IdHex(const crypto::Digest& id) { return HexEncode(id); }

Result<crypto::Digest> ParseId(std::string_view hex) {
  if (hex.size() != 64) return Fail(ErrorCode::kInvalidInput, "id '" + std::string(hex) + "' is not 64 hex digits");
  SUMMIT_ASSIGN_OR_RETURN(Bytes b, HexDecode(hex));
  crypto::Digest d;
  std::memcpy(d.data(), b.data(), 32);
  return d;
}

std::string PackKey(const PackId& id) {
  std::string hex = IdHex(id);
  return "data/" + hex.substr(0, 2) + "/" + hex;
}
std::string IndexKey(const crypto::Digest& id) { return "index/" + IdHex(id); }
std::string SnapshotKey(std::string_view snapshot_id) { return "snapshots/" + std::string(snapshot_id); }

Bytes EncodePackHeader(const std::vector<PackBlob>& blobs) {
  Bytes out(kPackMagic, kPackMagic + 8);
  out.reserve(12 + blobs.size() * kPackEntrySize);
  PutU32(out, static_cast<uint32_t>(blobs.size()));
  for (const auto& b : blobs) {
    out.insert(out.end(), b.id.begin(), b.id.end());
    out.push_back(b.flags);
    PutU32(out, b.raw_length);
    PutU32(out, b.stored_length);
  }
  return out;
}

Result<std::vector<PackBlob>> ParsePackHeader(ByteView plaintext) {
  Reader r(plaintext);
  if (!r.Magic(kPackMagic)) return Fail(Corrupt("pack header has a bad magic number"));
  if (!r.Has(4)) return Fail(Corrupt("pack header is truncated"));
  uint32_t count = r.U32();
  if (r.left() != static_cast<uint64_t>(count) * kPackEntrySize)
    return Fail(Corrupt("pack header lists " + std::to_string(count) + " blobs but holds " +
                        std::to_string(r.left()) + " bytes of entries"));
  std::vector<PackBlob> out(count);
  uint64_t offset = 0;
  for (auto& b : out) {
    r.Id(b.id);
    b.flags = r.U8();
    b.raw_length = r.U32();
    b.stored_length = r.U32();
    if (b.stored_length < crypto::kSealOverhead) return Fail(Corrupt("pack header lists a blob shorter than its seal"));
    if (offset + b.stored_length > 0xffffffffull) return Fail(Corrupt("pack header offsets overflow"));
    b.offset = static_cast<uint32_t>(offset);
    offset += b.stored_length;
  }
  return out;
}

Result<uint64_t> PackHeaderOffset(ByteView trailer4, uint64_t pack_size) {
  if (trailer4.size() != 4 || pack_size < 4) return Fail(Corrupt("pack is too short to hold a header"));
  uint64_t len = GetU32(trailer4.data());
  if (len + 4 > pack_size || len < crypto::kSealOverhead)
    return Fail(Corrupt("pack header length " + std::to_string(len) + " does not fit a pack of " +
                        std::to_string(pack_size) + " bytes"));
  return pack_size - 4 - len;
}

Bytes EncodeIndex(const std::vector<IndexPack>& packs) {
  Bytes out(kIndexMagic, kIndexMagic + 8);
  size_t total = 0;
  for (const auto& p : packs) total += 36 + p.blobs.size() * kIndexBlobSize;
  out.reserve(12 + total);
  PutU32(out, static_cast<uint32_t>(packs.size()));
  for (const auto& p : packs) {
    out.insert(out.end(), p.pack.begin(), p.pack.end());
    PutU32(out, static_cast<uint32_t>(p.blobs.size()));
    for (const auto& b : p.blobs) {
      out.insert(out.end(), b.id.begin(), b.id.end());
      out.push_back(b.flags);
      PutU32(out, b.offset);
      PutU32(out, b.stored_length);
      PutU32(out, b.raw_length);
    }
  }
  return out;
}

Result<std::vector<IndexPack>> ParseIndex(ByteView plaintext) {
  Reader r(plaintext);
  if (!r.Magic(kIndexMagic)) return Fail(Corrupt("index has a bad magic number"));
  if (!r.Has(4)) return Fail(Corrupt("index is truncated"));
  uint32_t count = r.U32();
  if (count > r.left() / 36) return Fail(Corrupt("index lists more packs than it has bytes for"));
  std::vector<IndexPack> out(count);
  for (auto& p : out) {
    if (!r.Has(36)) return Fail(Corrupt("index is truncated in a pack entry"));
    r.Id(p.pack);
    uint32_t n = r.U32();
    if (n > r.left() / kIndexBlobSize) return Fail(Corrupt("index lists more blobs than it has bytes for"));
    p.blobs.resize(n);
    for (auto& b : p.blobs) {
      r.Id(b.id);
      b.flags = r.U8();
      b.offset = r.U32();
      b.stored_length = r.U32();
      b.raw_length = r.U32();
      if (b.stored_length < crypto::kSealOverhead) return Fail(Corrupt("index lists a blob shorter than its seal"));
    }
  }
  if (r.left() != 0) return Fail(Corrupt("index has trailing bytes"));
  return out;
}

std::string EncodeConfig(const RepoConfig& c) {
  nlohmann::json j = {{"version", c.version},
                      {"id", c.id},
                      {"chunker", {{"min", c.chunker.min_size}, {"avg", c.chunker.avg_size}, {"max", c.chunker.max_size}}},
                      {"zstd_level", c.zstd_level},
                      {"pack_size", c.pack_size},
                      {"created", c.created}};
  return j.dump();
}

Result<RepoConfig> ParseConfig(ByteView plaintext) {
  nlohmann::json j = nlohmann::json::parse(AsString(plaintext), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Fail(Corrupt("repository config is not a JSON object"));
  try {
    RepoConfig c;
    c.version = j.at("version").get<int>();
    if (c.version != 1)
      return Fail(ErrorCode::kUnsupported, "repository format version " + std::to_string(c.version) + " is not supported",
                  "upgrade summit-dr");
    c.id = j.at("id").get<std::string>();
    c.chunker.min_size = j.at("chunker").at("min").get<uint32_t>();
    c.chunker.avg_size = j.at("chunker").at("avg").get<uint32_t>();
    c.chunker.max_size = j.at("chunker").at("max").get<uint32_t>();
    c.zstd_level = j.at("zstd_level").get<int>();
    c.pack_size = j.at("pack_size").get<uint32_t>();
    c.created = j.value("created", "");
    if (c.pack_size < 4096 || c.pack_size > (1u << 30)) return Fail(Corrupt("repository config has a bad pack size"));
    return c;
  } catch (const nlohmann::json::exception& e) {
    return Fail(Corrupt(std::string("malformed repository config: ") + e.what()));
  }
}

}  // namespace summit::repo
