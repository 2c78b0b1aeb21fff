// Redis backup and restore: the public API of the redis source (DESIGN.md, "Sources and sinks").
//
//   CaptureFull      a point-in-time RDB over the replication protocol -> stream "dump.rdb"
//   CaptureFiltered  SCAN + DUMP + PTTL with include/exclude globs     -> stream "keys.dump"
//   Restore          either form -> pipelined RESTORE ... REPLACE ABSTTL into a target server,
//                    with filters, expiry skipping, per-key transforms, dry-run plans
//   Export           either form -> an RDB file redis-server loads
//   Fingerprint      per database: key count, per-type counts, an order-independent content hash
//
// Invariants: a capture never holds the dataset in memory (only the largest single value);
// an RDB is checked (structure and CRC-64) while it is captured, so a damaged transfer fails
// the backup instead of the restore; restore writes nothing in dry-run mode and flushes only
// the databases it restores, and only when asked to.
// Thread-safety: the functions share no state; each opens its own connections.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/result.h"
#include "io/stream.h"
#include "sources/redis/settings.h"
#include "transform/hooks.h"

namespace summit::sources::redis {

inline constexpr std::string_view kRdbStream = "dump.rdb";
inline constexpr std::string_view kKeysStream = "keys.dump";

// Which keys a capture or restore takes. A key is selected when it matches one of `include`
// (or `include` is empty) and none of `exclude`; databases: `dbs`, or every one when empty.
struct KeyFilter {
  std::vector<std::string> include;
  std::vector<std::string> exclude;
  std::vector<int> dbs;

  bool SelectsDb(int db) const;
  bool SelectsKey(std::string_view key) const;
  bool empty() const { return include.empty() && exclude.empty() && dbs.empty(); }
  nlohmann::json ToJson() const;
};

// The minimal set's filter: everything but sessions and temporary keys.
KeyFilter MinimalFilter();

struct CaptureStats {
  std::map<int, uint64_t> keys_per_db;
  uint64_t keys = 0;
  uint64_t bytes = 0;  // bytes written to the stream
  nlohmann::json ToJson() const;
};

// Streams the server's RDB into `out` as "dump.rdb", parsing it on the way (structure and
// checksum). Attributes: format=rdb, redis_version, rdb_version, replication_id,
// replication_offset, diskless, keys_per_db, keys, bytes.
// Errors: those of RdbStream::Open (kUnavailable, kPermission, kUnsupported), kTransient when
// the transfer breaks, kCorruption / kUnsupported from the parser (module data), and the
// sink's errors.
Result<CaptureStats> CaptureFull(const Settings& source, CaptureSink& out);

struct FilteredCaptureOptions {
  KeyFilter filter;
  size_t batch = 500;   // keys per SCAN COUNT and per DUMP/PTTL pipeline
  const Clock* clock = nullptr;  // to turn PTTL into absolute expiry times; null: system clock
};

// Writes the selected keys as "keys.dump" (format in key_stream.h). Not a point-in-time
// snapshot: keys written during the scan may or may not be included; keys deleted between
// SCAN and DUMP are skipped. Attributes: format=keys, redis_version, filter, keys_per_db, ...
Result<CaptureStats> CaptureFiltered(const Settings& source, const FilteredCaptureOptions& options, CaptureSink& out);

struct RestoreOptions {
  KeyFilter filter;
  bool flush = false;     // FLUSHDB each database the restore writes to, before its first key
  bool dry_run = false;   // compute the plan only: no connection, no writes
  bool functions = true;  // FUNCTION LOAD REPLACE the libraries of a full capture
  size_t batch_keys = 1000;
  size_t batch_bytes = 8u << 20;
  const Clock* clock = nullptr;  // to skip keys that have expired; null: system clock
};

// What a restore did (or, in dry-run, would do).
struct RestorePlan {
  std::map<int, uint64_t> keys_per_db;
  uint64_t keys = 0;
  uint64_t bytes = 0;             // payload bytes sent
  uint64_t skipped_expired = 0;
  uint64_t skipped_filtered = 0;
  uint64_t dropped = 0;           // by the transform
  uint64_t replaced = 0;          // string values replaced by the transform
  uint64_t functions = 0;         // function libraries loaded
  std::vector<int> flushed_dbs;
  bool dry_run = false;
  nlohmann::json ToJson() const;
};

// Restores a capture made by CaptureFull or CaptureFiltered into `target`.
// Errors: kNotFound when the capture has neither stream, kCorruption when it is damaged, the
// connection's errors, and a failed RESTORE as the server's reply naming the key (e.g. an RDB
// version the target is too old for: kInvalidInput with a hint).
Result<RestorePlan> Restore(const Settings& target, const RestoreOptions& options, CaptureSource& in,
                            const transform::RedisTransform* transform);

enum class ExportFormat { kRdb };

// Writes the capture as an RDB file into `out` (and closes it): a full capture's RDB as is,
// a filtered capture rebuilt from its DUMP payloads (header, SELECTDB, expiries, values, EOF,
// CRC-64). kUnsupported when payloads of different RDB versions are mixed.
Status Export(CaptureSource& in, ExportFormat format, ByteSink& out);

struct DbFingerprint {
  uint64_t keys = 0;
  uint64_t with_ttl = 0;
  std::map<std::string, uint64_t> types;  // "string" -> count
  std::string hash;                       // 32 hex digits, independent of key order
  bool operator==(const DbFingerprint&) const = default;
};
using KeyspaceFingerprint = std::map<int, DbFingerprint>;

nlohmann::json FingerprintToJson(const KeyspaceFingerprint& fp);

// Fingerprints every non-empty database of `source` (or `filter.dbs`, keys selected by the
// filter): per key SHA-256 over (db, key, type, CanonicalValue of its DUMP, has-TTL), combined
// by sum and xor so that order does not matter.
Result<KeyspaceFingerprint> Fingerprint(const Settings& source, const KeyFilter& filter = {});

}  // namespace summit::sources::redis
