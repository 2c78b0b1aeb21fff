// A Bolt client connection to one Neo4j server (Bolt 5.0-5.7, down to 4.4).
//
// Open() connects over TCP (plain; TLS is not implemented: bolt+s:// and neo4j+s:// fail with
// kUnsupported), negotiates the protocol version (proposing the range 5.7..5.0, then 4.4),
// and authenticates (HELLO carrying the credentials up to 5.0, HELLO then LOGON from 5.1).
// Messages are chunked per the Bolt transport (2-byte chunk sizes, a 0-size chunk ends a
// message). Each request waits for its summary, except that a PULL's records are streamed to
// a callback so that a result of any size needs bounded memory.
//
// Errors: an unreachable server is kUnavailable; a refused login is kPermission ("authentication
// failed for user neo4j at bolt://..."); a query the server rejects is kInvalidInput carrying
// the server's code and message; a broken or timed-out socket is kTransient. After a FAILURE
// the connection sends RESET so that it can be used again; after an I/O error it is closed.
//
// Thread-safety: one Connection is used by one thread at a time.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/secret.h"
#include "sources/neo4j/bolt/packstream.h"

namespace summit::sources::neo4j::bolt {

struct ConnectOptions {
  std::string uri;  // bolt://host:port or neo4j://host:port (no routing: the given server is used)
  std::string user = "neo4j";
  SecretString password;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds io_timeout{600000};
  std::string user_agent = "summit-dr/0.1";
};

struct BoltVersion {
  int major = 0, minor = 0;
  bool AtLeast(int ma, int mi) const { return major > ma || (major == ma && minor >= mi); }
  std::string ToString() const { return std::to_string(major) + "." + std::to_string(minor); }
};

// The summary of a RUN: column names (and the query id inside explicit transactions).
struct RunResult {
  std::vector<std::string> fields;
  int64_t qid = -1;
};

class Connection {
 public:
  // Connects and authenticates. See the header comment for the error classes.
  static Result<std::unique_ptr<Connection>> Open(const ConnectOptions& options);
  ~Connection();  // sends GOODBYE when the connection is healthy, then closes the socket
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  BoltVersion version() const { return version_; }
  const std::string& server_agent() const { return server_agent_; }
  const std::string& uri() const { return options_.uri; }
  // True when date-times travel as 'I'/'i' (UTC seconds).
  bool utc_datetime() const { return utc_datetime_; }

  // BEGIN an explicit transaction on `database` ("" = the user's default); read_only sends
  // mode "r" (routes to a reader in a cluster and rejects writes).
  Status Begin(const std::string& database, bool read_only);
  Status Commit();
  Status Rollback();

  // RUN `query` inside the open transaction, or in an auto-commit transaction on `database`
  // when none is open.
  Result<RunResult> Run(const std::string& query, const Map& params = {}, const std::string& database = {});

  // PULLs the last RUN's records `fetch_size` at a time, calling on_record for each (a false
  // return from on_record DISCARDs the rest). Returns the final summary metadata.
  Result<Map> Pull(const std::function<Status(List&)>& on_record, int64_t fetch_size = 1000);

  // RUN + PULL, collecting every record (for small results: schema, counters).
  Result<std::vector<List>> Query(const std::string& query, const Map& params = {},
                                  const std::string& database = {});

  // Sends RESET: clears a failure state and rolls back any open transaction.
  Status Reset();

 private:
  explicit Connection(ConnectOptions options) : options_(std::move(options)) {}
  Status Connect();
  Status Handshake();
  Status Authenticate();
  Status Send(uint8_t tag, const std::vector<Value>& fields);
  Status Flush();
  // Reads one message: its tag and fields.
  Result<std::pair<uint8_t, List>> Receive();
  // Waits for SUCCESS (returning its metadata), turning FAILURE/IGNORED into errors.
  Result<Map> ExpectSuccess(const std::string& what);
  Error FailureToError(const Map& meta, const std::string& what);
  Status WriteAll(const uint8_t* p, size_t n);
  Status ReadExact(uint8_t* p, size_t n);
  Error IoError(const std::string& what, int err);

  ConnectOptions options_;
  std::string host_;
  std::string port_;
  int fd_ = -1;
  bool healthy_ = false;
  bool in_tx_ = false;
  bool utc_datetime_ = true;
  BoltVersion version_;
  std::string server_agent_;
  Bytes out_;
  std::vector<uint8_t> in_buf_;
  size_t in_pos_ = 0, in_len_ = 0;
  Bytes msg_;
};

}  // namespace summit::sources::neo4j::bolt
