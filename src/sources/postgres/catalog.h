// What the PostgreSQL source knows about a database's tables, and the pure planning done on
// it: foreign-key load order and tenant/project row filters (a table with the filter column is
// filtered by it; a table without it is filtered through a foreign key to a filtered table,
// recursively, as `(fk) IN (SELECT pk FROM parent WHERE <parent's filter>)`).
//
// LoadCatalog reads pg_catalog inside the caller's transaction (so under the backup's snapshot).
// Everything else here is pure and unit-tested without a server.
//
// Thread-safety: values and pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "sources/postgres/pg_conn.h"

namespace summit::sources::postgres {

struct ForeignKey {
  std::string name;
  std::vector<std::string> columns;
  std::string parent;  // qualified "schema.table"
  std::vector<std::string> parent_columns;
};

struct TableInfo {
  std::string schema;
  std::string name;
  std::vector<std::string> columns;  // COPY order: attnum order, generated columns left out
  std::vector<std::string> types;    // format_type() of each column
  std::vector<std::string> primary_key;
  std::vector<ForeignKey> foreign_keys;  // sorted by name
  int64_t estimated_rows = 0;
  int64_t estimated_bytes = 0;

  std::string qualified() const { return schema + "." + name; }
  std::string quoted() const { return QuoteQualified(schema, name); }
  bool HasColumn(const std::string& column) const;
};

struct SequenceInfo {
  std::string schema;
  std::string name;
  std::string owned_by;  // qualified table owning it (serial/identity), or ""
  std::string qualified() const { return schema + "." + name; }
};

struct Catalog {
  std::vector<TableInfo> tables;  // sorted by qualified name
  std::vector<SequenceInfo> sequences;
  std::vector<std::pair<std::string, std::string>> extensions;  // name, version
  std::vector<uint32_t> large_objects;
  const TableInfo* Find(const std::string& qualified) const;
};

// Reads user tables (plain and partitioned parents; not partitions, not extension members,
// not TimescaleDB internals), sequences, extensions and large objects.
Result<Catalog> LoadCatalog(PgConn& conn);

// Resolves "users" (search in schema public) or "public.users" to a table of the catalog.
// Fails with kInvalidInput naming the table when it does not exist.
Result<std::string> ResolveTable(const Catalog& catalog, const std::string& name);

// Tables ordered so that every table comes after the tables it references (parents first).
// Cycles are broken by name order. Self-references are ignored.
std::vector<std::string> LoadOrder(const std::vector<TableInfo>& tables);

// A row filter: the rows whose `column` equals `value`, plus rows reachable through FKs.
struct RowFilter {
  std::string kind;    // "tenant" or "project": for messages
  std::string column;  // "tenant_id" / "investigation_id"
  std::string value;
  // Tables filtered by another column equal to the value (investigations.id for a project,
  // tenants.id for a tenant), and per-table column overrides.
  std::map<std::string, std::string> key_columns;
};

struct FilterPlan {
  // Per table, the SQL predicate selecting its filtered rows (unqualified columns of that table).
  std::map<std::string, std::string> where;
  std::vector<std::string> direct;    // tables filtered by their own column
  std::vector<std::string> excluded;  // tables with no path to the filter: not captured
};

// Plans `filter` over `tables`. Fails with kInvalidInput when the value is empty, or when a
// column named in key_columns does not exist, or when no table has the column at all.
Result<FilterPlan> PlanFilter(const std::vector<TableInfo>& tables, const RowFilter& filter);

// SELECT list for COPY: "col1", "col2" ...
std::string ColumnList(const TableInfo& table);

// The COPY ... TO STDOUT statement of a table's capture: its columns, the predicate (may be
// empty), ordered by primary key, or by the whole row's text when there is none.
std::string CopyOutSql(const TableInfo& table, const std::string& where);

// TableInfo <-> the `tables` attribute entry.
nlohmann::json TableToJson(const TableInfo& table);
TableInfo TableFromJson(const nlohmann::json& j);

}  // namespace summit::sources::postgres
