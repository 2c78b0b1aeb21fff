#include "sources/postgres/backup.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <limits>
#include <mutex>
#include <set>
#include <thread>

#include "core/log.h"
#include "io/process.h"
#include "sources/postgres/catalog.h"
#include "sources/postgres/incremental.h"
#include "sources/postgres/pg_conn.h"
#include "sources/postgres/timescale.h"

namespace summit::sources::postgres {
namespace {

// Collects small writes (libpq hands back one row at a time) into chunks for the sink.
class ChunkedWriter {
 public:
  ChunkedWriter(ByteSink& sink, size_t chunk) : sink_(sink), chunk_(chunk) { buf_.reserve(chunk); }
  Status Write(std::string_view data) {
    bytes_ += data.size();
    if (buf_.size() + data.size() > chunk_ && !buf_.empty()) SUMMIT_TRY(Flush());
    if (data.size() >= chunk_) return sink_.Write(data);
    buf_.append(data);
    return Ok();
  }
  Status Flush() {
    if (buf_.empty()) return Ok();
    Status st = sink_.Write(std::string_view(buf_));
    buf_.clear();
    return st;
  }
  uint64_t bytes() const { return bytes_; }

 private:
  ByteSink& sink_;
  size_t chunk_;
  std::string buf_;
  uint64_t bytes_ = 0;
};

bool IsPlainStreamSegment(std::string_view s) {
  if (s.empty() || s == "." || s == "..") return false;
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) return false;
  }
  return true;
}

struct TableJob {
  const TableInfo* table;
  std::string where;
  std::string stream;
  uint64_t rows = 0;
  uint64_t bytes = 0;
  // Incremental: a delta is attempted when base_stream is set; `delta` says it succeeded.
  std::string base_stream;
  uint64_t base_bytes = 0;      // the table's (materialized) size in the base
  uint64_t max_delta_rows = 0;  // more changed rows than this: capture in full instead
  bool delta = false;
  uint64_t delta_rows = 0;
  uint64_t delta_bytes = 0;
  uint64_t keys_bytes = 0;
  std::string full_reason;      // with a base: why the table was captured in full
};

// The xid8 bounds of the exporting transaction's snapshot (PostgreSQL 13+), and the cluster
// they belong to: xids of two clusters (or of a logical copy) are unrelated.
struct SnapshotXids {
  uint64_t xmin = 0;
  uint64_t xmax = 0;
  std::string system_identifier;  // pg_control_system(); the same on physical replicas
};

// Why `table` cannot be captured as a delta against its entry in the base's `tables`
// attribute (nullptr: not in the base); "" when it can.
std::string DeltaRefusal(const TableInfo& table, const std::string& where, const nlohmann::json* base) {
  if (table.primary_key.empty()) return "no primary key";
  // A filtered row can enter the filter without changing itself (its parent moved to the
  // tenant, or a time predicate): only whole tables are safe to diff by xmin.
  if (!where.empty()) return "filtered table";
  if (!base) return "not in the base";
  if (!base->value("where", std::string()).empty()) return "filtered in the base";
  if (base->value("columns", std::vector<std::string>{}) != table.columns ||
      base->value("types", std::vector<std::string>{}) != table.types ||
      base->value("primary_key", std::vector<std::string>{}) != table.primary_key)
    return "columns or primary key changed since the base";
  if (base->value("stream", std::string()).empty()) return "the base entry has no stream";
  return "";
}

// The COPY of the primary keys of every row, in the order of CopyOutSql.
std::string CopyKeysSql(const TableInfo& table) {
  TableInfo keys = table;
  keys.columns = table.primary_key;
  return CopyOutSql(keys, "");
}

// Rows not older than the base's xmin horizon. age() is relative to the current transaction
// and computed in 32 bits; the caller guarantees the distance to the base is below 2^31.
// A frozen row reports its raw xmin (FrozenTransactionId, age INT_MAX, only for rows frozen
// before 9.4); in a cluster past 2^31 xids a raw xmin can wrap to a negative age and the row is
// captured again: over-capture, never a missed row (docs/incremental.md).
std::string DeltaPredicate(uint64_t base_xmin) {
  return "age(summit_r.xmin) <= age('" + std::to_string(base_xmin & 0xffffffffu) + "'::xid)";
}

Status BeginSnapshotTransaction(PgConn& conn, const std::string& snapshot) {
  SUMMIT_TRY(conn.Exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "starting the backup transaction"));
  SUMMIT_TRY(conn.Exec("SET TRANSACTION SNAPSHOT " + QuoteLiteral(snapshot), "importing the backup snapshot"));
  return Ok();
}

Status RunPgDump(const Settings& settings, const BackupOptions& options, const std::string& section,
                 const std::string& snapshot, const std::vector<std::string>& tables, CaptureSink& out,
                 const std::string& stream, uint64_t& bytes) {
  ProcessOptions p;
  p.argv = {options.pg_dump, "--section=" + section, "--snapshot=" + snapshot, "--no-password", "--format=plain"};
  for (const auto& t : tables) p.argv.push_back("--table=" + t);
  p.env = settings.ChildEnvironment();
  SUMMIT_ASSIGN_OR_RETURN(auto sink, out.OpenStream(stream));
  struct Counting final : ByteSink {
    ByteSink& inner;
    uint64_t& n;
    Counting(ByteSink& i, uint64_t& c) : inner(i), n(c) {}
    Status Write(ByteView d) override {
      n += d.size();
      return inner.Write(d);
    }
    Status Close() override { return inner.Close(); }
  } counting(*sink, bytes);
  p.stdout_sink = &counting;
  auto run = RunChecked(p, "pg_dump --section=" + section + " of " + settings.Describe());
  if (!run) {
    Error e = std::move(run).error();
    if (e.message().find("server version mismatch") != std::string::npos) {
      return Fail(std::move(e).WithHint("point the backup's pg_dump option at a pg_dump as new as the server"));
    }
    return Fail(std::move(e));
  }
  return counting.Close();
}

// Why no table can be captured as a delta against `base` at all; "" when tables may be.
std::string IncrementalRefusal(const IncrementalBase& base, const std::string& database,
                               const std::optional<SnapshotXids>& xids) {
  if (!xids) return "the server is older than PostgreSQL 13 (no pg_current_snapshot())";
  const nlohmann::json capture = base.attributes.value("capture", nlohmann::json::object());
  if (capture.value("system_identifier", "") != xids->system_identifier)
    return "base " + base.snapshot + " was taken from another PostgreSQL cluster (system identifier " +
           capture.value("system_identifier", "none") + ", this one " + xids->system_identifier + ")";
  if (capture.value("database", "") != database)
    return "base " + base.snapshot + " is of database " + capture.value("database", "?") + ", not " + database;
  if (!base.attributes.value("filter", nlohmann::json(nullptr)).is_null())
    return "base " + base.snapshot + " is a tenant or project capture";
  uint64_t base_xmin = 0;
  try {
    base_xmin = std::stoull(capture.value("xmin", "x"));
  } catch (const std::exception&) {
    return "base " + base.snapshot + " does not record its snapshot's xmin (taken by an older summit-dr)";
  }
  if (xids->xmax < base_xmin) return "base " + base.snapshot + "'s xmin is newer than this server's (another cluster?)";
  if (xids->xmax - base_xmin >= (uint64_t{1} << 31))
    return "2^31 or more transactions since base " + base.snapshot + " (xid comparison would wrap)";
  return "";
}

// Where one COPY goes: a new stream of the capture, with its rows and bytes counted.
struct CopyTarget {
  std::string stream;
  std::string what;                                        // "COPY of table x", for errors
  uint64_t max_rows = std::numeric_limits<uint64_t>::max();  // beyond: abandon the stream
  uint64_t rows = 0;
  uint64_t bytes = 0;
  bool over_limit = false;
};

// Runs `copy_sql` into target.stream. When more than target.max_rows rows come, sets
// over_limit and drops the stream unclosed, so it never becomes part of the capture.
Status CopyIntoStream(PgConn& conn, const std::string& copy_sql, CopyTarget& target, const BackupOptions& options,
                      CaptureSink& out, const std::atomic<bool>& stop) {
  SUMMIT_ASSIGN_OR_RETURN(auto sink, out.OpenStream(target.stream));
  ChunkedWriter w(*sink, options.write_buffer_bytes);
  Status st = conn.CopyOut(
      copy_sql,
      [&](std::string_view data) -> Status {
        // libpq returns whole rows; count their newlines.
        target.rows += static_cast<uint64_t>(std::count(data.begin(), data.end(), '\n'));
        if (stop) return Fail(ErrorCode::kCancelled, "stopped after another table failed");
        if (target.rows > target.max_rows) {
          target.over_limit = true;
          return Fail(ErrorCode::kCancelled, "more rows than the limit");
        }
        return w.Write(data);
      },
      target.what);
  if (target.over_limit) return Ok();
  SUMMIT_TRY(std::move(st));
  SUMMIT_TRY(w.Flush());
  target.bytes = w.bytes();
  return sink->Close();
}

// Captures job's table as <stream>.delta and <stream>.keys. When the delta has more than
// job.max_delta_rows rows, abandons it and returns with job.delta false and job.full_reason
// set, for the caller to capture the table in full.
Status CaptureDelta(PgConn& conn, TableJob& job, const BackupOptions& options, CaptureSink& out,
                    const std::atomic<bool>& stop) {
  const TableInfo& t = *job.table;
  // IncrementalRefusal has checked that the base records its xmin.
  const uint64_t base_xmin =
      std::stoull(options.incremental.attributes.value("capture", nlohmann::json::object()).value("xmin", "0"));
  CopyTarget delta{job.stream + kDeltaSuffix, "COPY of the changed rows of table " + t.qualified(), job.max_delta_rows};
  SUMMIT_TRY(CopyIntoStream(conn, CopyOutSql(t, DeltaPredicate(base_xmin)), delta, options, out, stop));
  if (delta.over_limit) {
    job.full_reason = "more than " + std::to_string(job.max_delta_rows) + " changed rows (max_delta_fraction " +
                      std::to_string(options.incremental.max_delta_fraction) + ")";
    return Ok();
  }
  CopyTarget keys{job.stream + kKeysSuffix, "COPY of the primary keys of table " + t.qualified()};
  SUMMIT_TRY(CopyIntoStream(conn, CopyKeysSql(t), keys, options, out, stop));
  job.delta = true;
  job.delta_rows = delta.rows;
  job.delta_bytes = delta.bytes;
  job.keys_bytes = keys.bytes;
  job.rows = keys.rows;
  return Ok();
}

}  // namespace

Result<BackupReport> Backup(const Settings& settings, const BackupOptions& options, CaptureSink& out) {
  auto started = std::chrono::steady_clock::now();
  const std::string db = settings.Describe();
  auto ctx = [&](const std::string& what) { return "backing up postgres " + db + ": " + what; };

  SUMMIT_ASSIGN_OR_RETURN_CTX(auto master, PgConn::Open(settings), "backing up postgres");
  SUMMIT_TRY_CTX(master->Exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "starting the backup transaction"),
                 "backing up postgres");
  SUMMIT_ASSIGN_OR_RETURN_CTX(
      PgResult snap,
      master->Exec("SELECT pg_export_snapshot(), CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()"
                   " ELSE pg_current_wal_lsn() END::text,"
                   " to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), current_database(),"
                   " current_setting('server_version_num')",
                   "exporting the snapshot"),
      "backing up postgres");
  BackupReport report;
  report.snapshot = snap.GetString(0, 0);
  report.lsn = snap.GetString(0, 1);
  report.captured_at = snap.GetString(0, 2);
  const std::string database = snap.GetString(0, 3);
  const std::string server_version = snap.GetString(0, 4);

  std::optional<SnapshotXids> xids;
  if (master->server_version() >= 130000) {
    SUMMIT_ASSIGN_OR_RETURN_CTX(
        PgResult x,
        master->Exec("SELECT pg_snapshot_xmin(pg_current_snapshot())::text, pg_snapshot_xmax(pg_current_snapshot())::text,"
                     " (SELECT system_identifier FROM pg_control_system())::text",
                     "reading the snapshot's transaction ids"),
        "backing up postgres");
    xids = SnapshotXids{std::stoull(x.GetString(0, 0)), std::stoull(x.GetString(0, 1)), x.GetString(0, 2)};
  }

  SUMMIT_ASSIGN_OR_RETURN_CTX(Catalog cat, LoadCatalog(*master), "backing up postgres " + db);

  // --- Decide what to capture; every input error is found here, before any stream exists. ---
  std::vector<const TableInfo*> selected;
  const bool table_list = !options.include_tables.empty();
  if (table_list) {
    std::set<std::string> seen;
    for (const auto& name : options.include_tables) {
      SUMMIT_ASSIGN_OR_RETURN_CTX(std::string q, ResolveTable(cat, name), ctx("table list"));
      if (seen.insert(q).second) selected.push_back(cat.Find(q));
    }
  } else {
    for (const auto& t : cat.tables) selected.push_back(&t);
  }
  std::map<std::string, std::string> where;  // table -> predicate; absent: whole table
  nlohmann::json filter_attr = nullptr;
  std::vector<std::pair<std::string, const FilterPlan*>> plans;
  FilterPlan tenant_plan, project_plan;
  if (options.tenant) {
    SUMMIT_ASSIGN_OR_RETURN_CTX(tenant_plan,
                                PlanFilter(cat.tables, RowFilter{"tenant", options.tenant_column, *options.tenant,
                                                                 options.tenant_key_columns}),
                                ctx("tenant filter"));
    plans.emplace_back("tenant", &tenant_plan);
  }
  if (options.project) {
    SUMMIT_ASSIGN_OR_RETURN_CTX(project_plan,
                                PlanFilter(cat.tables, RowFilter{"project", options.project_column, *options.project,
                                                                 options.project_key_columns}),
                                ctx("project filter"));
    plans.emplace_back("project", &project_plan);
  }
  if (!plans.empty()) {
    std::vector<const TableInfo*> kept;
    for (const TableInfo* t : selected) {
      std::string pred;
      bool keep = true;
      for (const auto& [kind, plan] : plans) {
        auto it = plan->where.find(t->qualified());
        if (it == plan->where.end()) {
          keep = false;
          break;
        }
        pred = pred.empty() ? it->second : "(" + pred + ") AND (" + it->second + ")";
      }
      if (keep) {
        where[t->qualified()] = pred;
        kept.push_back(t);
      }
    }
    selected = std::move(kept);
    // A tenant/project that matches nothing is almost always a typo: say so.
    for (const auto& [kind, plan] : plans) {
      const std::string& value = kind == "tenant" ? *options.tenant : *options.project;
      bool any = false;
      std::string list;
      for (const auto& t : plan->direct) {
        SUMMIT_ASSIGN_OR_RETURN_CTX(
            PgResult r,
            master->Exec("SELECT EXISTS (SELECT 1 FROM " + cat.Find(t)->quoted() + " WHERE " + plan->where.at(t) + ")",
                         "checking " + kind + " rows in " + t),
            ctx(kind + " filter"));
        any = any || r.GetBool(0, 0);
        list += (list.empty() ? "" : ", ") + t;
      }
      if (!any && !options.allow_empty) {
        return Fail(Error(ErrorCode::kNotFound, ctx(kind + " " + value + " has no rows in " + list))
                        .WithHint("check the " + kind + " id (ids are case-sensitive)"));
      }
    }
    filter_attr = {{"tenant", options.tenant ? nlohmann::json(*options.tenant) : nlohmann::json(nullptr)},
                   {"project", options.project ? nlohmann::json(*options.project) : nlohmann::json(nullptr)},
                   {"where", where}};
  }
  for (const auto& [table, pred] : options.table_predicates) {
    SUMMIT_ASSIGN_OR_RETURN_CTX(std::string q, ResolveTable(cat, table), ctx("table predicates"));
    SUMMIT_TRY_CTX(master->Exec("SELECT 1 FROM " + cat.Find(q)->quoted() + " WHERE (" + pred + ") LIMIT 0",
                                "checking the predicate of " + q),
                   ctx("table predicates"));
    auto& w = where[q];
    w = w.empty() ? "(" + pred + ")" : "(" + w + ") AND (" + pred + ")";
  }

  std::vector<TableJob> jobs;
  {
    std::set<std::string> used_streams;
    size_t odd = 0;
    for (const TableInfo* t : selected) {
      std::string stream = IsPlainStreamSegment(t->qualified()) ? "data/" + t->qualified()
                                                                 : "data/_/" + std::to_string(odd++);
      jobs.push_back(TableJob{t, where.count(t->qualified()) ? where[t->qualified()] : "", stream});
    }
  }
  const IncrementalBase& inc = options.incremental;
  if (!inc.snapshot.empty()) {
    report.full_reason = IncrementalRefusal(inc, database, xids);
    if (report.full_reason.empty()) {
      std::map<std::string, const nlohmann::json*> base_tables;
      const nlohmann::json& tables = inc.attributes.contains("tables") ? inc.attributes.at("tables") : nlohmann::json::array();
      for (const auto& t : tables) base_tables[t.value("table", "")] = &t;
      for (auto& job : jobs) {
        auto it = base_tables.find(job.table->qualified());
        const nlohmann::json* base = it == base_tables.end() ? nullptr : it->second;
        job.full_reason = DeltaRefusal(*job.table, job.where, base);
        if (!job.full_reason.empty()) continue;
        job.base_stream = base->value("stream", "");
        job.base_bytes = base->value("bytes", uint64_t{0});
        double reference = static_cast<double>(std::max<int64_t>(base->value("rows", int64_t{0}), job.table->estimated_rows));
        job.max_delta_rows = static_cast<uint64_t>(reference * inc.max_delta_fraction);
      }
    }
  }

  std::vector<Hypertable> hypertables;
  bool has_timescale = false;
  for (const auto& [name, version] : cat.extensions) has_timescale = has_timescale || name == "timescaledb";
  if (has_timescale) {
    SUMMIT_ASSIGN_OR_RETURN_CTX(hypertables, LoadHypertables(*master), ctx("timescaledb"));
  }

  // --- Data: N workers on the exported snapshot, biggest tables first. ---
  int n_jobs = options.jobs > 0 ? options.jobs : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  n_jobs = std::min<int>(n_jobs, std::max<size_t>(1, jobs.size()));
  std::vector<size_t> order(jobs.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return jobs[a].table->estimated_bytes > jobs[b].table->estimated_bytes;
  });
  std::atomic<size_t> next{0};
  std::atomic<bool> stop{false};
  std::mutex err_mu;
  std::optional<Error> first_error;
  auto record_error = [&](Error e) {
    std::lock_guard<std::mutex> lock(err_mu);
    if (!first_error) first_error = std::move(e);
    stop = true;
  };
  auto worker = [&]() {
    auto conn_or = PgConn::Open(settings);
    if (!conn_or) return record_error(std::move(conn_or).error().Context(ctx("worker connection")));
    auto conn = std::move(*conn_or);
    if (auto st = BeginSnapshotTransaction(*conn, report.snapshot); !st) return record_error(std::move(st).error());
    while (!stop) {
      size_t k = next.fetch_add(1);
      if (k >= order.size()) break;
      TableJob& job = jobs[order[k]];
      if (!job.base_stream.empty()) {
        auto st = CaptureDelta(*conn, job, options, out, stop);
        if (!st) return record_error(std::move(st).error().Context(ctx("table " + job.table->qualified())));
        if (job.delta) continue;
      }
      CopyTarget full{job.stream, "COPY of table " + job.table->qualified()};
      auto st = CopyIntoStream(*conn, CopyOutSql(*job.table, job.where), full, options, out, stop);
      job.rows = full.rows;
      job.bytes = full.bytes;
      if (st && options.incremental.enabled && !job.table->primary_key.empty() && job.where.empty()) {
        CopyTarget keys{job.stream + kKeysSuffix, "COPY of the primary keys of table " + job.table->qualified()};
        st = CopyIntoStream(*conn, CopyKeysSql(*job.table), keys, options, out, stop);
        job.keys_bytes = keys.bytes;
      }
      if (!st) return record_error(std::move(st).error().Context(ctx("table " + job.table->qualified())));
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < n_jobs && !jobs.empty(); ++i) threads.emplace_back(worker);

  // --- Meanwhile, on the exporting connection: schema, sequences, large objects. ---
  uint64_t schema_bytes = 0;
  auto side = [&]() -> Status {
    std::vector<std::string> dump_tables;
    if (table_list) {
      for (const TableInfo* t : selected) dump_tables.push_back(QuoteIdent(t->schema) + "." + QuoteIdent(t->name));
    }
    SUMMIT_TRY(RunPgDump(settings, options, "pre-data", report.snapshot, dump_tables, out, "schema.pre.sql", schema_bytes));
    SUMMIT_TRY(RunPgDump(settings, options, "post-data", report.snapshot, dump_tables, out, "schema.post.sql", schema_bytes));

    std::set<std::string> captured;
    for (const auto& j : jobs) captured.insert(j.table->qualified());
    nlohmann::json seqs = nlohmann::json::array();
    for (const auto& s : cat.sequences) {
      if ((table_list || !plans.empty()) && !captured.count(s.owned_by)) continue;
      SUMMIT_ASSIGN_OR_RETURN(PgResult r, master->Exec("SELECT last_value, is_called FROM " + QuoteQualified(s.schema, s.name),
                                                       "reading sequence " + s.qualified()));
      seqs.push_back({{"sequence", s.qualified()}, {"schema", s.schema}, {"name", s.name},
                      {"last_value", r.GetInt(0, 0)}, {"is_called", r.GetBool(0, 1)}, {"owned_by", s.owned_by}});
    }
    {
      SUMMIT_ASSIGN_OR_RETURN(auto sink, out.OpenStream("sequences.json"));
      std::string text = seqs.dump(1);
      schema_bytes += text.size();
      SUMMIT_TRY(sink->Write(std::string_view(text)));
      SUMMIT_TRY(sink->Close());
    }
    out.SetAttribute("sequences", seqs);

    nlohmann::json los = nlohmann::json::array();
    if (options.large_objects && !table_list && plans.empty() && options.table_predicates.empty()) {
      for (uint32_t oid : cat.large_objects) {
        if (stop) break;
        SUMMIT_ASSIGN_OR_RETURN(auto sink, out.OpenStream("large_objects/" + std::to_string(oid)));
        uint64_t n = 0;
        SUMMIT_TRY(master->ReadLargeObject(oid, [&](std::string_view d) -> Status {
          n += d.size();
          return sink->Write(d);
        }));
        SUMMIT_TRY(sink->Close());
        schema_bytes += n;
        los.push_back({{"oid", oid}, {"bytes", n}});
      }
    }
    out.SetAttribute("large_objects", los);
    report.large_objects = los.size();
    return Ok();
  }();
  if (!side) record_error(std::move(side).error().Context(ctx("schema")));
  for (auto& t : threads) t.join();
  if (first_error) return Fail(*first_error);
  SUMMIT_TRY_CTX(master->Exec("COMMIT", "ending the backup transaction"), ctx("finishing"));

  // --- Attributes: everything restore needs to plan without reading the data. ---
  std::vector<TableInfo> selected_copy;
  for (const auto& j : jobs) selected_copy.push_back(*j.table);
  std::vector<std::string> load_order = LoadOrder(selected_copy);
  std::map<std::string, const TableJob*> job_of;
  for (const auto& j : jobs) job_of[j.table->qualified()] = &j;
  nlohmann::json tables = nlohmann::json::array();
  for (const auto& q : load_order) {
    const TableJob& j = *job_of[q];
    nlohmann::json e = TableToJson(*j.table);
    e["table"] = q;
    e["stream"] = j.stream;
    e["rows"] = j.rows;
    e["bytes"] = j.bytes;
    e["where"] = j.where;
    e["mode"] = j.delta ? "delta" : "full";
    if (j.delta) {
      // `bytes` estimates the materialized table (for plans); what was stored is delta + keys.
      e["bytes"] = j.base_bytes + j.delta_bytes;
      e["base"] = inc.snapshot;
      e["base_stream"] = j.base_stream;
      e["delta_rows"] = j.delta_rows;
      e["delta_bytes"] = j.delta_bytes;
      e["keys_bytes"] = j.keys_bytes;
    } else if (!j.full_reason.empty()) {
      e["full_reason"] = j.full_reason;
    }
    if (!j.delta && j.keys_bytes > 0) e["keys_bytes"] = j.keys_bytes;
    tables.push_back(std::move(e));
    uint64_t captured = (j.delta ? j.delta_bytes : j.bytes) + j.keys_bytes;
    report.tables.push_back(TableReport{q, j.rows, captured, j.delta, j.delta_rows, j.full_reason});
    report.rows += j.rows;
    report.bytes += captured;
    if (j.delta) report.base = inc.snapshot;
  }
  if (!inc.snapshot.empty() && report.base.empty() && report.full_reason.empty())
    report.full_reason = "no table could be captured as a delta";
  nlohmann::json incremental = {{"base", report.base.empty() ? nlohmann::json(nullptr) : nlohmann::json(report.base)}};
  if (!report.full_reason.empty()) incremental["full_reason"] = report.full_reason;
  if (!report.base.empty()) {
    uint64_t n = 0;
    for (const auto& t : report.tables) n += t.delta ? 1 : 0;
    incremental["chain"] = inc.chain + 1;
    incremental["delta_tables"] = n;
    incremental["full_tables"] = report.tables.size() - n;
  }
  report.bytes += schema_bytes;
  nlohmann::json exts = nlohmann::json::array();
  for (const auto& [name, version] : cat.extensions) exts.push_back({{"name", name}, {"version", version}});
  out.SetAttribute("format", kCaptureFormat);
  nlohmann::json capture = {{"lsn", report.lsn}, {"time", report.captured_at}, {"snapshot", report.snapshot},
                            {"server_version", server_version}, {"database", database}};
  if (xids) {
    capture["xmin"] = std::to_string(xids->xmin);
    capture["xmax"] = std::to_string(xids->xmax);
    capture["system_identifier"] = xids->system_identifier;
  }
  out.SetAttribute("capture", capture);
  out.SetAttribute("incremental", incremental);
  out.SetAttribute("tables", tables);
  out.SetAttribute("load_order", load_order);
  out.SetAttribute("extensions", exts);
  out.SetAttribute("hypertables", HypertablesToJson(hypertables));
  out.SetAttribute("filter", filter_attr);
  out.SetAttribute("partial", table_list || !plans.empty() || !options.table_predicates.empty());
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  log::Debug("postgres backup done", {{"database", db}, {"tables", std::to_string(report.tables.size())},
                                      {"rows", std::to_string(report.rows)}, {"lsn", report.lsn}});
  return report;
}

}  // namespace summit::sources::postgres
