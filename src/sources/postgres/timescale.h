// TimescaleDB support for the logical capture: hypertables are recorded at backup (the
// `hypertables` attribute: table, time column, chunk interval) and recreated at restore with
// create_hypertable() before their data is copied in, so rows land in fresh chunks; the
// schema itself is restored between timescaledb_pre_restore() and timescaledb_post_restore()
// as TimescaleDB's documentation requires.
//
// The SQL generation is pure and unit-tested; no TimescaleDB server can be had on this
// machine (see README), so the server path is exercised only where the extension exists.
//
// Thread-safety: pure functions; LoadHypertables uses the caller's connection.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "sources/postgres/pg_conn.h"

namespace summit::sources::postgres {

struct Hypertable {
  std::string schema;
  std::string name;
  std::string time_column;
  std::string chunk_interval;  // an interval literal ("7 days") or an integer, or "" for default
  bool integer_interval = false;
};

inline constexpr const char* kTimescalePreRestoreSql = "SELECT public.timescaledb_pre_restore()";
inline constexpr const char* kTimescalePostRestoreSql = "SELECT public.timescaledb_post_restore()";

// SELECT create_hypertable('"schema"."name"', 'time', chunk_time_interval => INTERVAL '7 days',
// if_not_exists => TRUE, migrate_data => TRUE)
std::string CreateHypertableSql(const Hypertable& h);

// Reads timescaledb_information.dimensions (first dimension of each hypertable). Call only
// when the extension exists.
Result<std::vector<Hypertable>> LoadHypertables(PgConn& conn);

nlohmann::json HypertablesToJson(const std::vector<Hypertable>& hs);
std::vector<Hypertable> HypertablesFromJson(const nlohmann::json& j);

}  // namespace summit::sources::postgres
