#include "sources/postgres/restore.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "core/log.h"
#include "sources/postgres/backup.h"
#include "sources/postgres/catalog.h"
#include "sources/postgres/copy_binary.h"
#include "sources/postgres/copy_text.h"
#include "sources/postgres/load_order.h"
#include "sources/postgres/pg_conn.h"
#include "sources/postgres/sql_script.h"
#include "sources/postgres/task_graph.h"
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
  bool pgvector = false;  // the vector extension was captured: its type has a binary load
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
    c.pgvector = c.pgvector || e.value("name", "") == "vector";
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

// PostgreSQL 15+ sends a backend's row counts to the shared statistics at most once a second,
// so a table loaded just before its ANALYZE would still count as all modified afterwards and
// autovacuum would analyze it all over again. Asking for the flush now puts the counts in
// before the ANALYZE resets them.
Status FlushTableStats(PgConn& conn) {
  if (conn.server_version() < 150000) return Ok();
  SUMMIT_TRY(conn.Exec("SELECT pg_stat_force_next_flush()", "flushing the table statistics"));
  return Ok();
}

// The raw text of field `column` (0-based) of a COPY text line.
std::string_view FieldAt(std::string_view line, size_t column) {
  size_t begin = 0;
  for (size_t i = 0; i < column; ++i) {
    size_t tab = line.find('\t', begin);
    if (tab == std::string_view::npos) return {};
    begin = tab + 1;
  }
  size_t tab = line.find('\t', begin);
  return line.substr(begin, tab == std::string_view::npos ? std::string_view::npos : tab - begin);
}

// The stager's groups in the order the index sorts their keys. The server sorts the keys, cast
// to the column's type under the column's collation, so the order is the index's whatever the
// type and collation. On any failure, the order the keys were first seen: every row is sent
// either way, only the speed of the index build depends on the order.
std::vector<size_t> GroupOrder(PgConn& conn, const CapturedTable& t, const LoadOrderPlan& plan, const RowStager& st,
                               bool in_transaction) {
  std::vector<size_t> keyed, nulls, order;
  std::vector<std::optional<std::string>> params;
  std::string values;
  for (size_t g = 0; g < st.groups(); ++g) {
    if (st.key(g) == "\\N") {
      nulls.push_back(g);
      continue;
    }
    std::string v;
    AppendDecodedCopyField(st.key(g), v);
    params.push_back(std::move(v));
    values += (values.empty() ? "($" : ", ($") + std::to_string(params.size()) + "::text, " + std::to_string(keyed.size()) + ")";
    keyed.push_back(g);
  }
  if (!keyed.empty()) {
    // In a transaction (TRUNCATE + COPY FREEZE) a failed query must not abort it.
    bool ok = !in_transaction || static_cast<bool>(conn.Exec("SAVEPOINT summit_load_order"));
    std::string why;
    if (ok) {
      auto r = conn.ExecParams(
          "SELECT format_type(a.atttypid, a.atttypmod), CASE WHEN a.attcollation = 0 THEN '' ELSE ' COLLATE ' || "
          "quote_ident(n.nspname) || '.' || quote_ident(c.collname) END FROM pg_attribute a LEFT JOIN pg_collation c "
          "ON c.oid = a.attcollation LEFT JOIN pg_namespace n ON n.oid = c.collnamespace WHERE a.attrelid = "
          "$1::regclass AND a.attname = $2",
          {t.info.quoted(), t.info.columns[plan.column]});
      if (r && r->rows() == 1) {
        auto sorted = conn.ExecParams("SELECT o FROM (VALUES " + values + ") v(k, o) ORDER BY CAST(k AS " + r->GetString(0, 0) +
                                          ")" + r->GetString(0, 1) + (plan.column_desc ? " DESC" : ""),
                                      params);
        if (sorted && sorted->rows() == static_cast<int>(keyed.size())) {
          for (int i = 0; i < sorted->rows(); ++i) order.push_back(keyed[static_cast<size_t>(sorted->GetInt(i, 0))]);
        } else {
          ok = false;
          why = sorted ? "the server returned a different number of keys" : sorted.error().message();
        }
      } else {
        ok = false;
        why = r ? "the column is not in the target table" : r.error().message();
      }
      if (in_transaction) {
        (void)conn.Exec(ok ? "RELEASE SAVEPOINT summit_load_order"
                           : "ROLLBACK TO SAVEPOINT summit_load_order; RELEASE SAVEPOINT summit_load_order");
      }
    }
    if (!ok) {
      log::Info("sending the groups of rows in the order first seen", {{"table", t.info.qualified()}, {"why", why}});
      order = keyed;
    }
  }
  if (plan.nulls_first) {
    nulls.insert(nulls.end(), order.begin(), order.end());
    return nulls;
  }
  order.insert(order.end(), nulls.begin(), nulls.end());
  return order;
}

// The tables a full restore sends grouped for one of their indexes (load_order.h): tables of
// at least ordered_load_min_bytes, given the post-data entries on them. Not hypertables: every
// group would route rows across all of their chunks, which no TimescaleDB server here can show
// to be harmless (README, "Extensions").
std::map<std::string, LoadOrderPlan> PlanLoadOrders(const Capture& cap, const std::vector<DumpEntry>& post,
                                                    const RestoreOptions& options) {
  std::map<std::string, LoadOrderPlan> order_of;
  if (options.ordered_load_min_bytes == 0 || cap.partial) return order_of;
  std::map<std::string, std::vector<const DumpEntry*>> on_table;
  for (size_t i = 1; i < post.size(); ++i) {
    if (post[i].type == "INDEX" || post[i].type == "CONSTRAINT") on_table[EntryTable(post[i])].push_back(&post[i]);
  }
  std::set<std::string> hyper;
  for (const auto& h : cap.hypertables) hyper.insert(h.schema + "." + h.name);
  for (const auto& t : cap.tables) {
    if (t.bytes < options.ordered_load_min_bytes || hyper.count(t.info.qualified())) continue;
    auto plan = ChooseLoadOrder(t.info, on_table[t.info.qualified()]);
    if (plan) order_of.emplace(t.info.qualified(), std::move(*plan));
  }
  return order_of;
}

// Streams one table's capture into an open connection (COPY FROM), through the transform
// when it applies.
// `freeze`: the caller truncated the table in the current transaction, so COPY may write
// frozen rows (no hint-bit rewrite on first read, less WAL with wal_level=minimal).
// `binary`: when set and no transform applies, rows are converted to COPY's binary format
// (copy_binary.h). A row it cannot convert fails the load with kUnsupported; the caller then
// loads the table again in text.
// `order`: the rows (binary, text as captured, or text a transform rewrote) are held back and
// sent grouped as the plan says (load_order.h); the COPY starts once the whole stream is read. Held
// back rows that cannot be kept (more groups than the stager takes, the spill file cannot be
// written) are sent as they are and the rest follows in stream order.
Status LoadTable(PgConn& conn, CaptureSource& in, const CapturedTable& t, const transform::PgRowTransform* transform,
                 size_t buffer_bytes, RestoreTableReport& rep, const std::atomic<bool>& stop, bool freeze = false,
                 std::optional<CopyBinaryEncoder> binary = std::nullopt, const LoadOrderPlan* order = nullptr,
                 const RowStager::Options& stage = {}) {
  SUMMIT_ASSIGN_OR_RETURN(auto src, in.OpenStream(t.stream));
  transform::PgTable pg_table{t.info.schema, t.info.name, t.info.columns, t.info.types};
  const bool transforming = transform != nullptr && transform->Applies(pg_table);
  if (transforming) binary.reset();
  std::string options;
  if (binary) options = "FORMAT binary";
  if (freeze) options += options.empty() ? "FREEZE" : ", FREEZE";
  bool copying = false;
  auto begin_copy = [&]() -> Status {
    SUMMIT_TRY(conn.CopyInBegin(CopyInSql(t.info) + (options.empty() ? "" : " WITH (" + options + ")"),
                                "COPY into " + t.info.qualified()));
    copying = true;
    return Ok();
  };
  std::optional<RowStager> stager;
  // What a user can change when rows cannot be held back (the restore goes on either way).
  const std::string remedy = "; point sources.postgres.restore.spill_dir at a file system with room, or set load_order: stream";
  if (order != nullptr && !RowStager::HasRoomFor(t.bytes, stage)) {
    // Holding a table back must not fill the disk it shares with everything else.
    rep.load_order_warning = t.info.qualified() + " loaded in primary-key order, not grouped for " + order->index + ": " +
                             RowStager::SpillDir(stage) + " has too little free space to hold its " +
                             std::to_string(t.bytes) + " bytes back" + remedy;
    order = nullptr;
  }
  if (order != nullptr) {
    stager.emplace(stage);
  } else {
    SUMMIT_TRY(begin_copy());
  }
  rep.copy_format = binary ? "binary" : "text";
  std::vector<uint8_t> buf(buffer_bytes);
  CopyLineSplitter splitter;
  std::string encoded, row, row_text, key;
  uint64_t line_no = 0;
  if (binary) CopyBinaryEncoder::AppendHeader(encoded);
  std::string why;
  auto put = [&](std::string_view data) { return conn.CopyInPut(data); };
  // Gives up holding rows back: what is held goes first, in the order first seen.
  auto stop_holding = [&](const std::string& reason) -> Status {
    log::Info("sending the rest of the table in stream order", {{"table", t.info.qualified()}, {"why", reason}});
    SUMMIT_TRY(begin_copy());
    if (!encoded.empty()) SUMMIT_TRY(conn.CopyInPut(encoded));  // binary: the header
    encoded.clear();
    std::vector<size_t> first_seen(stager->groups());
    for (size_t g = 0; g < first_seen.size(); ++g) first_seen[g] = g;
    SUMMIT_TRY(stager->Emit(first_seen, false, put));
    stager.reset();
    return Ok();
  };
  // Holds `one_row` back in the group of `group_key`. When it cannot (more groups than the
  // stager takes, the spill file cannot be written), what is held is sent, then `one_row`, and
  // nothing more is held.
  auto hold = [&](std::string_view group_key, std::string_view one_row) -> Status {
    auto g = stager->Group(group_key);
    Status st = g ? stager->Add(*g, one_row) : Fail(ErrorCode::kUnsupported, "more distinct values than row groups");
    if (st) return Ok();
    if (g) {  // the spill file failed (a full disk, a missing directory): the user can act on that
      rep.load_order_warning = t.info.qualified() + " partly loaded in primary-key order, not grouped for " + order->index +
                               ": " + st.error().message() + remedy;
    }
    SUMMIT_TRY(stop_holding(st.error().message()));
    encoded.append(one_row);
    return Ok();
  };
  // Sends what is held, in the plan's order, once the whole stream is read.
  auto send_held = [&]() -> Status {
    std::vector<size_t> groups = GroupOrder(conn, t, *order, *stager, freeze);
    SUMMIT_TRY(begin_copy());
    if (!encoded.empty()) SUMMIT_TRY(conn.CopyInPut(encoded));  // binary: the header
    encoded.clear();
    SUMMIT_TRY(stager->Emit(groups, order->reverse_rows, put));
    stager.reset();
    rep.ordered_for = order->index;
    return Ok();
  };
  // Plain text goes line by line only when it is held back, and then to the end (the splitter
  // keeps a line cut between chunks).
  const bool text_lines = stager.has_value() && !binary && !transforming;
  // Text rows as captured, while they are held back (a table whose types have no exact binary
  // form); once they no longer are, the rest goes through `encoded`.
  auto on_text_line = [&](std::string_view line) -> Status {
    ++rep.rows;
    row_text.assign(line);
    row_text.push_back('\n');
    if (stager) return hold(FieldAt(line, order->column), row_text);
    encoded.append(row_text);
    if (encoded.size() >= buffer_bytes) {
      SUMMIT_TRY(conn.CopyInPut(encoded));
      encoded.clear();
    }
    return Ok();
  };
  auto on_binary_line = [&](std::string_view line) -> Status {
    ++line_no;
    // A row held back is encoded on its own, to go to its group; otherwise onto `encoded`.
    if (stager) row.clear();
    if (!binary->AppendRow(line, stager ? row : encoded, &why)) {
      return Fail(ErrorCode::kUnsupported, "row " + std::to_string(line_no) + " of " + t.info.qualified() + ": " + why);
    }
    if (stager) return hold(FieldAt(line, order->column), row);
    if (encoded.size() >= buffer_bytes) {
      SUMMIT_TRY(conn.CopyInPut(encoded));
      encoded.clear();
    }
    return Ok();
  };
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
    if (stager) {
      row_text.clear();
      EncodeCopyRow(*row, row_text);
      key.clear();
      const auto& v = (*row)[order->column];
      if (v) {
        EncodeCopyField(*v, key);
      } else {
        key = "\\N";
      }
      return hold(key, row_text);
    }
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
      } else if (binary) {
        SUMMIT_TRY(splitter.Feed(chunk, on_binary_line));
      } else if (text_lines) {
        SUMMIT_TRY(splitter.Feed(chunk, on_text_line));
      } else {
        rep.rows += static_cast<uint64_t>(std::count(chunk.begin(), chunk.end(), '\n'));
        SUMMIT_TRY(conn.CopyInPut(chunk));
      }
    }
    if (!transforming && !binary) {
      // Text as captured: held back line by line, or already sent chunk by chunk.
      SUMMIT_TRY(splitter.Finish(on_text_line));
      if (stager) SUMMIT_TRY(send_held());
      if (!encoded.empty()) SUMMIT_TRY(conn.CopyInPut(encoded));
    } else if (transforming) {
      SUMMIT_TRY(splitter.Finish(on_line));
      if (stager) SUMMIT_TRY(send_held());
      SUMMIT_TRY(conn.CopyInPut(encoded));
    } else if (binary) {
      SUMMIT_TRY(splitter.Finish(on_binary_line));
      rep.rows = line_no;
      if (stager) SUMMIT_TRY(send_held());
      CopyBinaryEncoder::AppendTrailer(encoded);
      SUMMIT_TRY(conn.CopyInPut(encoded));
    }
    return Ok();
  }();
  if (!body) {
    if (copying) conn.CopyInAbort(body.error().message());
    return body;
  }
  SUMMIT_TRY(conn.CopyInEnd());
  // The transform has now seen the whole table (children may rely on it: the reducer).
  if (transform != nullptr) SUMMIT_TRY(transform->EndTable(pg_table));
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

// "<db>_summit_restoring", cut to PostgreSQL's 63-byte identifiers.
std::string WorkDatabaseName(const std::string& db) {
  static constexpr std::string_view kSuffix = "_summit_restoring";
  return db.substr(0, 63 - kSuffix.size()) + std::string(kSuffix);
}

// One step of the restore graph: a table's load, or SQL (an index, a constraint, ANALYZE).
struct Step {
  const CapturedTable* load = nullptr;
  size_t load_index = 0;
  std::vector<std::string> sql;  // run in order, each as its own statement
  std::string what;              // for errors: "index events_time_idx"
  const RestoreOptions::TableCheck* check = nullptr;
};

// Schema, then the graph of table loads, index builds, foreign keys and ANALYZE on `jobs`
// connections, then sequences, large objects and the rest of post-data, into `work`.
Status RestoreFullInto(const Settings& work, const RestoreOptions& options, CaptureSource& in, const Capture& cap,
                       const transform::PgRowTransform* transform, int jobs, RestoreReport& report, PhaseClock& clock) {
  SUMMIT_ASSIGN_OR_RETURN(auto conn, PgConn::Open(work));
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

  // What the schema created: relkind per table ('r' plain, 'p' partitioned).
  std::map<std::string, char> relkind;
  {
    SUMMIT_ASSIGN_OR_RETURN(PgResult r, conn->Exec("SELECT n.nspname || '.' || c.relname, c.relkind FROM pg_class c JOIN"
                                                   " pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p')",
                                                   "listing restored tables"));
    for (int i = 0; i < r.rows(); ++i) relkind[r.GetString(i, 0)] = r.GetString(i, 1).empty() ? '?' : r.GetString(i, 1)[0];
  }
  std::set<std::string> hyper;
  for (const auto& h : cap.hypertables) hyper.insert(h.schema + "." + h.name);
  SUMMIT_ASSIGN_OR_RETURN(std::string post, ReadScript(in, "schema.post.sql"));
  std::vector<DumpEntry> entries = SplitDumpScript(post);
  const std::string preamble = entries.empty() ? std::string() : entries[0].sql;

  // The graph. Loads first; with a transform that relates tables (the reducer keeps a child
  // row only when its parent row was kept), a table's load waits for the tables it references.
  std::vector<Step> steps;
  std::vector<GraphTask> tasks;
  std::map<std::string, size_t> load_of;
  std::map<std::string, double> bytes_of;
  std::vector<size_t> all_loads;
  for (size_t i = 0; i < cap.tables.size(); ++i) {
    const CapturedTable& t = cap.tables[i];
    load_of[t.info.qualified()] = tasks.size();
    bytes_of[t.info.qualified()] = static_cast<double>(t.bytes);
    all_loads.push_back(tasks.size());
    steps.push_back(Step{&t, i, {}, "table " + t.info.qualified()});
    tasks.push_back(GraphTask{"table " + t.info.qualified(), {}, {}, {{t.info.qualified(), LockMode::kAccessExclusive}},
                              static_cast<double>(t.bytes)});
  }
  if (transform != nullptr && transform->NeedsParentsFirst()) {
    for (size_t i = 0; i < cap.tables.size(); ++i) {
      for (const auto& fk : cap.tables[i].info.foreign_keys) {
        auto it = load_of.find(fk.parent);
        if (it != load_of.end() && it->second != i) tasks[i].soft_deps.push_back(it->second);
      }
    }
  }
  auto loads_for = [&](const std::string& table) {
    auto it = load_of.find(table);
    return it == load_of.end() ? all_loads : std::vector<size_t>{it->second};
  };
  auto priority_of = [&](const std::string& table, double bias) {
    auto it = bytes_of.find(table);
    return (it == bytes_of.end() ? 0.0 : it->second) + bias;
  };
  // A full capture's post-data: indexes and keys once their table is loaded; foreign keys once
  // both tables have their keys; ANALYZE once a table's indexes exist (expression indexes get
  // statistics). Triggers, rules and the rest run afterwards, in pg_dump's order. A partial
  // capture (table list, tenant, project) may lack what a post-data object needs: its post-data
  // runs after the graph, entry by entry, with failures as warnings.
  std::string serial = preamble;
  std::map<std::string, std::vector<size_t>> keys_of;  // index/constraint tasks per table
  std::map<std::string, LoadOrderPlan> order_of;
  std::vector<const DumpEntry*> fks;
  if (!cap.partial) {
    for (size_t i = 1; i < entries.size(); ++i) {
      const DumpEntry& e = entries[i];
      if (e.type == "INDEX" || e.type == "CONSTRAINT") {
        std::string table = EntryTable(e);
        LockMode mode = e.type == "INDEX" ? LockMode::kShare : LockMode::kAccessExclusive;
        keys_of[table].push_back(tasks.size());
        steps.push_back(Step{nullptr, 0, {e.sql}, e.type + " " + e.name});
        tasks.push_back(GraphTask{e.type + " " + e.name, loads_for(table), {}, {{table, mode}}, priority_of(table, 0.5)});
      } else if (e.type == "FK CONSTRAINT") {
        fks.push_back(&e);
      } else {
        serial += e.sql;
      }
    }
    order_of = PlanLoadOrders(cap, entries, options);
    for (const DumpEntry* e : fks) {
      std::string child = EntryTable(*e), parent = e->references;
      std::vector<size_t> deps = loads_for(child);
      for (size_t d : loads_for(parent)) deps.push_back(d);
      for (const auto& t : {child, parent})
        for (size_t k : keys_of[t]) deps.push_back(k);
      auto kind = relkind.find(child);
      auto split = kind != relkind.end() && kind->second == 'r' ? SplitForeignKeyEntry(*e) : std::nullopt;
      double prio = priority_of(child, 0.25);
      if (!split) {
        steps.push_back(Step{nullptr, 0, {e->sql}, "foreign key " + e->name});
        tasks.push_back(GraphTask{"foreign key " + e->name, deps, {},
                                  {{child, LockMode::kShareRowExclusive}, {parent, LockMode::kShareRowExclusive}}, prio});
        continue;
      }
      steps.push_back(Step{nullptr, 0, {split->add_not_valid}, "foreign key " + e->name});
      tasks.push_back(GraphTask{"foreign key " + e->name, deps, {},
                                {{child, LockMode::kShareRowExclusive}, {parent, LockMode::kShareRowExclusive}}, prio});
      size_t add = tasks.size() - 1;
      steps.push_back(Step{nullptr, 0, {split->validate}, "validating foreign key " + e->name});
      tasks.push_back(GraphTask{"validating foreign key " + e->name, {add}, {},
                                {{child, LockMode::kShareUpdateExclusive}, {parent, LockMode::kRowShare}}, prio});
    }
  }
  auto add_analyze = [&](bool after_loads) {
    for (const auto& t : cap.tables) {
      const std::string q = t.info.qualified();
      std::vector<size_t> deps;
      if (after_loads) {
        deps.push_back(load_of[q]);
        for (size_t k : keys_of[q]) deps.push_back(k);
      }
      steps.push_back(Step{nullptr, 0, {"ANALYZE " + t.info.quoted()}, "analyzing " + q});
      tasks.push_back(GraphTask{"analyzing " + q, deps, {}, {{q, LockMode::kShareUpdateExclusive}}, priority_of(q, 0.1)});
    }
  };
  if (options.analyze && !cap.partial) add_analyze(true);
  for (const auto& check : options.checks_after_load) {
    auto load = load_of.find(check.table);
    if (load == load_of.end()) continue;
    // After the table's keys too: a check may read through them (the chain check reads in id
    // order through the primary key instead of sorting every row).
    std::vector<size_t> deps = {load->second};
    for (size_t k : keys_of[check.table]) deps.push_back(k);
    steps.push_back(Step{nullptr, 0, {}, check.what + " " + check.table, &check});
    tasks.push_back(GraphTask{check.what + " " + check.table, deps, {}, {{check.table, LockMode::kAccessShare}},
                              priority_of(check.table, 0.3)});
  }

  std::vector<RestoreTableReport> reps(cap.tables.size());
  std::atomic<bool> stop{false};
  std::vector<std::unique_ptr<PgConn>> conns(static_cast<size_t>(std::max(1, jobs)));
  // Per connection: pg_dump's SET preamble, then the bulk-load settings.
  const std::string session = preamble + RestoreSessionSettings(options);
  std::mutex steps_mu;
  const auto t0 = std::chrono::steady_clock::now();
  auto run = [&](int w, size_t k) -> Status {
    auto& c = conns[static_cast<size_t>(w)];
    if (!c) {
      SUMMIT_ASSIGN_OR_RETURN(c, PgConn::Open(work));
      SUMMIT_TRY(c->Exec(session, "preparing a restore connection"));
    }
    const Step& s = steps[k];
    auto started = std::chrono::steady_clock::now();
    if (s.load != nullptr) {
      const CapturedTable& t = *s.load;
      RestoreTableReport& rep = reps[s.load_index];
      rep.table = t.info.qualified();
      // Plain tables of a fresh database: TRUNCATE + COPY FREEZE in one transaction (not for
      // partitioned tables or hypertables).
      auto kind = relkind.find(t.info.qualified());
      bool freeze = kind != relkind.end() && kind->second == 'r' && !hyper.count(t.info.qualified());
      auto ordered = order_of.find(t.info.qualified());
      const LoadOrderPlan* order = ordered == order_of.end() ? nullptr : &ordered->second;
      RowStager::Options stage;
      stage.memory_bytes = options.ordered_load_memory_bytes;
      stage.spill_dir = options.spill_dir;
      auto load = [&](std::optional<CopyBinaryEncoder> binary) -> Status {
        if (!freeze) {
          return LoadTable(*c, in, t, transform, options.read_buffer_bytes, rep, stop, false, std::move(binary), order,
                           stage);
        }
        SUMMIT_TRY(c->Exec("BEGIN; TRUNCATE " + t.info.quoted(), "truncating " + t.info.qualified()));
        auto st = LoadTable(*c, in, t, transform, options.read_buffer_bytes, rep, stop, true, std::move(binary), order,
                            stage);
        if (!st) {
          (void)c->Exec("ROLLBACK", "rolling back");
          return st;
        }
        SUMMIT_TRY(c->Exec("COMMIT", "committing " + t.info.qualified()));
        return Ok();
      };
      std::optional<CopyBinaryEncoder> binary;
      std::string why_text = "binary COPY is off";
      if (options.binary_copy) binary = CopyBinaryEncoder::ForColumnTypes(t.info.types, cap.pgvector, &why_text);
      auto st = load(binary);
      if (!st && binary && !stop && st.error().code() != ErrorCode::kCancelled) {
        // Text is the reference format: whatever failed in binary (a value the encoder does not
        // convert exactly, or the server refusing a binary value) is loaded again in text, where
        // a real problem with the data fails again and is reported as such.
        if (st.error().code() == ErrorCode::kUnsupported) {
          log::Info("loading in text instead of binary", {{"table", t.info.qualified()}, {"why", st.error().message()}});
        } else {
          std::lock_guard<std::mutex> lock(steps_mu);
          report.warnings.push_back("the server refused " + t.info.qualified() + " in COPY binary format (" +
                                    st.error().message() + "); loaded it in text instead");
        }
        rep.rows = rep.bytes = 0;
        rep.load_order_warning.clear();
        st = load(std::nullopt);
      }
      if (!st) {
        stop = true;
        return st;
      }
      if (!rep.load_order_warning.empty()) {
        std::lock_guard<std::mutex> lock(steps_mu);
        report.warnings.push_back(rep.load_order_warning);
      }
      if (options.analyze) SUMMIT_TRY(FlushTableStats(*c));
    } else if (s.check != nullptr) {
      // pg_dump's preamble emptied search_path on this connection; the check sees the default.
      SUMMIT_TRY(c->Exec("BEGIN; SET LOCAL search_path TO DEFAULT", s.what));
      auto st = s.check->run(*c);
      (void)c->Exec(st ? "COMMIT" : "ROLLBACK", s.what);
      if (!st) {
        stop = true;
        return st;
      }
    } else {
      for (const auto& sql : s.sql) {
        auto st = c->Exec(sql, s.what);
        if (!st) {
          stop = true;
          return Fail(std::move(st).error());
        }
      }
    }
    auto ended = std::chrono::steady_clock::now();
    std::lock_guard<std::mutex> lock(steps_mu);
    report.steps.push_back({s.what, std::chrono::duration<double>(started - t0).count(),
                            std::chrono::duration<double>(ended - started).count(), w});
    return Ok();
  };
  SUMMIT_TRY(RunTaskGraph(jobs, tasks, run));
  conns.clear();
  clock.Mark(cap.partial ? "data" : "data, indexes, keys, analyze");

  // The schema script left search_path empty on `conn`: everything below is qualified.
  SUMMIT_TRY(SetSequences(*conn, cap, {}, true, false));
  SUMMIT_TRY(conn->Exec("BEGIN", "large objects"));
  SUMMIT_TRY(RestoreLargeObjects(*conn, in, cap, options.read_buffer_bytes));
  SUMMIT_TRY(conn->Exec("COMMIT", "large objects"));
  clock.Mark("sequences");

  if (!cap.partial) {
    SUMMIT_TRY_CTX(conn->Exec(serial, "running schema.post.sql"), "restoring triggers and the rest of post-data");
  } else {
    std::set<std::string> present;
    for (const auto& [name, kind] : relkind) present.insert(name);
    SUMMIT_TRY(conn->Exec("BEGIN", "post-data"));
    SUMMIT_TRY(conn->Exec(preamble, "running the post-data preamble"));
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
    if (options.analyze) {
      tasks.clear();
      steps.clear();
      add_analyze(false);
      conns.resize(static_cast<size_t>(std::max(1, jobs)));
      SUMMIT_TRY(RunTaskGraph(jobs, tasks, run));
      conns.clear();
    }
  }
  clock.Mark("post-data");
  for (auto& r : reps) {
    report.rows += r.rows;
    report.bytes += r.bytes;
    report.tables.push_back(std::move(r));
  }
  return Ok();
}

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
  // Built under a temporary name unless the target exists and is empty.
  const std::string work_db = exists && !drop ? dbname : WorkDatabaseName(dbname);
  if (work_db != dbname) {
    SUMMIT_ASSIGN_OR_RETURN(PgResult stale, admin->ExecParams("SELECT 1 FROM pg_database WHERE datname = $1", {work_db},
                                                              "looking for a leftover " + work_db));
    if (stale.rows() > 0) {
      if (!options.dry_run) {
        SUMMIT_TRY(admin->Exec("DROP DATABASE " + QuoteIdent(work_db) + " WITH (FORCE)", "dropping leftover " + work_db));
      }
      report.warnings.push_back("dropped " + work_db + ", left by an earlier restore that did not finish");
    }
    report.plan.push_back({"create database", work_db});
  }
  report.plan.push_back({"create schema", "schema.pre.sql", 0, in.StreamSize("schema.pre.sql").value_or(0)});
  for (const auto& h : cap.hypertables) report.plan.push_back({"create hypertable", h.schema + "." + h.name});
  std::map<std::string, LoadOrderPlan> grouped;
  if (!cap.partial) {
    SUMMIT_ASSIGN_OR_RETURN(std::string post, ReadScript(in, "schema.post.sql"));
    grouped = PlanLoadOrders(cap, SplitDumpScript(post), options);
  }
  for (const auto& t : cap.tables) {
    auto g = grouped.find(t.info.qualified());
    report.plan.push_back({"load table", t.info.qualified(), t.rows, t.bytes, g == grouped.end() ? "" : g->second.index});
  }
  report.plan.push_back({"set sequences", std::to_string(cap.sequences.size()) + " sequences"});
  for (const auto& lo : cap.large_objects) {
    report.plan.push_back({"create large object", std::to_string(lo.value("oid", 0u)), 0, lo.value("bytes", uint64_t{0})});
  }
  report.plan.push_back({"post-data", "schema.post.sql", 0, in.StreamSize("schema.post.sql").value_or(0)});
  if (options.analyze) report.plan.push_back({"analyze", dbname});
  if (drop) report.plan.push_back({"drop database", dbname});
  if (work_db != dbname) report.plan.push_back({"rename database", work_db + " to " + dbname});
  if (options.dry_run) return report;

  PhaseClock clock(report);
  // Everything is built in `work` and renamed to `dbname` only when complete: a restore that
  // fails (or is killed) leaves the target as it was. An existing empty target is used as is.
  if (work_db != dbname) {
    SUMMIT_TRY(admin->Exec("CREATE DATABASE " + QuoteIdent(work_db) + " TEMPLATE template0", "creating database " + work_db));
  }
  const Settings work = target.WithDatabase(work_db);
  auto built = RestoreFullInto(work, options, in, cap, transform, jobs, report, clock);
  admin.reset();  // may have timed out during a long restore
  auto finish = [&]() -> Status {
    SUMMIT_ASSIGN_OR_RETURN(auto adm, PgConn::Open(target.WithDatabase(options.maintenance_db)));
    if (!built && work_db == dbname) {
      return Fail(std::move(built).error().WithHint("the target database " + dbname +
                                                    " was empty and is now partly restored; empty it and retry"));
    }
    if (!built) {
      (void)adm->Exec("DROP DATABASE IF EXISTS " + QuoteIdent(work_db) + " WITH (FORCE)", "dropping " + work_db);
      return Fail(std::move(built).error().WithHint("the target database " + dbname + " was left as it was"));
    }
    if (work_db == dbname) return Ok();
    if (exists) {
      SUMMIT_TRY(adm->Exec("DROP DATABASE " + QuoteIdent(dbname) + " WITH (FORCE)", "dropping database " + dbname));
    }
    auto renamed = adm->Exec("ALTER DATABASE " + QuoteIdent(work_db) + " RENAME TO " + QuoteIdent(dbname),
                             "renaming " + work_db + " to " + dbname);
    if (!renamed) {
      return Fail(std::move(renamed).error().WithHint("the restored data is complete in database " + work_db +
                                                      "; rename it to " + dbname + " by hand"));
    }
    return Ok();
  };
  SUMMIT_TRY(finish());
  clock.Mark("switch");
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
    SUMMIT_TRY(FlushTableStats(*conn));
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

std::string RestoreSessionSettings(const RestoreOptions& options) {
  // PostgreSQL's "Populating a Database": more memory for index builds; no wait for the WAL
  // flush at each commit (a crash mid-restore is handled by restoring again).
  std::string sql = "SET synchronous_commit = off;\n";
  if (!options.maintenance_work_mem.empty()) {
    sql += "SET maintenance_work_mem = " + QuoteLiteral(options.maintenance_work_mem) + ";\n";
  }
  if (options.max_parallel_maintenance_workers >= 0) {
    sql += "SET max_parallel_maintenance_workers = " + std::to_string(options.max_parallel_maintenance_workers) + ";\n";
  }
  return sql;
}

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
    if (!s.grouped_for.empty()) out += " grouped-for-index=" + s.grouped_for;
    out += "\n";
  }
  return out;
}

}  // namespace summit::sources::postgres
