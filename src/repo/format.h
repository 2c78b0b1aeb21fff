// The repository's on-disk objects as pure codecs (docs/repository-format.md is the spec;
// section names are cited below). Nothing here does I/O; every parser takes untrusted bytes and
// returns kCorruption (never crashes) on malformed input — the fuzz targets in tests/fuzz
// exercise exactly these functions.
//
// Thread-safety: pure functions and value types.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "codec/chunker.h"
#include "core/bytes.h"
#include "core/result.h"
#include "crypto/crypto.h"

namespace summit::repo {

using BlobId = crypto::Digest;  // HMAC-SHA-256(id key, plaintext chunk)
using PackId = crypto::Digest;  // SHA-256 of the whole pack object

struct IdHash {
  size_t operator()(const crypto::Digest& d) const {
    size_t h;
    static_assert(sizeof(h) <= sizeof(d));
    __builtin_memcpy(&h, d.data(), sizeof(h));
    return h;
  }
};

std::string IdHex(const crypto::Digest& id);
Result<crypto::Digest> ParseId(std::string_view hex);

// Object keys ("Layout").
std::string PackKey(const PackId& id);        // data/<2 hex>/<64 hex>
std::string IndexKey(const crypto::Digest& id);  // index/<64 hex>
std::string SnapshotKey(std::string_view snapshot_id);  // snapshots/<id>
inline constexpr std::string_view kConfigKey = "config";
inline constexpr std::string_view kKeysPrefix = "keys/";
inline constexpr std::string_view kDataPrefix = "data/";
inline constexpr std::string_view kIndexPrefix = "index/";
inline constexpr std::string_view kSnapshotsPrefix = "snapshots/";

// Associated data of each sealed object type ("Cryptography"): an object cannot be swapped for
// another type's. Blobs use their own id as associated data.
inline constexpr std::string_view kAadConfig = "summit-dr config v1";
inline constexpr std::string_view kAadPackHeader = "summit-dr pack header v1";
inline constexpr std::string_view kAadIndex = "summit-dr index v1";
inline constexpr std::string_view kAadSnapshot = "summit-dr snapshot v1";

// Blob flags ("Packs").
inline constexpr uint8_t kBlobCompressed = 1;

// One blob inside a pack. `offset` is the position of the sealed blob in the pack.
struct PackBlob {
  BlobId id{};
  uint8_t flags = 0;
  uint32_t offset = 0;
  uint32_t stored_length = 0;  // sealed bytes in the pack (nonce + ciphertext + tag)
  uint32_t raw_length = 0;     // plaintext chunk length
  bool operator==(const PackBlob&) const = default;
};

// --- Packs ("Packs") -----------------------------------------------------------------------
// Plaintext pack header: "SDRPACK1" u32 count, then per blob in pack order: id[32] u8 flags
// u32 raw_length u32 stored_length. Offsets are implied: blobs are contiguous from 0.
Bytes EncodePackHeader(const std::vector<PackBlob>& blobs);
Result<std::vector<PackBlob>> ParsePackHeader(ByteView plaintext);
// The pack's last 4 bytes hold the sealed header's length (u32 LE); the sealed header sits
// right before them. Returns the sealed header's offset within a pack of `pack_size` bytes.
Result<uint64_t> PackHeaderOffset(ByteView trailer4, uint64_t pack_size);

// --- Index files ("Index") ---------------------------------------------------------------
// Plaintext: "SDRIDX01" u32 pack_count, then per pack: pack id[32] u32 blob_count, then per
// blob: id[32] u8 flags u32 offset u32 stored_length u32 raw_length.
struct IndexPack {
  PackId pack{};
  std::vector<PackBlob> blobs;
};
Bytes EncodeIndex(const std::vector<IndexPack>& packs);
Result<std::vector<IndexPack>> ParseIndex(ByteView plaintext);

// --- Config ("Config") ---------------------------------------------------------------------
struct RepoConfig {
  int version = 1;
  std::string id;  // 64 hex, random at init
  codec::ChunkerParams chunker;
  int zstd_level = 3;
  uint32_t pack_size = 16u << 20;
  std::string created;
};
std::string EncodeConfig(const RepoConfig& c);
Result<RepoConfig> ParseConfig(ByteView plaintext);

}  // namespace summit::repo
