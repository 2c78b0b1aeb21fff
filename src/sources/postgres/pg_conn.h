// RAII wrappers over libpq: PgResult owns a PGresult, PgConn owns a PGconn. Every call returns a
// Result whose error names what failed (the statement's purpose, the server's message and
// SQLSTATE) and is classified: connection failures kUnavailable, authentication kPermission,
// missing objects kNotFound, serialization failures kTransient.
//
// Sessions opened here always run with standard_conforming_strings=on, TimeZone=UTC,
// DateStyle=ISO and extra_float_digits=3 so that COPY text and row hashes are the same on
// every connection and server.
//
// Thread-safety: a PgConn is used by one thread at a time; different PgConns are independent.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/result.h"
#include "sources/postgres/settings.h"

struct pg_conn;
struct pg_result;

namespace summit::sources::postgres {

// SQL quoting (standard_conforming_strings=on).
std::string QuoteIdent(std::string_view ident);       // "na""me"
std::string QuoteLiteral(std::string_view value);     // 'it''s'
// "schema"."table" from a qualified name "schema.table" (no dots in the parts).
std::string QuoteQualified(std::string_view schema, std::string_view name);

class PgResult {
 public:
  PgResult() = default;
  explicit PgResult(pg_result* r) : r_(r) {}
  int rows() const;
  int cols() const;
  bool IsNull(int row, int col) const;
  std::string_view Get(int row, int col) const;
  std::string GetString(int row, int col) const { return std::string(Get(row, col)); }
  std::optional<std::string> GetOptional(int row, int col) const;
  int64_t GetInt(int row, int col) const;
  bool GetBool(int row, int col) const { return Get(row, col) == "t"; }
  pg_result* get() const { return r_.get(); }

 private:
  struct Deleter {
    void operator()(pg_result* r) const;
  };
  std::unique_ptr<pg_result, Deleter> r_;
};

class PgConn {
 public:
  // Connects and sets the session parameters above. Fails with kUnavailable when the server
  // cannot be reached, kPermission when authentication fails, kNotFound for a missing database.
  static Result<std::unique_ptr<PgConn>> Open(const Settings& settings);
  ~PgConn();
  PgConn(const PgConn&) = delete;
  PgConn& operator=(const PgConn&) = delete;

  // Runs one or more statements (simple query protocol). `what` names the step in errors.
  Result<PgResult> Exec(std::string_view sql, std::string_view what = {});
  // One statement with text parameters ($1, $2 ...); nullopt is NULL.
  Result<PgResult> ExecParams(std::string_view sql, const std::vector<std::optional<std::string>>& params,
                              std::string_view what = {});

  // COPY ... TO STDOUT: calls `on_data` with each chunk libpq hands back (one row per call in
  // practice). An error from on_data stops the copy and is returned.
  Status CopyOut(std::string_view copy_sql, const std::function<Status(std::string_view)>& on_data,
                 std::string_view what = {});

  // COPY ... FROM STDIN: Begin, Put any number of times, then End (which reports errors the
  // server found in the data, e.g. a constraint violation). Abort sends CopyFail.
  Status CopyInBegin(std::string_view copy_sql, std::string_view what = {});
  Status CopyInPut(std::string_view data);
  Status CopyInEnd();
  void CopyInAbort(std::string_view reason);

  // Large objects (inside a transaction).
  Status ReadLargeObject(uint32_t oid, const std::function<Status(std::string_view)>& on_data);
  Status WriteLargeObject(uint32_t oid, std::string_view data_chunk, int64_t offset);

  int server_version() const;  // e.g. 150020
  const std::string& description() const { return description_; }

 private:
  PgConn(pg_conn* c, std::string description) : c_(c), description_(std::move(description)) {}
  Error ErrorFrom(const pg_result* r, std::string_view what) const;
  pg_conn* c_;
  std::string description_;
  std::string copy_what_;
};

}  // namespace summit::sources::postgres
