// Consistent logical backup of one PostgreSQL database into a capture (DESIGN.md, "Sources and
// sinks"). One connection opens a REPEATABLE READ transaction and exports its snapshot; N
// worker connections import it, so every table is read as of the same instant; pg_dump gets
// the same snapshot for the schema. Streams:
//   schema.pre.sql, schema.post.sql   pg_dump --section=pre-data / post-data (plain SQL)
//   data/<schema>.<table>             COPY text, ordered by primary key (one stream per table;
//                                     names that are not valid stream names use data/_/<n>)
//   sequences.json                    [{"sequence", "last_value", "is_called"}]
//   large_objects/<oid>               the bytes of each large object (unfiltered captures)
// Attributes: format, capture {lsn, time, snapshot, server_version, database}, tables (per
// table: columns, types, keys, foreign keys, stream, rows, bytes, where), load_order,
// extensions, hypertables, sequences, large_objects, filter.
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

#include "core/result.h"
#include "io/stream.h"
#include "sources/postgres/settings.h"

namespace summit::sources::postgres {

inline constexpr const char* kCaptureFormat = "summit-pg-logical-1";

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
};

struct TableReport {
  std::string table;
  uint64_t rows = 0;
  uint64_t bytes = 0;
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
};

// Captures the database of `settings`. Fails before writing any stream with kInvalidInput for
// an unknown table or filter column or an empty tenant/project, kNotFound when the tenant or
// project has no rows (unless allow_empty), kUnavailable/kPermission when the server refuses;
// any error while streaming fails the whole backup (the caller must discard the capture).
Result<BackupReport> Backup(const Settings& settings, const BackupOptions& options, CaptureSink& out);

}  // namespace summit::sources::postgres
