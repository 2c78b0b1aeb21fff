#include "restore/pii_scan.h"

#include <map>
#include <tuple>

#include "sources/neo4j/bolt/connection.h"
#include "sources/postgres/copy_text.h"
#include "sources/postgres/pg_conn.h"
#include "sources/redis/client.h"

namespace summit::restore {
namespace {

std::string KindName(transform::PiiKind k) { return std::string(transform::PiiKindName(k)); }

// Aggregates findings by (store, where, kind).
class Collector {
 public:
  explicit Collector(const transform::PiiScanner& s) : scanner_(s) {}
  void Check(const std::string& store, const std::string& where, std::string_view value) {
    ++values_;
    for (const auto& f : scanner_.Scan(value)) ++counts_[{store, where, KindName(f.kind)}];
  }
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

Status ScanPostgres(const sources::postgres::Settings& s, Collector& c) {
  using namespace sources::postgres;
  SUMMIT_ASSIGN_OR_RETURN(auto conn, PgConn::Open(s));
  SUMMIT_ASSIGN_OR_RETURN(
      auto cols, conn->Exec("SELECT table_schema, table_name, column_name FROM information_schema.columns c "
                            "JOIN information_schema.tables t USING (table_schema, table_name) "
                            "WHERE t.table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema') "
                            "AND data_type IN ('text', 'character varying', 'character', 'json', 'jsonb', 'inet', 'cidr', 'ARRAY') "
                            "ORDER BY 1, 2, ordinal_position",
                            "listing text columns for the PII scan"));
  std::map<std::pair<std::string, std::string>, std::vector<std::string>> tables;
  for (int i = 0; i < cols.rows(); ++i) tables[{cols.GetString(i, 0), cols.GetString(i, 1)}].push_back(cols.GetString(i, 2));
  for (const auto& [t, columns] : tables) {
    std::string select;
    for (const auto& col : columns) select += (select.empty() ? "" : ", ") + QuoteIdent(col) + "::text";
    std::string sql = "COPY (SELECT " + select + " FROM " + QuoteQualified(t.first, t.second) + ") TO STDOUT";
    CopyLineSplitter splitter;
    auto on_line = [&](std::string_view line) -> Status {
      SUMMIT_ASSIGN_OR_RETURN(auto row, DecodeCopyRow(line));
      for (size_t i = 0; i < row.size() && i < columns.size(); ++i)
        if (row[i]) c.Check("postgres", t.first + "." + t.second + "." + columns[i], *row[i]);
      return Ok();
    };
    SUMMIT_TRY(conn->CopyOut(sql, [&](std::string_view chunk) { return splitter.Feed(chunk, on_line); },
                             "scanning " + t.first + "." + t.second));
    SUMMIT_TRY(splitter.Finish(on_line));
  }
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

Status ScanRedis(const sources::redis::Settings& base, Collector& c) {
  using namespace sources::redis;
  for (int db = 0; db < 16; ++db) {
    Settings s = base;
    s.db = db;
    SUMMIT_ASSIGN_OR_RETURN(auto conn, Connection::Open(s));
    std::string cursor = "0";
    do {
      SUMMIT_ASSIGN_OR_RETURN(auto page, conn->Command({"SCAN", cursor, "COUNT", "500"}));
      if (!page || page->type != REDIS_REPLY_ARRAY || page->elements != 2)
        return Fail(ErrorCode::kCorruption, "redis SCAN returned an unexpected reply");
      cursor = std::string(ReplyString(page->element[0]));
      const redisReply* keys = page->element[1];
      for (size_t i = 0; i < keys->elements; ++i) {
        std::string key(ReplyString(keys->element[i]));
        std::string where = "db" + std::to_string(db) + " " + KeyShape(key);
        c.Check("redis", where + " (key name)", key);
        SUMMIT_ASSIGN_OR_RETURN(auto type, conn->Command({"TYPE", key}));
        std::string t(ReplyString(type.get()));
        std::vector<std::string> cmd;
        if (t == "string") cmd = {"GET", key};
        else if (t == "hash") cmd = {"HGETALL", key};
        else if (t == "list") cmd = {"LRANGE", key, "0", "-1"};
        else if (t == "set") cmd = {"SMEMBERS", key};
        else if (t == "zset") cmd = {"ZRANGE", key, "0", "-1"};
        else if (t == "stream") cmd = {"XRANGE", key, "-", "+"};
        if (cmd.empty()) continue;
        std::vector<std::string_view> args(cmd.begin(), cmd.end());
        SUMMIT_ASSIGN_OR_RETURN(auto value, conn->Command(args));
        WalkReply(value.get(), where, c);
      }
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

Status ScanNeo4j(const sources::neo4j::Settings& s, Collector& c) {
  using namespace sources::neo4j::bolt;
  ConnectOptions o;
  o.uri = s.uri;
  o.user = s.user;
  o.password = s.password;
  SUMMIT_ASSIGN_OR_RETURN(auto conn, Connection::Open(o));
  for (const char* q : {"MATCH (n) UNWIND keys(n) AS k RETURN labels(n)[0], k, n[k]",
                        "MATCH ()-[r]->() UNWIND keys(r) AS k RETURN type(r), k, r[k]"}) {
    SUMMIT_TRY(conn->Run(q, {}, s.database));
    SUMMIT_TRY(conn->Pull([&](List& rec) -> Status {
      if (rec.size() < 3) return Ok();
      const auto* label = std::get_if<std::string>(&rec[0].v);
      const auto* key = std::get_if<std::string>(&rec[1].v);
      WalkValue(rec[2], (label ? *label : std::string("?")) + "." + (key ? *key : std::string("?")), c);
      return Ok();
    }, 5000));
  }
  return Ok();
}

}  // namespace

nlohmann::json PiiReport::ToJson() const {
  nlohmann::json f = nlohmann::json::array();
  for (const auto& p : findings) f.push_back({{"store", p.store}, {"where", p.where}, {"kind", p.kind}, {"count", p.count}});
  return {{"values_scanned", values}, {"clean", clean()}, {"findings", f}};
}

Result<PiiReport> ScanForPii(const TargetSettings& targets, const std::vector<std::string>& components,
                             const transform::PiiScanner& scanner) {
  Collector c(scanner);
  auto has = [&](const char* name) { return std::find(components.begin(), components.end(), name) != components.end(); };
  if (has("postgres")) SUMMIT_TRY_CTX(ScanPostgres(targets.postgres, c), "PII scan of postgres");
  if (has("neo4j")) SUMMIT_TRY_CTX(ScanNeo4j(targets.neo4j, c), "PII scan of neo4j");
  if (has("redis")) SUMMIT_TRY_CTX(ScanRedis(targets.redis, c), "PII scan of redis");
  return c.Report();
}

}  // namespace summit::restore
