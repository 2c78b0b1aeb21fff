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

  // Chains are grouped byte-wise (COLLATE "C"): the grouping needs no collation, and the sort
  // then compares with memcmp and abbreviated keys instead of strcoll.
  std::string part = spec.partition_column.empty() ? "''" : "(" + QuoteIdent(spec.partition_column) + "::text)";
  std::string where = options.partition && !spec.partition_column.empty()
                          ? " WHERE " + QuoteIdent(spec.partition_column) + " = " + QuoteLiteral(*options.partition)
                          : "";
  std::string id = QuoteIdent(spec.id_column), prev = QuoteIdent(spec.prev_column), hash = QuoteIdent(spec.hash_column);
  // Per row: its chain, position, and whether its hash and its link hold. The hash is checked in
  // the scan, below the sort (OFFSET 0 keeps the planner from moving it above), so the sort
  // carries narrow rows and not the canonical text. NULLs never pass (IS DISTINCT FROM): a row
  // without a hash or prev_hash is a broken link.
  std::string head_ok = options.allow_truncated_head ? "true" : "prev IS NOT DISTINCT FROM repeat('0', 64)";
  std::string rows = "SELECT " + part + " COLLATE \"C\" AS chain, " + id + "::bigint AS id, " + prev + " AS prev, " + hash +
                     " AS hash, " + hash + " IS NOT DISTINCT FROM encode(sha256(convert_to(" + prev + " || E'\\n' || " +
                     spec.canonical_sql + ", 'UTF8')), 'hex') AS hash_ok FROM " + spec.table + where + " OFFSET 0";
  std::string links = "SELECT chain, id, row_number() OVER w AS pos, hash_ok, CASE WHEN row_number() OVER w = 1 THEN " +
                      head_ok + " ELSE prev IS NOT DISTINCT FROM lag(hash) OVER w END AS link_ok FROM (" + rows +
                      ") r WINDOW w AS (PARTITION BY chain ORDER BY id)";
  // One pass (one sort, nothing materialized) counts rows, chains and broken links; only when a
  // link is broken does a second pass list the first ones.
  SUMMIT_ASSIGN_OR_RETURN(auto counts, conn.Exec("SELECT count(*), count(*) FILTER (WHERE pos = 1), "
                                                 "count(*) FILTER (WHERE NOT (hash_ok AND link_ok)) FROM (" +
                                                     links + ") l",
                                                 "verifying the audit chain of " + spec.table));
  ChainReport report;
  report.table = spec.table;
  report.rows = static_cast<uint64_t>(counts.GetInt(0, 0));
  report.chains = static_cast<uint64_t>(counts.GetInt(0, 1));
  if (counts.GetInt(0, 2) == 0) return report;
  SUMMIT_ASSIGN_OR_RETURN(auto r, conn.Exec("SELECT chain, id, pos, hash_ok FROM (" + links +
                                                ") l WHERE NOT (hash_ok AND link_ok) ORDER BY chain, id LIMIT 20",
                                            "listing the broken links of " + spec.table));
  for (int i = 0; i < r.rows(); ++i) {
    BrokenLink l;
    l.chain = r.GetString(i, 0);
    l.id = r.GetInt(i, 1);
    l.position = r.GetInt(i, 2);
    l.reason = !r.GetBool(i, 3) ? "hash does not match the row" : "prev_hash does not match the previous row";
    report.broken.push_back(std::move(l));
  }
  return report;
}

}  // namespace summit::sources::audit
