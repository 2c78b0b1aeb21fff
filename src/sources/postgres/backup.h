// Consistent logical backup of one PostgreSQL database into a capture (DESIGN.md, "Sources and
// sinks"). One connection opens a REPEATABLE READ transaction and exports its snapshot; N
// worker connections import it, so every table is read as of the same instant; pg_dump gets
// the same snapshot for the schema. Streams:
//   schema.pre.sql, schema.post.sql   pg_dump --section=pre-data / post-data (plain SQL)
//   data/<schema>.<table>             COPY text, ordered by primary key (one stream per table;
//                                     names that are not valid stream names use data/_/<n>)
//   sequences.json                    [{"sequence", "last_value", "is_called"}]
//   large_objects/<oid>               the bytes of each large object (unfiltered captures)
// Attributes: format, capture {lsn, time, snapshot, server_version, database, xmin, xmax,
// system_identifier},
// tables (per table: columns, types, keys, foreign keys, stream, rows, bytes, where, mode),
// load_order, extensions, hypertables, sequences, large_objects, filter, incremental.
// capture.xmin/xmax are the exported snapshot's xid8 bounds (pg_current_snapshot()).
//
// Incremental captures (docs/incremental.md, reading them: incremental.h): with a base, a
// table with a primary key, no row filter and the same columns, types and key as in the base
// is captured as <stream>.delta (rows with xmin not older than the base's xmin, by key) and
// <stream>.keys (every key, in order), its entry saying {"mode": "delta", "base",
// "base_stream", "delta_rows"}; everything else (other tables, schema, sequences, large
// objects) is captured in full, as is every table when the xid distance to the base's xmin is
// 2^31 or more (xid wraparound would make the comparison meaningless) or the base comes from
// another cluster (system identifier) or database. A table whose delta has
// more than max_delta_fraction of max(base rows, estimated rows) falls back to full. With
// `enabled`, full tables that could be deltas get a <stream>.keys too (see IncrementalBase).
//
// Table data is streamed in chunks from PQgetCopyData to the ByteSink: memory stays bounded
// whatever the table size.
//
// Thread-safety: Backup is reentrant; it runs its own worker threads and joins them.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "io/stream.h"
#include "sources/postgres/settings.h"

namespace summit::sources::postgres {

inline constexpr const char* kCaptureFormat = "summit-pg-logical-1";

// The base of an incremental capture: the stored (not materialized) postgres attributes of
// an earlier snapshot of the same database.
struct IncrementalBase {
  // --incremental: every table that could be a delta gets its key list, also when captured in
  // full, so that the next capture's key list deduplicates against it.
  bool enabled = false;
  std::string snapshot;                   // its id; empty: capture every table in full
  nlohmann::json attributes;              // its postgres capture attributes, as stored
  int chain = 0;                          // its chain length (0: it is a full capture)
  double max_delta_fraction = 0.2;
};

struct BackupOptions {
  int jobs = 0;                              // worker connections; 0: hardware concurrency
  std::vector<std::string> include_tables;   // "users" / "public.users"; empty: every table
  std::optional<std::string> tenant;         // keep only this tenant's rows
  std::optional<std::string> project;        // keep only this project's (investigation's) rows
  std::string tenant_column = "tenant_id";
  std::string project_column = "investigation_id";
  // Tables keyed by the filter value itself (not by the filter column).
  std::map<std::string, std::string> tenant_key_columns = {{"public.tenants", "id"}};
  std::map<std::string, std::string> project_key_columns = {{"public.investigations", "id"}};
  // Extra per-table predicates from the config (SQL over the table's columns), ANDed in.
  std::map<std::string, std::string> table_predicates;
  bool allow_empty = false;                  // a tenant/project with no rows is not an error
  bool large_objects = true;                 // captured only when no filter/table list applies
  std::string pg_dump = "pg_dump";           // path of a pg_dump at least as new as the server
  size_t write_buffer_bytes = 1 << 20;       // COPY data is handed to the sink in chunks this big
  IncrementalBase incremental;
};

struct TableReport {
  std::string table;
  uint64_t rows = 0;
  uint64_t bytes = 0;         // bytes captured (delta + keys for a delta table)
  bool delta = false;
  uint64_t delta_rows = 0;
  std::string full_reason;    // with a base: why this table was captured in full
};

struct BackupReport {
  std::string snapshot;
  std::string lsn;
  std::string captured_at;  // server time of the snapshot, ISO 8601 UTC
  std::vector<TableReport> tables;
  uint64_t rows = 0;
  uint64_t bytes = 0;       // all streams
  uint64_t large_objects = 0;
  double seconds = 0;
  std::string base;           // the base snapshot when any table was captured as a delta
  std::string full_reason;    // with a base given: why no table could be captured as a delta
};

// Captures the database of `settings`. Fails before writing any stream with kInvalidInput for
// an unknown table or filter column or an empty tenant/project, kNotFound when the tenant or
// project has no rows (unless allow_empty), kUnavailable/kPermission when the server refuses;
// any error while streaming fails the whole backup (the caller must discard the capture).
Result<BackupReport> Backup(const Settings& settings, const BackupOptions& options, CaptureSink& out);

}  // namespace summit::sources::postgres
