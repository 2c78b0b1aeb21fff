#include "sources/postgres/backup.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include "core/log.h"
#include "io/process.h"
#include "sources/postgres/catalog.h"
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
};

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
      auto st = [&]() -> Status {
        SUMMIT_ASSIGN_OR_RETURN(auto sink, out.OpenStream(job.stream));
        ChunkedWriter w(*sink, options.write_buffer_bytes);
        SUMMIT_TRY(conn->CopyOut(
            CopyOutSql(*job.table, job.where),
            [&](std::string_view data) -> Status {
              // libpq returns whole rows; count their newlines.
              job.rows += static_cast<uint64_t>(std::count(data.begin(), data.end(), '\n'));
              if (stop) return Fail(ErrorCode::kCancelled, "stopped after another table failed");
              return w.Write(data);
            },
            "COPY of table " + job.table->qualified()));
        SUMMIT_TRY(w.Flush());
        job.bytes = w.bytes();
        return sink->Close();
      }();
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
    tables.push_back(std::move(e));
    report.tables.push_back(TableReport{q, j.rows, j.bytes});
    report.rows += j.rows;
    report.bytes += j.bytes;
  }
  report.bytes += schema_bytes;
  nlohmann::json exts = nlohmann::json::array();
  for (const auto& [name, version] : cat.extensions) exts.push_back({{"name", name}, {"version", version}});
  out.SetAttribute("format", kCaptureFormat);
  out.SetAttribute("capture", {{"lsn", report.lsn}, {"time", report.captured_at}, {"snapshot", report.snapshot},
                               {"server_version", server_version}, {"database", database}});
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
