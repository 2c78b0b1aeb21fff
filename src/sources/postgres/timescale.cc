#include "sources/postgres/timescale.h"

namespace summit::sources::postgres {

std::string CreateHypertableSql(const Hypertable& h) {
  std::string sql = "SELECT public.create_hypertable(" + QuoteLiteral(QuoteQualified(h.schema, h.name)) + ", " +
                    QuoteLiteral(h.time_column);
  if (!h.chunk_interval.empty()) {
    sql += ", chunk_time_interval => ";
    sql += h.integer_interval ? std::to_string(std::stoll(h.chunk_interval))
                              : "INTERVAL " + QuoteLiteral(h.chunk_interval);
  }
  sql += ", if_not_exists => TRUE, migrate_data => TRUE)";
  return sql;
}

Result<std::vector<Hypertable>> LoadHypertables(PgConn& conn) {
  SUMMIT_ASSIGN_OR_RETURN(
      PgResult r,
      conn.Exec("SELECT hypertable_schema, hypertable_name, column_name, time_interval::text, integer_interval::text"
                " FROM timescaledb_information.dimensions WHERE dimension_number = 1 ORDER BY 1, 2",
                "listing timescaledb hypertables"));
  std::vector<Hypertable> out;
  for (int i = 0; i < r.rows(); ++i) {
    Hypertable h{r.GetString(i, 0), r.GetString(i, 1), r.GetString(i, 2), "", false};
    if (!r.IsNull(i, 3)) {
      h.chunk_interval = r.GetString(i, 3);
    } else if (!r.IsNull(i, 4)) {
      h.chunk_interval = r.GetString(i, 4);
      h.integer_interval = true;
    }
    out.push_back(std::move(h));
  }
  return out;
}

nlohmann::json HypertablesToJson(const std::vector<Hypertable>& hs) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& h : hs) {
    out.push_back({{"table", h.schema + "." + h.name}, {"schema", h.schema}, {"name", h.name},
                   {"time_column", h.time_column}, {"chunk_interval", h.chunk_interval},
                   {"integer_interval", h.integer_interval}});
  }
  return out;
}

std::vector<Hypertable> HypertablesFromJson(const nlohmann::json& j) {
  std::vector<Hypertable> out;
  if (!j.is_array()) return out;
  for (const auto& e : j) {
    out.push_back(Hypertable{e.value("schema", ""), e.value("name", ""), e.value("time_column", ""),
                             e.value("chunk_interval", ""), e.value("integer_interval", false)});
  }
  return out;
}

}  // namespace summit::sources::postgres
