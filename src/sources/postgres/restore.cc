#include "sources/postgres/restore.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "core/log.h"
#include "sources/postgres/backup.h"
#include "sources/postgres/catalog.h"
#include "sources/postgres/copy_text.h"
#include "sources/postgres/pg_conn.h"
#include "sources/postgres/sql_script.h"
#include "sources/postgres/timescale.h"

namespace summit::sources::postgres {
namespace {

struct CapturedTable {
  TableInfo info;
  std::string stream;
  std::string where;
  uint64_t rows = 0;
  uint64_t bytes = 0;
};

struct Capture {
  std::vector<CapturedTable> tables;  // load order (parents first)
  nlohmann::json sequences = nlohmann::json::array();
  nlohmann::json large_objects = nlohmann::json::array();
  nlohmann::json filter;
  std::vector<Hypertable> hypertables;
  bool timescale = false;
  bool partial = false;  // a table list or a filter: post-data may refer to what is missing
  const CapturedTable* Find(const std::string& q) const {
    for (const auto& t : tables) {
      if (t.info.qualified() == q) return &t;
    }
    return nullptr;
  }
};

Result<Capture> ReadCapture(CaptureSource& in) {
  nlohmann::json a = in.Attributes();
  if (a.value("format", "") != kCaptureFormat) {
    return Fail(Error(ErrorCode::kInvalidInput, "the capture is not a postgres logical capture (format '" +
                                                    (a.contains("format") ? a["format"].dump() : std::string("none")) + "')")
                    .WithHint("restore it with the component it was taken by"));
  }
  Capture c;
  for (const auto& e : a.value("tables", nlohmann::json::array())) {
    CapturedTable t{TableFromJson(e), e.value("stream", ""), e.value("where", ""), e.value("rows", uint64_t{0}),
                    e.value("bytes", uint64_t{0})};
    if (!in.HasStream(t.stream)) {
      return Fail(ErrorCode::kCorruption, "the capture lists table " + t.info.qualified() + " but has no stream " + t.stream);
    }
    c.tables.push_back(std::move(t));
  }
  c.sequences = a.value("sequences", nlohmann::json::array());
  c.large_objects = a.value("large_objects", nlohmann::json::array());
  c.filter = a.value("filter", nlohmann::json(nullptr));
  c.partial = a.value("partial", false);
  c.hypertables = HypertablesFromJson(a.value("hypertables", nlohmann::json::array()));
  for (const auto& e : a.value("extensions", nlohmann::json::array())) {
    c.timescale = c.timescale || e.value("name", "") == "timescaledb";
  }
  return c;
}

Result<std::string> ReadScript(CaptureSource& in, const std::string& name) {
  SUMMIT_ASSIGN_OR_RETURN(auto src, in.OpenStream(name));
  SUMMIT_ASSIGN_OR_RETURN(std::string text, src->ReadAll());
  return StripPsqlMetaCommands(text);
}

std::string CopyInSql(const TableInfo& t) {
  return "COPY " + t.quoted() + " (" + ColumnList(t) + ") FROM STDIN";
}

// Streams one table's capture into an open connection (COPY FROM), through the transform
// when it applies.
// `freeze`: the caller truncated the table in the current transaction, so COPY may write
// frozen rows (no hint-bit rewrite on first read, less WAL with wal_level=minimal).
Status LoadTable(PgConn& conn, CaptureSource& in, const CapturedTable& t, const transform::PgRowTransform* transform,
                 size_t buffer_bytes, RestoreTableReport& rep, const std::atomic<bool>& stop, bool freeze = false) {
  SUMMIT_ASSIGN_OR_RETURN(auto src, in.OpenStream(t.stream));
  transform::PgTable pg_table{t.info.schema, t.info.name, t.info.columns, t.info.types};
  const bool transforming = transform != nullptr && transform->Applies(pg_table);
  SUMMIT_TRY(conn.CopyInBegin(CopyInSql(t.info) + (freeze ? " WITH (FREEZE)" : ""), "COPY into " + t.info.qualified()));
  std::vector<uint8_t> buf(buffer_bytes);
  CopyLineSplitter splitter;
  std::string encoded;
  uint64_t line_no = 0;
  auto on_line = [&](std::string_view line) -> Status {
    ++line_no;
    auto row = DecodeCopyRow(line);
    if (!row) return Fail(std::move(row).error().Context("row " + std::to_string(line_no)));
    if (row->size() != t.info.columns.size()) {
      return Fail(ErrorCode::kCorruption, "row " + std::to_string(line_no) + " has " + std::to_string(row->size()) +
                                              " fields, the table has " + std::to_string(t.info.columns.size()) + " columns");
    }
    SUMMIT_ASSIGN_OR_RETURN(bool keep, transform->Apply(pg_table, *row));
    if (!keep) {
      ++rep.rows_dropped;
      return Ok();
    }
    ++rep.rows;
    EncodeCopyRow(*row, encoded);
    if (encoded.size() >= buffer_bytes) {
      SUMMIT_TRY(conn.CopyInPut(encoded));
      encoded.clear();
    }
    return Ok();
  };
  auto body = [&]() -> Status {
    for (;;) {
      if (stop) return Fail(ErrorCode::kCancelled, "stopped after another table failed");
      SUMMIT_ASSIGN_OR_RETURN(size_t n, src->Read(std::span<uint8_t>(buf.data(), buf.size())));
      if (n == 0) break;
      std::string_view chunk(reinterpret_cast<const char*>(buf.data()), n);
      rep.bytes += n;
      if (transforming) {
        SUMMIT_TRY(splitter.Feed(chunk, on_line));
      } else {
        rep.rows += static_cast<uint64_t>(std::count(chunk.begin(), chunk.end(), '\n'));
        SUMMIT_TRY(conn.CopyInPut(chunk));
      }
    }
    if (transforming) {
      SUMMIT_TRY(splitter.Finish(on_line));
      SUMMIT_TRY(conn.CopyInPut(encoded));
    }
    return Ok();
  }();
  if (!body) {
    conn.CopyInAbort(body.error().message());
    return body;
  }
  SUMMIT_TRY(conn.CopyInEnd());
  // The transform has now seen the whole table (children may rely on it: the reducer).
  if (transform != nullptr) SUMMIT_TRY(transform->EndTable(pg_table));
  return Ok();
}

// Runs `fn(table)` for every table on `jobs` connections; the first error stops the rest.
// With `parents_first`, a table starts only after every table it references (by a foreign key,
// within `tables`) has finished: transforms that relate tables (the data reducer keeps a child
// row only when its parent row was kept) need to see each parent whole before its children.
// Without it, the largest tables go first (constraints are created after the load anyway).
Status ParallelLoad(const Settings& target, int jobs, const std::vector<const CapturedTable*>& tables,
                    bool parents_first,
                    const std::function<Status(PgConn&, const CapturedTable&, size_t, const std::atomic<bool>&)>& fn) {
  std::vector<size_t> order(tables.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return tables[a]->bytes > tables[b]->bytes; });
  std::vector<std::vector<size_t>> parents(tables.size());
  if (parents_first) {
    std::map<std::string, size_t> index;
    for (size_t i = 0; i < tables.size(); ++i) index[tables[i]->info.qualified()] = i;
    for (size_t i = 0; i < tables.size(); ++i)
      for (const auto& fk : tables[i]->info.foreign_keys) {
        auto it = index.find(fk.parent);
        if (it != index.end() && it->second != i) parents[i].push_back(it->second);
      }
  }
  std::vector<char> started(tables.size(), 0), done(tables.size(), 0);
  size_t running = 0;
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::condition_variable cv;
  std::optional<Error> first;
  auto record = [&](Error e) {
    std::lock_guard<std::mutex> lock(mu);
    if (!first) first = std::move(e);
    stop = true;
    cv.notify_all();
  };
  // The next table whose parents are all done; tables.size() when none is ready yet, and
  // order.size()+1 when every table has been started.
  auto pick = [&]() -> size_t {
    bool any_left = false;
    for (size_t k : order) {
      if (started[k]) continue;
      any_left = true;
      bool ready = true;
      for (size_t p : parents[k]) ready = ready && done[p];
      if (ready) return k;
    }
    return any_left ? tables.size() : tables.size() + 1;
  };
  auto worker = [&]() {
    auto conn = PgConn::Open(target);
    if (!conn) return record(std::move(conn).error());
    for (;;) {
      size_t k;
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return stop || running == 0 || pick() != tables.size(); });
        if (stop) return;
        k = pick();
        if (k == tables.size() + 1) return;
        if (k == tables.size()) {
          // Nothing ready and nothing running: a foreign-key cycle. Break it in size order.
          for (size_t o : order)
            if (!started[o]) {
              k = o;
              break;
            }
        }
        started[k] = 1;
        ++running;
      }
      auto st = fn(**conn, *tables[k], k, stop);
      if (!st) return record(std::move(st).error().Context("table " + tables[k]->info.qualified()));
      std::lock_guard<std::mutex> lock(mu);
      done[k] = 1;
      --running;
      cv.notify_all();
    }
  };
  int n = std::max(1, std::min<int>(jobs, static_cast<int>(tables.size())));
  std::vector<std::thread> threads;
  for (int i = 0; i < n && !tables.empty(); ++i) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  if (first) return Fail(*first);
  return Ok();
}

// Runs each entry's SQL (after `preamble`) on one of `jobs` connections.
Status ParallelExec(const Settings& target, int jobs, const std::string& preamble,
                    const std::vector<const DumpEntry*>& entries) {
  std::atomic<size_t> next{0};
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::optional<Error> first;
  auto worker = [&]() {
    auto st = [&]() -> Status {
      SUMMIT_ASSIGN_OR_RETURN(auto conn, PgConn::Open(target));
      if (!preamble.empty()) SUMMIT_TRY(conn->Exec(preamble, "post-data preamble"));
      while (!stop) {
        size_t k = next.fetch_add(1);
        if (k >= entries.size()) break;
        SUMMIT_TRY(conn->Exec(entries[k]->sql, "post-data " + entries[k]->type + " " + entries[k]->name));
      }
      return Ok();
    }();
    if (!st) {
      std::lock_guard<std::mutex> lock(mu);
      if (!first) first = std::move(st).error();
      stop = true;
    }
  };
  int n = std::max(1, std::min<int>(jobs, static_cast<int>(entries.size())));
  std::vector<std::thread> threads;
  for (int i = 0; i < n && !entries.empty(); ++i) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  if (first) return Fail(*first);
  return Ok();
}

Status RestoreLargeObjects(PgConn& conn, CaptureSource& in, const Capture& cap, size_t buffer_bytes) {
  for (const auto& lo : cap.large_objects) {
    uint32_t oid = lo.value("oid", 0u);
    // pg_dump's pre-data already created it (with its owner and grants) in a full capture.
    SUMMIT_TRY(conn.Exec("SELECT lo_create(" + std::to_string(oid) + ") WHERE NOT EXISTS (SELECT 1 FROM"
                         " pg_largeobject_metadata WHERE oid = " + std::to_string(oid) + ")",
                         "creating large object " + std::to_string(oid)));
    SUMMIT_ASSIGN_OR_RETURN(auto src, in.OpenStream("large_objects/" + std::to_string(oid)));
    std::vector<uint8_t> buf(buffer_bytes);
    int64_t off = 0;
    for (;;) {
      SUMMIT_ASSIGN_OR_RETURN(size_t n, src->Read(std::span<uint8_t>(buf.data(), buf.size())));
      if (n == 0) break;
      SUMMIT_TRY(conn.WriteLargeObject(oid, std::string_view(reinterpret_cast<const char*>(buf.data()), n), off));
      off += static_cast<int64_t>(n);
    }
  }
  return Ok();
}

// setval for every captured sequence whose table is restored; `never_backwards` keeps a
// sequence that is already further (tenant restore into a live database).
Status SetSequences(PgConn& conn, const Capture& cap, const std::set<std::string>& restored_tables, bool all,
                    bool never_backwards) {
  for (const auto& s : cap.sequences) {
    std::string owner = s.value("owned_by", "");
    if (!all && !restored_tables.count(owner)) continue;
    std::string seq = QuoteQualified(s.value("schema", ""), s.value("name", ""));
    std::string value = std::to_string(s.value("last_value", int64_t{1}));
    std::string sql = never_backwards
                          ? "SELECT setval(" + QuoteLiteral(seq) + ", GREATEST(" + value + ", (SELECT last_value FROM " + seq +
                                ")), true)"
                          : "SELECT setval(" + QuoteLiteral(seq) + ", " + value + ", " +
                                (s.value("is_called", false) ? "true" : "false") + ")";
    SUMMIT_TRY(conn.Exec(sql, "setting sequence " + s.value("sequence", "")));
  }
  return Ok();
}

Result<bool> IsSuperuser(PgConn& conn) {
  SUMMIT_ASSIGN_OR_RETURN(PgResult r, conn.Exec("SELECT rolsuper FROM pg_roles WHERE rolname = current_user", "checking role"));
  return r.rows() > 0 && r.GetBool(0, 0);
}

// Records the wall time since the previous mark under `phase`.
class PhaseClock {
 public:
  explicit PhaseClock(RestoreReport& r) : r_(r), last_(std::chrono::steady_clock::now()) {}
  void Mark(const char* phase) {
    auto now = std::chrono::steady_clock::now();
    r_.phase_seconds.emplace_back(phase, std::chrono::duration<double>(now - last_).count());
    last_ = now;
  }

 private:
  RestoreReport& r_;
  std::chrono::steady_clock::time_point last_;
};

Result<RestoreReport> RestoreFull(const Settings& target, const RestoreOptions& options, CaptureSource& in,
                                  const Capture& cap, const transform::PgRowTransform* transform, int jobs) {
  RestoreReport report;
  const std::string dbname = target.dbname;
  if (dbname.empty()) {
    return Fail(Error(ErrorCode::kInvalidInput, "no target database name").WithHint("set the environment's database"));
  }
  SUMMIT_ASSIGN_OR_RETURN(auto admin, PgConn::Open(target.WithDatabase(options.maintenance_db)));
  SUMMIT_ASSIGN_OR_RETURN(PgResult ex, admin->ExecParams("SELECT 1 FROM pg_database WHERE datname = $1", {dbname},
                                                         "looking up the target database"));
  bool exists = ex.rows() > 0;
  bool drop = false;
  if (exists) {
    SUMMIT_ASSIGN_OR_RETURN(auto probe, PgConn::Open(target));
    SUMMIT_ASSIGN_OR_RETURN(
        PgResult cnt,
        probe->Exec("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN"
                    " ('r', 'p', 'v', 'm', 'S') AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
                    " AND n.nspname NOT LIKE 'pg\\_toast%'",
                    "checking whether the target is empty"));
    if (cnt.GetInt(0, 0) > 0) {
      if (!options.allow_drop) {
        return Fail(Error(ErrorCode::kAlreadyExists, "target database " + dbname + " is not empty (" +
                                                         std::to_string(cnt.GetInt(0, 0)) + " relations)")
                        .WithHint("restore into an empty or new database, or allow dropping it (--yes in production)"));
      }
      drop = true;
    }
  }
  if (drop) report.plan.push_back({"drop database", dbname});
  if (!exists || drop) report.plan.push_back({"create database", dbname});
  report.plan.push_back({"create schema", "schema.pre.sql", 0, in.StreamSize("schema.pre.sql").value_or(0)});
  for (const auto& h : cap.hypertables) report.plan.push_back({"create hypertable", h.schema + "." + h.name});
  for (const auto& t : cap.tables) report.plan.push_back({"load table", t.info.qualified(), t.rows, t.bytes});
  report.plan.push_back({"set sequences", std::to_string(cap.sequences.size()) + " sequences"});
  for (const auto& lo : cap.large_objects) {
    report.plan.push_back({"create large object", std::to_string(lo.value("oid", 0u)), 0, lo.value("bytes", uint64_t{0})});
  }
  report.plan.push_back({"post-data", "schema.post.sql", 0, in.StreamSize("schema.post.sql").value_or(0)});
  if (options.analyze) report.plan.push_back({"analyze", dbname});
  if (options.dry_run) return report;

  PhaseClock clock(report);
  if (drop) {
    SUMMIT_TRY(admin->Exec("DROP DATABASE " + QuoteIdent(dbname) + " WITH (FORCE)", "dropping database " + dbname));
  }
  if (!exists || drop) {
    SUMMIT_TRY(admin->Exec("CREATE DATABASE " + QuoteIdent(dbname) + " TEMPLATE template0", "creating database " + dbname));
  }
  SUMMIT_ASSIGN_OR_RETURN(auto conn, PgConn::Open(target));
  SUMMIT_ASSIGN_OR_RETURN(std::string pre, ReadScript(in, "schema.pre.sql"));
  bool timescale = false;
  if (cap.timescale) {
    SUMMIT_ASSIGN_OR_RETURN(PgResult av, conn->Exec("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'",
                                                    "looking for timescaledb"));
    timescale = av.rows() > 0;
    if (timescale) {
      SUMMIT_TRY(conn->Exec("CREATE EXTENSION IF NOT EXISTS timescaledb", "creating extension timescaledb"));
      SUMMIT_TRY(conn->Exec(kTimescalePreRestoreSql, "timescaledb_pre_restore"));
    } else {
      report.warnings.push_back("the capture used timescaledb but the target has no timescaledb: hypertables become plain tables");
    }
  }
  SUMMIT_TRY_CTX(conn->Exec(pre, "running schema.pre.sql"), "restoring the schema");
  if (timescale) {
    SUMMIT_TRY(conn->Exec(kTimescalePostRestoreSql, "timescaledb_post_restore"));
    for (const auto& h : cap.hypertables) SUMMIT_TRY(conn->Exec(CreateHypertableSql(h), "creating hypertable " + h.name));
  }

  clock.Mark("schema");
  std::vector<const CapturedTable*> tables;
  for (const auto& t : cap.tables) tables.push_back(&t);
  std::vector<RestoreTableReport> reps(tables.size());
  std::set<std::string> hyper;
  for (const auto& h : cap.hypertables) hyper.insert(h.schema + "." + h.name);
  SUMMIT_TRY(ParallelLoad(target, jobs, tables, transform != nullptr,
                          [&](PgConn& c, const CapturedTable& t, size_t i, const std::atomic<bool>& stop) -> Status {
                            reps[i].table = t.info.qualified();
                            // Plain tables of a fresh database: TRUNCATE + COPY FREEZE in one
                            // transaction (not for partitioned tables or hypertables).
                            SUMMIT_ASSIGN_OR_RETURN(
                                PgResult kind, c.Exec("SELECT relkind FROM pg_class WHERE oid = " +
                                                          QuoteLiteral(t.info.quoted()) + "::regclass",
                                                      "looking up " + t.info.qualified()));
                            bool freeze = kind.rows() == 1 && kind.Get(0, 0) == "r" && !hyper.count(t.info.qualified());
                            if (!freeze) return LoadTable(c, in, t, transform, options.read_buffer_bytes, reps[i], stop);
                            SUMMIT_TRY(c.Exec("BEGIN; TRUNCATE " + t.info.quoted(), "truncating " + t.info.qualified()));
                            auto st = LoadTable(c, in, t, transform, options.read_buffer_bytes, reps[i], stop, true);
                            if (!st) {
                              (void)c.Exec("ROLLBACK", "rolling back");
                              return st;
                            }
                            SUMMIT_TRY(c.Exec("COMMIT", "committing " + t.info.qualified()));
                            return Ok();
                          }));
  clock.Mark("data");
  // The schema script left search_path empty on `conn`: everything below is qualified.
  SUMMIT_TRY(SetSequences(*conn, cap, {}, true, false));
  SUMMIT_TRY(conn->Exec("BEGIN", "large objects"));
  SUMMIT_TRY(RestoreLargeObjects(*conn, in, cap, options.read_buffer_bytes));
  SUMMIT_TRY(conn->Exec("COMMIT", "large objects"));

  clock.Mark("sequences");
  SUMMIT_ASSIGN_OR_RETURN(std::string post, ReadScript(in, "schema.post.sql"));
  std::set<std::string> present;
  {
    SUMMIT_ASSIGN_OR_RETURN(PgResult r, conn->Exec("SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n"
                                                   " ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p')",
                                                   "listing restored tables"));
    for (int i = 0; i < r.rows(); ++i) present.insert(r.GetString(i, 0));
  }
  std::vector<DumpEntry> entries = SplitDumpScript(post);
  if (!cap.partial) {
    // Indexes and primary/unique keys are built in parallel (each on its own connection, as
    // pg_restore -j does); foreign keys, triggers and the rest follow on one connection.
    const std::string preamble = entries.empty() ? std::string() : entries[0].sql;
    std::vector<const DumpEntry*> parallel;
    std::string serial = preamble;
    for (size_t i = 1; i < entries.size(); ++i) {
      if (entries[i].type == "INDEX" || entries[i].type == "CONSTRAINT") {
        parallel.push_back(&entries[i]);
      } else {
        serial += entries[i].sql;
      }
    }
    SUMMIT_TRY_CTX(ParallelExec(target, jobs, preamble, parallel), "restoring indexes");
    clock.Mark("indexes");
    SUMMIT_TRY_CTX(conn->Exec(serial, "running schema.post.sql"), "restoring constraints and triggers");
  } else {
    // A partial capture (table list, tenant, project) may lack what a post-data object needs
    // (a referenced table, a trigger's function): each entry runs on its own and a failure
    // becomes a warning, so that the tables themselves are usable.
    SUMMIT_TRY(conn->Exec("BEGIN", "post-data"));
    SUMMIT_TRY(conn->Exec(entries.empty() ? std::string() : entries[0].sql, "running the post-data preamble"));
    for (size_t i = 1; i < entries.size(); ++i) {
      const DumpEntry& e = entries[i];
      if (e.type == "FK CONSTRAINT" && !e.references.empty() && !present.count(e.references)) {
        report.warnings.push_back("foreign key " + e.name + " left out: it references " + e.references +
                                  ", which is not in this capture");
        continue;
      }
      SUMMIT_TRY(conn->Exec("SAVEPOINT summit_post", "post-data savepoint"));
      auto st = conn->Exec(e.sql, "post-data " + e.type + " " + e.name);
      if (!st) {
        report.warnings.push_back(e.type + " " + e.name + " left out: " + st.error().message());
        SUMMIT_TRY(conn->Exec("ROLLBACK TO SAVEPOINT summit_post", "post-data savepoint"));
      }
      SUMMIT_TRY(conn->Exec("RELEASE SAVEPOINT summit_post", "post-data savepoint"));
    }
    SUMMIT_TRY(conn->Exec("COMMIT", "post-data"));
  }
  clock.Mark("constraints");
  if (options.analyze) {
    // Per table on all connections, as vacuumdb -j does: one database-wide ANALYZE is serial.
    std::vector<DumpEntry> analyze;
    for (const auto& t : cap.tables) analyze.push_back(DumpEntry{t.info.qualified(), "ANALYZE", t.info.schema,
                                                                 "ANALYZE " + t.info.quoted(), ""});
    std::vector<const DumpEntry*> ptrs;
    for (const auto& e : analyze) ptrs.push_back(&e);
    SUMMIT_TRY(ParallelExec(target, jobs, "", ptrs));
  }
  clock.Mark("analyze");
  for (auto& r : reps) {
    report.rows += r.rows;
    report.bytes += r.bytes;
    report.tables.push_back(std::move(r));
  }
  return report;
}

// kTables and kReplaceFiltered: one transaction on one connection.
Result<RestoreReport> RestoreInPlace(const Settings& target, const RestoreOptions& options, CaptureSource& in,
                                     const Capture& cap, const transform::PgRowTransform* transform) {
  RestoreReport report;
  std::vector<const CapturedTable*> tables;  // load order
  const bool filtered = options.mode == RestoreMode::kReplaceFiltered;
  if (filtered) {
    if (cap.filter.is_null()) {
      return Fail(Error(ErrorCode::kInvalidInput, "this capture has no tenant or project filter")
                      .WithHint("use a full or table restore for a full capture"));
    }
    for (const auto& t : cap.tables) tables.push_back(&t);
  } else {
    if (options.tables.empty()) {
      return Fail(Error(ErrorCode::kInvalidInput, "table restore: no tables listed").WithHint("name the tables to restore"));
    }
    std::set<std::string> wanted;
    for (const auto& name : options.tables) {
      std::string q = name.find('.') == std::string::npos ? "public." + name : name;
      if (cap.Find(q) == nullptr) {
        return Fail(Error(ErrorCode::kInvalidInput, "table " + q + " is not in this capture")
                        .WithHint("list the capture's tables with --dry-run"));
      }
      wanted.insert(q);
    }
    for (const auto& t : cap.tables) {
      if (wanted.count(t.info.qualified())) tables.push_back(&t);
    }
  }
  SUMMIT_ASSIGN_OR_RETURN(auto conn, PgConn::Open(target));
  // Every table must exist in the target with the captured columns.
  for (const CapturedTable* t : tables) {
    auto probe = conn->Exec("SELECT " + ColumnList(t->info) + " FROM " + t->info.quoted() + " LIMIT 0",
                            "checking table " + t->info.qualified() + " in the target");
    if (!probe) {
      return Fail(std::move(probe).error().WithHint("restore the full capture first, or fix the target's schema"));
    }
  }
  std::vector<uint64_t> deleting(tables.size(), 0);
  for (size_t i = tables.size(); i-- > 0;) {
    const CapturedTable* t = tables[i];
    std::string sql = "SELECT count(*) FROM " + t->info.quoted();
    if (filtered && !t->where.empty()) sql += " WHERE " + t->where;
    SUMMIT_ASSIGN_OR_RETURN(PgResult r, conn->Exec(sql, "counting rows to replace in " + t->info.qualified()));
    deleting[i] = static_cast<uint64_t>(r.GetInt(0, 0));
    report.plan.push_back({"delete rows", t->info.qualified(), deleting[i]});
  }
  for (const CapturedTable* t : tables) report.plan.push_back({"load table", t->info.qualified(), t->rows, t->bytes});
  report.plan.push_back({"set sequences", "owned by the restored tables"});
  if (options.analyze) report.plan.push_back({"analyze", "restored tables"});
  if (options.dry_run) return report;

  SUMMIT_TRY(conn->Exec("BEGIN", "starting the restore transaction"));
  if (options.disable_triggers) {
    SUMMIT_ASSIGN_OR_RETURN(bool super, IsSuperuser(*conn));
    if (super) {
      SUMMIT_TRY(conn->Exec("SET LOCAL session_replication_role = replica", "disabling triggers"));
    } else {
      report.warnings.push_back("not a superuser: triggers fire while rows are restored");
    }
  }
  std::vector<RestoreTableReport> reps(tables.size());
  std::atomic<bool> stop{false};
  auto body = [&]() -> Status {
    for (size_t i = tables.size(); i-- > 0;) {
      const CapturedTable* t = tables[i];
      std::string sql = "DELETE FROM " + t->info.quoted();
      if (filtered && !t->where.empty()) sql += " WHERE " + t->where;
      SUMMIT_ASSIGN_OR_RETURN(PgResult r, conn->Exec(sql, "deleting rows of " + t->info.qualified()));
      reps[i].rows_deleted = deleting[i];
    }
    for (size_t i = 0; i < tables.size(); ++i) {
      reps[i].table = tables[i]->info.qualified();
      SUMMIT_TRY_CTX(LoadTable(*conn, in, *tables[i], transform, options.read_buffer_bytes, reps[i], stop),
                     "table " + tables[i]->info.qualified());
    }
    std::set<std::string> restored;
    for (const CapturedTable* t : tables) restored.insert(t->info.qualified());
    SUMMIT_TRY(SetSequences(*conn, cap, restored, false, filtered));
    return Ok();
  }();
  if (!body) {
    (void)conn->Exec("ROLLBACK", "rolling back");
    return Fail(std::move(body).error());
  }
  SUMMIT_TRY(conn->Exec("COMMIT", "committing the restore"));
  if (options.analyze) {
    for (const CapturedTable* t : tables) SUMMIT_TRY(conn->Exec("ANALYZE " + t->info.quoted(), "analyzing"));
  }
  for (auto& r : reps) {
    report.rows += r.rows;
    report.bytes += r.bytes;
    report.tables.push_back(std::move(r));
  }
  return report;
}

}  // namespace

Result<RestoreReport> Restore(const Settings& target, const RestoreOptions& options, CaptureSource& in,
                              const transform::PgRowTransform* transform) {
  auto started = std::chrono::steady_clock::now();
  const std::string ctx = "restoring postgres into " + target.Describe();
  SUMMIT_ASSIGN_OR_RETURN_CTX(Capture cap, ReadCapture(in), ctx);
  int jobs = options.jobs > 0 ? options.jobs : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  Result<RestoreReport> r = options.mode == RestoreMode::kFull ? RestoreFull(target, options, in, cap, transform, jobs)
                                                                : RestoreInPlace(target, options, in, cap, transform);
  if (!r) return Fail(std::move(r).error().Context(ctx));
  r->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  for (const auto& w : r->warnings) log::Warn(w, {{"target", target.Describe()}});
  return r;
}

std::string FormatPlan(const RestoreReport& report) {
  std::string out;
  for (const auto& s : report.plan) {
    out += s.action + " " + s.object;
    if (s.rows) out += " rows=" + std::to_string(s.rows);
    if (s.bytes) out += " bytes=" + std::to_string(s.bytes);
    out += "\n";
  }
  return out;
}

}  // namespace summit::sources::postgres
