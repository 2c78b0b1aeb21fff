// A streaming parser for Redis RDB files (versions 1..11: Redis 7.0 writes 10, 7.2 writes 11).
//
// It yields one RdbKey per key: database, key, expiry, and the value exactly as serialized in
// the file (type byte + object bytes). It walks each object only far enough to know its
// extent, so the bytes can be wrapped into a DUMP payload that RESTORE accepts without
// decoding every element; plain strings can be decoded on demand (DecodeStringValue) for
// transforms. Memory is bounded by the largest single value, never by the file.
//
// Errors: kCorruption for malformed or truncated input and checksum mismatches, kUnsupported
// for module values, module aux data and pre-GA function records; both name the key (when
// known) and the byte offset. Never crashes on any input (tests/fuzz/rdb_fuzz.cc).
//
// Thread-safety: an RdbReader is used by one thread; the free functions are pure.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "io/stream.h"

namespace summit::sources::redis {

namespace rdb {
// Value types (rdb.h).
constexpr uint8_t kString = 0, kList = 1, kSet = 2, kZset = 3, kHash = 4, kZset2 = 5, kModule = 6,
                  kModule2 = 7, kHashZipmap = 9, kListZiplist = 10, kSetIntset = 11, kZsetZiplist = 12,
                  kHashZiplist = 13, kListQuicklist = 14, kStreamListpacks = 15, kHashListpack = 16,
                  kZsetListpack = 17, kListQuicklist2 = 18, kStreamListpacks2 = 19, kSetListpack = 20,
                  kStreamListpacks3 = 21;
// Opcodes.
constexpr uint8_t kOpSlotInfo = 244, kOpFunction2 = 245, kOpFunctionPreGa = 246, kOpModuleAux = 247,
                  kOpIdle = 248, kOpFreq = 249, kOpAux = 250, kOpResizeDb = 251, kOpExpireTimeMs = 252,
                  kOpExpireTime = 253, kOpSelectDb = 254, kOpEof = 255;
constexpr int kMaxVersion = 11;
}  // namespace rdb

// "string", "list", "set", "zset", "hash", "stream" for a value type byte, "unknown" otherwise.
std::string_view TypeName(uint8_t type);

struct RdbKey {
  int db = 0;
  std::string key;
  uint8_t type = 0;
  std::optional<int64_t> expire_ms;  // absolute Unix time in milliseconds; nullopt: no expiry
  std::string value;                 // type byte + serialized object, as in the file
  uint64_t offset = 0;               // file offset where this key's record starts
};

class RdbReader {
 public:
  // Reads the "REDISnnnn" header from `src` (which must outlive the reader). kCorruption when
  // it is not an RDB file, kUnsupported for a version newer than rdb::kMaxVersion.
  static Result<std::unique_ptr<RdbReader>> Open(ByteSource* src);
  ~RdbReader();

  // Fills `out` with the next key and returns true; returns false after the EOF opcode once
  // the checksum was verified (a file written with rdbchecksum=no stores 0 and is accepted).
  Result<bool> Next(RdbKey* out);

  int version() const { return version_; }
  uint64_t offset() const;
  const std::vector<std::pair<std::string, std::string>>& aux() const { return aux_; }
  // Function library sources (FUNCTION2 records), in file order.
  const std::vector<std::string>& functions() const { return functions_; }
  bool checksum_verified() const { return checksum_verified_; }

 private:
  class Input;
  RdbReader(std::unique_ptr<Input> in, int version);

  std::unique_ptr<Input> in_;
  int version_;
  int db_ = 0;
  bool done_ = false;
  bool checksum_verified_ = false;
  std::string last_key_;
  std::vector<std::pair<std::string, std::string>> aux_;
  std::vector<std::string> functions_;
};

// Wraps a serialized value (type byte + object) the way DUMP does: value, the 2-byte RDB
// version, then the CRC-64 of both, little-endian.
std::string MakeDumpPayload(std::string_view value, int rdb_version);

struct DumpParts {
  std::string_view value;  // type byte + object
  int rdb_version = 0;
};
// Splits and checks a DUMP payload; kCorruption when it is too short or its CRC is wrong.
Result<DumpParts> SplitDumpPayload(std::string_view payload);

// Checks that `value` (type byte + object) is exactly one well-formed object; kCorruption or
// kUnsupported otherwise. Used on DUMP payloads before they are written to an RDB file.
Status ValidateValue(std::string_view value);

// The string held by a value of type rdb::kString (raw, integer or LZF encoded).
Result<std::string> DecodeStringValue(std::string_view value);

// Encodes `s` as a string value (type byte 0 + raw length-prefixed string).
std::string EncodeStringValue(std::string_view s);

// An encoding-independent form of a value for comparisons: for hash-table sets and hashes
// (whose serialized order depends on the server's hash table), the decoded elements sorted;
// for every other type the serialized value itself, which RESTORE then DUMP preserves.
Result<std::string> CanonicalValue(std::string_view value);

// `key` made printable for messages: non-printable bytes as \xNN, long keys shortened.
std::string PrintableKey(std::string_view key);

}  // namespace summit::sources::redis
