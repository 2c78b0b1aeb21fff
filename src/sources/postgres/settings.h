// Connection settings for one PostgreSQL database, and their conversion to a libpq conninfo
// string. The composition root (cli, daemon) fills them from config or PG* variables; empty
// fields are left out of the conninfo so that libpq's own defaults (PGHOST, ~/.pgpass, ...)
// apply. The password is a SecretString: ToString() and Describe() never print it.
//
// Thread-safety: values; no shared state.
#pragma once

#include <map>
#include <string>

#include "core/result.h"
#include "core/secret.h"

namespace summit::sources::postgres {

struct Settings {
  std::string host;
  int port = 0;                              // 0: libpq default
  std::string user;
  SecretString password;
  std::string dbname;
  std::map<std::string, std::string> extra;  // other conninfo keywords (sslmode, application_name)

  // Parses "postgresql://user:pw@host:port/db?sslmode=require" (also "postgres://"), with
  // percent-decoding. Fails with kInvalidInput on another scheme, a bad port or bad escape.
  static Result<Settings> ParseUrl(const std::string& url);

  // "key='value' ..." for PQconnectdb, values quoted and escaped as libpq requires. The
  // password is included only when `with_password`; child processes (pg_dump, psql) get it
  // through PGPASSWORD instead, so that it never shows in a process list.
  std::string ConnInfo(bool with_password = true) const;

  // The same server and credentials, another database (e.g. "postgres" to create one).
  Settings WithDatabase(std::string db) const;

  // "user@host:port/db" for messages; never includes the password.
  std::string Describe() const;

  // Environment variables for libpq-based child processes (PGHOST, PGPORT, PGUSER,
  // PGPASSWORD, PGDATABASE, PGSSLMODE...): only the fields that are set.
  std::map<std::string, std::string> ChildEnvironment() const;
};

}  // namespace summit::sources::postgres
