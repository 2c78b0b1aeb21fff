#include "sources/postgres/fingerprint.h"

#include "sources/postgres/catalog.h"
#include "sources/postgres/pg_conn.h"

namespace summit::sources::postgres {

Result<nlohmann::json> Fingerprint(const Settings& settings, const FingerprintOptions& options) {
  const std::string ctx = "fingerprinting postgres " + settings.Describe();
  SUMMIT_ASSIGN_OR_RETURN_CTX(auto conn, PgConn::Open(settings), ctx);
  SUMMIT_TRY_CTX(conn->Exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "starting"), ctx);
  SUMMIT_ASSIGN_OR_RETURN_CTX(Catalog cat, LoadCatalog(*conn), ctx);
  std::vector<const TableInfo*> selected;
  if (options.tables.empty()) {
    for (const auto& t : cat.tables) selected.push_back(&t);
  } else {
    for (const auto& n : options.tables) {
      SUMMIT_ASSIGN_OR_RETURN_CTX(std::string q, ResolveTable(cat, n), ctx);
      selected.push_back(cat.Find(q));
    }
  }
  std::vector<FilterPlan> plans;
  if (options.tenant) {
    SUMMIT_ASSIGN_OR_RETURN_CTX(FilterPlan p,
                                PlanFilter(cat.tables, RowFilter{"tenant", options.tenant_column, *options.tenant,
                                                                 options.tenant_key_columns}),
                                ctx);
    plans.push_back(std::move(p));
  }
  if (options.project) {
    SUMMIT_ASSIGN_OR_RETURN_CTX(FilterPlan p,
                                PlanFilter(cat.tables, RowFilter{"project", options.project_column, *options.project,
                                                                 options.project_key_columns}),
                                ctx);
    plans.push_back(std::move(p));
  }
  nlohmann::json tables = nlohmann::json::object();
  for (const TableInfo* t : selected) {
    std::string where;
    bool keep = true;
    for (const auto& p : plans) {
      auto it = p.where.find(t->qualified());
      if (it == p.where.end()) {
        keep = false;
        break;
      }
      where = where.empty() ? it->second : "(" + where + ") AND (" + it->second + ")";
    }
    if (!keep) continue;
    std::string sql =
        "SELECT count(*), md5(COALESCE(sum(('x' || substr(h, 1, 16))::bit(64)::bigint::numeric), 0)::text || ':' ||"
        " COALESCE(sum(('x' || substr(h, 17, 16))::bit(64)::bigint::numeric), 0)::text)"
        " FROM (SELECT md5(summit_r::text) AS h FROM " + t->quoted() + " summit_r" +
        (where.empty() ? std::string() : " WHERE " + where) + ") s";
    SUMMIT_ASSIGN_OR_RETURN_CTX(PgResult r, conn->Exec(sql, "hashing table " + t->qualified()), ctx);
    tables[t->qualified()] = {{"rows", r.GetInt(0, 0)}, {"hash", r.GetString(0, 1)}};
  }
  nlohmann::json out = {{"tables", tables}};
  if (options.constraints) {
    nlohmann::json violations = nlohmann::json::array();
    for (const TableInfo* t : selected) {
      for (const auto& fk : t->foreign_keys) {
        const TableInfo* parent = cat.Find(fk.parent);
        if (parent == nullptr) continue;
        std::string not_null, match;
        for (size_t i = 0; i < fk.columns.size(); ++i) {
          not_null += (i ? " AND " : "") + std::string("c.") + QuoteIdent(fk.columns[i]) + " IS NOT NULL";
          match += (i ? " AND " : "") + std::string("p.") + QuoteIdent(fk.parent_columns[i]) + " = c." + QuoteIdent(fk.columns[i]);
        }
        SUMMIT_ASSIGN_OR_RETURN_CTX(
            PgResult r,
            conn->Exec("SELECT count(*) FROM " + t->quoted() + " c WHERE " + not_null + " AND NOT EXISTS (SELECT 1 FROM " +
                           parent->quoted() + " p WHERE " + match + ")",
                       "checking foreign key " + fk.name),
            ctx);
        if (r.GetInt(0, 0) > 0) {
          violations.push_back("foreign key " + fk.name + " on " + t->qualified() + ": " + r.GetString(0, 0) +
                               " rows reference missing rows of " + fk.parent);
        }
      }
    }
    SUMMIT_ASSIGN_OR_RETURN_CTX(
        PgResult nv,
        conn->Exec("SELECT conrelid::regclass::text || ' ' || conname FROM pg_constraint WHERE NOT convalidated ORDER BY 1",
                   "listing unvalidated constraints"),
        ctx);
    for (int i = 0; i < nv.rows(); ++i) violations.push_back("constraint not validated: " + nv.GetString(i, 0));
    out["constraints"] = {{"valid", violations.empty()}, {"violations", violations}};
  }
  SUMMIT_TRY_CTX(conn->Exec("COMMIT", "finishing"), ctx);
  return out;
}

}  // namespace summit::sources::postgres
