#include "sources/postgres/catalog.h"

#include <algorithm>
#include <functional>
#include <set>

namespace summit::sources::postgres {

bool TableInfo::HasColumn(const std::string& column) const {
  return std::find(columns.begin(), columns.end(), column) != columns.end();
}

const TableInfo* Catalog::Find(const std::string& qualified) const {
  for (const auto& t : tables) {
    if (t.qualified() == qualified) return &t;
  }
  return nullptr;
}

namespace {

// Schemas never captured as user data: PostgreSQL's own and TimescaleDB's internals (chunks
// are captured through their hypertable).
constexpr const char* kUserRelationFilter =
    " n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')"
    " AND n.nspname NOT LIKE 'pg\\_temp\\_%' AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%'"
    " AND n.nspname NOT LIKE '\\_timescaledb%' AND n.nspname NOT IN ('timescaledb_information', "
    "'timescaledb_experimental')"
    " AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid"
    " AND d.deptype = 'e')";

}  // namespace

Result<Catalog> LoadCatalog(PgConn& conn) {
  Catalog cat;
  std::map<uint32_t, size_t> by_oid;
  SUMMIT_ASSIGN_OR_RETURN(
      PgResult tables,
      conn.Exec(std::string("SELECT c.oid, n.nspname, c.relname, c.reltuples::bigint,"
                            " pg_total_relation_size(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                            " WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND") +
                    kUserRelationFilter + " ORDER BY n.nspname, c.relname",
                "listing tables"));
  for (int i = 0; i < tables.rows(); ++i) {
    TableInfo t;
    t.schema = tables.GetString(i, 1);
    t.name = tables.GetString(i, 2);
    t.estimated_rows = std::max<int64_t>(0, tables.GetInt(i, 3));
    t.estimated_bytes = tables.GetInt(i, 4);
    by_oid[static_cast<uint32_t>(tables.GetInt(i, 0))] = cat.tables.size();
    cat.tables.push_back(std::move(t));
  }
  SUMMIT_ASSIGN_OR_RETURN(
      PgResult cols,
      conn.Exec("SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a"
                " JOIN pg_class c ON c.oid = a.attrelid WHERE c.relkind IN ('r', 'p') AND a.attnum > 0"
                " AND NOT a.attisdropped AND a.attgenerated = '' ORDER BY a.attrelid, a.attnum",
                "listing columns"));
  for (int i = 0; i < cols.rows(); ++i) {
    auto it = by_oid.find(static_cast<uint32_t>(cols.GetInt(i, 0)));
    if (it == by_oid.end()) continue;
    cat.tables[it->second].columns.push_back(cols.GetString(i, 1));
    cat.tables[it->second].types.push_back(cols.GetString(i, 2));
  }
  SUMMIT_ASSIGN_OR_RETURN(
      PgResult pks,
      conn.Exec("SELECT i.indrelid, a.attname FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey::int2[])"
                " WITH ORDINALITY k(attnum, ord) JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum"
                " WHERE i.indisprimary ORDER BY i.indrelid, k.ord",
                "listing primary keys"));
  for (int i = 0; i < pks.rows(); ++i) {
    auto it = by_oid.find(static_cast<uint32_t>(pks.GetInt(i, 0)));
    if (it != by_oid.end()) cat.tables[it->second].primary_key.push_back(pks.GetString(i, 1));
  }
  SUMMIT_ASSIGN_OR_RETURN(
      PgResult fks,
      conn.Exec("SELECT co.conrelid, co.conname, pn.nspname || '.' || pc.relname, a.attname, pa.attname"
                " FROM pg_constraint co JOIN pg_class pc ON pc.oid = co.confrelid"
                " JOIN pg_namespace pn ON pn.oid = pc.relnamespace"
                " CROSS JOIN LATERAL unnest(co.conkey, co.confkey) WITH ORDINALITY k(attnum, fattnum, ord)"
                " JOIN pg_attribute a ON a.attrelid = co.conrelid AND a.attnum = k.attnum"
                " JOIN pg_attribute pa ON pa.attrelid = co.confrelid AND pa.attnum = k.fattnum"
                " WHERE co.contype = 'f' AND co.conparentid = 0 ORDER BY co.conrelid, co.conname, k.ord",
                "listing foreign keys"));
  for (int i = 0; i < fks.rows(); ++i) {
    auto it = by_oid.find(static_cast<uint32_t>(fks.GetInt(i, 0)));
    if (it == by_oid.end()) continue;
    auto& list = cat.tables[it->second].foreign_keys;
    std::string name = fks.GetString(i, 1);
    if (list.empty() || list.back().name != name) {
      list.push_back(ForeignKey{name, {}, fks.GetString(i, 2), {}});
    }
    list.back().columns.push_back(fks.GetString(i, 3));
    list.back().parent_columns.push_back(fks.GetString(i, 4));
  }
  SUMMIT_ASSIGN_OR_RETURN(
      PgResult seqs,
      conn.Exec(std::string("SELECT n.nspname, c.relname, COALESCE((SELECT tn.nspname || '.' || tc.relname FROM pg_depend d"
                            " JOIN pg_class tc ON tc.oid = d.refobjid JOIN pg_namespace tn ON tn.oid = tc.relnamespace"
                            " WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.refclassid = "
                            "'pg_class'::regclass AND d.deptype IN ('a', 'i') LIMIT 1), '')"
                            " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'S' AND") +
                    kUserRelationFilter + " ORDER BY 1, 2",
                "listing sequences"));
  for (int i = 0; i < seqs.rows(); ++i) {
    cat.sequences.push_back(SequenceInfo{seqs.GetString(i, 0), seqs.GetString(i, 1), seqs.GetString(i, 2)});
  }
  SUMMIT_ASSIGN_OR_RETURN(PgResult exts, conn.Exec("SELECT extname, extversion FROM pg_extension ORDER BY 1",
                                                   "listing extensions"));
  for (int i = 0; i < exts.rows(); ++i) cat.extensions.emplace_back(exts.GetString(i, 0), exts.GetString(i, 1));
  SUMMIT_ASSIGN_OR_RETURN(PgResult los, conn.Exec("SELECT oid FROM pg_largeobject_metadata ORDER BY oid",
                                                  "listing large objects"));
  for (int i = 0; i < los.rows(); ++i) cat.large_objects.push_back(static_cast<uint32_t>(los.GetInt(i, 0)));
  return cat;
}

Result<std::string> ResolveTable(const Catalog& catalog, const std::string& name) {
  std::string q = name.find('.') == std::string::npos ? "public." + name : name;
  if (catalog.Find(q) == nullptr) {
    return Fail(Error(ErrorCode::kInvalidInput, "table " + q + " does not exist in the source database")
                    .WithHint("fix the table list of this backup set (tables are schema.table or, in public, table)"));
  }
  return q;
}

std::vector<std::string> LoadOrder(const std::vector<TableInfo>& tables) {
  std::map<std::string, const TableInfo*> by_name;
  for (const auto& t : tables) by_name[t.qualified()] = &t;
  std::vector<std::string> order;
  std::set<std::string> done, visiting;
  std::function<void(const std::string&)> visit = [&](const std::string& n) {
    if (done.count(n) || visiting.count(n)) return;  // visiting: a cycle, broken here
    visiting.insert(n);
    const TableInfo* t = by_name[n];
    for (const auto& fk : t->foreign_keys) {
      if (fk.parent != n && by_name.count(fk.parent)) visit(fk.parent);
    }
    visiting.erase(n);
    done.insert(n);
    order.push_back(n);
  };
  for (const auto& [n, t] : by_name) visit(n);
  return order;
}

namespace {

std::string ColumnTuple(const std::vector<std::string>& cols) {
  std::string out;
  for (size_t i = 0; i < cols.size(); ++i) {
    if (i > 0) out += ", ";
    out += QuoteIdent(cols[i]);
  }
  return cols.size() == 1 ? out : "(" + out + ")";
}

}  // namespace

Result<FilterPlan> PlanFilter(const std::vector<TableInfo>& tables, const RowFilter& filter) {
  if (filter.value.empty()) {
    return Fail(Error(ErrorCode::kInvalidInput, filter.kind + " filter: the " + filter.kind + " id is empty")
                    .WithHint(filter.kind == "tenant" ? "set TENANT_ID (e.g. TENANT_ID=customer-acme)"
                                                      : "set PROJECT_ID (e.g. PROJECT_ID=investigation-2025-001)"));
  }
  std::map<std::string, const TableInfo*> by_name;
  for (const auto& t : tables) by_name[t.qualified()] = &t;
  FilterPlan plan;
  for (const auto& [table, column] : filter.key_columns) {
    auto it = by_name.find(table);
    if (it == by_name.end()) continue;  // e.g. no tenants table in this database: nothing to key on
    if (!it->second->HasColumn(column)) {
      return Fail(Error(ErrorCode::kInvalidInput, filter.kind + " filter: column " + column + " does not exist in table " + table)
                      .WithHint("fix the " + filter.kind + " filter columns in the backup set's config"));
    }
  }
  bool column_exists = false;
  for (const auto& t : tables) column_exists = column_exists || t.HasColumn(filter.column);
  if (!column_exists) {
    return Fail(Error(ErrorCode::kInvalidInput, filter.kind + " filter: no table has a column named " + filter.column)
                    .WithHint("check the " + filter.kind + " column in the backup set's config"));
  }
  // Direct filters first.
  for (const auto& t : tables) {
    const std::string q = t.qualified();
    std::string column;
    if (auto k = filter.key_columns.find(q); k != filter.key_columns.end()) {
      column = k->second;
    } else if (t.HasColumn(filter.column)) {
      column = filter.column;
    }
    if (!column.empty()) {
      plan.where[q] = QuoteIdent(column) + " = " + QuoteLiteral(filter.value);
      plan.direct.push_back(q);
    }
  }
  if (plan.direct.empty()) {
    return Fail(Error(ErrorCode::kInvalidInput, filter.kind + " filter: no table has a column named " + filter.column)
                    .WithHint("check the " + filter.kind + " column in the backup set's config"));
  }
  // Then through foreign keys, to a fixed point; each table takes its first FK (by name) whose
  // parent is filtered, so the predicate is deterministic.
  std::function<std::optional<std::string>(const std::string&, std::set<std::string>&)> resolve =
      [&](const std::string& q, std::set<std::string>& path) -> std::optional<std::string> {
    if (auto it = plan.where.find(q); it != plan.where.end()) return it->second;
    if (path.count(q)) return std::nullopt;
    path.insert(q);
    const TableInfo* t = by_name[q];
    for (const auto& fk : t->foreign_keys) {
      if (fk.parent == q || !by_name.count(fk.parent)) continue;
      auto parent_where = resolve(fk.parent, path);
      if (!parent_where) continue;
      std::string pred = ColumnTuple(fk.columns) + " IN (SELECT " + ColumnTuple(fk.parent_columns) + " FROM " +
                         by_name[fk.parent]->quoted() + " WHERE " + *parent_where + ")";
      path.erase(q);
      plan.where[q] = pred;
      return pred;
    }
    path.erase(q);
    return std::nullopt;
  };
  for (const auto& t : tables) {
    std::set<std::string> path;
    if (!resolve(t.qualified(), path)) plan.excluded.push_back(t.qualified());
  }
  return plan;
}

std::string ColumnList(const TableInfo& table) {
  std::string out;
  for (size_t i = 0; i < table.columns.size(); ++i) {
    if (i > 0) out += ", ";
    out += QuoteIdent(table.columns[i]);
  }
  return out;
}

std::string CopyOutSql(const TableInfo& table, const std::string& where) {
  std::string sql = "COPY (SELECT " + ColumnList(table) + " FROM " + table.quoted() + " summit_r";
  if (!where.empty()) sql += " WHERE " + where;
  sql += " ORDER BY ";
  if (!table.primary_key.empty()) {
    for (size_t i = 0; i < table.primary_key.size(); ++i) {
      if (i > 0) sql += ", ";
      sql += QuoteIdent(table.primary_key[i]);
    }
  } else {
    sql += "summit_r::text COLLATE \"C\"";  // no key: the whole row's text gives a stable order
  }
  sql += ") TO STDOUT";
  return sql;
}

nlohmann::json TableToJson(const TableInfo& t) {
  nlohmann::json fks = nlohmann::json::array();
  for (const auto& fk : t.foreign_keys) {
    fks.push_back({{"name", fk.name}, {"columns", fk.columns}, {"parent", fk.parent}, {"parent_columns", fk.parent_columns}});
  }
  return {{"schema", t.schema}, {"name", t.name}, {"columns", t.columns}, {"types", t.types},
          {"primary_key", t.primary_key}, {"foreign_keys", fks}};
}

TableInfo TableFromJson(const nlohmann::json& j) {
  TableInfo t;
  t.schema = j.value("schema", "");
  t.name = j.value("name", "");
  t.columns = j.value("columns", std::vector<std::string>{});
  t.types = j.value("types", std::vector<std::string>{});
  t.primary_key = j.value("primary_key", std::vector<std::string>{});
  for (const auto& f : j.value("foreign_keys", nlohmann::json::array())) {
    t.foreign_keys.push_back(ForeignKey{f.value("name", ""), f.value("columns", std::vector<std::string>{}),
                                        f.value("parent", ""), f.value("parent_columns", std::vector<std::string>{})});
  }
  return t;
}

}  // namespace summit::sources::postgres
