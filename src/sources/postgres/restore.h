// Restore of a logical PostgreSQL capture (see backup.h) into a target database.
//
// Modes:
//   kFull     the database is built under a temporary name (<db>_summit_restoring) and
//             renamed into place only when complete, so a failed restore leaves the target as
//             it was; a non-empty target is refused unless allow_drop (then dropped just before
//             the rename: the CLI asks for --yes in production). An existing empty target is
//             restored into directly. pre-data schema -> a graph of steps on N connections
//             (task_graph.h): each table's COPY, its indexes and keys as soon as it is loaded,
//             foreign keys (added NOT VALID, then validated) once both tables have their keys,
//             ANALYZE per table -> sequences -> large objects -> triggers and the rest of
//             post-data. Foreign keys whose referenced table is not in the capture are left
//             out (with a warning).
//             TimescaleDB: schema between timescaledb_pre_restore()/post_restore(), then
//             create_hypertable() for each recorded hypertable before its data is copied.
//   kTables   the listed tables of an existing database: their rows are replaced (deleted,
//             then copied in foreign-key order) in one transaction; nothing else changes.
//   kReplaceFiltered  a tenant or project capture: that tenant's/project's rows are deleted
//             (children first) and copied back (parents first) in one transaction, with the
//             predicates recorded at backup; every other row is untouched.
// A non-null transform with Applies(table) sees every row decoded (copy_text.h); rows it
// rejects are dropped. dry_run returns the plan and touches nothing (read-only queries only).
//
// Thread-safety: Restore is reentrant; it runs its own worker threads and joins them.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/result.h"
#include "io/stream.h"
#include "sources/postgres/pg_conn.h"
#include "sources/postgres/settings.h"
#include "transform/hooks.h"

namespace summit::sources::postgres {

enum class RestoreMode { kFull, kTables, kReplaceFiltered };

struct RestoreOptions {
  RestoreMode mode = RestoreMode::kFull;
  std::vector<std::string> tables;      // kTables: "users" or "public.users"
  bool allow_drop = false;              // kFull: drop and recreate a non-empty target
  bool dry_run = false;
  int jobs = 0;                         // COPY connections; 0: hardware concurrency
  bool analyze = true;
  // kTables/kReplaceFiltered: run with session_replication_role = replica so that user
  // triggers do not rewrite restored rows (needs a superuser; otherwise triggers fire).
  bool disable_triggers = true;
  std::string maintenance_db = "postgres";  // where CREATE/DROP DATABASE is issued
  size_t read_buffer_bytes = 1 << 20;
  // kFull: maintenance_work_mem of each restore connection (index builds, foreign key
  // validation sort in memory instead of on disk); "" keeps the server's setting.
  std::string maintenance_work_mem = "256MB";
  // A full restore sends the rows of tables whose column types allow it in COPY's binary
  // format (copy_binary.h): less parsing for the server, the bottleneck of a restore. Tables
  // with other types, transformed tables and rows the encoder refuses go in text.
  bool binary_copy = true;
  // Parallel workers per CREATE INDEX on the restore connections; -1 keeps the server's
  // setting. The task graph already keeps `jobs` connections busy, one per core by default,
  // so the server's default of 2 workers per index build oversubscribes the CPU: on 2 cores a
  // 660 MB restore took 8.2 s with 0 and 10.8 s with 2 (bench/postgres_compare.md).
  int max_parallel_maintenance_workers = 0;
  // kFull: a table of at least this many bytes whose indexes include a btree index led by a
  // column other than the primary key's (tenant_id, time) is sent grouped by that column, so
  // that the index is built from presorted input (load_order.h). 0 turns it off.
  uint64_t ordered_load_min_bytes = 32u << 20;
  // The rows held back for that stay in memory up to this many bytes per table; the rest goes
  // to an unlinked temporary file in `spill_dir` ("" = $TMPDIR or /tmp).
  size_t ordered_load_memory_bytes = 16u << 20;
  std::string spill_dir;
  // kFull: checks of the restored data, each run as a step of the graph as soon as its table
  // is loaded and its indexes and keys built (beside other tables' loads and index builds, not
  // after them all), on one of the
  // restore's connections to the database being built, in a transaction with the server's
  // default search_path. A failing check fails the restore. Not run by a dry run.
  struct TableCheck {
    std::string table;  // "public.audit_logs"; a table the capture does not hold is skipped
    std::string what;   // for the step log: "audit chain"
    std::function<Status(PgConn&)> run;
  };
  std::vector<TableCheck> checks_after_load;
};

struct PlanStep {
  std::string action;  // "drop database", "create database", "create schema", "load table",
                       // "delete rows", "set sequences", "create large object", "post-data", "analyze"
  std::string object;
  uint64_t rows = 0;   // rows to load (from the capture) or to delete (counted in the target)
  uint64_t bytes = 0;
  // "load table": the index its rows will be sent grouped for (load_order.h), if any; at load
  // time a spill directory without room for the table falls back to stream order.
  std::string grouped_for;
};

struct RestoreTableReport {
  std::string table;
  uint64_t rows = 0;          // rows loaded
  uint64_t rows_dropped = 0;  // rejected by the transform
  uint64_t rows_deleted = 0;  // removed from the target first (kTables, kReplaceFiltered)
  uint64_t bytes = 0;
  std::string copy_format;  // "binary" or "text": how the rows went to the server
  std::string ordered_for;  // the index whose order the rows were sent in, "" = stream order
  // Set when the rows were to be grouped but could not be held back (no room, the spill file
  // failed): the restore is complete, the index build slower. It becomes a report warning.
  std::string load_order_warning;
};

struct RestoreReport {
  std::vector<PlanStep> plan;
  std::vector<RestoreTableReport> tables;
  std::vector<std::string> warnings;
  uint64_t rows = 0;
  uint64_t bytes = 0;
  double seconds = 0;
  // Wall time per phase ("schema", "data, indexes, keys, analyze", "sequences", "post-data", "switch").
  std::vector<std::pair<std::string, double>> phase_seconds;
  // kFull: every step of the graph (a table's load, an index, a foreign key, ANALYZE): when it
  // started (seconds after the first step began), how long it took, on which connection.
  struct Step {
    std::string what;
    double start = 0;
    double seconds = 0;
    int connection = 0;
  };
  std::vector<Step> steps;
};

// The SET statements each restore connection runs after pg_dump's preamble (bulk-load
// settings from `options`).
std::string RestoreSessionSettings(const RestoreOptions& options);

// Fails with kInvalidInput for an unknown mode/table or a capture that does not fit the mode,
// kAlreadyExists for a non-empty target without allow_drop, kCorruption for a capture whose
// data does not decode, kUnavailable/kPermission from the server; server errors name the
// table. A failed kTables/kReplaceFiltered restore leaves the target as it was (one transaction).
Result<RestoreReport> Restore(const Settings& target, const RestoreOptions& options, CaptureSource& in,
                              const transform::PgRowTransform* transform);

// Plan as text, one line per step (for --dry-run output).
std::string FormatPlan(const RestoreReport& report);

}  // namespace summit::sources::postgres
