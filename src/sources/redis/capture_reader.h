// Internal: iterates the keys of either capture form (dump.rdb or keys.dump) the same way,
// for Restore and Export. One thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "io/stream.h"
#include "sources/redis/key_stream.h"
#include "sources/redis/rdb_reader.h"

namespace summit::sources::redis {

struct CapturedKey {
  int db = 0;
  std::string key;
  std::optional<int64_t> expire_ms;
  std::string payload;  // a DUMP payload (value + RDB version + CRC-64)
  int rdb_version = 0;
  uint8_t type() const { return payload.empty() ? 0xff : static_cast<uint8_t>(payload[0]); }
  std::string_view value() const { return std::string_view(payload).substr(0, payload.size() - 10); }
};

class CaptureKeyReader {
 public:
  // kNotFound when the capture has neither "dump.rdb" nor "keys.dump".
  static Result<std::unique_ptr<CaptureKeyReader>> Open(CaptureSource& in);
  Result<bool> Next(CapturedKey* out);
  bool is_rdb() const { return rdb_ != nullptr; }
  // Function libraries seen so far (full captures only).
  const std::vector<std::string>& functions() const;

 private:
  CaptureKeyReader() = default;
  std::unique_ptr<ByteSource> src_;
  std::unique_ptr<RdbReader> rdb_;
  std::unique_ptr<KeyStreamReader> keys_;
  RdbKey rdb_key_;
  KeyRecord rec_;
};

}  // namespace summit::sources::redis
