#include "sources/postgres/pg_conn.h"

#include <libpq-fe.h>

#include <cstdlib>

namespace summit::sources::postgres {
namespace {

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

ErrorCode CodeForSqlState(std::string_view state) {
  if (state.empty()) return ErrorCode::kUnavailable;  // no result at all: the connection broke
  if (state.starts_with("08") || state == "57P01" || state == "57P02" || state == "57P03") return ErrorCode::kUnavailable;
  if (state == "40001" || state == "40P01" || state == "55P03" || state == "57014") return ErrorCode::kTransient;
  if (state.starts_with("28") || state == "42501") return ErrorCode::kPermission;
  if (state == "42P01" || state == "42703" || state == "42883" || state == "3D000" || state == "3F000" ||
      state == "42704") {
    return ErrorCode::kNotFound;
  }
  if (state == "42P04" || state == "42P07" || state == "42710" || state == "23505") return ErrorCode::kAlreadyExists;
  if (state == "53100") return ErrorCode::kNoSpace;
  if (state.starts_with("22") || state.starts_with("23") || state.starts_with("42")) return ErrorCode::kInvalidInput;
  if (state.starts_with("0A")) return ErrorCode::kUnsupported;
  return ErrorCode::kInternal;
}

}  // namespace

std::string QuoteIdent(std::string_view ident) {
  std::string out = "\"";
  for (char c : ident) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string QuoteLiteral(std::string_view value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'') out.push_back('\'');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

std::string QuoteQualified(std::string_view schema, std::string_view name) {
  return QuoteIdent(schema) + "." + QuoteIdent(name);
}

void PgResult::Deleter::operator()(pg_result* r) const { PQclear(r); }
int PgResult::rows() const { return r_ ? PQntuples(r_.get()) : 0; }
int PgResult::cols() const { return r_ ? PQnfields(r_.get()) : 0; }
bool PgResult::IsNull(int row, int col) const { return PQgetisnull(r_.get(), row, col) != 0; }
std::string_view PgResult::Get(int row, int col) const {
  return {PQgetvalue(r_.get(), row, col), static_cast<size_t>(PQgetlength(r_.get(), row, col))};
}
std::optional<std::string> PgResult::GetOptional(int row, int col) const {
  if (IsNull(row, col)) return std::nullopt;
  return GetString(row, col);
}
int64_t PgResult::GetInt(int row, int col) const {
  if (IsNull(row, col)) return 0;
  return std::strtoll(PQgetvalue(r_.get(), row, col), nullptr, 10);
}

Result<std::unique_ptr<PgConn>> PgConn::Open(const Settings& settings) {
  std::string info = settings.ConnInfo(true);
  PGconn* c = PQconnectdb(info.c_str());
  if (c == nullptr) return Fail(ErrorCode::kInternal, "libpq could not allocate a connection");
  std::unique_ptr<PgConn> conn(new PgConn(c, settings.Describe()));
  if (PQstatus(c) != CONNECTION_OK) {
    std::string msg = Trim(PQerrorMessage(c));
    ErrorCode code = ErrorCode::kUnavailable;
    std::string hint = "check that the server is running and host/port are right";
    if (msg.find("authentication failed") != std::string::npos || msg.find("no password supplied") != std::string::npos ||
        msg.find("no pg_hba.conf entry") != std::string::npos) {
      code = ErrorCode::kPermission;
      hint = "check the user and password of this environment";
    } else if (msg.find("does not exist") != std::string::npos && msg.find("database") != std::string::npos) {
      code = ErrorCode::kNotFound;
      hint = "create the database or fix the database name in the config";
    }
    return Fail(Error(code, "connecting to postgres " + settings.Describe() + ": " + msg).WithHint(hint));
  }
  SUMMIT_TRY(conn->Exec(
      "SET standard_conforming_strings = on; SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD';"
      " SET IntervalStyle = 'postgres'; SET extra_float_digits = 3; SET client_encoding = 'UTF8';"
      " SET statement_timeout = 0; SET lock_timeout = 0; SET idle_in_transaction_session_timeout = 0",
      "setting session parameters"));
  return conn;
}

PgConn::~PgConn() { PQfinish(c_); }

int PgConn::server_version() const { return PQserverVersion(c_); }

Error PgConn::ErrorFrom(const pg_result* r, std::string_view what) const {
  std::string state, msg;
  if (r != nullptr) {
    const char* s = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    if (s) state = s;
    const char* m = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
    msg = m ? m : Trim(PQresultErrorMessage(r));
    if (const char* d = PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL)) msg += " (" + std::string(d) + ")";
  }
  if (msg.empty()) msg = Trim(PQerrorMessage(c_));
  std::string text = std::string(what.empty() ? "query" : what) + " on " + description_ + ": " + msg;
  if (!state.empty()) text += " [sqlstate " + state + "]";
  Error e(CodeForSqlState(state), text);
  if (r != nullptr) {
    if (const char* h = PQresultErrorField(r, PG_DIAG_MESSAGE_HINT)) return std::move(e).WithHint(h);
  }
  return e;
}

namespace {
bool ResultOk(const PGresult* r) {
  if (r == nullptr) return false;
  auto st = PQresultStatus(r);
  return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_COPY_IN || st == PGRES_COPY_OUT;
}
}  // namespace

Result<PgResult> PgConn::Exec(std::string_view sql, std::string_view what) {
  std::string q(sql);
  PgResult res(PQexec(c_, q.c_str()));
  if (!ResultOk(res.get())) return ErrorFrom(res.get(), what);
  return res;
}

Result<PgResult> PgConn::ExecParams(std::string_view sql, const std::vector<std::optional<std::string>>& params,
                                    std::string_view what) {
  std::string q(sql);
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  PgResult res(PQexecParams(c_, q.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                            nullptr, 0));
  if (!ResultOk(res.get())) return ErrorFrom(res.get(), what);
  return res;
}

Status PgConn::CopyOut(std::string_view copy_sql, const std::function<Status(std::string_view)>& on_data,
                       std::string_view what) {
  std::string q(copy_sql);
  PgResult start(PQexec(c_, q.c_str()));
  if (start.get() == nullptr || PQresultStatus(start.get()) != PGRES_COPY_OUT) return ErrorFrom(start.get(), what);
  Status failed;
  for (;;) {
    char* buf = nullptr;
    int n = PQgetCopyData(c_, &buf, 0);
    if (n > 0) {
      if (failed.has_value()) failed = on_data(std::string_view(buf, static_cast<size_t>(n)));
      PQfreemem(buf);
      continue;
    }
    if (n == -1) break;
    return Fail(ErrorCode::kUnavailable,
                std::string(what.empty() ? "copy out" : what) + " on " + description_ + ": " + Trim(PQerrorMessage(c_)));
  }
  // Collect the final result(s); the copy is only complete when the server says so.
  Status final_status;
  while (PGresult* r = PQgetResult(c_)) {
    PgResult res(r);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && final_status.has_value()) final_status = ErrorFrom(r, what);
  }
  if (!failed.has_value()) return failed;
  return final_status;
}

Status PgConn::CopyInBegin(std::string_view copy_sql, std::string_view what) {
  copy_what_ = std::string(what.empty() ? "copy in" : what);
  std::string q(copy_sql);
  PgResult start(PQexec(c_, q.c_str()));
  if (start.get() == nullptr || PQresultStatus(start.get()) != PGRES_COPY_IN) return ErrorFrom(start.get(), copy_what_);
  return Ok();
}

Status PgConn::CopyInPut(std::string_view data) {
  if (data.empty()) return Ok();
  if (PQputCopyData(c_, data.data(), static_cast<int>(data.size())) != 1) {
    return Fail(ErrorCode::kUnavailable, copy_what_ + " on " + description_ + ": " + Trim(PQerrorMessage(c_)));
  }
  return Ok();
}

Status PgConn::CopyInEnd() {
  if (PQputCopyEnd(c_, nullptr) != 1) {
    return Fail(ErrorCode::kUnavailable, copy_what_ + " on " + description_ + ": " + Trim(PQerrorMessage(c_)));
  }
  Status st;
  while (PGresult* r = PQgetResult(c_)) {
    PgResult res(r);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && st.has_value()) st = ErrorFrom(r, copy_what_);
  }
  return st;
}

void PgConn::CopyInAbort(std::string_view reason) {
  std::string r(reason);
  PQputCopyEnd(c_, r.c_str());
  while (PGresult* res = PQgetResult(c_)) PQclear(res);
}

Status PgConn::ReadLargeObject(uint32_t oid, const std::function<Status(std::string_view)>& on_data) {
  constexpr int64_t kChunk = 1 << 20;
  for (int64_t off = 0;; off += kChunk) {
    SUMMIT_ASSIGN_OR_RETURN(PgResult r,
                            ExecParams("SELECT encode(lo_get($1::oid, $2::bigint, $3::int), 'hex')",
                                       {std::to_string(oid), std::to_string(off), std::to_string(kChunk)},
                                       "reading large object " + std::to_string(oid)));
    SUMMIT_ASSIGN_OR_RETURN(Bytes chunk, HexDecode(r.Get(0, 0)));
    if (!chunk.empty()) SUMMIT_TRY(on_data(AsString(chunk)));
    if (static_cast<int64_t>(chunk.size()) < kChunk) return Ok();
  }
}

Status PgConn::WriteLargeObject(uint32_t oid, std::string_view data_chunk, int64_t offset) {
  std::string hex = "\\x" + HexEncode(AsBytes(data_chunk));
  SUMMIT_TRY(ExecParams("SELECT lo_put($1::oid, $2::bigint, $3::bytea)", {std::to_string(oid), std::to_string(offset), hex},
                        "writing large object " + std::to_string(oid)));
  return Ok();
}

}  // namespace summit::sources::postgres
