#include "sources/audit/audit_chain.h"

#include "sources/postgres/pg_conn.h"

namespace summit::sources::audit {

nlohmann::json ChainReport::ToJson() const {
  nlohmann::json b = nlohmann::json::array();
  for (const auto& l : broken)
    b.push_back({{"chain", l.chain}, {"id", l.id}, {"position", l.position}, {"reason", l.reason}});
  return {{"table", table}, {"rows", rows}, {"chains", chains}, {"verified", ok()}, {"broken", b}};
}

Result<ChainReport> Verify(const postgres::Settings& settings, const ChainSpec& spec, const VerifyOptions& options) {
  SUMMIT_ASSIGN_OR_RETURN(auto conn, postgres::PgConn::Open(settings));
  return Verify(*conn, spec, options);
}

Result<ChainReport> Verify(postgres::PgConn& conn, const ChainSpec& spec, const VerifyOptions& options) {
  using postgres::QuoteIdent;
  using postgres::QuoteLiteral;
  SUMMIT_ASSIGN_OR_RETURN(auto exists, conn.ExecParams("SELECT to_regclass($1) IS NOT NULL", {spec.table}));
  if (!exists.GetBool(0, 0)) {
    SUMMIT_ASSIGN_OR_RETURN(auto db, conn.Exec("SELECT current_database()"));
    return Fail(ErrorCode::kNotFound, "audit chain table " + spec.table + " does not exist in database " + db.GetString(0, 0));
  }

  std::string part = spec.partition_column.empty() ? "''" : QuoteIdent(spec.partition_column) + "::text";
  std::string where = options.partition && !spec.partition_column.empty()
                          ? " WHERE " + QuoteIdent(spec.partition_column) + " = " + QuoteLiteral(*options.partition)
                          : "";
  std::string id = QuoteIdent(spec.id_column), prev = QuoteIdent(spec.prev_column), hash = QuoteIdent(spec.hash_column);
  std::string sql =
      "WITH c AS (SELECT " + part + " AS chain, " + id + "::bigint AS id, " + prev + " AS prev, " + hash +
      " AS hash, encode(sha256(convert_to(" + prev + " || E'\\n' || " + spec.canonical_sql +
      ", 'UTF8')), 'hex') AS computed, lag(" + hash + ") OVER w AS prev_row, row_number() OVER w AS pos FROM " +
      spec.table + where + " WINDOW w AS (PARTITION BY " + part + " ORDER BY " + id +
      ")) "
      "SELECT (SELECT count(*) FROM c), (SELECT count(DISTINCT chain) FROM c), chain, id, pos, computed = hash, "
      "CASE WHEN prev_row IS NULL THEN " +
      std::string(options.allow_truncated_head ? "true" : "prev = repeat('0', 64)") +
      " ELSE prev = prev_row END FROM c RIGHT JOIN (SELECT 1) one ON "
      "(computed <> hash OR CASE WHEN prev_row IS NULL THEN " +
      std::string(options.allow_truncated_head ? "false" : "prev <> repeat('0', 64)") +
      " ELSE prev <> prev_row END) ORDER BY chain, id LIMIT 20";
  SUMMIT_ASSIGN_OR_RETURN(auto r, conn.Exec(sql, "verifying the audit chain of " + spec.table));
  ChainReport report;
  report.table = spec.table;
  for (int i = 0; i < r.rows(); ++i) {
    report.rows = static_cast<uint64_t>(r.GetInt(i, 0));
    report.chains = static_cast<uint64_t>(r.GetInt(i, 1));
    if (r.IsNull(i, 3)) continue;  // the RIGHT JOIN's row when nothing is broken
    BrokenLink l;
    l.chain = r.GetString(i, 2);
    l.id = r.GetInt(i, 3);
    l.position = r.GetInt(i, 4);
    l.reason = !r.GetBool(i, 5) ? "hash does not match the row" : "prev_hash does not match the previous row";
    report.broken.push_back(std::move(l));
  }
  return report;
}

}  // namespace summit::sources::audit
