// The RDB a Redis master sends a new replica, read as a ByteSource: what `redis-cli --rdb`
// does, without access to the server's filesystem. Open() connects (own socket), AUTHs,
// announces `REPLCONF capa eof` (diskless transfers end with a 40-byte marker) and
// `REPLCONF rdb-only 1` (Redis >= 7.0: the master drops us after the RDB instead of keeping a
// replica), sends `PSYNC ? -1` and reads "+FULLRESYNC <replid> <offset>" and the payload
// header ("$<len>" or "$EOF:<marker>"). Read() then yields exactly the RDB bytes.
//
// The point in time is the master's fork for this transfer; `offset` is the replication
// offset it corresponds to.
// Errors: kUnavailable (cannot connect), kPermission (AUTH or PSYNC refused by ACL),
// kUnsupported (the server refuses replication, e.g. a managed service), kTransient
// (connection lost or timed out mid-transfer), kCorruption (a malformed reply).
// Thread-safety: one thread.
#pragma once

#include <memory>
#include <string>

#include "core/result.h"
#include "io/stream.h"
#include "sources/redis/settings.h"

namespace summit::sources::redis {

struct ReplicationInfo {
  std::string replid;
  int64_t offset = -1;
  bool diskless = false;   // EOF-marker form
  int64_t length = -1;     // announced length for the disk-based form
};

class RdbStream final : public ByteSource {
 public:
  static Result<std::unique_ptr<RdbStream>> Open(const Settings& settings);
  ~RdbStream() override;
  RdbStream(const RdbStream&) = delete;
  RdbStream& operator=(const RdbStream&) = delete;

  // RDB bytes; 0 at the end of the payload.
  Result<size_t> Read(std::span<uint8_t> buf) override;
  const ReplicationInfo& info() const { return info_; }
  uint64_t bytes_read() const { return delivered_; }

 private:
  RdbStream(int fd, Settings settings) : fd_(fd), settings_(std::move(settings)) {}
  Status SendCommand(std::initializer_list<std::string_view> args);
  Result<std::string> ReadLine();
  Result<size_t> RecvSome(char* dst, size_t n);
  Status Handshake();

  int fd_;
  Settings settings_;
  ReplicationInfo info_;
  std::string pending_;  // received but not yet delivered (line mode leftovers, marker holdback)
  std::string marker_;
  int64_t remaining_ = 0;
  uint64_t delivered_ = 0;
  bool done_ = false;
};

}  // namespace summit::sources::redis
