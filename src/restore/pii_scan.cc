#include "restore/pii_scan.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <optional>
#include <thread>
#include <tuple>

#include "sources/neo4j/bolt/connection.h"
#include "sources/postgres/copy_text.h"
#include "sources/postgres/pg_conn.h"
#include "sources/redis/client.h"

namespace summit::restore {
namespace {

std::string KindName(transform::PiiKind k) { return std::string(transform::PiiKindName(k)); }

// Aggregates findings by (store, where, kind). One Collector per thread; Merge joins them.
class Collector {
 public:
  explicit Collector(const transform::PiiScanner& s) : scanner_(s) {}
  void Check(const std::string& store, const std::string& where, std::string_view value) {
    ++values_;
    for (const auto& f : scanner_.Scan(value)) ++counts_[{store, where, KindName(f.kind)}];
  }
  void Merge(const Collector& other) {
    values_ += other.values_;
    for (const auto& [k, n] : other.counts_) counts_[k] += n;
  }
  const transform::PiiScanner& scanner() const { return scanner_; }
  PiiReport Report() const {
    PiiReport r;
    r.values = values_;
    for (const auto& [k, n] : counts_) r.findings.push_back({std::get<0>(k), std::get<1>(k), std::get<2>(k), n});
    return r;
  }

 private:
  const transform::PiiScanner& scanner_;
  uint64_t values_ = 0;
  std::map<std::tuple<std::string, std::string, std::string>, uint64_t> counts_;
};

// PostgreSQL: every text-like column of every base table, one COPY ... TO STDOUT per table
// (streamed, not row by row), tables shared out over kPgWorkers connections, largest first.
constexpr int kPgWorkers = 2;

struct PgTable {
  std::string schema, name;
  std::vector<std::string> columns;
  std::vector<std::string> places;  // "schema.table.column", built once per column
};

Status ScanPgTable(sources::postgres::PgConn& conn, const PgTable& t, Collector& c) {
  using namespace sources::postgres;
  std::string select;
  for (const auto& col : t.columns) select += (select.empty() ? "" : ", ") + QuoteIdent(col) + "::text";
  std::string sql = "COPY (SELECT " + select + " FROM " + QuoteQualified(t.schema, t.name) + ") TO STDOUT";
  CopyLineSplitter splitter;
  auto on_line = [&](std::string_view line) -> Status {
    SUMMIT_ASSIGN_OR_RETURN(auto row, DecodeCopyRow(line));
    for (size_t i = 0; i < row.size() && i < t.places.size(); ++i)
      if (row[i]) c.Check("postgres", t.places[i], *row[i]);
    return Ok();
  };
  SUMMIT_TRY(conn.CopyOut(sql, [&](std::string_view chunk) { return splitter.Feed(chunk, on_line); },
                          "scanning " + t.schema + "." + t.name));
  return splitter.Finish(on_line);
}

Status ScanPostgres(const sources::postgres::Settings& s, Collector& c) {
  using namespace sources::postgres;
  SUMMIT_ASSIGN_OR_RETURN(auto conn, PgConn::Open(s));
  SUMMIT_ASSIGN_OR_RETURN(
      auto cols, conn->Exec("SELECT table_schema, table_name, column_name, "
                            "pg_total_relation_size(format('%I.%I', table_schema, table_name)::regclass)::text "
                            "FROM information_schema.columns c "
                            "JOIN information_schema.tables t USING (table_schema, table_name) "
                            "WHERE t.table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema') "
                            "AND data_type IN ('text', 'character varying', 'character', 'json', 'jsonb', 'inet', 'cidr', 'ARRAY') "
                            "ORDER BY 1, 2, ordinal_position",
                            "listing text columns for the PII scan"));
  std::map<std::pair<std::string, std::string>, std::pair<int64_t, std::vector<std::string>>> by_name;
  for (int i = 0; i < cols.rows(); ++i) {
    auto& e = by_name[{cols.GetString(i, 0), cols.GetString(i, 1)}];
    e.first = std::stoll(cols.GetString(i, 3));
    e.second.push_back(cols.GetString(i, 2));
  }
  std::vector<std::pair<int64_t, PgTable>> sized;
  for (auto& [k, e] : by_name) {
    PgTable t{k.first, k.second, std::move(e.second), {}};
    for (const auto& col : t.columns) t.places.push_back(t.schema + "." + t.name + "." + col);
    sized.emplace_back(e.first, std::move(t));
  }
  std::stable_sort(sized.begin(), sized.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  if (sized.empty()) return Ok();

  // Worker 0 uses the connection that listed the columns; the others open their own.
  int workers = std::min<int>(kPgWorkers, static_cast<int>(sized.size()));
  std::atomic<size_t> next{0};
  std::atomic<bool> stop{false};
  std::vector<Collector> collectors(workers, Collector(c.scanner()));
  std::vector<Status> results(workers);
  auto work = [&](int w, PgConn* own) {
    std::unique_ptr<PgConn> opened;
    if (!own) {
      auto o = PgConn::Open(s);
      if (!o) {
        results[w] = Status(std::move(o).error());
        stop = true;
        return;
      }
      opened = std::move(*o);
      own = opened.get();
    }
    for (size_t i; !stop && (i = next++) < sized.size();) {
      Status st = ScanPgTable(*own, sized[i].second, collectors[w]);
      if (!st) {
        results[w] = std::move(st);
        stop = true;
        return;
      }
    }
  };
  std::vector<std::thread> threads;
  for (int w = 1; w < workers; ++w) threads.emplace_back(work, w, nullptr);
  work(0, conn.get());
  for (auto& t : threads) t.join();
  for (auto& st : results) SUMMIT_TRY(std::move(st));
  for (const auto& col : collectors) c.Merge(col);
  return Ok();
}

// The key's pattern for the report: digits and uuids collapse to '*' ("user:*:email").
std::string KeyShape(std::string_view key) {
  std::string out;
  size_t i = 0;
  while (i < key.size()) {
    size_t j = key.find(':', i);
    if (j == std::string_view::npos) j = key.size();
    std::string_view seg = key.substr(i, j - i);
    bool variable = seg.size() >= 8 || (!seg.empty() && seg.find_first_not_of("0123456789") == std::string_view::npos);
    out += variable ? "*" : std::string(seg);
    if (j < key.size()) out += ":";
    i = j + 1;
  }
  return out;
}

void WalkReply(const redisReply* r, const std::string& where, Collector& c) {
  if (!r) return;
  if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS) c.Check("redis", where, sources::redis::ReplyString(r));
  if (r->type == REDIS_REPLY_ARRAY)
    for (size_t i = 0; i < r->elements; ++i) WalkReply(r->element[i], where, c);
}

// Redis: every key of databases 0-15, SCAN 500 keys at a time; per page one pipelined round
// trip of TYPE commands, then one of the value reads (GET, HGETALL, LRANGE, SMEMBERS, ZRANGE,
// XRANGE as the type asks).
Status ScanRedis(const sources::redis::Settings& base, Collector& c) {
  using namespace sources::redis;
  for (int db = 0; db < 16; ++db) {
    Settings s = base;
    s.db = db;
    SUMMIT_ASSIGN_OR_RETURN(auto conn, Connection::Open(s));
    const std::string prefix = "db" + std::to_string(db) + " ";
    std::string cursor = "0";
    do {
      SUMMIT_ASSIGN_OR_RETURN(auto page, conn->Command({"SCAN", cursor, "COUNT", "500"}));
      if (!page || page->type != REDIS_REPLY_ARRAY || page->elements != 2)
        return Fail(ErrorCode::kCorruption, "redis SCAN returned an unexpected reply");
      cursor = std::string(ReplyString(page->element[0]));
      const redisReply* keys = page->element[1];
      const size_t n = keys->elements;
      std::vector<std::string_view> names(n);
      std::vector<std::string> where(n);
      for (size_t i = 0; i < n; ++i) {
        names[i] = ReplyString(keys->element[i]);
        where[i] = prefix + KeyShape(names[i]);
        c.Check("redis", where[i] + " (key name)", names[i]);
        SUMMIT_TRY(conn->Append({"TYPE", names[i]}));
      }
      std::vector<const char*> read(n, nullptr);
      for (size_t i = 0; i < n; ++i) {
        SUMMIT_ASSIGN_OR_RETURN(auto type, conn->GetReply());
        if (type->type == REDIS_REPLY_ERROR) return ReplyError(type.get(), "TYPE");
        std::string_view t = ReplyString(type.get());
        if (t == "string") read[i] = "GET";
        else if (t == "hash") read[i] = "HGETALL";
        else if (t == "list") read[i] = "LRANGE";
        else if (t == "set") read[i] = "SMEMBERS";
        else if (t == "zset") read[i] = "ZRANGE";
        else if (t == "stream") read[i] = "XRANGE";
      }
      for (size_t i = 0; i < n; ++i) {
        if (!read[i]) continue;
        std::string_view cmd = read[i];
        if (cmd == "LRANGE" || cmd == "ZRANGE") SUMMIT_TRY(conn->Append({cmd, names[i], "0", "-1"}));
        else if (cmd == "XRANGE") SUMMIT_TRY(conn->Append({cmd, names[i], "-", "+"}));
        else SUMMIT_TRY(conn->Append({cmd, names[i]}));
      }
      std::optional<Error> failed;  // every queued reply is read before an error is returned
      for (size_t i = 0; i < n; ++i) {
        if (!read[i]) continue;
        SUMMIT_ASSIGN_OR_RETURN(auto value, conn->GetReply());
        if (value->type == REDIS_REPLY_ERROR) {
          if (!failed) failed = ReplyError(value.get(), read[i]);
          continue;
        }
        WalkReply(value.get(), where[i], c);
      }
      if (failed) return Fail(std::move(*failed));
    } while (cursor != "0");
  }
  return Ok();
}

void WalkValue(const sources::neo4j::bolt::Value& v, const std::string& where, Collector& c) {
  using namespace sources::neo4j::bolt;
  if (const auto* s = std::get_if<std::string>(&v.v)) c.Check("neo4j", where, *s);
  if (const auto* l = std::get_if<List>(&v.v))
    for (const auto& e : *l) WalkValue(e, where, c);
}

// Neo4j: one record per node (its first label and whole property map) and one per
// relationship (its type and property map), streamed; nodes and relationships are read over
// two connections at once.
Status ScanNeo4jQuery(const sources::neo4j::Settings& s, const char* query, Collector& c) {
  using namespace sources::neo4j::bolt;
  ConnectOptions o;
  o.uri = s.uri;
  o.user = s.user;
  o.password = s.password;
  SUMMIT_ASSIGN_OR_RETURN(auto conn, Connection::Open(o));
  SUMMIT_TRY(conn->Run(query, {}, s.database));
  std::map<std::pair<std::string, std::string>, std::string> places;  // (label, key) -> "label.key"
  SUMMIT_TRY(conn->Pull([&](List& rec) -> Status {
    if (rec.size() < 2) return Ok();
    const auto* label = std::get_if<std::string>(&rec[0].v);
    const auto* props = std::get_if<Map>(&rec[1].v);
    if (!props) return Ok();
    static const std::string kUnknown = "?";
    const std::string& l = label ? *label : kUnknown;
    for (const auto& [key, value] : *props) {
      if (!value.Is<std::string>() && !value.Is<List>()) continue;
      auto it = places.find({l, key});
      if (it == places.end()) it = places.emplace(std::make_pair(l, key), l + "." + key).first;
      WalkValue(value, it->second, c);
    }
    return Ok();
  }, 20000));
  return Ok();
}

Status ScanNeo4j(const sources::neo4j::Settings& s, Collector& c) {
  Collector rels(c.scanner());
  Status rel_status;
  std::thread t([&] {
    rel_status = ScanNeo4jQuery(s, "MATCH ()-[r]->() RETURN type(r), properties(r)", rels);
  });
  Status node_status = ScanNeo4jQuery(s, "MATCH (n) RETURN labels(n)[0], properties(n)", c);
  t.join();
  SUMMIT_TRY(std::move(node_status));
  SUMMIT_TRY(std::move(rel_status));
  c.Merge(rels);
  return Ok();
}

}  // namespace

nlohmann::json PiiReport::ToJson() const {
  nlohmann::json f = nlohmann::json::array();
  for (const auto& p : findings) f.push_back({{"store", p.store}, {"where", p.where}, {"kind", p.kind}, {"count", p.count}});
  return {{"values_scanned", values}, {"clean", clean()}, {"findings", f}};
}

// The three stores are scanned at once, each into its own Collector; an error is reported for
// the first failing store in the order postgres, neo4j, redis (as when they ran one by one).
Result<PiiReport> ScanForPii(const TargetSettings& targets, const std::vector<std::string>& components,
                             const transform::PiiScanner& scanner) {
  auto has = [&](const char* name) { return std::find(components.begin(), components.end(), name) != components.end(); };
  Collector pg(scanner), neo(scanner), redis(scanner);
  Status pg_status, neo_status, redis_status;
  std::vector<std::thread> threads;
  if (has("neo4j")) threads.emplace_back([&] { neo_status = ScanNeo4j(targets.neo4j, neo); });
  if (has("redis")) threads.emplace_back([&] { redis_status = ScanRedis(targets.redis, redis); });
  if (has("postgres")) pg_status = ScanPostgres(targets.postgres, pg);
  for (auto& t : threads) t.join();
  SUMMIT_TRY_CTX(std::move(pg_status), "PII scan of postgres");
  SUMMIT_TRY_CTX(std::move(neo_status), "PII scan of neo4j");
  SUMMIT_TRY_CTX(std::move(redis_status), "PII scan of redis");
  pg.Merge(neo);
  pg.Merge(redis);
  return pg.Report();
}

}  // namespace summit::restore
