// The "keys.dump" stream of a filtered Redis capture: one record per key, each carrying the
// key's DUMP payload, so that a restore can RESTORE it and an export can rebuild an RDB.
//
// Format (all integers little-endian):
//   file   := magic record* end
//   magic  := "SUMMIT-REDIS-KEYS" 0x01                       (18 bytes)
//   record := 'K' db:u32 key_len:u32 key expire_ms:i64 payload_len:u32 payload
//             expire_ms is an absolute Unix time in ms, or -1 for no expiry;
//             payload is exactly what DUMP returned (value, RDB version, CRC-64).
//   end    := 'E' count:u64                                   (count = number of records)
// A stream without the end record, or whose count disagrees, is truncated: kCorruption.
//
// Thread-safety: writer and reader are used by one thread each.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/result.h"
#include "io/stream.h"

namespace summit::sources::redis {

struct KeyRecord {
  int db = 0;
  std::string key;
  std::optional<int64_t> expire_ms;  // absolute Unix ms
  std::string payload;               // DUMP payload
};

class KeyStreamWriter {
 public:
  // Writes the magic to `sink` (which must outlive the writer).
  static Result<std::unique_ptr<KeyStreamWriter>> Open(ByteSink* sink);
  Status Add(const KeyRecord& rec);
  // Writes the end record and closes the sink.
  Status Finish();
  uint64_t count() const { return count_; }
  uint64_t bytes() const { return bytes_; }

 private:
  explicit KeyStreamWriter(ByteSink* sink) : sink_(sink) {}
  Status Flush();
  ByteSink* sink_;
  std::string buf_;
  uint64_t count_ = 0;
  uint64_t bytes_ = 0;
};

class KeyStreamReader {
 public:
  // Reads and checks the magic; kCorruption when the stream is not a keys stream.
  static Result<std::unique_ptr<KeyStreamReader>> Open(ByteSource* src);
  // Next record into `out`: true; false at a valid end record.
  Result<bool> Next(KeyRecord* out);

 private:
  explicit KeyStreamReader(ByteSource* src) : src_(src), buf_(1 << 16) {}
  Status ReadExact(size_t n, std::string* out);
  ByteSource* src_;
  std::vector<uint8_t> buf_;
  size_t pos_ = 0, end_ = 0;
  uint64_t offset_ = 0;
  uint64_t count_ = 0;
  bool done_ = false;
};

}  // namespace summit::sources::redis
